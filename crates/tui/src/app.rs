//! The browser's state and how actions change it. No I/O and no drawing: the tests drive it
//! with actions and read the state back.
//!
//! [`App`] holds what every tab shares (the profile, the view after the transforms, the
//! findings, the functions table, the search, the help, the status message) and each tab's
//! own state in [`Panes`]; a key, a click, a search or a redraw goes to the tab shown through
//! [`Panes::get_mut`] (see [`crate::tabs`] for how to add a tab).

use profview_analyze::diff::ProfileDiff;
use profview_analyze::{
    Analysis, CallTree, Explorer, Grouping, NodeId, SortBy, StackWeights, TopFunctions, Transform,
    Transforms, View,
};
use profview_model::{Hint, ProcessId, Profile, ThreadId, WeightKindId};
use ratatui::layout::Rect;
use ratatui::Frame;

use crate::action::Action;
use crate::code::CodeSource;
pub use crate::shared::{weight_kinds, FunctionSort, ListGeometry, Search};
use crate::tabs::{Context, Found, ListState, Opening, Panes, Reply, Tab, TabView};
use crate::theme::Theme;

/// What the browser opens.
#[derive(Debug)]
pub struct Input<'p> {
    /// The profile shown.
    pub profile: &'p Profile,
    /// The weight kind to show.
    pub kind: WeightKindId,
    /// The file name, for the status bar.
    pub title: String,
    /// A comparison to show in the Diff view (`profview diff --tui`).
    pub diff: Option<ProfileDiff>,
    /// Where the Lines view gets source text and instructions (none: it shows the numbers
    /// only).
    pub code: Option<&'p dyn CodeSource>,
    /// How the front end says to supply what a warning, diagnostic or finding needs (the CLI
    /// names its flags); none: the browser words only what it can do itself (time ranges).
    pub hints: Option<fn(&Hint) -> String>,
}

/// Everything the browser shows and remembers.
#[derive(Debug)]
pub struct App<'p> {
    /// The profile shown.
    pub profile: &'p Profile,
    /// The weight kind shown.
    pub kind: WeightKindId,
    /// The file name, for the status bar.
    pub title: String,
    explorer: Explorer<'p>,
    /// Focus, merge, drop and filters applied, with their undo history.
    pub transforms: Transforms,
    /// The stacks after the transforms.
    pub view: View,
    /// Findings and diagnostics of the samples the view keeps.
    pub analysis: Analysis,
    /// The findings of the opening view are still being computed (see
    /// [`App::before_findings`]).
    findings_pending: bool,
    /// The functions table, in the chosen order (the Functions tab and the Summary show
    /// it).
    pub functions: TopFunctions,
    /// The functions table's order.
    pub function_sort: FunctionSort,
    /// Each tab's own state.
    pub(crate) panes: Panes,
    code_source: Option<&'p dyn CodeSource>,
    hints: Option<fn(&Hint) -> String>,
    /// The view shown.
    pub tab: Tab,
    /// The search and its prompt.
    pub search: Search,
    /// The keys are shown over the view.
    pub help: bool,
    /// A one-line message for the status bar (what the last action did or why it did not).
    pub message: Option<String>,
    /// The user asked to quit.
    pub quit: bool,
    /// Quit to reload the profile with inlined frames toggled.
    pub reload_inline: bool,
    /// Threads with samples, heaviest first, for [`Action::CycleThread`].
    threads: Vec<ThreadId>,
    /// Processes with samples, heaviest first, for [`Action::CycleProcess`].
    processes: Vec<ProcessId>,
    only: Only,
    /// Set by the renderer.
    pub geometry: ListGeometry,
}

/// The [`Context`] lent to the tabs, from `$app`'s fields: a macro rather than a method, so
/// that it borrows only those fields and [`App::panes`] can be borrowed mutably beside it.
macro_rules! context {
    ($app:expr) => {
        Context {
            profile: $app.profile,
            kind: $app.kind,
            title: &$app.title,
            view: &$app.view,
            analysis: &$app.analysis,
            findings_pending: $app.findings_pending,
            functions: &$app.functions,
            function_sort: $app.function_sort,
            search: &$app.search,
            geometry: $app.geometry,
            code: $app.code_source,
            hints: $app.hints,
        }
    };
}

