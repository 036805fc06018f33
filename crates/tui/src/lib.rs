//! profview's terminal browser: summary and findings, top functions, top-down and bottom-up
//! call trees, callers and callees, a flame graph drawn in cells, and the diff of two
//! profiles.
//!
//! It depends only on `profview-model` and `profview-analyze`: it never sees raw bytes,
//! parsers or debug info. State and its changes live in [`App`] (keys become [`Action`]s, see
//! [`action_for_key`]; no I/O), drawing in the `ui` modules (one per panel); [`run`] ties them
//! to the terminal and restores it on quit, on error and on panic.

mod action;
mod app;
mod flame;
mod rows;
mod text;
mod ui;

use std::io;
use std::time::Duration;

use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::{DefaultTerminal, Frame};

pub use action::{action_for_key, Action, HELP};
pub use app::{App, CallersRow, FunctionSort, Input, Tab};
pub use flame::{layout as flame_layout, FlameCell, FlameState};
pub use rows::{Row, TreeRows};
pub use text::shorten;
pub use ui::Theme;

/// Draw `app` into `frame` (what [`run`] does on every event; tests call it on a
/// `TestBackend`).
pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>) {
    ui::render(app, theme, frame);
}

/// Browse `input` on the terminal until the user quits.
///
/// The terminal is switched to raw mode and the alternate screen, and restored on quit, on
/// error, and (through ratatui's panic hook) on panic.
pub fn run(input: Input<'_>) -> io::Result<()> {
    let mut app = App::new(input);
    let theme = Theme::from_env();
    ratatui::run(|terminal| {
        execute!(io::stdout(), EnableMouseCapture)?;
        let result = event_loop(terminal, &mut app, theme);
        execute!(io::stdout(), DisableMouseCapture)?;
        result
    })
}

fn event_loop(terminal: &mut DefaultTerminal, app: &mut App<'_>, theme: Theme) -> io::Result<()> {
    while !app.quit {
        terminal.draw(|f| ui::render(app, theme, f))?;
        // The timeout keeps the loop alive for resizes that come without an event.
        if !event::poll(Duration::from_millis(250))? {
            continue;
        }
        if let Some(action) = action_for_event(event::read()?, app.search.typing) {
            app.update(action);
        }
    }
    Ok(())
}

/// The action for a terminal event: key presses (not releases or repeats on terminals that
/// report them), the mouse wheel and left clicks.
fn action_for_event(event: Event, searching: bool) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => action_for_key(key, searching),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Action::ScrollUp),
            MouseEventKind::ScrollDown => Some(Action::ScrollDown),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click(mouse.row)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
