//! Call-tree views and transforms (`profview tree`, `profview callers`, and the view options of
//! `report`) against what perf report said about the same recordings.

mod common;

use common::{parse_perf_report, profview, root, stdout_of, PerfRow, FOLDED_CASES};
use serde_json::Value;

fn json_of(args: &[&str]) -> Value {
    serde_json::from_str(&stdout_of(args)).expect("json output")
}

fn folded(case: &str) -> String {
    format!("testdata/{case}/fp.folded")
}

/// perf's rows for `case` (self or children table), user-space symbols only: folded files
/// carry no `[k]` marks, so kernel names are compared too but may coincide with user names.
fn perf_rows(case: &str, table: &str) -> Vec<PerfRow> {
    parse_perf_report(std::path::Path::new(&format!(
        "testdata/{case}/fp.report-{table}.txt"
    )))
}

/// Sum of the totals of the given nodes' children, recursively checking that every node's
/// total is its self weight plus its children's totals.
fn check_sums(node: &Value) -> f64 {
    let total = node["total_weight"].as_f64().unwrap();
    let below: f64 = node["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            check_sums(c);
            c["total_weight"].as_f64().unwrap()
        })
        .sum();
    let own = node["self_weight"].as_f64().unwrap();
    assert!(
        (own + below - total).abs() <= 1e-6 * total.max(1.0),
        "{}: self {own} + children {below} != total {total}",
        node["name"]
    );
    total
}

#[test]
fn top_down_tree_adds_up_on_every_case() {
    for case in FOLDED_CASES {
        let tree = json_of(&[
            "tree",
            &folded(case),
            "--format",
            "json",
            "--min-percent",
            "0",
        ]);
        let roots: f64 = tree["roots"]
            .as_array()
            .unwrap()
            .iter()
            .map(check_sums)
            .sum();
        let total = tree["total_weight"].as_f64().unwrap();
        assert!(
            (roots - total).abs() <= 1e-6 * total,
            "{case}: roots {roots} != {total}"
        );
    }
}

#[test]
fn bottom_up_roots_are_perf_self_shares() {
    for case in FOLDED_CASES {
        let tree = json_of(&[
            "tree",
            &folded(case),
            "--inverted",
            "--format",
            "json",
            "--depth",
            "1",
        ]);
        let roots = tree["roots"].as_array().unwrap();
        for row in perf_rows(case, "self").iter().take(5) {
            let ours = roots
                .iter()
                .find(|r| r["name"] == row.symbol.as_str())
                .unwrap_or_else(|| panic!("{case}: {} not a bottom-up root", row.symbol));
            let pct = ours["total_percent"].as_f64().unwrap();
            assert!(
                (pct - row.percents[0]).abs() <= 0.011,
                "{case}: {} {pct} vs perf {}",
                row.symbol,
                row.percents[0]
            );
        }
    }
}

/// perf's children (inclusive) share of a user-space function that is not recursive.
fn children_share(case: &str, symbol: &str) -> f64 {
    let rows = perf_rows(case, "children");
    let row = rows
        .iter()
        .find(|r| r.symbol == symbol && !r.kernel)
        .unwrap();
    row.percents[0]
}

/// Weight kept by a view of `case` with `extra` options, as a share of the whole profile.
fn kept_percent(case: &str, extra: &[&str]) -> f64 {
    let mut args = vec!["tree", "--format", "json", "--depth", "1"];
    let path = folded(case);
    args.insert(1, &path);
    args.extend_from_slice(extra);
    let with = json_of(&args);
    let all = json_of(&["tree", &path, "--format", "json", "--depth", "1"]);
    100.0 * with["total_weight"].as_f64().unwrap() / all["total_weight"].as_f64().unwrap()
}

#[test]
fn focus_keeps_the_functions_inclusive_share_and_drop_the_rest() {
    for (case, function) in [
        ("hotspot", "run"),
        ("alloc", "churn"),
        ("distributed", "parse_tokens"),
    ] {
        let inclusive = children_share(case, function);
        let focused = kept_percent(case, &["--focus", function]);
        assert!(
            (focused - inclusive).abs() <= 0.011,
            "{case} focus {function}: {focused} vs perf {inclusive}"
        );
        let dropped = kept_percent(case, &["--drop", function]);
        assert!(
            (dropped - (100.0 - inclusive)).abs() <= 0.011,
            "{case} drop {function}: {dropped}"
        );
        // Focused, the function is the only root.
        let tree = json_of(&[
            "tree",
            &folded(case),
            "--format",
            "json",
            "--focus",
            function,
            "--depth",
            "1",
        ]);
        let roots = tree["roots"].as_array().unwrap();
        assert_eq!(roots.len(), 1, "{case}");
        assert_eq!(roots[0]["name"], function);
    }
}

