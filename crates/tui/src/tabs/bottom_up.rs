//! The Bottom-up tab: the sampled functions, their callers below (computed when opened).

use profview_analyze::{BottomUp, NodeId};
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{find_row, navigate_tree, Context, Found, Opening, Reply, TabView};
use crate::action::Action;
use crate::rows::TreeRows;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// The bottom-up tree and its visible rows.
#[derive(Debug)]
pub struct BottomUpTab {
    /// The tree (children computed when opened).
    pub tree: BottomUp,
    /// The visible rows.
    pub rows: TreeRows,
}

impl BottomUpTab {
    /// The name shown for node `node`.
    pub fn label(&self, ctx: &Context<'_>, node: NodeId) -> String {
        ctx.view.label(&self.tree, node)
    }
}

impl TabView for BottomUpTab {
    fn open(start: &mut Opening<'_>) -> Self {
        Self {
            tree: start.view.bottom_up(),
            rows: TreeRows::default(),
        }
    }

    fn view_changed(&mut self, ctx: &Context<'_>) {
        self.tree = ctx.view.bottom_up();
        self.rows = TreeRows::new(&mut self.tree);
    }

    fn navigate(&mut self, action: Action, delta: isize, _: &Context<'_>) -> Reply {
        navigate_tree(&mut self.rows, &mut self.tree, action, delta);
        Reply::Done
    }

    fn click(&mut self, index: usize, _: &Context<'_>) {
        self.rows.select(index);
    }

    fn find(&mut self, forward: bool, ctx: &Context<'_>) -> Found {
        let names: Vec<String> = self
            .rows
            .rows()
            .iter()
            .map(|r| self.label(ctx, r.node))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        find_row(&mut self.rows, &names, forward, ctx.search)
    }

    fn selected(&self, ctx: &Context<'_>) -> Option<String> {
        self.rows.selected_node().map(|n| self.label(ctx, n))
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::tree::render(
            &self.rows,
            Some(&self.tree),
            ctx,
            geometry,
            theme,
            frame,
            area,
        );
    }
}
