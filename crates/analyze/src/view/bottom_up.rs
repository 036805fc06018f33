//! The bottom-up (inverted) tree, built as it is opened.
//!
//! Its roots are the functions samples were taken in; a node's children are the functions that
//! called it. Building the whole tree walks every sampled stack from leaf to root (millions of
//! steps on a large profile), but a person opens a few nodes, so each node's children are
//! computed the first time they are asked for, from the top-down nodes it stands for.

use std::sync::Arc;

use super::call_tree::{CallTree, NodeId};
use super::WeightedTree;
use crate::GroupIndex;

/// The bottom-up tree of a [`CallTree`]. Node 0 is the root; its total is the tree's.
///
/// It shares the top-down tree (an `Arc`) rather than borrowing it, so a browser can keep both
/// in one state.
#[derive(Debug, Clone)]
pub struct BottomUp {
    tree: Arc<CallTree>,
    nodes: Vec<UpNode>,
    /// The top-down nodes each bottom-up node stands for, with the self weight they carry:
    /// node `n`'s are `occurrences[n.occurrences.clone()]`.
    occurrences: Vec<(NodeId, f64)>,
    /// Scratch: for each group, the child being filled during one expansion.
    slot: Vec<u32>,
}

#[derive(Debug, Clone)]
struct UpNode {
    parent: NodeId,
    group: Option<GroupIndex>,
    total: f64,
    self_weight: f64,
    occurrences: std::ops::Range<usize>,
    children: Option<Vec<NodeId>>,
}

const NO_SLOT: u32 = u32::MAX;

impl BottomUp {
    /// The bottom-up tree of `tree`; only its roots are computed.
    pub fn new(tree: Arc<CallTree>) -> Self {
        // The root stands for every top-down node with samples of its own, seen from "below
        // the leaf": its children are grouped by the function of those nodes themselves.
        let occurrences: Vec<(NodeId, f64)> = (1..tree.len())
            .map(NodeId::from_index)
            .filter(|&n| tree.self_weight(n) != 0.0)
            .map(|n| (n, tree.self_weight(n)))
            .collect();
        let groups = (0..tree.len())
            .map(NodeId::from_index)
            .filter_map(|n| tree.group(n))
            .max()
            .map_or(0, |g| g.index() + 1);
        let root = UpNode {
            parent: CallTree::ROOT,
            group: None,
            total: tree.total(),
            self_weight: 0.0,
            occurrences: 0..occurrences.len(),
            children: None,
        };
        Self {
            tree,
            nodes: vec![root],
            occurrences,
            slot: vec![NO_SLOT; groups],
        }
    }

    /// The root node.
    pub const ROOT: NodeId = CallTree::ROOT;

    /// The weight of the whole view.
    pub fn total(&self) -> f64 {
        self.nodes[0].total
    }

    /// The callers of `node` (for the root: the sampled functions), heaviest first.
    pub fn children(&mut self, node: NodeId) -> &[NodeId] {
        if self.nodes[node.index()].children.is_none() {
            self.expand(node);
        }
        self.nodes[node.index()].children.as_deref().unwrap_or(&[])
    }

    /// The parent of `node` (the function it called), `None` for the root.
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        (node != Self::ROOT).then(|| self.nodes[node.index()].parent)
    }

    /// The function group of `node`, `None` for the root.
    pub fn group(&self, node: NodeId) -> Option<GroupIndex> {
        self.nodes[node.index()].group
    }

    /// Weight of the samples whose stack ends (from the leaf up) with this node's path.
    pub fn total_weight(&self, node: NodeId) -> f64 {
        self.nodes[node.index()].total
    }

    /// Weight of the samples whose whole stack is this node's path (the outermost caller is
    /// this node's function).
    pub fn self_weight(&self, node: NodeId) -> f64 {
        self.nodes[node.index()].self_weight
    }

    /// Number of calls between the root and `node`.
    pub fn depth(&self, mut node: NodeId) -> usize {
        let mut depth = 0;
        while node != Self::ROOT {
            node = self.nodes[node.index()].parent;
            depth += 1;
        }
        depth
    }

    /// Compute the children of `node`: its top-down nodes' callers, grouped by function.
    fn expand(&mut self, node: NodeId) {
        let range = self.nodes[node.index()].occurrences.clone();
        let is_root = node == Self::ROOT;
        // Pass 1: which child each occurrence goes to, and the children's sizes.
        let mut children: Vec<NodeId> = Vec::new();
        let mut sizes: Vec<usize> = Vec::new();
        for i in range.clone() {
            let Some(next) = self.step(self.occurrences[i].0, is_root) else {
                continue;
            };
            let g = self.tree.group(next).expect("not the root").index();
            if self.slot[g] == NO_SLOT {
                self.slot[g] = children.len() as u32;
                children.push(NodeId::from_index(self.nodes.len() + children.len()));
                sizes.push(0);
            }
            sizes[self.slot[g] as usize] += 1;
        }
        // Pass 2: lay the children's occurrences out one after the other.
        let base = self.occurrences.len();
        let mut fill: Vec<usize> = sizes
            .iter()
            .scan(base, |at, &n| {
                let start = *at;
                *at += n;
                Some(start)
            })
            .collect();
        let mut new_nodes: Vec<UpNode> = fill
            .iter()
            .zip(&sizes)
            .map(|(&start, &n)| UpNode {
                parent: node,
                group: None,
                total: 0.0,
                self_weight: 0.0,
                occurrences: start..start + n,
                children: None,
            })
            .collect();
        self.occurrences
            .resize(base + sizes.iter().sum::<usize>(), (NodeId::default(), 0.0));
        for i in range {
            let (at, weight) = self.occurrences[i];
            let Some(next) = self.step(at, is_root) else {
                continue;
            };
            let g = self.tree.group(next).expect("not the root");
            let child = self.slot[g.index()] as usize;
            let n = &mut new_nodes[child];
            n.group = Some(g);
            n.total += weight;
            if self.tree.parent(next) == Some(CallTree::ROOT) {
                n.self_weight += weight;
            }
            self.occurrences[fill[child]] = (next, weight);
            fill[child] += 1;
        }
        for n in &new_nodes {
            self.slot[n.group.expect("set above").index()] = NO_SLOT;
        }
        self.nodes.extend(new_nodes);
        let nodes = &self.nodes;
        children.sort_by(|a, b| {
            let (a, b) = (&nodes[(*a).index()], &nodes[(*b).index()]);
            b.total.total_cmp(&a.total).then(a.group.cmp(&b.group))
        });
        self.nodes[node.index()].children = Some(children);
    }

    /// The top-down node one step up from occurrence `at`: the node itself below the root
    /// (the leaf's function), its caller further down; `None` past the outermost frame.
    fn step(&self, at: NodeId, is_root: bool) -> Option<NodeId> {
        if is_root {
            return Some(at);
        }
        self.tree.parent(at).filter(|&p| p != CallTree::ROOT)
    }
}

impl WeightedTree for BottomUp {
    fn total(&self) -> f64 {
        BottomUp::total(self)
    }

    fn child_nodes(&mut self, node: NodeId) -> Vec<NodeId> {
        self.children(node).to_vec()
    }

    fn group(&self, node: NodeId) -> Option<GroupIndex> {
        BottomUp::group(self, node)
    }

    fn self_weight(&self, node: NodeId) -> f64 {
        BottomUp::self_weight(self, node)
    }

    fn total_weight(&self, node: NodeId) -> f64 {
        BottomUp::total_weight(self, node)
    }
}
