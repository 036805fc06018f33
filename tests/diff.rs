//! `profview diff` on real recordings: the shared diff pair (one function 2x faster), its
//! folded, samply and differential forms, and unchanged programs recorded twice.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_golden, parse_perf_report, profview, root, shared_fixtures, stdout_of};
use predicates::prelude::*;
use serde_json::Value;

/// The function the diff pair changed (README of testdata/fixtures: 40 → 20 units of work).
const CHANGED: &str = "transform_records";

fn diff_case() -> PathBuf {
    shared_fixtures().join("diff")
}

fn kallsyms() -> String {
    shared_fixtures()
        .join("kallsyms.txt.gz")
        .display()
        .to_string()
}

fn path(p: &Path) -> String {
    p.display().to_string()
}

/// `profview diff` with `args` plus the symbol options for the binaries in `symbols`, as JSON.
fn diff_json(args: &[String], symbols: &Path) -> Value {
    let mut all: Vec<String> = vec!["diff".into()];
    all.extend_from_slice(args);
    all.extend(["--symbol-path".into(), path(symbols)]);
    all.extend([
        "--kallsyms".into(),
        kallsyms(),
        "--format".into(),
        "json".into(),
    ]);
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    serde_json::from_str(&stdout_of(&all)).unwrap()
}

fn functions(d: &Value) -> &Vec<Value> {
    d["functions"].as_array().unwrap()
}

fn function<'a>(d: &'a Value, name: &str) -> &'a Value {
    functions(d)
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no function {name} in the diff"))
}

fn significant(d: &Value) -> Vec<&str> {
    functions(d)
        .iter()
        .filter(|f| f["significant"] == true)
        .map(|f| f["name"].as_str().unwrap())
        .collect()
}

/// The before and after recordings of the pair, in the form named by `suffix`.
fn pair(suffix: &str) -> [String; 2] {
    ["before", "after"].map(|side| path(&diff_case().join(format!("{side}.fp.{suffix}"))))
}

/// The pair's diff names the changed function first, as a significant improvement, and flags
/// nothing else as significant.
#[track_caller]
fn assert_names_the_change(d: &Value) {
    let top = &functions(d)[0];
    assert_eq!(top["name"], CHANGED, "{top:#}");
    assert_eq!(top["significant"], true);
    assert_eq!(top["change"], "improvement");
    let rel = top["relative_change"].as_f64().unwrap();
    assert!((-0.65..=-0.3).contains(&rel), "about 2x faster: {rel}");
    assert_eq!(significant(d), [CHANGED]);
    assert_eq!(d["shift"]["estimated"], true);
}

#[test]
fn the_faster_function_comes_first_as_a_significant_improvement() {
    let d = diff_json(&pair("perf.data"), &diff_case());
    assert_names_the_change(&d);
    // The other stages did not change: their shares rose by the shift only.
    for name in ["parse_input", "checksum_output", "emit_results"] {
        let f = function(&d, name);
        assert!(f["delta_percent"].as_f64().unwrap() > 0.0, "{f:#}");
        assert_ne!(f["change"], "regression", "{f:#}");
    }
    let paths = d["paths"].as_array().unwrap();
    assert_eq!(
        paths[0]["path"].as_array().unwrap().last().unwrap(),
        CHANGED
    );
}

#[test]
fn shares_and_counts_match_perf_report() {
    let d = diff_json(&pair("perf.data"), &diff_case());
    for (side, key) in [("before", "before_percent"), ("after", "after_percent")] {
        let perf =
            parse_perf_report(&root().join(format!("testdata/diff/{side}.fp.report-self.txt")));
        for row in perf.iter().filter(|r| !r.kernel) {
            let ours = function(&d, &row.symbol)[key].as_f64().unwrap();
            assert!(
                (ours - row.percents[0]).abs() < 0.01,
                "{side} {}: perf {} vs {ours}",
                row.symbol,
                row.percents[0]
            );
        }
    }
    assert_eq!(d["before"]["sample_count"], 1238);
    assert_eq!(d["after"]["sample_count"], 983);
    // Sorted by the size of the share change.
    let deltas: Vec<f64> = functions(&d)
        .iter()
        .map(|f| f["delta_percent"].as_f64().unwrap().abs())
        .collect();
    assert!(deltas.windows(2).all(|w| w[0] >= w[1]), "{deltas:?}");
}

