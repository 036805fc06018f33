//! The Callers tab: who calls one function and what it calls (a butterfly).

use profview_analyze::CallerCallee;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Context, ListState, Opening, Reply, TabView};
use crate::action::Action;
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// Which part of the Callers view a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallersRow {
    /// A function that calls it.
    Caller,
    /// The function itself.
    Function,
    /// A function it calls.
    Callee,
}

/// The function shown, when one was chosen, and the selection.
#[derive(Debug, Default)]
pub struct CallersTab {
    /// The callers and callees of the function shown.
    pub butterfly: Option<CallerCallee>,
    /// The selected row.
    pub list: ListState,
}

impl CallersTab {
    /// Show `butterfly`, the function itself selected (between its callers and callees).
    pub fn show(&mut self, butterfly: CallerCallee) {
        self.list.selected = butterfly.callers.len();
        self.butterfly = Some(butterfly);
    }

    /// The rows: callers, the function, callees.
    pub fn rows(&self) -> Vec<(CallersRow, String, f64)> {
        let Some(c) = &self.butterfly else {
            return Vec::new();
        };
        let mut rows: Vec<_> = c
            .callers
            .iter()
            .map(|r| (CallersRow::Caller, r.name.clone(), r.weight))
            .collect();
        rows.push((CallersRow::Function, c.function.clone(), c.total_weight));
        rows.extend(
            c.callees
                .iter()
                .map(|r| (CallersRow::Callee, r.name.clone(), r.weight)),
        );
        rows
    }
}

impl TabView for CallersTab {
    fn open(_: &mut Opening<'_>) -> Self {
        Self::default()
    }

    /// The same function in the new view (gone when the view no longer has it).
    fn view_changed(&mut self, ctx: &Context<'_>) {
        if let Some(c) = &self.butterfly {
            let name = c.function.clone();
            self.butterfly = ctx.view.caller_callee(&name);
        }
        self.list = ListState::default();
    }

    /// Enter shows the selected row's own callers.
    fn navigate(&mut self, action: Action, delta: isize, _: &Context<'_>) -> Reply {
        if action == Action::Expand {
            return Reply::ShowCallers;
        }
        self.list.move_by(delta, self.rows().len());
        Reply::Done
    }

    fn click(&mut self, index: usize, _: &Context<'_>) {
        let len = self.rows().len();
        self.list.click(index, len);
    }

    fn selected(&self, _: &Context<'_>) -> Option<String> {
        self.rows()
            .get(self.list.selected)
            .map(|(_, name, _)| name.clone())
    }

    fn draw(
        &mut self,
        ctx: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::callers::render(self, ctx, geometry, theme, frame, area);
    }
}