impl<'p> App<'p> {
    /// The browser on `input`: every view computed, the Summary shown (the Diff view with a comparison).
    pub fn new(input: Input<'p>) -> Self {
        let (profile, kind) = (input.profile, input.kind);
        // The findings and the call tree are independent passes over the same stacks: one on
        // each core.
        std::thread::scope(|scope| {
            let analysis = scope.spawn(move || Analysis::new(profile, kind));
            let mut app = Self::before_findings(input);
            app.findings_ready(
                analysis
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            );
            app
        })
    }

    /// The browser on `input` with every view but the findings, which the caller computes
    /// (`Analysis::new` of the input's profile and kind) and hands to
    /// [`Self::findings_ready`]: on a large profile they take as long as the call tree, and
    /// the browser can show its first screen without them.
    pub fn before_findings(input: Input<'p>) -> Self {
        let explorer = Explorer::new(input.profile, Grouping::Function);
        let view = explorer.view(&[input.kind], &[]);
        let tab = if input.diff.is_some() {
            Tab::Diff
        } else {
            Tab::Summary
        };
        let panes = Panes::open(&mut Opening {
            profile: input.profile,
            kind: input.kind,
            view: &view,
            diff: input.diff,
        });
        let mut app = Self {
            profile: input.profile,
            kind: input.kind,
            title: input.title,
            analysis: Analysis::default(),
            findings_pending: true,
            // Filled from the view by `reset_from_view` below.
            functions: TopFunctions {
                total_weight: 0.0,
                functions: Vec::new(),
            },
            function_sort: FunctionSort::SelfWeight,
            panes,
            tab,
            code_source: input.code,
            hints: input.hints,
            search: Search::default(),
            help: false,
            message: None,
            quit: false,
            reload_inline: false,
            threads: threads_by_weight(input.profile, input.kind),
            processes: processes_by_weight(input.profile, input.kind),
            only: Only::All,
            geometry: ListGeometry::default(),
            explorer,
            transforms: Transforms::default(),
            view,
        };
        app.reset_from_view();
        app
    }

    /// The findings of the opening view, computed apart. Dropped when the view changed
    /// meanwhile (a transform, a filter, another weight): its findings were computed then.
    pub fn findings_ready(&mut self, analysis: Analysis) {
        if self.findings_pending {
            self.analysis = analysis;
            self.findings_pending = false;
        }
    }

    /// The state a reload keeps (see [`Carried`]).
    pub fn carried(&self) -> Carried {
        Carried {
            tab: Some(self.tab),
            kind: Some(self.kind),
            sort: Some(self.function_sort),
            thread: match self.only {
                Only::Thread(i) => Some(self.threads[i]),
                _ => None,
            },
            process: match self.only {
                Only::Process(i) => Some(self.processes[i]),
                _ => None,
            },
            search: self.search.query.clone(),
            message: None,
        }
    }

    /// Take back the state of the session before a reload.
    pub fn restore(&mut self, carried: Carried) {
        // The same file read again has the same weight kinds.
        if let Some(kind) = carried.kind.filter(|k| *k != self.kind) {
            if !self.is_diff() && self.weight_kinds().contains(&kind) {
                self.set_weight(kind);
            }
        }
        if let Some(tab) = carried.tab.filter(|t| self.tabs().contains(t)) {
            self.tab = tab;
        }
        if let Some(sort) = carried.sort {
            self.function_sort = sort;
            self.sort_functions();
        }
        let thread = carried
            .thread
            .and_then(|t| self.threads.iter().position(|x| *x == t));
        let process = carried
            .process
            .and_then(|p| self.processes.iter().position(|x| *x == p));
        if let Some(i) = thread {
            self.filter_only(Only::Thread(i), self.threads.len(), "thread");
        } else if let Some(i) = process {
            self.filter_only(Only::Process(i), self.processes.len(), "process");
        }
        self.search.query = carried.search;
        self.message = carried.message;
    }

    /// The top-down tree of the current view.
    pub fn tree(&self) -> &CallTree {
        self.view.tree()
    }

    /// The name shown for node `node` of the top-down tree.
    pub fn node_label(&self, node: NodeId) -> String {
        self.view.label(self.view.tree(), node)
    }

