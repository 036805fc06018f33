//! From a sample's raw addresses to an interned stack, doing as little as possible per sample.
//!
//! Three caches keep the cost per sample low on large files: most samples repeat a callchain
//! seen before (one hash of the raw chain finds its stack); many of the rest share their outer
//! frames with the previous sample of the same thread (those levels are reused, only the new
//! inner frames are looked up and interned); and the outer part of a new chain was usually
//! built before on some thread (work-stealing pools run the same deep paths everywhere): a hash
//! of the outer frames at every `CHECKPOINT`-th depth finds its stack in a few probes instead of
//! one frame lookup and one stack-node probe per level. All depend on the process's mappings,
//! so any change to them clears all.

use linux_perf_data::linux_perf_event_reader::{CpuMode, SampleRecord};
use profview_model::{Profile, StackId};
use rustc_hash::FxHashMap;

use super::outer::OuterTable;
use super::sample::{RawFrame, MAX_CALLCHAIN};
use super::state::Processes;

/// A sample's raw callchain as the block reader numbered it (see `blocks.rs`): the same number
/// means the same process, CPU mode, IP and chain.
pub struct RawChain<'a> {
    pub id: u32,
    pub pid: i32,
    pub kernel: bool,
    pub ip: Option<u64>,
    /// The callchain's entries, context markers included; `None` without a callchain.
    pub chain: Option<&'a [u64]>,
}

#[derive(Default)]
pub struct StackBuilder {
    chains: ChainCache,
    recent: FxHashMap<i32, RecentStack>,
    /// The stack of each numbered raw chain, valid while its generation is the current one.
    numbered: Vec<(u32, StackId)>,
    /// Starts at 1, so that the zero-filled entries are never valid.
    generation: u32,
    /// The stack of the `k` outermost frames of chains built before, for `k` a multiple of
    /// `CHECKPOINT`, by a 128-bit hash of the process and those frames (as two words: a
    /// `u128` is 16-byte aligned, which made each entry 32 bytes instead of 24).
    outer: OuterTable,
    /// The current chain's outer-part hashes: `prefix[k - 1]` covers its `k` outermost frames.
    prefix: Vec<[u64; 2]>,
    /// The remembered outer parts the last search found: (depth, stack).
    found: Vec<(usize, StackId)>,
}

/// Depths at which outer parts are remembered: a finer step means fewer levels interned one by
/// one after the longest remembered part, and more entries.
const CHECKPOINT: usize = 4;

/// The last stack built for a thread, level by level.
#[derive(Default)]
struct RecentStack {
    pid: i32,
    /// Leaf first, as the sample gave them.
    frames: Vec<RawFrame>,
    /// `stacks[i]` is the stack of the `i + 1` outermost frames; `None` for levels skipped
    /// by jumping to a remembered outer part, found by walking up from a deeper level only
    /// when a later sample needs them.
    stacks: Vec<Option<StackId>>,
}

impl StackBuilder {
    /// The stack of sample `s` if its raw callchain was seen before. `None` also for samples
    /// that cannot be cached (DWARF samples: their stack depends on the copied stack bytes).
    pub fn cached(&mut self, pid: i32, s: &SampleRecord<'_>) -> Option<StackId> {
        self.chains.lookup(pid, s)
    }

    /// The stack of raw chain number `id`, if it was built since the mappings last changed.
    pub fn numbered(&self, id: u32) -> Option<StackId> {
        match self.numbered.get(id as usize) {
            Some(&(generation, stack)) if generation == self.generation + 1 => Some(stack),
            _ => None,
        }
    }

    /// Ask for the place of raw chain number `id`'s stack ahead of [`Self::numbered`]: the
    /// chains of a million distinct stacks are numbered in a table too large for the cache.
    pub fn prefetch_numbered(&self, id: u32) {
        if let Some(slot) = self.numbered.get(id as usize) {
            profview_model::prefetch(slot);
        }
    }

    /// Changes whenever the mappings change (and with them every stack built for a chain).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Remember `stack` for raw chain number `id`.
    pub fn remember_numbered(&mut self, id: u32, stack: StackId) {
        let id = id as usize;
        if self.numbered.len() <= id {
            self.numbered.resize(id + 1, (0, stack));
        }
        self.numbered[id] = (self.generation + 1, stack);
    }

    /// Remember `stack` for the raw callchain of the sample [`Self::cached`] last missed.
    pub fn remember_raw(&mut self, stack: StackId) {
        self.chains.insert(stack);
    }

