//! The top-functions table.

use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::{Block, Row, Table};
use ratatui::Frame;

use super::{percent, window, Theme};
use crate::shared::{FunctionSort, ListGeometry};
use crate::tabs::{Context, FunctionsTab};
use crate::text::shorten;
use profview_model::WeightUnit;

pub(crate) fn render(
    tab: &mut FunctionsTab,
    ctx: &Context<'_>,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let sort = match ctx.function_sort {
        FunctionSort::SelfWeight => "self",
        FunctionSort::Total => "total",
        FunctionSort::Name => "name",
    };
    let title = format!(
        " Functions ({}), sorted by {sort} (s) ",
        ctx.functions.functions.len()
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let rows = inner.height.saturating_sub(1);
    let total = ctx.functions.total_weight;
    let selected = tab.list.selected;
    let range = window(
        geometry,
        inner.y + 1,
        rows,
        selected,
        ctx.functions.functions.len(),
    );
    // A heap profile's weights are exact bytes or counts: the self weight is shown as well.
    let unit = ctx.profile.weight_kind(ctx.kind).unit;
    let amounts = unit.is_memory();
    let amount_width: u16 = if amounts { 12 } else { 0 };
    let name_width = usize::from(inner.width.saturating_sub(20 + amount_width));
    let lines = range.map(|i| {
        let f = &ctx.functions.functions[i];
        let style = theme.row(
            Default::default(),
            i == selected,
            ctx.search.matches(&f.name),
        );
        let mut cells = vec![
            format!("{:>7.2}%", percent(f.self_weight, total)),
            format!("{:>7.2}%", percent(f.total_weight, total)),
        ];
        if amounts && f.self_weight != 0.0 {
            cells.push(format!("{:>11}", unit.format(f.self_weight)));
        } else if amounts {
            cells.push(String::new());
        }
        cells.push(shorten(&f.name, name_width));
        Row::new(cells).style(style)
    });
    let mut widths = vec![Constraint::Length(8), Constraint::Length(8)];
    let mut header = vec!["   Self", "  Total"];
    if amounts {
        widths.push(Constraint::Length(amount_width - 1));
        header.push(if unit == WeightUnit::Bytes {
            " Self bytes"
        } else {
            " Self count"
        });
    }
    widths.push(Constraint::Fill(1));
    header.push("Function");
    let table = Table::new(lines, widths)
        .header(Row::new(header).style(theme.header()))
        .block(block);
    frame.render_widget(table, area);
}
