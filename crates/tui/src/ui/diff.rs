//! The diff table: every function before and after, judged against the shift and the noise.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use profview_analyze::diff::{Change, Presence};

use super::{window, Theme};
use crate::shared::ListGeometry;
use crate::tabs::{Context, DiffTab};
use crate::text::shorten;

pub(crate) fn render(
    tab: &mut DiffTab,
    ctx: &Context<'_>,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    if tab.as_tree {
        render_tree(tab, ctx, geometry, theme, frame, area);
        return;
    }
    let Some(d) = &tab.diff else {
        let text = Paragraph::new("No comparison: the browser was opened on one profile.")
            .block(Block::bordered().title(" Diff "));
        frame.render_widget(text, area);
        return;
    };
    let title = format!(
        " {} → {}: shift x{:.3}, noise z {:.2}{} (v: call-path tree) ",
        d.before.name,
        d.after.name,
        d.shift.factor,
        d.noise.z,
        if d.noise.dispersion > 1.0 {
            format!(" x{:.2}", d.noise.dispersion)
        } else {
            String::new()
        }
    );
    let block = Block::bordered().title(title);
    let inner = block.inner(area);
    let selected = tab.list.selected;
    let range = window(
        geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        d.functions.len(),
    );
    let name_width = usize::from(inner.width.saturating_sub(62));
    let lines = range.map(|i| {
        let f = &d.functions[i];
        let verdict = match (f.change, f.presence) {
            (Change::Noise, Presence::Appeared) => "noise (new)",
            (Change::Noise, Presence::Vanished) => "noise (gone)",
            (change, _) => verdict(change),
        };
        let style = theme.row(
            change_style(theme, f.change),
            i == selected,
            ctx.search.matches(&f.name),
        );
        Row::new([
            format!("{:>7.2}%", f.before_percent),
            format!("{:>7.2}%", f.after_percent),
            format!("{:>+8.2}", f.delta_percent),
            format!("{:>7.2}%", f.expected_after_percent),
            format!("±{:.2}", f.noise_percent),
            verdict.to_owned(),
            shorten(&f.name, name_width),
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(9),
        Constraint::Length(7),
        Constraint::Length(13),
        Constraint::Fill(1),
    ];
    let table = Table::new(lines, widths)
        .header(
            Row::new([
                "  Before",
                "   After",
                "   Delta",
                " Expected",
                " Noise",
                "Verdict",
                "Function",
            ])
            .style(theme.header()),
        )
        .block(block);
    frame.render_widget(table, area);
}

fn verdict(change: Change) -> &'static str {
    match change {
        Change::Regression => "REGRESSED",
        Change::Improvement => "improved",
        Change::Shift => "shift",
        Change::Noise => "noise",
    }
}

fn change_style(theme: Theme, change: Change) -> Style {
    match change {
        Change::Regression => theme.fg(Color::Red),
        Change::Improvement => theme.fg(Color::Green),
        Change::Shift | Change::Noise => theme.dim(),
    }
}

/// The call paths of both profiles as a tree, each node's total share judged.
fn render_tree(
    tab: &DiffTab,
    ctx: &Context<'_>,
    geometry: &mut ListGeometry,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let Some(tree) = &tab.tree else {
        return;
    };
    let block = Block::bordered().title(
        " Diff by call path: total shares before and after (v: table, → expand, e hottest) ",
    );
    let inner = block.inner(area);
    let rows = tab.rows.rows().to_vec();
    let selected = tab.rows.selected();
    let range = window(
        geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        rows.len(),
    );
    let name_width = usize::from(inner.width.saturating_sub(52));
    let lines = range.map(|i| {
        let row = rows[i];
        let judged = tree.judge(row.node);
        let marker = match (row.has_children, row.expanded) {
            (false, _) => "  ",
            (true, true) => "▾ ",
            (true, false) => "▸ ",
        };
        let indent = "  ".repeat(usize::from(row.depth));
        let name = tree.name(row.node);
        let shown = format!(
            "{indent}{marker}{}",
            shorten(name, name_width.saturating_sub(indent.len() + 2).max(8))
        );
        let style = theme.row(
            change_style(theme, judged.change),
            i == selected,
            ctx.search.matches(name),
        );
        Row::new([
            format!("{:>7.2}%", judged.before_percent),
            format!("{:>7.2}%", judged.after_percent),
            format!("{:>+8.2}", judged.delta_percent),
            format!("±{:.2}", judged.noise_percent),
            verdict(judged.change).to_owned(),
            shown,
        ])
        .style(style)
    });
    let widths = [
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(7),
        Constraint::Length(10),
        Constraint::Fill(1),
    ];
    let table = Table::new(lines, widths)
        .header(
            Row::new([
                "  Before",
                "   After",
                "   Delta",
                " Noise",
                "Verdict",
                "Call path",
            ])
            .style(theme.header()),
        )
        .block(block);
    frame.render_widget(table, area);
}
