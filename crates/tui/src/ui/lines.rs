//! One function's time by source line: the hottest first, inlined code with the line of the
//! function it came in at.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Row, Table};
use ratatui::Frame;

use super::{window, Theme};
use crate::app::App;
use crate::text::shorten;

pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let Some(a) = &app.lines else {
        return;
    };
    let title = format!(
        " {}: its self time by line (Enter: the next hottest; profview annotate --asm for instructions) ",
        a.function
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let selected = app.lines_list.selected;
    let range = window(
        &mut app.geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        a.lines.len(),
    );
    let width = usize::from(inner.width.saturating_sub(20));
    let rows = range.map(|i| {
        let l = &a.lines[i];
        let file = l.file.rsplit('/').next().unwrap_or(&l.file);
        let place = match (&l.inlined_from, l.call_site) {
            (Some(f), Some(at)) => format!("{file}:{}  ({f}, inlined at line {at})", l.line),
            (Some(f), None) => format!("{file}:{}  ({f}, inlined)", l.line),
            _ => format!("{file}:{}", l.line),
        };
        Row::new([
            format!("{:>7.2}%", l.self_percent),
            format!("{:>7.2}%", l.total_percent),
            shorten(&place, width),
        ])
        .style(theme.row(Default::default(), i == selected, false))
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["   Self", "  Total", "Line"]).style(theme.header()))
    .block(block);
    frame.render_widget(table, area);
}
