//! The browser's tabs: one struct per tab, each in its own file, holding that tab's state
//! (its selection, its rows, what it shows) and answering the [`TabView`] trait: move the
//! selection, the mouse, find, the selected function, keys of its own, and drawing (each
//! delegates to its `ui/<tab>.rs`).
//!
//! What every tab reads — the profile, the view after the transforms, the findings, the
//! functions table, the search — stays in [`App`](crate::App) and is lent to the tab as a
//! [`Context`]; what a tab cannot do alone (show a function's callers, apply a time range)
//! it asks of the app with a [`Reply`].
//!
//! **Adding a tab** is one new file here (a struct implementing [`TabView`]) and one entry in
//! the list given to `tabs!` below: that entry makes its [`Tab`] variant, its place in the
//! tab order, its titles and its field in [`Panes`]. `App` reaches the tab shown through
//! [`Panes::get_mut`]; it never matches on [`Tab`] to dispatch a key, a click, a search or
//! a redraw.

mod bottom_up;
mod callers;
mod diff;
mod flame;
mod functions;
mod lines;
mod summary;
mod timeline;
mod top_down;

use profview_analyze::diff::ProfileDiff;
use profview_analyze::{Analysis, CallTree, NodeId, TopFunctions, Transform, View, WeightedTree};
use profview_model::{Hint, Profile, WeightKindId};
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::action::Action;
use crate::code::CodeSource;
use crate::rows::TreeRows;
use crate::shared::{FunctionSort, ListGeometry, Search};
use crate::theme::Theme;

pub use bottom_up::BottomUpTab;
pub use callers::{CallersRow, CallersTab};
pub use diff::DiffTab;
pub use flame::FlameTab;
pub use functions::FunctionsTab;
pub use lines::LinesTab;
pub use summary::SummaryTab;
pub use timeline::{TimelineGeometry, TimelineTab};
pub use top_down::TopDownTab;

