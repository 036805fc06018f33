//! The browser driven by actions, its state read back, and whole screens drawn on a
//! `TestBackend` (insta snapshots in `src/snapshots/`).

use profview_analyze::diff::{diff, DiffOptions, DiffSide};
use profview_model::{Profile, WeightKindId, WeightUnit};
use profview_testkit::synthetic::add_stack;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;

use crate::{action_for_key, Action, App, Input, Tab, Theme};

/// Two threads: `worker` runs `main → run → {hot 60, warm 25}`, `io` runs `main → read 15`.
fn profile() -> Profile {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", WeightUnit::Samples);
    let worker = p.add_thread(None, Some(11), Some("worker"));
    let io = p.add_thread(None, Some(12), Some("io"));
    let stacks: [(&[&str], f64, _); 3] = [
        (&["main", "run", "hot"], 60.0, worker),
        (&["main", "run", "warm"], 25.0, worker),
        (&["main", "read"], 15.0, io),
    ];
    for (names, weight, thread) in stacks {
        add_stack(&mut p, thread, kind, names, weight);
    }
    p
}

fn input(profile: &Profile) -> Input<'_> {
    Input {
        profile,
        kind: WeightKindId::from_index(0),
        title: "test.folded".to_owned(),
        diff: None,
        code: None,
        hints: None,
    }
}

fn app(profile: &Profile) -> App<'_> {
    App::new(input(profile))
}

fn apply(app: &mut App<'_>, actions: &[Action]) {
    for a in actions {
        app.update(*a);
    }
}

fn typed(app: &mut App<'_>, text: &str) {
    app.update(Action::StartSearch);
    for c in text.chars() {
        app.update(Action::SearchChar(c));
    }
    app.update(Action::SearchSubmit);
}

/// The names in the functions table, in its order.
fn function_names<'a>(app: &'a App<'_>) -> Vec<&'a str> {
    app.functions
        .functions
        .iter()
        .map(|f| f.name.as_str())
        .collect()
}

/// The labels of the visible top-down rows.
fn top_down_labels(app: &App<'_>) -> Vec<String> {
    app.panes
        .top_down
        .rows
        .rows()
        .iter()
        .map(|r| app.node_label(r.node))
        .collect()
}

#[test]
fn opens_on_the_summary_and_tabs_cycle() {
    let p = profile();
    let mut a = app(&p);
    assert_eq!(a.tab, Tab::Summary);
    apply(&mut a, &[Action::NextTab, Action::NextTab]);
    assert_eq!(a.tab, Tab::TopDown);
    a.update(Action::PrevTab);
    assert_eq!(a.tab, Tab::Functions);
    a.update(Action::GoTab(6));
    assert_eq!(a.tab, Tab::Flame);
    // No diff view without a comparison: tab 7 does not exist.
    a.update(Action::GoTab(7));
    assert_eq!(a.tab, Tab::Flame);
    assert!(a.message.is_some());
    a.update(Action::PrevTab);
    a.update(Action::NextTab);
    a.update(Action::NextTab);
    assert_eq!(a.tab, Tab::Summary, "wraps around");
}

#[test]
fn expanding_and_collapsing_the_top_down_tree() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::GoTab(3));
    assert_eq!(top_down_labels(&a), ["main"]);
    a.update(Action::Expand);
    assert_eq!(top_down_labels(&a), ["main", "run", "read"]);
    a.update(Action::Down);
    a.update(Action::ExpandHottest);
    assert_eq!(top_down_labels(&a), ["main", "run", "hot", "warm", "read"]);
    assert_eq!(a.selected_function().as_deref(), Some("hot"));
    // Left on a leaf goes to its parent, then collapses it.
    a.update(Action::Collapse);
    assert_eq!(a.selected_function().as_deref(), Some("run"));
    a.update(Action::Collapse);
    assert_eq!(top_down_labels(&a), ["main", "run", "read"]);
    apply(&mut a, &[Action::Last]);
    assert_eq!(a.selected_function().as_deref(), Some("read"));
    apply(&mut a, &[Action::First]);
    assert_eq!(a.selected_function().as_deref(), Some("main"));
}