#[test]
fn merge_moves_self_time_to_callers() {
    let top = |extra: &[&str]| {
        let mut args = vec!["report", "testdata/hotspot/fp.folded", "--format", "json"];
        args.extend_from_slice(extra);
        json_of(&args)
    };
    let plain = top(&[]);
    let hottest = plain["functions"][0]["name"].as_str().unwrap().to_owned();
    let merged = top(&["--merge", &hottest]);
    assert_eq!(merged["total_weight"], plain["total_weight"]);
    let names: Vec<&str> = merged["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&hottest.as_str()), "{hottest} still listed");
}

#[test]
fn report_with_view_options_matches_plain_report() {
    // A transform that changes nothing must give the same table as the direct computation:
    // the root frame (the program's name) never calls itself.
    for case in FOLDED_CASES {
        for sort in [&[][..], &["--children"][..]] {
            let mut plain = vec!["report", "--format", "json"];
            let path = folded(case);
            let text = std::fs::read_to_string(root().join(&path)).unwrap();
            let root_frame = text.split(';').next().unwrap().to_owned();
            plain.insert(1, &path);
            plain.extend_from_slice(sort);
            let mut viewed = plain.clone();
            viewed.extend_from_slice(&["--collapse-recursion", &root_frame]);
            let a = json_of(&plain);
            let b = json_of(&viewed);
            assert_eq!(a["functions"], b["functions"], "{case} {sort:?}");
        }
    }
}

#[test]
fn callers_and_callees_add_up() {
    let out = json_of(&[
        "callers",
        "testdata/contention/fp.folded",
        "__GI___lll_lock_wait",
        "--format",
        "json",
    ]);
    let f = &out["function"];
    let total = f["total_weight"].as_f64().unwrap();
    let callers: f64 = f["callers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["weight"].as_f64().unwrap())
        .sum();
    let callees: f64 = f["callees"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["weight"].as_f64().unwrap())
        .sum();
    let own = f["self_weight"].as_f64().unwrap();
    let from_root = f["from_root"].as_f64().unwrap();
    assert!((callers + from_root - total).abs() < 1e-6 * total);
    assert!((callees + own - total).abs() < 1e-6 * total);
    let share = 100.0 * total / out["total_weight"].as_f64().unwrap();
    let perf = children_share("contention", "__GI___lll_lock_wait");
    assert!((share - perf).abs() <= 0.011, "{share} vs perf {perf}");
}

#[test]
fn unknown_function_and_bad_time_are_one_line_errors() {
    profview()
        .args(["callers", "testdata/hotspot/fp.folded", "nope"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains(
            "no samples in a function named \"nope\"",
        ));
    profview()
        .args(["tree", "testdata/hotspot/fp.folded", "--time", "1..2"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no timestamps"));
    profview()
        .args(["tree", "testdata/hotspot/fp.folded", "--tid", "7"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("no thread"));
}

#[test]
fn tree_text_lists_the_hot_path() {
    let text = stdout_of(&["tree", "testdata/hotspot/fp.folded", "--min-percent", "5"]);
    assert!(
        text.contains("# profview top-down: testdata/hotspot/fp.folded"),
        "{text}"
    );
    let hot = text
        .lines()
        .find(|l| l.contains("hot_loop"))
        .expect("hot_loop shown");
    // hot_loop is nested below main: indented.
    assert!(
        hot.contains("    hot_loop") || hot.contains("  hot_loop"),
        "{hot}"
    );
}

/// Samples per thread id and their timestamps (seconds), from `perf script`'s output.
fn script_samples(path: &std::path::Path) -> Vec<(u32, f64)> {
    let mut text = String::new();
    let file = std::fs::File::open(path).unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).unwrap();
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with(char::is_whitespace))
        .map(|l| {
            let mut fields = l.split_whitespace();
            let tid = fields.nth(1).unwrap().parse().unwrap();
            let time = fields
                .next()
                .unwrap()
                .trim_end_matches(':')
                .parse()
                .unwrap();
            (tid, time)
        })
        .collect()
}

fn recording_json(case: &str, extra: &[&str]) -> Value {
    let dir = common::shared_fixtures().join(case);
    let mut args = vec!["--format", "json", "--depth", "1"];
    args.extend_from_slice(extra);
    serde_json::from_str(&common::profview_on_recording("tree", &dir, "fp", &args)).unwrap()
}

#[test]
fn thread_and_time_filters_match_perf_script() {
    let samples = script_samples(&common::shared_fixtures().join("rayon/fp.script.txt.gz"));
    let period = 1_001_001.0;
    let mut tids: Vec<u32> = samples.iter().map(|s| s.0).collect();
    tids.sort();
    tids.dedup();
    assert!(tids.len() >= 3, "rayon runs on several threads");
    for tid in tids {
        let expected = samples.iter().filter(|s| s.0 == tid).count() as f64;
        let view = recording_json("rayon", &["--tid", &tid.to_string()]);
        assert_eq!(
            view["total_weight"].as_f64().unwrap() / period,
            expected,
            "tid {tid}"
        );
    }
    let first = samples.iter().map(|s| s.1).fold(f64::MAX, f64::min);
    let last = samples.iter().map(|s| s.1).fold(0.0, f64::max);
    let middle = (last - first) / 2.0;
    let expected = samples.iter().filter(|s| s.1 - first < middle).count() as f64;
    let early = recording_json("rayon", &["--time", &format!("0..{middle}")]);
    let late = recording_json("rayon", &["--time", &format!("{middle}..")]);
    assert_eq!(early["total_weight"].as_f64().unwrap() / period, expected);
    assert_eq!(
        (early["total_weight"].as_f64().unwrap() + late["total_weight"].as_f64().unwrap()) / period,
        samples.len() as f64
    );
}

#[test]
fn lines_split_functions_by_source_line() {
    let dir = common::shared_fixtures().join("cpp_templates");
    let by = |extra: &[&str]| -> Vec<(String, f64)> {
        let mut args = vec!["--format", "json"];
        args.extend_from_slice(extra);
        let doc: Value =
            serde_json::from_str(&common::profview_on_recording("report", &dir, "fp", &args))
                .unwrap();
        doc["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_owned(),
                    f["self_weight"].as_f64().unwrap(),
                )
            })
            .collect()
    };
    let functions = by(&[]);
    let lines = by(&["--lines"]);
    let mut split_somewhere = false;
    for (name, whole) in functions.iter().filter(|f| f.1 > 0.0) {
        let prefix = format!("{name} (");
        let parts: Vec<f64> = lines
            .iter()
            .filter(|(n, _)| n == name || n.starts_with(&prefix))
            .map(|l| l.1)
            .filter(|w| *w > 0.0)
            .collect();
        split_somewhere |= parts.len() >= 2;
        let sum: f64 = parts.iter().sum();
        assert!(
            (whole - sum).abs() < 1e-6 * whole,
            "{name}: {whole} vs lines {sum}"
        );
    }
    assert!(split_somewhere, "no function ran on more than one line");
}

/// Off-CPU waits computed from `perf script`'s text: each switch-out of a thread waits until a
/// switch names it as `next_pid`, or else until the thread's next sample. Returns
/// (number of waits, total ns, ns of waits whose stack has `function`).
fn script_off_cpu(path: &std::path::Path, function: &str) -> (usize, f64, f64) {
    let mut text = String::new();
    let file = std::fs::File::open(path).unwrap();
    std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(file), &mut text).unwrap();
    let mut open: std::collections::HashMap<u32, (f64, bool)> = Default::default();
    let (mut waits, mut total, mut in_function) = (0, 0.0, 0.0);
    let mut close = |wait: Option<(f64, bool)>, now: f64| {
        if let Some((since, has)) = wait {
            let ns = ((now - since) * 1e9).round();
            waits += 1;
            total += ns;
            if has {
                in_function += ns;
            }
        }
    };
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let head = block.lines().next().unwrap();
        let field = |key: &str| -> u32 {
            let at = head.find(key).unwrap() + key.len();
            head[at..]
                .split_whitespace()
                .next()
                .unwrap()
                .parse()
                .unwrap()
        };
        let tid: u32 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
        let time: f64 = head
            .split_whitespace()
            .nth(3)
            .unwrap()
            .trim_end_matches(':')
            .parse()
            .unwrap();
        assert_eq!(field("prev_pid="), tid);
        close(open.remove(&tid), time);
        close(open.remove(&field("next_pid=")), time);
        let has = block.lines().skip(1).any(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|s| s.split('+').next() == Some(function))
        });
        open.insert(tid, (time, has));
    }
    (waits, total, in_function)
}