#[test]
fn folded_samply_and_differential_forms_agree() {
    let forms = [
        diff_json(&pair("folded"), &diff_case()),
        diff_json(&pair("samply.json.gz"), &diff_case()),
        diff_json(
            &[path(&diff_case().join("before-after.diff-folded"))],
            &diff_case(),
        ),
        // Different formats on the two sides.
        diff_json(
            &[pair("samply.json.gz")[0].clone(), pair("folded")[1].clone()],
            &diff_case(),
        ),
        diff_json(
            &[pair("folded")[0].clone(), pair("perf.data")[1].clone()],
            &diff_case(),
        ),
    ];
    let reference = diff_json(&pair("perf.data"), &diff_case());
    for d in &forms {
        assert_names_the_change(d);
        let (ours, theirs) = (&functions(d)[0], &functions(&reference)[0]);
        for key in ["before_percent", "after_percent", "delta_percent"] {
            let (a, b) = (ours[key].as_f64().unwrap(), theirs[key].as_f64().unwrap());
            assert!((a - b).abs() < 0.01, "{key}: {a} vs {b}");
        }
        // The same changed call path: folded stacks' command-name roots do not count.
        assert_eq!(d["paths"][0]["path"], reference["paths"][0]["path"]);
    }
}

#[test]
fn a_profile_against_itself_shows_no_change() {
    let before = pair("perf.data")[0].clone();
    let d = diff_json(&[before.clone(), before], &diff_case());
    assert!(significant(&d).is_empty());
    assert!(functions(&d)
        .iter()
        .all(|f| f["delta_percent"] == 0.0 && f["change"] == "noise"));
    assert!(d["paths"].as_array().unwrap().is_empty());
    assert_eq!(d["shift"]["factor"], 1.0);
}

/// Two runs of one unchanged program, recorded for this test (testdata/diff/unchanged).
#[test]
fn unchanged_programs_recorded_twice_show_no_significant_change() {
    let runs = root().join("testdata/diff/unchanged");
    for (program, binaries) in [
        ("diffapp", "diff"),
        ("rayon", "rayon"),
        ("contention", "contention"),
    ] {
        let [a, b] =
            ["run1", "run2"].map(|r| path(&runs.join(format!("{program}.{r}.perf.data.gz"))));
        let symbols = shared_fixtures().join(binaries);
        for args in [[a.clone(), b.clone()], [b.clone(), a.clone()]] {
            let d = diff_json(&args, &symbols);
            assert!(
                significant(&d).is_empty(),
                "{program}: {:?}",
                significant(&d)
            );
            assert!(
                d["paths"].as_array().unwrap().is_empty(),
                "{program}: {:#}",
                d["paths"]
            );
            assert!(d["regressions"].as_array().unwrap().is_empty());
        }
        // The recordings really differ: not a file compared with itself.
        let d = diff_json(&[a, b], &symbols);
        assert!(functions(&d).iter().any(|f| f["delta_percent"] != 0.0));
    }
}

fn gate(before: &str, after: &str, points: &str) -> assert_cmd::assert::Assert {
    let case = path(&diff_case());
    profview()
        .args([
            "diff",
            before,
            after,
            "--symbol-path",
            &case,
            "--kallsyms",
            &kallsyms(),
        ])
        .args(["--fail-on-regression", points])
        .assert()
}

#[test]
fn swapped_inputs_are_a_regression_that_fails_the_gate() {
    let [before, after] = pair("perf.data");
    gate(&after, &before, "5")
        .code(3)
        .stdout(predicate::str::contains("REGRESSED"))
        .stderr(predicate::str::contains(
            "regression beyond 5 percentage points",
        ))
        .stderr(predicate::str::contains(CHANGED));
    // The improvement, and a regression smaller than the threshold, pass.
    gate(&before, &after, "5").success();
    gate(&after, &before, "40").success();

    let d = diff_json(&[after, before], &diff_case());
    let top = &functions(&d)[0];
    assert_eq!(top["name"], CHANGED);
    assert_eq!(top["change"], "regression");
    assert_eq!(significant(&d), [CHANGED]);
}

