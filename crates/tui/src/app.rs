//! The browser's state and how actions change it. No I/O and no drawing: the tests drive it
//! with actions and read the state back.

use profview_analyze::diff::{DiffTree, ProfileDiff};
use profview_analyze::{
    Analysis, Annotation, BottomUp, CallTree, CallerCallee, Explorer, Grouping, NodeId, SortBy,
    StackWeights, Timeline, TopFunctions, Transform, Transforms, View, WeightedTree,
};
use profview_model::{ProcessId, Profile, ThreadId, WeightKindId};

use crate::action::Action;
use crate::code::{CodeCache, CodeSource};
use crate::flame::FlameState;
use crate::rows::{TreeRows, ROOT};

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
}

/// The views, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Totals, findings and the top functions.
    Summary,
    /// The functions table.
    Functions,
    /// The call tree from the roots.
    TopDown,
    /// The call tree from the sampled functions.
    BottomUp,
    /// Callers and callees of one function.
    Callers,
    /// The flame graph.
    Flame,
    /// Each thread over time.
    Timeline,
    /// One function by source line or instruction.
    Lines,
    /// The comparison of two profiles.
    Diff,
}

impl Tab {
    /// Every view, in tab order.
    pub const ALL: [Tab; 9] = [
        Tab::Summary,
        Tab::Functions,
        Tab::TopDown,
        Tab::BottomUp,
        Tab::Callers,
        Tab::Flame,
        Tab::Timeline,
        Tab::Lines,
        Tab::Diff,
    ];

    /// The view's name in the tab bar.
    pub fn title(self) -> &'static str {
        match self {
            Tab::Summary => "Summary",
            Tab::Functions => "Functions",
            Tab::TopDown => "Top-down",
            Tab::BottomUp => "Bottom-up",
            Tab::Callers => "Callers",
            Tab::Flame => "Flame graph",
            Tab::Timeline => "Timeline",
            Tab::Lines => "Lines",
            Tab::Diff => "Diff",
        }
    }

    /// The title on a narrow terminal (the tab bar then fits 80 columns).
    pub fn short_title(self) -> &'static str {
        match self {
            Tab::Summary => "Sum",
            Tab::Functions => "Funcs",
            Tab::TopDown => "Top",
            Tab::BottomUp => "Bottom",
            Tab::Callers => "Callers",
            Tab::Flame => "Flame",
            Tab::Timeline => "Time",
            Tab::Lines => "Lines",
            Tab::Diff => "Diff",
        }
    }
}

/// How the functions table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionSort {
    /// By self weight, heaviest first.
    SelfWeight,
    /// By total weight, heaviest first.
    Total,
    /// By name.
    Name,
}

/// The search prompt and the highlighted text.
#[derive(Debug, Clone, Default)]
pub struct Search {
    pub query: String,
    /// The prompt takes the typing.
    pub typing: bool,
}

impl Search {
    /// Whether `name` matches the query (case-insensitive); never with an empty query.
    pub fn matches(&self, name: &str) -> bool {
        !self.query.is_empty() && name.to_lowercase().contains(&self.query.to_lowercase())
    }
}

/// A list's selection and the first row drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListState {
    pub selected: usize,
}

impl ListState {
    fn move_by(&mut self, delta: isize, len: usize) {
        let last = len.saturating_sub(1) as isize;
        self.selected = (self.selected as isize + delta).clamp(0, last.max(0)) as usize;
    }
}

/// Where the list or tree of the current view was drawn, for mouse clicks: the screen row of
/// its first line and the index of the item shown there.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListGeometry {
    pub top: u16,
    pub first_index: usize,
    pub rows: u16,
}

/// Where the timeline's chart was drawn: its first column and row, its size, and how many
/// buckets its columns show.
#[derive(Debug, Clone, Copy, Default)]
pub struct TimelineGeometry {
    pub left: u16,
    pub columns: u16,
    pub top: u16,
    pub rows: u16,
    pub buckets: usize,
}