#[test]
fn search_reveals_a_match_deep_in_the_tree() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::GoTab(3));
    typed(&mut a, "WARM");
    assert_eq!(a.selected_function().as_deref(), Some("warm"));
    assert_eq!(top_down_labels(&a), ["main", "run", "hot", "warm", "read"]);
    // Typing does not trigger commands: `q` in the prompt is a letter.
    a.update(Action::StartSearch);
    assert_eq!(
        action_for_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE), true),
        Some(Action::SearchChar('q'))
    );
    a.update(Action::SearchChar('q'));
    assert!(!a.quit);
    a.update(Action::Back);
    assert!(a.search.query.is_empty());
    typed(&mut a, "nothing-like-this");
    assert!(a.message.as_deref().unwrap().contains("no match"));
}

#[test]
fn focus_merge_drop_and_undo() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::GoTab(2));
    typed(&mut a, "run");
    assert_eq!(a.selected_function().as_deref(), Some("run"));
    a.update(Action::Focus);
    assert_eq!(a.transforms.applied().len(), 1);
    assert_eq!(a.tree().total(), 85.0);
    a.update(Action::Undo);
    assert_eq!(a.tree().total(), 100.0);
    a.update(Action::Redo);
    assert_eq!(a.tree().total(), 85.0);
    a.update(Action::Undo);

    typed(&mut a, "hot");
    a.update(Action::Drop);
    assert_eq!(a.tree().total(), 40.0);
    a.update(Action::Undo);
    typed(&mut a, "run");
    a.update(Action::Merge);
    let names = function_names(&a);
    assert!(!names.contains(&"run"), "{names:?}");
    assert_eq!(a.tree().total(), 100.0);
}

#[test]
fn callers_of_the_selected_function() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::GoTab(2));
    typed(&mut a, "hot");
    a.update(Action::ShowCallers);
    assert_eq!(a.tab, Tab::Callers);
    let c = a.panes.callers.butterfly.as_ref().unwrap();
    assert_eq!(c.function, "hot");
    assert_eq!(c.callers[0].name, "run");
    // The function itself is selected; Up selects its caller, Enter shows the caller's.
    assert_eq!(a.selected_function().as_deref(), Some("hot"));
    a.update(Action::Up);
    a.update(Action::Expand);
    assert_eq!(a.panes.callers.butterfly.as_ref().unwrap().function, "run");
}

#[test]
fn thread_filter_cycles_through_threads() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::CycleThread);
    assert_eq!(a.thread_filter_label(), "thread worker (11)");
    assert_eq!(a.tree().total(), 85.0);
    a.update(Action::CycleThread);
    assert_eq!(a.tree().total(), 15.0);
    a.update(Action::CycleThread);
    assert_eq!(a.thread_filter_label(), "all threads");
    assert_eq!(a.tree().total(), 100.0);
    assert!(a.transforms.applied().is_empty());
    // The test profile's threads have no process: nothing to cycle.
    a.update(Action::CycleProcess);
    assert_eq!(a.message.as_deref(), Some("the profile has one process"));
}

#[test]
fn process_filter_replaces_the_thread_filter() {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", WeightUnit::Samples);
    for (pid, name, weight) in [(100, "server", 70.0), (200, "client", 30.0)] {
        let process = p.add_process(Some(pid), Some(name));
        let thread = p.add_thread(Some(process), Some(pid), Some(name));
        add_stack(&mut p, thread, kind, &[name], weight);
    }
    let mut a = app(&p);
    a.update(Action::CycleThread);
    a.update(Action::CycleProcess);
    assert_eq!(a.thread_filter_label(), "process server (100)");
    assert_eq!(a.transforms.applied().len(), 1);
    assert_eq!(a.tree().total(), 70.0);
    a.update(Action::CycleProcess);
    assert_eq!(a.tree().total(), 30.0);
    a.update(Action::CycleProcess);
    assert_eq!(a.tree().total(), 100.0);
}

