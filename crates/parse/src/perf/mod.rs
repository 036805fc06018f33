//! Linux `perf.data`: file and pipe mode, compressed records, several events, frame-pointer,
//! DWARF and no call graphs. Built on the linux-perf-data crate.
//!
//! Records are streamed once, in time order. COMM / FORK / EXIT / MMAP / MMAP2 keep a model of
//! the processes, threads and executable mappings; each sample's addresses are turned into
//! unresolved frames (module + file offset; kernel addresses stay absolute) against the
//! mappings live at that moment. `--call-graph dwarf` user stacks are unwound on the spot with
//! framehop. Names are found afterwards by the symbolizer.

mod blocks;
mod guard;
mod header;
mod offcpu;
mod stacks;
mod state;
mod unwind;

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::sync::Arc;

use linux_perf_data::linux_perf_event_reader::constants::{
    PERF_CONTEXT_KERNEL, PERF_CONTEXT_MAX, PERF_CONTEXT_USER, PERF_RECORD_MISC_MMAP_BUILD_ID,
    PERF_REG_X86_BP, PERF_REG_X86_IP, PERF_REG_X86_SP,
};
use linux_perf_data::linux_perf_event_reader::{
    CpuMode, EventRecord, PerfEventType, RawData, RawEventRecord, RecordParseInfo, RecordType,
    SampleFormat, SampleRecord, SamplingPolicy, SoftwareCounterType,
};
use linux_perf_data::{AttributeDescription, PerfFileReader, PerfFileRecord};
use profview_files::SymbolPaths;
use profview_model::{
    Profile, Sample, SourceFormat, StackId, WarningKind, WeightKindId, WeightUnit,
};

use crate::progress::{Progress, Tracked};
use crate::ParseError;
use guard::RecordGuard;
use header::{DATA_SECTION_AT, FEATURE_BITS_AT, HEADER_SIZE};
use offcpu::{OffCpu, Switch};
use stacks::{RawChain, RawFrame, StackBuilder};
use state::Processes;
use unwind::UnwindEnd;

/// Kernel addresses on x86_64 start here; perf marks them with a context entry too.
const KERNEL_START: u64 = 0xffff_8000_0000_0000;
/// A callchain claiming more entries than this is damaged: the kernel caps them at 127 by
/// default (`kernel.perf_event_max_stack`), and never above 65535.
pub(crate) const MAX_CALLCHAIN: usize = 65_535;

/// Options for reading perf.data.
#[derive(Debug, Clone, Default)]
pub struct PerfOptions {
    /// Where to find the binaries for DWARF unwinding.
    pub symbol_paths: Option<Arc<SymbolPaths>>,
    /// Called as the file is read.
    pub progress: Option<Progress>,
    /// Which reader goes through the records.
    pub reader: PerfReader,
    /// Sum samples with the same thread, stack and event as they are read
    /// ([`Profile::aggregate_samples`]).
    pub aggregate_samples: bool,
    /// The block reader's block size in bytes (default 4 MiB). Tests make it small, so that
    /// the small recordings they read span many blocks.
    #[doc(hidden)]
    pub block_size: Option<usize>,
}

/// The two ways through a perf.data file's records. Both give the same profile where both
/// apply; tests and benchmarks compare them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PerfReader {
    /// The block reader where the file allows it, else the general one.
    #[default]
    Auto,
    /// The general reader (linux-perf-data's record iterator, on one thread plus a reading
    /// thread): every file, compressed, pipe-mode or damaged ones too.
    General,
    /// The parallel block reader only: an error for files it does not take (pipe mode,
    /// compressed records, big-endian, AUXTRACE, sched_switch events, events without
    /// timestamps, and damaged files).
    Blocks,
}

/// Read a perf.data file (or pipe-mode stream) held in `data`.
pub fn read_perf_data(
    name: &str,
    data: &[u8],
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    read_perf(name, &data, || Cursor::new(data), options)
}

