use profview_model::{Profile, WeightUnit};

use super::*;
use profview_testkit::synthetic::profile_of;

/// A profile of `stacks` (root first) with weights, in `unit`.
fn profile_in(unit: WeightUnit, stacks: &[(&[&str], f64)]) -> Profile {
    profile_of(unit, stacks).0
}

fn profile(stacks: &[(&[&str], f64)]) -> Profile {
    profile_in(WeightUnit::Samples, stacks)
}

fn run(before: &Profile, after: &Profile, options: DiffOptions) -> ProfileDiff {
    let side = |p: &'static str, profile| DiffSide::new(profile, WeightKindId::from_index(0), p);
    diff(side("before", before), side("after", after), &options).unwrap()
}

fn row<'a>(d: &'a ProfileDiff, name: &str) -> &'a FunctionDiff {
    d.functions
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("no row {name}"))
}

/// The diff fixture's shape: four stages, `transform` halves in the after build.
fn stages(transform: f64) -> Profile {
    profile(&[
        (&["main", "parse"], 310.0),
        (&["main", "transform"], transform),
        (&["main", "checksum"], 258.0),
        (&["main", "emit"], 175.0),
    ])
}

#[test]
fn a_profile_against_itself_shows_no_change() {
    let p = stages(494.0);
    let d = run(&p, &p, DiffOptions::default());
    assert_eq!(d.shift.factor, 1.0);
    assert!(d.shift.estimated);
    for f in &d.functions {
        assert_eq!(f.delta_percent, 0.0);
        assert!(!f.significant, "{f:?}");
        assert_eq!(f.change, Change::Noise);
    }
    assert!(d.paths.is_empty());
    assert_eq!(d.regressions(0.0).count(), 0);
}

#[test]
fn the_halved_function_is_an_improvement_and_the_rest_only_shifted() {
    let d = run(&stages(494.0), &stages(247.0), DiffOptions::default());
    assert_eq!(d.functions[0].name, "transform");
    let t = &d.functions[0];
    assert_eq!(t.change, Change::Improvement);
    assert!((t.relative_change.unwrap() + 0.5).abs() < 1e-9);
    // The other three kept their weight: their shares rose by exactly the shift.
    assert!((d.shift.factor - 1237.0 / 990.0).abs() < 1e-9);
    for name in ["parse", "checksum", "emit"] {
        let f = row(&d, name);
        assert!(f.delta_percent > 2.0, "{f:?}");
        assert!(f.adjusted_delta_percent.abs() < 1e-9, "{f:?}");
        assert!(matches!(f.change, Change::Shift | Change::Noise), "{f:?}");
    }
    // parse's share moved beyond the noise, all of it explained by the shift.
    assert_eq!(row(&d, "parse").change, Change::Shift);
    // Without the shift adjustment the shares of unchanged code look like regressions.
    let direct = run(
        &stages(494.0),
        &stages(247.0),
        DiffOptions {
            shift: false,
            ..Default::default()
        },
    );
    assert!(!direct.shift.estimated);
    assert_eq!(row(&direct, "parse").change, Change::Regression);
}

#[test]
fn swapped_inputs_make_a_regression_that_fails_the_gate() {
    let d = run(&stages(247.0), &stages(494.0), DiffOptions::default());
    let t = row(&d, "transform");
    assert_eq!(t.change, Change::Regression);
    assert!((t.relative_change.unwrap() - 1.0).abs() < 1e-9);
    let failing: Vec<_> = d.regressions(5.0).map(|f| f.name.as_str()).collect();
    assert_eq!(failing, ["transform"]);
    assert_eq!(d.regressions(t.adjusted_delta_percent).count(), 0);
}

#[test]
fn absolute_mode_compares_weights() {
    let options = DiffOptions {
        absolute: true,
        ..Default::default()
    };
    let d = run(&stages(494.0), &stages(247.0), options);
    assert_eq!(d.mode, DiffMode::Absolute);
    assert!(!d.shift.estimated);
    let parse = row(&d, "parse");
    assert_eq!(parse.before_percent, parse.after_percent);
    assert_eq!(parse.change, Change::Noise);
    assert!((row(&d, "transform").delta_percent + 100.0 * 247.0 / 1237.0).abs() < 1e-9);

    let ns = profile_in(WeightUnit::Nanoseconds, &[(&["a"], 1.0)]);
    let side = |p| DiffSide::new(p, WeightKindId::from_index(0), "x");
    let err = diff(side(&stages(1.0)), side(&ns), &options).unwrap_err();
    assert!(err.to_string().contains("samples"), "{err}");
}

#[test]
fn names_from_different_builds_match() {
    let before = profile(&[
        (
            &[
                "main",
                "app::run::h0123456789abcdef",
                "app::run::{{closure}}",
            ],
            100.0,
        ),
        (&["main", "helper.constprop.0"], 50.0),
    ]);
    let after = profile(&[
        (
            &[
                "main",
                "app::run::hfedcba9876543210",
                "app::run::{closure#0}",
            ],
            100.0,
        ),
        (&["main", "helper.isra.0"], 50.0),
    ]);
    let d = run(&before, &after, DiffOptions::default());
    let names: Vec<_> = d.functions.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["app::run::{closure}", "helper"]);
    assert!(d.functions.iter().all(|f| f.presence == Presence::Both));
    assert!(d.functions.iter().all(|f| f.delta_percent == 0.0));
}

