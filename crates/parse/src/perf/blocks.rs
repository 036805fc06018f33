//! The fast way through a well-formed perf.data file: the records region is read in large
//! blocks, the blocks are parsed on every core, and only the ordered part (processes, threads,
//! mappings, and turning each distinct raw callchain into a stack) runs on one thread.
//!
//! Per sample, a worker reads the few fixed fields and finds the raw callchain in its block's
//! table of distinct chains (one hash of the chain's bytes, no copy); the ordered pass sorts
//! small entries by time like linux-perf-data does (by timestamp and file offset, flushed at
//! each FINISHED_ROUND) and finds the stack of a chain by its number.
//!
//! Files this does not take (pipe mode, compressed records, big-endian, AUXTRACE, off-CPU
//! events, events without timestamps) or that turn out damaged anywhere go through the general
//! reader instead, which reads what it can and says where it stopped.

use std::collections::{BTreeMap, VecDeque};
use std::hash::Hash;

use byteorder::LittleEndian;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::{Arc, Mutex, RwLock};

use framehop::x86_64::CacheX86_64;
use linux_perf_data::linux_perf_event_reader::{
    get_record_id, get_record_identifier, get_record_timestamp, AttrFlags, CpuMode, Endianness,
    EventRecord, RawData, RawEventRecord, RecordIdParseInfo, RecordParseInfo, RecordType,
    SampleFormat,
};
use linux_perf_data::{Feature, PerfFile};
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::guard::{Region, PERF_RECORD_AUXTRACE};
use super::stacks::RawFrame;
use super::unwind::{unwind_with, ProcessUnwinder, UnwindEnd};
use super::{
    chain_frames, push_user_frames, unparseable, user_registers, user_stack, Reader, Source,
    Window, MAX_CALLCHAIN,
};
use crate::progress::Stage;
use profview_model::Profile;

/// Bytes read at a time: large enough that a worker's table of chains pays off, small enough
/// that a few blocks in flight cost little memory.
const BLOCK: usize = 4 << 20;
/// A record's size is a `u16`.
const MAX_RECORD: usize = 1 << 16;

const PERF_RECORD_SAMPLE: u32 = 9;
const PERF_RECORD_FINISHED_ROUND: u32 = 68;
const PERF_RECORD_COMPRESSED: u32 = 81;
const PERF_RECORD_COMPRESSED2: u32 = 83;
/// The first record type perf itself defines (the kernel's are below).
const PERF_RECORD_USER_TYPE_START: u32 = 64;

/// The file is one the general reader must take (or it is damaged somewhere).
#[derive(Debug)]
pub(super) struct Unsuitable;

/// How to find a record's event, as linux-perf-data does.
#[derive(Clone)]
enum EventIds {
    OnlyOne,
    Same(RecordIdParseInfo),
    Identifier(bool),
}

/// Where a sample's fields are, for samples whose format is only fixed fields and then at
/// most the callchain (frame-pointer and no-call-graph recordings).
#[derive(Clone, Copy)]
struct Compact {
    ip_at: Option<usize>,
    tid_at: usize,
    period_at: Option<usize>,
    /// Where the callchain's length is; the fixed fields' size when there is none.
    chain_at: usize,
    has_chain: bool,
}

impl Compact {
    fn of(format: SampleFormat) -> Option<Self> {
        let fixed = [
            SampleFormat::IDENTIFIER,
            SampleFormat::IP,
            SampleFormat::TID,
            SampleFormat::TIME,
            SampleFormat::ADDR,
            SampleFormat::ID,
            SampleFormat::STREAM_ID,
            SampleFormat::CPU,
            SampleFormat::PERIOD,
        ];
        let allowed = fixed
            .iter()
            .fold(SampleFormat::CALLCHAIN, |all, f| all | *f);
        if !allowed.contains(format) || !format.contains(SampleFormat::TID) {
            return None;
        }
        let mut at = 0;
        let mut offset_of = |field: SampleFormat| {
            let here = format.contains(field).then_some(at);
            if here.is_some() {
                at += 8;
            }
            here
        };
        let mut offsets = fixed.iter().map(|f| offset_of(*f)).collect::<Vec<_>>();
        let period_at = offsets.pop().flatten();
        let ip_at = offsets[1];
        let tid_at = offsets[2]?;
        let has_chain = format.contains(SampleFormat::CALLCHAIN);
        if ip_at.is_none() && !has_chain {
            return None;
        }
        Some(Self {
            ip_at,
            tid_at,
            period_at,
            chain_at: at,
            has_chain,
        })
    }
}

