//! profview's symbolizer: resolves [`profview_model::Frame::Unresolved`] frames (module + file
//! offset) into functions with file and line, and kernel addresses into kernel symbols.
//!
//! - Files are found by build-id first ([`SymbolPaths`]: `--symbol-path` directories, perf's
//!   `~/.debug` cache, `/usr/lib/debug/.build-id`), then by the recorded path when its build-id
//!   matches, then by `.gnu_debuglink`. A file whose build-id differs is never used, and is
//!   reported.
//! - Names come from the ELF symbol table (the name `perf report` shows), inlined frames and
//!   file:line from DWARF (addr2line), demangled without hashes or parameter lists.
//! - Only unique (module, address) pairs are looked up, each module's files are opened once and
//!   only when the module has samples, and modules are spread over threads with rayon.
//!
//! The crate never prints: what could not be resolved is counted in the profile's warnings.

#![warn(missing_docs)]

mod disasm;
mod inspect;
mod kallsyms;
mod resolve;
mod symtab;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, Hint, ModuleId, Profile, ResolvedFrame,
    WarningKind,
};
use rayon::prelude::*;

pub use disasm::{disassemble, DisasmError, Disassembly, Instruction};
pub use inspect::{
    find_library, inspect_binary, BinaryFacts, InspectError, FRAME_POINTER_MIN_SHARE,
};
pub use kallsyms::{running_kernel_build_id, KernelSymbols};
use profview_demangle::demangle;
use profview_files::map_file;
pub use profview_files::SymbolPaths;
pub use resolve::{
    resolve_module, ModuleJob, ModuleOutcome, PendingModule, PreparedModule, SymFrame,
};

/// A symbolization input that cannot be used at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SymbolizeError {
    /// A file named by the user cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A `--kallsyms` file holds no text symbol.
    #[error("{}: no kernel text symbols found (expected /proc/kallsyms lines: `ffffffff81000000 T _text`)", path.display())]
    BadKallsyms {
        /// The file.
        path: PathBuf,
    },
}

/// How to symbolize.
#[derive(Debug)]
#[non_exhaustive]
pub struct SymbolizeOptions {
    /// Where to look for binaries and debug files.
    pub symbol_paths: std::sync::Arc<SymbolPaths>,
    /// Kernel symbols, when available.
    pub kernel: Option<KernelSymbols>,
    /// Expand inlined frames (default). Off: only the outer function, as perf report's Symbol
    /// column shows.
    pub inline: bool,
    /// Modules being read ahead ([`PendingModule::start`], while the profile was read): each
    /// is waited for and used for the module it is for (same path, build-id and `inline`);
    /// the others are opened here.
    pub prepared: std::sync::Mutex<Vec<PendingModule>>,
}

impl SymbolizeOptions {
    /// Symbolize with `symbol_paths`, no kernel symbols, inlined frames on.
    pub fn new(symbol_paths: std::sync::Arc<SymbolPaths>) -> Self {
        Self {
            symbol_paths,
            kernel: None,
            inline: true,
            prepared: std::sync::Mutex::default(),
        }
    }
}

/// Counts of what was resolved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SymbolizeStats {
    /// Unique (module, address) pairs looked up.
    pub unique_addresses: usize,
    /// Of those, how many got a name.
    pub resolved_addresses: usize,
}

/// Resolve every unresolved frame of `profile` that can be resolved, and rebuild its stacks
/// with one frame per inline level. Frames that stay unresolved keep module and offset and are
/// counted in a warning per module.
pub fn symbolize(profile: &mut Profile, options: &SymbolizeOptions) -> SymbolizeStats {
    profile.meta.symbolized = true;
    let (user_jobs, kernel_frames) = collect_jobs(profile);
    let mut ready = options
        .prepared
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    let user_jobs: Vec<_> = user_jobs
        .into_iter()
        .map(|(module, job)| {
            let found = ready.iter().position(|p| p.is_for(&job, options.inline));
            (module, job, found.map(|i| ready.swap_remove(i)))
        })
        .collect();
    let outcomes: Vec<(ModuleId, ModuleOutcome)> = user_jobs
        .into_par_iter()
        .map(|(module, job, pending)| {
            let prepared = pending.and_then(PendingModule::wait).unwrap_or_else(|| {
                let build_id = job.build_id.as_deref();
                PreparedModule::open(&job.path, build_id, &options.symbol_paths, options.inline)
            });
            (module, prepared.resolve(&job))
        })
        .collect();
    let mut stats = SymbolizeStats::default();
    for (module, outcome) in &outcomes {
        report_module(profile, *module, outcome, &mut stats);
    }
    let by_module: HashMap<ModuleId, &ModuleOutcome> =
        outcomes.iter().map(|(m, o)| (*m, o)).collect();
    let original_frames = profile.frames().len();
    let mut replacement: Vec<Option<Vec<FrameId>>> = vec![None; original_frames];
    for (i, slot) in replacement.iter_mut().enumerate() {
        let Frame::Unresolved(f) = *profile.frame(FrameId::from_index(i)) else {
            continue;
        };
        let Some(module) = f.module.filter(|_| f.kind != FrameKind::Kernel) else {
            continue;
        };
        let found = by_module
            .get(&module)
            .and_then(|o| o.frames.get(&f.address.lookup_address()));
        if let Some(frames) = found {
            *slot = Some(intern_frames(
                profile,
                Some(module),
                f.kind,
                f.address,
                frames,
            ));
        }
    }
    apply_kernel(
        profile,
        &kernel_frames,
        options.kernel.as_ref(),
        &mut replacement,
        &mut stats,
    );
    profile.expand_frames(&replacement);
    stats
}