#[test]
fn appeared_and_vanished() {
    let before = profile(&[(&["main", "old"], 500.0), (&["main", "kept"], 500.0)]);
    let after = profile(&[(&["main", "new"], 500.0), (&["main", "kept"], 500.0)]);
    let d = run(&before, &after, DiffOptions::default());
    assert_eq!(row(&d, "old").presence, Presence::Vanished);
    assert_eq!(row(&d, "old").change, Change::Improvement);
    assert_eq!(row(&d, "new").presence, Presence::Appeared);
    assert_eq!(row(&d, "new").change, Change::Regression);
    assert_eq!(row(&d, "new").relative_change, None);
    assert_eq!(row(&d, "kept").presence, Presence::Both);
    // Too few functions in both for a shift estimate: shares are compared directly.
    assert!(!d.shift.estimated);
}

#[test]
fn a_few_samples_are_noise() {
    let before = profile(&[(&["main", "work"], 1000.0), (&["main", "rare"], 2.0)]);
    let after = profile(&[(&["main", "work"], 1000.0), (&["main", "rare"], 6.0)]);
    let d = run(&before, &after, DiffOptions::default());
    assert_eq!(row(&d, "rare").change, Change::Noise);
    assert!(row(&d, "rare").noise_percent > row(&d, "rare").delta_percent);
}

#[test]
fn changed_paths_point_at_the_changed_call() {
    // `parse` is called from two places; only one call got slower.
    let before = profile(&[
        (&["main", "request", "parse"], 200.0),
        (&["main", "config", "parse"], 200.0),
        (&["main", "a"], 200.0),
        (&["main", "b"], 200.0),
        (&["main", "c"], 200.0),
    ]);
    let after = profile(&[
        (&["main", "request", "parse"], 600.0),
        (&["main", "config", "parse"], 200.0),
        (&["main", "a"], 200.0),
        (&["main", "b"], 200.0),
        (&["main", "c"], 200.0),
    ]);
    let d = run(&before, &after, DiffOptions::default());
    assert_eq!(d.paths[0].path, ["main", "request", "parse"]);
    assert_eq!(d.paths[0].judged.change, Change::Regression);
    // `main → request` carries the same change and is not listed separately; `main` is 100%
    // on both sides.
    assert!(d.paths.iter().all(|p| p.path.len() == 3), "{:?}", d.paths);
    assert_eq!(row(&d, "parse").change, Change::Regression);
}

#[test]
fn flame_graph_lines_scale_the_before_side_by_the_shift() {
    let d = run(&stages(494.0), &stages(247.0), DiffOptions::default());
    let lines = d.flame_graph_lines();
    let line = |p: &str| lines.iter().find(|l| l.0 == p).unwrap();
    // Unchanged code has equal counts on both sides; the faster function's before count is
    // what it would weigh now had it not changed.
    let (_, before, after) = line("main;parse");
    assert!((before - after).abs() < 1e-9);
    let (_, before, after) = line("main;transform");
    assert!((before / after - 2.0).abs() < 1e-9);
}

#[test]
fn direct_recursion_through_clones_adds_no_path_level() {
    let before = profile(&[(&["main", "foo"], 10.0)]);
    let after = profile(&[(&["main", "foo", "foo.part.0"], 10.0)]);
    let d = run(&before, &after, DiffOptions::default());
    let lines = d.flame_graph_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, "main;foo");
}

#[test]
fn a_side_without_samples_is_an_error() {
    let empty = profile(&[]);
    let side = |p| DiffSide::new(p, WeightKindId::from_index(0), "empty.folded");
    let err = diff(side(&stages(1.0)), side(&empty), &DiffOptions::default()).unwrap_err();
    assert!(matches!(err, DiffError::NoSamples { .. }), "{err}");
    assert!(err.to_string().contains("empty.folded"));
}

#[test]
fn only_the_root_that_names_the_thread_is_left_out() {
    // Folded stacks of GNU sort: the command is `sort`, and so is a function.
    let mut before = profile(&[(&["sort", "main", "sort", "compare"], 10.0)]);
    let mut after = profile(&[(&["sort", "main", "sort", "compare"], 10.0)]);
    before.meta.root_frame_is_thread = true;
    after.meta.root_frame_is_thread = true;
    let d = run(&before, &after, DiffOptions::default());
    assert_eq!(d.flame_graph_lines()[0].0, "main;sort;compare");
    assert_eq!(row(&d, "compare").before_total_percent, 100.0);
    let key = (0..d.sums.keys.len())
        .find(|&k| d.sums.keys.name(k as u32) == "sort")
        .unwrap();
    assert_eq!(d.sums.functions.total_weight[0][key], 10.0);
}

#[test]
fn the_tree_judges_every_path() {
    let d = run(&stages(494.0), &stages(247.0), DiffOptions::default());
    let tree = d.tree();
    let main = tree.children(DiffTree::ROOT)[0];
    assert_eq!(tree.name(main), "main");
    let names: Vec<&str> = tree.children(main).iter().map(|&n| tree.name(n)).collect();
    assert_eq!(names, ["transform", "parse", "checksum", "emit"]);
    let transform = tree.children(main)[0];
    assert_eq!(tree.parent(transform), Some(main));
    let judged = tree.judge(transform);
    assert_eq!(judged.change, Change::Improvement);
    assert_eq!(judged.before_percent, row(&d, "transform").before_percent);
    assert_eq!(tree.judge(main).before_percent, 100.0);
}