#[test]
fn flame_graph_navigation_and_zoom() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::GoTab(6));
    apply(&mut a, &[Action::Down, Action::Down, Action::Down]);
    assert_eq!(a.selected_function().as_deref(), Some("hot"));
    a.update(Action::Right);
    assert_eq!(a.selected_function().as_deref(), Some("warm"));
    a.update(Action::Up);
    a.update(Action::Expand);
    assert_eq!(a.node_label(a.panes.flame.state.zoom), "run");
    // Esc zooms out before it quits.
    a.update(Action::Back);
    a.update(Action::Back);
    assert!(!a.quit);
    a.update(Action::Back);
    assert!(a.quit);
}

#[test]
fn toggling_inlined_frames_asks_for_a_reload() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::ToggleInline);
    assert!(a.quit && a.reload_inline);
}

#[test]
fn help_closes_on_any_key() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::ToggleHelp);
    assert!(a.help);
    a.update(Action::Down);
    assert!(!a.help);
    a.update(Action::ToggleHelp);
    a.update(Action::Back);
    assert!(!a.help && !a.quit);
}

#[test]
fn keys_map_to_actions() {
    let key = |c: KeyCode| action_for_key(KeyEvent::new(c, KeyModifiers::NONE), false);
    assert_eq!(key(KeyCode::Char('q')), Some(Action::Quit));
    assert_eq!(key(KeyCode::Char('j')), Some(Action::Down));
    assert_eq!(key(KeyCode::Right), Some(Action::Expand));
    assert_eq!(key(KeyCode::Char('3')), Some(Action::GoTab(3)));
    assert_eq!(key(KeyCode::Char('/')), Some(Action::StartSearch));
    assert_eq!(key(KeyCode::F(5)), None);
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
    assert_eq!(action_for_key(ctrl_c, true), Some(Action::Quit));
}

/// The screen after `actions`, as text.
fn screen(app: &mut App<'_>, actions: &[Action], width: u16, height: u16) -> TestBackend {
    apply(app, actions);
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    let theme = Theme { color: false };
    terminal.draw(|f| crate::render(app, theme, f)).unwrap();
    terminal.backend().clone()
}

#[test]
fn snapshot_summary() {
    let p = profile();
    insta::assert_snapshot!(screen(&mut app(&p), &[], 90, 20));
}

#[test]
fn the_summary_says_how_to_supply_what_a_warning_needs() {
    let mut p = profile();
    p.meta.warnings.add_hinted(
        profview_model::WarningKind::UnresolvedFrames,
        3,
        Some(profview_model::Hint::Binary),
        || "libfoo.so: addresses could not be symbolized".to_owned(),
    );
    let wording = |h: &profview_model::Hint| format!("front end says {h:?}");
    let mut with_words = App::new(Input {
        hints: Some(wording),
        ..input(&p)
    });
    let text = format!("{:?}", screen(&mut with_words, &[], 120, 40));
    assert!(
        text.contains("could not be symbolized (front end says Binary) (3x)"),
        "{text}"
    );
    // Without the front end's words, the message alone.
    let text = format!("{:?}", screen(&mut app(&p), &[], 120, 40));
    assert!(text.contains("could not be symbolized (3x)"), "{text}");
}

#[test]
fn snapshot_top_down_hottest_path() {
    let p = profile();
    let actions = [Action::GoTab(3), Action::ExpandHottest];
    insta::assert_snapshot!(screen(&mut app(&p), &actions, 90, 12));
}

#[test]
fn snapshot_bottom_up() {
    let p = profile();
    let actions = [Action::GoTab(4), Action::Expand];
    insta::assert_snapshot!(screen(&mut app(&p), &actions, 90, 12));
}

#[test]
fn snapshot_flame_graph() {
    let p = profile();
    let actions = [Action::GoTab(6), Action::Down, Action::Down];
    insta::assert_snapshot!(screen(&mut app(&p), &actions, 60, 10));
}

