//! The block reader's ordered pass, on one thread: blocks in file order, their records sorted
//! by time like linux-perf-data sorts them (by timestamp and file offset, released at each
//! FINISHED_ROUND), each handled by the profile builder; a sample's raw chain is found by its
//! number in the file, so each distinct chain becomes a stack once.

use std::collections::{BTreeMap, VecDeque};
use std::sync::mpsc::Receiver;
use std::sync::Arc;

use linux_perf_data::linux_perf_event_reader::{RawData, RawEventRecord};
use profview_model::Profile;

use super::super::builder::{Prepared, ProfileBuilder};
use super::super::records::unparseable;
use super::super::stacks::RawChain;
use super::super::unwind::ProcessUnwinder;
use super::walk::Unsuitable;
use super::workers::{
    time_of, BlockChains, ChainNumbers, Entry, Item, Layout, Parsed, Published, RecordRef, SortKey,
    Spare, Unwound, UnwoundStack, HAS_CHAIN, HAS_IP, KERNEL,
};

/// The words of the raw callchains the pending samples have (numbered for the file by the
/// workers, [`ChainNumbers`]): a block's chains are kept until no sample waiting in the
/// sorter comes from it, so memory follows the blocks in flight, not the file's distinct
/// chains.
#[derive(Default)]
struct ChainStore {
    /// Consecutive blocks from the oldest one a pending sample comes from.
    blocks: VecDeque<(usize, BlockChains)>,
}

impl ChainStore {
    /// Keep block `index`'s chains.
    fn add_block(&mut self, index: usize, chains: BlockChains) {
        self.blocks.push_back((index, chains));
    }

    /// The number in the file and the key words of chain `local` of block `block`.
    fn chain(&self, block: u32, local: u32) -> (u32, &[u64]) {
        let first = self.blocks.front().map_or(0, |(i, _)| *i);
        let chains = &self.blocks[block as usize - first].1;
        (chains.numbers[local as usize], chains.get(local))
    }

    /// Give the chains of blocks before `oldest` back to the workers.
    fn release_before(&mut self, oldest: usize, spare: &Spare<'_>) {
        while self.blocks.front().is_some_and(|(i, _)| *i < oldest) {
            if let Some((_, chains)) = self.blocks.pop_front() {
                spare.give_chains(chains);
            }
        }
    }
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
pub(super) fn merge<'a>(
    parsed: Receiver<Result<Parsed<'a>, Unsuitable>>,
    builder: &mut ProfileBuilder,
    profile: &mut Profile,
    layout: &Layout,
    (published, spare, numbers): (&Published, &Spare<'a>, &ChainNumbers),
) -> Result<(), Unsuitable> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    let mut chains = ChainStore::default();
    let mut sorter = RoundSorter::default();
    let mut generation = builder.stack_generation();
    let mut window = VecDeque::with_capacity(AHEAD);
    for p in parsed {
        let p = p?;
        waiting.insert(p.index, p);
        while let Some(p) = waiting.remove(&next) {
            next += 1;
            chains.add_block(p.index, p.chains);
            let mut entries = p.entries;
            for entry in entries.drain(..) {
                match entry {
                    Entry::Item(key, item) => sorter.insert(key, item),
                    Entry::FinishedRound => {
                        handle_all(
                            sorter.finish_round(),
                            &mut window,
                            builder,
                            profile,
                            (layout, &chains, published),
                        )?;
                        chains.release_before(sorter.oldest_block().unwrap_or(p.index), spare);
                        if builder.stack_generation() != generation {
                            generation = builder.stack_generation();
                            numbers.forget();
                        }
                    }
                }
            }
            spare.give_entries(entries);
        }
    }
    if !waiting.is_empty() {
        return Err(Unsuitable);
    }
    handle_all(
        sorter.finish(),
        &mut window,
        builder,
        profile,
        (layout, &chains, published),
    )
}

/// How many records ahead of the one handled a sample's chain is asked for: enough for the
/// memory to arrive, few enough that it is still cached when used.
const AHEAD: usize = 8;

