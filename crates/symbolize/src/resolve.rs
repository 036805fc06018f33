//! Resolving the addresses of one module: file offsets → SVMAs → symbol names, inlined
//! frames and source lines.

use std::collections::{HashMap, VecDeque};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};

use object::Object;

use crate::symtab::{file_offset_to_svma, SymbolTable};
use memmap2::Mmap;
use profview_demangle::demangle;
use profview_files::{map_file, ModuleFiles, SymbolPaths};

/// One level of a resolved address: a function, with the source position inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymFrame {
    /// Demangled function name.
    pub name: String,
    /// Source file, when DWARF has one.
    pub file: Option<String>,
    /// Source line, when DWARF has one.
    pub line: Option<u32>,
}

/// What to resolve in one module.
#[derive(Debug, Clone)]
pub struct ModuleJob {
    /// Path recorded for the module.
    pub path: String,
    /// Build-id recorded for the module.
    pub build_id: Option<Vec<u8>>,
    /// Sorted, unique file offsets to look up (return addresses already minus one).
    pub offsets: Vec<u64>,
    /// The offsets are relative to the image base (Firefox / samply), not file offsets.
    pub relative: bool,
}

/// The result for one module.
#[derive(Debug, Default)]
pub struct ModuleOutcome {
    /// Frames per file offset, outermost (the real function) first, innermost inlined last.
    pub frames: HashMap<u64, Vec<SymFrame>>,
    /// The files used and rejected.
    pub files: ModuleFiles,
    /// Why nothing could be resolved, when that is the case.
    pub problem: Option<String>,
    /// How many unique offsets were looked up.
    pub looked_up: usize,
}

/// Resolve every offset of `job`.
pub fn resolve_module(job: &ModuleJob, paths: &SymbolPaths, inline: bool) -> ModuleOutcome {
    PreparedModule::open(&job.path, job.build_id.as_deref(), paths, inline).resolve(job)
}

/// A module's files found, mapped and read (symbol table, DWARF sections) ahead of its
/// lookups: the costly part of symbolizing a module, independent of which addresses are
/// looked up, so it can run while the profile is still being read ([`PendingModule`]).
#[derive(Debug)]
pub struct PreparedModule {
    inline: bool,
    files: ModuleFiles,
    opened: Result<Opened, String>,
}

/// What a module's lookups read.
struct Opened {
    symbol_path: std::path::PathBuf,
    layout_data: Mmap,
    symtab: SymbolTable,
    dwarf: Option<addr2line::Loader>,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Opened")
            .field("symbol_path", &self.symbol_path)
            .field("dwarf", &self.dwarf.is_some())
            .finish_non_exhaustive()
    }
}

impl PreparedModule {
    /// Find and read the files of the module recorded at `path` with `build_id`.
    pub fn open(path: &str, build_id: Option<&[u8]>, paths: &SymbolPaths, inline: bool) -> Self {
        let files = paths.locate(path, build_id);
        let opened = open_files(&files, inline);
        Self {
            inline,
            files,
            opened,
        }
    }

    /// Resolve every offset of `job`.
    pub fn resolve(self, job: &ModuleJob) -> ModuleOutcome {
        let mut outcome = ModuleOutcome {
            looked_up: job.offsets.len(),
            files: self.files,
            ..ModuleOutcome::default()
        };
        let opened = match self.opened {
            Ok(opened) => opened,
            Err(problem) => {
                outcome.problem = Some(problem);
                return outcome;
            }
        };
        let Ok(layout) = object::File::parse(&opened.layout_data[..]) else {
            let path = opened.symbol_path.display();
            outcome.problem = Some(format!("{path} is not a valid ELF file"));
            return outcome;
        };
        let base = image_base(&layout);
        for &offset in &job.offsets {
            let svma = if job.relative {
                offset.checked_add(base)
            } else {
                file_offset_to_svma(&layout, offset)
            };
            let Some(svma) = svma else {
                continue;
            };
            let frames = lookup(svma, &opened.symtab, opened.dwarf.as_ref(), self.inline);
            if !frames.is_empty() {
                outcome.frames.insert(offset, frames);
            }
        }
        if outcome.frames.is_empty() && !job.offsets.is_empty() {
            outcome.problem = Some(format!(
                "{} has no symbol for these addresses",
                opened.symbol_path.display()
            ));
        }
        outcome
    }
}

