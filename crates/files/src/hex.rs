//! Build-ids as text.

/// Lower-case hex of a build-id.
pub fn hex(build_id: &[u8]) -> String {
    build_id.iter().map(|b| format!("{b:02x}")).collect()
}