/// Handle `released` in order, asking for each sample's first table entry `AHEAD` records
/// before it is handled (`window` holds those records).
fn handle_all<'a>(
    released: impl Iterator<Item = (SortKey, Item<'a>)>,
    window: &mut VecDeque<(SortKey, Item<'a>, Option<Prepared>)>,
    builder: &mut ProfileBuilder,
    profile: &mut Profile,
    (layout, chains, published): (&Layout, &ChainStore, &Published),
) -> Result<(), Unsuitable> {
    window.clear();
    let mut released = released.fuse();
    loop {
        while window.len() < AHEAD {
            let Some((key, item)) = released.next() else {
                break;
            };
            if let Item::Sample { block, local, .. } = item {
                builder.prefetch_chain(chains.chain(block, local).0);
            }
            window.push_back((key, item, None));
        }
        // Half way: the chain's entry asked for above is in the cache by now, and a chain
        // without a stack yet has the places its stack will be looked up at asked for.
        if let Some((
            _,
            Item::Sample {
                pid, block, local, ..
            },
            prepared @ None,
        )) = window.get_mut(AHEAD / 2)
        {
            *prepared = builder.look_ahead(&raw_chain(chains, *pid, *block, *local));
        }
        let Some((key, item, prepared)) = window.pop_front() else {
            return Ok(());
        };
        handle(
            (item, prepared),
            time_of(key),
            builder,
            profile,
            (layout, chains, published),
        )?;
    }
}

/// The raw chain of a compact sample, as the block's worker numbered and kept it.
fn raw_chain<'c>(chains: &'c ChainStore, pid: i32, block: u32, local: u32) -> RawChain<'c> {
    let (chain, words) = chains.chain(block, local);
    let head = words[0];
    RawChain {
        id: chain,
        pid,
        kernel: head & KERNEL != 0,
        ip: (head & HAS_IP != 0).then_some(words[1]),
        chain: (head & HAS_CHAIN != 0).then_some(&words[2..]),
    }
}