/// One event's parsing facts.
#[derive(Clone)]
struct Event {
    parse_info: RecordParseInfo,
    compact: Option<Compact>,
    /// Samples carry user registers and stack for DWARF unwinding.
    dwarf: bool,
}

/// What the workers need to know about the file.
#[derive(Clone)]
struct Layout {
    events: Vec<Event>,
    ids: EventIds,
    attr_of_id: FxHashMap<u64, usize>,
}

impl Layout {
    fn of(perf_file: &PerfFile) -> Result<Self, Unsuitable> {
        let attrs = perf_file.event_attributes();
        if attrs.is_empty()
            || perf_file.endian() != Endianness::LittleEndian
            || perf_file.features().has_feature(Feature::COMPRESSED)
        {
            return Err(Unsuitable);
        }
        let mut events = Vec::new();
        for a in attrs {
            let timed = a.attr.sample_format.contains(SampleFormat::TIME)
                && a.attr.flags.contains(AttrFlags::SAMPLE_ID_ALL);
            if !timed {
                return Err(Unsuitable);
            }
            events.push(Event {
                parse_info: RecordParseInfo::new(&a.attr, Endianness::LittleEndian),
                compact: Compact::of(a.attr.sample_format),
                dwarf: a
                    .attr
                    .sample_format
                    .contains(SampleFormat::STACK_USER | SampleFormat::REGS_USER),
            });
        }
        let first = events[0].parse_info.id_parse_info;
        let ids = if events.len() == 1 {
            EventIds::OnlyOne
        } else if events.iter().all(|e| e.parse_info.id_parse_info == first) {
            EventIds::Same(first)
        } else if attrs
            .iter()
            .all(|a| a.attr.sample_format.contains(SampleFormat::IDENTIFIER))
        {
            EventIds::Identifier(true)
        } else {
            return Err(Unsuitable);
        };
        let mut attr_of_id = FxHashMap::default();
        for (i, a) in attrs.iter().enumerate() {
            for id in &a.event_ids {
                attr_of_id.insert(*id, i);
            }
        }
        Ok(Self {
            events,
            ids,
            attr_of_id,
        })
    }

    fn attr_index(&self, record_type: RecordType, data: &[u8]) -> usize {
        let raw = RawData::Single(data);
        let id = match &self.ids {
            EventIds::OnlyOne => return 0,
            EventIds::Same(info) => get_record_id::<LittleEndian>(record_type, raw, info),
            EventIds::Identifier(all) => {
                get_record_identifier::<LittleEndian>(record_type, raw, *all)
            }
        };
        id.and_then(|id| self.attr_of_id.get(&id).copied())
            .unwrap_or(0)
    }
}

/// One block of whole records: the first `end` bytes of a window of the input.
struct Block<'a> {
    index: usize,
    /// Where the block starts in the file.
    at: u64,
    bytes: Arc<Window<'a>>,
    end: usize,
}

/// A record to be handled in time order.
enum Item<'a> {
    /// A sample reduced to what the ordered pass needs.
    Sample {
        attr: u32,
        pid: i32,
        tid: i32,
        /// The block the sample came from, and the chain's number in that block's chains.
        block: u32,
        local: u32,
        weight: u64,
    },
    /// A DWARF sample: parsed, and unwound if its process's unwinder was published.
    Unwound(Box<Unwound<'a>>),
    /// Any other record, parsed in the ordered pass.
    Record(Box<RecordRef<'a>>),
}

/// Where a record is, to be parsed in the ordered pass.
struct RecordRef<'a> {
    attr: u32,
    record_type: RecordType,
    misc: u16,
    bytes: Arc<Window<'a>>,
    start: u32,
    end: u32,
}

/// A DWARF sample unwound by a worker with the unwinder its process had when the worker
/// started the block. The ordered pass keeps the result only if that is still the process's
/// unwinder at the sample's time; otherwise it parses and unwinds the record itself.
struct Unwound<'a> {
    record: RecordRef<'a>,
    pid: i32,
    done: Option<(Arc<ProcessUnwinder>, UnwoundStack)>,
}

