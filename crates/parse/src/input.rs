//! Getting bytes: from a path or stdin, gunzipped when the content says gzip.

use std::io::{self, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use crate::ParseError;

/// The two magic bytes that start every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// True if `bytes` start like a gzip stream.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&GZIP_MAGIC)
}

/// The name used for stdin in messages and metadata.
pub const STDIN_NAME: &str = "-";

/// Read a whole input: `-` means stdin.
pub fn read_input(path: &Path) -> Result<Vec<u8>, ParseError> {
    let name = path.display().to_string();
    let result = if name == STDIN_NAME {
        let mut buf = Vec::new();
        io::stdin().lock().read_to_end(&mut buf).map(|_| buf)
    } else {
        std::fs::read(path)
    };
    result.map_err(|source| ParseError::Io { name, source })
}

/// Decompress `bytes` if they are gzip, else return them as they are.
pub fn gunzip_if_needed(name: &str, bytes: Vec<u8>) -> Result<Vec<u8>, ParseError> {
    if !is_gzip(&bytes) {
        return Ok(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() * 4);
    MultiGzDecoder::new(bytes.as_slice())
        .read_to_end(&mut out)
        .map_err(|source| ParseError::Gzip {
            name: name.to_owned(),
            source,
        })?;
    Ok(out)
}
