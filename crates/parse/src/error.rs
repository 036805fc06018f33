//! The parse crate's error type: every variant names the input and where in it things failed.

use std::io;

/// An input that could not be read as a profile.
///
/// Problems that leave most of the input usable (one malformed line, one damaged record) are
/// not errors: they are counted as [`profview_model::Warning`]s in the profile's metadata.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The file or stdin could not be read.
    #[error("{name}: cannot read: {source}")]
    Io {
        /// The input's name (a path, or `-` for stdin).
        name: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The input starts like gzip or zstd but does not decompress.
    #[error("{name}: looks compressed (gzip or zstd) but does not decompress: {source}")]
    Gzip {
        /// The input's name.
        name: String,
        /// The decompressor's error.
        #[source]
        source: io::Error,
    },
    /// The input is empty (or only blank lines).
    #[error("{name}: the input is empty; expected a profile (perf.data, folded stacks, Firefox/samply JSON, pprof, DHAT, massif or heaptrack)")]
    Empty {
        /// The input's name.
        name: String,
    },
    /// A DHAT file that cannot be read.
    #[error("{name}: not a readable DHAT file: {problem}")]
    Dhat {
        /// The input's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A heaptrack file that cannot be read.
    #[error("{name}: line {line}: not a readable heaptrack file: {problem}")]
    Heaptrack {
        /// The input's name (after decompression).
        name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A pprof protobuf that cannot be read.
    #[error("{name}: not a readable pprof profile: {problem}")]
    Pprof {
        /// The input's name.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A massif file that cannot be read.
    #[error("{name}: line {line}: not a readable massif file: {problem}")]
    Massif {
        /// The input's name.
        name: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// The input is something other than a profile.
    #[error(
        "{name}: not a profile: {what}; expected perf.data, folded stacks, Firefox/samply JSON, pprof, DHAT, massif or heaptrack"
    )]
    NotAProfile {
        /// The input's name.
        name: String,
        /// What it is instead.
        what: &'static str,
    },
    /// Most lines of what was read as folded stacks are not folded stacks.
    #[error("{name}: not folded stacks: {skipped} of {lines} lines are not `frame;frame;... count`, the first at line {first_line}: {first_problem}")]
    MostlyMalformedFolded {
        /// The input's name.
        name: String,
        /// How many non-blank lines were malformed.
        skipped: u64,
        /// How many non-blank lines there are.
        lines: u64,
        /// 1-based number of the first bad line.
        first_line: u64,
        /// What was wrong with it.
        first_problem: String,
    },
    /// No line of a folded file could be parsed.
    #[error("{name}: no valid folded-stack line (expected `frame;frame;... count`); {skipped} line(s) skipped, the first at line {first_line}: {first_problem}")]
    NoValidFoldedLines {
        /// The input's name.
        name: String,
        /// How many non-blank lines were skipped.
        skipped: u64,
        /// 1-based number of the first bad line.
        first_line: u64,
        /// What was wrong with it.
        first_problem: String,
    },
    /// A perf.data file whose header or attributes cannot be read.
    #[error("{name}: not a readable perf.data file: {problem}")]
    PerfData {
        /// The input's name.
        name: String,
        /// What failed, and where.
        problem: String,
    },
    /// A Firefox Profiler JSON file that cannot be read: malformed JSON (with line and
    /// column), a format version this build does not know, or a missing table.
    #[error("{name}: not a readable Firefox profile: {problem}")]
    Firefox {
        /// The input's name.
        name: String,
        /// What failed, and where.
        problem: String,
    },
    /// The format is recognized but this build cannot read it.
    #[error("{name}: {format} input is not supported by this version of profview")]
    UnsupportedFormat {
        /// The input's name.
        name: String,
        /// What the input looked like.
        format: &'static str,
    },
}
