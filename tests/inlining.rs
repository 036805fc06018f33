//! Inlined code belongs to the function that holds it: Rust release builds with debug info
//! (`debug = true` and `"line-tables-only"`, frame pointers and DWARF call graphs) and a C++
//! program whose stages share one inlined helper, recorded here (testdata/rust_inline,
//! testdata/cpp_shared; their READMEs say how). perf report is the oracle for the function
//! table; the programs were written to show one pattern each, which `analyze` must name.

mod common;

use std::path::{Path, PathBuf};

use common::{
    laid_out, parse_perf_report, profview, profview_with_kallsyms, self_percents, stdout_of,
};

const SELF_PERCENT_TOLERANCE: f64 = 1.0;

/// Every recording of both cases: (case folder, recording name).
fn recordings() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for case in ["rust_inline", "cpp_shared"] {
        let dir = laid_out(case);
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(rec) = name.strip_suffix(".perf.data") {
                out.push((dir.clone(), rec.to_owned()));
            }
        }
    }
    out.sort();
    assert_eq!(out.len(), 22, "expected 20 Rust and 2 C++ recordings");
    out
}

/// `profview COMMAND` on a recording, with its binaries and the kernel symbols of its boot.
fn run(command: &str, case: &Path, rec: &str, extra: &[&str]) -> String {
    let kallsyms = laid_out("rust_inline").join("kallsyms.txt.gz");
    profview_with_kallsyms(command, case, rec, &kallsyms, extra)
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON output")
}

/// perf's Symbol column, with `debug = "line-tables-only"` too: the symbol table names the
/// function that holds the code either way.
#[test]
fn default_report_equals_perf_report() {
    for (case, rec) in recordings() {
        let ours = self_percents(&json(&run("report", &case, &rec, &["--format", "json"])));
        let perf = parse_perf_report(&case.join(format!("{rec}.report-self.txt")));
        for row in perf.iter().take(10) {
            let got = ours.get(&row.symbol).copied().unwrap_or(0.0);
            assert!(
                (got - row.percents[0]).abs() <= SELF_PERCENT_TOLERANCE,
                "{rec}: {}: profview {got:.2}% vs perf report {:.2}%",
                row.symbol,
                row.percents[0]
            );
        }
    }
}

/// No inlined std/core function gets a row of its own by default; `--inlined-rows` gives the
/// flat table, where they do.
#[test]
fn inlined_functions_have_rows_only_when_asked() {
    let case = laid_out("rust_inline");
    let rec = "hotspot.debug.fp";
    let default = self_percents(&json(&run("report", &case, rec, &["--format", "json"])));
    assert!(
        !default.keys().any(|n| n.contains("black_box")),
        "{default:?}"
    );
    let flat = self_percents(&json(&run(
        "report",
        &case,
        rec,
        &["--inlined-rows", "--format", "json"],
    )));
    let black_box = flat.get("core::hint::black_box").copied().unwrap_or(0.0);
    assert!(black_box > 5.0, "{flat:?}");
    assert!(flat["rustprof::find_matches"] < default["rustprof::find_matches"] - 5.0);
}

/// The pattern each program was written to show, in both record modes and debug levels.
#[test]
fn analyze_names_each_programs_pattern() {
    let expected = [
        ("hotspot", "single_hotspot", Some("find_matches")),
        ("mutex", "lock_contention", None),
        ("alloc", "excessive_allocation", None),
    ];
    for (case, rec) in recordings() {
        let program = rec.split('.').next().unwrap();
        let Some((_, kind, function)) = expected.iter().find(|(p, _, _)| *p == program) else {
            continue;
        };
        let analysis = json(&run("analyze", &case, &rec, &["--format", "json"]));
        let primary = &analysis["findings"][0];
        assert_eq!(primary["kind"], *kind, "{rec}: {primary}");
        if let Some(function) = function {
            let named = primary["functions"][0].as_str().unwrap();
            assert!(named.ends_with(function), "{rec}: {primary}");
            let evidence = primary["evidence"].to_string();
            assert!(evidence.contains("inlined "), "{rec}: {evidence}");
        }
    }
}