/// The tabs, in tab order: `Variant("Title", "Short") => field: Struct`. The title is the tab
/// bar's; the short one is used when the bar must fit 80 columns.
macro_rules! tabs {
    ($( $(#[$doc:meta])* $tab:ident($title:literal, $short:literal) => $field:ident: $pane:ty, )*) => {
        /// The views, in tab order.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Tab {
            $( $(#[$doc])* $tab, )*
        }

        impl Tab {
            /// Every view, in tab order.
            pub const ALL: [Tab; [$(Tab::$tab),*].len()] = [$(Tab::$tab),*];

            /// The view's name in the tab bar.
            pub fn title(self) -> &'static str {
                match self {
                    $( Tab::$tab => $title, )*
                }
            }

            /// The title on a narrow terminal (the tab bar then fits 80 columns).
            pub fn short_title(self) -> &'static str {
                match self {
                    $( Tab::$tab => $short, )*
                }
            }
        }

        /// Every tab's own state, one field per tab.
        #[derive(Debug)]
        pub struct Panes {
            $(
                #[doc = concat!("The ", $title, " tab.")]
                pub $field: $pane,
            )*
        }

        impl Panes {
            /// Every tab as it opens.
            pub fn open(start: &mut Opening<'_>) -> Self {
                Self {
                    $( $field: <$pane as TabView>::open(start), )*
                }
            }

            /// The state of tab `tab`.
            pub fn get(&self, tab: Tab) -> &dyn TabView {
                match tab {
                    $( Tab::$tab => &self.$field, )*
                }
            }

            /// The state of tab `tab`, to change.
            pub fn get_mut(&mut self, tab: Tab) -> &mut dyn TabView {
                match tab {
                    $( Tab::$tab => &mut self.$field, )*
                }
            }
        }
    };
}

tabs! {
    /// Totals, findings and the top functions.
    Summary("Summary", "Sum") => summary: SummaryTab,
    /// The functions table.
    Functions("Functions", "Funcs") => functions: FunctionsTab,
    /// The call tree from the roots.
    TopDown("Top-down", "Top") => top_down: TopDownTab,
    /// The call tree from the sampled functions.
    BottomUp("Bottom-up", "Bottom") => bottom_up: BottomUpTab,
    /// Callers and callees of one function.
    Callers("Callers", "Callers") => callers: CallersTab,
    /// The flame graph.
    Flame("Flame graph", "Flame") => flame: FlameTab,
    /// Each thread over time.
    Timeline("Timeline", "Time") => timeline: TimelineTab,
    /// One function by source line or instruction.
    Lines("Lines", "Lines") => lines: LinesTab,
    /// The comparison of two profiles.
    Diff("Diff", "Diff") => diff: DiffTab,
}

/// What one tab answers. The app calls only the tab shown, with the shared state lent as a
/// [`Context`]; every method but [`TabView::navigate`], [`TabView::selected`],
/// [`TabView::draw`] and [`TabView::open`] has a default that does nothing.
pub trait TabView: std::fmt::Debug {
    /// The tab's state when the browser opens (before the first [`TabView::view_changed`]).
    fn open(start: &mut Opening<'_>) -> Self
    where
        Self: Sized;

    /// Whether the tab bar has this tab (the Diff only with a comparison, the Lines once a
    /// function was annotated...).
    fn shown(&self) -> bool {
        true
    }

    /// The view changed (a focus, a filter, another weight): derive the rows again and
    /// reset the selection. Called on every tab, shown or not.
    fn view_changed(&mut self, _ctx: &Context<'_>) {}

    /// A key or the wheel that moves: ↑ ↓, the page keys, Home End, → ← (expand and
    /// collapse, or zoom), `[` `]`, `e`; also any other action no one else took. `delta` is
    /// how many rows it moves a list: ±1, ± a page, far past either end, else 0.
    fn navigate(&mut self, action: Action, delta: isize, ctx: &Context<'_>) -> Reply;

    /// A mouse press, drag or release ([`Action::Click`], [`Action::Drag`],
    /// [`Action::Release`]). By default a press on a row of the list drawn last
    /// ([`Context::geometry`]) is a [`TabView::click`] on it.
    fn mouse(&mut self, action: Action, ctx: &Context<'_>) -> Reply {
        if let Action::Click { y, .. } = action {
            if let Some(index) = ctx.geometry.index_at(y) {
                self.click(index, ctx);
            }
        }
        Reply::Done
    }

    /// The row `index` of the list was clicked: select it.
    fn click(&mut self, _index: usize, _ctx: &Context<'_>) {}

    /// `n` / `N`: select the next (`forward`) or previous row matching the search. By
    /// default the tab has nothing to search and the top-down tree is searched instead.
    fn find(&mut self, _forward: bool, _ctx: &Context<'_>) -> Found {
        Found::NotHere
    }

    /// The function the selection stands on, for the keys that act on it (callers, lines,
    /// focus, merge, drop).
    fn selected(&self, ctx: &Context<'_>) -> Option<String>;

    /// A key this tab gives a meaning of its own, asked before the meaning every tab shares
    /// (after the help and the search prompt had theirs); `None` when it has none.
    fn key(&mut self, _action: Action, _ctx: &Context<'_>) -> Option<Reply> {
        None
    }

    /// Draw the tab in `area`; a list records where its rows went in `geometry`, for the
    /// mouse and the page keys.
    fn draw(
        &mut self,
        ctx: &Context<'_>,
        geometry: &mut ListGeometry,
        theme: Theme,
        frame: &mut Frame<'_>,
        area: Rect,
    );
}

/// What a tab needs to open.
#[derive(Debug)]
pub struct Opening<'a> {
    /// The profile shown.
    pub profile: &'a Profile,
    /// The weight kind shown.
    pub kind: WeightKindId,
    /// The stacks with no transform applied.
    pub view: &'a View,
    /// The comparison to show, for the tab that takes it.
    pub diff: Option<ProfileDiff>,
}

/// The state every tab may read, lent by the app for one call.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The profile shown.
    pub profile: &'a Profile,
    /// The weight kind shown.
    pub kind: WeightKindId,
    /// The file name.
    pub title: &'a str,
    /// The stacks after the transforms.
    pub view: &'a View,
    /// Findings and diagnostics of the samples the view keeps.
    pub analysis: &'a Analysis,
    /// The findings are still being computed.
    pub findings_pending: bool,
    /// The functions table, in its order.
    pub functions: &'a TopFunctions,
    /// The functions table's order.
    pub function_sort: FunctionSort,
    /// The search (its query highlights and `n` finds).
    pub search: &'a Search,
    /// Where the list of the tab shown was drawn last.
    pub geometry: ListGeometry,
    /// Where source text and instructions come from.
    pub code: Option<&'a dyn CodeSource>,
    /// How the front end says to supply what a warning, diagnostic or finding needs.
    pub hints: Option<fn(&Hint) -> String>,
}

impl<'a> Context<'a> {
    /// The top-down tree of the view.
    pub fn tree(&self) -> &'a CallTree {
        self.view.tree()
    }

    /// The name shown for node `node` of the top-down tree.
    pub fn node_label(&self, node: NodeId) -> String {
        self.view.label(self.view.tree(), node)
    }
}

/// What a tab asks of the app after a key or a click.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Nothing more.
    Done,
    /// Say this in the status bar.
    Say(String),
    /// Show the callers and callees of the selected function.
    ShowCallers,
    /// Apply `transform` to every view and say `message`.
    Apply {
        /// The transform to push.
        transform: Transform,
        /// What the status bar says.
        message: String,
    },
}

/// What [`TabView::find`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// A match is selected.
    Match,
    /// Nothing matches.
    NoMatch,
    /// The tab has no rows to search.
    NotHere,
}

impl From<bool> for Found {
    fn from(found: bool) -> Self {
        if found {
            Found::Match
        } else {
            Found::NoMatch
        }
    }
}

/// A list's selection.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListState {
    /// The selected row.
    pub selected: usize,
}

