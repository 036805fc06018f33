//! The first screen: what the profile is, what profview thinks of it, and the top functions.
//!
//! Long lines are wrapped here rather than by the paragraph, so that a wrapped line starts
//! under the text of its entry, not at the left border.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use profview_analyze::view::time_bounds;

use super::{percent, Theme};
use crate::app::App;
use crate::text::wrap_words;

/// Width of the metadata field names.
const FIELD: usize = 10;

pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let width = usize::from(area.width.saturating_sub(2)).max(20);
    let mut lines = metadata(app, theme, width);
    lines.push(Line::raw(""));
    lines.extend(findings(app, theme, width));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Top functions (self)", theme.header()));
    let total = app.functions.total_weight;
    for (name, weight) in &app.top_self {
        let head = format!("  {:>6.2}%  ", percent(*weight, total));
        lines.extend(wrapped(
            vec![Span::raw(head)],
            name,
            Style::new(),
            width,
            12,
        ));
    }
    let text = Paragraph::new(lines).block(Block::bordered().title(" Summary "));
    frame.render_widget(text, area);
}

/// `head`, then `body` in `style`, as lines of at most `width` cells; the lines after the
/// first start `indent` cells in.
fn wrapped(
    head: Vec<Span<'static>>,
    body: &str,
    style: Style,
    width: usize,
    indent: usize,
) -> Vec<Line<'static>> {
    let head_width: usize = head.iter().map(|s| s.content.chars().count()).sum();
    let rows = wrap_words(
        body,
        width.saturating_sub(head_width).max(8),
        width.saturating_sub(indent).max(8),
    );
    let mut lines = Vec::with_capacity(rows.len());
    let mut first = Some(head);
    for row in rows {
        let mut spans = first
            .take()
            .unwrap_or_else(|| vec![Span::raw(" ".repeat(indent))]);
        spans.push(Span::styled(row, style));
        lines.push(Line::from(spans));
    }
    if let Some(head) = first {
        lines.push(Line::from(head));
    }
    lines
}

fn metadata(app: &App<'_>, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let p = app.profile;
    let kind = p.weight_kind(app.kind);
    let field = |name: &str, value: &str| {
        let head = vec![Span::styled(format!("{name:<FIELD$}"), theme.header())];
        wrapped(head, value, Style::new(), width, FIELD)
    };
    let mut lines = field(
        "File",
        &format!("{} ({})", app.title, p.meta.source_format.describe()),
    );
    lines.extend(field(
        "Event",
        &format!(
            "{}: {} samples, {} threads",
            p.string(kind.name),
            p.sample_count(app.kind),
            p.threads().len()
        ),
    ));
    if let Some((start, end)) = time_bounds(p) {
        lines.extend(field(
            "Duration",
            &format!("{:.3} s", (end - start) as f64 / 1e9),
        ));
    }
    if p.meta.lost_samples > 0 {
        lines.extend(field("Lost", &format!("{} samples", p.meta.lost_samples)));
    }
    if let Some(command) = &p.meta.command_line {
        // A recorded script keeps its line breaks: each line under the previous one.
        for (i, line) in command.lines().enumerate() {
            if i == 0 {
                lines.extend(field("Command", line));
                continue;
            }
            let body = line.trim_start();
            let indent = FIELD + (line.len() - body.len());
            let head = vec![Span::raw(" ".repeat(indent))];
            lines.extend(wrapped(head, body, Style::new(), width, indent));
        }
    }
    lines
}

fn findings(app: &App<'_>, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("Findings", theme.header())];
    if app.analysis.findings.is_empty() {
        lines.push(Line::raw("  nothing stands out"));
    }
    for f in &app.analysis.findings {
        let head = vec![Span::styled(
            format!("  {} ", f.kind.name()),
            theme.header(),
        )];
        let body = format!("(score {:.2}) {}", f.score, f.summary);
        lines.extend(wrapped(head, &body, Style::new(), width, 4));
        if let Some(advice) = f.advice.first() {
            let head = vec![Span::styled("    → ".to_owned(), theme.dim())];
            lines.extend(wrapped(head, advice, theme.dim(), width, 6));
        }
    }
    let list = |title: &str, items: Vec<String>| {
        let mut lines = Vec::new();
        if !items.is_empty() {
            lines.push(Line::raw(""));
            lines.push(Line::styled(title.to_owned(), theme.header()));
            for item in items {
                lines.extend(wrapped(
                    vec![Span::raw("  - ")],
                    &item,
                    Style::new(),
                    width,
                    4,
                ));
            }
        }
        lines
    };
    let warnings = app
        .profile
        .meta
        .warnings
        .iter()
        .map(|w| format!("{} ({}x)", w.message, w.count))
        .collect();
    lines.extend(list("Warnings", warnings));
    let diagnostics = app
        .analysis
        .diagnostics
        .iter()
        .map(|d| d.message.clone())
        .collect();
    lines.extend(list("Diagnostics", diagnostics));
    lines
}
