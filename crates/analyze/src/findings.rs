//! Automatic findings: what shape a profile has, the evidence, and what to try — the types
//! every analysis returns and the thresholds of the rules on CPU time (their reasoning is in
//! docs/findings.md). Where the time goes is `breakdown`'s job, the rules are in `rules`,
//! and `analysis` puts them together.

use profview_model::Hint;
use serde::Serialize;

/// Fewer samples than this give no findings: a share of 1/30 is already 3 points.
pub const MIN_SAMPLES: u64 = 30;
/// A profile this idle (kernel idle loop) is not analyzed for patterns.
pub const MAX_IDLE_SHARE: f64 = 0.90;
/// The top function's self share from which it is a hotspot...
pub const HOTSPOT_MIN_SHARE: f64 = 0.30;
/// ...provided it leads the runner-up by this factor (otherwise there are two hot spots).
pub const HOTSPOT_MIN_LEAD: f64 = 1.3;
/// ...and at least this part of its self time is its own code, not allocator, lock or runtime
/// code inlined into it (that is the category findings' evidence).
pub const HOTSPOT_MIN_OWN_SHARE: f64 = 0.5;
/// A helper inlined into this many hot functions or more...
pub const SHARED_HELPER_MIN_FUNCTIONS: usize = 2;
/// ...holding at least this part of each one's self time...
pub const SHARED_HELPER_MIN_PART: f64 = 0.5;
/// ...and this share of the busy time in all of them together is one finding.
pub const SHARED_HELPER_MIN_SHARE: f64 = 0.3;
/// Distributed cost: no function above this self share...
pub const DISTRIBUTED_MAX_TOP_SHARE: f64 = 0.30;
/// ...at least this many functions needed to cover half of the time...
pub const DISTRIBUTED_MIN_FUNCTIONS: usize = 3;
/// ...and most of the time in user code (otherwise a category explains it better).
pub const DISTRIBUTED_MIN_USER_SHARE: f64 = 0.50;
/// Share of the busy time from which a category is a finding.
pub const LOCK_MIN_SHARE: f64 = 0.20;
/// See [`LOCK_MIN_SHARE`].
pub const ALLOCATION_MIN_SHARE: f64 = 0.20;
/// See [`LOCK_MIN_SHARE`].
pub const RUNTIME_MIN_SHARE: f64 = 0.25;
/// See [`LOCK_MIN_SHARE`].
pub const MEMORY_COPY_MIN_SHARE: f64 = 0.15;
/// See [`LOCK_MIN_SHARE`]: the kernel is part of every program, so only a majority counts.
pub const KERNEL_MIN_SHARE: f64 = 0.50;
/// See [`LOCK_MIN_SHARE`].
pub const FORMATTING_MIN_SHARE: f64 = 0.15;
/// See [`LOCK_MIN_SHARE`].
pub const SERIALIZATION_MIN_SHARE: f64 = 0.20;
/// Share of the busy time with thread / task creation frames on the stack.
pub const SPAWN_MIN_SHARE: f64 = 0.15;
/// How many callers or functions an evidence list names.
pub(crate) const EVIDENCE_ITEMS: usize = 5;

/// The kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// One function dominates self time.
    SingleHotspot,
    /// No function stands out.
    DistributedCost,
    /// Much time in a task runtime or work-stealing pool.
    FrameworkOverhead,
    /// Much time taking, releasing or waiting for locks.
    LockContention,
    /// Much time in the allocator.
    ExcessiveAllocation,
    /// Much time copying memory.
    MemoryCopy,
    /// Most time in the kernel.
    KernelDominated,
    /// Much time creating threads or tasks.
    SmallTaskOverhead,
    /// Much time formatting strings.
    StringFormatting,
    /// Much time (de)serializing.
    Serialization,
    /// Several hot functions spend most of their time in one helper inlined into each.
    SharedInlinedHelper,
    /// Heap profiles: bytes still allocated at exit.
    MemoryLeak,
    /// Heap profiles: many allocations freed right after they are made.
    TemporaryAllocations,
    /// Heap profiles: one site holds most of the peak heap.
    PeakDominated,
    /// Heap profiles: the heap keeps growing through the run.
    MemoryGrowth,
    /// The run changes what it does over time (start-up, then the work...).
    Phases,
}

impl FindingKind {
    /// The name used in JSON and text.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::SingleHotspot => "single_hotspot",
            FindingKind::DistributedCost => "distributed_cost",
            FindingKind::FrameworkOverhead => "framework_overhead",
            FindingKind::LockContention => "lock_contention",
            FindingKind::ExcessiveAllocation => "excessive_allocation",
            FindingKind::MemoryCopy => "memory_copy",
            FindingKind::KernelDominated => "kernel_dominated",
            FindingKind::SmallTaskOverhead => "small_task_overhead",
            FindingKind::StringFormatting => "string_formatting",
            FindingKind::Serialization => "serialization",
            FindingKind::SharedInlinedHelper => "shared_inlined_helper",
            FindingKind::MemoryLeak => "memory_leak",
            FindingKind::TemporaryAllocations => "temporary_allocations",
            FindingKind::PeakDominated => "peak_dominated",
            FindingKind::MemoryGrowth => "memory_growth",
            FindingKind::Phases => "phases",
        }
    }
}

/// One item of evidence: something and its share of the busy time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What: a function, a caller, a file:line, a category.
    pub what: String,
    /// Its share of the busy (non-idle) weight, 0-1.
    pub share: f64,
}

/// A pattern found in the profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The kind of pattern.
    pub kind: FindingKind,
    /// How strongly it holds, 0-1; findings are sorted by it.
    pub score: f64,
    /// One line with the numbers.
    pub summary: String,
    /// The functions involved.
    pub functions: Vec<String>,
    /// The shares that triggered it.
    pub evidence: Vec<Evidence>,
    /// What to try.
    pub advice: Vec<String>,
    /// What the user can supply or do to follow the advice (a front end words it: the CLI
    /// names its flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
}
