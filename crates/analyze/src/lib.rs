//! profview's analyses of a [`profview_model::Profile`]: top functions (self and total), call
//! trees (top-down, bottom-up, caller / callee) with transforms,
//! automatic findings with evidence and advice, and diagnostics about the data.
//!
//! No I/O: the CLI, the TUI and library users all call into this crate and render the results
//! their own way.

#![warn(missing_docs)]

mod analysis;
mod annotate;
mod breakdown;
pub mod category;
mod diagnostics;
pub mod diff;
mod findings;
mod functions;
mod memory;
mod paths;
mod rules;
mod stack_weights;
mod timeline;
pub mod view;

pub use analysis::{Analysis, CategoryShare};
pub use annotate::{annotate, AnnotateError, Annotation, InstructionWeight, LineWeight};
pub use breakdown::Breakdown;
pub use diagnostics::{Diagnostic, DiagnosticKind};
pub use findings::{Evidence, Finding, FindingKind};
pub use functions::{
    FunctionGroups, FunctionStats, GroupIndex, Grouping, InlinedCode, SortBy, TopFunctions,
};
pub use stack_weights::StackWeights;
pub use timeline::{
    Phase, ThreadSeries, Timeline, FINDING_BUCKETS, PHASE_DISTINCT_SHARE, PHASE_FINDING_MIN_WEIGHT,
    PHASE_MIN_BUCKETS, PHASE_MIN_SHARE, TIMELINE_THREADS,
};
pub use view::{
    BottomUp, CallTree, CallerCallee, Explorer, NodeId, Transform, Transforms, UnknownFunction,
    View, WeightedTree,
};

/// The thresholds the findings and diagnostics use (documented in docs/findings.md).
pub mod thresholds {
    pub use crate::diagnostics::{
        FEW_SAMPLES, IDLE_MIN_SHARE, SHALLOW_MIN_SHARE, TRUNCATED_MIN_SHARE, UNRESOLVED_MIN_SHARE,
    };
    pub use crate::findings::{
        ALLOCATION_MIN_SHARE, DISTRIBUTED_MAX_TOP_SHARE, DISTRIBUTED_MIN_FUNCTIONS,
        DISTRIBUTED_MIN_USER_SHARE, FORMATTING_MIN_SHARE, HOTSPOT_MIN_LEAD, HOTSPOT_MIN_OWN_SHARE,
        HOTSPOT_MIN_SHARE, KERNEL_MIN_SHARE, LOCK_MIN_SHARE, MAX_IDLE_SHARE, MEMORY_COPY_MIN_SHARE,
        MIN_SAMPLES, RUNTIME_MIN_SHARE, SERIALIZATION_MIN_SHARE, SPAWN_MIN_SHARE,
    };
    pub use crate::memory::{
        GROWTH_MAX_RETURNS, GROWTH_MIN_RATIO, GROWTH_MIN_RISING_STEPS, LEAK_MIN_BYTES,
        LEAK_MIN_SHARE_OF_PEAK, PEAK_SITE_MIN_SHARE, TEMPORARY_MIN_COUNT, TEMPORARY_MIN_SHARE,
    };
}
