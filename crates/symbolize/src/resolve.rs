//! Resolving the addresses of one module: file offsets → SVMAs → symbol names, inlined
//! frames and source lines.

use std::collections::HashMap;

use object::Object;

use crate::symtab::{file_offset_to_svma, SymbolTable};
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
    let files = paths.locate(&job.path, job.build_id.as_deref());
    let mut outcome = ModuleOutcome {
        looked_up: job.offsets.len(),
        ..ModuleOutcome::default()
    };
    let Some(symbol_path) = files.symbol_file().map(ToOwned::to_owned) else {
        outcome.problem = Some("no binary or debug file found".to_owned());
        outcome.files = files;
        return outcome;
    };
    // Offsets are translated through the binary's program headers (a debug file has the same
    // layout, so it serves when the binary is missing).
    let layout_path = files.binary.clone().unwrap_or_else(|| symbol_path.clone());
    outcome.files = files;
    let (Ok(layout_data), Ok(symbol_data)) = (map_file(&layout_path), map_file(&symbol_path))
    else {
        outcome.problem = Some(format!("cannot read {}", symbol_path.display()));
        return outcome;
    };
    let (Ok(layout), Ok(symbols_file)) = (
        object::File::parse(&layout_data[..]),
        object::File::parse(&symbol_data[..]),
    ) else {
        outcome.problem = Some(format!("{} is not a valid ELF file", symbol_path.display()));
        return outcome;
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
        let frames = lookup(svma, &symtab, dwarf.as_ref(), inline);
        if !frames.is_empty() {
            outcome.frames.insert(offset, frames);
        }
    }
    if outcome.frames.is_empty() && !job.offsets.is_empty() {
        outcome.problem = Some(format!(
            "{} has no symbol for these addresses",
            symbol_path.display()
        ));
    }
    outcome
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
