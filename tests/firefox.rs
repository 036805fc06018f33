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

/// Every index in a written processed profile points inside its table.
fn check_structure(doc: &Value) {
    assert_eq!(doc["meta"]["preprocessedProfileVersion"], 55);
    assert_eq!(doc["meta"]["symbolicated"], true);
    let libs = doc["libs"].as_array().unwrap().len();
    let categories = doc["meta"]["categories"].as_array().unwrap().len();
    for t in doc["threads"].as_array().unwrap() {
        let len = |table: &str| t[table]["length"].as_u64().unwrap() as usize;
        let col = |table: &str, key: &str| -> Vec<Value> {
            let c = t[table][key].as_array().unwrap().clone();
            assert_eq!(c.len(), len(table), "{table}.{key} length");
            c
        };
        let strings = t["stringArray"].as_array().unwrap().len();
        let in_range = |v: &Value, n: usize, what: &str| {
            if let Some(i) = v.as_i64() {
                assert!(i >= -1 && i < n as i64, "{what} {i} of {n}");
            }
        };
        for v in col("funcTable", "name") {
            assert!(v.as_u64().unwrap() < strings as u64);
        }
        for v in col("funcTable", "resource") {
            in_range(&v, len("resourceTable"), "resource");
        }
        for v in col("resourceTable", "lib") {
            in_range(&v, libs, "lib");
        }
        for v in col("frameTable", "func") {
            in_range(&v, len("funcTable"), "func");
        }
        for v in col("frameTable", "category") {
            in_range(&v, categories, "category");
        }
        let prefixes = col("stackTable", "prefix");
        for (i, v) in prefixes.iter().enumerate() {
            if let Some(p) = v.as_u64() {
                assert!((p as usize) < i, "stack prefix after its stack");
            }
        }
        for v in col("stackTable", "frame") {
            in_range(&v, len("frameTable"), "frame");
        }
        for v in col("samples", "stack") {
            in_range(&v, len("stackTable"), "stack");
        }
        col("samples", "weight");
        col("samples", "time");
    }
}

fn shares(report: &Value) -> std::collections::HashMap<String, f64> {
    common::self_percents(report)
}

#[test]
fn convert_to_firefox_round_trips_perf_data_and_folded() {
    let dir = tempfile::tempdir().unwrap();
    let kallsyms = shared_fixtures()
        .join("kallsyms.txt.gz")
        .display()
        .to_string();
    let mut inputs: Vec<(String, Vec<String>)> = Vec::new();
    for case in ["hotspot", "contention", "rayon", "cpp_templates"] {
        let case_dir = shared_fixtures().join(case);
        let data = case_dir.join("fp.perf.data").display().to_string();
        let extra = vec![
            "--symbol-path".to_owned(),
            case_dir.display().to_string(),
            "--kallsyms".to_owned(),
            kallsyms.clone(),
        ];
        inputs.push((data, extra));
        let folded = format!("testdata/{case}/fp.folded");
        if std::path::Path::new(&folded).is_file() {
            inputs.push((folded, Vec::new()));
        }
    }
    for (i, (input, extra)) in inputs.iter().enumerate() {
        let out = dir
            .path()
            .join(format!("p{i}.json.gz"))
            .display()
            .to_string();
        let mut args = vec!["convert", input.as_str(), "--to", "firefox", "-o", &out];
        args.extend(extra.iter().map(String::as_str));
        stdout_of(&args);
        let mut direct = vec!["report", input.as_str(), "--format", "json"];
        direct.extend(extra.iter().map(String::as_str));
        let direct: Value = serde_json::from_str(&stdout_of(&direct)).unwrap();
        let back: Value =
            serde_json::from_str(&stdout_of(&["report", &out, "--format", "json"])).unwrap();
        assert_eq!(back["format"], "Firefox processed profile", "{input}");
        let (a, b) = (shares(&direct), shares(&back));
        for (name, pct) in &a {
            let other = b.get(name).copied().unwrap_or(0.0);
            assert!(
                (pct - other).abs() <= 0.1,
                "{input}: {name} {pct} vs {other} after round trip"
            );
        }
        assert_eq!(a.len(), b.len(), "{input}: function count");
        let file = std::fs::File::open(&out).unwrap();
        let doc: Value = serde_json::from_reader(flate2::read::GzDecoder::new(file)).unwrap();
        check_structure(&doc);
    }
}

#[test]
fn convert_to_folded_equals_collapse() {
    let native = shared_fixtures()
        .join("hotspot/fp.samply.json.gz")
        .display()
        .to_string();
    let symbols = shared_fixtures().join("hotspot").display().to_string();
    let converted = stdout_of(&[
        "convert",
        &native,
        "--to",
        "folded",
        "--symbol-path",
        &symbols,
    ]);
    let collapsed = stdout_of(&["collapse", &native, "--symbol-path", &symbols]);
    assert_eq!(converted, collapsed);
    assert!(converted.contains("hot_loop"));
}
