//! The block reader's workers: each parses whole blocks on its own core. A sample of a
//! frame-pointer or no-call-graph event is reduced to its fixed fields and the number of its
//! raw callchain in the block's table of distinct chains (one hash of the chain's bytes, no
//! copy); a DWARF sample is unwound with the unwinder its process had when the block started;
//! any other record is left for the ordered pass to parse.

use std::hash::{BuildHasher, Hash};
use std::sync::Mutex;
use std::sync::{Arc, RwLock};

use byteorder::LittleEndian;
use framehop::x86_64::CacheX86_64;
use hashbrown::hash_table::{Entry as TableEntry, HashTable};
use linux_perf_data::linux_perf_event_reader::{
    get_record_id, get_record_identifier, get_record_timestamp, AttrFlags, CpuMode, Endianness,
    EventRecord, RawData, RawEventRecord, RecordIdParseInfo, RecordParseInfo, RecordType,
    SampleFormat,
};
use linux_perf_data::{Feature, PerfFile};
use rustc_hash::{FxBuildHasher, FxHashMap};

use super::super::records::{
    Walk, HEADER_LEN, PERF_RECORD_FINISHED_ROUND, PERF_RECORD_SAMPLE, PERF_RECORD_USER_TYPE_START,
};
use super::super::sample::{sample_frames, RawFrame, MAX_CALLCHAIN};
use super::super::source::Window;
use super::super::stacks::mix128;
use super::super::unwind::{unwind_with, ProcessUnwinder, UnwindEnd};
use super::walk::{Block, Unsuitable};

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
pub(super) struct Layout {
    events: Vec<Event>,
    ids: EventIds,
    attr_of_id: FxHashMap<u64, usize>,
}

impl Layout {
    pub(super) fn of(perf_file: &PerfFile) -> Result<Self, Unsuitable> {
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

    /// How to parse the records of event `attr`.
    pub(super) fn parse_info(&self, attr: usize) -> RecordParseInfo {
        self.events[attr].parse_info
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

/// A record to be handled in time order.
pub(super) enum Item<'a> {
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
pub(super) struct RecordRef<'a> {
    pub(super) attr: u32,
    pub(super) record_type: RecordType,
    pub(super) misc: u16,
    pub(super) bytes: Arc<Window<'a>>,
    pub(super) start: u32,
    pub(super) end: u32,
}

/// A DWARF sample unwound by a worker with the unwinder its process had when the worker
/// started the block. The ordered pass keeps the result only if that is still the process's
/// unwinder at the sample's time; otherwise it parses and unwinds the record itself.
pub(super) struct Unwound<'a> {
    pub(super) record: RecordRef<'a>,
    pub(super) pid: i32,
    pub(super) done: Option<(Arc<ProcessUnwinder>, UnwoundStack)>,
}

/// The frames of an unwound sample, leaf first (kernel frames from the callchain, then the user
/// frames), as the general reader builds them.
pub(super) struct UnwoundStack {
    pub(super) tid: i32,
    pub(super) weight: u64,
    pub(super) frames: Vec<RawFrame>,
    pub(super) truncated: bool,
}

/// Each process's unwinder, as the ordered pass last built it, for the workers to unwind with.
pub(super) type Published = RwLock<FxHashMap<i32, Arc<ProcessUnwinder>>>;

/// A record's place in time order: timestamp (0 for none, which sorts first like
/// linux-perf-data's `None`), then its byte offset in the file.
pub(super) type SortKey = (u64, u64);

pub(super) fn sort_key(time: Option<u64>, offset: u64) -> SortKey {
    (time.map_or(0, |t| t.saturating_add(1)), offset)
}

/// The record's timestamp, back from its sort key.
pub(super) fn time_of(key: SortKey) -> Option<u64> {
    key.0.checked_sub(1)
}

pub(super) enum Entry<'a> {
    Item(SortKey, Item<'a>),
    FinishedRound,
}

/// A parsed block: its entries in file order, and the distinct raw callchains its samples
/// have, which the entries number.
pub(super) struct Parsed<'a> {
    pub(super) index: usize,
    pub(super) entries: Vec<Entry<'a>>,
    pub(super) chains: BlockChains,
}

/// A block's distinct raw callchains, each as its key words (see [`ChainKey`]) stored end to
/// end, and a 128-bit hash of each that names it across blocks.
#[derive(Default)]
pub(super) struct BlockChains {
    pub(super) words: Vec<u64>,
    pub(super) ends: Vec<u32>,
    pub(super) hashes: Vec<u128>,
    /// Each chain's number in the file (given by the ordered pass).
    pub(super) numbers: Vec<u32>,
}

impl BlockChains {
    pub(super) fn get(&self, local: u32) -> &[u64] {
        let id = local as usize;
        let start = id.checked_sub(1).map_or(0, |i| self.ends[i] as usize);
        &self.words[start..self.ends[id] as usize]
    }