    /// Intern the stack of `frames` (leaf first, not empty) for thread `tid` of process `pid`.
    pub fn build(
        &mut self,
        processes: &mut Processes,
        profile: &mut Profile,
        (pid, tid): (i32, i32),
        frames: &[RawFrame],
    ) -> StackId {
        let mut prefix = std::mem::take(&mut self.prefix);
        outer_hashes(pid, frames, &mut prefix);
        let stack = self.build_hashed(processes, profile, (pid, tid), (frames, &prefix));
        self.prefix = prefix;
        stack
    }

    /// The outer-part hashes of `frames` of process `pid` (for [`Self::build_hashed`]) in
    /// `prefix`, with the places they would be found at asked for: done a few samples ahead,
    /// the search for the chain's remembered outer part finds them in the cache instead of
    /// waiting for memory at each probe (on a million distinct stacks, that wait was half
    /// the stack builder's own time).
    pub fn prepare(&self, pid: i32, frames: &[RawFrame], prefix: &mut Vec<[u64; 2]>) {
        outer_hashes(pid, frames, prefix);
        for depth in (CHECKPOINT..=prefix.len()).step_by(CHECKPOINT) {
            self.outer.prefetch(prefix[depth - 1]);
        }
    }

    /// [`Self::build`] with the hashes [`Self::prepare`] made for `frames`.
    pub fn build_hashed(
        &mut self,
        processes: &mut Processes,
        profile: &mut Profile,
        (pid, tid): (i32, i32),
        (frames, prefix): (&[RawFrame], &[[u64; 2]]),
    ) -> StackId {
        let recent = self.recent.entry(tid).or_default();
        let shared = if recent.pid == pid {
            common_suffix(&recent.frames, frames)
        } else {
            0
        };
        if let Some(last) = shared.checked_sub(1) {
            // Found while the deeper levels it is found from are still there.
            known_level(profile, &mut recent.stacks, last);
        }
        recent.stacks.truncate(shared);
        longest_known(&self.outer, prefix, shared, &mut self.found);
        if let Some(&(depth, _)) = self.found.last() {
            recent.stacks.resize(depth, None);
            // Every outer part the search met is kept: a later sample that shares fewer
            // levels walks up from the nearest, not from the deepest.
            for &(depth, stack) in &self.found {
                recent.stacks[depth - 1] = Some(stack);
            }
        }
        let start = recent.stacks.len();
        let mut parent = start.checked_sub(1).and_then(|i| recent.stacks[i]);
        debug_assert!(start == 0 || parent.is_some(), "the level above is known");
        for (depth, raw) in (start + 1..).zip(frames[..frames.len() - start].iter().rev()) {
            let frame = processes.frame(profile, pid, *raw);
            let stack = profile.intern_stack(parent, frame);
            recent.stacks.push(Some(stack));
            if depth % CHECKPOINT == 0 {
                self.outer.insert(prefix[depth - 1], stack);
            }
            parent = Some(stack);
        }
        recent.pid = pid;
        recent.frames.clear();
        recent.frames.extend_from_slice(frames);
        parent.expect("a sample has at least one frame")
    }

    /// Forget everything: the mappings changed.
    pub fn clear(&mut self) {
        self.chains.clear();
        self.recent.clear();
        self.outer.clear();
        self.generation += 1;
    }
}

/// How many frames at the outer (root) end `a` and `b` share.
fn common_suffix(a: &[RawFrame], b: &[RawFrame]) -> usize {
    a.iter()
        .rev()
        .zip(b.iter().rev())
        .take_while(|(x, y)| x == y)
        .count()
}

/// One step of a 128-bit hash over words: multiply-xorshift, so that collisions between real
/// chains are out of reach (the entries of one file number millions, the space 2^128) for the
/// cost of a multiply a word.
pub(super) fn mix128(h: u128, word: u64) -> u128 {
    const K: u128 = 0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835;
    let m = (h ^ u128::from(word)).wrapping_mul(K);
    m ^ (m >> 64)
}

/// `out[k - 1]` = a hash of `pid` and the `k` outermost of `frames` (leaf first).
fn outer_hashes(pid: i32, frames: &[RawFrame], out: &mut Vec<[u64; 2]>) {
    out.clear();
    let mut h = mix128(0, u64::from(pid as u32));
    for raw in frames.iter().rev() {
        // The flags go in the high half, the address in the low one: one multiply a frame,
        // and still a different input for every (address, flags).
        let flags = u128::from(raw.is_return) | u128::from(raw.kernel) << 1;
        h = mix128(h ^ flags << 64, raw.address);
        out.push([h as u64, (h >> 64) as u64]);
    }
}