    /// The name shown for node `node` of the bottom-up tree.
    pub fn up_label(&self, node: NodeId) -> String {
        self.view.label(&self.panes.bottom_up.tree, node)
    }

    /// The browser compares two profiles (`profview diff --tui`).
    pub fn is_diff(&self) -> bool {
        self.panes.diff.diff.is_some()
    }

    /// Each tab's own state and, beside it, the state they share.
    fn parts(&mut self) -> (&mut Panes, Context<'_>) {
        (&mut self.panes, context!(self))
    }

    /// Draw the tab shown in `area`.
    pub(crate) fn draw_tab(&mut self, theme: Theme, frame: &mut Frame<'_>, area: Rect) {
        let ctx = context!(self);
        self.panes
            .get_mut(self.tab)
            .draw(&ctx, &mut self.geometry, theme, frame, area);
    }

    /// Apply an action.
    pub fn update(&mut self, action: Action) {
        self.message = None;
        if self.search.typing {
            self.update_search(action);
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Back if self.help => self.help = false,
            Action::Back if !self.search.query.is_empty() => self.search = Search::default(),
            Action::ToggleHelp => self.help = !self.help,
            _ if self.help => self.help = false,
            _ => {
                // The tab shown first: a key it gives a meaning of its own.
                let tab = self.tab;
                let (panes, ctx) = self.parts();
                match panes.get_mut(tab).key(action, &ctx) {
                    Some(reply) => self.reply(reply),
                    None => self.shared_key(action),
                }
            }
        }
    }

    /// What a key means in every tab.
    fn shared_key(&mut self, action: Action) {
        match action {
            Action::Back => self.quit = true,
            Action::NextTab => self.switch_tab(1),
            Action::PrevTab => self.switch_tab(-1),
            Action::GoTab(n) => self.go_tab(n),
            Action::StartSearch => {
                self.search = Search {
                    query: String::new(),
                    typing: true,
                }
            }
            Action::NextMatch => self.find(true),
            Action::PrevMatch => self.find(false),
            Action::Focus => self.transform_selected(Transform::FocusFunction),
            Action::Merge => self.transform_selected(Transform::MergeFunction),
            Action::Drop => self.transform_selected(Transform::DropFunction),
            Action::Undo => self.undo(true),
            Action::Redo => self.undo(false),
            Action::ShowCallers => self.show_callers(),
            Action::ShowLines => self.show_lines(),
            Action::CycleThread => self.cycle_thread(),
            Action::CycleProcess => self.cycle_process(),
            Action::ToggleInline => self.toggle_inline(),
            Action::CycleWeight => self.cycle_weight(),
            Action::ToggleDiffTree => {
                if self.panes.diff.toggle_tree() {
                    self.tab = Tab::Diff;
                }
            }
            Action::CycleSort => self.cycle_sort(),
            Action::Click { .. } | Action::Drag { .. } | Action::Release { .. } => {
                let tab = self.tab;
                let (panes, ctx) = self.parts();
                let reply = panes.get_mut(tab).mouse(action, &ctx);
                self.reply(reply);
            }
            other => self.navigate(other),
        }
    }

    /// Do what a tab asked.
    fn reply(&mut self, reply: Reply) {
        match reply {
            Reply::Done => {}
            Reply::Say(message) => self.message = Some(message),
            Reply::ShowCallers => self.show_callers(),
            Reply::Apply { transform, message } => {
                self.transforms.push(transform);
                self.message = Some(message);
                self.refresh_views();
            }
        }
    }

    fn update_search(&mut self, action: Action) {
        match action {
            Action::SearchChar(c) => self.search.query.push(c),
            Action::SearchBackspace => {
                self.search.query.pop();
            }
            Action::SearchSubmit => {
                self.search.typing = false;
                self.find(true);
            }
            Action::Back => self.search = Search::default(),
            Action::Quit => self.quit = true,
            _ => {}
        }
    }

    fn switch_tab(&mut self, step: isize) {
        let tabs = self.tabs();
        let at = tabs.iter().position(|t| *t == self.tab).unwrap_or(0) as isize;
        let next = (at + step).rem_euclid(tabs.len() as isize) as usize;
        self.tab = tabs[next];
    }

