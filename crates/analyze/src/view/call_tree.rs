//! A call tree with weights: the top-down tree of a view, or its inversion (bottom-up).

use profview_model::Profile;
use serde::Serialize;

use super::group_tree::{Node, ROOT};
use super::WeightedTree;
use crate::{FunctionGroups, GroupIndex, SortBy, TopFunctions};

/// Index of a node in a [`CallTree`]; [`CallTree::ROOT`] is the root, which has no function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct NodeId(Node);

impl NodeId {
    /// The root of a tree.
    pub(crate) const ROOT: Self = Self(ROOT);

    /// The node's place in its tree's tables (`0..tree.len()`).
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The node at `index` (`0..tree.len()`).
    #[inline]
    pub fn from_index(index: usize) -> Self {
        Self(Node::try_from(index).expect("fewer than 2^32 tree nodes"))
    }

    #[inline]
    pub(crate) fn of_node(node: Node) -> Self {
        Self(node)
    }
}

/// Call paths with the weight of the samples at each (self) and below it (total).
///
/// Children lists hold only nodes with a non-zero total, heaviest first.
#[derive(Debug, Clone)]
pub struct CallTree {
    parent: Vec<Node>,
    group: Vec<GroupIndex>,
    self_weight: Vec<f64>,
    total_weight: Vec<f64>,
    /// Children of node `n`: `children[child_start[n]..child_start[n + 1]]`.
    child_start: Vec<u32>,
    children: Vec<NodeId>,
}

impl CallTree {
    /// The root node: no function, its total is the weight of the whole view.
    pub const ROOT: NodeId = NodeId::ROOT;

    pub(crate) fn build(parent: Vec<Node>, group: Vec<GroupIndex>, self_weight: Vec<f64>) -> Self {
        let mut total_weight = self_weight.clone();
        for n in (1..parent.len()).rev() {
            total_weight[parent[n] as usize] += total_weight[n];
        }
        let mut count = profview_model::filled(parent.len() + 1, 0u32);
        for n in 1..parent.len() {
            if total_weight[n] != 0.0 {
                count[parent[n] as usize + 1] += 1;
            }
        }
        for n in 1..count.len() {
            count[n] += count[n - 1];
        }
        let child_start = count.clone();
        let mut children = vec![NodeId::default(); *count.last().unwrap_or(&0) as usize];
        for n in 1..parent.len() {
            if total_weight[n] != 0.0 {
                let slot = &mut count[parent[n] as usize];
                children[*slot as usize] = NodeId::from_index(n);
                *slot += 1;
            }
        }
        let mut tree = Self {
            parent,
            group,
            self_weight,
            total_weight,
            child_start,
            children,
        };
        tree.sort_children();
        tree
    }

    fn sort_children(&mut self) {
        for n in 0..self.parent.len() {
            let range = self.child_start[n] as usize..self.child_start[n + 1] as usize;
            let total = &self.total_weight;
            let group = &self.group;
            self.children[range].sort_by(|a, b| {
                total[(*b).index()]
                    .total_cmp(&total[(*a).index()])
                    .then(group[(*a).index()].cmp(&group[(*b).index()]))
            });
        }
    }

    /// Number of nodes, the root and zero-weight nodes included.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True if the tree has only its root.
    pub fn is_empty(&self) -> bool {
        self.parent.len() <= 1
    }

    /// The weight of the whole view.
    pub fn total(&self) -> f64 {
        self.total_weight[ROOT as usize]
    }

    /// The children of `node` with a non-zero total, heaviest first.
    pub fn children(&self, node: NodeId) -> &[NodeId] {
        let n = node.index();
        &self.children[self.child_start[n] as usize..self.child_start[n + 1] as usize]
    }