/// Read a perf.data file from disk. Records are read a window at a time (memory maps of a few
/// megabytes, or a small buffer for the general reader), so a file of hundreds of megabytes
/// never sits in memory whole.
pub fn read_perf_file(
    name: &str,
    file: &File,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let total = Source::len(&file);
    let open = || {
        let tracked = Tracked::new(file, total, options.progress.clone());
        BufReader::with_capacity(READ_BUFFER, tracked)
    };
    read_perf(name, &file, open, options)
}

const READ_BUFFER: usize = 1 << 18;

/// Random access to the whole input, for the header checks, the block reader and the repair
/// of damaged files.
trait Source {
    fn len(&self) -> u64;
    fn read_at(&self, at: u64, buf: &mut [u8]) -> bool;
    fn read_all(&self) -> Option<Vec<u8>>;
    /// `len` bytes from `at`, without copying where the input allows.
    fn window(&self, at: u64, len: usize) -> Option<Window<'_>>;
}

/// Some bytes of the input: borrowed from input in memory, or a read-only memory map of part of
/// a file (unmapped when dropped, so only the windows in use count in the resident size).
pub(super) enum Window<'a> {
    Borrowed(&'a [u8]),
    Mapped { map: memmap2::Mmap, skip: usize },
}

impl std::ops::Deref for Window<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Window::Borrowed(bytes) => bytes,
            Window::Mapped { map, skip } => &map[*skip..],
        }
    }
}

impl Source for &[u8] {
    fn len(&self) -> u64 {
        <[u8]>::len(self) as u64
    }
    fn read_at(&self, at: u64, buf: &mut [u8]) -> bool {
        let Ok(at) = usize::try_from(at) else {
            return false;
        };
        match self.get(at..at.saturating_add(buf.len())) {
            Some(bytes) => {
                buf.copy_from_slice(bytes);
                true
            }
            None => false,
        }
    }
    fn read_all(&self) -> Option<Vec<u8>> {
        Some(self.to_vec())
    }
    fn window(&self, at: u64, len: usize) -> Option<Window<'_>> {
        let at = usize::try_from(at).ok()?;
        self.get(at..at.checked_add(len)?).map(Window::Borrowed)
    }
}

impl Source for &File {
    fn len(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }
    fn read_at(&self, at: u64, buf: &mut [u8]) -> bool {
        std::os::unix::fs::FileExt::read_exact_at(*self, buf, at).is_ok()
    }
    fn read_all(&self) -> Option<Vec<u8>> {
        let mut all = Vec::new();
        let mut file = *self;
        file.seek(SeekFrom::Start(0)).ok()?;
        file.read_to_end(&mut all).ok()?;
        Some(all)
    }
    fn window(&self, at: u64, len: usize) -> Option<Window<'_>> {
        const PAGE: u64 = 4096;
        let start = at - at % PAGE;
        let skip = (at - start) as usize;
        if at.checked_add(len as u64)? > Source::len(self) {
            return None;
        }
        // SAFETY: the map is read-only and private to this reader. As with every reader of a
        // memory-mapped file (perf itself maps perf.data), a program truncating the file while
        // it is read could fault the process; perf.data files are not written once recorded.
        #[allow(unsafe_code)]
        let map = unsafe {
            memmap2::MmapOptions::new()
                .offset(start)
                .len(skip + len)
                .populate()
                .map(*self)
        }
        .ok()?;
        Some(Window::Mapped { map, skip })
    }
}