impl TimelineGeometry {
    /// The first bucket drawn in screen column `x`, when `x` is on the chart.
    pub fn bucket_at(&self, x: u16) -> Option<usize> {
        let column = x.checked_sub(self.left).filter(|c| *c < self.columns)?;
        // Bucket b is drawn in column b * columns / buckets: the first in column c is
        // ceil(c * buckets / columns).
        let (c, n) = (usize::from(column), usize::from(self.columns.max(1)));
        Some(
            (c * self.buckets)
                .div_ceil(n)
                .min(self.buckets.saturating_sub(1)),
        )
    }

    /// As [`Self::bucket_at`], a column left or right of the chart taken as its first or
    /// last (a drag may leave it).
    pub fn bucket_at_clamped(&self, x: u16) -> Option<usize> {
        if self.columns == 0 {
            return None;
        }
        let x = x.clamp(self.left, self.left + self.columns - 1);
        self.bucket_at(x)
    }
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
    /// The functions table, in the chosen order.
    pub functions: TopFunctions,
    /// The heaviest functions by self weight (name, weight), for the summary.
    pub top_self: Vec<(String, f64)>,
    /// The functions table's order.
    pub function_sort: FunctionSort,
    /// The functions table's selection.
    pub function_list: ListState,
    /// The top-down tree's visible rows.
    pub top_down: TreeRows,
    /// The bottom-up tree (children computed when opened).
    pub bottom_up: BottomUp,
    /// The bottom-up tree's visible rows.
    pub bottom_up_rows: TreeRows,
    /// The Callers view's function, when one was chosen.
    pub callers: Option<CallerCallee>,
    /// The Callers view's selection.
    pub callers_list: ListState,
    /// The flame graph's zoom and selection.
    pub flame: FlameState,
    /// The comparison shown in the Diff view.
    pub diff: Option<ProfileDiff>,
    /// The diff table's selection.
    pub diff_list: ListState,
    /// The diff's call paths as a tree (`v` switches between it and the table).
    pub diff_tree: Option<DiffTree>,
    /// The diff tree's visible rows.
    pub diff_rows: TreeRows,
    /// The Diff view shows the call-path tree rather than the table.
    pub diff_as_tree: bool,
    /// The run over time (when the samples have times), its cursor and the start of a
    /// range being selected, in buckets.
    pub timeline: Option<Timeline>,
    /// The timeline's cursor, in buckets.
    pub timeline_cursor: usize,
    /// Where the range being selected starts, in buckets.
    pub timeline_mark: Option<usize>,
    /// Where a mouse drag on the timeline started, while the button is held.
    timeline_drag: Option<usize>,
    /// Where the timeline's chart was drawn, for the mouse (set by the renderer).
    pub timeline_geometry: TimelineGeometry,
    /// The time of one function by source line (`a`), and the selected line.
    pub lines: Option<Annotation>,
    /// The Lines view's selected line.
    pub lines_list: ListState,
    /// The source text and instructions fetched for the Lines view, and the selected row
    /// of its assembly listing.
    pub code: CodeCache,
    /// The assembly listing's selected row.
    pub asm_list: ListState,
    code_source: Option<&'p dyn CodeSource>,
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

impl<'p> App<'p> {
    /// The browser on `input`: every view computed, the Summary shown (the Diff view with a comparison).
    pub fn new(input: Input<'p>) -> Self {
        let explorer = Explorer::new(input.profile, Grouping::Function);
        let view = explorer.view(&[input.kind], &[]);
        let bottom_up = view.bottom_up();
        let mut app = Self {
            profile: input.profile,
            kind: input.kind,
            title: input.title,
            analysis: Analysis::new(input.profile, input.kind),
            // Filled from the view by `reset_from_view` below.
            functions: TopFunctions {
                total_weight: 0.0,
                functions: Vec::new(),
            },
            top_self: Vec::new(),
            function_sort: FunctionSort::SelfWeight,
            function_list: ListState::default(),
            top_down: TreeRows::default(),
            bottom_up,
            bottom_up_rows: TreeRows::default(),
            callers: None,
            callers_list: ListState::default(),
            flame: FlameState::default(),
            tab: if input.diff.is_some() {
                Tab::Diff
            } else {
                Tab::Summary
            },
            diff_tree: input.diff.as_ref().map(ProfileDiff::tree),
            diff_rows: TreeRows::default(),
            diff_as_tree: false,
            timeline: Timeline::new(input.profile, input.kind, TIMELINE_BUCKETS),
            timeline_cursor: 0,
            timeline_mark: None,
            timeline_drag: None,
            timeline_geometry: TimelineGeometry::default(),
            lines: None,
            lines_list: ListState::default(),
            code: CodeCache::default(),
            asm_list: ListState::default(),
            code_source: input.code,
            diff: input.diff,
            diff_list: ListState::default(),
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
        if let Some(tree) = &mut app.diff_tree {
            app.diff_rows = TreeRows::new(tree);
        }
        app
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
            if self.diff.is_none() && self.weight_kinds().contains(&kind) {
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
        self.view.label(&self.bottom_up, node)
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
            Action::Back => self.back(),
            Action::ToggleHelp => self.help = !self.help,
            _ if self.help => self.help = false,
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
            Action::Focus if self.tab == Tab::Timeline => self.mark_time(),
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
                if self.diff.is_some() {
                    self.diff_as_tree = !self.diff_as_tree;
                    self.tab = Tab::Diff;
                }
            }
            Action::CycleSort => self.cycle_sort(),
            other => self.navigate(other),
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

    fn back(&mut self) {
        if self.help {
            self.help = false;
        } else if !self.search.query.is_empty() {
            self.search = Search::default();
        } else if self.tab == Tab::Flame && self.flame.zoom != ROOT {
            self.flame.zoom_out(self.view.tree());
        } else {
            self.quit = true;
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

    /// The tabs this session has (Diff only with a comparison).
    pub fn tabs(&self) -> Vec<Tab> {
        Tab::ALL
            .into_iter()
            .filter(|t| *t != Tab::Diff || self.diff.is_some())
            .filter(|t| *t != Tab::Timeline || self.timeline.is_some())
            .filter(|t| *t != Tab::Lines || self.lines.is_some())
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
        if self.transforms.applied().is_empty() {
            // The phases are the whole run's.
            self.analysis = std::mem::take(&mut self.analysis).with_phases(self.profile, self.kind);
        }
        self.reset_from_view();
    }

    /// Derive the tables and trees, and reset the selections, from the current view.
    fn reset_from_view(&mut self) {
        self.functions = self.view.functions(self.profile, SortBy::SelfWeight);
        // `functions` comes sorted by self weight: the summary keeps its head.
        self.top_self = self
            .functions
            .functions
            .iter()
            .take(SUMMARY_TOP)
            .filter(|f| f.self_weight > 0.0)
            .map(|f| (f.name.clone(), f.self_weight))
            .collect();
        self.sort_functions();
        self.function_list = ListState::default();
        let mut tree: &CallTree = self.view.tree();
        self.top_down = TreeRows::new(&mut tree);
        self.bottom_up = self.view.bottom_up();
        self.bottom_up_rows = TreeRows::new(&mut self.bottom_up);
        self.flame = FlameState::default();
        if let Some(c) = &self.callers {
            let name = c.function.clone();
            self.callers = self.view.caller_callee(&name);
        }
        self.callers_list = ListState::default();
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
        self.function_list = ListState::default();
    }

    /// The function the selection stands on in the current view, if any.
    pub fn selected_function(&self) -> Option<String> {
        match self.tab {
            Tab::Functions => self
                .functions
                .functions
                .get(self.function_list.selected)
                .map(|f| f.name.clone()),
            Tab::TopDown => self.top_down.selected_node().map(|n| self.node_label(n)),
            Tab::BottomUp => self
                .bottom_up_rows
                .selected_node()
                .map(|n| self.up_label(n)),
            Tab::Callers => self.callers_row_name(),
            Tab::Flame => {
                (self.flame.selected != ROOT).then(|| self.node_label(self.flame.selected))
            }
            Tab::Diff if self.diff_as_tree => {
                let tree = self.diff_tree.as_ref()?;
                self.diff_rows
                    .selected_node()
                    .map(|n| tree.name(n).to_owned())
            }
            Tab::Diff => self
                .diff
                .as_ref()
                .and_then(|d| d.functions.get(self.diff_list.selected))
                .map(|f| f.name.clone()),
            Tab::Summary => self.functions.functions.first().map(|f| f.name.clone()),
            Tab::Timeline => self.timeline_phase_function(),
            Tab::Lines => self.lines.as_ref().map(|a| a.function.clone()),
        }
    }

    /// The rows of the Callers view: callers, the function, callees.
    pub fn callers_rows(&self) -> Vec<(CallersRow, String, f64)> {
        let Some(c) = &self.callers else {
            return Vec::new();
        };
        let mut rows: Vec<_> = c
            .callers
            .iter()
            .map(|r| (CallersRow::Caller, r.name.clone(), r.weight))
            .collect();
        rows.push((CallersRow::Function, c.function.clone(), c.total_weight));
        rows.extend(
            c.callees
                .iter()
                .map(|r| (CallersRow::Callee, r.name.clone(), r.weight)),
        );
        rows
    }

    fn callers_row_name(&self) -> Option<String> {
        self.callers_rows()
            .get(self.callers_list.selected)
            .map(|(_, name, _)| name.clone())
    }

    fn show_callers(&mut self) {
        let Some(name) = self.selected_function() else {
            self.message = Some("nothing selected".to_owned());
            return;
        };
        match self.view.caller_callee(&name) {
            Some(c) => {
                // Select the function itself, between its callers and callees.
                self.callers_list.selected = c.callers.len();
                self.callers = Some(c);
                self.tab = Tab::Callers;
            }
            None => self.message = Some(format!("{name} is not in this view")),
        }
    }

    /// The selected function's time by source line, in the Lines view (the whole profile's
    /// samples of it, whatever the filters); in the Lines view, switch between its lines
    /// and its instructions.
    fn show_lines(&mut self) {
        if self.tab == Tab::Lines {
            self.toggle_assembly();
            return;
        }
        let Some(name) = self.selected_function() else {
            self.message = Some("nothing selected".to_owned());
            return;
        };
        match profview_analyze::annotate(self.profile, self.kind, &name) {
            Ok(a) if a.lines.is_empty() => {
                self.message = Some(format!("{name}: no source lines (no debug info)"));
            }
            Ok(a) => {
                self.code = CodeCache::default();
                for l in &a.lines {
                    self.code.fetch_source(self.code_source, &l.file);
                }
                self.lines = Some(a);
                self.lines_list = ListState::default();
                self.asm_list = ListState::default();
                self.tab = Tab::Lines;
            }
            Err(e) => self.message = Some(e.to_string()),
        }
    }

    /// The Lines view: its source lines or its instructions (fetched the first time).
    fn toggle_assembly(&mut self) {
        let Some(a) = &self.lines else {
            return;
        };
        self.code.assembly = !self.code.assembly;
        if self.code.assembly && self.code.instructions.is_none() {
            self.code
                .fetch_instructions(self.code_source, self.profile, a);
            // Open on the hottest instruction.
            self.asm_list.selected = self.code.hottest.first().copied().unwrap_or(0);
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
        if self.diff.is_some() {
            self.message = Some("inlined frames cannot be toggled in a diff".to_owned());
            return;
        }
        self.reload_inline = true;
        self.quit = true;
    }

    /// The weight kinds with any weight, in the profile's order.
    pub fn weight_kinds(&self) -> Vec<WeightKindId> {
        (0..self.profile.weight_kinds().len())
            .map(WeightKindId::from_index)
            .filter(|&k| self.profile.total_weight(k) > 0.0)
            .collect()
    }

    fn cycle_weight(&mut self) {
        if self.diff.is_some() {
            self.message = Some("a diff compares one weight: choose it with --event".to_owned());
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
        self.timeline = Timeline::new(self.profile, kind, TIMELINE_BUCKETS);
        self.timeline_mark = None;
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

    fn navigate(&mut self, action: Action) {
        let page = self.geometry.rows.max(1) as isize;
        let delta = match action {
            Action::Up | Action::ScrollUp => -1,
            Action::Down | Action::ScrollDown => 1,
            Action::PageUp => -page,
            Action::PageDown => page,
            Action::First => isize::MIN / 2,
            Action::Last => isize::MAX / 2,
            Action::Click { x, y } if self.tab == Tab::Timeline => {
                self.press_timeline(x, y);
                return;
            }
            Action::Drag { x, .. } if self.tab == Tab::Timeline => {
                self.drag_timeline(x);
                return;
            }
            Action::Release { x, .. } if self.tab == Tab::Timeline => {
                self.release_timeline(x);
                return;
            }
            Action::Click { y, .. } => {
                self.click(y);
                return;
            }
            Action::Drag { .. } | Action::Release { .. } => return,
            _ => 0,
        };
        match self.tab {
            Tab::Summary => {}
            Tab::Functions => self
                .function_list
                .move_by(delta, self.functions.functions.len()),
            Tab::TopDown | Tab::BottomUp => self.navigate_tree(action, delta),
            Tab::Callers => {
                let len = self.callers_rows().len();
                if action == Action::Expand {
                    self.show_callers();
                } else {
                    self.callers_list.move_by(delta, len);
                }
            }
            Tab::Flame => self.navigate_flame(action),
            Tab::Timeline => self.navigate_timeline(action, delta),
            Tab::Lines if self.code.assembly => {
                if action == Action::Expand {
                    if let Some(next) = self.code.next_hottest(self.asm_list.selected) {
                        self.asm_list.selected = next;
                    }
                } else {
                    self.asm_list.move_by(delta, self.code.rows.len());
                }
            }
            Tab::Lines => {
                let len = self.lines.as_ref().map_or(0, |a| a.lines.len());
                // Enter: the next hottest line (the rows are hottest first).
                let delta = if action == Action::Expand { 1 } else { delta };
                self.lines_list.move_by(delta, len);
            }
            Tab::Diff if self.diff_as_tree => {
                if let Some(tree) = &mut self.diff_tree {
                    let rows = &mut self.diff_rows;
                    match action {
                        Action::Expand => rows.set_expanded(tree, true),
                        Action::Collapse => rows.collapse_or_up(tree),
                        Action::ExpandHottest => rows.expand_hottest(tree, HOTTEST_MIN_SHARE),
                        _ => rows.move_by(delta),
                    }
                }
            }
            Tab::Diff => {
                let len = self.diff.as_ref().map_or(0, |d| d.functions.len());
                self.diff_list.move_by(delta, len);
            }
        }
    }

    fn navigate_tree(&mut self, action: Action, delta: isize) {
        let (rows, tree): (&mut TreeRows, &mut dyn WeightedTree) = match self.tab {
            Tab::TopDown => (&mut self.top_down, &mut self.view.tree()),
            _ => (&mut self.bottom_up_rows, &mut self.bottom_up),
        };
        match action {
            Action::Expand => rows.set_expanded(tree, true),
            Action::Collapse => rows.collapse_or_up(tree),
            Action::ExpandHottest => rows.expand_hottest(tree, HOTTEST_MIN_SHARE),
            _ => rows.move_by(delta),
        }
    }

    /// ←/→ (and the page and end keys) move the timeline's cursor a bucket at a time.
    fn navigate_timeline(&mut self, action: Action, delta: isize) {
        let Some(t) = &self.timeline else {
            return;
        };
        let buckets = t.threads.first().map_or(1, |th| th.buckets.len());
        let step = match action {
            Action::Collapse | Action::Left => -1,
            Action::Expand | Action::Right => 1,
            Action::PageUp => -10,
            Action::PageDown => 10,
            _ => delta,
        };
        let last = buckets.saturating_sub(1) as isize;
        self.timeline_cursor = (self.timeline_cursor as isize + step).clamp(0, last) as usize;
    }

    /// The mouse pressed on the timeline's chart: the cursor goes there, and a drag from
    /// there selects a range.
    fn press_timeline(&mut self, x: u16, y: u16) {
        let g = self.timeline_geometry;
        if !(g.top..g.top + g.rows).contains(&y) {
            return;
        }
        if let Some(bucket) = g.bucket_at(x) {
            self.timeline_cursor = bucket;
            self.timeline_drag = Some(bucket);
            self.timeline_mark = None;
        }
    }

    fn drag_timeline(&mut self, x: u16) {
        let Some(start) = self.timeline_drag else {
            return;
        };
        if let Some(bucket) = self.timeline_geometry.bucket_at_clamped(x) {
            self.timeline_cursor = bucket;
            // Drawn as the range being selected.
            self.timeline_mark = (bucket != start).then_some(start);
        }
    }

    /// The button released: after a drag, the range from where it was pressed to here is
    /// selected (as `f` at both ends); after a click, only the cursor moved.
    fn release_timeline(&mut self, x: u16) {
        let Some(start) = self.timeline_drag.take() else {
            return;
        };
        let Some(end) = self.timeline_geometry.bucket_at_clamped(x) else {
            return;
        };
        self.timeline_cursor = end;
        if end == start {
            self.timeline_mark = None;
            return;
        }
        self.timeline_mark = Some(start);
        self.mark_time();
    }

    /// `f` on the timeline: the first press marks where a range starts, the second where it
    /// ends, and every view then shows only that time (`u` undoes it).
    fn mark_time(&mut self) {
        let Some(t) = &self.timeline else {
            return;
        };
        let Some(start) = self.timeline_mark.take() else {
            self.timeline_mark = Some(self.timeline_cursor);
            self.message = Some("range start marked: move to its end and press f".to_owned());
            return;
        };
        let (first, last) = (
            start.min(self.timeline_cursor),
            start.max(self.timeline_cursor),
        );
        let bucket_ns = t.bucket_s * 1e9;
        let at = |b: usize| t.start_ns + (b as f64 * bucket_ns) as u64;
        let (start_s, end_s) = (first as f64 * t.bucket_s, (last + 1) as f64 * t.bucket_s);
        self.transforms.push(Transform::TimeRange {
            start: at(first),
            end: at(last + 1),
        });
        self.message = Some(format!("only {start_s:.3} s to {end_s:.3} s (u to undo)"));
        self.refresh_views();
    }

    /// The top function of the phase under the timeline's cursor.
    fn timeline_phase_function(&self) -> Option<String> {
        let t = self.timeline.as_ref()?;
        let at = (self.timeline_cursor as f64 + 0.5) * t.bucket_s;
        t.phases
            .iter()
            .find(|p| p.start_s <= at && at < p.end_s)
            .map(|p| p.top_function.clone())
    }

    fn navigate_flame(&mut self, action: Action) {
        let tree = self.view.tree();
        match action {
            Action::Expand => self.flame.zoom_in(),
            Action::Collapse => self.flame.zoom_out(tree),
            Action::Up => self.flame.to_parent(tree),
            Action::Down => self.flame.to_child(tree),
            Action::Left => self.flame.to_sibling(tree, -1),
            Action::Right => self.flame.to_sibling(tree, 1),
            Action::ExpandHottest => self.flame.to_hottest(tree),
            _ => {}
        }
    }

    fn click(&mut self, y: u16) {
        let g = self.geometry;
        if y < g.top || y >= g.top + g.rows {
            return;
        }
        let index = g.first_index + usize::from(y - g.top);
        match self.tab {
            Tab::Functions => self.function_list.move_by(
                index as isize - self.function_list.selected as isize,
                self.functions.functions.len(),
            ),
            Tab::TopDown => self.top_down.select(index),
            Tab::BottomUp => self.bottom_up_rows.select(index),
            Tab::Callers => {
                let len = self.callers_rows().len();
                self.callers_list
                    .move_by(index as isize - self.callers_list.selected as isize, len);
            }
            Tab::Diff if self.diff_as_tree => self.diff_rows.select(index),
            Tab::Diff => {
                let len = self.diff.as_ref().map_or(0, |d| d.functions.len());
                self.diff_list
                    .move_by(index as isize - self.diff_list.selected as isize, len);
            }
            Tab::Lines if self.code.assembly => {
                let len = self.code.rows.len();
                self.asm_list
                    .move_by(index as isize - self.asm_list.selected as isize, len);
            }
            Tab::Lines => {
                let len = self.lines.as_ref().map_or(0, |a| a.lines.len());
                self.lines_list
                    .move_by(index as isize - self.lines_list.selected as isize, len);
            }
            Tab::Summary | Tab::Flame | Tab::Timeline => {}
        }
    }

    /// Jump to the next (or previous) name matching the search in the current view.
    fn find(&mut self, forward: bool) {
        if self.search.query.is_empty() {
            self.message = Some("no search (/ to search)".to_owned());
            return;
        }
        let found = match self.tab {
            Tab::Functions => {
                let names: Vec<&str> = self
                    .functions
                    .functions
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect();
                find_in(&names, self.function_list.selected, forward, &self.search)
                    .map(|i| self.function_list.selected = i)
            }
            Tab::Diff if self.diff_as_tree => {
                let Some(tree) = &self.diff_tree else { return };
                let names: Vec<&str> = self
                    .diff_rows
                    .rows()
                    .iter()
                    .map(|r| tree.name(r.node))
                    .collect();
                find_in(&names, self.diff_rows.selected(), forward, &self.search)
                    .map(|i| self.diff_rows.select(i))
            }
            Tab::Diff => {
                let Some(d) = &self.diff else { return };
                let names: Vec<&str> = d.functions.iter().map(|f| f.name.as_str()).collect();
                find_in(&names, self.diff_list.selected, forward, &self.search)
                    .map(|i| self.diff_list.selected = i)
            }
            Tab::BottomUp => {
                let names: Vec<String> = self
                    .bottom_up_rows
                    .rows()
                    .iter()
                    .map(|r| self.up_label(r.node))
                    .collect();
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                find_in(
                    &names,
                    self.bottom_up_rows.selected(),
                    forward,
                    &self.search,
                )
                .map(|i| self.bottom_up_rows.select(i))
            }
            _ => self.find_in_tree(forward),
        };
        if found.is_none() {
            self.message = Some(format!("no match for {:?}", self.search.query));
        }
    }

    /// Search the whole top-down tree (not only the open rows) and reveal the match; the
    /// flame graph selects it.
    fn find_in_tree(&mut self, forward: bool) -> Option<()> {
        let tree = self.view.tree();
        let current = match self.tab {
            Tab::Flame => self.flame.selected,
            _ => self.top_down.selected_node().unwrap_or(ROOT),
        };
        if self.tab == Tab::Flame {
            // The flame graph goes to the widest match first, then narrower ones.
            let mut matches: Vec<NodeId> = (1..tree.len() as NodeId)
                .filter(|&n| self.search.matches(&self.node_label(n)))
                .collect();
            matches.sort_by(|&a, &b| {
                tree.total_weight(b)
                    .total_cmp(&tree.total_weight(a))
                    .then(a.cmp(&b))
            });
            let at = matches.iter().position(|&n| n == current);
            let n = matches.len();
            let next = match (at, forward) {
                (None, _) => 0,
                (Some(i), true) => (i + 1) % n.max(1),
                (Some(i), false) => (i + n - 1) % n.max(1),
            };
            let hit = *matches.get(next)?;
            self.flame.select(tree, hit);
            return Some(());
        }
        let len = tree.len() as NodeId;
        let order = (1..len).map(|i| {
            if forward {
                (current + i) % len
            } else {
                (current + len - i) % len
            }
        });
        let hit = order
            .filter(|&n| n != ROOT)
            .find(|&n| self.search.matches(&self.node_label(n)))?;
        {
            let path = tree.path(hit);
            let mut t: &CallTree = tree;
            self.top_down.reveal(&mut t, &path);
        }
        Some(())
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

/// Buckets of the browser's timeline (drawn in as many columns as fit).
const TIMELINE_BUCKETS: usize = 200;

/// The thread or process filter: one of the heaviest-first lists, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Only {
    All,
    Thread(usize),
    Process(usize),
}

/// Which part of the Callers view a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallersRow {
    /// A function that calls it.
    Caller,
    /// The function itself.
    Function,
    /// A function it calls.
    Callee,
}

/// How many functions the summary lists.
const SUMMARY_TOP: usize = 10;

/// `e` follows children holding at least this share of the node it starts from.
const HOTTEST_MIN_SHARE: f64 = 0.05;

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
