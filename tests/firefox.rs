//! Firefox / samply JSON against perf: `samply import` of each shared recording, and the
//! native samply recordings, read and symbolized by profview, give perf report's self shares.

mod common;

use common::{parse_perf_report, shared_fixtures, stdout_of};
use predicates::prelude::*;
use serde_json::Value;

/// `profview report FILE --no-inline` as JSON, with the case's binaries and kernel symbols.
fn report(file: &std::path::Path, case_dir: &std::path::Path) -> Value {
    let kallsyms = shared_fixtures().join("kallsyms.txt.gz");
    let (file, case_dir, kallsyms) = (
        file.display().to_string(),
        case_dir.display().to_string(),
        kallsyms.display().to_string(),
    );
    let args = [
        "report",
        &file,
        "--symbol-path",
        &case_dir,
        "--kallsyms",
        &kallsyms,
        "--no-inline",
        "--format",
        "json",
    ];
    serde_json::from_str(&stdout_of(&args)).unwrap()
}

fn self_percent(report: &Value, symbol: &str) -> f64 {
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == symbol)
        .map(|f| f["self_percent"].as_f64().unwrap())
        .sum()
}

#[test]
fn samply_imports_match_perf_report_top_ten() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for (dir, rec) in common::perf_recordings() {
        let samply = dir.join(format!("{rec}.samply.json.gz"));
        let perf = dir.join(format!("{rec}.report-self.txt"));
        if !samply.is_file() || !perf.is_file() {
            continue;
        }
        let ours = report(&samply, &dir);
        for row in parse_perf_report(&perf).iter().take(10) {
            let pct = self_percent(&ours, &row.symbol);
            if (pct - row.percents[0]).abs() > 1.0 {
                failures.push(format!(
                    "{}/{rec}: {} {pct:.2}% vs perf {:.2}%",
                    dir.display(),
                    row.symbol,
                    row.percents[0]
                ));
            }
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} samply imports found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn native_samply_recordings_match_perf_top_function() {
    for case in ["hotspot", "rayon"] {
        let dir = shared_fixtures().join(case);
        let native = dir.join("samply-native.samply.json.gz");
        let perf = parse_perf_report(&dir.join("fp.report-self.txt"));
        let top = &perf[0];
        let ours = self_percent(&report(&native, &dir), &top.symbol);
        assert!(
            (ours - top.percents[0]).abs() <= 5.0,
            "{case}: {} {ours:.2}% vs perf {:.2}% (different runs)",
            top.symbol,
            top.percents[0]
        );
    }
}

#[test]
fn sidecar_names_frames_without_binaries() {
    // No --symbol-path: rayon_tiny is not at its recorded path, so its names come from the
    // .syms.json sidecar written by samply --unstable-presymbolicate.
    let native = shared_fixtures().join("rayon/samply-native.samply.json.gz");
    let out = stdout_of(&[
        "report",
        &native.display().to_string(),
        "--no-inline",
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = doc["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"rayon_core::registry::WorkerThread::wait_until_cold"),
        "{names:?}"
    );
    assert!(
        !names.iter().any(|n| n.starts_with("rayon_tiny+0x")),
        "{names:?}"
    );
}

#[test]
fn bad_firefox_input_is_one_line_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.json");
    std::fs::write(
        &path,
        "{\"meta\": {\"preprocessedProfileVersion\": 500}, \"threads\": []}",
    )
    .unwrap();
    common::profview()
        .args(["report", &path.display().to_string()])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("version 500"))
        .stderr(predicates::str::contains("panicked").not());
    std::fs::write(&path, "{\"meta\": \n [1,,]}").unwrap();
    common::profview()
        .args(["report", &path.display().to_string()])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("line 2 column"));
}