fn read_perf<S: Source + Sync, R: Read + Seek + Send>(
    name: &str,
    source: &S,
    open: impl Fn() -> R,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let header_error = |e: linux_perf_data::Error| ParseError::PerfData {
        name: name.to_owned(),
        problem: format!("cannot read the header: {e}"),
    };
    let mut size_field = [0u8; 8];
    let pipe_mode = source.read_at(8, &mut size_field) && size_field == 16u64.to_le_bytes();
    let invalid = |problem| {
        linux_perf_data::Error::IoError(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            problem,
        ))
    };
    let refused = || ParseError::PerfData {
        name: name.to_owned(),
        problem: "the block reader does not take this file (it is read by the general reader)"
            .to_owned(),
    };
    if pipe_mode && options.reader == PerfReader::Blocks {
        return Err(refused());
    }
    if pipe_mode {
        let cut = header::check_pipe(source).map_err(|p| header_error(invalid(p)))?;
        let Some(at) = cut else {
            let (guarded, seen) = RecordGuard::new(
                open(),
                header::records_region(source).map_err(|p| header_error(invalid(p)))?,
                0,
            );
            let reader = PerfFileReader::parse_pipe(guarded).map_err(header_error)?;
            let mut profile = read_records(name, reader, None, &seen, options);
            let cut = seen.lock().unwrap_or_else(|e| e.into_inner()).cut;
            if let Some(at) = cut {
                profile.meta.warnings.add(WarningKind::Truncated, || {
                    format!(
                        "the stream ends inside the record at byte {at} (of {}): it was cut short; the records before it are analyzed",
                        source.len()
                    )
                });
            }
            return Ok(profile);
        };
        // Cut short before its first event: read what comes before the cut record.
        let mut metadata = vec![0u8; usize::try_from(at).unwrap_or(0)];
        source.read_at(0, &mut metadata);
        let region =
            header::records_region(&metadata.as_slice()).map_err(|p| header_error(invalid(p)))?;
        let (guarded, seen) = RecordGuard::new(Cursor::new(metadata.as_slice()), region, 0);
        let reader = PerfFileReader::parse_pipe(guarded).map_err(header_error)?;
        let mut profile = read_records(name, reader, None, &seen, options);
        profile.meta.warnings.add(WarningKind::Truncated, || {
            format!(
                "the stream ends inside the record at byte {at} (of {}): it was cut short before its first event",
                source.len()
            )
        });
        return Ok(profile);
    }
    let parsed = header::check_file(source).map_err(invalid).and_then(|()| {
        let region = header::records_region(source).map_err(invalid)?;
        let (guarded, seen) = RecordGuard::new(open(), region, 0);
        PerfFileReader::parse_file(guarded).map(|reader| (reader, seen, region))
    });
    match parsed {
        Ok((reader, seen, region)) => {
            let fast = match options.reader {
                PerfReader::General => None,
                _ => read_fast(name, source, region, &reader.perf_file, options),
            };
            match (fast, options.reader) {
                (Some(profile), _) => Ok(profile),
                (None, PerfReader::Blocks) => Err(refused()),
                (None, _) => Ok(read_records(name, reader, None, &seen, options)),
            }
        }
        // The feature sections sit after the samples, so a file cut short (perf killed
        // mid-write) or damaged there still has readable records.
        Err(e) => match source
            .read_all()
            .as_deref()
            .and_then(without_feature_sections)
        {
            Some(repaired) => {
                let why = format!(
                    "{e}; its complete records end at byte {} of {}",
                    repaired.records_end,
                    source.len()
                );
                let fixed = repaired.data.as_slice();
                let region = match header::check_file(&fixed)
                    .and_then(|()| header::records_region(&fixed))
                {
                    Ok(region) => region,
                    Err(_) => return Err(header_error(e)),
                };
                let (guarded, seen) = RecordGuard::new(Cursor::new(fixed), region, 0);
                match PerfFileReader::parse_file(guarded) {
                    Ok(reader) => Ok(read_records(name, reader, Some(why), &seen, options)),
                    Err(_) => Err(header_error(e)),
                }
            }
            None => Err(header_error(e)),
        }
        .and_then(|profile| match options.reader {
            PerfReader::Blocks => Err(refused()),
            _ => Ok(profile),
        }),
    }
}

