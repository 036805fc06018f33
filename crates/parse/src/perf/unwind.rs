//! DWARF unwinding of `--call-graph dwarf` samples with framehop, from each binary's
//! `.eh_frame` / `.debug_frame`.

use std::collections::HashMap;
use std::ops::{Deref, Range};
use std::sync::Arc;

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::{ExplicitModuleSectionInfo, FrameAddress, Module, Unwinder};
use object::{Object, ObjectSection, ObjectSegment};
use profview_files::{map_file, SymbolPaths};
use profview_model::ModuleId;

/// Section bytes shared between every process that maps the module.
#[derive(Debug, Clone)]
pub struct SectionData(Arc<[u8]>);

impl Default for SectionData {
    fn default() -> Self {
        Self(Arc::from(&[][..]))
    }
}

impl Deref for SectionData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

/// Unwind tables of one binary, loaded once and added to every process that maps it.
#[derive(Debug, Clone)]
struct ModuleTables {
    info_base_svma: u64,
    text_svma: Option<Range<u64>>,
    text: Option<SectionData>,
    eh_frame_svma: Option<Range<u64>>,
    eh_frame: Option<SectionData>,
    eh_frame_hdr_svma: Option<Range<u64>>,
    eh_frame_hdr: Option<SectionData>,
    debug_frame: Option<SectionData>,
    got_svma: Option<Range<u64>>,
    /// The binary's loadable segments: (file offset range, vaddr, executable).
    segments: Vec<(Range<u64>, u64, bool)>,
}

/// Per-process unwinders and the shared caches.
pub struct Unwinding {
    tables: HashMap<ModuleId, Option<ModuleTables>>,
    cache: CacheX86_64,
}

impl std::fmt::Debug for Unwinding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unwinding")
            .field("modules", &self.tables.len())
            .finish_non_exhaustive()
    }
}

/// A process's unwinder.
pub type ProcessUnwinder = UnwinderX86_64<SectionData>;

/// Why a user stack could not be walked to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnwindEnd {
    /// Reached the outermost frame.
    Complete,
    /// Stopped early: frames found so far are kept.
    Truncated,
}

impl Unwinding {
    /// No tables loaded yet.
    pub fn new() -> Self {
        Self {
            tables: HashMap::new(),
            cache: CacheX86_64::new(),
        }
    }

    /// Add the module mapped at `start..end` (file offset `pgoff`) to `unwinder`, loading its
    /// tables the first time. Returns false when the binary cannot be found.
    #[allow(clippy::too_many_arguments)]
    pub fn add_mapping(
        &mut self,
        unwinder: &mut ProcessUnwinder,
        module: ModuleId,
        path: &str,
        build_id: Option<&[u8]>,
        paths: &SymbolPaths,
        range: Range<u64>,
        pgoff: u64,
    ) -> bool {
        let tables = self
            .tables
            .entry(module)
            .or_insert_with(|| load_tables(path, build_id, paths));
        let Some(tables) = tables else {
            return false;
        };
        let Some(svma_at_start) = svma_at_mapping_start(&tables.segments, pgoff) else {
            return false;
        };
        let bias = range.start.wrapping_sub(svma_at_start);
        let base_avma = tables.info_base_svma.wrapping_add(bias);
        let info = ExplicitModuleSectionInfo {
            base_svma: tables.info_base_svma,
            text_svma: tables.text_svma.clone(),
            text: tables.text.clone(),
            got_svma: tables.got_svma.clone(),
            eh_frame_svma: tables.eh_frame_svma.clone(),
            eh_frame: tables.eh_frame.clone(),
            eh_frame_hdr_svma: tables.eh_frame_hdr_svma.clone(),
            eh_frame_hdr: tables.eh_frame_hdr.clone(),
            debug_frame: tables.debug_frame.clone(),
            ..Default::default()
        };
        unwinder.add_module(Module::new(path.to_owned(), range, base_avma, info));
        true
    }

    /// Walk the copied user stack. `on_frame(address, is_return_address)` gets each frame,
    /// the sampled IP first.
    pub fn unwind(
        &mut self,
        unwinder: &ProcessUnwinder,
        regs: (u64, u64, u64),
        stack: &[u8],
        on_frame: impl FnMut(u64, bool),
    ) -> UnwindEnd {
        unwind_with(unwinder, &mut self.cache, regs, stack, on_frame)
    }
}

