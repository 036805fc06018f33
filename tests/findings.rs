//! `profview analyze` on the shared fixtures: each case's primary finding is the pattern its
//! README states, for every recording of it (fp, dwarf, no call graph, off-CPU) and for the
//! folded form of the same data.

mod common;

use common::{profview_on_recording, shared_fixtures, stdout_of};
use serde_json::Value;

/// (case folder, the primary finding its README states).
const CASES: &[(&str, &str)] = &[
    ("hotspot", "single_hotspot"),
    ("distributed", "distributed_cost"),
    ("contention", "lock_contention"),
    ("rayon", "framework_overhead"),
    ("alloc", "excessive_allocation"),
];

fn kinds(json: &str) -> Vec<String> {
    let doc: Value = serde_json::from_str(json).expect("analyze JSON");
    doc["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| f["kind"].as_str().expect("kind").to_owned())
        .collect()
}

fn recordings(case: &str) -> Vec<String> {
    let dir = shared_fixtures().join(case);
    let mut recs: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .filter_map(|f| {
            let name = f.file_name().to_string_lossy().into_owned();
            name.strip_suffix(".perf.data").map(str::to_owned)
        })
        .collect();
    recs.sort();
    recs
}

#[test]
fn every_perf_recording_gets_its_cases_primary_finding() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (case, expected) in CASES {
        let dir = shared_fixtures().join(case);
        for rec in recordings(case) {
            let json = profview_on_recording("analyze", &dir, &rec, &["--format", "json"]);
            let found = kinds(&json);
            checked += 1;
            if found.first().map(String::as_str) != Some(*expected) {
                failures.push(format!("{case}/{rec}: expected {expected}, got {found:?}"));
            }
        }
    }
    assert!(checked >= 12, "only {checked} recordings found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_folded_file_gets_its_cases_primary_finding() {
    let mut failures = Vec::new();
    for (case, expected) in CASES {
        for rec in recordings(case) {
            let folded = shared_fixtures().join(case).join(format!("{rec}.folded"));
            if !folded.is_file() {
                continue;
            }
            let path = folded.display().to_string();
            let found = kinds(&stdout_of(&["analyze", &path, "--format", "json"]));
            if found.first().map(String::as_str) != Some(*expected) {
                failures.push(format!(
                    "{case}/{rec}.folded: expected {expected}, got {found:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn findings_carry_evidence_and_advice() {
    // DWARF stacks keep the caller of glibc's lock functions (fp stacks skip it: glibc has no
    // frame pointers).
    let dir = shared_fixtures().join("contention");
    let json = profview_on_recording("analyze", &dir, "dwarf", &["--format", "json"]);
    let doc: Value = serde_json::from_str(&json).unwrap();
    let first = &doc["findings"][0];
    let score = first["score"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&score), "score {score}");
    assert!(first["summary"].as_str().unwrap().contains('%'));
    assert!(!first["evidence"].as_array().unwrap().is_empty());
    assert!(!first["advice"].as_array().unwrap().is_empty());
    let evidence = first["evidence"].to_string();
    assert!(
        evidence.contains("called from worker_thread"),
        "the lock's callers are named: {evidence}"
    );
}

#[test]
fn diagnostics_name_missing_call_graphs_and_frame_pointers() {
    let dir = shared_fixtures().join("hotspot");
    let diag = |rec: &str| {
        let json = profview_on_recording("analyze", &dir, rec, &["--format", "json"]);
        let doc: Value = serde_json::from_str(&json).unwrap();
        doc["diagnostics"].to_string()
    };
    assert!(diag("nocg").contains("no_call_graph"));
    assert!(diag("nofp-fp").contains("missing_frame_pointers"));
    assert!(!diag("fp").contains("missing_frame_pointers"));
}

#[test]
fn report_shows_the_primary_finding_under_its_table() {
    let dir = shared_fixtures().join("hotspot");
    let text = profview_on_recording("report", &dir, "fp", &[]);
    assert!(text.contains("Primary finding"), "{text}");
    assert!(text.contains("single_hotspot"), "{text}");
}

#[test]
fn every_samply_file_gets_its_cases_primary_finding() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let kallsyms = shared_fixtures()
        .join("kallsyms.txt.gz")
        .display()
        .to_string();
    for (case, expected) in CASES {
        let dir = shared_fixtures().join(case);
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|f| f.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".samply.json.gz"))
            .collect();
        files.sort();
        for file in files {
            let path = dir.join(&file).display().to_string();
            let symbols = dir.display().to_string();
            let args = [
                "analyze",
                &path,
                "--symbol-path",
                &symbols,
                "--kallsyms",
                &kallsyms,
                "--format",
                "json",
            ];
            let found = kinds(&stdout_of(&args));
            checked += 1;
            if found.first().map(String::as_str) != Some(*expected) {
                failures.push(format!("{case}/{file}: expected {expected}, got {found:?}"));
            }
        }
    }
    assert!(checked >= 12, "only {checked} samply files found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
