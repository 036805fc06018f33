//! The Summary tab: what the profile is, the findings, the heaviest functions.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Context, Opening, Reply, TabView};
use crate::action::Action;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// How many functions the summary lists.
const SUMMARY_TOP: usize = 10;

/// The Summary's state: the heaviest functions by self weight.
#[derive(Debug, Default)]
pub struct SummaryTab {
    /// The heaviest functions by self weight (name, weight).
    pub top_self: Vec<(String, f64)>,
}

impl TabView for SummaryTab {
    fn open(_: &mut Opening<'_>) -> Self {
        Self::default()
    }

    /// Called before the functions table is sorted: it still comes by self weight.
    fn view_changed(&mut self, ctx: &Context<'_>) {
        self.top_self = ctx
            .functions
            .functions
            .iter()
            .take(SUMMARY_TOP)
            .filter(|f| f.self_weight > 0.0)
            .map(|f| (f.name.clone(), f.self_weight))
            .collect();
    }

    fn navigate(&mut self, _: Action, _: isize, _: &Context<'_>) -> Reply {
        Reply::Done
    }

    /// The first function of the functions table, in its order.
    fn selected(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.functions.functions.first().map(|f| f.name.clone())
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        _: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::summary::render(self, ctx, theme, frame, area);
    }
}
