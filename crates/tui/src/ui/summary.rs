//! The first screen: what the profile is, what profview thinks of it, and the top functions.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use profview_analyze::view::time_bounds;

use super::{percent, Theme};
use crate::app::App;

pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let mut lines = metadata(app, theme);
    lines.push(Line::raw(""));
    lines.extend(findings(app, theme));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Top functions (self)", theme.header()));
    let total = app.functions.total_weight;
    for (name, weight) in &app.top_self {
        lines.push(Line::raw(format!(
            "  {:>6.2}%  {name}",
            percent(*weight, total)
        )));
    }
    let text = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .block(Block::bordered().title(" Summary "));
    frame.render_widget(text, area);
}

fn metadata(app: &App<'_>, theme: Theme) -> Vec<Line<'static>> {
    let p = app.profile;
    let kind = p.weight_kind(app.kind);
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!("{name:<10}"), theme.header()),
            Span::raw(value),
        ])
    };
    let mut lines = vec![
        field(
            "File",
            format!("{} ({})", app.title, p.meta.source_format.describe()),
        ),
        field(
            "Event",
            format!(
                "{}: {} samples, {} threads",
                p.string(kind.name),
                p.sample_count(app.kind),
                p.threads().len()
            ),
        ),
    ];
    if let Some((start, end)) = time_bounds(p) {
        lines.push(field(
            "Duration",
            format!("{:.3} s", (end - start) as f64 / 1e9),
        ));
    }
    if p.meta.lost_samples > 0 {
        lines.push(field("Lost", format!("{} samples", p.meta.lost_samples)));
    }
    if let Some(command) = &p.meta.command_line {
        lines.push(field("Command", command.clone()));
    }
    lines
}

fn findings(app: &App<'_>, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("Findings", theme.header())];
    if app.analysis.findings.is_empty() {
        lines.push(Line::raw("  nothing stands out"));
    }
    for f in &app.analysis.findings {
        lines.push(Line::from(vec![
            Span::styled(format!("  {} ", f.kind.name()), theme.header()),
            Span::raw(format!("(score {:.2}) {}", f.score, f.summary)),
        ]));
        if let Some(advice) = f.advice.first() {
            lines.push(Line::styled(format!("    → {advice}"), theme.dim()));
        }
    }
    let warnings: Vec<_> = app.profile.meta.warnings.iter().collect();
    if !warnings.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Warnings", theme.header()));
        for w in warnings {
            lines.push(Line::raw(format!("  - {} ({}x)", w.message, w.count)));
        }
    }
    if !app.analysis.diagnostics.is_empty() {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Diagnostics", theme.header()));
        for d in &app.analysis.diagnostics {
            lines.push(Line::raw(format!("  - {}", d.message)));
        }
    }
    lines
}
