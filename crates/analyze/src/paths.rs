//! Sums over every stack in one pass over the stack tree instead of a walk of each stack's
//! frames.
//!
//! A profile's stacks share their callers: a node per distinct path, each pointing at its
//! parent. Walking every weighted stack's frames costs stacks × depth (a million distinct
//! 30-frame stacks: 30 million steps, most of them cache misses, per analysis); a pass over
//! the nodes costs nodes. Two passes are enough for everything that was a walk:
//! - forward (parents before children, the order nodes are interned in): anything a node
//!   inherits from its parent (depth, "a kernel entry point is above");
//! - depth first with enter and leave: "counted once per stack" sums, as the weight below
//!   the outermost node on each path that has a key (a function, a module), with a count of
//!   each key on the current path.

use profview_model::{prefetch, FrameId, Profile, StackId};

/// How many nodes ahead of its use a pass asks for what it will read.
const AHEAD: usize = 16;

/// The weighted part of a profile's stack tree laid out depth first, with the weight below
/// each node: a pass in that order reads memory in order, where a walk of the tree from node
/// to child jumps across tables of millions of nodes.
#[derive(Debug, Clone)]
pub(crate) struct PathSums {
    /// The nodes with weight at or below them, in depth-first order (children of a node by
    /// descending index, like the walk this replaced, so sums are added in the same order).
    order: Vec<u32>,
    /// `frames[p]`: the frame of node `order[p]`.
    frames: Vec<FrameId>,
    /// `below[p]`: the weight of node `order[p]`'s own samples and of every stack below it.
    below: Vec<f64>,
    /// `end[p]`: the position after node `order[p]`'s subtree.
    end: Vec<u32>,
}

impl PathSums {
    /// `weights`: the weight of each stack's own samples, by stack index (what
    /// [`crate::StackWeights`] holds; it makes this once, `path_sums`).
    pub(crate) fn new(profile: &Profile, weights: &[f64]) -> Self {
        let nodes = profile.stacks();
        let n = nodes.len();
        let mut below_node: Vec<f64> = (0..n)
            .map(|i| weights.get(i).copied().unwrap_or(0.0))
            .collect();
        // Weighted nodes in each subtree, and each node's offset in its parent's subtree:
        // after the siblings with a larger index, whose sizes are what the parent's size holds
        // so far. Children come after their parents: when a backward pass reaches a node, its
        // subtree is complete.
        // Summed into at the parents' places: written out first (`filled`).
        let mut size = profview_model::filled(n, 0u32);
        let mut offset = vec![0u32; n];
        let mut roots = 0u32;
        let parent_at = |i: usize| nodes.get(i).and_then(|node| node.parent);
        for i in (0..n).rev() {
            // The passes read nodes in order, their parents anywhere: ask for those a few
            // nodes ahead, so that the cache misses overlap.
            if let Some(p) = i.checked_sub(AHEAD).and_then(parent_at) {
                prefetch(&below_node[p.index()]);
                prefetch(&size[p.index()]);
            }
            if below_node[i] != 0.0 || size[i] != 0 {
                size[i] += 1;
            }
            let own = size[i];
            if own == 0 {
                continue;
            }
            let parent_size = match nodes[i].parent {
                Some(p) => {
                    below_node[p.index()] += below_node[i];
                    &mut size[p.index()]
                }
                None => &mut roots,
            };
            offset[i] = *parent_size;
            *parent_size += own;
        }
        // Positions, parents before children: a forward pass.
        let mut pos = offset;
        for i in 0..n {
            if let Some(p) = parent_at(i + AHEAD) {
                prefetch(&pos[p.index()]);
            }
            if size[i] != 0 {
                if let Some(p) = nodes[i].parent {
                    pos[i] += pos[p.index()] + 1;
                }
            }
        }
        // Gathered array by array, each per-node table dropped once read: the peak is a few
        // words a node, not all of them at once.
        let mut order = vec![0u32; roots as usize];
        for i in (0..n).filter(|&i| size[i] != 0) {
            order[pos[i] as usize] = i as u32;
        }
        drop(pos);
        // Each gather reads by node, in depth-first order: anywhere; the same asking ahead.
        let ahead = |p: usize| order.get(p + AHEAD).map(|&i| i as usize);
        let end: Vec<u32> = (0..order.len())
            .map(|p| {
                if let Some(i) = ahead(p) {
                    prefetch(&size[i]);
                }
                p as u32 + size[order[p] as usize]
            })
            .collect();
        drop(size);
        let below: Vec<f64> = (0..order.len())
            .map(|p| {
                if let Some(i) = ahead(p) {
                    prefetch(&below_node[i]);
                }
                below_node[order[p] as usize]
            })
            .collect();
        drop(below_node);
        let frames = (0..order.len())
            .map(|p| {
                if let Some(i) = ahead(p) {
                    prefetch(&nodes[i]);
                }
                nodes[order[p] as usize].frame
            })
            .collect();
        Self {
            order,
            frames,
            below,
            end,
        }
    }

    /// For each of `keys` keys, the weight of the stacks with a frame of that key, each stack
    /// counted once however many of its frames have it (a recursive function's total).
    pub(crate) fn once_per_stack(
        &self,
        keys: usize,
        key_of: impl Fn(FrameId) -> Option<usize>,
    ) -> Vec<f64> {
        self.once_per_stack_at(keys, |_, frame| key_of(frame))
    }

