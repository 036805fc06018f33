//! The timeline: a row per thread with its weight over the run, a cursor, the range being
//! selected, and the phases of the run.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::Theme;
use crate::tabs::{TimelineGeometry, TimelineTab};
use crate::text::shorten;

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Width of the thread names.
const NAME: usize = 22;

pub(crate) fn render(tab: &mut TimelineTab, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
    let block = Block::bordered().title(
        " Timeline: ←/→ move, f at both ends (or a mouse drag) selects a time range, u undoes ",
    );
    let inner = block.inner(area);
    let Some(t) = &tab.timeline else {
        frame.render_widget(Paragraph::new("no sample times").block(block), area);
        return;
    };
    let buckets = t.threads.first().map_or(0, |th| th.buckets.len());
    // Room for the name before the chart and the CPU share after it.
    let columns = usize::from(inner.width)
        .saturating_sub(NAME + 7)
        .clamp(1, buckets.max(1));
    // Bucket b is drawn in column b * columns / buckets.
    let column_of = |b: usize| b * columns / buckets.max(1);
    tab.geometry = TimelineGeometry {
        left: inner.x + NAME as u16 + 1,
        columns: columns as u16,
        top: inner.y,
        rows: t.threads.len() as u16,
        buckets,
    };
    let cursor = column_of(tab.cursor);
    let mark = tab.mark.map(column_of);
    let mut lines = Vec::new();
    let sums: Vec<Vec<f64>> = t
        .threads
        .iter()
        .map(|th| {
            // A column's height is the mean of its buckets: columns hold unequal numbers of
            // them when the widths do not divide.
            let mut c = vec![(0.0, 0usize); columns];
            for (b, w) in th.buckets.iter().enumerate() {
                let cell = &mut c[column_of(b)];
                cell.0 += w;
                cell.1 += 1;
            }
            c.into_iter()
                .map(|(sum, n)| sum / n.max(1) as f64)
                .collect::<Vec<f64>>()
        })
        .collect();
    let top = sums.iter().flatten().copied().fold(0.0, f64::max);
    for (th, cells) in t.threads.iter().zip(&sums) {
        let label = match th.tid {
            Some(tid) => format!("{} ({tid})", th.name),
            None => th.name.clone(),
        };
        let mut spans = vec![Span::raw(format!("{:<NAME$} ", shorten(&label, NAME)))];
        for (c, &w) in cells.iter().enumerate() {
            let level = if top > 0.0 {
                (w / top * 8.0).ceil() as usize
            } else {
                0
            };
            let selected = mark.is_some_and(|m| (m.min(cursor)..=m.max(cursor)).contains(&c));
            let style = if c == cursor {
                theme.selected()
            } else if selected {
                theme.matched()
            } else {
                Style::new()
            };
            spans.push(Span::styled(LEVELS[level.min(8)].to_string(), style));
        }
        if let Some(cpu) = th.cpu_percent {
            spans.push(Span::styled(format!(" {cpu:3.0}%"), theme.dim()));
        }
        lines.push(Line::from(spans));
    }
    let at = tab.cursor as f64 * t.bucket_s;
    lines.push(Line::styled(
        format!(
            "{:NAME$} 0 s … {:.3} s   cursor {at:.3} s{}",
            "",
            t.duration_s,
            tab.mark.map_or(String::new(), |m| format!(
                ", range from {:.3} s",
                m as f64 * t.bucket_s
            ))
        ),
        theme.dim(),
    ));
    lines.push(Line::raw(""));
    lines.push(Line::styled("Phases", theme.header()));
    for p in &t.phases {
        let here = p.start_s <= at && at < p.end_s;
        let text = format!(
            "  {:>8.3} s - {:>8.3} s  {:5.1}%  {}",
            p.start_s,
            p.end_s,
            100.0 * p.share,
            p.top_function
        );
        lines.push(if here {
            Line::styled(text, theme.header())
        } else {
            Line::raw(text)
        });
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
