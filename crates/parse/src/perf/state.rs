//! Processes, threads and executable mappings over time, from COMM / FORK / MMAP records.

use std::collections::HashMap;

use rustc_hash::FxHashMap;
use std::sync::Arc;

use linux_perf_data::linux_perf_event_reader::{CpuMode, Mmap2FileId, Mmap2Record, MmapRecord};
use linux_perf_data::{DsoInfo, DsoKey};
use profview_files::SymbolPaths;
use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Module, ModuleId, ProcessId, Profile, ThreadId,
    UnresolvedFrame,
};

use super::sample::RawFrame;
use super::unwind::{ProcessUnwinder, UnwindEnd, Unwinding};

/// One MMAP or MMAP2 record, as far as profview cares.
#[derive(Debug)]
pub struct MmapInfo<'a> {
    pub pid: i32,
    pub start: u64,
    pub len: u64,
    pub pgoff: u64,
    pub executable: bool,
    pub cpu_mode: CpuMode,
    pub path: std::borrow::Cow<'a, [u8]>,
    pub build_id: Option<Vec<u8>>,
}

/// `PROT_EXEC` from `<sys/mman.h>`.
const PROT_EXEC: u32 = 4;

impl<'a> From<&MmapRecord<'a>> for MmapInfo<'a> {
    fn from(m: &MmapRecord<'a>) -> Self {
        Self {
            pid: m.pid,
            start: m.address,
            len: m.length,
            pgoff: m.page_offset,
            executable: m.is_executable,
            cpu_mode: m.cpu_mode,
            path: m.path.as_slice(),
            build_id: None,
        }
    }
}

impl<'a> From<&Mmap2Record<'a>> for MmapInfo<'a> {
    fn from(m: &Mmap2Record<'a>) -> Self {
        Self {
            pid: m.pid,
            start: m.address,
            len: m.length,
            pgoff: m.page_offset,
            executable: m.protection & PROT_EXEC != 0,
            cpu_mode: m.cpu_mode,
            path: m.path.as_slice(),
            build_id: match &m.file_id {
                Mmap2FileId::BuildId(b) => Some(b.clone()),
                Mmap2FileId::InodeAndVersion(_) => None,
            },
        }
    }
}

#[derive(Debug, Clone)]
struct Mapping {
    start: u64,
    end: u64,
    pgoff: u64,
    module: ModuleId,
}

#[derive(Clone)]
struct ProcState {
    process: ProcessId,
    /// Sorted by start, not overlapping.
    mappings: Vec<Mapping>,
    /// Built from `mappings` on the first unwind after they changed.
    unwinder: Option<Arc<ProcessUnwinder>>,
}

/// The live state of every process seen so far.
pub struct Processes {
    build_ids: HashMap<DsoKey, DsoInfo>,
    paths: Arc<SymbolPaths>,
    procs: FxHashMap<i32, ProcState>,
    threads: FxHashMap<i32, ThreadId>,
    kernel_module: Option<ModuleId>,
    unwinding: Unwinding,
}

impl Processes {
    pub fn new(build_ids: HashMap<DsoKey, DsoInfo>, paths: Arc<SymbolPaths>) -> Self {
        Self {
            build_ids,
            paths,
            procs: FxHashMap::default(),
            threads: FxHashMap::default(),
            kernel_module: None,
            unwinding: Unwinding::new(),
        }
    }

    fn process(&mut self, profile: &mut Profile, pid: i32) -> &mut ProcState {
        self.procs.entry(pid).or_insert_with(|| ProcState {
            process: profile.add_process(u32::try_from(pid).ok(), None),
            mappings: Vec::new(),
            unwinder: None,
        })
    }

    /// The thread `tid` of process `pid`, created when first seen.
    pub fn thread(&mut self, profile: &mut Profile, pid: i32, tid: i32) -> ThreadId {
        if let Some(&t) = self.threads.get(&tid) {
            return t;
        }
        let process = self.process(profile, pid).process;
        let name = profile.process(process).name;
        let name = name.map(|n| profile.string(n).to_owned());
        let t = profile.add_thread(Some(process), u32::try_from(tid).ok(), name.as_deref());
        self.threads.insert(tid, t);
        t
    }

    /// COMM: a thread got a name, or the process exec'd a new program.
    pub fn comm(&mut self, profile: &mut Profile, pid: i32, tid: i32, name: &str, exec: bool) {
        let state = self.process(profile, pid);
        let process = state.process;
        if exec {
            // exec replaces the address space; the new program's MMAPs follow.
            state.mappings.clear();
            state.unwinder = None;
        }
        if exec || pid == tid {
            let id = profile.intern_string(name);
            profile.process_mut(process).name = Some(id);
        }
        // A renamed thread becomes a new thread entry, so earlier samples keep the old name
        // (perf script and inferno show the name current at each sample).
        let current = self.threads.get(&tid).copied();
        let unchanged = current
            .is_some_and(|t| profile.thread(t).name.map(|n| profile.string(n)) == Some(name));
        if !unchanged {
            let t = profile.add_thread(Some(process), u32::try_from(tid).ok(), Some(name));
            self.threads.insert(tid, t);
        }
    }

