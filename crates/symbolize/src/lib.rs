//! profview's symbolizer: resolves [`profview_model::Frame::Unresolved`] frames (module +
//! address) into functions with file and line, from DWARF, ELF symbol tables and kallsyms.
//!
//! Skeleton: folded stacks arrive already named, so nothing needs resolving yet. perf.data and
//! samply input will fill this crate (build-id lookup, `--symbol-path`, inlined frames,
//! demangling, rayon over unique addresses).

use profview_model::{Frame, Profile};

/// How many frames of `profile` still need symbolizing.
pub fn unresolved_frame_count(profile: &Profile) -> usize {
    profile
        .frames()
        .iter()
        .filter(|f| matches!(f, Frame::Unresolved(_)))
        .count()
}
