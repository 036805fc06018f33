//! A call tree as the rows a person sees: only expanded nodes' children are listed, and only
//! the rows in the window are ever drawn, so trees of any size scroll at the same speed.

use std::collections::HashSet;

use profview_analyze::{NodeId, WeightedTree};

/// The root of every tree.
pub const ROOT: NodeId = profview_analyze::CallTree::ROOT;

/// One visible row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Row {
    /// The tree node.
    pub node: NodeId,
    /// 0 for the root's children.
    pub depth: u16,
    /// Its children are shown.
    pub expanded: bool,
    /// It has children to show.
    pub has_children: bool,
}

/// Which nodes are expanded, the rows that follows from it, and the selection.
#[derive(Debug, Clone, Default)]
pub struct TreeRows {
    expanded: HashSet<NodeId>,
    rows: Vec<Row>,
    selected: usize,
}

impl TreeRows {
    /// The rows of `tree` with nothing expanded: the root's children.
    pub fn new(tree: &mut dyn WeightedTree) -> Self {
        let mut rows = Self::default();
        rows.rebuild(tree);
        rows
    }

    /// Recompute the rows after an expansion changed (keeps the selected node when it is
    /// still visible).
    pub fn rebuild(&mut self, tree: &mut dyn WeightedTree) {
        let selected = self.selected_node();
        self.rows.clear();
        let mut stack: Vec<(NodeId, u16)> = tree
            .child_nodes(ROOT)
            .into_iter()
            .rev()
            .map(|n| (n, 0))
            .collect();
        while let Some((node, depth)) = stack.pop() {
            let children = tree.child_nodes(node);
            let expanded = self.expanded.contains(&node) && !children.is_empty();
            self.rows.push(Row {
                node,
                depth,
                expanded,
                has_children: !children.is_empty(),
            });
            if expanded {
                stack.extend(children.into_iter().rev().map(|c| (c, depth + 1)));
            }
        }
        self.selected = selected
            .and_then(|n| self.rows.iter().position(|r| r.node == n))
            .unwrap_or(0);
    }

    /// The visible rows, top to bottom.
    pub fn rows(&self) -> &[Row] {
        &self.rows
    }

    /// The selected row's index.
    pub fn selected(&self) -> usize {
        self.selected
    }

    /// The selected row's node.
    pub fn selected_node(&self) -> Option<NodeId> {
        self.rows.get(self.selected).map(|r| r.node)
    }

    /// Move the selection by `delta` rows, staying within the rows.
    pub fn move_by(&mut self, delta: isize) {
        let last = self.rows.len().saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Select row `index` (clamped).
    pub fn select(&mut self, index: usize) {
        self.selected = index.min(self.rows.len().saturating_sub(1));
    }

    /// Select `node` if it is visible.
    pub fn select_node(&mut self, node: NodeId) -> bool {
        match self.rows.iter().position(|r| r.node == node) {
            Some(i) => {
                self.selected = i;
                true
            }
            None => false,
        }
    }

    /// Expand (`true`) or collapse the selected node.
    pub fn set_expanded(&mut self, tree: &mut dyn WeightedTree, expand: bool) {
        let Some(node) = self.selected_node() else {
            return;
        };
        if expand {
            self.expanded.insert(node);
        } else {
            self.expanded.remove(&node);
        }
        self.rebuild(tree);
    }

    /// Collapse the selected node, or when it is collapsed already, select its parent.
    pub fn collapse_or_up(&mut self, tree: &mut dyn WeightedTree) {
        let Some(row) = self.rows.get(self.selected).copied() else {
            return;
        };
        if row.expanded {
            self.set_expanded(tree, false);
            return;
        }
        // The parent is the nearest row above with a smaller depth.
        if let Some(parent) = self.rows[..self.selected]
            .iter()
            .rposition(|r| r.depth < row.depth)
        {
            self.selected = parent;
        }
    }

    /// Expand every node on `path` (outermost first) and select its last node.
    pub fn reveal(&mut self, tree: &mut dyn WeightedTree, path: &[NodeId]) {
        if let Some((last, above)) = path.split_last() {
            self.expanded.extend(above.iter().copied());
            self.rebuild(tree);
            self.select_node(*last);
        }
    }

    /// Expand the selected node and, below it, each heaviest child while it holds at least
    /// `min_share` of the selected node's total: the hottest path in one key.
    pub fn expand_hottest(&mut self, tree: &mut dyn WeightedTree, min_share: f64) {
        let Some(start) = self.selected_node() else {
            return;
        };
        let floor = tree.total_weight(start) * min_share;
        let mut node = start;
        loop {
            self.expanded.insert(node);
            match tree.child_nodes(node).first() {
                Some(&child) if tree.total_weight(child) >= floor => node = child,
                _ => break,
            }
        }
        self.rebuild(tree);
        self.select_node(node);
    }
}
