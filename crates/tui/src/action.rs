//! What a key press means: keys become [`Action`]s, and only actions change the state.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Everything a person can ask of the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Quit the browser.
    Quit,
    /// Close the help, the search prompt or a zoom; quit when there is nothing to close.
    Back,
    /// The next view.
    NextTab,
    /// The previous view.
    PrevTab,
    /// Go to the tab with this number (1-based, as shown).
    GoTab(usize),
    /// Move the selection up.
    Up,
    /// Move the selection down.
    Down,
    /// Move a page up.
    PageUp,
    /// Move a page down.
    PageDown,
    /// The first row.
    First,
    /// The last row.
    Last,
    /// Expand the selected node (tree), zoom into it (flame graph).
    Expand,
    /// Collapse the selected node or go to its parent (tree), go to the parent (flame graph).
    Collapse,
    /// Flame graph: the previous frame on the same level.
    Left,
    /// Flame graph: the next frame on the same level.
    Right,
    /// Expand the hottest path below the selected node.
    ExpandHottest,
    /// Start typing a search.
    StartSearch,
    /// A character typed into the search.
    SearchChar(char),
    /// Delete the search's last character.
    SearchBackspace,
    /// Finish typing: keep the highlight and jump to the first match.
    SearchSubmit,
    /// The next search match.
    NextMatch,
    /// The previous search match.
    PrevMatch,
    /// Keep only the stacks through the selected function.
    Focus,
    /// Merge the selected function into its callers.
    Merge,
    /// Drop the stacks through the selected function.
    Drop,
    /// Undo the last focus, merge, drop or filter.
    Undo,
    /// Redo what was undone.
    Redo,
    /// Show the callers and callees of the selected function.
    ShowCallers,
    /// Show the selected function's time by source line.
    ShowLines,
    /// Functions table: the next sort order.
    CycleSort,
    /// Show only the next thread (then all threads again).
    CycleThread,
    /// Show only the next process (then all again).
    CycleProcess,
    /// Show or hide inlined frames (the profile is read again).
    ToggleInline,
    /// Show the next weight kind (event, or heap weight: peak, leaked, allocations...).
    CycleWeight,
    /// Diff view: the table or the call-path tree.
    ToggleDiffTree,
    /// Show or hide the keys.
    ToggleHelp,
    /// Mouse wheel.
    ScrollUp,
    /// Mouse wheel down.
    ScrollDown,
    /// Left mouse button pressed at screen column `x`, row `y`.
    Click {
        /// Screen column.
        x: u16,
        /// Screen row.
        y: u16,
    },
    /// The mouse moved to `x`, `y` with the left button held.
    Drag {
        /// Screen column.
        x: u16,
        /// Screen row.
        y: u16,
    },
    /// The left button released at `x`, `y`.
    Release {
        /// Screen column.
        x: u16,
        /// Screen row.
        y: u16,
    },
}

/// The action for `key`; `searching` when the search prompt takes the typing.
pub fn action_for_key(key: KeyEvent, searching: bool) -> Option<Action> {
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    if ctrl && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if searching {
        return match key.code {
            KeyCode::Enter => Some(Action::SearchSubmit),
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Backspace => Some(Action::SearchBackspace),
            KeyCode::Char(c) => Some(Action::SearchChar(c)),
            _ => None,
        };
    }
    if ctrl {
        return match key.code {
            KeyCode::Char('r') => Some(Action::Redo),
            KeyCode::Char('d') => Some(Action::PageDown),
            KeyCode::Char('u') => Some(Action::PageUp),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Esc => Action::Back,
        KeyCode::Tab => Action::NextTab,
        KeyCode::BackTab => Action::PrevTab,
        KeyCode::Char(c @ '1'..='9') => Action::GoTab(c as usize - '0' as usize),
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::First,
        KeyCode::End | KeyCode::Char('G') => Action::Last,
        KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') | KeyCode::Char(' ') => Action::Expand,
        KeyCode::Left | KeyCode::Char('h') | KeyCode::Backspace => Action::Collapse,
        KeyCode::Char('[') => Action::Left,
        KeyCode::Char(']') => Action::Right,
        KeyCode::Char('e') => Action::ExpandHottest,
        KeyCode::Char('/') => Action::StartSearch,
        KeyCode::Char('n') => Action::NextMatch,
        KeyCode::Char('N') => Action::PrevMatch,
        KeyCode::Char('f') => Action::Focus,
        KeyCode::Char('m') => Action::Merge,
        KeyCode::Char('d') => Action::Drop,
        KeyCode::Char('u') => Action::Undo,
        KeyCode::Char('U') => Action::Redo,
        KeyCode::Char('c') => Action::ShowCallers,
        KeyCode::Char('a') => Action::ShowLines,
        KeyCode::Char('s') => Action::CycleSort,
        KeyCode::Char('t') => Action::CycleThread,
        KeyCode::Char('p') => Action::CycleProcess,
        KeyCode::Char('i') => Action::ToggleInline,
        KeyCode::Char('w') => Action::CycleWeight,
        KeyCode::Char('v') => Action::ToggleDiffTree,
        KeyCode::Char('?') => Action::ToggleHelp,
        _ => return None,
    })
}

/// The keys, for the help overlay: (keys, what they do).
pub const HELP: &[(&str, &str)] = &[
    (
        "Tab / Shift-Tab, 1-7",
        "next / previous view, or view by number",
    ),
    ("↑ ↓  j k", "move the selection"),
    ("PgUp PgDn  Ctrl-u Ctrl-d", "move by a page"),
    ("Home End  g G", "first / last row"),
    ("→ Enter l Space", "expand (tree), zoom in (flame graph)"),
    ("← h Backspace", "collapse or go to the parent; zoom out"),
    ("[ ]", "flame graph: previous / next frame on the level"),
    ("e", "expand the hottest path below the selection"),
    (
        "/  n N",
        "search names (highlighted); next / previous match",
    ),
    ("c", "callers and callees of the selected function"),
    (
        "a",
        "the selected function's lines; again: its instructions",
    ),
    ("f m d", "focus on / merge / drop the selected function"),
    (
        "u  U Ctrl-r",
        "undo / redo the last focus, merge, drop or filter",
    ),
    (
        "t  p",
        "show one thread / process at a time (then all again)",
    ),
    ("s", "functions: sort by self, total, name"),
    ("i", "show / hide inlined frames (reads the profile again)"),
    ("w", "the next weight (event, or heap: peak, leaked...)"),
    ("v", "diff: the table or the call-path tree"),
    ("mouse", "wheel scrolls, click selects; drag: a time range"),
    ("?", "this help"),
    ("Esc", "close help, search or zoom; quit"),
    ("q Ctrl-c", "quit"),
];