    /// [`Self::once_per_stack`] with a key that may depend on the node too (a root node that
    /// names the thread, not code, has none).
    pub(crate) fn once_per_stack_at(
        &self,
        keys: usize,
        key_of: impl Fn(StackId, FrameId) -> Option<usize>,
    ) -> Vec<f64> {
        let mut totals = vec![0.0; keys];
        // How many nodes of each key are on the current path, and the keyed nodes on it:
        // (the end of the node's subtree, its key).
        let mut on_path = vec![0u32; keys];
        let mut open: Vec<(u32, usize)> = Vec::new();
        for (p, (&node, &frame)) in self.order.iter().zip(&self.frames).enumerate() {
            while let Some(&(end, k)) = open.last() {
                if end as usize > p {
                    break;
                }
                on_path[k] -= 1;
                open.pop();
            }
            if let Some(k) = key_of(StackId::from_index(node as usize), frame) {
                if on_path[k] == 0 {
                    totals[k] += self.below[p];
                }
                on_path[k] += 1;
                open.push((self.end[p], k));
            }
        }
        totals
    }
}

impl PathSums {
    /// Visit the laid-out nodes depth first, each after its callers: `visit(path, node,
    /// frame)` gets the values it returned for the node's callers (root first) and returns
    /// the node's own, which its callees will see on their path. A walk up a node's stack
    /// is then a walk down an array in the cache, not jumps across the stack table.
    pub(crate) fn depth_first<T>(&self, mut visit: impl FnMut(&[T], StackId, FrameId) -> T) {
        let mut path: Vec<T> = Vec::new();
        let mut ends: Vec<u32> = Vec::new();
        for (p, (&node, &frame)) in self.order.iter().zip(&self.frames).enumerate() {
            while ends.last().is_some_and(|&end| end as usize <= p) {
                ends.pop();
                path.pop();
            }
            let value = visit(&path, StackId::from_index(node as usize), frame);
            path.push(value);
            ends.push(self.end[p]);
        }
    }
}

/// For every stack node, `own(frame) + value(parent)` (`own(frame)` for a root), in one
/// forward pass: what a node inherits from its callers.
pub(crate) fn down_the_tree<T: Copy + Default>(
    profile: &Profile,
    own: impl Fn(FrameId) -> T,
    combine: impl Fn(T, T) -> T,
) -> Vec<T> {
    let nodes = profile.stacks();
    let mut out: Vec<T> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let mine = own(node.frame);
        let value = match node.parent {
            Some(p) => combine(out[p.index()], mine),
            None => mine,
        };
        out.push(value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StackWeights;
    use profview_model::{WeightKindId, WeightUnit};
    use profview_testkit::synthetic::add_stack;

    /// On many random recursive stacks (some without weight, interned but never sampled),
    /// the pass gives what walking each stack's distinct frames gives.
    #[test]
    fn once_per_stack_equals_a_walk_of_every_stack() {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let t = p.add_thread(None, None, None);
        let names = ["a", "b", "c", "d", "e"];
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        let mut walked = vec![0.0; 16];
        for _ in 0..400 {
            let depth = 1 + next(7) as usize;
            let stack: Vec<&str> = (0..depth).map(|_| names[next(5) as usize]).collect();
            let frames: Vec<FrameId> = stack
                .iter()
                .map(|n| p.resolved_frame(n, None, profview_model::FrameKind::User))
                .collect();
            if next(4) == 0 {
                p.intern_stack_path(&frames); // a stack without samples
                continue;
            }
            let weight = next(10) as f64;
            add_stack(&mut p, t, kind, &stack, weight);
            let mut distinct = frames.clone();
            distinct.sort();
            distinct.dedup();
            for f in distinct {
                walked[f.index()] += weight;
            }
        }
        let weights = StackWeights::new(&p, kind);
        let sums = weights
            .path_sums(&p)
            .once_per_stack(16, |f| Some(f.index()));
        assert_eq!(sums, walked);
    }

    /// The sums of a pass equal those of walking each stack, on recursive stacks.
    #[test]
    fn once_per_stack_counts_recursion_once() {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let t = p.add_thread(None, None, None);
        for (names, w) in [
            (&["main", "f", "g", "f", "h"][..], 5.0),
            (&["main", "f", "g"][..], 3.0),
            (&["main", "h"][..], 2.0),
            (&["other"][..], 1.0),
        ] {
            add_stack(&mut p, t, kind, names, w);
        }
        let weights = StackWeights::new(&p, WeightKindId::from_index(0));
        let sums = weights.path_sums(&p);
        let names: Vec<String> = (0..p.frames().len())
            .map(|i| p.frame_label(FrameId::from_index(i)))
            .collect();
        let key = |f: FrameId| Some(f.index());
        let totals = sums.once_per_stack(names.len(), key);
        let total_of = |name: &str| {
            let i = names.iter().position(|n| n == name).unwrap();
            totals[i]
        };
        assert_eq!(total_of("main"), 10.0);
        assert_eq!(total_of("f"), 8.0, "f twice on one stack counts once");
        assert_eq!(total_of("h"), 7.0);
        assert_eq!(total_of("other"), 1.0);
        // Depth by a forward pass.
        let depth = down_the_tree(&p, |_| 1usize, |a, b| a + b);
        assert_eq!(depth.iter().max(), Some(&5));
    }
}