#[test]
fn snapshot_functions_with_search_and_help() {
    let p = profile();
    let mut a = app(&p);
    a.update(Action::GoTab(2));
    typed(&mut a, "warm");
    insta::assert_snapshot!("functions_search", screen(&mut a, &[], 90, 10));
    insta::assert_snapshot!("help", screen(&mut a, &[Action::ToggleHelp], 100, 28));
}

#[test]
fn snapshot_diff() {
    let before = profile();
    let mut after = Profile::new();
    let kind = after.add_weight_kind("samples", WeightUnit::Samples);
    let thread = after.add_thread(None, Some(11), Some("worker"));
    for (names, weight) in [
        (&["main", "run", "hot"][..], 30.0),
        (&["main", "run", "warm"][..], 25.0),
        (&["main", "read"][..], 15.0),
    ] {
        add_stack(&mut after, thread, kind, names, weight);
    }
    let k = WeightKindId::from_index(0);
    let d = diff(
        DiffSide::new(&before, k, "before"),
        DiffSide::new(&after, k, "after"),
        &DiffOptions::default(),
    )
    .unwrap();
    let mut a = App::new(Input {
        profile: &after,
        kind: k,
        title: "after".to_owned(),
        diff: Some(d),
        code: None,
        hints: None,
    });
    assert_eq!(a.tab, Tab::Diff);
    insta::assert_snapshot!(screen(&mut a, &[], 100, 10));
    // The call-path tree: the changed path is marked on the way down.
    a.update(Action::ToggleDiffTree);
    a.update(Action::ExpandHottest);
    assert_eq!(a.selected_function().as_deref(), Some("hot"));
    insta::assert_snapshot!("diff_tree", screen(&mut a, &[], 100, 10));
}

/// The text of screen row `y`.
fn row_text(backend: &TestBackend, y: u16) -> String {
    let buffer = backend.buffer();
    (0..buffer.area.width)
        .map(|x| buffer[(x, y)].symbol().to_owned())
        .collect::<String>()
}

#[test]
fn the_bars_fit_80_columns_and_name_the_thread_filter_once() {
    let p = profile();
    let mut a = app(&p);
    a.title = "a-recording-with-a-rather-long-file-name-from-ci.perf.data".to_owned();
    apply(&mut a, &[Action::CycleThread]);
    typed(&mut a, "warm");
    a.update(Action::Drop);
    let backend = screen(&mut a, &[], 80, 12);
    let tabs = row_text(&backend, 0);
    assert!(tabs.contains("? help"), "{tabs}");
    assert!(tabs.contains("6 Flame"), "{tabs}");
    let status = row_text(&backend, 11);
    assert!(status.contains("thread worker (11)"), "{status}");
    assert!(!status.contains("thread(s)"), "{status}");
    assert!(status.contains("/warm"), "{status}");
    assert!(status.trim_end().chars().count() <= 80, "{status}");
}

#[test]
fn help_lists_only_the_views_there_are() {
    let p = profile();
    let backend = screen(&mut app(&p), &[Action::ToggleHelp], 100, 30);
    let text: String = (0..30).map(|y| row_text(&backend, y) + "\n").collect();
    assert!(text.contains("1-6"), "{text}");
    assert!(!text.contains("1-7"), "{text}");
    assert!(!text.contains("diff: the table"), "{text}");
}

#[test]
fn flame_graph_search_goes_to_the_widest_match_first() {
    // `leaf` is under `small` (10) and under `big` (50); `small` comes first in the tree.
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", WeightUnit::Samples);
    let t = p.add_thread(None, Some(1), Some("t"));
    add_stack(&mut p, t, kind, &["main", "small", "leaf"], 10.0);
    add_stack(&mut p, t, kind, &["main", "big", "leaf"], 50.0);
    let mut a = app(&p);
    a.update(Action::GoTab(6));
    typed(&mut a, "leaf");
    let first = a.panes.flame.state.selected;
    assert_eq!(a.tree().total_weight(first), 50.0);
    a.update(Action::NextMatch);
    assert_eq!(a.tree().total_weight(a.panes.flame.state.selected), 10.0);
    a.update(Action::NextMatch);
    assert_eq!(a.panes.flame.state.selected, first, "wraps around");
}