#[test]
fn the_gate_ignores_the_shift_of_unchanged_functions() {
    // parse_input's share grew by about 5 points, all of it the shift.
    let [before, after] = pair("perf.data");
    gate(&before, &after, "1").success();
    // Comparing shares directly, the same growth fails a 1-point gate... if it is beyond the
    // noise; either way nothing but transform_records may be called improved.
    let d = diff_json(&[before, after, "--no-shift".into()], &diff_case());
    assert_eq!(d["shift"]["estimated"], false);
    assert_eq!(functions(&d)[0]["name"], CHANGED);
}

#[test]
fn absolute_mode_keeps_unchanged_functions_level() {
    let mut args = pair("perf.data").to_vec();
    args.push("--absolute".into());
    let d = diff_json(&args, &diff_case());
    assert_eq!(d["mode"], "absolute");
    for name in ["parse_input", "checksum_output", "emit_results"] {
        let f = function(&d, name);
        assert_eq!(f["change"], "noise", "{f:#}");
        assert!(f["delta_percent"].as_f64().unwrap().abs() < 2.0, "{f:#}");
    }
    let t = function(&d, CHANGED);
    assert_eq!(t["change"], "improvement");
    // 494 → 265 samples of 1238.
    assert!(
        (t["delta_percent"].as_f64().unwrap() + 18.5).abs() < 0.1,
        "{t:#}"
    );

    // Different units cannot be compared as weights.
    let [before, _] = pair("perf.data");
    let [_, after] = pair("samply.json.gz");
    profview()
        .args([
            "diff",
            &before,
            &after,
            "--absolute",
            "--symbol-path",
            &path(&diff_case()),
        ])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("cannot compare absolute weights")
                .and(predicate::str::contains("(drop --absolute)")),
        );
}

#[test]
fn differential_flame_graph() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("diff.svg");
    let [before, after] = pair("folded");
    stdout_of(&["diff", &before, &after, "--flamegraph", &path(&svg)]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<?xml"), "{}", &text[..80.min(text.len())]);
    assert!(text.contains(CHANGED));
    // inferno's tooltips of a differential graph end with the change in percent of the
    // graph's total: the changed function shrank by about 20 points relative to unchanged
    // code, and an unchanged one moved by about the noise only.
    let change = |name: &str| -> f64 {
        let start = text.find(&format!("<title>{name} (")).unwrap();
        let title = &text[start..start + text[start..].find("</title>").unwrap()];
        let pct = title.rsplit("; ").next().unwrap().trim_end_matches("%)");
        pct.parse().unwrap_or_else(|_| panic!("{title}"))
    };
    assert!(
        (-25.0..-15.0).contains(&change(CHANGED)),
        "{}",
        change(CHANGED)
    );
    assert!(
        change("parse_input").abs() < 3.0,
        "{}",
        change("parse_input")
    );
}

#[test]
fn text_output_is_stable() {
    let [before, after] = pair("folded");
    let out = profview()
        .args(["diff", &before, &after])
        .current_dir(diff_case())
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let shared = path(&diff_case());
    assert_golden("diff/fixture.txt", &text.replace(&shared, "$FIXTURES/diff"));
}

#[test]
fn bad_gate_values_are_usage_errors() {
    let [before, after] = pair("folded");
    for bad in ["nan", "-1", "inf", "two"] {
        profview()
            .args([
                "diff",
                &before,
                &after,
                &format!("--fail-on-regression={bad}"),
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("percentage points"));
    }
}

#[test]
fn missing_or_bad_input_is_one_line_and_exit_1() {
    let [before, _] = pair("folded");
    profview()
        .args(["diff", &before, "no/such/file.data"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no/such/file.data"))
        .stderr(predicate::function(|s: &str| s.lines().count() == 1));
    // A single file must be differential: a usage error.
    profview()
        .args(["diff", &before])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("differential"));
}

/// `--no-inline` applies to a differential folded file as to any input: the inlined frame
/// (`_[i]`) goes, and with it the path that only it told apart.
#[test]
fn no_inline_applies_to_a_differential_folded_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("d.folded");
    std::fs::write(
        &file,
        "main;work;helper_[i] 50 90\nmain;work 50 10\nmain;other 20 20\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let with = common::stdout_of(&["diff", file]);
    assert!(with.contains("work -> helper"), "{with}");
    let without = common::stdout_of(&["diff", file, "--no-inline"]);
    assert!(!without.contains("helper"), "{without}");
}
