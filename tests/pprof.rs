//! pprof in and out. In: Go's CPU and heap profiles of testdata/pprof/main.go, against what
//! `go tool pprof -top -noinlines` said of them (kept beside them). Out: `convert --to pprof`
//! of every shared perf.data recording, read by the real `go tool pprof` (installed by
//! scripts/test) and by profview again, against profview's report of the original.

mod common;

use std::collections::HashMap;
use std::process::Command;

use common::{profview, stdout_of};
use serde_json::Value;

/// The rows of `go tool pprof -top` output: (name, flat percent).
fn go_top_rows(text: &str) -> Vec<(String, f64)> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let percent = words.get(1)?.strip_suffix('%')?.parse().ok()?;
            // The name is everything after the five number columns (C++ names have spaces).
            let name = words.get(5..)?.join(" ");
            Some((name, percent))
        })
        .collect()
}

/// profview's report of `path` as (name, self percent), heaviest first.
fn profview_rows(args: &[&str]) -> Vec<(String, f64)> {
    let mut all = vec!["report"];
    all.extend_from_slice(args);
    all.extend(["--format", "json"]);
    let report: Value = serde_json::from_str(&stdout_of(&all)).unwrap();
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["self_percent"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// A name as go tool pprof shortens it: without template and generic arguments, and without
/// the `[crate::path]` profview puts after a bare name from a library crate.
fn go_short_name(name: &str) -> String {
    let name = match name.rsplit_once(" [") {
        Some((bare, _)) if name.ends_with(']') => bare,
        _ => name,
    };
    let mut out = String::new();
    let mut depth = 0;
    for c in name.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Each of go tool pprof's ten first rows (of 0.5% or more) is profview's row of the same
/// name within 0.5 point.
fn assert_tops_agree(what: &str, go: &[(String, f64)], ours: &[(String, f64)]) {
    let ours: HashMap<String, f64> = ours.iter().fold(HashMap::new(), |mut m, (name, p)| {
        *m.entry(go_short_name(name)).or_default() += p;
        m
    });
    let checked: Vec<&(String, f64)> = go.iter().take(10).filter(|(_, p)| *p >= 0.5).collect();
    assert!(!checked.is_empty(), "{what}: no rows from go tool pprof");
    for (name, percent) in checked {
        let mine = ours.get(&go_short_name(name)).copied().unwrap_or(0.0);
        assert!(
            (mine - percent).abs() <= 0.5,
            "{what}: {name} is {percent}% in go tool pprof, {mine}% in profview"
        );
    }
}

#[test]
fn go_cpu_and_heap_profiles_report_as_go_tool_pprof_shows_them() {
    let dir = common::root().join("testdata/pprof");
    let cases = [
        ("go-cpu.pb.gz", "cpu", "go-cpu.top.txt"),
        (
            "go-heap.pb.gz",
            "alloc_objects",
            "go-heap.alloc_objects.top.txt",
        ),
        (
            "go-heap.pb.gz",
            "alloc_space",
            "go-heap.alloc_space.top.txt",
        ),
        (
            "go-heap.pb.gz",
            "inuse_objects",
            "go-heap.inuse_objects.top.txt",
        ),
        (
            "go-heap.pb.gz",
            "inuse_space",
            "go-heap.inuse_space.top.txt",
        ),
    ];
    for (file, event, oracle) in cases.into_iter().chain([
        // pprof-rs through criterion: one location per function, no lines or addresses.
        (
            "criterion/parse/profile/profile.pb",
            "cpu",
            "criterion-parse.top.txt",
        ),
        (
            "criterion/checksum/profile/profile.pb",
            "cpu",
            "criterion-checksum.top.txt",
        ),
    ]) {
        let go = go_top_rows(&std::fs::read_to_string(dir.join(oracle)).unwrap());
        let path = dir.join(file);
        let ours = profview_rows(&[path.to_str().unwrap(), "--event", event]);
        assert_tops_agree(&format!("{file} {event}"), &go, &ours);
    }
    // A criterion run's folder is its benchmarks summed, each a process named after it.
    let criterion = dir.join("criterion");
    let summed = stdout_of(&["report", criterion.to_str().unwrap()]);
    assert!(
        summed.contains("# profview report: 2 profiles (pprof profile)"),
        "{summed}"
    );
    assert!(
        summed.contains("checksum") && summed.contains("from_ascii_radix"),
        "{summed}"
    );
    // The default event is Go's default sample type: the live heap.
    let report = stdout_of(&["report", dir.join("go-heap.pb.gz").to_str().unwrap()]);
    assert!(report.contains("of event 'inuse_space'"), "{report}");
    assert!(report.contains("main.cacheResults"), "{report}");
    let cpu = stdout_of(&["analyze", dir.join("go-cpu.pb.gz").to_str().unwrap()]);
    assert!(cpu.contains("crypto/sha256.block"), "{cpu}");
    // Go's allocator is allocation, with Go's advice (not jemalloc's).
    assert!(cpu.contains("excessive_allocation"), "{cpu}");
    assert!(
        cpu.contains("sync.Pool") && !cpu.contains("jemalloc"),
        "{cpu}"
    );
}

/// `go tool pprof ARGS` (installed by scripts/test).
fn go_tool_pprof(args: &[&str]) -> String {
    let out = Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .output()
        .expect("go is installed (scripts/test installs golang-go)");
    assert!(
        out.status.success(),
        "go tool pprof {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn converted_recordings_read_the_same_in_go_tool_pprof_and_in_profview() {
    let dir = tempfile::tempdir().unwrap();
    let kallsyms = common::shared_fixtures().join("kallsyms.txt.gz");
    for (case, rec) in common::perf_recordings() {
        let data = case.join(format!("{rec}.perf.data"));
        let name = format!("{}-{rec}", case.file_name().unwrap().to_string_lossy());
        let pb = dir.path().join(format!("{name}.pb.gz"));
        let symbols = [
            "--symbol-path",
            case.to_str().unwrap(),
            "--kallsyms",
            kallsyms.to_str().unwrap(),
        ];
        let mut args = vec!["convert", data.to_str().unwrap(), "--to", "pprof", "-o"];
        args.push(pb.to_str().unwrap());
        args.extend(symbols);
        profview().args(&args).assert().success();
        let mut original_args = vec![data.to_str().unwrap()];
        original_args.extend(symbols);
        let original = profview_rows(&original_args);
        // go tool pprof attributes inlined code to the function that holds it with
        // -noinlines, as profview's report does.
        let go = go_top_rows(&go_tool_pprof(&[
            "-top",
            "-noinlines",
            pb.to_str().unwrap(),
        ]));
        assert_tops_agree(&name, &go, &original);
        let read_back = profview_rows(&[pb.to_str().unwrap()]);
        let first = |rows: &[(String, f64)]| rows.iter().take(10).cloned().collect::<Vec<_>>();
        assert_eq!(first(&read_back), first(&original), "{name}: read back");
    }
}

#[test]
fn unsymbolized_pprof_is_symbolized_through_the_symbol_path() {
    // A recording converted without names: addresses in mappings with build-ids, as
    // jemalloc_pprof writes them. Read with --symbol-path, it names what the original names.
    let case = common::shared_fixtures().join("hotspot");
    let data = case.join("fp.perf.data");
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("addresses.pb.gz");
    profview()
        .args([
            "convert",
            data.to_str().unwrap(),
            "--to",
            "pprof",
            "--no-symbolize",
            "-o",
        ])
        .arg(&pb)
        .assert()
        .success();
    let bare = profview_rows(&[pb.to_str().unwrap(), "--no-symbolize"]);
    assert!(bare[0].0.contains("+0x"), "{bare:?}");
    let named = profview_rows(&[
        pb.to_str().unwrap(),
        "--symbol-path",
        case.to_str().unwrap(),
    ]);
    let original = profview_rows(&[
        data.to_str().unwrap(),
        "--symbol-path",
        case.to_str().unwrap(),
    ]);
    assert_eq!(named[0].0, "hot_loop", "{named:?}");
    let user = |rows: &[(String, f64)]| -> Vec<(String, f64)> {
        rows.iter()
            .filter(|(n, _)| !n.contains("0x") && !n.starts_with('['))
            .take(4)
            .cloned()
            .collect()
    };
    assert_eq!(user(&named), user(&original));
}

#[test]
fn damaged_pprof_is_an_error_or_a_warning_never_a_panic() {
    let bytes = std::fs::read(common::root().join("testdata/pprof/go-cpu.pb.gz")).unwrap();
    let plain = profview::parse::gunzip_if_needed("go", bytes).unwrap();
    let options = profview::parse::ReadOptions::default();
    for cut in (1..plain.len()).step_by(plain.len() / 97 + 1) {
        let mut options = options.clone();
        options.format = profview::InputFormat::Pprof;
        // Either a one-line error or a profile; never a panic.
        if let Err(e) = profview::parse::read_bytes("cut.pb", plain[..cut].to_vec(), &options) {
            assert!(!e.to_string().contains('\n'), "{e}");
        }
    }
    let err = profview()
        .args([
            "report",
            "--input-format",
            "pprof",
            "testdata/hotspot/fp.folded",
        ])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(stderr.contains("not a readable pprof profile"), "{stderr}");
}

#[test]
fn pprof_input_is_detected_gzipped_or_not() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(common::root().join("testdata/pprof/go-cpu.pb.gz")).unwrap();
    let plain = profview::parse::gunzip_if_needed("go", bytes).unwrap();
    let path = dir.path().join("profile.pb");
    std::fs::write(&path, &plain).unwrap();
    let report = stdout_of(&["report", path.to_str().unwrap()]);
    assert!(report.contains("(pprof profile)"), "{report}");
}

#[test]
fn several_profiles_and_folders_are_summed_with_each_input_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let cpu = common::root().join("testdata/pprof/go-cpu.pb.gz");
    for bench in ["parse", "hash"] {
        let folder = dir.path().join("criterion").join(bench).join("profile");
        std::fs::create_dir_all(&folder).unwrap();
        let plain = profview::parse::gunzip_if_needed("go", std::fs::read(&cpu).unwrap()).unwrap();
        std::fs::write(folder.join("profile.pb"), plain).unwrap();
        // criterion's own files are not profiles.
        std::fs::write(folder.parent().unwrap().join("estimates.json"), "{}").unwrap();
    }
    let one = profview_rows(&[cpu.to_str().unwrap()]);
    let folder = dir.path().join("criterion");
    let summed = profview_rows(&[folder.to_str().unwrap()]);
    let first = |rows: &[(String, f64)]| rows.iter().take(8).cloned().collect::<Vec<_>>();
    assert_eq!(first(&summed), first(&one));
    let json: Value = serde_json::from_str(&stdout_of(&[
        "report",
        folder.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    let single: Value = serde_json::from_str(&stdout_of(&[
        "report",
        cpu.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(
        json["total_weight"].as_f64().unwrap(),
        2.0 * single["total_weight"].as_f64().unwrap()
    );
    // Each input is a process of its own, named after it (criterion's bench folder).
    let options = profview::OpenOptions::default();
    let merged = profview::open_many(std::slice::from_ref(&folder), &options).unwrap();
    let names: Vec<&str> = merged
        .processes()
        .iter()
        .filter_map(|p| p.name.map(|n| merged.string(n)))
        .collect();
    assert_eq!(names, ["hash", "parse"]);
    // Inputs without an event in common are refused, naming both.
    let err = profview()
        .args(["report"])
        .arg(&cpu)
        .arg("testdata/hotspot/fp.folded")
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&err.get_output().stderr).into_owned();
    assert!(
        stderr.contains("fp.folded has period") && stderr.contains("in common"),
        "{stderr}"
    );
}

#[test]
fn two_criterion_runs_diff_per_benchmark_and_the_gate_names_the_slower_one() {
    // The second run's checksum makes an extra pass (`validate`); parse did not change.
    let run1 = common::root().join("testdata/pprof/criterion");
    let run2 = common::root().join("testdata/pprof/criterion-slower");
    let out = profview()
        .args(["diff", run1.to_str().unwrap(), run2.to_str().unwrap()])
        .args(["--fail-on-regression", "5"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |name: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for {name}:\n{text}"))
            .to_owned()
    };
    assert!(line("checksum").contains("REGRESSED"), "{text}");
    assert!(text.contains("# Both folders summed:"), "{text}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("checksum: validate +"), "{err}");
    // JSON: a diff per pair, and the whole.
    let json: Value = serde_json::from_str(&stdout_of(&[
        "diff",
        run1.to_str().unwrap(),
        run2.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    let names: Vec<&str> = json["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["checksum", "parse"]);
    assert!(json["whole"]["functions"].as_array().unwrap().len() > 5);
}

#[test]
fn pprof_to_firefox_to_pprof_keeps_the_totals() {
    let dir = tempfile::tempdir().unwrap();
    let go = common::root().join("testdata/pprof/go-cpu.pb.gz");
    let json = dir.path().join("go.json.gz");
    let back = dir.path().join("back.pb.gz");
    for (from, to, format) in [(&go, &json, "firefox"), (&json, &back, "pprof")] {
        profview()
            .arg("convert")
            .arg(from)
            .args(["--to", format, "-o"])
            .arg(to)
            .assert()
            .success();
    }
    let total = |path: &std::path::Path| -> f64 {
        let report: Value = serde_json::from_str(&stdout_of(&[
            "report",
            path.to_str().unwrap(),
            "--format",
            "json",
        ]))
        .unwrap();
        report["total_weight"].as_f64().unwrap()
    };
    assert_eq!(total(&back), total(&go));
    let first = |rows: &[(String, f64)]| rows.iter().take(8).cloned().collect::<Vec<_>>();
    assert_eq!(
        first(&profview_rows(&[back.to_str().unwrap()])),
        first(&profview_rows(&[go.to_str().unwrap()]))
    );
}