    fn go_tab(&mut self, number: usize) {
        match self.tabs().get(number.wrapping_sub(1)) {
            Some(&tab) => self.tab = tab,
            None => self.message = Some(format!("no view {number}")),
        }
    }

    /// The tabs this session has (Diff only with a comparison, Timeline with sample times,
    /// Lines once a function was annotated).
    pub fn tabs(&self) -> Vec<Tab> {
        Tab::ALL
            .into_iter()
            .filter(|&t| self.panes.get(t).shown())
            .collect()
    }

    /// Rebuild every view after the transforms changed; the findings then describe the
    /// samples the view keeps.
    fn refresh_views(&mut self) {
        self.view = self.explorer.view(&[self.kind], self.transforms.applied());
        let weights = if self.transforms.applied().is_empty() {
            StackWeights::new(self.profile, self.kind)
        } else {
            self.view.kept_weights().clone()
        };
        self.analysis =
            Analysis::from_parts(self.profile, self.kind, &weights, self.explorer.groups());
        self.findings_pending = false;
        if self.transforms.applied().is_empty() {
            // The phases are the whole run's.
            self.analysis = std::mem::take(&mut self.analysis).with_phases(self.profile, self.kind);
        }
        self.reset_from_view();
    }

    /// Derive the functions table, and every tab's rows and selection, from the current
    /// view.
    fn reset_from_view(&mut self) {
        self.functions = self.view.functions(self.profile, SortBy::SelfWeight);
        // Before the sort: the summary keeps the head of the table by self weight.
        let (panes, ctx) = self.parts();
        for tab in Tab::ALL {
            panes.get_mut(tab).view_changed(&ctx);
        }
        self.sort_functions();
    }

    fn sort_functions(&mut self) {
        let f = &mut self.functions.functions;
        match self.function_sort {
            FunctionSort::SelfWeight => f.sort_by(|a, b| {
                b.self_weight
                    .total_cmp(&a.self_weight)
                    .then(a.name.cmp(&b.name))
            }),
            FunctionSort::Total => f.sort_by(|a, b| {
                b.total_weight
                    .total_cmp(&a.total_weight)
                    .then(a.name.cmp(&b.name))
            }),
            FunctionSort::Name => f.sort_by(|a, b| a.name.cmp(&b.name)),
        }
    }

    fn cycle_sort(&mut self) {
        self.function_sort = match self.function_sort {
            FunctionSort::SelfWeight => FunctionSort::Total,
            FunctionSort::Total => FunctionSort::Name,
            FunctionSort::Name => FunctionSort::SelfWeight,
        };
        self.sort_functions();
        self.panes.functions.list = ListState::default();
    }

    /// The function the selection stands on in the current view, if any.
    pub fn selected_function(&self) -> Option<String> {
        self.panes.get(self.tab).selected(&context!(self))
    }

    fn show_callers(&mut self) {
        let Some(name) = self.selected_function() else {
            self.message = Some("nothing selected".to_owned());
            return;
        };
        match self.view.caller_callee(&name) {
            Some(c) => {
                self.panes.callers.show(c);
                self.tab = Tab::Callers;
            }
            None => self.message = Some(format!("{name} is not in this view")),
        }
    }

