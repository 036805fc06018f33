//! The `profview` binary end to end: inputs from files, stdin and gzip; the error paths and
//! exit codes; collapse round trips; flame graphs.

mod common;

use std::io::Write;

use common::{profview, stdout_of, FOLDED_CASES};
use predicates::prelude::*;

#[test]
fn report_reads_stdin() {
    let input = std::fs::read("testdata/hotspot/fp.folded").unwrap();
    let from_stdin = profview()
        .args(["report", "-"])
        .write_stdin(input)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let from_file = stdout_of(&["report", "testdata/hotspot/fp.folded"]);
    let from_stdin = String::from_utf8(from_stdin).unwrap();
    // Only the source name in the first line differs.
    assert!(from_stdin.starts_with("# profview report: - (folded stacks)"));
    assert_eq!(
        from_stdin.lines().skip(1).collect::<Vec<_>>(),
        from_file.lines().skip(1).collect::<Vec<_>>()
    );
}

#[test]
fn gzip_is_detected_from_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stacks.txt"); // no .gz: detection must not need the name
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&std::fs::read("testdata/alloc/fp.folded").unwrap())
        .unwrap();
    std::fs::write(&path, gz.finish().unwrap()).unwrap();
    let plain = stdout_of(&["collapse", "testdata/alloc/fp.folded"]);
    let unzipped = stdout_of(&["collapse", path.to_str().unwrap()]);
    assert_eq!(plain, unzipped);
}

#[test]
fn malformed_file_is_one_line_error_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.folded");
    std::fs::write(&path, "this is not\na profile at all\n").unwrap();
    let out = profview()
        .args(["report", path.to_str().unwrap()])
        .assert()
        .code(1)
        .stdout("")
        .get_output()
        .clone();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("bad.folded"), "{stderr}");
    assert!(stderr.contains("line 1"), "{stderr}");
    assert!(stderr.contains("frame;frame"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn malformed_lines_are_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("some-bad.folded");
    std::fs::write(&path, "app;main;work 3\ngarbage\napp;main 1\n").unwrap();
    profview()
        .args(["report", path.to_str().unwrap()])
        .assert()
        .success()
        .stdout(predicate::str::contains("75.00%"))
        .stderr(predicate::str::contains("warning").and(predicate::str::contains("line 2")));
}

#[test]
fn missing_file_and_empty_file_exit_1() {
    profview()
        .args(["report", "testdata/does-not-exist.folded"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "does-not-exist.folded: cannot read",
        ));
    profview()
        .args(["report", "-"])
        .write_stdin("")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("empty"));
}

#[test]
fn unsupported_formats_are_named() {
    profview()
        .args(["report", "-"])
        .write_stdin("{\"meta\": {}}")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("Firefox"));
}

#[test]
fn usage_errors_exit_2() {
    profview().args(["report"]).assert().code(2);
    profview().args(["report", "--bogus", "x"]).assert().code(2);
    profview()
        .args(["report", "--input-format", "nope", "x"])
        .assert()
        .code(2);
}

#[test]
fn unknown_event_lists_the_available_ones() {
    profview()
        .args(["report", "--event", "cycles", "testdata/hotspot/fp.folded"])
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("no event named \"cycles\"")
                .and(predicate::str::contains("period")),
        );
}

#[test]
fn bare_profile_argument_prints_the_report() {
    let bare = stdout_of(&["testdata/hotspot/fp.folded"]);
    assert_eq!(bare, stdout_of(&["report", "testdata/hotspot/fp.folded"]));
}

#[test]
fn top_limits_rows() {
    let out = stdout_of(&["report", "--top", "2", "testdata/distributed/fp.folded"]);
    let is_row = |l: &&str| {
        l.split_whitespace()
            .next()
            .and_then(|p| p.strip_suffix('%'))
            .is_some_and(|p| p.parse::<f64>().is_ok())
    };
    let rows = out.lines().filter(is_row).count();
    assert_eq!(rows, 2, "{out}");
    let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
        "report",
        "--top",
        "3",
        "--format",
        "json",
        "testdata/distributed/fp.folded",
    ]))
    .unwrap();
    assert_eq!(json["functions"].as_array().unwrap().len(), 3);
    assert!(json["function_count"].as_u64().unwrap() > 3);
}

#[test]
fn json_has_the_documented_fields_sorted_by_self_weight() {
    for case in FOLDED_CASES {
        let json: serde_json::Value = serde_json::from_str(&stdout_of(&[
            "report",
            "--format",
            "json",
            &format!("testdata/{case}/fp.folded"),
        ]))
        .unwrap();
        let total = json["total_weight"].as_f64().unwrap();
        assert!(total > 0.0);
        assert!(json["weight_unit"].is_string());
        assert!(json["sample_count"].as_u64().unwrap() > 0);
        let functions = json["functions"].as_array().unwrap();
        let self_weights: Vec<f64> = functions
            .iter()
            .map(|f| f["self_weight"].as_f64().unwrap())
            .collect();
        assert!(
            self_weights.windows(2).all(|w| w[0] >= w[1]),
            "{case}: not sorted"
        );
        let self_sum: f64 = self_weights.iter().sum();
        assert!(
            (self_sum - total).abs() < 1e-6 * total,
            "{case}: self weights must add up"
        );
        for f in functions {
            for key in [
                "name",
                "module",
                "self_percent",
                "total_weight",
                "total_percent",
            ] {
                assert!(f.get(key).is_some(), "{case}: {key} missing");
            }
            let p = f["total_percent"].as_f64().unwrap();
            assert!((0.0..=100.0).contains(&p));
            assert!(f["self_weight"].as_f64() <= f["total_weight"].as_f64());
        }
    }
}

