//! Linux `perf.data`: file and pipe mode, compressed records, several events, frame-pointer,
//! DWARF and no call graphs. Built on the linux-perf-data crate.
//!
//! Records are streamed once, in time order. COMM / FORK / EXIT / MMAP / MMAP2 keep a model of
//! the processes, threads and executable mappings; each sample's addresses are turned into
//! unresolved frames (module + file offset; kernel addresses stay absolute) against the
//! mappings live at that moment. `--call-graph dwarf` user stacks are unwound on the spot with
//! framehop. Names are found afterwards by the symbolizer.

mod state;
mod unwind;

use std::io::Cursor;
use std::sync::Arc;

use linux_perf_data::linux_perf_event_reader::constants::{
    PERF_CONTEXT_KERNEL, PERF_CONTEXT_MAX, PERF_CONTEXT_USER, PERF_REG_X86_BP, PERF_REG_X86_IP,
    PERF_REG_X86_SP,
};
use linux_perf_data::linux_perf_event_reader::{
    CpuMode, EventRecord, PerfEventType, SampleRecord, SamplingPolicy, SoftwareCounterType,
};
use linux_perf_data::{AttributeDescription, PerfFileReader, PerfFileRecord};
use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Profile, Sample, SourceFormat, UnresolvedFrame,
    WarningKind, WeightKindId, WeightUnit,
};
use profview_symbolize::SymbolPaths;

use crate::ParseError;
use state::Processes;
use unwind::UnwindEnd;

/// Kernel addresses on x86_64 start here; perf marks them with a context entry too.
const KERNEL_START: u64 = 0xffff_8000_0000_0000;
/// A callchain claiming more entries than this is damaged: the kernel caps them at 127 by
/// default (`kernel.perf_event_max_stack`), and never above 65535.
const MAX_CALLCHAIN: usize = 65_535;

/// Options for reading perf.data.
#[derive(Debug, Clone, Default)]
pub struct PerfOptions {
    /// Where to find the binaries for DWARF unwinding.
    pub symbol_paths: Option<Arc<SymbolPaths>>,
}

/// Read a perf.data file (or pipe-mode stream) held in `data`.
pub fn read_perf_data(
    name: &str,
    data: &[u8],
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let pipe_mode = data.get(8..16).is_some_and(|s| s == 16u64.to_le_bytes());
    let mut repaired: Option<(Vec<u8>, String)> = None;
    let reader = if pipe_mode {
        PerfFileReader::parse_pipe(Cursor::new(data))
    } else {
        let parsed = if let Err(problem) = check_header_bounds(data) {
            Err(linux_perf_data::Error::IoError(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                problem,
            )))
        } else {
            PerfFileReader::parse_file(Cursor::new(data))
        };
        match parsed {
            Ok(r) => Ok(r),
            Err(e) => match without_feature_sections(data) {
                // The feature sections sit after the samples, so a file cut short (perf killed
                // mid-write) or damaged there still has readable records.
                Some(fixed) => {
                    repaired = Some((fixed, e.to_string()));
                    let fixed = &repaired.as_ref().expect("just set").0;
                    PerfFileReader::parse_file(Cursor::new(fixed.as_slice())).map_err(|_| e)
                }
                None => Err(e),
            },
        }
    };
    let PerfFileReader {
        mut perf_file,
        mut record_iter,
    } = reader.map_err(|e| ParseError::PerfData {
        name: name.to_owned(),
        problem: format!("cannot read the header: {e}"),
    })?;

    let mut profile = Profile::new();
    if let Some((_, why)) = &repaired {
        profile.meta.warnings.add(WarningKind::DamagedHeader, || {
            format!("the header's feature sections (build-ids, event names, host) are unreadable ({why}): the file was cut short or damaged after its records; the records that remain are analyzed")
        });
    }
    profile.meta.source_format = SourceFormat::PerfData;
    profile.meta.source_name = Some(name.to_owned());
    read_header(&perf_file, &mut profile);
    let kinds: Vec<WeightKindId> = perf_file
        .event_attributes()
        .iter()
        .enumerate()
        .map(|(i, attr)| add_event(&mut profile, i, attr))
        .collect();
    if let Some(rate) =
        perf_file
            .event_attributes()
            .first()
            .and_then(|a| match a.attr.sampling_policy {
                SamplingPolicy::Frequency(f) => Some(f as f64),
                _ => None,
            })
    {
        profile.meta.sample_rate_hz = Some(rate);
    }

    let build_ids = perf_file.build_ids().unwrap_or_default();
    let paths = options
        .symbol_paths
        .clone()
        .unwrap_or_else(|| Arc::new(SymbolPaths::only(Vec::new())));
    let mut reader = Reader {
        processes: Processes::new(build_ids, paths),
        kinds,
        frames: Vec::new(),
        stats: Stats::default(),
    };
    let mut index = 0u64;
    loop {
        let record = match record_iter.next_record(&mut perf_file) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                profile.meta.warnings.add(WarningKind::Truncated, || {
                    format!("stopped reading at record {index}: {e}; the records before it are analyzed")
                });
                break;
            }
        };
        index += 1;
        let PerfFileRecord::EventRecord { attr_index, record } = record else {
            continue;
        };
        match record.parse() {
            Ok(parsed) => reader.handle(&mut profile, attr_index, parsed),
            Err(e) => profile.meta.warnings.add(WarningKind::DamagedRecord, || {
                format!("record {index} could not be parsed and was skipped: {e}")
            }),
        }
    }
    reader.finish(&mut profile);
    Ok(profile)
}