/// Records handed from the reading thread to the analyzing thread at a time.
const BATCH_RECORDS: usize = 4096;

/// Event records copied out of the reader, so that reading (the reader copies, sorts by time,
/// and finds each record's event) runs on one core while the records are analyzed on another.
#[derive(Default)]
struct RecordBatch {
    records: Vec<BatchedRecord>,
    bytes: Vec<u8>,
    /// Why reading stopped early, on the last batch.
    stopped: Option<String>,
}

struct BatchedRecord {
    attr_index: usize,
    record_type: RecordType,
    misc: u16,
    parse_info: RecordParseInfo,
    end: usize,
}

/// Read every record of `reader` into a profile (never fails: damage becomes warnings).
fn read_records<R: Read + Send>(
    name: &str,
    reader: PerfFileReader<R>,
    repaired: Option<String>,
    seen: &guard::Shared,
    options: &PerfOptions,
) -> Profile {
    let PerfFileReader {
        mut perf_file,
        mut record_iter,
    } = reader;
    let (mut profile, mut reader) = start_profile(name, &perf_file, repaired.as_deref(), options);
    let (send, receive) = std::sync::mpsc::sync_channel::<RecordBatch>(4);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = RecordBatch::default();
            loop {
                match record_iter.next_record(&mut perf_file) {
                    Ok(Some(PerfFileRecord::EventRecord { attr_index, record })) => {
                        batch.bytes.extend_from_slice(&record.data.as_slice());
                        batch.records.push(BatchedRecord {
                            attr_index,
                            record_type: record.record_type,
                            misc: record.misc,
                            parse_info: record.parse_info,
                            end: batch.bytes.len(),
                        });
                    }
                    Ok(Some(PerfFileRecord::UserRecord(_))) => continue,
                    Ok(None) => break,
                    Err(e) => {
                        batch.stopped = Some(e.to_string());
                        break;
                    }
                }
                if batch.records.len() == BATCH_RECORDS {
                    let full = std::mem::take(&mut batch);
                    if send.send(full).is_err() {
                        return;
                    }
                }
            }
            let _ = send.send(batch);
        });
        let mut index = 0u64;
        for batch in receive {
            let mut start = 0;
            for r in &batch.records {
                index += 1;
                let data = RawData::Single(&batch.bytes[start..r.end]);
                start = r.end;
                if let Some(problem) = unparseable(r.record_type, r.misc, data) {
                    profile.meta.warnings.add(WarningKind::DamagedRecord, || {
                        format!("record {index} could not be parsed and was skipped: {problem}")
                    });
                    continue;
                }
                let raw = RawEventRecord::new(r.record_type, r.misc, data, r.parse_info);
                match raw.parse() {
                    Ok(parsed) => reader.handle(&mut profile, r.attr_index, parsed),
                    Err(e) => profile.meta.warnings.add(WarningKind::DamagedRecord, || {
                        format!("record {index} could not be parsed and was skipped: {e}")
                    }),
                }
            }
            if let Some(mut e) = batch.stopped {
                if let Some(why) = seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .refused
                    .take()
                {
                    e = why;
                }
                profile.meta.warnings.add(WarningKind::Truncated, || {
                    format!("stopped reading after record {index}: {e}; the records before it are analyzed")
                });
            }
        }
    });
    reader.finish(&mut profile);
    profile
}