impl ListState {
    /// Move the selection by `delta` rows, staying within `len` rows.
    pub fn move_by(&mut self, delta: isize, len: usize) {
        let last = len.saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }

    /// Select row `index` (the last one when `index` is past the end).
    pub fn click(&mut self, index: usize, len: usize) {
        self.move_by(index as isize - self.selected as isize, len);
    }

    /// Select the next (or previous) of `names` that matches `search`; whether one did.
    pub fn find(&mut self, names: &[&str], forward: bool, search: &Search) -> Found {
        let hit = find_in(names, self.selected, forward, search);
        if let Some(i) = hit {
            self.selected = i;
        }
        hit.is_some().into()
    }
}

/// `e` follows children holding at least this share of the node it starts from.
pub const HOTTEST_MIN_SHARE: f64 = 0.05;

/// The tree keys on the rows of `tree`: → expands, ← collapses or goes to the parent, `e`
/// expands the hottest path, the others move by `delta`.
pub fn navigate_tree(
    rows: &mut TreeRows,
    tree: &mut dyn WeightedTree,
    action: Action,
    delta: isize,
) {
    match action {
        Action::Expand => rows.set_expanded(tree, true),
        Action::Collapse => rows.collapse_or_up(tree),
        Action::ExpandHottest => rows.expand_hottest(tree, HOTTEST_MIN_SHARE),
        _ => rows.move_by(delta),
    }
}

/// Select the next (or previous) visible row of `rows` whose name (`names`, one per row)
/// matches `search`.
pub fn find_row(rows: &mut TreeRows, names: &[&str], forward: bool, search: &Search) -> Found {
    let hit = find_in(names, rows.selected(), forward, search);
    if let Some(i) = hit {
        rows.select(i);
    }
    hit.is_some().into()
}

/// The index of the next (or previous) name after `from` that matches, wrapping around.
fn find_in(names: &[&str], from: usize, forward: bool, search: &Search) -> Option<usize> {
    let n = names.len();
    (1..=n)
        .map(|i| {
            if forward {
                (from + i) % n
            } else {
                (from + n - i % n) % n
            }
        })
        .find(|&i| search.matches(names[i]))
}