/// perf.data file header layout (perf's `struct perf_file_header`).
const HEADER_SIZE: usize = 104;
const DATA_SECTION_AT: usize = 40;
const FEATURE_BITS_AT: usize = 72;

/// Check that every section the header points to lies inside the file, before the reader
/// allocates buffers of the sizes it claims.
fn check_header_bounds(data: &[u8]) -> Result<(), String> {
    if data.len() < HEADER_SIZE {
        return Ok(()); // the reader reports the short header itself
    }
    let word = |at: usize| -> Option<u64> {
        Some(u64::from_le_bytes(data.get(at..at + 8)?.try_into().ok()?))
    };
    let len = data.len() as u64;
    let fits = |offset: u64, size: u64| offset.checked_add(size).is_some_and(|end| end <= len);
    let section = |at: usize| {
        (
            word(at).unwrap_or(u64::MAX),
            word(at + 8).unwrap_or(u64::MAX),
        )
    };
    let (attrs_offset, attrs_size) = section(24);
    if !fits(attrs_offset, attrs_size) {
        return Err(format!(
            "the attribute section ({attrs_size} bytes at byte {attrs_offset}) lies outside the {len}-byte file"
        ));
    }
    let (data_offset, data_size) = section(DATA_SECTION_AT);
    let features = data[FEATURE_BITS_AT..HEADER_SIZE]
        .iter()
        .map(|b| b.count_ones() as u64)
        .sum::<u64>();
    let table = data_offset.saturating_add(data_size);
    for i in 0..features {
        let at = table.saturating_add(i * 16);
        let entry = usize::try_from(at)
            .ok()
            .and_then(|at| Some((word(at)?, word(at + 8)?)));
        match entry {
            Some((offset, size)) if fits(offset, size) => {}
            _ => {
                return Err(format!(
                    "feature section {i} (table at byte {at}) lies outside the {len}-byte file"
                ))
            }
        }
    }
    Ok(())
}

