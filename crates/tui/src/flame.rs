//! The flame graph drawn in cells: layout of the top-down tree from a zoomed node, and the
//! selection moving over it. Roots are at the top (an icicle), as a terminal reads downwards.

use profview_analyze::{CallTree, NodeId};

use crate::rows::ROOT;

/// The zoomed node (full width) and the selected frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlameState {
    /// The frame drawn across the whole width.
    pub zoom: NodeId,
    /// The selected frame.
    pub selected: NodeId,
}

impl Default for FlameState {
    fn default() -> Self {
        Self {
            zoom: ROOT,
            selected: ROOT,
        }
    }
}

impl FlameState {
    /// Make the selected frame full width.
    pub fn zoom_in(&mut self) {
        self.zoom = self.selected;
    }

    /// Zoom out one level.
    pub fn zoom_out(&mut self, tree: &CallTree) {
        self.zoom = tree.parent(self.zoom).unwrap_or(ROOT);
    }

    /// Select the selected frame's caller.
    pub fn to_parent(&mut self, tree: &CallTree) {
        if let Some(parent) = tree.parent(self.selected) {
            self.selected = parent;
        }
    }

    /// Select the heaviest child.
    pub fn to_child(&mut self, tree: &CallTree) {
        if let Some(&child) = tree.children(self.selected).first() {
            self.selected = child;
        }
    }

    /// Select the neighbour on the same level (`step` -1 or 1) under the same parent.
    pub fn to_sibling(&mut self, tree: &CallTree, step: isize) {
        let Some(parent) = tree.parent(self.selected) else {
            return;
        };
        let siblings = tree.children(parent);
        if let Some(at) = siblings.iter().position(|&n| n == self.selected) {
            let next = (at as isize + step).clamp(0, siblings.len() as isize - 1);
            self.selected = siblings[next as usize];
        }
    }

    /// Follow the heaviest children to the end.
    pub fn to_hottest(&mut self, tree: &CallTree) {
        while let Some(&child) = tree.children(self.selected).first() {
            self.selected = child;
        }
    }

    /// Select `node`; zoom out to the root when it is not inside the zoomed frame.
    pub fn select(&mut self, tree: &CallTree, node: NodeId) {
        self.selected = node;
        if !tree.path(node).contains(&self.zoom) {
            self.zoom = ROOT;
        }
    }
}

/// One frame's place on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlameCell {
    /// The call-tree node drawn.
    pub node: NodeId,
    /// Level below the zoomed frame (0: the zoomed frame, or the roots when zoomed out).
    pub depth: usize,
    /// First column.
    pub x: u16,
    /// Width in columns.
    pub width: u16,
}

/// The frames to draw in `width` columns and `levels` rows, from `zoom` down. Frames narrower
/// than one column are left out (their weight stays in the parent's width).
pub fn layout(tree: &CallTree, zoom: NodeId, width: u16, levels: usize) -> Vec<FlameCell> {
    let mut cells = Vec::new();
    let total = tree.total_weight(zoom);
    if total <= 0.0 || width == 0 || levels == 0 {
        return cells;
    }
    let scale = f64::from(width) / total;
    // (node, depth, left edge in columns as a fraction)
    let mut stack: Vec<(NodeId, usize, f64)> = if zoom == ROOT {
        let mut x = 0.0;
        tree.children(ROOT)
            .iter()
            .map(|&n| {
                let at = (n, 0, x);
                x += tree.total_weight(n) * scale;
                at
            })
            .collect()
    } else {
        vec![(zoom, 0, 0.0)]
    };
    while let Some((node, depth, left)) = stack.pop() {
        let right = left + tree.total_weight(node) * scale;
        let (x0, x1) = (
            left.round() as u16,
            right.round().min(f64::from(width)) as u16,
        );
        if x1 <= x0 {
            continue;
        }
        cells.push(FlameCell {
            node,
            depth,
            x: x0,
            width: x1 - x0,
        });
        if depth + 1 < levels {
            let mut x = left;
            for &child in tree.children(node) {
                stack.push((child, depth + 1, x));
                x += tree.total_weight(child) * scale;
            }
        }
    }
    cells
}
