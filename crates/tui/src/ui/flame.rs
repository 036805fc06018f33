//! The flame graph in cells: one row per call level, roots at the top.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Widget};
use ratatui::Frame;

use super::{percent, Theme};
use crate::flame::layout;
use crate::rows::ROOT;
use crate::tabs::{Context, FlameTab};

pub(crate) fn render(
    tab: &FlameTab,
    ctx: &Context<'_>,
    theme: Theme,
    frame: &mut Frame<'_>,
    area: Rect,
) {
    let tree = ctx.tree();
    let flame = &tab.state;
    let selected = flame.selected;
    let info = if selected == ROOT {
        "↓ select a frame, Enter zoom, Backspace zoom out, [ ] neighbours, e hottest".to_owned()
    } else {
        format!(
            "{}: total {:.2}%, self {:.2}%",
            ctx.node_label(selected),
            percent(tree.total_weight(selected), tree.total()),
            percent(tree.self_weight(selected), tree.total())
        )
    };
    let zoom = if flame.zoom == ROOT {
        " Flame graph (icicle: callers above callees) ".to_owned()
    } else {
        format!(" Flame graph, zoomed into {} ", ctx.node_label(flame.zoom))
    };
    let block = Block::bordered()
        .title(zoom)
        .title_bottom(Line::raw(format!(" {info} ")));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cells = layout(tree, flame.zoom, inner.width, usize::from(inner.height));
    let buf = frame.buffer_mut();
    for cell in cells {
        let label = ctx.node_label(cell.node);
        let style = if cell.node == selected {
            theme.selected().add_modifier(Modifier::BOLD)
        } else if ctx.search.matches(&label) {
            theme.matched().add_modifier(Modifier::REVERSED)
        } else {
            frame_style(theme, &label)
        };
        let at = Rect::new(inner.x + cell.x, inner.y + cell.depth as u16, cell.width, 1);
        draw_frame(buf, at, &label, style);
    }
}

/// A frame: its name cut to the width, `|` at its left edge so neighbours stay apart.
fn draw_frame(buf: &mut Buffer, at: Rect, label: &str, style: Style) {
    let width = usize::from(at.width);
    let mut text: String = if width >= 2 {
        let name: String = label.chars().take(width - 1).collect();
        format!("|{name}")
    } else {
        "|".to_owned()
    };
    let len = text.chars().count();
    text.extend(std::iter::repeat_n(' ', width.saturating_sub(len)));
    Line::styled(text, style).render(at, buf);
}

/// Warm colours, the same for the same name, from the 16 basic colours so that every
/// terminal shows them.
fn frame_style(theme: Theme, label: &str) -> Style {
    const WARM: [Color; 4] = [
        Color::Red,
        Color::LightRed,
        Color::Yellow,
        Color::LightYellow,
    ];
    if !theme.color {
        return Style::new();
    }
    let hash = label
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    Style::new()
        .bg(WARM[hash as usize % WARM.len()])
        .fg(Color::Black)
}
