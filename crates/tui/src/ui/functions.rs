//! The top-functions table.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Row, Table};
use ratatui::Frame;

use super::{percent, window, Theme};
use crate::app::{App, FunctionSort};
use crate::text::shorten;

pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let sort = match app.function_sort {
        FunctionSort::SelfWeight => "self",
        FunctionSort::Total => "total",
        FunctionSort::Name => "name",
    };
    let title = format!(
        " Functions ({}), sorted by {sort} (s) ",
        app.functions.functions.len()
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let rows = inner.height.saturating_sub(1);
    let total = app.functions.total_weight;
    let selected = app.function_list.selected;
    let range = window(
        &mut app.geometry,
        inner.y + 1,
        rows,
        selected,
        app.functions.functions.len(),
    );
    let name_width = usize::from(inner.width.saturating_sub(20));
    let lines = range.map(|i| {
        let f = &app.functions.functions[i];
        let style = theme.row(
            Default::default(),
            i == selected,
            app.search.matches(&f.name),
        );
        Row::new([
            format!("{:>7.2}%", percent(f.self_weight, total)),
            format!("{:>7.2}%", percent(f.total_weight, total)),
            shorten(&f.name, name_width),
        ])
        .style(style)
    });
    let table = Table::new(
        lines,
        [
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["   Self", "  Total", "Function"]).style(theme.header()))
    .block(block);
    frame.render_widget(table, area);
}
