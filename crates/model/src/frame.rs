//! Modules, functions and frames.

use serde::Serialize;

use crate::{FunctionId, ModuleId, StringId};

/// A binary or shared library that code addresses point into.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Module {
    /// Path as recorded (`/usr/lib/x86_64-linux-gnu/libc.so.6`, `[kernel.kallsyms]`).
    pub path: StringId,
    /// GNU build-id bytes, when the recording gave one.
    pub build_id: Option<Vec<u8>>,
    /// Address range the module was mapped at, when known (runtime addresses).
    pub address_range: Option<(u64, u64)>,
    /// Frame addresses in this module are relative to its image base (Firefox / samply
    /// profiles: the address minus the first segment's address), not file offsets (perf).
    pub relative_addresses: bool,
}

/// A function: a name within an optional module.
///
/// Two frames of the same function (different addresses, lines or inline depths) share one
/// `FunctionId`, which is what "top functions" aggregates by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Function {
    /// Demangled name.
    pub name: StringId,
    /// Module that holds the function, when known.
    pub module: Option<ModuleId>,
}

/// Where a frame's code runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FrameKind {
    /// User-space code (the default).
    #[default]
    User,
    /// Kernel code (`[k]` in perf, `_[k]` in inferno's folded stacks).
    Kernel,
    /// JIT-compiled code (`_[j]`).
    Jit,
}

/// A code address, with the instruction pointer of the sampled frame kept apart from the
/// return addresses of its callers.
///
/// A return address points after the call instruction; symbolization looks up
/// [`CodeAddress::lookup_address`], one byte before it, so that it lands inside the call (this
/// matters for inlined calls and for calls to `noreturn` functions at the end of a function).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeAddress {
    /// The sampled instruction pointer (the leaf frame).
    InstructionPointer(u64),
    /// A return address found by unwinding (every caller frame).
    ReturnAddress(u64),
}

impl CodeAddress {
    /// The address as recorded.
    pub fn raw(self) -> u64 {
        match self {
            Self::InstructionPointer(a) | Self::ReturnAddress(a) => a,
        }
    }

    /// The address to symbolize: return addresses minus one.
    pub fn lookup_address(self) -> u64 {
        match self {
            Self::InstructionPointer(a) => a,
            Self::ReturnAddress(a) => a.saturating_sub(1),
        }
    }
}

/// A frame whose function is not known yet (or could not be found).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UnresolvedFrame {
    /// The module the address falls in, when known.
    pub module: Option<ModuleId>,
    /// Module-relative address (or absolute when `module` is `None`).
    pub address: CodeAddress,
    /// User, kernel or JIT.
    pub kind: FrameKind,
}

/// A frame with a known function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ResolvedFrame {
    /// The function this frame executes.
    pub function: FunctionId,
    /// Source file, when debug info gave one.
    pub file: Option<StringId>,
    /// Source line, when debug info gave one.
    pub line: Option<u32>,
    /// 0 for a real (outer) function; 1, 2, ... for functions inlined into it, innermost
    /// highest. Folded stacks mark inlined frames but not their depth: those get 1.
    pub inline_depth: u16,
    /// User, kernel or JIT.
    pub kind: FrameKind,
    /// The module-relative address this frame was resolved from, when it came from one.
    pub address: Option<CodeAddress>,
}

/// One entry of a call stack.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frame {
    /// Module + address, no name yet.
    Unresolved(UnresolvedFrame),
    /// A named function, with source location where known.
    Resolved(ResolvedFrame),
}

impl Frame {
    /// User, kernel or JIT.
    pub fn kind(&self) -> FrameKind {
        match self {
            Self::Unresolved(f) => f.kind,
            Self::Resolved(f) => f.kind,
        }
    }

    /// True for a frame inlined into its caller.
    pub fn is_inlined(&self) -> bool {
        matches!(self, Self::Resolved(f) if f.inline_depth > 0)
    }

    /// The function, for a resolved frame.
    pub fn function(&self) -> Option<FunctionId> {
        match self {
            Self::Resolved(f) => Some(f.function),
            Self::Unresolved(_) => None,
        }
    }
}