/// A profile with the file's header facts and events, and the reader its records go through.
fn start_profile(
    name: &str,
    perf_file: &linux_perf_data::PerfFile,
    repaired: Option<&str>,
    options: &PerfOptions,
) -> (Profile, Reader) {
    let mut profile = Profile::new();
    if options.aggregate_samples {
        profile.aggregate_samples();
    }
    if let Some(why) = repaired {
        profile.meta.warnings.add(WarningKind::DamagedHeader, || {
            format!("the header's feature sections (build-ids, event names, host) are unreadable ({why}): the file was cut short or damaged; the records before that are analyzed")
        });
    }
    profile.meta.source_format = SourceFormat::PerfData;
    profile.meta.source_name = Some(name.to_owned());
    read_header(perf_file, &mut profile);
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

    profile.meta.stacks_recorded = Some(perf_file.event_attributes().iter().any(|a| {
        a.attr
            .sample_format
            .intersects(SampleFormat::CALLCHAIN | SampleFormat::STACK_USER)
    }));
    let build_ids = perf_file.build_ids().unwrap_or_default();
    let paths = options
        .symbol_paths
        .clone()
        .unwrap_or_else(|| Arc::new(SymbolPaths::only(Vec::new())));
    let reader = Reader {
        processes: Processes::new(build_ids, paths),
        kinds,
        frames: Vec::new(),
        stacks: StackBuilder::default(),
        stats: Stats::default(),
        offcpu: OffCpu::new(perf_file.event_attributes().iter().map(|a| a.name())),
    };
    (profile, reader)
}

/// Read the records of a well-formed file in parallel blocks (see `blocks.rs`); `None` when the
/// file must go through the general reader.
fn read_fast<S: Source + Sync>(
    name: &str,
    source: &S,
    region: guard::Region,
    perf_file: &linux_perf_data::PerfFile,
    options: &PerfOptions,
) -> Option<Profile> {
    let (mut profile, mut reader) = start_profile(name, perf_file, None, options);
    let progress = options.progress.as_ref();
    blocks::read_blocks(
        source,
        (region, options.block_size),
        perf_file,
        &mut reader,
        &mut profile,
        progress,
    )
    .ok()?;
    reader.finish(&mut profile);
    Some(profile)
}

/// Why a record that linux-perf-event-reader would panic on (rather than return an error for)
/// cannot be parsed.
fn unparseable(record_type: RecordType, misc: u16, data: RawData<'_>) -> Option<String> {
    /// MMAP2 with a build-id: pid, tid, address, length, page offset, then the id's length.
    const MMAP2_BUILD_ID_LEN_AT: usize = 32;
    const MAX_BUILD_ID: u8 = 20;
    if record_type == RecordType::MMAP2 && misc & PERF_RECORD_MISC_MMAP_BUILD_ID != 0 {
        let RawData::Single(bytes) = data else {
            return None;
        };
        let len = bytes.get(MMAP2_BUILD_ID_LEN_AT).copied().unwrap_or(0);
        if len > MAX_BUILD_ID {
            return Some(format!("an MMAP2 record claims a {len}-byte build-id"));
        }
    }
    None
}

/// A damaged file made readable: its header claims no feature sections and a data section that
/// ends with the last complete record.
struct Repaired {
    data: Vec<u8>,
    /// Where the last complete record ends, in the file.
    records_end: u64,
}

/// A copy of `data` whose header claims no feature sections and a data section that ends at the
/// end of its last complete record, or `None` if even that header is not there.
fn without_feature_sections(data: &[u8]) -> Option<Repaired> {
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
    Some(Repaired {
        data: fixed,
        records_end: data_offset + size as u64,
    })
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
    /// Scratch: the current sample's addresses, leaf first.
    frames: Vec<RawFrame>,
    stacks: StackBuilder,
    stats: Stats,
    /// Present when the file has `sched:sched_switch` samples.
    offcpu: Option<OffCpu>,
}

