//! Call paths of function groups as an interned prefix tree, and the stack transforms as
//! passes from one such tree to the next.

use rustc_hash::FxHashMap;

use crate::GroupIndex;

/// Index of a node in a [`GroupTree`]; node 0 is the root (no function).
pub(crate) type Node = u32;

pub(crate) const ROOT: Node = 0;
/// A path the transform removed: its samples are not counted.
pub(crate) const EXCLUDED: Node = u32::MAX;
/// A path that has not reached the focused function yet (dropped if it never does).
pub(crate) const PENDING: Node = u32::MAX - 1;
const NO_GROUP: GroupIndex = GroupIndex::NONE;

/// Whether `node` is a node of the tree rather than a marker.
pub(crate) fn is_node(node: Node) -> bool {
    node < PENDING
}

/// Paths of groups, each interned once. A node's parent has a smaller index, so one forward
/// pass visits callers before callees.
#[derive(Debug, Clone)]
pub(crate) struct GroupTree {
    pub(crate) parent: Vec<Node>,
    pub(crate) group: Vec<GroupIndex>,
    /// Each node's first child and its group ([`ROOT`] while it has none): most paths go on
    /// in one function (the stack nodes of a function's call sites and lines map to the same
    /// group), so most lookups read this array by the parent's index instead of probing a
    /// hash table of millions of entries (on a million distinct stacks, the probes were
    /// half of the browser's time before its first screen).
    first_child: Vec<(GroupIndex, Node)>,
    /// The other children, by (parent, group).
    others: FxHashMap<u64, Node>,
}

impl GroupTree {
    /// An empty tree with room for `nodes` nodes.
    pub(crate) fn with_capacity(nodes: usize) -> Self {
        let mut tree = Self {
            parent: Vec::with_capacity(nodes),
            group: Vec::with_capacity(nodes),
            first_child: Vec::with_capacity(nodes),
            others: FxHashMap::default(),
        };
        tree.push(ROOT, NO_GROUP);
        tree
    }

    pub(crate) fn len(&self) -> usize {
        self.parent.len()
    }

    /// The node for `group` called from `parent`.
    pub(crate) fn intern(&mut self, parent: Node, group: GroupIndex) -> Node {
        let (first_group, first) = self.first_child[parent as usize];
        if first == ROOT {
            let node = self.push(parent, group);
            self.first_child[parent as usize] = (group, node);
            return node;
        }
        if first_group == group {
            return first;
        }
        let key = (u64::from(parent) << 32) | u64::from(group.key());
        let next = self.parent.len() as Node;
        let node = *self.others.entry(key).or_insert(next);
        if node == next {
            self.push(parent, group);
        }
        node
    }

    /// Ask for what interning a child of `parent` reads first.
    pub(crate) fn prefetch_children(&self, parent: Node) {
        if let Some(first) = self.first_child.get(parent as usize) {
            profview_model::prefetch(first);
        }
    }

    fn push(&mut self, parent: Node, group: GroupIndex) -> Node {
        let node = self.parent.len() as Node;
        self.parent.push(parent);
        self.group.push(group);
        self.first_child.push((NO_GROUP, ROOT));
        node
    }

    /// The nearest node on the path from `node` up to the root whose group is `group`.
    fn ancestor_with(&self, mut node: Node, group: GroupIndex) -> Option<Node> {
        while node != ROOT {
            if self.group[node as usize] == group {
                return Some(node);
            }
            node = self.parent[node as usize];
        }
        None
    }
}

/// One stack transform, with its functions resolved to a mask over groups.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Paths start at the outermost call of a masked group; paths without one are dropped.
    Focus(Vec<bool>),
    /// Masked frames disappear: their time goes to their caller.
    Merge(Vec<bool>),
    /// Paths through a masked group are dropped.
    Drop(Vec<bool>),
    /// A masked group called again below itself continues at the outer call.
    CollapseRecursion(Vec<bool>),
    /// Runs of masked frames become one frame of the given group.
    Collapse(Vec<bool>, GroupIndex),
}