type UserJobs = Vec<(ModuleId, ModuleJob)>;

/// Unique offsets per user module, and the kernel frames.
fn collect_jobs(profile: &Profile) -> (UserJobs, Vec<FrameId>) {
    let mut offsets: BTreeMap<ModuleId, Vec<u64>> = BTreeMap::new();
    let mut kernel = Vec::new();
    for (i, frame) in profile.frames().iter().enumerate() {
        let Frame::Unresolved(f) = frame else {
            continue;
        };
        if f.kind == FrameKind::Kernel {
            kernel.push(FrameId::from_index(i));
        } else if let Some(m) = f.module {
            offsets
                .entry(m)
                .or_default()
                .push(f.address.lookup_address());
        }
    }
    let jobs = offsets
        .into_iter()
        .map(|(m, mut offs)| {
            offs.sort_unstable();
            offs.dedup();
            let module = profile.module(m);
            let job = ModuleJob {
                path: profile.string(module.path).to_owned(),
                build_id: module.build_id.clone(),
                offsets: offs,
                relative: module.relative_addresses,
            };
            (m, job)
        })
        .collect();
    (jobs, kernel)
}

/// Count what was resolved in `module` and warn about what was not.
fn report_module(
    profile: &mut Profile,
    module: ModuleId,
    outcome: &ModuleOutcome,
    stats: &mut SymbolizeStats,
) {
    let name = profile.module_name(module).to_owned();
    for r in &outcome.files.rejected {
        let id = r.build_id.clone().unwrap_or_else(|| "none".to_owned());
        profile.meta.warnings.add(WarningKind::Mismatch, || {
            format!(
                "{name}: ignored {} because its build-id ({id}) differs from the recorded one",
                r.path.display()
            )
        });
    }
    stats.unique_addresses += outcome.looked_up;
    stats.resolved_addresses += outcome.frames.len();
    let unresolved = (outcome.looked_up - outcome.frames.len()) as u64;
    if unresolved > 0 {
        let why = outcome
            .problem
            .clone()
            .unwrap_or_else(|| "no symbol covers them".to_owned());
        // The vDSO is the kernel's image: no package has it, perf's build-id cache does.
        let vdso = name == "[vdso]";
        let hint = Some(if vdso {
            Hint::BuildIdCache
        } else {
            Hint::Binary
        });
        profile.meta.warnings.add_hinted(WarningKind::UnresolvedFrames, unresolved, hint, || {
            if vdso {
                format!("{name}: addresses could not be symbolized: the recording's vDSO image was not found (perf record keeps it in ~/.debug/[vdso]/BUILDID/vdso)")
            } else {
                format!("{name}: addresses could not be symbolized ({why}); install the module's debug package, or supply the binary")
            }
        });
    }
}

fn apply_kernel(
    profile: &mut Profile,
    frames: &[FrameId],
    kernel: Option<&KernelSymbols>,
    replacement: &mut [Option<Vec<FrameId>>],
    stats: &mut SymbolizeStats,
) {
    let mut unresolved = 0u64;
    let reloc = profile.meta.kernel_reloc.clone();
    let shift = match (kernel, &reloc) {
        (Some(k), Some((name, at))) => k.shift_from((name, *at)),
        _ => 0,
    };
    for &id in frames {
        let Frame::Unresolved(f) = *profile.frame(id) else {
            continue;
        };
        stats.unique_addresses += 1;
        let listed = f.address.lookup_address().wrapping_add(shift);
        match kernel.and_then(|k| k.lookup(listed)) {
            Some(name) => {
                stats.resolved_addresses += 1;
                let frame = SymFrame {
                    name: name.to_owned(),
                    file: None,
                    line: None,
                };
                let ids = intern_frames(profile, f.module, FrameKind::Kernel, f.address, &[frame]);
                replacement[id.index()] = Some(ids);
            }
            None => unresolved += 1,
        }
    }
    if unresolved > 0 {
        profile.meta.warnings.add_hinted(
            WarningKind::UnresolvedFrames,
            unresolved,
            Some(Hint::Kallsyms),
            || "kernel addresses could not be symbolized: the kernel's symbol table of the recording machine is needed".to_owned(),
        );
    }
}

fn intern_frames(
    profile: &mut Profile,
    module: Option<ModuleId>,
    kind: FrameKind,
    address: CodeAddress,
    frames: &[SymFrame],
) -> Vec<FrameId> {
    frames
        .iter()
        .enumerate()
        .map(|(depth, f)| {
            let name = profile.intern_string(&f.name);
            let function = profile.intern_function(Function { name, module });
            let file = f.file.as_deref().map(|p| profile.intern_string(p));
            profile.intern_frame(Frame::Resolved(ResolvedFrame {
                function,
                file,
                line: f.line,
                inline_depth: u16::try_from(depth).unwrap_or(u16::MAX),
                kind,
                address: Some(address),
            }))
        })
        .collect()
}

/// How many frames of `profile` are still unresolved.
pub fn unresolved_frame_count(profile: &Profile) -> usize {
    profile
        .frames()
        .iter()
        .filter(|f| matches!(f, Frame::Unresolved(_)))
        .count()
}