#[test]
fn a_reload_keeps_the_view_sort_filter_and_search() {
    let p = profile();
    let mut a = app(&p);
    apply(
        &mut a,
        &[Action::GoTab(2), Action::CycleSort, Action::CycleThread],
    );
    typed(&mut a, "warm");
    let carried = a.carried();
    let mut b = app(&p);
    b.restore(carried);
    assert_eq!(b.tab, Tab::Functions);
    assert_eq!(b.function_sort, crate::FunctionSort::Total);
    assert_eq!(b.thread_filter_label(), "thread worker (11)");
    assert_eq!(b.search.query, "warm");
    assert!(b.tree().total() < 100.0, "the thread filter applies");
}

#[test]
fn summary_lines_wrap_under_their_entry() {
    let mut p = profile();
    p.meta.command_line = Some("./run.sh --first-line\n  --second-line".to_owned());
    let backend = screen(&mut app(&p), &[], 60, 30);
    let text: Vec<String> = (0..30).map(|y| row_text(&backend, y)).collect();
    let command = text.iter().position(|l| l.contains("Command")).unwrap();
    assert!(text[command].contains("./run.sh --first-line"), "{text:#?}");
    assert!(
        text[command + 1].starts_with("│            --second-line"),
        "{text:#?}"
    );
    // A wrapped finding continues indented, not at the border.
    let finding = text
        .iter()
        .position(|l| l.contains("single_hotspot"))
        .unwrap();
    assert!(text[finding + 1].starts_with("│    "), "{text:#?}");
}

/// Whether a finding speaks of `hot` (the profile's hotspot).
fn names_hot(a: &App<'_>) -> bool {
    a.analysis
        .findings
        .iter()
        .any(|f| f.summary.contains("hot takes"))
}

/// The findings of the opening view, computed apart as the browser does.
fn opening_findings(p: &Profile) -> profview_analyze::Analysis {
    profview_analyze::Analysis::new(p, WeightKindId::from_index(0))
}

#[test]
fn findings_follow_the_filters() {
    let p = profile();
    let mut a = app(&p);
    assert!(a.analysis.findings[0].summary.starts_with("hot takes"));
    // Drop `hot`: what is left is warm (25) and read (15).
    apply(&mut a, &[Action::GoTab(2), Action::Drop]);
    assert!(!names_hot(&a), "{:?}", a.analysis.findings);
    a.update(Action::Undo);
    assert!(a.analysis.findings[0].summary.starts_with("hot takes"));
}