/// Unwind one user stack: `regs` are the sampled IP, SP and BP, `stack` the bytes copied from
/// SP up. `cache` only saves work (each thread that unwinds keeps its own).
pub fn unwind_with(
    unwinder: &ProcessUnwinder,
    cache: &mut CacheX86_64,
    regs: (u64, u64, u64),
    stack: &[u8],
    mut on_frame: impl FnMut(u64, bool),
) -> UnwindEnd {
    let (ip, sp, bp) = regs;
    let mut read_stack = |addr: u64| -> Result<u64, ()> {
        let offset = usize::try_from(addr.checked_sub(sp).ok_or(())?).map_err(|_| ())?;
        let bytes = stack
            .get(offset..offset.checked_add(8).ok_or(())?)
            .ok_or(())?;
        Ok(u64::from_le_bytes(bytes.try_into().map_err(|_| ())?))
    };
    let mut frames = unwinder.iter_frames(
        ip,
        UnwindRegsX86_64::new(ip, sp, bp),
        cache,
        &mut read_stack,
    );
    for _ in 0..MAX_UNWIND_FRAMES {
        match frames.next() {
            Ok(Some(FrameAddress::InstructionPointer(a))) => on_frame(a, false),
            Ok(Some(FrameAddress::ReturnAddress(a))) => on_frame(a.get(), true),
            Ok(None) => return UnwindEnd::Complete,
            Err(_) => return UnwindEnd::Truncated,
        }
    }
    UnwindEnd::Truncated
}

fn svma_at_mapping_start(segments: &[(Range<u64>, u64, bool)], pgoff: u64) -> Option<u64> {
    const PAGE: u64 = 4096;
    let holds = |file: &Range<u64>| (file.start & !(PAGE - 1)) <= pgoff && pgoff < file.end;
    segments
        .iter()
        .find(|(file, _, exec)| *exec && holds(file))
        .or_else(|| segments.iter().find(|(file, _, _)| holds(file)))
        .map(|(file, vaddr, _)| (vaddr + pgoff).wrapping_sub(file.start))
}

/// Deepest user stack walked.
const MAX_UNWIND_FRAMES: usize = 4096;

fn load_tables(path: &str, build_id: Option<&[u8]>, paths: &SymbolPaths) -> Option<ModuleTables> {
    let files = paths.locate(path, build_id);
    let binary = files.binary?;
    let data = map_file(&binary).ok()?;
    let file = object::File::parse(&data[..]).ok()?;
    let section = |name: &str| -> (Option<Range<u64>>, Option<SectionData>) {
        let Some(s) = file.section_by_name(name) else {
            return (None, None);
        };
        let svma = s.address()..s.address() + s.size();
        let bytes = s
            .uncompressed_data()
            .ok()
            .map(|d| SectionData(Arc::from(&*d)));
        (Some(svma), bytes)
    };
    let (text_svma, text) = section(".text");
    let (eh_frame_svma, eh_frame) = section(".eh_frame");
    let (eh_frame_hdr_svma, eh_frame_hdr) = section(".eh_frame_hdr");
    let (_, debug_frame) = section(".debug_frame");
    let (got_svma, _) = section(".got");
    let segments = file
        .segments()
        .map(|s| {
            let (offset, size) = s.file_range();
            let exec = profview_files::is_executable(s.flags());
            (offset..offset + size.max(1), s.address(), exec)
        })
        .collect();
    let info_base_svma = file.segments().map(|s| s.address()).min().unwrap_or(0);
    Some(ModuleTables {
        info_base_svma,
        text_svma,
        text,
        eh_frame_svma,
        eh_frame,
        eh_frame_hdr_svma,
        eh_frame_hdr,
        debug_frame,
        got_svma,
        segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapping_start_uses_the_executable_segment_sharing_the_page() {
        // inline_generics: R segment [0, 0x1462c) at 0; R E segment at offset 0x14630, vaddr 0x15630.
        let segments = vec![(0..0x1462c, 0, false), (0x14630..0x57c10, 0x15630, true)];
        assert_eq!(svma_at_mapping_start(&segments, 0x14000), Some(0x15000));
        // C binaries: offsets equal addresses.
        let segments = vec![(0..0x600, 0, false), (0x1000..0x2000, 0x1000, true)];
        assert_eq!(svma_at_mapping_start(&segments, 0x1000), Some(0x1000));
    }
}
