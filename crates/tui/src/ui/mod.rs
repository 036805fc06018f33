//! Drawing: one module per panel; this one lays out the tabs, the panel and the status bar,
//! and draws the help overlay over them.

pub(crate) mod callers;
pub(crate) mod diff;
pub(crate) mod flame;
pub(crate) mod functions;
pub(crate) mod lines;
pub(crate) mod summary;
pub(crate) mod timeline;
pub(crate) mod tree;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};
use ratatui::Frame;

use crate::action::HELP;
use profview_analyze::Transform;

use crate::app::App;
use crate::shared::ListGeometry;
use crate::text::shorten;
pub use crate::theme::Theme;

/// Draw the whole screen.
pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>) {
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(tab_line(app, theme, tabs.width), tabs);
    app.draw_tab(theme, frame, body);
    frame.render_widget(status_line(app, theme, status.width), status);
    if app.help {
        render_help(app, theme, frame);
    }
}

fn tab_line(app: &App<'_>, theme: Theme, width: u16) -> Line<'static> {
    let tabs = app.tabs();
    let hint = "  ? help  q quit";
    let labels = |short: bool| -> Vec<String> {
        tabs.iter()
            .enumerate()
            .map(|(i, tab)| {
                let title = if short {
                    tab.short_title()
                } else {
                    tab.title()
                };
                format!(" {} {title} ", i + 1)
            })
            .collect()
    };
    let fits = |labels: &[String], hint: &str| {
        labels.iter().map(|l| l.chars().count()).sum::<usize>() + hint.len() <= usize::from(width)
    };
    // Narrower in steps: the quit hint goes first, then the titles shorten.
    let full = labels(false);
    let (labels, hint) = if fits(&full, hint) {
        (full, hint)
    } else if fits(&full, "  ? help") {
        (full, "  ? help")
    } else {
        let short = labels(true);
        let hint = if fits(&short, hint) { hint } else { "  ?" };
        (short, hint)
    };
    let mut spans = Vec::new();
    for (tab, text) in tabs.iter().zip(labels) {
        let style = if *tab == app.tab {
            theme.selected().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        spans.push(Span::styled(text, style));
    }
    spans.push(Span::styled(hint, theme.dim()));
    Line::from(spans)
}

fn status_line(app: &App<'_>, theme: Theme, width: u16) -> Line<'static> {
    if app.search.typing {
        return Line::from(vec![
            Span::styled("/", theme.header()),
            Span::raw(app.search.query.clone()),
            Span::styled("▏", theme.dim()),
            Span::styled("   Enter: find  Esc: cancel", theme.dim()),
        ]);
    }
    let kind = app.profile.weight_kind(app.kind);
    // The thread or process filter is named once, by the label; the other transforms after.
    let transforms: Vec<String> = app
        .transforms
        .applied()
        .iter()
        .filter(|t| !matches!(t, Transform::Threads(_) | Transform::Processes(_)))
        .map(|t| match (t, &app.panes.timeline.timeline) {
            // In seconds of the run, as the timeline shows them, not the recording's clock.
            (Transform::TimeRange { start, end }, Some(line)) => {
                let s = |ns: u64| ns.saturating_sub(line.start_ns) as f64 / 1e9;
                format!("time {:.3}-{:.3} s", s(*start), s(*end))
            }
            _ => t.to_string(),
        })
        .collect();
    // (text, narrowest it may become: 0 = may go), in the order shown.
    let mut parts = vec![
        (app.title.clone(), 8),
        (app.profile.string(kind.name).to_owned(), 0),
        (
            format!(
                "{} {}",
                app.profile.sample_count(app.kind),
                if kind.unit.is_memory() {
                    "sites"
                } else {
                    "samples"
                }
            ),
            0,
        ),
        (app.thread_filter_label(), 14),
    ];
    if !transforms.is_empty() {
        parts.push((transforms.join(", "), 12));
    }
    if !app.search.query.is_empty() {
        parts.push((format!("/{} (n N)", app.search.query), 8));
    }
    let message = app
        .message
        .as_ref()
        .map(|m| format!(" | {}", shorten(m, usize::from(width) / 4)));
    let room = usize::from(width)
        .saturating_sub(message.as_ref().map_or(0, |m| m.chars().count()))
        .saturating_sub(1);
    let mut spans = vec![Span::styled(
        format!(" {}", fit_parts(parts, room)),
        theme.dim(),
    )];
    if let Some(message) = message {
        spans.push(Span::styled(message, theme.header()));
    }
    Line::from(spans)
}

/// `parts` joined by ` | ` in at most `room` characters. Parts give way in a fixed order,
/// each down to its narrowest (the file name first, then the sample count and the event,
/// which go, then the search, the transforms, the thread filter): what filters the view
/// stays readable longest.
fn fit_parts(mut parts: Vec<(String, usize)>, room: usize) -> String {
    const SEP: usize = 3;
    const GIVE_WAY: [usize; 6] = [0, 2, 1, 5, 4, 3];
    fn length(parts: &[(String, usize)]) -> usize {
        parts
            .iter()
            .filter(|(text, _)| !text.is_empty())
            .map(|(text, _)| text.chars().count() + SEP)
            .sum::<usize>()
            .saturating_sub(SEP)
    }
    let count = parts.len();
    for i in GIVE_WAY.into_iter().filter(|&i| i < count) {
        let over = length(&parts).saturating_sub(room);
        if over == 0 {
            break;
        }
        let (text, narrowest) = &mut parts[i];
        let now = text.chars().count();
        *text = if *narrowest == 0 {
            String::new()
        } else {
            keep_end(text, now.saturating_sub(over).max(*narrowest).min(now))
        };
    }
    let joined: Vec<&str> = parts
        .iter()
        .map(|(text, _)| text.as_str())
        .filter(|t| !t.is_empty())
        .collect();
    joined.join(" | ").chars().take(room).collect()
}

/// The end of `text` in `width` characters, `…` first when cut (a file name's end and a
/// filter's last words say the most).
fn keep_end(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if len <= width {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(len + 1 - width.max(1)).collect();
    format!("…{tail}")
}

/// The help rows for this session: the views it has, and `v` only with a diff.
fn help_rows(app: &App<'_>) -> Vec<(String, &'static str)> {
    let views = app.tabs().len();
    HELP.iter()
        .filter(|(keys, _)| app.is_diff() || *keys != "v")
        .map(|(keys, what)| (keys.replace("1-7", &format!("1-{views}")), *what))
        .collect()
}

fn render_help(app: &App<'_>, theme: Theme, frame: &mut Frame<'_>) {
    let help = help_rows(app);
    let area = centered(frame.area(), 84, help.len() as u16 + 4);
    let rows = help
        .into_iter()
        .map(|(keys, what)| Row::new([keys, what.to_owned()]));
    let table = Table::new(rows, [Constraint::Length(26), Constraint::Fill(1)]).block(
        Block::bordered()
            .title(" Keys (any key closes) ")
            .title_style(theme.header()),
    );
    frame.render_widget(Clear, area);
    frame.render_widget(table, area);
}

/// The loading screen: the file and what is being done.
pub fn render_loading(frame: &mut Frame<'_>, title: &str, status: &str) {
    let area = centered(frame.area(), 72, 5);
    let text = Paragraph::new(vec![Line::raw(status.to_owned()), Line::raw("q: cancel")])
        .block(Block::bordered().title(format!(" profview: loading {title} ")));
    frame.render_widget(text, area);
}

/// A `width` × `height` rectangle in the middle of `area` (smaller if `area` is).
fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The window of a list of `len` items, `rows` high, that shows `selected` and moves as
/// little as possible from the window drawn last; recorded for mouse clicks.
fn window(
    geometry: &mut ListGeometry,
    top: u16,
    rows: u16,
    selected: usize,
    len: usize,
) -> std::ops::Range<usize> {
    let rows_usize = usize::from(rows.max(1));
    let mut first = geometry.first_index.min(len.saturating_sub(1));
    if selected < first {
        first = selected;
    } else if selected >= first + rows_usize {
        first = selected + 1 - rows_usize;
    }
    *geometry = ListGeometry {
        top,
        first_index: first,
        rows,
    };
    first..(first + rows_usize).min(len)
}

/// `part` of `whole` as a percentage, 0 when `whole` is 0.
fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

/// A bar of `width` cells for `fraction` (0..=1), in eighths.
fn bar(fraction: f64, width: usize) -> String {
    const EIGHTHS: [&str; 8] = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"];
    let eighths = (fraction.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    s.push_str(EIGHTHS[eighths % 8]);
    format!("{s:<width$}")
}