/// Five C++ stages spend their time in one `static inline` helper: the finding names the
/// helper, every stage, and the helper's hottest line, in both record modes.
#[test]
fn a_helper_inlined_into_several_hot_functions_is_one_finding() {
    let case = laid_out("cpp_shared");
    for rec in ["fp", "dwarf"] {
        let analysis = json(&run("analyze", &case, rec, &["--format", "json"]));
        let primary = &analysis["findings"][0];
        assert_eq!(primary["kind"], "shared_inlined_helper", "{rec}: {primary}");
        let functions: Vec<&str> = primary["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_str().unwrap())
            .collect();
        assert_eq!(functions[0], "mix_block", "{rec}");
        let mut stages = functions[1..].to_vec();
        stages.sort_unstable();
        assert_eq!(
            stages,
            [
                "stages::decode",
                "stages::enrich",
                "stages::index",
                "stages::store",
                "stages::validate"
            ],
            "{rec}"
        );
        assert!(primary["score"].as_f64().unwrap() > 0.9, "{rec}: {primary}");
        let advice = primary["advice"][0].as_str().unwrap();
        assert!(advice.contains("shared_helper.cpp:1"), "{rec}: {advice}");
    }
}

/// One function of four became 2x faster: significant, with the right sign, on every build
/// and record mode; the gate fails the reversed pair only.
#[test]
fn diff_finds_the_function_that_changed() {
    let case = laid_out("rust_inline");
    let kallsyms = case.join("kallsyms.txt.gz");
    for build in ["debug.fp", "debug.dwarf", "lines.fp", "lines.dwarf"] {
        let before = case.join(format!("diff-before.{build}.perf.data"));
        let after = case.join(format!("diff-after.{build}.perf.data"));
        let diff = |a: &Path, b: &Path, extra: &[&str]| {
            let mut cmd = profview();
            cmd.arg("diff")
                .arg(a)
                .arg(b)
                .arg("--symbol-path")
                .arg(&case)
                .arg("--kallsyms")
                .arg(&kallsyms)
                .args(extra);
            cmd.output().unwrap()
        };
        let out = diff(&before, &after, &["--format", "json"]);
        assert!(out.status.success(), "{build}");
        let report = json(&String::from_utf8(out.stdout).unwrap());
        let row = report["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"].as_str().unwrap().ends_with("transform_records"))
            .unwrap_or_else(|| panic!("{build}: no transform_records row"));
        assert_eq!(row["significant"], true, "{build}: {row}");
        assert_eq!(row["change"], "improvement", "{build}: {row}");
        assert!(
            row["delta_percent"].as_f64().unwrap() < -5.0,
            "{build}: {row}"
        );
        let code = |out: std::process::Output| out.status.code();
        let gate = ["--fail-on-regression", "5"];
        assert_eq!(code(diff(&after, &before, &gate)), Some(3), "{build}");
        assert_eq!(code(diff(&before, &after, &gate)), Some(0), "{build}");
    }
}

/// Call trees keep inlined frames, marked as such; `--no-inline` has none.
#[test]
fn trees_keep_inlined_frames_marked() {
    let case = laid_out("rust_inline");
    let tree = run(
        "tree",
        &case,
        "hotspot.debug.dwarf",
        &["--min-percent", "1"],
    );
    assert!(tree.contains("core::hint::black_box (inlined)"), "{tree}");
    let flat = run(
        "tree",
        &case,
        "hotspot.debug.dwarf",
        &["--min-percent", "1", "--no-inline"],
    );
    assert!(!flat.contains("(inlined)"), "{flat}");
    let folded = run("collapse", &case, "hotspot.debug.dwarf", &[]);
    assert!(folded.contains("core::hint::black_box_[i]"), "{folded}");
}

/// Firefox input names inlined frames itself (`inlineDepth`): the same rules apply, and
/// `--no-inline` drops them, so a converted profile reports like its source.
#[test]
fn firefox_inlined_frames_follow_the_same_rules() {
    let case = laid_out("rust_inline");
    let dir = tempfile::tempdir().unwrap();
    let converted = dir.path().join("hotspot.json.gz");
    run(
        "convert",
        &case,
        "hotspot.debug.dwarf",
        &["--to", "firefox", "-o", converted.to_str().unwrap()],
    );
    let converted = converted.to_str().unwrap();
    for extra in [&["--no-inline"][..], &[][..]] {
        let source = self_percents(&json(&run(
            "report",
            &case,
            "hotspot.debug.dwarf",
            &[extra, &["--format", "json"]].concat(),
        )));
        let back = self_percents(&json(&stdout_of(
            &[&["report", converted], extra, &["--format", "json"]].concat(),
        )));
        for (name, share) in &source {
            let got = back.get(name).copied().unwrap_or(0.0);
            assert!(
                (got - share).abs() < 0.01,
                "{extra:?} {name}: {got} vs {share}"
            );
        }
    }
}
