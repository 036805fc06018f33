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
use profview_model::{format_bytes, format_count, Hint};

use super::{percent, Theme};
use crate::shared::weight_kinds;
use crate::tabs::{Context, SummaryTab};
use crate::text::wrap_words;

/// Width of the metadata field names.
const FIELD: usize = 10;

pub(crate) fn render(
    tab: &SummaryTab,
    ctx: &Context<'_>,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let width = usize::from(area.width.saturating_sub(2)).max(20);
    let mut lines = metadata(ctx, theme, width);
    lines.extend(heap_chart(ctx, theme, width));
    lines.push(Line::raw(""));
    lines.extend(findings(ctx, theme, width));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Top functions (self)", theme.header()));
    let total = ctx.functions.total_weight;
    for (name, weight) in &tab.top_self {
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

fn metadata(ctx: &Context<'_>, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let p = ctx.profile;
    let kind = p.weight_kind(ctx.kind);
    let field = |name: &str, value: &str| {
        let head = vec![Span::styled(format!("{name:<FIELD$}"), theme.header())];
        wrapped(head, value, Style::new(), width, FIELD)
    };
    let mut lines = field(
        "File",
        &format!("{} ({})", ctx.title, p.meta.source_format.describe()),
    );
    if kind.unit.is_memory() {
        lines.extend(field(
            "Weight",
            &format!(
                "{} ({}): {} allocation sites (w: the next weight)",
                p.string(kind.name),
                kind.unit.name(),
                p.sample_count(ctx.kind),
            ),
        ));
        lines.extend(field("Totals", &memory_totals(ctx)));
    } else {
        lines.extend(field(
            "Event",
            &format!(
                "{}: {} samples, {} threads",
                p.string(kind.name),
                p.sample_count(ctx.kind),
                p.threads().len()
            ),
        ));
    }
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

/// Every memory weight's total, as heaptrack_print sums them up: `peak 4.1 MiB · leaked …`.
fn memory_totals(ctx: &Context<'_>) -> String {
    let p = ctx.profile;
    weight_kinds(ctx.profile)
        .into_iter()
        .map(|k| {
            let kind = p.weight_kind(k);
            let total = kind.unit.format(p.total_weight(k));
            format!("{} {total}", p.string(kind.name))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Rows of the heap-over-time chart.
const CHART_ROWS: usize = 4;

/// The heap over the run, for profiles that record it: a title with the peak, a chart
/// [`CHART_ROWS`] high whose columns are the largest heap in their stretch of the run (the
/// peak's column marked), and the times at its two ends.
fn heap_chart(ctx: &Context<'_>, theme: Theme, width: usize) -> Vec<Line<'static>> {
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let Some(timeline) = &ctx.profile.meta.heap_timeline else {
        return Vec::new();
    };
    let Some((peak_time, peak)) = timeline.peak().filter(|p| p.1 > 0.0) else {
        return Vec::new();
    };
    // Room on the right for the allocation row's label.
    let highs = timeline.column_highs(width.saturating_sub(48).clamp(8, 120));
    if highs.len() < 2 {
        return Vec::new();
    }
    let peak_column = highs.iter().position(|&h| h >= peak).unwrap_or(0);
    let unit = &timeline.time_unit;
    let mut lines = vec![
        Line::raw(""),
        Line::styled(
            format!(
                "Heap over time: peak {} at {} {unit}",
                format_bytes(peak),
                format_count(peak_time)
            ),
            theme.header(),
        ),
    ];
    let eighths: Vec<usize> = highs
        .iter()
        .map(|h| ((h / peak) * (CHART_ROWS * 8) as f64).round() as usize)
        .collect();
    for row in 0..CHART_ROWS {
        let floor = (CHART_ROWS - 1 - row) * 8;
        let cell = |e: usize| match e.saturating_sub(floor).min(8) {
            0 => ' ',
            level => LEVELS[level - 1],
        };
        let before: String = eighths[..peak_column].iter().map(|&e| cell(e)).collect();
        let after: String = eighths[peak_column + 1..]
            .iter()
            .map(|&e| cell(e))
            .collect();
        lines.push(Line::from(vec![
            Span::raw(format!("  {before}")),
            Span::styled(cell(eighths[peak_column]).to_string(), theme.matched()),
            Span::raw(after),
        ]));
    }
    let rates = timeline.allocation_rate_highs(highs.len());
    let top_rate = rates.iter().copied().fold(0.0, f64::max);
    if top_rate > 0.0 {
        let row: String = rates
            .iter()
            .map(|r| LEVELS[((r / top_rate) * 7.0).round().clamp(0.0, 7.0) as usize])
            .collect();
        let (per, scale) = match unit.as_str() {
            "ms" => ("second", 1000.0),
            other => (other, 1.0),
        };
        lines.push(Line::from(vec![
            Span::raw(format!("  {row} ")),
            Span::styled(
                format!(
                    "allocations, up to {} per {per}",
                    format_count(top_rate * scale)
                ),
                theme.dim(),
            ),
        ]));
    }
    let end = timeline.points.last().map_or(0.0, |p| p.0);
    let start = format!("  {} {unit}", format_count(timeline.points[0].0));
    let end = format!("{} {unit}", format_count(end));
    let gap = (highs.len() + 2).saturating_sub(start.chars().count() + end.chars().count());
    lines.push(Line::styled(
        format!("{start}{}{end}", " ".repeat(gap.max(1))),
        theme.dim(),
    ));
    lines
}

fn findings(ctx: &Context<'_>, theme: Theme, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::styled("Findings", theme.header())];
    if ctx.findings_pending {
        lines.push(Line::styled("  analyzing…", theme.dim()));
    } else if ctx.analysis.findings.is_empty() {
        lines.push(Line::raw("  nothing stands out"));
    }
    for f in &ctx.analysis.findings {
        let head = vec![Span::styled(
            format!("  {} ", f.kind.name()),
            theme.header(),
        )];
        let body = format!("(score {:.2}) {}", f.score, f.summary);
        lines.extend(wrapped(head, &body, Style::new(), width, 4));
        if let Some(advice) = f.advice.first() {
            // The hint says how to follow the first advice.
            let advice = with_hint(ctx, advice, f.hint.as_ref());
            let head = vec![Span::styled("    → ".to_owned(), theme.dim())];
            lines.extend(wrapped(head, &advice, theme.dim(), width, 6));
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
    let warnings = ctx
        .profile
        .meta
        .warnings
        .iter()
        .map(|w| {
            let message = with_hint(ctx, &w.message, w.hint.as_ref());
            format!("{message} ({}x)", w.count)
        })
        .collect();
    lines.extend(list("Warnings", warnings));
    let diagnostics = ctx
        .analysis
        .diagnostics
        .iter()
        .map(|d| with_hint(ctx, &d.message, d.hint.as_ref()))
        .collect();
    lines.extend(list("Diagnostics", diagnostics));
    lines
}

/// `message`, then how to supply `hint` in parentheses: in the browser's own words for what it
/// can do itself (a time range), else in the front end's (the CLI names its flags).
fn with_hint(ctx: &Context<'_>, message: &str, hint: Option<&Hint>) -> String {
    let words = match hint {
        Some(Hint::TimeRange { start_s, end_s }) => Some(format!(
            "in the Timeline view (7), drag from {start_s:.2} s to {end_s:.2} s or press f at both ends"
        )),
        Some(other) => ctx.hints.map(|word| word(other)),
        None => None,
    };
    match words.filter(|w| !w.is_empty()) {
        Some(words) => format!("{message} ({words})"),
        None => message.to_owned(),
    }
}