    /// FORK: a new process (copy of the parent's mappings) or a new thread.
    pub fn fork(&mut self, profile: &mut Profile, ppid: i32, ptid: i32, pid: i32, tid: i32) {
        if pid != ppid && !self.procs.contains_key(&pid) {
            let parent = self.procs.get(&ppid).cloned();
            let parent_name = parent
                .as_ref()
                .and_then(|p| profile.process(p.process).name)
                .map(|n| profile.string(n).to_owned());
            let process = profile.add_process(u32::try_from(pid).ok(), parent_name.as_deref());
            let mappings = parent.map(|p| p.mappings).unwrap_or_default();
            self.procs.insert(
                pid,
                ProcState {
                    process,
                    mappings,
                    unwinder: None,
                },
            );
        }
        let process = self.process(profile, pid).process;
        let inherited = self
            .threads
            .get(&ptid)
            .and_then(|t| profile.thread(*t).name)
            .or(profile.process(process).name)
            .map(|n| profile.string(n).to_owned());
        let t = profile.add_thread(Some(process), u32::try_from(tid).ok(), inherited.as_deref());
        self.threads.insert(tid, t);
    }

    /// MMAP / MMAP2: remember executable user mappings.
    pub fn mmap(&mut self, profile: &mut Profile, m: MmapInfo<'_>) {
        let key = DsoKey::detect(&m.path, m.cpu_mode);
        if matches!(key, Some(DsoKey::Kernel)) {
            self.kernel_module(profile);
            // perf names the symbol it relocates the kernel by after the module's name, and
            // puts its address in pgoff (machine__process_kernel_mmap_event).
            let reloc = m.path.strip_prefix(b"[kernel.kallsyms]".as_slice());
            if let Some(name) = reloc.filter(|n| !n.is_empty() && m.pgoff != 0) {
                let name = String::from_utf8_lossy(name).into_owned();
                profile.meta.kernel_reloc = Some((name, m.pgoff));
            }
            return;
        }
        if !m.executable || m.pid == -1 || key.is_none() || m.len == 0 {
            return;
        }
        let build_id = m.build_id.or_else(|| {
            key.as_ref()
                .and_then(|k| self.build_ids.get(k))
                .map(|info| info.build_id.clone())
        });
        let path = profile.intern_string(&String::from_utf8_lossy(&m.path));
        let module = profile.intern_module(Module {
            path,
            build_id,
            address_range: None,
            relative_addresses: false,
        });
        let new = Mapping {
            start: m.start,
            end: m.start.saturating_add(m.len),
            pgoff: m.pgoff,
            module,
        };
        let state = self.process(profile, m.pid);
        state
            .mappings
            .retain(|old| old.end <= new.start || old.start >= new.end);
        let at = state.mappings.partition_point(|old| old.start < new.start);
        state.mappings.insert(at, new);
        state.unwinder = None;
    }

    /// The module and file offset of user address `addr` in process `pid`.
    pub fn lookup(&self, pid: i32, addr: u64) -> Option<(ModuleId, u64)> {
        let state = self.procs.get(&pid)?;
        let i = state.mappings.partition_point(|m| m.start <= addr);
        let m = state.mappings.get(i.checked_sub(1)?)?;
        (addr < m.end).then(|| (m.module, addr - m.start + m.pgoff))
    }

    /// The unresolved frame of `raw` in process `pid`: module and file offset for user code,
    /// the kernel module and the absolute address for kernel code.
    pub fn frame(&mut self, profile: &mut Profile, pid: i32, raw: RawFrame) -> FrameId {
        let code = |a| {
            if raw.is_return {
                CodeAddress::ReturnAddress(a)
            } else {
                CodeAddress::InstructionPointer(a)
            }
        };
        let frame = if raw.kernel {
            UnresolvedFrame {
                module: Some(self.kernel_module(profile)),
                address: code(raw.address),
                kind: FrameKind::Kernel,
            }
        } else {
            let found = self.lookup(pid, raw.address);
            UnresolvedFrame {
                module: found.map(|(module, _)| module),
                address: code(found.map_or(raw.address, |(_, offset)| offset)),
                kind: FrameKind::User,
            }
        };
        profile.intern_frame(Frame::Unresolved(frame))
    }

    /// The module standing for the kernel image; kernel frames keep absolute addresses.
    pub fn kernel_module(&mut self, profile: &mut Profile) -> ModuleId {
        if let Some(m) = self.kernel_module {
            return m;
        }
        let build_id = self
            .build_ids
            .get(&DsoKey::Kernel)
            .map(|i| i.build_id.clone());
        let path = profile.intern_string("[kernel.kallsyms]");
        let m = profile.intern_module(Module {
            path,
            build_id,
            address_range: None,
            relative_addresses: false,
        });
        self.kernel_module = Some(m);
        m
    }

    /// Unwind a user stack of process `pid`; `None` when the process is unknown.
    pub fn unwind(
        &mut self,
        profile: &Profile,
        pid: i32,
        regs: (u64, u64, u64),
        stack: &[u8],
        on_frame: impl FnMut(u64, bool),
    ) -> Option<UnwindEnd> {
        let unwinder = self.unwinder(profile, pid)?;
        Some(self.unwinding.unwind(&unwinder, regs, stack, on_frame))
    }

    /// The unwinder of process `pid` for its mappings now (built on first use after they
    /// changed, so the same `Arc` until they change again); `None` when the process is unknown.
    pub fn unwinder(&mut self, profile: &Profile, pid: i32) -> Option<Arc<ProcessUnwinder>> {
        let state = self.procs.get_mut(&pid)?;
        if state.unwinder.is_none() {
            let mut unwinder = ProcessUnwinder::new();
            for m in &state.mappings {
                let module = profile.module(m.module);
                self.unwinding.add_mapping(
                    &mut unwinder,
                    m.module,
                    profile.string(module.path),
                    module.build_id.as_deref(),
                    &self.paths,
                    m.start..m.end,
                    m.pgoff,
                );
            }
            state.unwinder = Some(Arc::new(unwinder));
        }
        state.unwinder.clone()
    }
}