/// A module being read ahead on another thread ([`PendingModule::start`]): symbolizing waits
/// for it only when it comes to that module, and looks up the modules that are ready first.
#[derive(Debug)]
pub struct PendingModule {
    key: (String, Option<Vec<u8>>),
    inline: bool,
    done: Receiver<PreparedModule>,
}

impl PendingModule {
    /// Read `modules` (recorded path, build-id) on threads of their own, at most one a core,
    /// while the caller goes on (reading the profile). The threads end when the modules are
    /// read, whether or not anyone waits for them.
    pub fn start(
        modules: Vec<(String, Option<Vec<u8>>)>,
        paths: &Arc<SymbolPaths>,
        inline: bool,
    ) -> Vec<Self> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut pending = Vec::new();
        let mut queue = VecDeque::new();
        for key in modules {
            let (tx, done) = std::sync::mpsc::channel();
            queue.push_back((key.clone(), tx));
            pending.push(Self { key, inline, done });
        }
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..threads.min(pending.len()) {
            let (queue, paths) = (Arc::clone(&queue), Arc::clone(paths));
            let next = move || queue.lock().ok().and_then(|mut q| q.pop_front());
            let spawned = std::thread::Builder::new()
                .name("profview-symbols".to_owned())
                .spawn(move || {
                    while let Some(((path, build_id), tx)) = next() {
                        let _ = tx.send(PreparedModule::open(
                            &path,
                            build_id.as_deref(),
                            &paths,
                            inline,
                        ));
                    }
                });
            // Without a thread the senders drop, and `wait` opens the modules itself.
            drop(spawned);
        }
        pending
    }

    /// Whether this is the module `job` names, read for lookups with or without inlining.
    pub fn is_for(&self, job: &ModuleJob, inline: bool) -> bool {
        self.inline == inline && self.key.0 == job.path && self.key.1 == job.build_id
    }

    /// The module, once read; `None` if its thread could not read it (it panicked, or none
    /// could be started).
    pub fn wait(self) -> Option<PreparedModule> {
        self.done.recv().ok()
    }
}

/// Map a module's files and read its symbol table and (for inlined frames, or when there is
/// no symbol table) its DWARF; `Err` says why nothing can be resolved.
fn open_files(files: &ModuleFiles, inline: bool) -> Result<Opened, String> {
    let symbol_path = files
        .symbol_file()
        .map(ToOwned::to_owned)
        .ok_or_else(|| "no binary or debug file found".to_owned())?;
    // Offsets are translated through the binary's program headers (a debug file has the same
    // layout, so it serves when the binary is missing).
    let layout_path = files.binary.clone().unwrap_or_else(|| symbol_path.clone());
    let (Ok(layout_data), Ok(symbol_data)) = (map_file(&layout_path), map_file(&symbol_path))
    else {
        return Err(format!("cannot read {}", symbol_path.display()));
    };
    let (Ok(layout), Ok(symbols_file)) = (
        object::File::parse(&layout_data[..]),
        object::File::parse(&symbol_data[..]),
    ) else {
        return Err(format!("{} is not a valid ELF file", symbol_path.display()));
    };
    let symtab = SymbolTable::from_object(&symbols_file, &layout);
    // Without inlining the symbol table names every frame (as perf report does), so the cost
    // of loading DWARF (decompressing a debug file's sections) is only paid for inline frames.
    let has_dwarf = symbols_file.section_by_name(".debug_info").is_some();
    let wants_dwarf = has_dwarf && (inline || symtab.is_empty());
    // A damaged file keeps its symbol-table names; only its DWARF is passed over.
    let dwarf = if wants_dwarf && !has_implausible_compressed_section(&symbols_file) {
        addr2line::Loader::new(&symbol_path).ok()
    } else {
        None
    };
    Ok(Opened {
        symbol_path,
        layout_data,
        symtab,
        dwarf,
    })
}

/// The most a compressed section may claim to grow to, as a multiple of its compressed size:
/// real debug sections compress 3-10 times; a claim far beyond that would only make the DWARF
/// reader allocate it (object allocates the claimed size before decompressing).
const MAX_COMPRESSION_RATIO: u64 = 4096;
const MAX_UNCOMPRESSED: u64 = 4 << 30;

