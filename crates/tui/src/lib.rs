//! profview's terminal browser: summary and findings, top functions, top-down and bottom-up
//! call trees, callers and callees, a flame graph drawn in cells, and the diff of two
//! profiles.
//!
//! It depends only on `profview-model` and `profview-analyze`: it never sees raw bytes,
//! parsers or debug info. State and its changes live in [`App`] (keys become [`Action`]s, see
//! [`action_for_key`]; no I/O): the shared state in `App`, each tab's own in a struct of the
//! `tabs` modules (one file per tab, behind the `TabView` trait; adding a tab is one file and
//! one entry in the list in `tabs/mod.rs`). Drawing is in the `ui` modules (one per panel);
//! [`run`] ties them to the terminal and restores it on quit, on error and on panic.

#![warn(missing_docs)]

mod action;
mod app;
mod code;
mod flame;
mod rows;
mod shared;
mod tabs;
mod text;
mod theme;
mod ui;

use std::io;
use std::thread::ScopedJoinHandle;
use std::time::Duration;

use profview_analyze::Analysis;
use ratatui::crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEventKind, MouseButton, MouseEventKind,
};
use ratatui::crossterm::execute;
use ratatui::Frame;

pub use action::{action_for_key, Action, HELP};
pub use app::{App, Carried, FunctionSort, Input};
pub use code::{AsmRow, CodeCache, CodeSource};
pub use flame::{layout as flame_layout, FlameCell, FlameState};
pub use ratatui::DefaultTerminal;
pub use rows::{Row, TreeRows};
pub use tabs::{CallersRow, Tab};
pub use text::shorten;
pub use theme::Theme;

/// Draw `app` into `frame` (what [`run`] does on every event; tests call it on a
/// `TestBackend`).
pub fn render(app: &mut App<'_>, theme: Theme, frame: &mut Frame<'_>) {
    ui::render(app, theme, frame);
}

/// How a browsing session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// The user asked for inlined frames to be shown or hidden: the caller reloads the
    /// profile the other way and browses again.
    ToggleInline,
}

/// Browse `input` on the terminal until the user quits.
///
/// The terminal is switched to raw mode and the alternate screen, and restored on quit, on
/// error, and (through ratatui's panic hook) on panic.
pub fn run(input: Input<'_>) -> io::Result<()> {
    with_terminal(|terminal| browse(terminal, input, Carried::default()).map(|_| ()))
}

/// Run `session` on the terminal in raw mode, on the alternate screen, with the mouse
/// captured; all of it is undone afterwards, also on error and on panic.
pub fn with_terminal<R>(
    session: impl FnOnce(&mut DefaultTerminal) -> io::Result<R>,
) -> io::Result<R> {
    ratatui::run(|terminal| {
        execute!(io::stdout(), EnableMouseCapture)?;
        let result = session(terminal);
        execute!(io::stdout(), DisableMouseCapture)?;
        result
    })
}

/// Browse `input` on `terminal` until the user quits or asks for a reload, taking back what
/// the session before a reload had (`carried`: the view, the sort, the thread filter, the
/// search); returns how it ended and what to carry into the next session.
pub fn browse(
    terminal: &mut DefaultTerminal,
    input: Input<'_>,
    carried: Carried,
) -> io::Result<(Exit, Carried)> {
    let (profile, kind) = (input.profile, input.kind);
    std::thread::scope(|scope| {
        // The findings on the other core, shown when they come: the call tree and the
        // functions table do not wait for them.
        let findings = scope.spawn(move || Analysis::new(profile, kind));
        let mut app = App::before_findings(input);
        app.restore(carried);
        let theme = Theme::from_env();
        event_loop(terminal, &mut app, theme, Some(findings))?;
        let exit = if app.reload_inline {
            Exit::ToggleInline
        } else {
            Exit::Quit
        };
        Ok((exit, app.carried()))
    })
}

/// Show a loading screen for `title` with `status()` until `done()`. Returns `false` when the
/// user quit meanwhile (q, Esc or Ctrl-c).
pub fn wait_loading(
    terminal: &mut DefaultTerminal,
    title: &str,
    status: impl Fn() -> String,
    done: impl Fn() -> bool,
) -> io::Result<bool> {
    while !done() {
        terminal.draw(|f| ui::render_loading(f, title, &status()))?;
        if event::poll(Duration::from_millis(100))? {
            if let Some(Action::Quit | Action::Back) = action_for_event(event::read()?, false) {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn event_loop(
    terminal: &mut DefaultTerminal,
    app: &mut App<'_>,
    theme: Theme,
    mut findings: Option<ScopedJoinHandle<'_, Analysis>>,
) -> io::Result<()> {
    while !app.quit {
        if findings.as_ref().is_some_and(|f| f.is_finished()) {
            if let Some(done) = findings.take() {
                app.findings_ready(done.join().unwrap_or_else(|e| std::panic::resume_unwind(e)));
            }
        }
        terminal.draw(|f| ui::render(app, theme, f))?;
        // The timeout keeps the loop alive for resizes that come without an event, and
        // shows the findings soon after they come.
        let timeout = if findings.is_some() { 20 } else { 250 };
        if !event::poll(Duration::from_millis(timeout))? {
            continue;
        }
        if let Some(action) = action_for_event(event::read()?, app.search.typing) {
            app.update(action);
        }
    }
    Ok(())
}

/// The action for a terminal event: key presses (not releases or repeats on terminals that
/// report them), the mouse wheel, and the left button's clicks and drags.
fn action_for_event(event: Event, searching: bool) -> Option<Action> {
    match event {
        Event::Key(key) if key.kind == KeyEventKind::Press => action_for_key(key, searching),
        Event::Mouse(mouse) => match mouse.kind {
            MouseEventKind::ScrollUp => Some(Action::ScrollUp),
            MouseEventKind::ScrollDown => Some(Action::ScrollDown),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                x: mouse.column,
                y: mouse.row,
            }),
            MouseEventKind::Drag(MouseButton::Left) => Some(Action::Drag {
                x: mouse.column,
                y: mouse.row,
            }),
            MouseEventKind::Up(MouseButton::Left) => Some(Action::Release {
                x: mouse.column,
                y: mouse.row,
            }),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests;