    /// Whether chain `local` is `key`.
    fn is(&self, local: u32, key: &ChainKey<'_>) -> bool {
        let words = self.get(local);
        words.len() == 2 + key.chain.len() / 8
            && words[0] == key.head
            && words[1] == key.ip
            && words[2..]
                .iter()
                .zip(key.chain.chunks_exact(8))
                .all(|(w, b)| *w == u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    /// Add `key` as the next chain; its number in the block.
    fn push(&mut self, key: &ChainKey<'_>) -> Result<u32, Unsuitable> {
        let local = u32::try_from(self.ends.len()).map_err(|_| Unsuitable)?;
        let start = self.words.len();
        self.words.push(key.head);
        self.words.push(key.ip);
        self.words.extend(
            key.chain
                .chunks_exact(8)
                .map(|w| u64::from_le_bytes(w.try_into().expect("8 bytes"))),
        );
        self.ends
            .push(u32::try_from(self.words.len()).map_err(|_| Unsuitable)?);
        self.hashes.push(hash128(&self.words[start..]));
        Ok(local)
    }

    fn clear(&mut self) {
        self.words.clear();
        self.ends.clear();
        self.hashes.clear();
        self.numbers.clear();
    }
}

/// A worker's table of its block's distinct chains: each entry a chain's hash and its number
/// in the block (the words are in [`BlockChains`]). Kept from block to block, as the buffers
/// in [`Spare`] are, so that neither grows again for each block.
#[derive(Default)]
pub(super) struct ChainTable(HashTable<(u64, u32)>);

impl ChainTable {
    /// The number of `key` in `chains`, added if new.
    fn find_or_add(
        &mut self,
        chains: &mut BlockChains,
        key: &ChainKey<'_>,
    ) -> Result<u32, Unsuitable> {
        let hash = FxBuildHasher.hash_one(key);
        let found = self.0.entry(
            hash,
            |&(h, local)| h == hash && chains.is(local, key),
            |&(h, _)| h,
        );
        match found {
            TableEntry::Occupied(entry) => Ok(entry.get().1),
            TableEntry::Vacant(entry) => {
                let local = chains.push(key)?;
                entry.insert((hash, local));
                Ok(local)
            }
        }
    }
}

/// The file-wide numbers of raw callchains, by their 128-bit hash: the same chain in two
/// blocks gets one number while the mappings stay the same. Each worker numbers its block's
/// chains when it has parsed them (which worker first does not matter: a number only has to
/// name one chain), so the ordered pass does not probe a table of a million chains for each.
#[derive(Default)]
pub(super) struct ChainNumbers(Mutex<NumberTable>);

#[derive(Default)]
struct NumberTable {
    /// By the hash's two halves: a `u128` key is aligned to 16 bytes, which made each entry
    /// 32 bytes instead of 24 (a million distinct chains: a table of two million entries).
    numbers: FxHashMap<[u64; 2], u32>,
    /// The next number: numbers are never reused, so a number a block in flight holds stays
    /// its chain's after the table forgets it.
    next: u32,
}

impl ChainNumbers {
    /// Number `chains` for the file.
    pub(super) fn number(&self, chains: &mut BlockChains) -> Result<(), Unsuitable> {
        let mut table = self.0.lock().map_err(|_| Unsuitable)?;
        let NumberTable { numbers, next } = &mut *table;
        chains.numbers.clear();
        chains.numbers.extend(chains.hashes.iter().map(|&hash| {
            let halves = [hash as u64, (hash >> 64) as u64];
            *numbers.entry(halves).or_insert_with(|| {
                *next += 1;
                *next - 1
            })
        }));
        Ok(())
    }

    /// Forget which hash has which number: the mappings changed, so the stacks built for the
    /// numbers so far no longer hold (the builder ignores them), and a chain seen again gets a
    /// new number. Thousands of short processes each start with new mappings and new
    /// addresses: the table then holds one process's chains, not every chain of the file, and
    /// keeps its memory instead of growing by rehashing. A block numbered before this but
    /// handled after, or the other way round, only costs its samples the cached stack: the
    /// builder checks each number's stack against the mappings' generation.
    pub(super) fn forget(&self) {
        if let Ok(mut table) = self.0.lock() {
            table.numbers.clear();
        }
    }
}

/// Buffers of blocks the ordered pass is done with, for the workers' next blocks: a block's
/// records and chains are a few MB, and allocating them anew for every block cost page
/// faults and kept glibc's memory high (its mmap threshold could not be lowered without
/// mapping and unmapping them for every block).
#[derive(Default)]
pub(super) struct Spare<'a> {
    entries: Mutex<Vec<Vec<Entry<'a>>>>,
    chains: Mutex<Vec<BlockChains>>,
}

impl<'a> Spare<'a> {
    fn entries(&self) -> Vec<Entry<'a>> {
        let spare = self.entries.lock().ok().and_then(|mut s| s.pop());
        spare.unwrap_or_default()
    }

