//! From a sample's raw addresses to an interned stack, doing as little as possible per sample.
//!
//! Two caches keep the cost per sample low on large files: most samples repeat a callchain seen
//! before (one hash of the raw chain finds its stack), and most of the rest share their outer
//! frames with the previous sample of the same thread (those levels are reused, only the new
//! inner frames are looked up and interned). Both depend on the process's mappings, so any
//! change to them clears both.

use linux_perf_data::linux_perf_event_reader::{CpuMode, SampleRecord};
use profview_model::{Profile, StackId};
use rustc_hash::FxHashMap;

use super::state::Processes;
use super::MAX_CALLCHAIN;

/// One address of a sample's stack, before it is looked up in the process's mappings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawFrame {
    pub address: u64,
    /// A return address (every frame but the sampled instruction pointer).
    pub is_return: bool,
    pub kernel: bool,
}

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
}

/// The last stack built for a thread, level by level.
#[derive(Default)]
struct RecentStack {
    pid: i32,
    /// Leaf first, as the sample gave them.
    frames: Vec<RawFrame>,
    /// `stacks[i]` is the stack of the `i + 1` outermost frames.
    stacks: Vec<StackId>,
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
        let recent = self.recent.entry(tid).or_default();
        let shared = if recent.pid == pid {
            common_suffix(&recent.frames, frames)
        } else {
            0
        };
        recent.stacks.truncate(shared);
        let mut parent = shared.checked_sub(1).map(|i| recent.stacks[i]);
        for raw in frames[..frames.len() - shared].iter().rev() {
            let frame = processes.frame(profile, pid, *raw);
            let stack = profile.intern_stack(parent, frame);
            recent.stacks.push(stack);
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
}
