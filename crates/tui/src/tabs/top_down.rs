//! The Top-down tab: the call tree from the roots. Its search covers the whole tree, not
//! only the open rows, and is also what `n` searches in the tabs without rows of their own.

use profview_analyze::{CallTree, NodeId};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{navigate_tree, Context, Found, Opening, Reply, TabView};
use crate::action::Action;
use crate::rows::{TreeRows, ROOT};
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// The top-down tree's visible rows and selection.
#[derive(Debug, Default)]
pub struct TopDownTab {
    /// The visible rows.
    pub rows: TreeRows,
}

impl TabView for TopDownTab {
    fn open(_: &mut Opening<'_>) -> Self {
        Self::default()
    }

    fn view_changed(&mut self, ctx: &Context<'_>) {
        let mut tree: &CallTree = ctx.tree();
        self.rows = TreeRows::new(&mut tree);
    }

    fn navigate(&mut self, action: Action, delta: isize, ctx: &Context<'_>) -> Reply {
        let mut tree: &CallTree = ctx.tree();
        navigate_tree(&mut self.rows, &mut tree, action, delta);
        Reply::Done
    }

    fn click(&mut self, index: usize, _: &Context<'_>) {
        self.rows.select(index);
    }

    /// Search the whole tree (not only the open rows) and reveal the match.
    fn find(&mut self, forward: bool, ctx: &Context<'_>) -> Found {
        let tree = ctx.tree();
        let current = self.rows.selected_node().unwrap_or(ROOT);
        let (len, current) = (tree.len(), current.index());
        let order = (1..len).map(|i| {
            NodeId::from_index(if forward {
                (current + i) % len
            } else {
                (current + len - i) % len
            })
        });
        let Some(hit) = order
            .filter(|&n| n != ROOT)
            .find(|&n| ctx.search.matches(&ctx.node_label(n)))
        else {
            return Found::NoMatch;
        };
        let path = tree.path(hit);
        let mut t: &CallTree = tree;
        self.rows.reveal(&mut t, &path);
        Found::Match
    }

    fn selected(&self, ctx: &Context<'_>) -> Option<String> {
        self.rows.selected_node().map(|n| ctx.node_label(n))
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::tree::render(&self.rows, None, ctx, geometry, theme, frame, area);
    }
}
