//! Drawing: one module per panel; this one lays out the tabs, the panel and the status bar,
//! and draws the help overlay over them.

mod callers;
mod diff;
mod flame;
mod functions;
mod summary;
mod tree;

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Row, Table};
use ratatui::Frame;

use crate::action::HELP;
use crate::app::{App, ListGeometry, Tab};

/// Colours, or none with `NO_COLOR` (https://no-color.org).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// From the environment.
    pub fn from_env() -> Self {
        Self {
            color: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// `fg` when colours are on.
    pub fn fg(self, fg: Color) -> Style {
        if self.color {
            Style::new().fg(fg)
        } else {
            Style::new()
        }
    }

    /// The selected row: reversed, which works on every terminal.
    pub fn selected(self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }

    /// A search match: bold and underlined, and yellow with colours.
    pub fn matched(self) -> Style {
        self.fg(Color::Yellow)
            .add_modifier(Modifier::BOLD | Modifier::UNDERLINED)
    }

    /// A row's style: selected, else a search match, else `base`.
    pub fn row(self, base: Style, selected: bool, matched: bool) -> Style {
        if selected {
            self.selected()
        } else if matched {
            self.matched()
        } else {
            base
        }
    }

    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
}

/// Draw the whole screen.
pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>) {
    let [tabs, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(tab_line(app, theme), tabs);
    match app.tab {
        Tab::Summary => summary::render(app, theme, frame, body),
        Tab::Functions => functions::render(app, theme, frame, body),
        Tab::TopDown | Tab::BottomUp => tree::render(app, theme, frame, body),
        Tab::Callers => callers::render(app, theme, frame, body),
        Tab::Flame => flame::render(app, theme, frame, body),
        Tab::Diff => diff::render(app, theme, frame, body),
    }
    frame.render_widget(status_line(app, theme), status);
    if app.help {
        render_help(theme, frame);
    }
}

fn tab_line(app: &App<'_>, theme: Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, tab) in app.tabs().into_iter().enumerate() {
        let text = format!(" {} {} ", i + 1, tab.title());
        let style = if tab == app.tab {
            theme.selected().add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        spans.push(Span::styled(text, style));
    }
    spans.push(Span::styled("  ? help  q quit", theme.dim()));
    Line::from(spans)
}

fn status_line(app: &App<'_>, theme: Theme) -> Line<'static> {
    if app.search.typing {
        return Line::from(vec![
            Span::styled("/", theme.header()),
            Span::raw(app.search.query.clone()),
            Span::styled("▏", theme.dim()),
            Span::styled("   Enter: find  Esc: cancel", theme.dim()),
        ]);
    }
    let kind = app.profile.weight_kind(app.kind);
    let mut text = format!(
        " {} | {} | {} samples | {}",
        app.title,
        app.profile.string(kind.name),
        app.profile.sample_count(app.kind),
        app.thread_filter_label()
    );
    let applied = app.transforms.applied();
    if !applied.is_empty() {
        let list: Vec<String> = applied.iter().map(ToString::to_string).collect();
        text.push_str(&format!(" | {}", list.join(", ")));
    }
    if !app.search.query.is_empty() {
        text.push_str(&format!(" | /{} (n N)", app.search.query));
    }
    let mut spans = vec![Span::styled(text, theme.dim())];
    if let Some(message) = &app.message {
        spans.push(Span::styled(format!(" | {message}"), theme.header()));
    }
    Line::from(spans)
}

fn render_help(theme: Theme, frame: &mut Frame<'_>) {
    let area = centered(frame.area(), 84, HELP.len() as u16 + 4);
    let rows = HELP.iter().map(|(keys, what)| Row::new([*keys, *what]));
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
