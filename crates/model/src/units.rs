//! Numbers as a person reads them: bytes in binary units, counts with thousands separators.

use crate::WeightUnit;

/// Bytes in binary units: `512 B`, `97.7 KiB`, `1.2 GiB`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes;
    let mut i = 0;
    while value.abs() >= 1024.0 && i + 1 < UNITS.len() {
        value /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{value} B")
    } else {
        format!("{value:.1} {}", UNITS[i])
    }
}

/// A count with thousands separators: `20,000,001` (rounded to a whole number).
pub fn format_count(count: f64) -> String {
    let digits = format!("{:.0}", count.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if count <= -0.5 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl WeightUnit {
    /// `value` in this unit, for a person: bytes in binary units, anything else as a count.
    pub fn format(self, value: f64) -> String {
        match self {
            Self::Bytes => format_bytes(value),
            _ => format_count(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_counts_read_as_people_write_them() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(100_000.0), "97.7 KiB");
        assert_eq!(format_bytes(-2048.0), "-2.0 KiB");
        assert_eq!(format_count(20_000_001.0), "20,000,001");
        assert_eq!(format_count(999.0), "999");
        assert_eq!(format_count(-1234.0), "-1,234");
        assert_eq!(WeightUnit::Bytes.format(1536.0), "1.5 KiB");
    }
}