#[test]
fn collapse_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    for case in FOLDED_CASES {
        let first = stdout_of(&["collapse", &format!("testdata/{case}/fp.folded")]);
        let path = dir.path().join(format!("{case}.folded"));
        std::fs::write(&path, &first).unwrap();
        let second = stdout_of(&["collapse", path.to_str().unwrap()]);
        assert_eq!(
            first, second,
            "{case}: collapse -> read -> collapse changed the stacks"
        );
    }
}

#[test]
fn collapse_equals_the_input_up_to_order() {
    // The fixtures come from inferno, one line per distinct stack, so the output holds the same
    // lines.
    for case in FOLDED_CASES {
        let input = std::fs::read_to_string(format!("testdata/{case}/fp.folded")).unwrap();
        let mut expected: Vec<&str> = input.lines().collect();
        expected.sort_unstable();
        let output = stdout_of(&["collapse", &format!("testdata/{case}/fp.folded")]);
        let mut actual: Vec<&str> = output.lines().collect();
        actual.sort_unstable();
        assert_eq!(expected, actual, "{case}");
    }
}

#[test]
fn collapse_keeps_annotations_and_fractions() {
    let input = "app;main_[j];inl_[i];sys_read_[k] 1.5\napp;main_[j] 2\n";
    profview()
        .args(["collapse", "-"])
        .write_stdin(input)
        .assert()
        .success()
        .stdout("app;main_[j] 2\napp;main_[j];inl_[i];sys_read_[k] 1.5\n");
}

#[test]
fn collapse_writes_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.folded");
    profview()
        .args([
            "collapse",
            "testdata/hotspot/fp.folded",
            "-o",
            out.to_str().unwrap(),
        ])
        .assert()
        .success()
        .stdout("");
    assert_eq!(
        std::fs::read_to_string(out).unwrap(),
        stdout_of(&["collapse", "testdata/hotspot/fp.folded"])
    );
}

#[test]
fn differential_folded_needs_a_side() {
    profview()
        .args(["report", "testdata/diff/before-after.diff-folded"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("differential").and(predicate::str::contains("--side")));
    // Each side equals the folded file it was made from.
    for (side, file) in [("before", "before.fp.folded"), ("after", "after.fp.folded")] {
        let from_diff = stdout_of(&[
            "report",
            "--format",
            "json",
            "--side",
            side,
            "testdata/diff/before-after.diff-folded",
        ]);
        let direct = stdout_of(&[
            "report",
            "--format",
            "json",
            &format!("testdata/diff/{file}"),
        ]);
        let a: serde_json::Value = serde_json::from_str(&from_diff).unwrap();
        let b: serde_json::Value = serde_json::from_str(&direct).unwrap();
        assert_eq!(a["functions"], b["functions"], "{side}");
    }
}

#[test]
fn flamegraph_writes_an_svg_titled_with_the_input() {
    let dir = tempfile::tempdir().unwrap();
    for inverted in [false, true] {
        let out = dir.path().join(format!("flame-{inverted}.svg"));
        let mut cmd = profview();
        cmd.args([
            "flamegraph",
            "testdata/hotspot/fp.folded",
            "-o",
            out.to_str().unwrap(),
        ]);
        if inverted {
            cmd.arg("--inverted");
        }
        cmd.assert().success();
        let svg = std::fs::read_to_string(&out).unwrap();
        assert!(svg.starts_with("<?xml"), "not an SVG");
        assert!(svg.contains("fp.folded"), "title missing");
        assert!(svg.contains("hot_loop"));
        // inferno writes the direction into the script.
        assert_eq!(
            svg.contains("inverted = true"),
            inverted,
            "inverted={inverted}"
        );
    }
}

#[test]
fn flamegraph_keeps_fractional_weights() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("f.svg");
    profview()
        .args(["flamegraph", "-", "-o", out.to_str().unwrap()])
        .write_stdin("a;b 0.5\na;c 0.25\n")
        .assert()
        .success();
    let svg = std::fs::read_to_string(&out).unwrap();
    // Without scaling, inferno would truncate both counts to 0 and draw nothing.
    assert!(svg.contains(">b ("), "b missing from the graph");
}

#[test]
fn closed_pipe_is_not_an_error() {
    // The reader goes away before profview writes; profview must exit 0 without a message.
    let bin = assert_cmd::cargo::cargo_bin!("profview");
    let big: String = (0..200_000).map(|i| format!("app;f{i} 1\n")).collect();
    let mut child = std::process::Command::new(bin)
        .args(["collapse", "-"])
        .current_dir(common::root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(big.as_bytes())
        .unwrap();
    drop(child.stdout.take()); // close the read end before profview writes
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn completions_are_generated() {
    profview()
        .args(["completions", "bash"])
        .assert()
        .success()
        .stdout(predicate::str::contains("profview"));
}

#[test]
fn help_has_examples() {
    for cmd in ["report", "collapse", "flamegraph"] {
        profview()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Examples:"));
    }
}
