//! What a user can supply to get past a problem the libraries found. The libraries say what is
//! missing; each front end says how to supply it in its own terms (the CLI names its flags, the
//! browser its keys), so that no library message names a command-line flag.

use serde::Serialize;

/// Something the user can supply or do, attached to a warning, diagnostic or finding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "supply", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Hint {
    /// A folder with the unstripped program or library (or its separate debug file).
    Binary,
    /// perf's build-id cache of the recording machine (`~/.debug`), which holds the vDSO image
    /// of the recording.
    BuildIdCache,
    /// A copy of `/proc/kallsyms` from the recording machine, taken during the same boot.
    Kallsyms,
    /// One stretch of the run looked at alone.
    TimeRange {
        /// Seconds from the first sample.
        start_s: f64,
        /// Seconds from the first sample.
        end_s: f64,
    },
}
