//! Facts about the recording, and what went wrong while reading it.

use serde::Serialize;

use crate::hint::Hint;

/// The file format a profile was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceFormat {
    /// Built in code.
    #[default]
    Unknown,
    /// Folded / collapsed stacks (inferno, FlameGraph).
    Folded,
    /// Linux `perf.data`.
    PerfData,
    /// Firefox Profiler processed format (samply).
    FirefoxProcessed,
    /// Firefox Gecko format.
    Gecko,
    /// DHAT heap profile (valgrind `--tool=dhat`, the `dhat` crate).
    Dhat,
    /// valgrind massif heap profile.
    Massif,
    /// heaptrack heap profile.
    Heaptrack,
    /// pprof protobuf (`profile.proto`: Go, pprof-rs, jemalloc_pprof).
    Pprof,
}

impl SourceFormat {
    /// Human-readable name.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Folded => "folded stacks",
            Self::PerfData => "perf.data",
            Self::FirefoxProcessed => "Firefox processed profile",
            Self::Gecko => "Firefox Gecko profile",
            Self::Dhat => "DHAT heap profile",
            Self::Massif => "massif heap profile",
            Self::Heaptrack => "heaptrack heap profile",
            Self::Pprof => "pprof profile",
        }
    }
}

/// A category of problem met while reading or symbolizing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningKind {
    /// An input line could not be parsed and was skipped.
    MalformedLine,
    /// A record could not be parsed and was skipped.
    DamagedRecord,
    /// The input ended in the middle of a record.
    Truncated,
    /// Parts of a file header could not be read; the rest of the file was.
    DamagedHeader,
    /// Samples were lost by the recorder.
    LostSamples,
    /// A stack could not be unwound completely.
    UnwindFailed,
    /// Frames could not be symbolized.
    UnresolvedFrames,
    /// A file on disk does not match what the recording expects.
    Mismatch,
    /// Anything else.
    Other,
}

/// A counted warning: how often a kind of problem happened, with the first example.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Warning {
    /// What went wrong.
    pub kind: WarningKind,
    /// How many times.
    pub count: u64,
    /// The first occurrence, with its location (`line 17: ...`).
    pub message: String,
    /// What the user can supply to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
}

/// Warnings grouped by kind, so a file with a million bad lines gives one line of output.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct Warnings {
    items: Vec<Warning>,
}

impl Warnings {
    /// Count one occurrence of `kind`; `message` is kept if it is the first.
    pub fn add(&mut self, kind: WarningKind, message: impl FnOnce() -> String) {
        self.add_many(kind, 1, message);
    }

    /// Count `count` occurrences of `kind` at once.
    pub fn add_many(&mut self, kind: WarningKind, count: u64, message: impl FnOnce() -> String) {
        self.add_hinted(kind, count, None, message);
    }

    /// [`Self::add_many`], with what the user can supply to fix it (kept with the first
    /// message).
    pub fn add_hinted(
        &mut self,
        kind: WarningKind,
        count: u64,
        hint: Option<Hint>,
        message: impl FnOnce() -> String,
    ) {
        if let Some(w) = self.items.iter_mut().find(|w| w.kind == kind) {
            w.count += count;
        } else {
            self.items.push(Warning {
                kind,
                count,
                message: message(),
                hint,
            });
        }
    }

    /// All warnings, in the order their kind first occurred.
    pub fn iter(&self) -> impl Iterator<Item = &Warning> {
        self.items.iter()
    }

    /// Total occurrences of `kind`.
    pub fn count(&self, kind: WarningKind) -> u64 {
        self.items
            .iter()
            .filter(|w| w.kind == kind)
            .map(|w| w.count)
            .sum()
    }