    /// The selected function's time by source line, in the Lines view (the whole profile's
    /// samples of it, whatever the filters). (In the Lines view itself, `a` switches between
    /// its lines and its instructions: that tab takes the key first.)
    fn show_lines(&mut self) {
        let Some(name) = self.selected_function() else {
            self.message = Some("nothing selected".to_owned());
            return;
        };
        match profview_analyze::annotate(self.profile, self.kind, &name) {
            Ok(a) if a.lines.is_empty() => {
                self.message = Some(format!("{name}: no source lines (no debug info)"));
            }
            Ok(a) => {
                self.panes.lines.show(a, self.code_source);
                self.tab = Tab::Lines;
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    fn transform_selected(&mut self, make: fn(String) -> Transform) {
        let Some(name) = self.selected_function() else {
            self.message = Some("nothing selected".to_owned());
            return;
        };
        let transform = make(name);
        self.message = Some(format!("{transform} (u to undo)"));
        self.transforms.push(transform);
        self.refresh_views();
    }

    fn undo(&mut self, undo: bool) {
        let done = if undo {
            self.transforms.undo()
        } else {
            self.transforms.redo()
        };
        self.message = Some(match (undo, done) {
            (true, true) => "undone".to_owned(),
            (false, true) => "redone".to_owned(),
            (true, false) => "nothing to undo".to_owned(),
            (false, false) => "nothing to redo".to_owned(),
        });
        if done {
            self.refresh_views();
        }
    }

    fn toggle_inline(&mut self) {
        if self.is_diff() {
            self.message = Some("inlined frames cannot be toggled in a diff".to_owned());
            return;
        }
        self.reload_inline = true;
        self.quit = true;
    }

    /// The weight kinds with any weight, in the profile's order.
    pub fn weight_kinds(&self) -> Vec<WeightKindId> {
        weight_kinds(self.profile)
    }

    fn cycle_weight(&mut self) {
        if self.is_diff() {
            self.message =
                Some("a diff compares one weight: the one it was opened with".to_owned());
            return;
        }
        let kinds = self.weight_kinds();
        if kinds.len() < 2 {
            self.message = Some("the profile has one weight".to_owned());
            return;
        }
        let at = kinds.iter().position(|&k| k == self.kind);
        let next = kinds[at.map_or(0, |i| (i + 1) % kinds.len())];
        self.set_weight(next);
        let kind = self.profile.weight_kind(next);
        self.message = Some(format!(
            "weight: {} ({}) (w: next)",
            self.profile.string(kind.name),
            kind.unit.name()
        ));
    }

    /// Show `kind`: the views are rebuilt, the transforms kept (they name functions and
    /// threads, not weights); a thread or process filter is kept when that thread still has
    /// weight.
    fn set_weight(&mut self, kind: WeightKindId) {
        let thread = match self.only {
            Only::Thread(i) => Some(self.threads[i]),
            _ => None,
        };
        let process = match self.only {
            Only::Process(i) => Some(self.processes[i]),
            _ => None,
        };
        self.kind = kind;
        self.panes.timeline.set_kind(self.profile, kind);
        self.threads = threads_by_weight(self.profile, kind);
        self.processes = processes_by_weight(self.profile, kind);
        self.only = match (thread, process) {
            (Some(t), _) => self
                .threads
                .iter()
                .position(|x| *x == t)
                .map_or(Only::All, Only::Thread),
            (_, Some(p)) => self
                .processes
                .iter()
                .position(|x| *x == p)
                .map_or(Only::All, Only::Process),
            _ => Only::All,
        };
        if self.only == Only::All {
            let list = self.transforms_but_thread_filters();
            self.transforms = Transforms::default();
            for t in list {
                self.transforms.push(t);
            }
        }
        self.refresh_views();
    }

    /// The transforms in force, without a thread or process filter.
    fn transforms_but_thread_filters(&self) -> Vec<Transform> {
        self.transforms
            .applied()
            .iter()
            .filter(|t| !matches!(t, Transform::Threads(_) | Transform::Processes(_)))
            .cloned()
            .collect()
    }

    fn cycle_thread(&mut self) {
        let next = match self.only {
            Only::Thread(i) if i + 1 < self.threads.len() => Only::Thread(i + 1),
            Only::Thread(_) => Only::All,
            _ => Only::Thread(0),
        };
        self.filter_only(next, self.threads.len(), "thread");
    }

    fn cycle_process(&mut self) {
        let next = match self.only {
            Only::Process(i) if i + 1 < self.processes.len() => Only::Process(i + 1),
            Only::Process(_) => Only::All,
            _ => Only::Process(0),
        };
        self.filter_only(next, self.processes.len(), "process");
    }

    /// Show only one thread or process (or all again): the new filter replaces the old one.
    fn filter_only(&mut self, only: Only, choices: usize, what: &str) {
        if choices < 2 {
            self.message = Some(format!("the profile has one {what}"));
            return;
        }
        self.only = only;
        let mut list = self.transforms_but_thread_filters();
        match only {
            Only::All => {}
            Only::Thread(i) => list.push(Transform::Threads(vec![self.threads[i]])),
            Only::Process(i) => list.push(Transform::Processes(vec![self.processes[i]])),
        }
        self.transforms = Transforms::default();
        for t in list {
            self.transforms.push(t);
        }
        self.message = Some(self.thread_filter_label());
        self.refresh_views();
    }

    /// The thread or process filter in force, in words.
    pub fn thread_filter_label(&self) -> String {
        let p = self.profile;
        let named = |name: Option<profview_model::StringId>, id: Option<u32>, what: &str| {
            let name = name.map_or("?", |n| p.string(n));
            match id {
                Some(id) => format!("{what} {name} ({id})"),
                None => format!("{what} {name}"),
            }
        };
        match self.only {
            Only::All => "all threads".to_owned(),
            Only::Thread(i) => {
                let t = p.thread(self.threads[i]);
                named(t.name, t.tid, "thread")
            }
            Only::Process(i) => {
                let pr = p.process(self.processes[i]);
                named(pr.name, pr.pid, "process")
            }
        }
    }

    /// The keys that move (and any other action no one took) go to the tab shown, with how
    /// many rows they move a list.
    fn navigate(&mut self, action: Action) {
        let page = self.geometry.rows.max(1) as isize;
        let delta = match action {
            Action::Up | Action::ScrollUp => -1,
            Action::Down | Action::ScrollDown => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::First => isize::MIN / 2,
            Action::Last => isize::MAX / 2,
            _ => 0,
        };
        let tab = self.tab;
        let (panes, ctx) = self.parts();
        let reply = panes.get_mut(tab).navigate(action, delta, &ctx);
        self.reply(reply);
    }

    /// Jump to the next (or previous) name matching the search in the current view; a tab
    /// without rows of its own has the top-down tree searched (its selection moves there).
    fn find(&mut self, forward: bool) {
        if self.search.query.is_empty() {
            self.message = Some("no search (/ to search)".to_owned());
            return;
        }
        let tab = self.tab;
        let (panes, ctx) = self.parts();
        let found = match panes.get_mut(tab).find(forward, &ctx) {
            Found::NotHere => panes.top_down.find(forward, &ctx),
            found => found,
        };
        if found != Found::Match {
            self.message = Some(format!("no match for {:?}", self.search.query));
        }
    }
}

/// What a reload of the profile keeps (`i` reads it again with inlined frames toggled): the
/// view, the functions' sort, the thread or process filter and the search.
#[derive(Debug, Clone, Default)]
pub struct Carried {
    tab: Option<Tab>,
    kind: Option<WeightKindId>,
    sort: Option<FunctionSort>,
    thread: Option<ThreadId>,
    process: Option<ProcessId>,
    search: String,
    message: Option<String>,
}

impl Carried {
    /// The view shown last.
    pub fn tab(&self) -> Option<Tab> {
        self.tab
    }

    /// Say `message` in the status bar when the next session opens (what the reload did).
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

/// The thread or process filter: one of the heaviest-first lists, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    All,
    Thread(usize),
    Process(usize),
}

/// Threads with samples of `kind`, heaviest first.
fn threads_by_weight(profile: &Profile, kind: WeightKindId) -> Vec<ThreadId> {
    heaviest(&thread_weights(profile, kind), ThreadId::from_index)
}

/// Processes with samples of `kind`, heaviest first.
fn processes_by_weight(profile: &Profile, kind: WeightKindId) -> Vec<ProcessId> {
    let mut weight = vec![0.0; profile.processes().len()];
    for (t, w) in thread_weights(profile, kind).into_iter().enumerate() {
        if let Some(process) = profile.thread(ThreadId::from_index(t)).process {
            weight[process.index()] += w;
        }
    }
    heaviest(&weight, ProcessId::from_index)
}

fn thread_weights(profile: &Profile, kind: WeightKindId) -> Vec<f64> {
    let mut weight = vec![0.0; profile.threads().len()];
    for s in profile.samples().iter().filter(|s| s.kind == kind) {
        weight[s.thread.index()] += s.weight;
    }
    weight
}

/// The indices with a weight, heaviest first, as ids.
fn heaviest<Id>(weight: &[f64], id: fn(usize) -> Id) -> Vec<Id> {
    let mut order: Vec<usize> = (0..weight.len()).filter(|&i| weight[i] > 0.0).collect();
    order.sort_by(|&a, &b| weight[b].total_cmp(&weight[a]));
    order.into_iter().map(id).collect()
}
