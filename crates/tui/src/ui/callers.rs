//! Callers and callees of one function (a butterfly).

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use super::{percent, window, Theme};
use crate::shared::ListGeometry;
use crate::tabs::{CallersRow, CallersTab, Context};
use crate::text::shorten;

pub(crate) fn render(
    tab: &mut CallersTab,
    ctx: &Context<'_>,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let Some(c) = &tab.butterfly else {
        let text = Paragraph::new(
            "Select a function in any view and press c to see who calls it and what it calls.",
        )
        .block(Block::bordered().title(" Callers "));
        frame.render_widget(text, area);
        return;
    };
    let total = ctx.tree().total();
    let title = format!(
        " {}: total {:.2}%, self {:.2}% (Enter: this function's callers) ",
        c.function,
        percent(c.total_weight, total),
        percent(c.self_weight, total)
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let rows = tab.rows();
    let selected = tab.list.selected;
    let range = window(
        geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        rows.len(),
    );
    let name_width = usize::from(inner.width.saturating_sub(22));
    let lines = range.map(|i| {
        let (part, name, weight) = &rows[i];
        let (role, shown) = match part {
            CallersRow::Caller => ("caller", format!("  {}", shorten(name, name_width))),
            CallersRow::Function => ("", shorten(name, name_width)),
            CallersRow::Callee => ("callee", format!("  {}", shorten(name, name_width))),
        };
        let base = if *part == CallersRow::Function {
            theme.header()
        } else {
            Default::default()
        };
        let style = theme.row(base, i == selected, ctx.search.matches(name));
        Row::new([
            format!("{:>7.2}%", percent(*weight, total)),
            role.to_owned(),
            shown,
        ])
        .style(style)
    });
    let table = Table::new(
        lines,
        [
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["  Calls", "", "Function"]).style(theme.header()))
    .block(block);
    frame.render_widget(table, area);
}
