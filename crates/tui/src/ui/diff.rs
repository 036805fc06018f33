//! The diff table: every function before and after, judged against the shift and the noise.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::Color;
use ratatui::widgets::{Block, Paragraph, Row, Table};
use ratatui::Frame;

use profview_analyze::diff::{Change, Presence};

use super::{window, Theme};
use crate::app::App;
use crate::text::shorten;

pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let Some(d) = &app.diff else {
        let text = Paragraph::new("Open two profiles with `profview diff --tui BEFORE AFTER`.")
            .block(Block::bordered().title(" Diff "));
        frame.render_widget(text, area);
        return;
    };
    let title = format!(
        " {} → {}: shift x{:.3}, noise z {:.2}{} ",
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
    let selected = app.diff_list.selected;
    let range = window(
        &mut app.geometry,
        inner.y + 1,
        inner.height.saturating_sub(1),
        selected,
        d.functions.len(),
    );
    let name_width = usize::from(inner.width.saturating_sub(62));
    let lines = range.map(|i| {
        let f = &d.functions[i];
        let verdict = match (f.change, f.presence) {
            (Change::Regression, _) => "REGRESSED",
            (Change::Improvement, _) => "improved",
            (Change::Shift, _) => "shift",
            (Change::Noise, Presence::Appeared) => "noise (new)",
            (Change::Noise, Presence::Vanished) => "noise (gone)",
            (Change::Noise, Presence::Both) => "noise",
        };
        let mut style = match f.change {
            Change::Regression => theme.fg(Color::Red),
            Change::Improvement => theme.fg(Color::Green),
            Change::Shift | Change::Noise => theme.dim(),
        };
        if i == selected {
            style = theme.selected();
        } else if app.search.matches(&f.name) {
            style = theme.matched();
        }
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