impl Step {
    /// Apply the step to every path of `input`: the new tree, and where each input node went
    /// (a node of the new tree, [`EXCLUDED`] or [`PENDING`]).
    pub(crate) fn apply(&self, input: &GroupTree) -> (GroupTree, Vec<Node>) {
        // A transform mostly keeps or shrinks the tree: size for the input.
        let mut out = GroupTree::with_capacity(input.len());
        let mut map = Vec::with_capacity(input.len());
        map.push(match self {
            Step::Focus(_) => PENDING,
            _ => ROOT,
        });
        for i in 1..input.len() {
            let parent = map[input.parent[i] as usize];
            let group = input.group[i];
            let node = if parent == EXCLUDED {
                EXCLUDED
            } else {
                self.map_node(&mut out, parent, group)
            };
            map.push(node);
        }
        (out, map)
    }

    fn map_node(&self, out: &mut GroupTree, parent: Node, group: GroupIndex) -> Node {
        let g = group.index();
        match self {
            Step::Focus(mask) if parent == PENDING => {
                if mask[g] {
                    out.intern(ROOT, group)
                } else {
                    PENDING
                }
            }
            Step::Merge(mask) if mask[g] => parent,
            Step::Drop(mask) if mask[g] => EXCLUDED,
            Step::CollapseRecursion(mask) if mask[g] => out
                .ancestor_with(parent, group)
                .unwrap_or_else(|| out.intern(parent, group)),
            Step::Collapse(mask, into) if mask[g] => {
                if parent != ROOT && out.group[parent as usize] == *into {
                    parent
                } else {
                    out.intern(parent, *into)
                }
            }
            _ => out.intern(parent, group),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tree of the given paths; returns it and the node of each path's end.
    fn tree(paths: &[&[usize]]) -> (GroupTree, Vec<Node>) {
        let mut t = GroupTree::with_capacity(1);
        let ends = paths
            .iter()
            .map(|p| {
                p.iter()
                    .fold(ROOT, |parent, &g| t.intern(parent, GroupIndex::new(g)))
            })
            .collect();
        (t, ends)
    }

    fn path(t: &GroupTree, mut node: Node) -> Vec<usize> {
        let mut out = Vec::new();
        while is_node(node) && node != ROOT {
            out.push(t.group[node as usize].index());
            node = t.parent[node as usize];
        }
        out.reverse();
        out
    }

    fn mask(groups: &[usize]) -> Vec<bool> {
        (0..10).map(|g| groups.contains(&g)).collect()
    }

    fn run(step: Step, p: &[usize]) -> Option<Vec<usize>> {
        let (t, ends) = tree(&[p]);
        let (out, map) = step.apply(&t);
        let end = map[ends[0] as usize];
        is_node(end).then(|| path(&out, end))
    }

    #[test]
    fn focus_starts_at_the_outermost_call() {
        assert_eq!(
            run(Step::Focus(mask(&[2])), &[0, 2, 3, 2, 4]),
            Some(vec![2, 3, 2, 4])
        );
        assert_eq!(run(Step::Focus(mask(&[2])), &[0, 1]), None);
    }

    #[test]
    fn merge_gives_time_to_the_caller() {
        assert_eq!(
            run(Step::Merge(mask(&[1])), &[0, 1, 2, 1]),
            Some(vec![0, 2])
        );
        // Merging every frame leaves the sample at the root: still counted in the total.
        let (t, ends) = tree(&[&[1]]);
        assert_eq!(Step::Merge(mask(&[1])).apply(&t).1[ends[0] as usize], ROOT);
    }

    #[test]
    fn drop_removes_paths_through_the_function() {
        assert_eq!(run(Step::Drop(mask(&[1])), &[0, 1, 2]), None);
        assert_eq!(run(Step::Drop(mask(&[1])), &[0, 2]), Some(vec![0, 2]));
    }

    #[test]
    fn collapse_recursion_drops_the_frames_between_calls() {
        let step = || Step::CollapseRecursion(mask(&[1]));
        assert_eq!(run(step(), &[0, 1, 2, 1, 1, 3]), Some(vec![0, 1, 3]));
        assert_eq!(run(step(), &[0, 2, 2]), Some(vec![0, 2, 2]));
    }

    #[test]
    fn collapse_turns_runs_into_one_frame() {
        let step = || Step::Collapse(mask(&[1, 2]), GroupIndex::new(9));
        assert_eq!(run(step(), &[0, 1, 2, 3, 2, 4]), Some(vec![0, 9, 3, 9, 4]));
    }
}