#[test]
fn off_cpu_time_from_sched_switch_matches_perf_script() {
    let dir = common::shared_fixtures().join("contention");
    let (waits, total, in_lock_wait) =
        script_off_cpu(&dir.join("offcpu.script.txt.gz"), "__GI___lll_lock_wait");
    let report: Value = serde_json::from_str(&common::profview_on_recording(
        "report",
        &dir,
        "offcpu",
        &["--event", "off-cpu", "--children", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(report["weight_unit"], "nanoseconds");
    assert_eq!(report["sample_count"].as_u64().unwrap() as usize, waits);
    let ours = report["total_weight"].as_f64().unwrap();
    // perf script prints microseconds: each wait's two ends are rounded.
    assert!(
        (ours - total).abs() <= waits as f64 * 1000.0,
        "{ours} vs {total}"
    );
    let row = report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "__GI___lll_lock_wait")
        .unwrap();
    let share = row["total_percent"].as_f64().unwrap();
    let expected = 100.0 * in_lock_wait / total;
    assert!((share - expected).abs() < 0.1, "{share} vs {expected}");
    assert!(share > 50.0, "threads mostly wait for the lock");
}

#[test]
fn off_cpu_profile_is_lock_contention() {
    let dir = common::shared_fixtures().join("contention");
    let analysis: Value = serde_json::from_str(&common::profview_on_recording(
        "analyze",
        &dir,
        "offcpu",
        &["--event", "off-cpu", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(analysis["findings"][0]["kind"], "lock_contention");
}