impl Reader {
    fn handle(&mut self, profile: &mut Profile, attr_index: usize, record: EventRecord<'_>) {
        match record {
            EventRecord::Sample(s) => self.sample(profile, attr_index, &s),
            EventRecord::Comm(c) => {
                if c.is_execve {
                    self.stacks.clear();
                }
                let name = String::from_utf8_lossy(&c.name.as_slice()).into_owned();
                self.processes
                    .comm(profile, c.pid, c.tid, &name, c.is_execve);
            }
            EventRecord::Fork(f) => {
                if f.pid != f.ppid {
                    self.stacks.clear();
                }
                self.processes.fork(profile, f.ppid, f.ptid, f.pid, f.tid);
            }
            EventRecord::Exit(_) => {}
            EventRecord::Mmap(m) => {
                self.stacks.clear();
                self.processes.mmap(profile, (&m).into());
            }
            EventRecord::Mmap2(m) => {
                self.stacks.clear();
                self.processes.mmap(profile, (&m).into());
            }
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
        let stack = self.stack_of(profile, pid, tid, s);
        if let Some(stack) = stack {
            profile.add_sample(Sample {
                thread,
                time: s.timestamp,
                stack,
                kind,
                weight: s.period.unwrap_or(1) as f64,
            });
        }
        if let Some(off) = &mut self.offcpu {
            off.running(profile, tid, s.timestamp);
            if let (true, Some(stack), Some(time)) = (off.is_switch(attr_index), stack, s.timestamp)
            {
                let raw = s.raw.as_ref().map(|r| r.as_slice());
                let switch = Switch {
                    tid,
                    time,
                    thread,
                    stack,
                    raw: raw.as_deref(),
                };
                off.switch(profile, switch);
            }
        }
    }

    /// The interned stack of sample `s`, `None` if it has no address at all.
    fn stack_of(
        &mut self,
        profile: &mut Profile,
        pid: i32,
        tid: i32,
        s: &SampleRecord<'_>,
    ) -> Option<StackId> {
        if let Some(stack) = self.stacks.cached(pid, s) {
            return Some(stack);
        }
        let mut frames = std::mem::take(&mut self.frames);
        frames.clear();
        self.callchain_frames(s, &mut frames);
        if let (Some(regs), Some((stack, dyn_size))) = (&s.user_regs, &s.user_stack) {
            self.unwind_user(profile, pid, regs, stack, *dyn_size, &mut frames);
        }
        if frames.is_empty() {
            if let Some(ip) = s.ip {
                frames.push(RawFrame {
                    address: ip,
                    is_return: false,
                    kernel: matches!(s.cpu_mode, CpuMode::Kernel) || ip >= KERNEL_START,
                });
            }
        }
        let stack = (!frames.is_empty()).then(|| {
            self.stacks
                .build(&mut self.processes, profile, (pid, tid), &frames)
        });
        if let Some(stack) = stack {
            self.stacks.remember_raw(stack);
        }
        self.frames = frames;
        stack
    }

    /// A DWARF sample the block reader unwound (see `blocks.rs`): `sample` is its event, pid,
    /// tid, time and weight. The same as [`Self::sample`] for such a sample.
    fn unwound_sample(
        &mut self,
        profile: &mut Profile,
        (attr_index, pid, tid, time, weight): (usize, i32, i32, Option<u64>, u64),
        frames: &[RawFrame],
        truncated: bool,
    ) {
        let Some(&kind) = self.kinds.get(attr_index) else {
            return;
        };
        let thread = self.processes.thread(profile, pid, tid);
        self.stats.unwound_samples += 1;
        if truncated {
            self.stats.truncated_unwinds += 1;
        }
        let stack = self
            .stacks
            .build(&mut self.processes, profile, (pid, tid), frames);
        profile.add_sample(Sample {
            thread,
            time,
            stack,
            kind,
            weight: weight as f64,
        });
    }

    /// A sample the block reader reduced to its thread, weight and numbered raw chain (see
    /// `blocks.rs`); the same as [`Self::sample`] for such a sample.
    fn compact_sample(
        &mut self,
        profile: &mut Profile,
        attr_index: usize,
        tid: i32,
        time: Option<u64>,
        weight: u64,
        raw: RawChain<'_>,
    ) {
        let Some(&kind) = self.kinds.get(attr_index) else {
            return;
        };
        let pid = raw.pid;
        let thread = self.processes.thread(profile, pid, tid);
        let stack = match self.stacks.numbered(raw.id) {
            Some(stack) => Some(stack),
            None => {
                let mut frames = std::mem::take(&mut self.frames);
                frames.clear();
                if let Some(chain) = raw.chain {
                    chain_frames(raw.kernel, chain.iter().copied(), &mut frames);
                }
                if let (true, Some(ip)) = (frames.is_empty(), raw.ip) {
                    frames.push(RawFrame {
                        address: ip,
                        is_return: false,
                        kernel: raw.kernel || ip >= KERNEL_START,
                    });
                }
                let stack = (!frames.is_empty()).then(|| {
                    self.stacks
                        .build(&mut self.processes, profile, (pid, tid), &frames)
                });
                if let Some(stack) = stack {
                    self.stacks.remember_numbered(raw.id, stack);
                }
                self.frames = frames;
                stack
            }
        };
        if let Some(stack) = stack {
            profile.add_sample(Sample {
                thread,
                time,
                stack,
                kind,
                weight: weight as f64,
            });
        }
    }

    /// The frames of the sample's callchain, leaf first. The first address is the sampled IP;
    /// the others are return addresses.
    fn callchain_frames(&mut self, s: &SampleRecord<'_>, out: &mut Vec<RawFrame>) {
        let Some(chain) = &s.callchain else { return };
        if chain.len() > MAX_CALLCHAIN {
            self.stats.damaged_callchains += 1;
            return;
        }
        let kernel = matches!(s.cpu_mode, CpuMode::Kernel);
        chain_frames(kernel, (0..chain.len()).map_while(|i| chain.get(i)), out);
    }

    fn unwind_user(
        &mut self,
        profile: &mut Profile,
        pid: i32,
        regs: &linux_perf_data::linux_perf_event_reader::Regs<'_>,
        stack: &linux_perf_data::linux_perf_event_reader::RawData<'_>,
        dyn_size: u64,
        out: &mut Vec<RawFrame>,
    ) {
        let Some(regs) = user_registers(regs) else {
            return;
        };
        let bytes = stack.as_slice();
        let stack = user_stack(&bytes, dyn_size);
        let processes = &mut self.processes;
        let end = push_user_frames(out, regs.0, |on_frame| {
            processes.unwind(profile, pid, regs, stack, on_frame)
        });
        self.stats.unwound_samples += 1;
        if end == Some(UnwindEnd::Truncated) {
            self.stats.truncated_unwinds += 1;
        }
    }

    fn finish(self, profile: &mut Profile) {
        if let Some(off) = &self.offcpu {
            off_cpu_warnings(off, profile);
        }
        let s = self.stats;
        profile.meta.lost_samples = s.lost;
        profile.meta.unwound_samples = s.unwound_samples;
        profile.meta.truncated_unwinds = s.truncated_unwinds;
        let w = &mut profile.meta.warnings;
        if s.lost > 0 {
            w.add_many(WarningKind::LostSamples, s.lost, || {
                "perf lost samples while recording (LOST records); consider a lower -F or a larger -m buffer".to_owned()
            });
        }
        if s.truncated_unwinds > 0 {
            w.add_many(WarningKind::UnwindFailed, s.truncated_unwinds, || {
                let percent = 100.0 * s.truncated_unwinds as f64 / s.unwound_samples.max(1) as f64;
                format!("DWARF unwinding stopped before the outermost frame in {} of the {} unwound samples ({percent:.1}%: the copied stack was too small, or unwind info is missing); their frames so far are kept", s.truncated_unwinds, s.unwound_samples)
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

/// The sampled IP, SP and BP a DWARF sample's unwinding starts from.
fn user_registers(
    regs: &linux_perf_data::linux_perf_event_reader::Regs<'_>,
) -> Option<(u64, u64, u64)> {
    Some((
        regs.get(PERF_REG_X86_IP)?,
        regs.get(PERF_REG_X86_SP)?,
        regs.get(PERF_REG_X86_BP)?,
    ))
}

/// The part of a sample's copied user stack that holds data (perf copies a fixed size and says
/// how much of it is the stack).
fn user_stack(bytes: &[u8], dyn_size: u64) -> &[u8] {
    let len = usize::try_from(dyn_size)
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    &bytes[..len]
}

/// Append the user frames `unwind` reports to `out`, or the sampled IP alone when it reports
/// none; `unwind`'s result is passed back.
fn push_user_frames<T>(
    out: &mut Vec<RawFrame>,
    ip: u64,
    unwind: impl FnOnce(&mut dyn FnMut(u64, bool)) -> T,
) -> T {
    let first = out.len();
    let end = unwind(&mut |address, is_return| {
        out.push(RawFrame {
            address,
            is_return,
            kernel: false,
        });
    });
    if out.len() == first {
        out.push(RawFrame {
            address: ip,
            is_return: false,
            kernel: false,
        });
    }
    end
}

/// The frames of a callchain, leaf first: the first address is the sampled IP, and so is the
/// first user address under kernel frames; the others are return addresses. Context markers
/// switch between kernel and user code.
fn chain_frames(mut kernel: bool, chain: impl Iterator<Item = u64>, out: &mut Vec<RawFrame>) {
    for addr in chain {
        if addr >= PERF_CONTEXT_MAX {
            match addr {
                PERF_CONTEXT_KERNEL => kernel = true,
                PERF_CONTEXT_USER => kernel = false,
                _ => {}
            }
            continue;
        }
        let kernel = kernel || addr >= KERNEL_START;
        // The first user frame under kernel frames is where user code was interrupted (a
        // page fault, a timer, the instruction after a syscall), not a return address: it
        // can be a function's first instruction (`_start` in ld.so).
        let interrupted = out
            .last()
            .is_some_and(|prev: &RawFrame| prev.kernel && !kernel);
        out.push(RawFrame {
            address: addr,
            is_return: !out.is_empty() && !interrupted,
            kernel,
        });
    }
}

fn off_cpu_warnings(off: &OffCpu, profile: &mut Profile) {
    let w = &mut profile.meta.warnings;
    // Below a tenth, the upper bounds hardly move the picture.
    if off.estimated * 10 > off.exact + off.estimated {
        w.add_many(WarningKind::Other, off.estimated, || {
            format!("off-cpu: the switch back in was not recorded for some of {} waits (the CPU came from a task perf did not follow); they end at the thread's next sample, an upper bound. Record system-wide (-a) for exact waits", off.exact + off.estimated)
        });
    }
    if off.unreadable > 0 {
        w.add_many(WarningKind::Other, off.unreadable, || {
            "off-cpu: sched_switch samples without the expected raw tracepoint data (record with perf's default fields); waits end at the thread's next sample".to_owned()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_address_under_kernel_frames_is_an_ip() {
        let chain = [
            PERF_CONTEXT_KERNEL,
            0xffff_ffff_8100_0000, // the sampled kernel IP
            0xffff_ffff_8100_0100, // a kernel return address
            PERF_CONTEXT_USER,
            0x1ab70, // where user code was interrupted: ld.so's `_start`
            0x1ab78, // a return address
        ];
        let mut frames = Vec::new();
        chain_frames(false, chain.into_iter(), &mut frames);
        let kinds: Vec<(bool, bool)> = frames.iter().map(|f| (f.kernel, f.is_return)).collect();
        assert_eq!(
            kinds,
            [(true, false), (true, true), (false, false), (false, true)]
        );
        frames.clear();
        chain_frames(false, [0x10, 0x20].into_iter(), &mut frames);
        assert!(!frames[0].is_return && frames[1].is_return);
    }
}
