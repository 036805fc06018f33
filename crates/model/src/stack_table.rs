//! The interned stack nodes of a profile.

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

use crate::{FrameId, StackId};

const NO_NODE: u32 = u32::MAX;

/// A node of the stack prefix tree: `frame` called from `parent` (`None` at the root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackNode {
    /// The caller's stack, `None` for a root frame.
    pub parent: Option<StackId>,
    /// The innermost frame of this stack.
    pub frame: FrameId,
}

// Hashed as one word: the derived hash (a discriminant and two `u32`s) spreads the millions of
// nodes of a large profile badly under Fx, and the stack interner's probes dominated reading.
impl std::hash::Hash for StackNode {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let parent = self
            .parent
            .map_or(u64::from(u32::MAX), |p| p.index() as u64);
        state.write_u64((parent << 32) | self.frame.index() as u64);
    }
}

/// Stack nodes, each stored once: `(parent, frame)` to its index.
///
/// A node is looked up from its parent, and most parents have one child or two (a call path
/// continues one way far more often than it forks, and a fork is most often a branch: the two
/// call sites of a binary recursion, a hit and a miss): each node's first two children are kept
/// in an array by the node's index, and only roots and the further children are hashed.
/// Reading a file of a million distinct stacks then finds or adds most nodes with one read of
/// one place and no hash probe, and the hash table is small.
#[derive(Debug, Clone, Default)]
pub(crate) struct StackTable {
    nodes: Vec<StackNode>,
    /// Each node's first two children and their frames, by the node's index (the frames kept
    /// beside them so that a lookup reads one place, not three); [`NO_NODE`] for none yet.
    first_children: Vec<[(u32, FrameId); 2]>,
    /// Roots, and the children after their parent's first two.
    others: FxHashMap<StackNode, u32>,
}

impl StackTable {
    /// Room for `additional` more nodes without growing.
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.nodes.reserve(additional);
        self.first_children.reserve(additional);
    }

    /// Ask for what interning a child of `parent` reads first (see [`crate::prefetch`]).
    pub(crate) fn prefetch_children(&self, parent: usize) {
        if let Some(kids) = self.first_children.get(parent) {
            crate::prefetch(kids);
        }
    }

    /// The index of `node`, adding it if it is new.
    pub(crate) fn intern(&mut self, node: StackNode) -> usize {
        if let Some(parent) = node.parent {
            let kids = self.first_children[parent.index()];
            for (slot, (child, frame)) in kids.into_iter().enumerate() {
                if child == NO_NODE {
                    let i = self.push(node);
                    self.first_children[parent.index()][slot] = (i as u32, node.frame);
                    return i;
                }
                if frame == node.frame {
                    return child as usize;
                }
            }
        }
        match self.others.entry(node) {
            Entry::Occupied(e) => *e.get() as usize,
            Entry::Vacant(e) => {
                let i = self.nodes.len();
                e.insert(u32::try_from(i).expect("more than u32::MAX stack nodes"));
                self.push(node)
            }
        }
    }

    /// The index of `node`, if it is here.
    pub(crate) fn get(&self, node: &StackNode) -> Option<usize> {
        if let Some(parent) = node.parent {
            for (child, frame) in *self.first_children.get(parent.index())? {
                if child == NO_NODE {
                    return None;
                }
                if frame == node.frame {
                    return Some(child as usize);
                }
            }
        }
        self.others.get(node).map(|&i| i as usize)
    }

    /// Every node; a node's parent has a smaller index.
    pub(crate) fn values(&self) -> &[StackNode] {
        &self.nodes
    }

    /// Give every node the frame `new_frame` says, the tree's shape kept. For a renaming that
    /// gives no two children of a node one frame (the caller checks), this is the table that
    /// interning the renamed nodes in order would make, without a lookup.
    pub(crate) fn rename_frames(&mut self, new_frame: impl Fn(FrameId) -> FrameId) {
        for node in &mut self.nodes {
            node.frame = new_frame(node.frame);
        }
        for kids in &mut self.first_children {
            for (_, frame) in kids {
                *frame = new_frame(*frame);
            }
        }
        self.others = std::mem::take(&mut self.others)
            .into_iter()
            .map(|(node, i)| {
                let frame = new_frame(node.frame);
                (StackNode { frame, ..node }, i)
            })
            .collect();
    }

    /// The nodes alone, the lookup structures dropped (a rebuild reads only the nodes).
    pub(crate) fn into_nodes(self) -> Vec<StackNode> {
        self.nodes
    }

    fn push(&mut self, node: StackNode) -> usize {
        let i = self.nodes.len();
        assert!(i < NO_NODE as usize, "more than u32::MAX stack nodes");
        self.nodes.push(node);
        self.first_children.push([(NO_NODE, node.frame); 2]);
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(parent: Option<usize>, frame: usize) -> StackNode {
        StackNode {
            parent: parent.map(StackId::from_index),
            frame: FrameId::from_index(frame),
        }
    }

    #[test]
    fn first_children_and_others_are_each_found_once() {
        let mut t = StackTable::default();
        let root = t.intern(node(None, 0));
        let a = t.intern(node(Some(root), 1)); // the root's first child
        let b = t.intern(node(Some(root), 2)); // its second child
        let d = t.intern(node(Some(root), 3)); // a third child: hashed
        let c = t.intern(node(Some(a), 2)); // a's first child
        let other_root = t.intern(node(None, 5));
        assert_eq!([root, a, b, d, c, other_root], [0, 1, 2, 3, 4, 5]);
        assert_eq!(t.others.len(), 3, "the roots and the third child");
        for (n, i) in [
            (node(None, 0), root),
            (node(Some(root), 1), a),
            (node(Some(root), 2), b),
            (node(Some(root), 3), d),
            (node(Some(a), 2), c),
            (node(None, 5), other_root),
        ] {
            assert_eq!(t.intern(n), i, "{n:?}");
            assert_eq!(t.get(&n), Some(i), "{n:?}");
        }
        assert_eq!(t.values().len(), 6);
        assert_eq!(t.get(&node(Some(b), 1)), None);
        assert_eq!(t.get(&node(Some(a), 1)), None, "a has one child");
        assert_eq!(t.get(&node(Some(root), 4)), None);
        assert_eq!(t.get(&node(None, 1)), None);
    }
}
