//! The top-down and bottom-up call trees.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Color;
use ratatui::widgets::{Block, Row, Table};
use ratatui::Frame;

use super::{bar, percent, window, Theme};
use profview_analyze::BottomUp;

use crate::rows::TreeRows;
use crate::shared::ListGeometry;
use crate::tabs::Context;
use crate::text::shorten;

/// Width of the share bar.
const BAR: usize = 10;

/// The top-down tree's `rows`, or with `bottom_up` that tree's.
pub(crate) fn render(
    rows: &TreeRows,
    bottom_up: Option<&BottomUp>,
    ctx: &Context<'_>,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let top_down = bottom_up.is_none();
    let title = if top_down {
        " Top-down: callers above callees (→ expand, e hottest path, c callers, f/m/d focus/merge/drop) "
    } else {
        " Bottom-up: functions by self time, the callers below (→ expand) "
    };
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let rows_high = inner.height.saturating_sub(1);
    let (rows, selected) = (rows.rows().to_vec(), rows.selected());
    let range = window(geometry, inner.y + 1, rows_high, selected, rows.len());
    let total = ctx.tree().total();
    let name_width = usize::from(inner.width.saturating_sub(30 + BAR as u16));
    let mut lines = Vec::new();
    for i in range {
        let row = rows[i];
        let (label, node_total, node_self, parent_total) = if let Some(up) = bottom_up {
            let parent = up.parent(row.node).map_or(total, |p| up.total_weight(p));
            (
                ctx.view.label(up, row.node),
                up.total_weight(row.node),
                up.self_weight(row.node),
                parent,
            )
        } else {
            let tree = ctx.tree();
            let parent = tree
                .parent(row.node)
                .map_or(total, |p| tree.total_weight(p));
            (
                ctx.node_label(row.node),
                tree.total_weight(row.node),
                tree.self_weight(row.node),
                parent,
            )
        };
        let marker = match (row.has_children, row.expanded) {
            (false, _) => "  ",
            (true, true) => "▾ ",
            (true, false) => "▸ ",
        };
        let indent = "  ".repeat(usize::from(row.depth));
        let name = format!(
            "{indent}{marker}{}",
            shorten(&label, name_width.saturating_sub(indent.len() + 2).max(8))
        );
        let style = theme.row(
            Default::default(),
            i == selected,
            ctx.search.matches(&label),
        );
        // Bottom-up, a top row's Total is the function's own time; Self is not shown, as a
        // node's "self" there (stacks that start at it) says nothing a reader looks for.
        let self_column = if top_down {
            format!("{:>7.2}%", percent(node_self, total))
        } else {
            String::new()
        };
        lines.push(
            Row::new([
                format!("{:>7.2}%", percent(node_total, total)),
                self_column,
                format!("{:>6.1}%", percent(node_total, parent_total)),
                bar(percent(node_total, total) / 100.0, BAR),
                name,
            ])
            .style(style),
        );
    }
    let table = Table::new(
        lines,
        [
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(7),
            Constraint::Length(BAR as u16),
            Constraint::Fill(1),
        ],
    )
    .header(
        Row::new([
            "  Total",
            if top_down { "   Self" } else { "" },
            "Parent",
            "",
            "Function",
        ])
        .style(theme.header()),
    )
    .block(block)
    .style(theme.fg(Color::Reset));
    frame.render_widget(table, area);
}
