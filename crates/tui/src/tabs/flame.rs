//! The Flame graph tab: the top-down tree drawn in cells, one row per call level.

use profview_analyze::NodeId;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Context, Found, Opening, Reply, TabView};
use crate::action::Action;
use crate::flame::FlameState;
use crate::rows::ROOT;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// The flame graph's zoom and selection.
#[derive(Debug, Default)]
pub struct FlameTab {
    /// The zoom and the selected frame.
    pub state: FlameState,
}

impl TabView for FlameTab {
    fn open(_: &mut Opening<'_>) -> Self {
        Self::default()
    }

    fn view_changed(&mut self, _: &Context<'_>) {
        self.state = FlameState::default();
    }

    /// ↑ ↓ go to the parent or a child, `[` `]` to a neighbour, → zooms in, ← zooms out, `e`
    /// follows the hottest child.
    fn navigate(&mut self, action: Action, _: isize, ctx: &Context<'_>) -> Reply {
        let tree = ctx.tree();
        let flame = &mut self.state;
        match action {
            Action::Expand => flame.zoom_in(),
            Action::Collapse => flame.zoom_out(tree),
            Action::Up => flame.to_parent(tree),
            Action::Down => flame.to_child(tree),
            Action::Left => flame.to_sibling(tree, -1),
            Action::Right => flame.to_sibling(tree, 1),
            Action::ExpandHottest => flame.to_hottest(tree),
            _ => {}
        }
        Reply::Done
    }

    /// The widest match first, then narrower ones.
    fn find(&mut self, forward: bool, ctx: &Context<'_>) -> Found {
        let tree = ctx.tree();
        let current = self.state.selected;
        let mut matches: Vec<NodeId> = (1..tree.len())
            .map(NodeId::from_index)
            .filter(|&n| ctx.search.matches(&ctx.node_label(n)))
            .collect();
        matches.sort_by(|&a, &b| {
            tree.total_weight(b)
                .total_cmp(&tree.total_weight(a))
                .then(a.cmp(&b))
        });
        let at = matches.iter().position(|&n| n == current);
        let n = matches.len();
        let next = match (at, forward) {
            (None, _) => 0,
            (Some(i), true) => (i + 1) % n.max(1),
            (Some(i), false) => (i + n - 1) % n.max(1),
        };
        let Some(&hit) = matches.get(next) else {
            return Found::NoMatch;
        };
        self.state.select(tree, hit);
        Found::Match
    }

    fn selected(&self, ctx: &Context<'_>) -> Option<String> {
        (self.state.selected != ROOT).then(|| ctx.node_label(self.state.selected))
    }

    /// Esc zooms out before it quits.
    fn key(&mut self, action: Action, ctx: &Context<'_>) -> Option<Reply> {
        if action != Action::Back || self.state.zoom == ROOT {
            return None;
        }
        self.state.zoom_out(ctx.tree());
        Some(Reply::Done)
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        _: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::flame::render(self, ctx, theme, frame, area);
    }
}