/// The frames of an unwound sample, leaf first (kernel frames from the callchain, then the user
/// frames), as the general reader builds them.
struct UnwoundStack {
    tid: i32,
    weight: u64,
    frames: Vec<RawFrame>,
    truncated: bool,
}

/// Each process's unwinder, as the ordered pass last built it, for the workers to unwind with.
type Published = RwLock<FxHashMap<i32, Arc<ProcessUnwinder>>>;

/// A record's place in time order: timestamp (0 for none, which sorts first like
/// linux-perf-data's `None`), then its byte offset in the file.
type SortKey = (u64, u64);

fn sort_key(time: Option<u64>, offset: u64) -> SortKey {
    (time.map_or(0, |t| t.saturating_add(1)), offset)
}

/// The record's timestamp, back from its sort key.
fn time_of(key: SortKey) -> Option<u64> {
    key.0.checked_sub(1)
}

enum Entry<'a> {
    Item(SortKey, Item<'a>),
    FinishedRound,
}

/// A parsed block: its entries in file order, and the distinct raw callchains its samples
/// have, which the entries number.
struct Parsed<'a> {
    index: usize,
    entries: Vec<Entry<'a>>,
    chains: BlockChains,
}

/// A block's distinct raw callchains, each as its key words (see [`ChainKey`]) stored end to
/// end, and a 128-bit hash of each that names it across blocks.
#[derive(Default)]
struct BlockChains {
    words: Vec<u64>,
    ends: Vec<u32>,
    hashes: Vec<u128>,
    /// Each chain's number in the file (given by the ordered pass).
    numbers: Vec<u32>,
}

impl BlockChains {
    fn get(&self, local: u32) -> &[u64] {
        let id = local as usize;
        let start = id.checked_sub(1).map_or(0, |i| self.ends[i] as usize);
        &self.words[start..self.ends[id] as usize]
    }
}

/// A sample's raw callchain as found in a block: the process, the CPU mode and the sampled IP
/// packed in two words, then the chain's bytes.
#[derive(PartialEq, Eq, Hash)]
struct ChainKey<'a> {
    head: u64,
    ip: u64,
    chain: &'a [u8],
}

const HAS_CHAIN: u64 = 1 << 33;
const HAS_IP: u64 = 1 << 34;
const KERNEL: u64 = 1 << 32;

/// Read `source`'s records region into `profile` through `reader`, or say the file is one the
/// general reader must take. On `Err` the profile is half-built and must be dropped.
pub(super) fn read_blocks<S: Source + Sync>(
    source: &S,
    (region, block_size): (Region, Option<usize>),
    perf_file: &PerfFile,
    reader: &mut Reader,
    profile: &mut Profile,
    progress: Option<&crate::progress::Progress>,
) -> Result<(), Unsuitable> {
    if region.big_endian || reader.offcpu.is_some() {
        return Err(Unsuitable);
    }
    let layout = Layout::of(perf_file)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let stop = AtomicBool::new(false);
    let published = Published::default();
    let (block_tx, block_rx) = sync_channel::<Block<'_>>(workers + 1);
    let block_rx = Mutex::new(block_rx);
    let (parsed_tx, parsed_rx) = sync_channel::<Result<Parsed<'_>, Unsuitable>>(workers + 1);
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || {
            let block = block_size.map_or(BLOCK, |b| b.clamp(8, BLOCK));
            if read_region(source, (region, block), &block_tx, stop, progress).is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        });
        for _ in 0..workers {
            let parsed_tx = parsed_tx.clone();
            let (block_rx, layout, published) = (&block_rx, &layout, &published);
            scope.spawn(move || {
                let mut cache = CacheX86_64::new();
                loop {
                    let block = match block_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(block) = block else { return };
                    let parsed = parse_block(&block, layout, published, &mut cache);
                    if parsed_tx.send(parsed).is_err() {
                        return;
                    }
                }
            });
        }
        drop(parsed_tx);
        let result = merge(parsed_rx, reader, profile, &layout, &published);
        if result.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        // Unblock the reader and workers whatever happened.
        drop(block_rx.lock().map(|rx| while rx.try_recv().is_ok() {}));
        result.and_then(|()| {
            if stop.load(Ordering::Relaxed) {
                Err(Unsuitable)
            } else {
                Ok(())
            }
        })
    })
}

