//! The browser's styles.

use ratatui::style::{Color, Modifier, Style};

/// Colours, or none with `NO_COLOR` (<https://no-color.org>).
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    /// Colours are used (not with `NO_COLOR`).
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

    /// Table headers and titles: bold.
    pub fn header(self) -> Style {
        Style::new().add_modifier(Modifier::BOLD)
    }

    /// Secondary text: dim.
    pub fn dim(self) -> Style {
        Style::new().add_modifier(Modifier::DIM)
    }
}
