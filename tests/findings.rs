//! `profview analyze` on the shared fixtures: each case's primary finding is the pattern its
//! README states, for every recording of it (fp, dwarf, no call graph, off-CPU) and for the
//! folded form of the same data.

mod common;

use common::{
    laid_out, parse_perf_report, profview_on_recording, self_percents, shared_fixtures, stdout_of,
};
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

/// A C++ name without its template arguments, its last two path segments: perf's demangler
/// writes `std::istream::sentry::sentry` where ours writes `std::basic_istream<char, ...>::
/// sentry::sentry`.
fn last_segments(name: &str) -> String {
    let mut depth = 0;
    let plain: String = name
        .chars()
        .filter(|&c| {
            match c {
                '<' => depth += 1,
                '>' => depth -= 1,
                _ => return depth == 0,
            }
            false
        })
        .collect();
    let segments: Vec<&str> = plain.rsplit("::").take(2).collect();
    segments.into_iter().rev().collect::<Vec<_>>().join("::")
}

/// testdata/cpp_parse: a C++ program reading orders with `istringstream >>`. Its function table
/// is perf report's; its time in stream extraction, sentries, locale lookups and strtod is
/// told as parsing (serialization), called from its `parse`, with `std::from_chars` advice.
#[test]
fn cpp_stream_parsing_is_serialization_called_from_parse() {
    let case = laid_out("cpp_parse");
    let data = case.join("dwarf.perf.data");
    let data = data.to_str().unwrap();
    let symbols = case.to_str().unwrap();
    let report = stdout_of(&["report", data, "--symbol-path", symbols, "--format", "json"]);
    let ours = self_percents(&serde_json::from_str(&report).unwrap());
    let perf = parse_perf_report(&case.join("dwarf.report-self.txt"));
    for row in perf.iter().filter(|r| !r.kernel).take(8) {
        let got: f64 = ours
            .iter()
            .filter(|(name, _)| last_segments(name) == last_segments(&row.symbol))
            .map(|(_, p)| p)
            .sum();
        assert!(
            (got - row.percents[0]).abs() <= 1.0,
            "{}: profview {got:.2}% vs perf report {:.2}%",
            row.symbol,
            row.percents[0]
        );
    }
    let analysis = stdout_of(&[
        "analyze",
        data,
        "--symbol-path",
        symbols,
        "--format",
        "json",
    ]);
    let doc: Value = serde_json::from_str(&analysis).unwrap();
    let primary = &doc["findings"][0];
    assert_eq!(primary["kind"], "serialization", "{primary}");
    let summary = primary["summary"].as_str().unwrap();
    assert!(summary.contains("called from parse"), "{summary}");
    let advice = primary["advice"].to_string();
    assert!(advice.contains("std::from_chars"), "{advice}");
}
