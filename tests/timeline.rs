//! `profview timeline` on a program written for it (testdata/programs/phases.c: a second of
//! parsing, then a second of hashing, on two threads), recorded here with perf.

mod common;

use std::path::Path;

use common::stdout_of;
use serde_json::Value;

fn record_phases(dir: &Path) -> String {
    let flags = ["-O2", "-g", "-fno-omit-frame-pointer", "-pthread"];
    let program = common::build_c(dir, "programs/phases.c", "phases", &flags);
    let data = common::perf_record(
        &dir.join("phases.data"),
        &["-F", "999", "-g"],
        &program,
        &[],
    );
    data.display().to_string()
}

#[test]
fn the_two_phases_of_a_run_are_found_at_their_times() {
    let dir = tempfile::tempdir().unwrap();
    let data = record_phases(dir.path());
    let json: Value =
        serde_json::from_str(&stdout_of(&["timeline", &data, "--format", "json"])).unwrap();
    let phases = json["phases"].as_array().unwrap();
    let names: Vec<&str> = phases
        .iter()
        .map(|p| p["top_function"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["parse_numbers", "hash_blocks"], "{json}");
    // The program switches at one second from its start (the first sample): within 50 ms.
    let change = phases[0]["end_s"].as_f64().unwrap();
    assert!((change - 1.0).abs() <= 0.05, "{json}");
    let duration = json["duration_s"].as_f64().unwrap();
    assert!((duration - 2.0).abs() <= 0.1, "{json}");
    // Both worker threads busy throughout: about one core each.
    let busy: Vec<f64> = json["threads"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["cpu_percent"].as_f64())
        .filter(|c| *c > 50.0)
        .collect();
    assert_eq!(busy.len(), 2, "{json}");
    // The second phase alone (what the timeline tells to look at) is the hashing work.
    let second = format!("{}..{}", change + 0.05, duration);
    let report = stdout_of(&["report", &data, "--time", &second, "--format", "json"]);
    let report: Value = serde_json::from_str(&report).unwrap();
    assert_eq!(report["functions"][0]["name"], "hash_blocks", "{report}");
    assert!(report["functions"][0]["self_percent"].as_f64().unwrap() > 95.0);
    // Text: a chart row per thread and the phases.
    let text = stdout_of(&["timeline", &data]);
    assert!(
        text.contains("Phases (top function by self weight):"),
        "{text}"
    );
    assert!(text.contains("% CPU"), "{text}");
    // `analyze` names the phases, with the time range to look at the first.
    let analysis: Value =
        serde_json::from_str(&stdout_of(&["analyze", &data, "--format", "json"])).unwrap();
    let finding = analysis["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "phases")
        .unwrap_or_else(|| panic!("no phases finding: {analysis}"));
    assert_eq!(
        finding["functions"],
        serde_json::json!(["parse_numbers", "hash_blocks"]),
        "{finding}"
    );
    let summary = finding["summary"].as_str().unwrap();
    assert!(
        summary.starts_with("the run has 2 phases: 0.00-"),
        "{summary}"
    );
    // The JSON says which range; the text words it as the flag that shows it.
    assert_eq!(finding["hint"]["supply"], "time_range", "{finding}");
    assert_eq!(finding["hint"]["start_s"], 0.0, "{finding}");
    let end = finding["hint"]["end_s"].as_f64().unwrap();
    let text = stdout_of(&["analyze", &data]);
    assert!(
        text.contains(&format!("`--time 0.000..{end:.3}`")),
        "{text}"
    );
}

#[test]
fn inputs_without_sample_times_have_no_timeline() {
    let out = common::profview()
        .args(["timeline", "testdata/hotspot/fp.folded"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("no times"), "{err}");
}
