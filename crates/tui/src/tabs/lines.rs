//! The Lines tab: one function by source line, the hottest first, above the source around
//! the selected line; or (`a` again) its instructions.

use profview_analyze::Annotation;
use ratatui::layout::Rect;
use ratatui::Frame;

use super::{Context, ListState, Opening, Reply, TabView};
use crate::action::Action;
use crate::code::{CodeCache, CodeSource};
use crate::shared::ListGeometry;
use crate::ui::{self, Theme};

/// The function annotated, its source text and instructions, and the selections.
#[derive(Debug, Default)]
pub struct LinesTab {
    /// The time of one function by source line (`a`).
    pub annotation: Option<Annotation>,
    /// The selected line.
    pub list: ListState,
    /// The source text and instructions fetched, and which of the two is shown.
    pub code: CodeCache,
    /// The assembly listing's selected row.
    pub asm_list: ListState,
}

impl LinesTab {
    /// Show `annotation`, its lines first, with the source files `code` has.
    pub fn show(&mut self, annotation: Annotation, code: Option<&dyn CodeSource>) {
        self.code = CodeCache::default();
        for l in &annotation.lines {
            self.code.fetch_source(code, &l.file);
        }
        self.annotation = Some(annotation);
        self.list = ListState::default();
        self.asm_list = ListState::default();
    }

    /// Its source lines or its instructions (fetched the first time).
    fn toggle_assembly(&mut self, ctx: &Context<'_>) {
        let Some(a) = &self.annotation else {
            return;
        };
        self.code.assembly = !self.code.assembly;
        if self.code.assembly && self.code.instructions.is_none() {
            self.code.fetch_instructions(ctx.code, ctx.profile, a);
            // Open on the hottest instruction.
            self.asm_list.selected = self.code.hottest.first().copied().unwrap_or(0);
        }
    }
}

impl TabView for LinesTab {
    fn open(_: &mut Opening<'_>) -> Self {
        Self::default()
    }

    /// Once a function was annotated.
    fn shown(&self) -> bool {
        self.annotation.is_some()
    }

    /// Enter goes to the next hottest line or instruction.
    fn navigate(&mut self, action: Action, delta: isize, _: &Context<'_>) -> Reply {
        if self.code.assembly {
            if action == Action::Expand {
                if let Some(next) = self.code.next_hottest(self.asm_list.selected) {
                    self.asm_list.selected = next;
                }
            } else {
                self.asm_list.move_by(delta, self.code.rows.len());
            }
        } else {
            let len = self.annotation.as_ref().map_or(0, |a| a.lines.len());
            // Enter: the next hottest line (the rows are hottest first).
            let delta = if action == Action::Expand { 1 } else { delta };
            self.list.move_by(delta, len);
        }
        Reply::Done
    }

    fn click(&mut self, index: usize, _: &Context<'_>) {
        if self.code.assembly {
            self.asm_list.click(index, self.code.rows.len());
        } else {
            let len = self.annotation.as_ref().map_or(0, |a| a.lines.len());
            self.list.click(index, len);
        }
    }

    fn selected(&self, _: &Context<'_>) -> Option<String> {
        self.annotation.as_ref().map(|a| a.function.clone())
    }

    /// `a` switches between the lines and the instructions.
    fn key(&mut self, action: Action, ctx: &Context<'_>) -> Option<Reply> {
        if action != Action::ShowLines {
            return None;
        }
        self.toggle_assembly(ctx);
        Some(Reply::Done)
    }

    fn draw(
        &mut self,
        _: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    ) {
        ui::lines::render(self, geometry, theme, frame, area);
    }
}
