//! profview's profile model: what every reader produces and every analysis consumes.
//!
//! A [`Profile`] holds interned strings, modules, functions, frames and a prefix tree of
//! stacks, plus columns of samples `(thread, time, stack, weight kind, weight)`. Every reference
//! is a `u32` id ([`StringId`], [`FrameId`], [`StackId`], ...), so a profile with millions of
//! samples and hundreds of thousands of distinct stacks stays small.
//!
//! Frames are either [`Frame::Unresolved`] (module + address, instruction pointer and return
//! address kept apart) or [`Frame::Resolved`] (function, file, line, inline depth). Readers
//! produce whatever the format gives; the symbolizer turns unresolved frames into resolved ones.
//!
//! This crate does no I/O.

#![warn(missing_docs)]

mod cache;
mod filled;
mod frame;
mod hint;
mod ids;
mod intern;
mod merge;
mod metadata;
mod profile;
mod stack_table;
mod strings;
mod units;

pub use cache::prefetch;
pub use filled::filled;
pub use frame::{CodeAddress, Frame, FrameKind, Function, Module, ResolvedFrame, UnresolvedFrame};
pub use hint::Hint;
pub use ids::{
    FrameId, FunctionId, ModuleId, ProcessId, StackId, StringId, ThreadId, WeightKindId,
};
pub use merge::MergeError;
pub use metadata::{HeapTimeline, Metadata, SourceFormat, Warning, WarningKind, Warnings};
pub use profile::{
    Process, Profile, Sample, SampleTable, Thread, WeightKind, WeightUnit, OFF_CPU_EVENT,
};
pub use stack_table::StackNode;
pub use strings::StringTable;
pub use units::{format_bytes, format_count};