/// Send the records region in blocks of whole records; `Err` if it does not end with a whole
/// record or holds a record this path does not take.
fn read_region<'a, S: Source>(
    source: &'a S,
    (region, block): (Region, usize),
    blocks: &std::sync::mpsc::SyncSender<Block<'a>>,
    stop: &AtomicBool,
    progress: Option<&crate::progress::Progress>,
) -> Result<(), Unsuitable> {
    let mut at = region.start;
    let mut index = 0;
    while at < region.end {
        if stop.load(Ordering::Relaxed) {
            return Err(Unsuitable);
        }
        // The window reaches past the block by the largest record, so that the block's last
        // record is whole in it.
        let left = region.end - at;
        let len = usize::try_from(left).map_or(block + MAX_RECORD, |l| l.min(block + MAX_RECORD));
        let window = source.window(at, len).ok_or(Unsuitable)?;
        let limit = if len as u64 == left { len } else { block };
        let end = whole_records(&window, limit)?;
        at += end as u64;
        if let Some(p) = progress {
            p.report(Stage::Reading, at, source.len());
        }
        let block = Block {
            index,
            at: at - end as u64,
            bytes: Arc::new(window),
            end,
        };
        index += 1;
        if blocks.send(block).is_err() {
            return Err(Unsuitable);
        }
    }
    Ok(())
}

/// Where the records that start before `limit` in `bytes` end; `Err` at a record header that
/// is damaged or names a record this path does not take, or a record not whole in `bytes`.
fn whole_records(bytes: &[u8], limit: usize) -> Result<usize, Unsuitable> {
    let mut at = 0;
    let mut ahead = 0;
    while at < limit {
        // Every cache line ahead, not one per record: a header may be in any of them.
        while ahead < at + PREFETCH_AHEAD {
            prefetch(bytes, ahead);
            ahead += CACHE_LINE;
        }
        let header = bytes.get(at..at + 8).ok_or(Unsuitable)?;
        let record_type = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
        let size = usize::from(u16::from_le_bytes([header[6], header[7]]));
        if size < 8
            || at + size > bytes.len()
            || matches!(
                record_type,
                PERF_RECORD_AUXTRACE | PERF_RECORD_COMPRESSED | PERF_RECORD_COMPRESSED2
            )
        {
            return Err(Unsuitable);
        }
        at += size;
    }
    Ok(at)
}

/// How far ahead of the record walk to ask for memory: the walk reads one header per record,
/// each a cache miss without this (the next header's place is only known from this one).
const PREFETCH_AHEAD: usize = 8192;
const CACHE_LINE: usize = 64;

/// Ask for the cache line holding `bytes[at]` without waiting for it. A plain load would not
/// do: the processor retires in order, so a load of memory not yet cached holds up the walk
/// behind it as surely as the header reads it was meant to spare.
fn prefetch(bytes: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(byte) = bytes.get(at) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint to the cache: it reads nothing into the program and
        // never faults, and the address is inside `bytes` anyway.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(byte).cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, at);
}

