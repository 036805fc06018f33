//! How to read a perf.data file.

use std::sync::Arc;

use profview_files::SymbolPaths;

use crate::progress::Progress;

/// Options for reading perf.data.
#[derive(Debug, Clone, Default)]
pub struct PerfOptions {
    /// Where to find the binaries for DWARF unwinding.
    pub symbol_paths: Option<Arc<SymbolPaths>>,
    /// Called as the file is read.
    pub progress: Option<Progress>,
    /// Which reader goes through the records.
    pub reader: PerfReader,
    /// Sum samples with the same thread, stack and event as they are read
    /// ([`profview_model::Profile::aggregate_samples`]).
    pub aggregate_samples: bool,
    /// The block reader's block size in bytes: how much of the file each worker parses at a
    /// time (default and most 4 MiB, least 8 bytes). Smaller blocks keep less of the file in
    /// flight and give each worker a smaller table of distinct chains; the profile is the same
    /// whatever the size (the tests read small recordings in many small blocks to show it).
    pub block_size: Option<usize>,
}

/// The two ways through a perf.data file's records. Both give the same profile where both
/// apply; tests and benchmarks compare them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PerfReader {
    /// The block reader where the file allows it, else the general one.
    #[default]
    Auto,
    /// The general reader (linux-perf-data's record iterator, on one thread plus a reading
    /// thread): every file, compressed, pipe-mode or damaged ones too.
    General,
    /// The parallel block reader only: an error for files it does not take (pipe mode,
    /// compressed records, big-endian, AUXTRACE, sched_switch events, events without
    /// timestamps, and damaged files).
    Blocks,
}
