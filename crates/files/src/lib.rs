//! Finding and mapping the files behind a profile, shared by the readers (which unwind with a
//! binary's `.eh_frame`) and the symbolizer (which names code from its symbols and DWARF):
//! [`SymbolPaths`] finds a module's binary and debug file by build-id (`--symbol-path`
//! directories, perf's `~/.debug` cache, `/usr/lib/debug/.build-id`), by the recorded path
//! when its build-id matches, and by `.gnu_debuglink`; the vDSO from perf's cache or this
//! process's own; [`map_file`] maps a file read-only.

#![warn(missing_docs)]

mod hex;
mod locate;
mod mapped;
mod vdso;

pub use hex::hex;
pub use locate::{ModuleFiles, Rejected, SymbolPaths};
pub use mapped::map_file;

/// True for an ELF segment with `PF_X` (code).
pub fn is_executable(flags: object::SegmentFlags) -> bool {
    matches!(flags, object::SegmentFlags::Elf { p_flags, .. } if p_flags.0 & object::elf::PF_X.0 != 0)
}