fn word(bytes: &[u8], at: usize) -> Option<u64> {
    bytes
        .get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Parse one block's records (on a worker thread).
fn parse_block<'a>(
    block: &Block<'a>,
    layout: &Layout,
    published: &Published,
    cache: &mut CacheX86_64,
) -> Result<Parsed<'a>, Unsuitable> {
    let bytes = &block.bytes[..block.end];
    let unwinders = published.read().map(|p| p.clone()).unwrap_or_default();
    let unwinders = &unwinders;
    let mut entries = Vec::new();
    // Sized like a block's table usually ends up, so that it does not grow record by record.
    let mut table: FxHashMap<ChainKey<'_>, u32> =
        FxHashMap::with_capacity_and_hasher(1 << 12, FxBuildHasher);
    let mut chains = BlockChains::default();
    let mut at = 0;
    while at < bytes.len() {
        let header = &bytes[at..at + 8];
        let record_type = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
        let misc = u16::from_le_bytes([header[4], header[5]]);
        let size = usize::from(u16::from_le_bytes([header[6], header[7]]));
        let body = &bytes[at + 8..at + size];
        let offset = block.at + at as u64;
        let start = at + 8;
        at += size;
        if record_type >= PERF_RECORD_USER_TYPE_START {
            if record_type == PERF_RECORD_FINISHED_ROUND {
                entries.push(Entry::FinishedRound);
            }
            continue;
        }
        let kind = RecordType(record_type);
        let attr = layout.attr_index(kind, body);
        let event = layout.events.get(attr).ok_or(Unsuitable)?;
        let time =
            get_record_timestamp::<LittleEndian>(kind, RawData::Single(body), &event.parse_info);
        let key = sort_key(time, offset);
        let compact = (record_type == PERF_RECORD_SAMPLE)
            .then_some(event.compact)
            .flatten()
            .and_then(|c| compact_sample(c, misc, body));
        let record = |bytes: &Arc<Window<'a>>| RecordRef {
            attr: attr as u32,
            record_type: kind,
            misc,
            bytes: Arc::clone(bytes),
            start: start as u32,
            end: (start + body.len()) as u32,
        };
        let item = match compact {
            None if record_type == PERF_RECORD_SAMPLE && event.dwarf => {
                match unwind_sample(event, misc, body, unwinders, cache) {
                    Some((pid, done)) => Item::Unwound(Box::new(Unwound {
                        record: record(&block.bytes),
                        pid,
                        done,
                    })),
                    None => Item::Record(Box::new(record(&block.bytes))),
                }
            }
            Some((chain_key, pid, tid, weight)) => {
                let next = u32::try_from(chains.ends.len()).map_err(|_| Unsuitable)?;
                let local = *table.entry(chain_key).or_insert_with_key(|k| {
                    let start = chains.words.len();
                    chains.words.push(k.head);
                    chains.words.push(k.ip);
                    chains.words.extend(
                        k.chain
                            .chunks_exact(8)
                            .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes"))),
                    );
                    chains.ends.push(chains.words.len() as u32);
                    chains.hashes.push(hash128(&chains.words[start..]));
                    next
                });
                Item::Sample {
                    attr: attr as u32,
                    pid,
                    tid,
                    block: u32::try_from(block.index).map_err(|_| Unsuitable)?,
                    local,
                    weight,
                }
            }
            None => Item::Record(Box::new(record(&block.bytes))),
        };
        entries.push(Entry::Item(key, item));
    }
    Ok(Parsed {
        index: block.index,
        entries,
        chains,
    })
}

/// The chain key, pid, tid and weight of a sample of a compact event; `None` when the record
/// is not exactly the fixed fields and the callchain (the general parser then decides).
fn compact_sample(c: Compact, misc: u16, body: &[u8]) -> Option<(ChainKey<'_>, i32, i32, u64)> {
    let pid_tid = word(body, c.tid_at)?;
    let pid = pid_tid as u32 as i32;
    let tid = (pid_tid >> 32) as u32 as i32;
    let ip = match c.ip_at {
        Some(at) => Some(word(body, at)?),
        None => None,
    };
    let weight = match c.period_at {
        Some(at) => word(body, at)?,
        None => 1,
    };
    let chain = if c.has_chain {
        let nr = usize::try_from(word(body, c.chain_at)?).ok()?;
        if nr > MAX_CALLCHAIN {
            return None;
        }
        body.get(c.chain_at + 8..c.chain_at + 8 + nr * 8)?
    } else {
        &body[c.chain_at..c.chain_at]
    };
    let end = c.chain_at + if c.has_chain { 8 + chain.len() } else { 0 };
    if end != body.len() {
        return None;
    }
    let kernel = matches!(CpuMode::from_misc(misc), CpuMode::Kernel);
    let head = u64::from(pid as u32)
        | if kernel { KERNEL } else { 0 }
        | if c.has_chain { HAS_CHAIN } else { 0 }
        | if ip.is_some() { HAS_IP } else { 0 };
    let key = ChainKey {
        head,
        ip: ip.unwrap_or(0),
        chain,
    };
    Some((key, pid, tid, weight))
}

