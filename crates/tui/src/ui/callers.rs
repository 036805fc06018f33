//! Callers and callees of one function (a butterfly).

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use super::{percent, window, Theme};
use crate::app::{App, CallersRow};
use crate::text::shorten;

pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let Some(c) = &app.callers else {
        let text = Paragraph::new(
            "Select a function in any view and press c to see who calls it and what it calls.",
        )
        .block(Block::bordered().title(" Callers "));
        frame.render_widget(text, area);
        return;
    };
    let total = app.tree().total();
    let title = format!(
        " {}: total {:.2}%, self {:.2}% (Enter: this function's callers) ",
        c.function,
        percent(c.total_weight, total),
        percent(c.self_weight, total)
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let rows = app.callers_rows();
    let selected = app.callers_list.selected;
    let range = window(
        &mut app.geometry,
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
        let style = theme.row(base, i == selected, app.search.matches(name));
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