/// The remembered outer parts of the chain whose hashes are `prefix`, deeper than `shared`
/// levels, that the search over the checkpoints meets, in `found` as (depth, stack),
/// shallowest first: the last is the deepest there is. Remembered parts are closed under
/// taking outer parts (a chain's levels are built root first), so the search finds it.
fn longest_known(
    outer: &OuterTable,
    prefix: &[[u64; 2]],
    shared: usize,
    found: &mut Vec<(usize, StackId)>,
) {
    found.clear();
    let first = shared / CHECKPOINT + 1;
    let (mut lo, mut hi) = (first, prefix.len() / CHECKPOINT);
    // Galloping from the first checkpoint past the shared levels (offsets 0, 1, 3, 7, ...),
    // then a binary search between the last hit and the first miss: a new chain is usually
    // known only a little deeper than the chain before it on the thread, so one or two
    // probes (each a cache miss in a table of millions) settle it, where a binary search
    // over the whole depth took three or four.
    let mut offset = 0;
    while first + offset <= hi {
        let depth = (first + offset) * CHECKPOINT;
        match outer.get(prefix[depth - 1]) {
            Some(stack) => {
                found.push((depth, stack));
                lo = first + offset + 1;
                offset = offset * 2 + 1;
            }
            None => {
                hi = first + offset - 1;
                break;
            }
        }
    }
    while lo <= hi {
        let mid = (lo + hi) / 2;
        let depth = mid * CHECKPOINT;
        match outer.get(prefix[depth - 1]) {
            Some(stack) => {
                found.push((depth, stack));
                lo = mid + 1;
            }
            None => hi = mid - 1,
        }
    }
}

/// Make level `i` of `levels` (the stacks of a chain's outermost levels, root first) known,
/// walking up from the nearest known deeper level. The deepest level is always known: levels
/// are skipped only below a remembered outer part, and the levels after it are interned.
fn known_level(profile: &Profile, levels: &mut [Option<StackId>], i: usize) {
    if levels[i].is_some() {
        return;
    }
    let Some(j) = (i + 1..levels.len()).find(|&j| levels[j].is_some()) else {
        return;
    };
    let mut node = levels[j];
    for slot in levels[i..j].iter_mut().rev() {
        node = node.and_then(|n| profile.stack(n).parent);
        *slot = node;
    }
}

/// The stacks already built from raw callchains.
#[derive(Default)]
struct ChainCache {
    /// Key: the process id and kernel flag packed in one word, then the raw addresses.
    stacks: FxHashMap<Box<[u64]>, StackId>,
    /// The current sample's key; empty when the sample cannot be cached.
    key: Vec<u64>,
}

impl ChainCache {
    fn lookup(&mut self, pid: i32, s: &SampleRecord<'_>) -> Option<StackId> {
        self.key.clear();
        if s.user_stack.is_some() {
            return None;
        }
        let kernel = matches!(s.cpu_mode, CpuMode::Kernel);
        // pid as its 32 bits, so that -1 stays distinct from every real pid.
        self.key
            .push(u64::from(pid as u32) | (u64::from(kernel) << 32));
        match &s.callchain {
            Some(chain) if chain.len() <= MAX_CALLCHAIN => {
                self.key
                    .extend((0..chain.len()).map_while(|i| chain.get(i)));
            }
            Some(_) => self.key.clear(),
            None => match s.ip {
                Some(ip) => self.key.push(ip),
                None => self.key.clear(),
            },
        }
        self.stacks.get(self.key.as_slice()).copied()
    }

    fn insert(&mut self, stack: StackId) {
        if !self.key.is_empty() {
            self.stacks.insert(self.key.as_slice().into(), stack);
        }
    }