/// Parse a DWARF sample and, if its process's unwinder is in `unwinders`, unwind it as the
/// general reader would: its pid, and the unwinder with the frames. `None` for samples the
/// ordered pass must parse itself (no pid, damaged, missing registers).
#[allow(clippy::type_complexity)]
fn unwind_sample(
    event: &Event,
    misc: u16,
    body: &[u8],
    unwinders: &FxHashMap<i32, Arc<ProcessUnwinder>>,
    cache: &mut CacheX86_64,
) -> Option<(i32, Option<(Arc<ProcessUnwinder>, UnwoundStack)>)> {
    let raw = RawEventRecord::new(
        RecordType::SAMPLE,
        misc,
        RawData::Single(body),
        event.parse_info,
    );
    let Ok(EventRecord::Sample(s)) = raw.parse() else {
        return None;
    };
    let (pid, tid) = (s.pid?, s.tid?);
    let Some(unwinder) = unwinders.get(&pid) else {
        return Some((pid, None));
    };
    let (regs, (stack, dyn_size)) = (s.user_regs.as_ref()?, s.user_stack.as_ref()?);
    let (regs, bytes) = (user_registers(regs)?, stack.as_slice());
    let mut frames = Vec::new();
    if let Some(chain) = &s.callchain {
        if chain.len() > MAX_CALLCHAIN {
            return None;
        }
        let kernel = matches!(s.cpu_mode, CpuMode::Kernel);
        chain_frames(
            kernel,
            (0..chain.len()).map_while(|i| chain.get(i)),
            &mut frames,
        );
    }
    let stack_bytes = user_stack(&bytes, *dyn_size);
    let end = push_user_frames(&mut frames, regs.0, |on_frame| {
        unwind_with(unwinder, cache, regs, stack_bytes, on_frame)
    });
    let stack = UnwoundStack {
        tid,
        weight: s.period.unwrap_or(1),
        frames,
        truncated: end == UnwindEnd::Truncated,
    };
    Some((pid, Some((Arc::clone(unwinder), stack))))
}

/// The raw callchains of the file, numbered by their 128-bit hash (the same chain in two
/// blocks gets one number), and the words of those the pending samples have: a block's chains
/// are kept until no sample waiting in the sorter comes from it, so memory follows the blocks
/// in flight, not the file's distinct chains.
#[derive(Default)]
struct ChainStore {
    numbers: FxHashMap<u128, u32>,
    /// Consecutive blocks from the oldest one a pending sample comes from.
    blocks: VecDeque<(usize, BlockChains)>,
}

impl ChainStore {
    /// Keep block `index`'s chains, numbering each for the file.
    fn add_block(&mut self, index: usize, mut chains: BlockChains) {
        let numbers = chains.hashes.iter().map(|&hash| {
            let next = self.numbers.len() as u32;
            *self.numbers.entry(hash).or_insert(next)
        });
        chains.numbers = numbers.collect();
        self.blocks.push_back((index, chains));
    }

    /// The number in the file and the key words of chain `local` of block `block`.
    fn chain(&self, block: u32, local: u32) -> (u32, &[u64]) {
        let first = self.blocks.front().map_or(0, |(i, _)| *i);
        let chains = &self.blocks[block as usize - first].1;
        (chains.numbers[local as usize], chains.get(local))
    }

    /// Drop the chains of blocks before `oldest`.
    fn release_before(&mut self, oldest: usize) {
        while self.blocks.front().is_some_and(|(i, _)| *i < oldest) {
            self.blocks.pop_front();
        }
    }
}

/// A 128-bit hash of a chain's key words: chains are told apart by it, and two distinct chains
/// meeting on one value is out of reach (a file has millions of chains, the space 2^128).
fn hash128(words: &[u64]) -> u128 {
    words.iter().fold(0, |h, &w| super::stacks::mix128(h, w))
}

/// linux-perf-data's order: records sorted by key, released at each FINISHED_ROUND up to the
/// largest key of the round before (perf promises round N+2 starts after round N ends).
#[derive(Default)]
struct RoundSorter<'a> {
    incoming: Vec<(SortKey, Item<'a>)>,
    prev_max: SortKey,
    cur_max: SortKey,
}

impl<'a> RoundSorter<'a> {
    fn insert(&mut self, key: SortKey, item: Item<'a>) {
        self.cur_max = self.cur_max.max(key);
        self.incoming.push((key, item));
    }

    /// The records this round releases, in order.
    fn finish_round(&mut self) -> std::vec::Drain<'_, (SortKey, Item<'a>)> {
        // A round is one run per CPU buffer, each in time order already: the stable sort finds
        // the runs and merges them.
        self.incoming.sort_by_key(|(key, ..)| *key);
        let released = self
            .incoming
            .partition_point(|(key, ..)| *key <= self.prev_max);
        self.prev_max = self.cur_max;
        self.incoming.drain(..released)
    }

    /// The oldest block a waiting sample comes from.
    fn oldest_block(&self) -> Option<usize> {
        let blocks = self.incoming.iter().filter_map(|(_, item)| match item {
            Item::Sample { block, .. } => Some(*block as usize),
            _ => None,
        });
        blocks.min()
    }

    fn finish(&mut self) -> std::vec::Drain<'_, (SortKey, Item<'a>)> {
        self.incoming.sort_by_key(|(key, ..)| *key);
        self.incoming.drain(..)
    }
}

