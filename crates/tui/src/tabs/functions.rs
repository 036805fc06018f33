//! The Functions tab: every function with its self and total weight, in the chosen order.

use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Context, Found, ListState, Opening, Reply, TabView};
use crate::action::Action;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// The functions table's selection (the table itself is the app's: the summary and the
/// sort key `s` use it too).
#[derive(Debug, Default)]
pub struct FunctionsTab {
    /// The selected row.
    pub list: ListState,
}

impl TabView for FunctionsTab {
    fn open(_: &mut Opening<'_>) -> Self {
        Self::default()
    }

    fn view_changed(&mut self, _: &Context<'_>) {
        self.list = ListState::default();
    }

    fn navigate(&mut self, _: Action, delta: isize, ctx: &Context<'_>) -> Reply {
        self.list.move_by(delta, ctx.functions.functions.len());
        Reply::Done
    }

    fn click(&mut self, index: usize, ctx: &Context<'_>) {
        self.list.click(index, ctx.functions.functions.len());
    }

    fn find(&mut self, forward: bool, ctx: &Context<'_>) -> Found {
        let names: Vec<&str> = ctx
            .functions
            .functions
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        self.list.find(&names, forward, ctx.search)
    }

    fn selected(&self, ctx: &Context<'_>) -> Option<String> {
        ctx.functions
            .functions
            .get(self.list.selected)
            .map(|f| f.name.clone())
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::functions::render(self, ctx, geometry, theme, frame, area);
    }
}