    /// True if nothing was reported.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What the recording says about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metadata {
    /// The format the profile was read from.
    pub source_format: SourceFormat,
    /// The file it was read from (`-` for stdin).
    pub source_name: Option<String>,
    /// The command line that was profiled (or that recorded it).
    pub command_line: Option<String>,
    /// Host name of the recording machine.
    pub host: Option<String>,
    /// Kernel / OS release of the recording machine.
    pub os_release: Option<String>,
    /// Version of the recorder (`perf 6.1`).
    pub recorder_version: Option<String>,
    /// Sampling frequency in Hz, when the recorder used one.
    pub sample_rate_hz: Option<f64>,
    /// Samples the recorder reported as lost.
    pub lost_samples: u64,
    /// Whether the recorder captured call stacks (`None`: the format does not say).
    pub stacks_recorded: Option<bool>,
    /// Samples whose user stack was unwound from a stack copy (perf `--call-graph dwarf`).
    pub unwound_samples: u64,
    /// Of those, the samples whose unwinding stopped before the outermost frame.
    pub truncated_unwinds: u64,
    /// Whether every stack's root frame names the process or thread (inferno's folded stacks
    /// start with the command name), so writers must not add it again.
    pub root_frame_is_thread: bool,
    /// Whether symbolization ran: a frame still unresolved then has no name to be found, and
    /// is labelled by its module (`[liblzma.so.5]`), as inferno does, so that a library
    /// without symbols is one function rather than thousands of addresses.
    pub symbolized: bool,
    /// The heap's size over the run, for heap profiles that record it (heaptrack's
    /// timestamps, massif's snapshots).
    pub heap_timeline: Option<HeapTimeline>,
    /// Problems met while reading and symbolizing.
    pub warnings: Warnings,
    /// A kernel symbol and its address at recording time (perf's kernel MMAP record,
    /// `[kernel.kallsyms]_text`): kernel symbols listed for another boot of the same kernel
    /// are shifted by the difference (its randomized base, KASLR).
    #[serde(skip)]
    pub kernel_reloc: Option<(String, u64)>,
}

/// The heap's size at points of a run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HeapTimeline {
    /// What the times count: `ms`, or massif's `instructions` / `bytes allocated`.
    pub time_unit: String,
    /// `(time, bytes live)`, in time order.
    pub points: Vec<(f64, f64)>,
    /// The allocations made since the point before, one per point, where the format counts
    /// them (heaptrack); empty otherwise (massif).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allocations: Vec<f64>,
}

impl HeapTimeline {
    /// The largest heap and when it was: `(time, bytes)` (the first such point).
    pub fn peak(&self) -> Option<(f64, f64)> {
        self.points
            .iter()
            .copied()
            .reduce(|best, p| if p.1 > best.1 { p } else { best })
    }

    /// The run cut into `columns` equal stretches of points, each the largest heap in its
    /// stretch: what a chart of that width draws, so that no peak falls between two columns.
    /// With fewer points than columns, a point takes several columns.
    pub fn column_highs(&self, columns: usize) -> Vec<f64> {
        let heap: Vec<f64> = self.points.iter().map(|p| p.1).collect();
        highs(&heap, columns)
    }

    /// The allocation rate over the run in `columns` stretches, each its highest rate in
    /// allocations per unit of time; empty without allocation counts.
    pub fn allocation_rate_highs(&self, columns: usize) -> Vec<f64> {
        if self.allocations.len() != self.points.len() {
            return Vec::new();
        }
        let mut before = 0.0;
        let rates: Vec<f64> = self
            .points
            .iter()
            .zip(&self.allocations)
            .map(|(&(time, _), &count)| {
                let rate = count / (time - before).max(f64::MIN_POSITIVE);
                before = time;
                rate
            })
            .collect();
        highs(&rates, columns)
    }
}

/// `values` cut into `columns` equal stretches, each its largest value (a value takes several
/// columns when there are fewer values than columns).
fn highs(values: &[f64], columns: usize) -> Vec<f64> {
    if values.is_empty() {
        return Vec::new();
    }
    (0..columns)
        .map(|c| {
            let start = c * values.len() / columns;
            let end = ((c + 1) * values.len() / columns).max(start + 1);
            values[start..end].iter().copied().fold(0.0, f64::max)
        })
        .collect()
}