fn handle(
    (item, prepared): (Item<'_>, Option<Prepared>),
    time: Option<u64>,
    builder: &mut ProfileBuilder,
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
            let raw = raw_chain(chains, pid, block, local);
            builder.compact_sample(profile, attr as usize, tid, time, weight, (raw, prepared));
            Ok(())
        }
        Item::Record(record) => handle_record(&record, builder, profile, layout),
        Item::Unwound(unwound) => {
            let Unwound { record, pid, done } = *unwound;
            let current = builder.processes.unwinder(profile, pid);
            match (done, &current) {
                (Some((used, stack)), Some(current)) if Arc::ptr_eq(&used, current) => {
                    let UnwoundStack {
                        tid,
                        weight,
                        frames,
                        truncated,
                    } = stack;
                    let sample = (record.attr as usize, pid, tid, time, weight);
                    builder.unwound_sample(profile, sample, &frames, truncated);
                }
                _ => handle_record(&record, builder, profile, layout)?,
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
    builder: &mut ProfileBuilder,
    profile: &mut Profile,
    layout: &Layout,
) -> Result<(), Unsuitable> {
    let data = RawData::Single(&record.bytes[record.start as usize..record.end as usize]);
    if unparseable(record.record_type, record.misc, data).is_some() {
        return Err(Unsuitable);
    }
    let parse_info = layout.parse_info(record.attr as usize);
    let parsed = RawEventRecord::new(record.record_type, record.misc, data, parse_info)
        .parse()
        .map_err(|_| Unsuitable)?;
    builder.handle(profile, record.attr as usize, parsed);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::workers::{hash128, sort_key};
    use super::*;

    /// A sample whose weight names it.
    fn sample(name: u64, block: u32) -> Item<'static> {
        Item::Sample {
            attr: 0,
            pid: 1,
            tid: 1,
            block,
            local: 0,
            weight: name,
        }
    }

    fn names<'a>(released: impl Iterator<Item = (SortKey, Item<'a>)>) -> Vec<u64> {
        released
            .map(|(_, item)| match item {
                Item::Sample { weight, .. } => weight,
                _ => unreachable!(),
            })
            .collect()
    }

    /// perf's FINISHED_ROUND example (tools/perf/util/ordered-events.c, and linux-perf-data's
    /// sorter test): two CPUs, each round released up to the largest key of the round before.
    /// The key is the time, then the file offset, as linux-perf-data's `RecordSortKey`: a
    /// record with the largest time of a round but written in the next waits for that one.
    #[test]
    fn rounds_release_what_linux_perf_data_releases() {
        let mut sorter = RoundSorter::default();
        // Times, in the order the CPUs' buffers are written out; the file offset breaks ties.
        let rounds: [&[u64]; 3] = [&[1, 2, 3, 2, 4], &[3, 5, 6, 7, 4, 5], &[6, 8, 9, 7, 10]];
        let mut offset = 0;
        let mut released = Vec::new();
        for round in rounds {
            for &time in round {
                offset += 1;
                sorter.insert(sort_key(Some(time), offset), sample(time, 0));
            }
            released.push(names(sorter.finish_round()));
        }
        released.push(names(sorter.finish()));
        assert_eq!(
            released,
            [
                vec![],
                vec![1, 2, 2, 3, 3, 4],
                vec![4, 5, 5, 6, 6, 7],
                vec![7, 8, 9, 10]
            ]
        );
    }

    /// Any rounds that keep perf's promise (round N+2 starts after round N ends) come out in
    /// time order, each record once, and a round releases exactly the records up to the
    /// largest key of the round before.
    #[test]
    fn rounds_that_keep_perfs_promise_come_out_in_time_order() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = |below: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % below
        };
        for _ in 0..50 {
            let mut sorter = RoundSorter::default();
            let mut all = Vec::new();
            let mut out = Vec::new();
            let mut offset = 0;
            // The largest key of the round before, and the time of that of the one before it.
            let (mut prev_max, mut earliest): (SortKey, u64) = ((0, 0), 0);
            for round in 0..20u64 {
                let mut max = prev_max;
                for _ in 0..random(30) {
                    let time = earliest + random(100 + round);
                    offset += 1;
                    let key = sort_key(Some(time), offset);
                    sorter.insert(key, sample(offset, 0));
                    all.push((key, offset));
                    max = max.max(key);
                }
                let released = names(sorter.finish_round());
                let mut waiting: Vec<_> = all
                    .iter()
                    .filter(|(key, name)| *key <= prev_max && !out.contains(name))
                    .copied()
                    .collect();
                waiting.sort();
                let expected: Vec<u64> = waiting.into_iter().map(|(_, name)| name).collect();
                assert_eq!(released, expected, "round {round}");
                out.extend(released);
                earliest = time_of(prev_max).unwrap_or(0);
                prev_max = max;
            }
            out.extend(names(sorter.finish()));
            all.sort();
            let in_order: Vec<u64> = all.into_iter().map(|(_, name)| name).collect();
            assert_eq!(out, in_order);
        }
    }

    #[test]
    fn the_oldest_block_is_that_of_the_oldest_waiting_sample() {
        let mut sorter = RoundSorter::default();
        assert_eq!(sorter.oldest_block(), None);
        sorter.insert(sort_key(Some(5), 1), sample(1, 3));
        assert!(sorter.finish_round().next().is_none());
        sorter.insert(sort_key(Some(9), 2), sample(2, 4));
        sorter.insert(sort_key(Some(7), 3), sample(3, 5));
        assert_eq!(names(sorter.finish_round()), [1]);
        assert_eq!(sorter.oldest_block(), Some(4));
    }

    fn chains(list: &[&[u64]]) -> BlockChains {
        let mut chains = BlockChains::default();
        for words in list {
            chains.words.extend_from_slice(words);
            chains.ends.push(chains.words.len() as u32);
            chains.hashes.push(hash128(words));
        }
        chains
    }

    #[test]
    fn the_same_chain_in_two_blocks_gets_one_number() {
        let numbers = ChainNumbers::default();
        let numbered = |list: &[&[u64]]| {
            let mut c = chains(list);
            numbers.number(&mut c).unwrap();
            c
        };
        let mut store = ChainStore::default();
        store.add_block(0, numbered(&[&[1, 0x10], &[1, 0x20, 0x30]]));
        store.add_block(1, numbered(&[&[1, 0x20, 0x30], &[2, 0x10]]));
        assert_eq!(store.chain(0, 0), (0, &[1, 0x10][..]));
        assert_eq!(store.chain(0, 1), (1, &[1, 0x20, 0x30][..]));
        assert_eq!(store.chain(1, 0), (1, &[1, 0x20, 0x30][..]));
        assert_eq!(store.chain(1, 1), (2, &[2, 0x10][..]), "another process");
        // Blocks no waiting sample needs are dropped; the others are still found by index.
        let spare = Spare::default();
        store.release_before(1, &spare);
        assert!(
            spare.take_chains().is_some_and(|c| c.ends.is_empty()),
            "given back empty"
        );
        store.add_block(2, numbered(&[&[1, 0x10]]));
        assert_eq!(store.blocks.len(), 2);
        assert_eq!(store.chain(1, 1), (2, &[2, 0x10][..]));
        assert_eq!(
            store.chain(2, 0),
            (0, &[1, 0x10][..]),
            "numbered once while the mappings stay"
        );
        // After the mappings change, a chain seen again gets a new number, and the numbers
        // blocks in flight hold stay theirs.
        numbers.forget();
        store.add_block(3, numbered(&[&[1, 0x10], &[3, 0x40]]));
        assert_eq!(store.chain(3, 0), (3, &[1, 0x10][..]));
        assert_eq!(store.chain(3, 1), (4, &[3, 0x40][..]));
        assert_eq!(store.chain(2, 0), (0, &[1, 0x10][..]));
    }
}
