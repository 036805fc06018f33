//! Reading the profile's JSON without panicking, and the errors that name the input.

use serde_json::Value;

use crate::ParseError;

/// Why the input is not JSON: where, and what.
pub(super) fn json_error(name: &str, e: &serde_json::Error) -> ParseError {
    ParseError::Firefox {
        name: name.to_owned(),
        problem: format!(
            "invalid JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ),
    }
}

pub(super) fn bad(name: &str, problem: &str) -> ParseError {
    ParseError::Firefox {
        name: name.to_owned(),
        problem: problem.to_owned(),
    }
}

/// Helpers to read JSON columns without panicking: a missing or mistyped value is `None`.
pub(super) trait Columns {
    fn column(&self, key: &str) -> &[Value];
    fn index_at(&self, key: &str, i: usize) -> Option<usize>;
}

impl Columns for Value {
    fn column(&self, key: &str) -> &[Value] {
        self.get(key)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    fn index_at(&self, key: &str, i: usize) -> Option<usize> {
        let v = self.column(key).get(i)?.as_i64()?;
        usize::try_from(v).ok()
    }
}

/// Hex build-id (`codeId`) to bytes.
pub(super) fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) || hex.is_empty() {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}
