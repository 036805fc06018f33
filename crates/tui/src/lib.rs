//! profview's terminal UI (skeleton).
//!
//! The browser will depend only on `profview-model` and `profview-analyze`: it never sees raw
//! bytes, parsers or debug info. Until it exists, `profview PROFILE` prints the report.

/// True once the interactive browser is available; the CLI falls back to the report until then.
pub const AVAILABLE: bool = false;