/// Whether a compressed section claims an uncompressed size that is not believable.
fn has_implausible_compressed_section(file: &object::File<'_>) -> bool {
    use object::ObjectSection;
    file.sections().any(|section| {
        section.compressed_data().is_ok_and(|compressed| {
            let claimed = compressed.uncompressed_size;
            let packed = compressed.data.len() as u64;
            claimed > MAX_UNCOMPRESSED
                || claimed > packed.saturating_mul(MAX_COMPRESSION_RATIO).max(4096)
        })
    })
}

/// The frames at `svma`, outermost first.
///
/// The outermost frame, the function that holds the code, is named from the symbol table
/// when it has the address: the name `perf report` shows (`unlink_chunk.constprop.0`,
/// `__libc_start_main@@GLIBC_2.34`, full Rust paths where `line-tables-only` DWARF has bare
/// names). With inlining, the inlined frames inside it are named from DWARF; the symbol table
/// alone names frames DWARF does not cover.
fn lookup(
    svma: u64,
    symtab: &SymbolTable,
    dwarf: Option<&addr2line::Loader>,
    inline: bool,
) -> Vec<SymFrame> {
    let mut frames = dwarf.map(|d| dwarf_frames(d, svma)).unwrap_or_default();
    if let Some(name) = symtab.lookup(svma) {
        match frames.first_mut() {
            // The function that holds the code is named as perf report's Symbol column names
            // it, whether inlined frames are expanded or not.
            Some(outer) => outer.name = demangle(name),
            None => frames.push(SymFrame {
                name: demangle(name),
                file: None,
                line: None,
            }),
        }
    }
    if !inline && frames.len() > 1 {
        // The outer function, at the source position of the innermost code.
        let innermost = frames.pop().expect("len > 1");
        frames.truncate(1);
        frames[0].file = innermost.file;
        frames[0].line = innermost.line;
    }
    frames
}

/// DWARF frames at `svma`, outermost first. Each frame's file:line is where execution is
/// inside that function: the innermost frame's own location, and for outer frames the call
/// site of the next inner one.
fn dwarf_frames(dwarf: &addr2line::Loader, svma: u64) -> Vec<SymFrame> {
    let mut out = Vec::new();
    let Ok(mut iter) = dwarf.find_frames(svma) else {
        return out;
    };
    while let Ok(Some(frame)) = iter.next() {
        let Some(function) = frame.function.as_ref() else {
            continue;
        };
        let Ok(raw) = function.raw_name() else {
            continue;
        };
        let location = frame.location.as_ref();
        out.push(SymFrame {
            name: demangle(&raw),
            file: location.and_then(|l| l.file).map(str::to_owned),
            line: location.and_then(|l| l.line),
        });
    }
    out.reverse();
    out
}

/// The address that Firefox-profile "relative addresses" count from: that of the segment
/// mapping the start of the file (0 for position-independent ELF, 0x400000 for a classic
/// executable).
pub(crate) fn image_base(file: &object::File<'_>) -> u64 {
    use object::{Object, ObjectSegment};
    file.segments()
        .find(|seg| seg.file_range().0 == 0)
        .map_or(0, |seg| seg.address())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module read ahead on another thread resolves exactly as one opened when needed; a
    /// module that cannot be found says so either way.
    #[test]
    fn a_module_read_ahead_resolves_as_one_opened_when_needed() {
        let exe = std::env::current_exe().unwrap();
        let path = exe.to_str().unwrap().to_owned();
        let paths = Arc::new(SymbolPaths::only(Vec::new()));
        let offsets: Vec<u64> = (0x1000..0x400000).step_by(0x1357).collect();
        let job = |path: &str| ModuleJob {
            path: path.to_owned(),
            build_id: None,
            offsets: offsets.clone(),
            relative: false,
        };
        let missing = "/nonexistent/profview-test-module".to_owned();
        let modules = vec![(path.clone(), None), (missing.clone(), None)];
        for inline in [true, false] {
            let pending = PendingModule::start(modules.clone(), &paths, inline);
            for (p, name) in pending.into_iter().zip([&path, &missing]) {
                assert!(p.is_for(&job(name), inline) && !p.is_for(&job(name), !inline));
                let ahead = p.wait().unwrap().resolve(&job(name));
                let now = resolve_module(&job(name), &paths, inline);
                assert_eq!(ahead.frames, now.frames);
                assert_eq!(ahead.problem, now.problem);
                assert_eq!(ahead.looked_up, now.looked_up);
            }
        }
        let now = resolve_module(&job(&path), &paths, true);
        assert!(now.frames.len() > 10, "the test binary names its own code");
    }
}
