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
    #[error("{name}: not a readable perf.data file: {source}")]
    PerfData {
        /// The input's name.
        name: String,
        /// What failed, and where.
        #[source]
        source: PerfDataError,
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

/// Why a perf.data file cannot be read, and where in it (byte offsets from the start of the
/// file).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PerfDataError {
    /// The input does not start with perf.data's magic.
    #[error("not a perf.data file")]
    NotPerfData,
    /// The file ends before its header does.
    #[error("the {len}-byte file is shorter than a perf.data header")]
    ShortHeader {
        /// The file's length.
        len: u64,
    },
    /// The header's attribute size (at byte 16) is no `perf_event_attr`'s.
    #[error("the header's attribute size ({size} bytes) is not that of a perf_event_attr")]
    AttributeSize {
        /// The size it claims.
        size: u64,
    },
    /// A section the header points to is not inside the file.
    #[error(
        "the {section} section ({size} bytes at byte {offset}) lies outside the {len}-byte file"
    )]
    SectionOutside {
        /// Which section (`attribute`, `data`, `event type`).
        section: &'static str,
        /// Where it claims to start.
        offset: u64,
        /// Its claimed size.
        size: u64,
        /// The file's length.
        len: u64,
    },
    /// An event's list of ids is not inside the file.
    #[error("the event ids of event {event} (entry at byte {at}) lie outside the {len}-byte file")]
    EventIdsOutside {
        /// The event's index.
        event: u64,
        /// Where its entry is.
        at: u64,
        /// The file's length.
        len: u64,
    },
    /// An entry of the feature section table is not inside the file.
    #[error("feature section {index} (table at byte {at}) lies outside the {len}-byte file")]
    FeatureOutside {
        /// The feature's place in the table.
        index: usize,
        /// Where its table entry is.
        at: u64,
        /// The file's length.
        len: u64,
    },
    /// A feature section's contents are damaged.
    #[error("feature section {index} at byte {at}: {problem}")]
    Feature {
        /// The feature's place in the table.
        index: usize,
        /// Where the section starts.
        at: u64,
        /// What is wrong inside.
        problem: FeatureProblem,
    },
    /// A pipe-mode feature record's contents are damaged.
    #[error("the feature record at byte {at}: {problem}")]
    FeatureRecord {
        /// Where the record starts.
        at: u64,
        /// What is wrong inside.
        problem: FeatureProblem,
    },
    /// An AUXTRACE record claims more trace data than the input has left.
    #[error("the AUXTRACE record at byte {at} claims {claimed} bytes of trace data; {room} bytes remain")]
    AuxtraceBeyondEnd {
        /// Where the record starts.
        at: u64,
        /// The trace size it claims.
        claimed: u64,
        /// What the input has after the record.
        room: u64,
    },
    /// linux-perf-data could not read the header.
    #[error("cannot read the header: {0}")]
    Reader(#[from] linux_perf_data::Error),
    /// [`crate::perf::PerfReader::Blocks`] was asked for a file only the general reader takes.
    #[error("the block reader does not take this file (it is read by the general reader)")]
    NotForBlockReader,
}

/// What is wrong inside a feature section (counts linux-perf-data would allocate by).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FeatureProblem {
    /// The section is too short to hold its count (`what`: `string`, `event`, `attribute size`).
    #[error("no {what} count")]
    NoCount {
        /// What would be counted.
        what: &'static str,
    },
    /// The event descriptions' attribute size is no `perf_event_attr`'s.
    #[error(
        "the event descriptions' attribute size ({size} bytes) is not that of a perf_event_attr"
    )]
    AttributeSize {
        /// The size it claims.
        size: u64,
    },
    /// The section claims more items than it holds.
    #[error("{list}: {count} {items} claimed, number {index} is cut short")]
    CutShort {
        /// The list (`command line`, `event descriptions`).
        list: &'static str,
        /// How many it claims.
        count: u32,
        /// What it lists (`strings`, `events`).
        items: &'static str,
        /// The first one that is not whole (0-based).
        index: u32,
    },
    /// The section could not be read from the input.
    #[error("cannot be read")]
    Unreadable,
}
