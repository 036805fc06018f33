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

use profview_model::{FrameId, Profile, StackId};

use crate::StackWeights;

/// The stack tree of a profile with its weights summed below each node.
pub(crate) struct PathSums<'a> {
    profile: &'a Profile,
    /// Weight of the node's own samples and of every stack below it.
    below: Vec<f64>,
    /// Whether any stack at or below the node has a weight.
    weighted: Vec<bool>,
    /// Children of node `n`: `children[first[n]..first[n + 1]]`.
    first: Vec<u32>,
    children: Vec<u32>,
}

impl<'a> PathSums<'a> {
    pub(crate) fn new(profile: &'a Profile, weights: &StackWeights) -> Self {
        let nodes = profile.stacks();
        let n = nodes.len();
        let mut below: Vec<f64> = (0..n)
            .map(|i| weights.get(StackId::from_index(i)))
            .collect();
        let mut weighted: Vec<bool> = below.iter().map(|w| *w != 0.0).collect();
        let mut count = vec![0u32; n + 1];
        // Children come after their parents: one backward pass sums each subtree.
        for i in (0..n).rev() {
            if let Some(p) = nodes[i].parent {
                let p = p.index();
                below[p] += below[i];
                weighted[p] |= weighted[i];
                count[p + 1] += 1;
            }
        }
        for i in 0..n {
            count[i + 1] += count[i];
        }
        let first = count;
        let mut fill = first.clone();
        let mut children = vec![0u32; first[n] as usize];
        for (i, node) in nodes.iter().enumerate() {
            if let Some(p) = node.parent {
                let slot = &mut fill[p.index()];
                children[*slot as usize] = i as u32;
                *slot += 1;
            }
        }
        Self {
            profile,
            below,
            weighted,
            first,
            children,
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
        let nodes = self.profile.stacks();
        let mut totals = vec![0.0; keys];
        // How many nodes of each key are on the current path.
        let mut on_path = vec![0u32; keys];
        // (node, leaving): a node is pushed to enter it, and again to leave it.
        let mut todo: Vec<(u32, bool)> = (0..nodes.len())
            .filter(|&i| nodes[i].parent.is_none() && self.weighted[i])
            .map(|i| (i as u32, false))
            .collect();
        while let Some((node, leaving)) = todo.pop() {
            let i = node as usize;
            let key = key_of(StackId::from_index(i), nodes[i].frame);
            if leaving {
                if let Some(k) = key {
                    on_path[k] -= 1;
                }
                continue;
            }
            if let Some(k) = key {
                if on_path[k] == 0 {
                    totals[k] += self.below[i];
                }
                on_path[k] += 1;
            }
            todo.push((node, true));
            let kids = &self.children[self.first[i] as usize..self.first[i + 1] as usize];
            todo.extend(
                kids.iter()
                    .filter(|&&c| self.weighted[c as usize])
                    .map(|&c| (c, false)),
            );
        }
        totals
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
    use profview_model::{WeightKindId, WeightUnit};
    use profview_testkit::synthetic::add_stack;

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
        let sums = PathSums::new(&p, &weights);
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