/// The ordered pass: blocks in file order, records in time order, into the profile.
fn merge(
    parsed: Receiver<Result<Parsed<'_>, Unsuitable>>,
    reader: &mut Reader,
    profile: &mut Profile,
    layout: &Layout,
    published: &Published,
) -> Result<(), Unsuitable> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    let mut chains = ChainStore::default();
    let mut sorter = RoundSorter::default();
    for p in parsed {
        let p = p?;
        waiting.insert(p.index, p);
        while let Some(p) = waiting.remove(&next) {
            next += 1;
            chains.add_block(p.index, p.chains);
            for entry in p.entries {
                match entry {
                    Entry::Item(key, item) => sorter.insert(key, item),
                    Entry::FinishedRound => {
                        for (key, item) in sorter.finish_round() {
                            handle(
                                item,
                                time_of(key),
                                reader,
                                profile,
                                (layout, &chains, published),
                            )?;
                        }
                        chains.release_before(sorter.oldest_block().unwrap_or(p.index));
                    }
                }
            }
        }
    }
    if !waiting.is_empty() {
        return Err(Unsuitable);
    }
    for (key, item) in sorter.finish() {
        handle(
            item,
            time_of(key),
            reader,
            profile,
            (layout, &chains, published),
        )?;
    }
    Ok(())
}

fn handle(
    item: Item<'_>,
    time: Option<u64>,
    reader: &mut Reader,
    profile: &mut Profile,
    (layout, chains, published): (&Layout, &ChainStore, &Published),
) -> Result<(), Unsuitable> {
    match item {
        Item::Sample {
            attr,
            pid,
            tid,
            block,
            local,
            weight,
        } => {
            let (chain, words) = chains.chain(block, local);
            let head = words[0];
            let raw = super::stacks::RawChain {
                id: chain,
                pid,
                kernel: head & KERNEL != 0,
                ip: (head & HAS_IP != 0).then_some(words[1]),
                chain: (head & HAS_CHAIN != 0).then_some(&words[2..]),
            };
            reader.compact_sample(profile, attr as usize, tid, time, weight, raw);
            Ok(())
        }
        Item::Record(record) => handle_record(&record, reader, profile, layout),
        Item::Unwound(unwound) => {
            let Unwound { record, pid, done } = *unwound;
            let current = reader.processes.unwinder(profile, pid);
            match (done, &current) {
                (Some((used, stack)), Some(current)) if Arc::ptr_eq(&used, current) => {
                    let UnwoundStack {
                        tid,
                        weight,
                        frames,
                        truncated,
                    } = stack;
                    let sample = (record.attr as usize, pid, tid, time, weight);
                    reader.unwound_sample(profile, sample, &frames, truncated);
                }
                _ => handle_record(&record, reader, profile, layout)?,
            }
            // Let the workers unwind this process's next samples with its unwinder now.
            if let Some(current) = current {
                publish(published, pid, current);
            }
            Ok(())
        }
    }
}

fn publish(published: &Published, pid: i32, unwinder: Arc<ProcessUnwinder>) {
    let same = published
        .read()
        .is_ok_and(|p| p.get(&pid).is_some_and(|u| Arc::ptr_eq(u, &unwinder)));
    if !same {
        if let Ok(mut p) = published.write() {
            p.insert(pid, unwinder);
        }
    }
}

fn handle_record(
    record: &RecordRef<'_>,
    reader: &mut Reader,
    profile: &mut Profile,
    layout: &Layout,
) -> Result<(), Unsuitable> {
    let data = RawData::Single(&record.bytes[record.start as usize..record.end as usize]);
    if unparseable(record.record_type, record.misc, data).is_some() {
        return Err(Unsuitable);
    }
    let parse_info = layout.events[record.attr as usize].parse_info;
    let parsed = RawEventRecord::new(record.record_type, record.misc, data, parse_info)
        .parse()
        .map_err(|_| Unsuitable)?;
    reader.handle(profile, record.attr as usize, parsed);
    Ok(())
}