/// A copy of `data` whose header claims no feature sections and a data section that ends at the
/// end of the file, or `None` if even that header is not there.
fn without_feature_sections(data: &[u8]) -> Option<Vec<u8>> {
    if data.len() < HEADER_SIZE || &data[..8] != b"PERFILE2" {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"));
    let attrs_end = word(24).checked_add(word(32))?;
    if attrs_end > data.len() as u64 {
        return None;
    }
    let mut fixed = data.to_vec();
    let data_offset = word(DATA_SECTION_AT);
    let available = (data.len() as u64).checked_sub(data_offset)?;
    let size = word(DATA_SECTION_AT + 8).min(available);
    let start = usize::try_from(data_offset).ok()?;
    let size = complete_records_len(data.get(start..start + usize::try_from(size).ok()?)?);
    fixed[DATA_SECTION_AT + 8..DATA_SECTION_AT + 16].copy_from_slice(&(size as u64).to_le_bytes());
    fixed[FEATURE_BITS_AT..HEADER_SIZE].fill(0);
    Some(fixed)
}

/// The length of the complete records at the start of `records` (each starts with a `u32`
/// type, a `u16` misc and a `u16` size that includes the 8-byte header).
fn complete_records_len(records: &[u8]) -> usize {
    let mut at = 0usize;
    while let Some(header) = records.get(at..at + 8) {
        let size = usize::from(u16::from_le_bytes([header[6], header[7]]));
        if size < 8 || at + size > records.len() {
            break;
        }
        at += size;
    }
    at
}

fn read_header(perf_file: &linux_perf_data::PerfFile, profile: &mut Profile) {
    let meta = &mut profile.meta;
    meta.host = perf_file.hostname().ok().flatten().map(str::to_owned);
    meta.os_release = perf_file.os_release().ok().flatten().map(str::to_owned);
    meta.recorder_version = perf_file
        .perf_version()
        .ok()
        .flatten()
        .map(|v| format!("perf {v}"));
    meta.command_line = perf_file.cmdline().ok().flatten().map(|c| c.join(" "));
}

fn add_event(profile: &mut Profile, index: usize, attr: &AttributeDescription) -> WeightKindId {
    let name = attr
        .name()
        .map_or_else(|| format!("event{index}"), str::to_owned);
    let unit = match attr.attr.type_ {
        PerfEventType::Software(SoftwareCounterType::CpuClock | SoftwareCounterType::TaskClock) => {
            WeightUnit::Nanoseconds
        }
        _ => WeightUnit::Events,
    };
    let kind = profile.add_weight_kind(&name, unit);
    if let SamplingPolicy::Period(p) = attr.attr.sampling_policy {
        profile.weight_kind_mut(kind).period = Some(p.get() as f64);
    }
    kind
}

#[derive(Debug, Default)]
struct Stats {
    lost: u64,
    samples_without_thread: u64,
    truncated_unwinds: u64,
    unwound_samples: u64,
    damaged_callchains: u64,
}

struct Reader {
    processes: Processes,
    kinds: Vec<WeightKindId>,
    /// Scratch: the current sample's frames, leaf first.
    frames: Vec<FrameId>,
    stats: Stats,
}

impl Reader {
    fn handle(&mut self, profile: &mut Profile, attr_index: usize, record: EventRecord<'_>) {
        match record {
            EventRecord::Sample(s) => self.sample(profile, attr_index, &s),
            EventRecord::Comm(c) => {
                let name = String::from_utf8_lossy(&c.name.as_slice()).into_owned();
                self.processes
                    .comm(profile, c.pid, c.tid, &name, c.is_execve);
            }
            EventRecord::Fork(f) => self.processes.fork(profile, f.ppid, f.ptid, f.pid, f.tid),
            EventRecord::Exit(_) => {}
            EventRecord::Mmap(m) => self.processes.mmap(profile, (&m).into()),
            EventRecord::Mmap2(m) => self.processes.mmap(profile, (&m).into()),
            EventRecord::Lost(l) => self.stats.lost += l.count,
            _ => {}
        }
    }

    fn sample(&mut self, profile: &mut Profile, attr_index: usize, s: &SampleRecord<'_>) {
        let Some(&kind) = self.kinds.get(attr_index) else {
            return;
        };
        let (Some(pid), Some(tid)) = (s.pid, s.tid) else {
            self.stats.samples_without_thread += 1;
            return;
        };
        let thread = self.processes.thread(profile, pid, tid);
        self.frames.clear();
        let mut frames = std::mem::take(&mut self.frames);
        self.callchain_frames(profile, pid, s, &mut frames);
        if let (Some(regs), Some((stack, dyn_size))) = (&s.user_regs, &s.user_stack) {
            self.unwind_user(profile, pid, regs, stack, *dyn_size, &mut frames);
        }
        if frames.is_empty() {
            if let Some(ip) = s.ip {
                let kernel = matches!(s.cpu_mode, CpuMode::Kernel) || ip >= KERNEL_START;
                frames.push(self.frame(profile, pid, ip, false, kernel));
            }
        }
        if frames.is_empty() {
            self.frames = frames;
            return;
        }
        frames.reverse();
        let stack = profile.intern_stack_path(&frames);
        profile.add_sample(Sample {
            thread,
            time: s.timestamp,
            stack,
            kind,
            weight: s.period.unwrap_or(1) as f64,
        });
        self.frames = frames;
    }

    /// The frames of the sample's callchain, leaf first. The first address is the sampled IP;
    /// the others are return addresses.
    fn callchain_frames(
        &mut self,
        profile: &mut Profile,
        pid: i32,
        s: &SampleRecord<'_>,
        out: &mut Vec<FrameId>,
    ) {
        let Some(chain) = &s.callchain else { return };
        if chain.len() > MAX_CALLCHAIN {
            self.stats.damaged_callchains += 1;
            return;
        }
        let mut kernel = matches!(s.cpu_mode, CpuMode::Kernel);
        for i in 0..chain.len() {
            let Some(addr) = chain.get(i) else { break };
            if addr >= PERF_CONTEXT_MAX {
                match addr {
                    PERF_CONTEXT_KERNEL => kernel = true,
                    PERF_CONTEXT_USER => kernel = false,
                    _ => {}
                }
                continue;
            }
            let is_return = !out.is_empty();
            out.push(self.frame(
                profile,
                pid,
                addr,
                is_return,
                kernel || addr >= KERNEL_START,
            ));
        }
    }

    fn unwind_user(
        &mut self,
        profile: &mut Profile,
        pid: i32,
        regs: &linux_perf_data::linux_perf_event_reader::Regs<'_>,
        stack: &linux_perf_data::linux_perf_event_reader::RawData<'_>,
        dyn_size: u64,
        out: &mut Vec<FrameId>,
    ) {
        let (Some(ip), Some(sp), Some(bp)) = (
            regs.get(PERF_REG_X86_IP),
            regs.get(PERF_REG_X86_SP),
            regs.get(PERF_REG_X86_BP),
        ) else {
            return;
        };
        let bytes = stack.as_slice();
        let len = usize::try_from(dyn_size)
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let mut addresses: Vec<(u64, bool)> = Vec::new();
        let end = self
            .processes
            .unwind(profile, pid, (ip, sp, bp), &bytes[..len], |a, ret| {
                addresses.push((a, ret));
            });
        self.stats.unwound_samples += 1;
        if end == Some(UnwindEnd::Truncated) {
            self.stats.truncated_unwinds += 1;
        }
        if addresses.is_empty() {
            addresses.push((ip, false));
        }
        for (addr, is_return) in addresses {
            out.push(self.frame(profile, pid, addr, is_return, false));
        }
    }

    fn frame(
        &mut self,
        profile: &mut Profile,
        pid: i32,
        addr: u64,
        is_return: bool,
        kernel: bool,
    ) -> FrameId {
        let code = |a| {
            if is_return {
                CodeAddress::ReturnAddress(a)
            } else {
                CodeAddress::InstructionPointer(a)
            }
        };
        let frame = if kernel {
            UnresolvedFrame {
                module: Some(self.processes.kernel_module(profile)),
                address: code(addr),
                kind: FrameKind::Kernel,
            }
        } else {
            match self.processes.lookup(pid, addr) {
                Some((module, offset)) => UnresolvedFrame {
                    module: Some(module),
                    address: code(offset),
                    kind: FrameKind::User,
                },
                None => UnresolvedFrame {
                    module: None,
                    address: code(addr),
                    kind: FrameKind::User,
                },
            }
        };
        profile.intern_frame(Frame::Unresolved(frame))
    }

    fn finish(self, profile: &mut Profile) {
        let s = self.stats;
        profile.meta.lost_samples = s.lost;
        let w = &mut profile.meta.warnings;
        if s.lost > 0 {
            w.add_many(WarningKind::LostSamples, s.lost, || {
                "perf lost samples while recording (LOST records); consider a lower -F or a larger -m buffer".to_owned()
            });
        }
        if s.truncated_unwinds > 0 {
            w.add_many(WarningKind::UnwindFailed, s.truncated_unwinds, || {
                format!("DWARF unwinding stopped before the outermost frame in some of {} samples (the copied stack was too small, or unwind info is missing); their frames so far are kept", s.unwound_samples)
            });
        }
        if s.damaged_callchains > 0 {
            w.add_many(WarningKind::DamagedRecord, s.damaged_callchains, || {
                format!(
                    "callchains longer than {MAX_CALLCHAIN} entries were ignored (damaged records)"
                )
            });
        }
        if s.samples_without_thread > 0 {
            w.add_many(WarningKind::DamagedRecord, s.samples_without_thread, || {
                "samples without pid/tid were skipped".to_owned()
            });
        }
    }
}