    fn chains(&self) -> BlockChains {
        self.take_chains().unwrap_or_default()
    }

    pub(super) fn take_chains(&self) -> Option<BlockChains> {
        self.chains.lock().ok().and_then(|mut s| s.pop())
    }

    pub(super) fn give_entries(&self, mut entries: Vec<Entry<'a>>) {
        entries.clear();
        if let Ok(mut spare) = self.entries.lock() {
            spare.push(entries);
        }
    }

    pub(super) fn give_chains(&self, mut chains: BlockChains) {
        chains.clear();
        if let Ok(mut spare) = self.chains.lock() {
            spare.push(chains);
        }
    }
}

/// A sample's raw callchain as found in a block: the process, the CPU mode and the sampled IP
/// packed in two words, then the chain's bytes.
#[derive(Hash)]
struct ChainKey<'a> {
    head: u64,
    ip: u64,
    chain: &'a [u8],
}

pub(super) const HAS_CHAIN: u64 = 1 << 33;
pub(super) const HAS_IP: u64 = 1 << 34;
pub(super) const KERNEL: u64 = 1 << 32;

fn word(bytes: &[u8], at: usize) -> Option<u64> {
    bytes
        .get(at..at + 8)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

/// Parse one block's records (on a worker thread).
pub(super) fn parse_block<'a>(
    block: &Block<'a>,
    layout: &Layout,
    published: &Published,
    (spare, table, numbers): (&Spare<'a>, &mut ChainTable, &ChainNumbers),
    cache: &mut CacheX86_64,
) -> Result<Parsed<'a>, Unsuitable> {
    let bytes = &block.bytes[..block.end];
    let unwinders = published.read().map(|p| p.clone()).unwrap_or_default();
    let unwinders = &unwinders;
    let mut entries = spare.entries();
    let mut chains = spare.chains();
    table.0.clear();
    // The walk found these records whole (`walk::read_region`).
    for (at, header) in Walk::new(bytes) {
        let (record_type, misc) = (header.record_type, header.misc);
        let start = at + HEADER_LEN;
        let body = &bytes[start..at + header.size];
        let offset = block.at + at as u64;
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
                let local = table.find_or_add(&mut chains, &chain_key)?;
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
    numbers.number(&mut chains)?;
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
    let mut frames = Vec::new();
    let decoded = sample_frames(&s, &mut frames, |regs, stack, on_frame| {
        Some(unwind_with(unwinder, cache, regs, stack, on_frame))
    });
    // A damaged chain or no registers: the ordered pass parses the record and says so.
    let (false, Some(end)) = (decoded.damaged_chain, decoded.unwound) else {
        return None;
    };
    let stack = UnwoundStack {
        tid,
        weight: s.period.unwrap_or(1),
        frames,
        truncated: end == Some(UnwindEnd::Truncated),
    };
    Some((pid, Some((Arc::clone(unwinder), stack))))
}

/// A 128-bit hash of a chain's key words: chains are told apart by it, and two distinct chains
/// meeting on one value is out of reach (a file has millions of chains, the space 2^128).
pub(super) fn hash128(words: &[u64]) -> u128 {
    words.iter().fold(0, |h, &w| mix128(h, w))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(head: u64, chain: &[u8]) -> ChainKey<'_> {
        ChainKey {
            head,
            ip: 0x40,
            chain,
        }
    }

    /// Chains are numbered in the order first seen, each once; a table kept from the block
    /// before and buffers given back start the next block empty.
    #[test]
    fn a_kept_table_numbers_each_blocks_chains_afresh() {
        let (a, b) = ([1u8; 16], [2u8; 16]);
        let spare = Spare::default();
        let mut table = ChainTable::default();
        let mut chains = spare.chains();
        let first = [
            key(1, &a),
            key(1, &b),
            key(1, &a),
            key(2, &a),
            key(1, &a[..8]),
        ];
        let numbers: Vec<u32> = first
            .iter()
            .map(|k| table.find_or_add(&mut chains, k).unwrap())
            .collect();
        assert_eq!(numbers, [0, 1, 0, 2, 3]);
        assert_eq!(
            chains.get(1),
            [1, 0x40, 0x0202_0202_0202_0202, 0x0202_0202_0202_0202]
        );
        assert_eq!(chains.get(3), [1, 0x40, 0x0101_0101_0101_0101]);
        spare.give_chains(chains);
        table.0.clear();
        let mut chains = spare.chains();
        assert!(chains.ends.is_empty() && chains.words.is_empty() && chains.hashes.is_empty());
        assert_eq!(table.find_or_add(&mut chains, &key(2, &a)).unwrap(), 0);
        assert_eq!(table.find_or_add(&mut chains, &key(1, &b)).unwrap(), 1);
        assert_eq!(table.find_or_add(&mut chains, &key(2, &a)).unwrap(), 0);
    }
}