    /// The parent of `node`, `None` for the root.
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        (node != Self::ROOT).then(|| NodeId::of_node(self.parent[node.index()]))
    }

    /// The function group of `node`, `None` for the root.
    pub fn group(&self, node: NodeId) -> Option<GroupIndex> {
        (node != Self::ROOT).then(|| self.group[node.index()])
    }

    /// Weight of the samples whose path ends exactly at `node`.
    pub fn self_weight(&self, node: NodeId) -> f64 {
        self.self_weight[node.index()]
    }

    /// Weight of the samples whose path passes through `node`.
    pub fn total_weight(&self, node: NodeId) -> f64 {
        self.total_weight[node.index()]
    }

    /// Number of calls between the root and `node` (1 for a child of the root).
    pub fn depth(&self, mut node: NodeId) -> usize {
        let mut depth = 0;
        while node != Self::ROOT {
            node = NodeId::of_node(self.parent[node.index()]);
            depth += 1;
        }
        depth
    }

    /// The nodes from the root's child down to `node`.
    pub fn path(&self, node: NodeId) -> Vec<NodeId> {
        let mut path = Vec::new();
        let mut n = node;
        while n != Self::ROOT {
            path.push(n);
            n = NodeId::of_node(self.parent[n.index()]);
        }
        path.reverse();
        path
    }

    /// From `node` down through the heaviest child each time, while that child holds at least
    /// `min_share` (0-1) of its parent's total: what "expand the hot path" opens.
    pub fn hottest_path(&self, node: NodeId, min_share: f64) -> Vec<NodeId> {
        let mut path = Vec::new();
        let mut n = node;
        while let Some(&child) = self.children(n).first() {
            if self.total_weight(child) < min_share * self.total_weight(n) {
                break;
            }
            path.push(child);
            n = child;
        }
        path
    }

    /// Visit every node with a non-zero total, parents before children, each time with the
    /// number of times its group already appears above it.
    fn walk(&self, mut visit: impl FnMut(NodeId, u32)) {
        let mut on_path = vec![0u32; self.group.iter().copied().max().map_or(0, |g| g.index()) + 1];
        // (node, entering): a node is pushed again to leave it after its children.
        let mut todo: Vec<(NodeId, bool)> = self
            .children(Self::ROOT)
            .iter()
            .rev()
            .map(|&n| (n, true))
            .collect();
        while let Some((node, entering)) = todo.pop() {
            let g = self.group[node.index()].index();
            if entering {
                visit(node, on_path[g]);
                on_path[g] += 1;
                todo.push((node, false));
                todo.extend(self.children(node).iter().rev().map(|&c| (c, true)));
            } else {
                on_path[g] -= 1;
            }
        }
    }

    /// Self and total weight per function group (recursion counted once), as a table sorted
    /// by `sort`.
    pub fn functions(
        &self,
        profile: &Profile,
        groups: &FunctionGroups,
        sort: SortBy,
    ) -> TopFunctions {
        let mut self_w = vec![0.0; groups.len()];
        let mut total_w = vec![0.0; groups.len()];
        // The group that gets each node's self time: inlined code's goes to the function it
        // was inlined into, the nearest caller node that is not inlined (parents come first).
        let mut holder: Vec<GroupIndex> = vec![GroupIndex::new(0); self.len()];
        self.walk(|node, above| {
            let n = node.index();
            let g = self.group[n];
            let parent = self.parent[n];
            holder[n] = if groups.is_inlined(g) && parent != ROOT {
                holder[parent as usize]
            } else {
                g
            };
            self_w[holder[n].index()] += self.self_weight(node);
            // Inlined code has no row of its own, unless nothing holds it (a focused root).
            if above == 0 && holder[n] == g {
                total_w[g.index()] += self.total_weight(node);
            }
        });
        TopFunctions::from_sums(profile, groups, &self_w, &total_w, self.total(), sort)
    }

    /// Who calls the functions in `targets` and whom they call, with the weights. Calls
    /// nested inside another call of a target are counted once, in the outer call.
    pub fn caller_callee(&self, groups: &FunctionGroups, targets: &[GroupIndex]) -> CallerCallee {
        let mut is_target = vec![false; groups.len()];
        for &g in targets {
            is_target[g.index()] = true;
        }
        let mut callers = vec![0.0; groups.len()];
        let mut callees = vec![0.0; groups.len()];
        let (mut self_weight, mut total_weight, mut from_root) = (0.0, 0.0, 0.0);
        let mut targets_above = vec![0u32; self.len()];
        // Parents come before children in the walk: a node's count is its parent's plus one
        // if the parent is a target.
        self.walk(|node, _| {
            let n = node.index();
            let parent = self.parent[n];
            let parent_is_target = parent != ROOT && is_target[self.group[parent as usize].index()];
            targets_above[n] = targets_above[parent as usize] + u32::from(parent_is_target);
            if !is_target[self.group[n].index()] {
                return;
            }
            self_weight += self.self_weight[n];
            if targets_above[n] > 0 {
                return;
            }
            let total = self.total_weight[n];
            total_weight += total;
            match self.group(NodeId::of_node(parent)) {
                Some(caller) => callers[caller.index()] += total,
                None => from_root += total,
            }
            for &child in self.children(node) {
                callees[self.group[child.index()].index()] += self.total_weight(child);
            }
        });
        CallerCallee {
            function: targets
                .first()
                .map(|&g| groups.label(g))
                .unwrap_or_default(),
            self_weight,
            total_weight,
            from_root,
            callers: related(groups, &callers),
            callees: related(groups, &callees),
        }
    }
}

/// A function and its neighbours in the call graph (a "butterfly").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallerCallee {
    /// The function.
    pub function: String,
    /// Weight of samples in the function itself.
    pub self_weight: f64,
    /// Weight of samples with the function on the stack (recursion counted once).
    pub total_weight: f64,
    /// Part of the total where the function is the outermost frame (no caller known).
    pub from_root: f64,
    /// The functions that call it, heaviest first, with the total weight of those calls.
    pub callers: Vec<Related>,
    /// The functions it calls, heaviest first, with the total weight of those calls.
    pub callees: Vec<Related>,
}

/// A caller or callee in a [`CallerCallee`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Related {
    /// Its function group.
    #[serde(skip)]
    pub group: GroupIndex,
    /// Its name (with the line when grouping by line).
    pub name: String,
    /// Weight of the calls between it and the function.
    pub weight: f64,
}

fn related(groups: &FunctionGroups, weights: &[f64]) -> Vec<Related> {
    let mut out: Vec<Related> = weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w != 0.0)
        .map(|(g, w)| Related {
            group: GroupIndex::new(g),
            name: groups.label(GroupIndex::new(g)),
            weight: *w,
        })
        .collect();
    out.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.name.cmp(&b.name)));
    out
}

// The top-down tree is complete, so code holding a `&CallTree` can read it as a
// WeightedTree too.
macro_rules! weighted_call_tree {
    ($t:ty) => {
        impl WeightedTree for $t {
            fn total(&self) -> f64 {
                CallTree::total(self)
            }

            fn child_nodes(&mut self, node: NodeId) -> Vec<NodeId> {
                self.children(node).to_vec()
            }

            fn group(&self, node: NodeId) -> Option<GroupIndex> {
                CallTree::group(self, node)
            }

            fn self_weight(&self, node: NodeId) -> f64 {
                CallTree::self_weight(self, node)
            }

            fn total_weight(&self, node: NodeId) -> f64 {
                CallTree::total_weight(self, node)
            }
        }
    };
}

weighted_call_tree!(CallTree);
weighted_call_tree!(&CallTree);