    fn clear(&mut self) {
        self.stacks.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::FrameKind;

    fn raw(address: u64) -> RawFrame {
        RawFrame {
            address,
            is_return: true,
            kernel: false,
        }
    }

    #[test]
    fn common_suffix_counts_shared_outer_frames() {
        let a = [raw(1), raw(2), raw(3)];
        assert_eq!(common_suffix(&a, &[raw(9), raw(2), raw(3)]), 2);
        assert_eq!(common_suffix(&a, &[raw(3)]), 1);
        assert_eq!(common_suffix(&a, &[raw(4)]), 0);
        assert_eq!(common_suffix(&a, &a), 3);
        let mut leaf = raw(3);
        leaf.is_return = false;
        assert_eq!(common_suffix(&a, &[leaf]), 0);
    }

    #[test]
    fn outer_hashes_follow_the_outer_frames_and_the_process() {
        let chain = |leaf: u64| [raw(leaf), raw(20), raw(30), raw(40)];
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        outer_hashes(7, &chain(1), &mut a);
        outer_hashes(7, &chain(2), &mut b);
        outer_hashes(8, &chain(1), &mut c);
        assert_eq!(a.len(), 4);
        assert_eq!(a[..3], b[..3], "same three outer frames");
        assert_ne!(a[3], b[3], "different leaves");
        assert!(a.iter().zip(&c).all(|(x, y)| x != y), "another process");
        let mut kernel = chain(1);
        kernel[3].kernel = true;
        outer_hashes(7, &kernel, &mut b);
        assert_ne!(a[0], b[0], "the kernel flag counts");
    }

    /// The deepest remembered checkpoint (the last found), `None` for none.
    fn deepest(outer: &OuterTable, prefix: &[[u64; 2]], shared: usize) -> Option<(usize, StackId)> {
        let mut found = Vec::new();
        longest_known(outer, prefix, shared, &mut found);
        assert!(
            found.windows(2).all(|w| w[0].0 < w[1].0),
            "shallowest first"
        );
        found.last().copied()
    }

    /// Every chain depth, every number of remembered checkpoints and every shared depth:
    /// the search finds the deepest remembered checkpoint past the shared levels.
    #[test]
    fn longest_known_agrees_with_looking_at_every_checkpoint() {
        let stack = StackId::from_index;
        for len in 0..=40u64 {
            let prefix: Vec<[u64; 2]> = (1..=len).map(|i| [i, 0]).collect();
            for known in 0..=len as usize / CHECKPOINT {
                let mut outer = OuterTable::default();
                for k in 1..=known {
                    outer.insert(prefix[k * CHECKPOINT - 1], stack(k * CHECKPOINT));
                }
                for shared in 0..=len as usize {
                    let deepest_past = (known * CHECKPOINT > shared)
                        .then(|| (known * CHECKPOINT, stack(known * CHECKPOINT)));
                    assert_eq!(
                        deepest(&outer, &prefix, shared),
                        deepest_past,
                        "{len} levels, {known} checkpoints known, {shared} shared"
                    );
                }
            }
        }
    }

    #[test]
    fn longest_known_finds_the_deepest_remembered_checkpoint() {
        let prefix: Vec<[u64; 2]> = (1..=13).map(|i| [i, 0]).collect();
        let stack = StackId::from_index;
        let mut outer = OuterTable::default();
        assert_eq!(deepest(&outer, &prefix, 0), None);
        outer.insert(prefix[3], stack(4));
        outer.insert(prefix[7], stack(8));
        assert_eq!(deepest(&outer, &prefix, 0), Some((8, stack(8))));
        assert_eq!(deepest(&outer, &prefix, 5), Some((8, stack(8))));
        assert_eq!(
            deepest(&outer, &prefix, 8),
            None,
            "nothing beyond what is shared"
        );
        outer.insert(prefix[11], stack(12));
        assert_eq!(deepest(&outer, &prefix, 0), Some((12, stack(12))));
        assert_eq!(deepest(&outer, &prefix[..11], 0), Some((8, stack(8))));
    }

    #[test]
    fn a_skipped_level_is_found_by_walking_up_from_a_deeper_one() {
        let mut p = Profile::new();
        let f = ["a", "b", "c", "d", "e"].map(|n| p.resolved_frame(n, None, FrameKind::User));
        let path: Vec<StackId> = (1..=5).map(|k| p.intern_stack_path(&f[..k])).collect();
        // Level 0 known, 1-2 skipped (a remembered outer part ends at level 3), 4 interned.
        let mut levels = vec![Some(path[0]), None, None, Some(path[3]), Some(path[4])];
        known_level(&p, &mut levels, 2);
        assert_eq!(levels[2], Some(path[2]));
        assert_eq!(levels[1], None, "only what was asked for is walked");
        known_level(&p, &mut levels, 1);
        let all: Vec<StackId> = levels.into_iter().map(Option::unwrap).collect();
        assert_eq!(all, path);
    }
}