/// The whole screen as text.
fn screen_text(backend: &TestBackend) -> String {
    (0..backend.buffer().area.height)
        .map(|y| row_text(backend, y))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_first_screen_does_not_wait_for_the_findings() {
    let p = profile();
    let mut a = App::before_findings(input(&p));
    let before = screen_text(&screen(&mut a, &[], 90, 20));
    assert!(before.contains("analyzing…"), "{before}");
    assert!(before.contains("Top functions"), "{before}");
    assert!(!before.contains("single_hotspot"), "{before}");
    a.findings_ready(opening_findings(&p));
    let after = screen_text(&screen(&mut a, &[], 90, 20));
    assert!(!after.contains("analyzing…"), "{after}");
    assert!(after.contains("single_hotspot"), "{after}");
}

#[test]
fn findings_that_come_after_the_view_changed_are_dropped() {
    let p = profile();
    let mut a = App::before_findings(input(&p));
    // Drop `hot` before the opening view's findings come: the view's own are computed then.
    apply(&mut a, &[Action::GoTab(2), Action::Drop]);
    a.findings_ready(opening_findings(&p));
    assert!(!names_hot(&a), "{:?}", a.analysis.findings);
    let text = screen_text(&screen(&mut a, &[Action::GoTab(1)], 90, 20));
    assert_eq!(a.tab, Tab::Summary);
    assert!(!text.contains("analyzing…"), "{text}");
}

/// A heap profile: `main → cache 3 MiB peak / 3 MiB leaked / 40 allocations`, `main → parse
/// 1 MiB peak / 0 leaked / 960 allocations`, and a heap that grows then falls over 100 ms.
fn heap_profile() -> Profile {
    let mut p = Profile::new();
    let peak = p.add_weight_kind("peak", WeightUnit::Bytes);
    let leaked = p.add_weight_kind("leaked", WeightUnit::Bytes);
    let allocations = p.add_weight_kind("allocations", WeightUnit::Count);
    let thread = p.add_thread(None, Some(1), Some("prog"));
    const MIB: f64 = 1024.0 * 1024.0;
    for (kind, cache, parse) in [
        (peak, 3.0 * MIB, MIB),
        (leaked, 3.0 * MIB, 0.0),
        (allocations, 40.0, 960.0),
    ] {
        add_stack(&mut p, thread, kind, &["main", "cache"], cache);
        if parse > 0.0 {
            add_stack(&mut p, thread, kind, &["main", "parse"], parse);
        }
    }
    p.meta.heap_timeline = Some(profview_model::HeapTimeline {
        time_unit: "ms".to_owned(),
        points: (1..=10)
            .map(|i| (f64::from(i) * 10.0, f64::from(i.min(8)) * MIB / 2.0))
            .collect(),
        allocations: (1..=10).map(|i| f64::from(i) * 10.0).collect(),
    });
    p
}

#[test]
fn w_cycles_the_heap_weights_and_the_tables_follow() {
    let p = heap_profile();
    let mut a = app(&p);
    assert_eq!(a.functions.functions[0].name, "cache");
    a.update(Action::CycleWeight);
    assert_eq!(p.string(p.weight_kind(a.kind).name), "leaked");
    assert_eq!(
        a.message.as_deref(),
        Some("weight: leaked (bytes) (w: next)")
    );
    a.update(Action::CycleWeight);
    assert_eq!(p.string(p.weight_kind(a.kind).name), "allocations");
    assert_eq!(a.functions.functions[0].name, "parse");
    a.update(Action::CycleWeight);
    assert_eq!(a.kind, WeightKindId::from_index(0), "wraps around");
    // A reload (i) comes back on the weight it left.
    a.update(Action::CycleWeight);
    let carried = a.carried();
    let mut b = app(&p);
    b.restore(carried);
    assert_eq!(p.string(p.weight_kind(b.kind).name), "leaked");
    // One weight: nothing to cycle.
    let cpu = profile();
    let mut c = app(&cpu);
    c.update(Action::CycleWeight);
    assert_eq!(c.message.as_deref(), Some("the profile has one weight"));
}

#[test]
fn snapshot_heap_summary_and_sites() {
    let p = heap_profile();
    let mut a = app(&p);
    insta::assert_snapshot!("heap_summary", screen(&mut a, &[], 100, 26));
    insta::assert_snapshot!(
        "heap_functions",
        screen(&mut a, &[Action::GoTab(2)], 100, 8)
    );
}

/// One thread: `parse` in the first second, `hash` in the next (a sample every 10 ms).
fn timed_profile() -> Profile {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
    let thread = p.add_thread(None, Some(1), Some("worker"));
    for i in 0..200u64 {
        let leaf = if i < 100 { "parse" } else { "hash" };
        let stack = {
            let main = p.resolved_frame("main", None, profview_model::FrameKind::User);
            let f = p.resolved_frame(leaf, None, profview_model::FrameKind::User);
            p.intern_stack_path(&[main, f])
        };
        p.add_sample(profview_model::Sample {
            thread,
            time: Some(i * 10_000_000),
            stack,
            kind,
            weight: 10_000_000.0,
        });
    }
    p
}

#[test]
fn a_range_selected_on_the_timeline_filters_every_view() {
    let p = timed_profile();
    let mut a = app(&p);
    assert!(a.tabs().contains(&Tab::Timeline));
    a.update(Action::GoTab(7));
    assert_eq!(a.tab, Tab::Timeline);
    assert_eq!(a.selected_function().as_deref(), Some("parse"));
    // From the middle of the run to its end: only `hash`.
    let buckets = a.panes.timeline.timeline.as_ref().unwrap().threads[0]
        .buckets
        .len();
    for _ in 0..buckets / 2 + 2 {
        a.update(Action::Expand);
    }
    assert_eq!(a.selected_function().as_deref(), Some("hash"));
    a.update(Action::Focus);
    a.update(Action::Last);
    a.update(Action::Focus);
    assert!(
        a.message.as_deref().unwrap().starts_with("only 1.0"),
        "{:?}",
        a.message
    );
    let names = function_names(&a);
    assert!(
        names.contains(&"hash") && !names.contains(&"parse"),
        "{names:?}"
    );
    // u undoes it.
    a.update(Action::Undo);
    let names = function_names(&a);
    assert!(names.contains(&"parse"), "{names:?}");
    // Profiles without sample times have no timeline view.
    let untimed = profile();
    assert!(!app(&untimed).tabs().contains(&Tab::Timeline));
}

#[test]
fn a_mouse_drag_on_the_timeline_selects_a_range() {
    let p = timed_profile();
    let mut a = app(&p);
    // Drawn once, so that the browser knows where the chart is.
    screen(&mut a, &[Action::GoTab(7)], 90, 12);
    let g = a.panes.timeline.geometry;
    assert!(g.columns > 10 && g.rows == 1, "{g:?}");
    let (middle, y) = (g.left + g.columns / 2 + 1, g.top);
    // A click only moves the cursor.
    apply(
        &mut a,
        &[
            Action::Click { x: middle, y },
            Action::Release { x: middle, y },
        ],
    );
    assert_eq!(a.selected_function().as_deref(), Some("hash"));
    assert!(a.transforms.applied().is_empty());
    // A drag from the middle past the right edge selects the second half: only `hash`.
    apply(
        &mut a,
        &[
            Action::Click { x: middle, y },
            Action::Drag { x: middle + 3, y },
        ],
    );
    assert!(
        a.panes.timeline.mark.is_some(),
        "the range shows while dragging"
    );
    a.update(Action::Release { x: 500, y: 0 });
    assert!(
        a.message.as_deref().unwrap().starts_with("only 1.0"),
        "{:?}",
        a.message
    );
    let names = function_names(&a);
    assert_eq!(names, ["hash", "main"]);
    // A press off the chart (the phases below it) does nothing.
    a.update(Action::Click {
        x: middle,
        y: y + 6,
    });
    a.update(Action::Release {
        x: g.left,
        y: y + 6,
    });
    assert_eq!(a.transforms.applied().len(), 1);
}

#[test]
fn snapshot_timeline() {
    let p = timed_profile();
    let mut a = app(&p);
    insta::assert_snapshot!(
        "timeline",
        screen(
            &mut a,
            &[Action::GoTab(7), Action::Expand, Action::Focus],
            90,
            12
        )
    );
}

/// `main` (main.c) calls `work` (/src/work.c), which spends 7 on line 10 and 3 on line 11.
fn lines_profile() -> Profile {
    use profview_model::{Frame, FrameKind, Function, ResolvedFrame, Sample};
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", WeightUnit::Samples);
    let thread = p.add_thread(None, None, None);
    let frame = |p: &mut Profile, name: &str, line: u32| {
        let name = p.intern_string(name);
        let function = p.intern_function(Function { name, module: None });
        let file = Some(p.intern_string("/src/work.c"));
        p.intern_frame(Frame::Resolved(ResolvedFrame {
            function,
            file,
            line: Some(line),
            inline_depth: 0,
            kind: FrameKind::User,
            address: None,
        }))
    };
    let main = frame(&mut p, "main", 3);
    for (line, weight) in [(10, 7.0), (11, 3.0)] {
        let work = frame(&mut p, "work", line);
        let stack = p.intern_stack_path(&[main, work]);
        p.add_sample(Sample {
            thread,
            time: None,
            stack,
            kind,
            weight,
        });
    }
    p
}

#[test]
fn a_opens_the_selected_functions_lines() {
    let p = lines_profile();
    let mut a = app(&p);
    a.update(Action::GoTab(2));
    assert_eq!(a.selected_function().as_deref(), Some("work"));
    a.update(Action::ShowLines);
    assert_eq!(a.tab, Tab::Lines);
    let lines = a.panes.lines.annotation.as_ref().unwrap();
    assert_eq!(
        (lines.lines[0].line, lines.lines[0].self_percent),
        (10, 70.0)
    );
    a.update(Action::Expand);
    assert_eq!(
        a.panes.lines.list.selected, 1,
        "Enter goes to the next hottest line"
    );
    let shown = format!("{:?}", screen(&mut a, &[], 100, 8));
    assert!(shown.contains("work.c:11"), "{shown}");
    // Opened without a code source, the view says so instead of showing code.
    let shown = format!("{:?}", screen(&mut a, &[], 100, 12));
    assert!(shown.contains("source not shown"), "{shown}");
    let shown = format!("{:?}", screen(&mut a, &[Action::ShowLines], 100, 12));
    assert!(shown.contains("instructions not shown"), "{shown}");
}

/// What the program running the browser would read: /src/work.c has 14 lines, and `work`
/// four instructions, the last a jump back to the first.
#[derive(Debug)]
struct FakeCode;

impl crate::CodeSource for FakeCode {
    fn source(&self, file: &str) -> Result<Vec<String>, String> {
        match file {
            "/src/work.c" => Ok((1..=14).map(|n| format!("code of line {n};")).collect()),
            _ => Err(format!("{file}: not found here")),
        }
    }

    fn instructions(
        &self,
        _: &Profile,
        annotation: &profview_analyze::Annotation,
    ) -> Result<Vec<profview_analyze::InstructionWeight>, String> {
        assert_eq!(annotation.function, "work");
        let ins = |address: u64, text: &str, share: f64, line: u32, jump: Option<u64>| {
            profview_analyze::InstructionWeight {
                address,
                text: text.to_owned(),
                self_percent: share,
                jump_target: jump,
                source: Some(("/src/work.c".to_owned(), line)),
            }
        };
        Ok(vec![
            ins(0x1000, "mov (%rdi),%eax", 20.0, 10, None),
            ins(0x1003, "add $0x1,%eax", 50.0, 10, None),
            ins(0x1006, "imul %esi,%eax", 30.0, 11, None),
            ins(0x1009, "jne 0x1000", 0.0, 11, Some(0x1000)),
        ])
    }
}

#[test]
fn the_lines_view_shows_the_source_and_a_switches_to_the_instructions() {
    let p = lines_profile();
    let mut a = App::new(Input {
        profile: &p,
        kind: WeightKindId::from_index(0),
        title: "test.data".to_owned(),
        diff: None,
        code: Some(&FakeCode),
        hints: None,
    });
    apply(&mut a, &[Action::GoTab(2), Action::ShowLines]);
    insta::assert_snapshot!("lines_source", screen(&mut a, &[], 80, 16));
    a.update(Action::ShowLines);
    assert!(a.panes.lines.code.assembly);
    // Rows: work.c:10, two instructions, work.c:11, two instructions; the hottest (50%)
    // selected first, Enter goes to the next hottest (30%), then 20%, then round again.
    assert_eq!(a.panes.lines.asm_list.selected, 2);
    insta::assert_snapshot!("lines_assembly", screen(&mut a, &[], 80, 12));
    let mut visited = Vec::new();
    for _ in 0..3 {
        a.update(Action::Expand);
        visited.push(a.panes.lines.asm_list.selected);
    }
    assert_eq!(visited, [4, 1, 2]);
    a.update(Action::ShowLines);
    assert!(!a.panes.lines.code.assembly, "a again: back to the lines");
    assert_eq!(a.tab, Tab::Lines);
}
