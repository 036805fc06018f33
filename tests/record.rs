//! `profview record` and `cargo profview` on real programs, recorded with the real perf: the
//! call graph chosen from the program, the warnings that name a fix, perf's permission errors
//! turned into the fix, and a cargo target built with line tables and frame pointers.
//! (perf is part of the machine; `scripts/test` installs it where it is missing. Ctrl-C
//! during a recording is in tests/tui.rs, which drives a terminal.)

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::profview;

/// testdata/programs/hot.c built into `dir` with `flags`.
fn build_hot(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    common::build_c(dir, "programs/hot.c", name, flags)
}

/// `profview record --no-browser -o DIR/NAME EXTRA -- PROGRAM 0.4`: (exit code, stdout,
/// stderr) and the recording's path.
fn record(
    dir: &Path,
    name: &str,
    extra: &[&str],
    program: &Path,
) -> (i32, String, String, PathBuf) {
    let data = dir.join(name);
    let out = profview()
        .args(["record", "--no-browser", "-o"])
        .arg(&data)
        .args(extra)
        .arg("--")
        .arg(program)
        .arg("0.4")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        data,
    )
}

/// The first function of `perf report --stdio --no-children` on `data`.
fn perf_top(data: &Path) -> String {
    let out = Command::new("perf")
        .args(["report", "--stdio", "--no-children", "-i"])
        .arg(data)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no rows in perf report:\n{text}"));
    row.rsplit("] ").next().unwrap().trim().to_owned()
}

/// The first function of profview's report text.
fn profview_top(report: &str) -> String {
    let row = report
        .lines()
        .find(|l| !l.starts_with('#') && l.contains('%'))
        .unwrap_or_else(|| panic!("no rows in the report:\n{report}"));
    row.split_whitespace().last().unwrap().to_owned()
}

/// Whether this machine's C library keeps frame pointers: `record` walks frame pointers only
/// when the program and the C library it spends time in (malloc, memcpy) both keep them.
/// Most distributions built it without them before 2024; this VM's Debian did.
fn libc_keeps_frame_pointers() -> bool {
    let libc = profview::symbolize::find_library("libc.so.6").expect("a C library");
    let facts = profview::symbolize::inspect_binary(&libc).unwrap();
    facts
        .frame_pointer_share
        .expect("libc's exported functions are read");
    facts.keeps_frame_pointers()
}

/// The call graph `record` chose for a program that keeps frame pointers, by the C library.
fn assert_chose_for_a_frame_pointer_program(err: &str) {
    assert!(err.contains("keeps frame pointers"), "{err}");
    if libc_keeps_frame_pointers() {
        assert!(err.contains("recording with --call-graph fp: "), "{err}");
    } else {
        assert!(
            err.contains("recording with --call-graph dwarf,16384: ")
                && err.contains("libc.so.6 does not"),
            "{err}"
        );
    }
}

#[test]
fn frame_pointers_when_the_program_and_its_c_library_keep_them_else_dwarf() {
    let dir = tempfile::tempdir().unwrap();
    let with = build_hot(
        dir.path(),
        "hot-fp",
        &["-O2", "-g", "-fno-omit-frame-pointer"],
    );
    let (code, report, err, data) = record(dir.path(), "fp.data", &[], &with);
    assert_eq!(code, 0, "{err}");
    assert_chose_for_a_frame_pointer_program(&err);
    // gcc names it checksum.constprop.0; perf report names it the same.
    assert!(profview_top(&report).starts_with("checksum"), "{report}");
    assert_eq!(profview_top(&report), perf_top(&data), "{report}");

    // Recorded again against the first: the diff, not the profile.
    let compare = ["--compare", data.to_str().unwrap()];
    let (code, diff, err, _) = record(dir.path(), "again.data", &compare, &with);
    assert_eq!(code, 0, "{err}");
    assert!(
        diff.starts_with("# profview diff") && diff.contains("checksum"),
        "{diff}"
    );

    let without = build_hot(
        dir.path(),
        "hot-nofp",
        &["-O2", "-g", "-fomit-frame-pointer"],
    );
    let (code, report, err, data) = record(dir.path(), "dwarf.data", &[], &without);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("recording with --call-graph dwarf,16384: "),
        "{err}"
    );
    assert!(err.contains("built without frame pointers"), "{err}");
    assert_eq!(profview_top(&report), perf_top(&data), "{report}");
    // DWARF stacks reach main through the program's own callers (process tail-calls
    // checksum, so it is not on the stack).
    let tree = common::stdout_of(&["tree", data.to_str().unwrap(), "--format", "json"]);
    for caller in ["run", "main"] {
        assert!(
            tree.contains(&format!("\"{caller}\"")),
            "{caller} in {tree}"
        );
    }
}

#[test]
fn forced_frame_pointers_on_code_without_them_and_a_stripped_program_say_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let without = build_hot(
        dir.path(),
        "hot-nofp",
        &["-O2", "-g", "-fomit-frame-pointer"],
    );
    let (code, _, err, data) = record(dir.path(), "forced.data", &["--call-graph", "fp"], &without);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("does not keep frame pointers") && err.contains("-fno-omit-frame-pointer"),
        "{err}"
    );
    // And the recording says so too: analyze's missing-frame-pointers diagnostic.
    let json = common::stdout_of(&["analyze", data.to_str().unwrap(), "--format", "json"]);
    assert!(json.contains("\"missing_frame_pointers\""), "{json}");
    let stripped = build_hot(dir.path(), "hot-stripped", &["-O2", "-s"]);
    let (code, report, err, _) = record(dir.path(), "stripped.data", &[], &stripped);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("is stripped") && err.contains("strip = false"),
        "{err}"
    );
    assert!(err.contains("has no line tables"), "{err}");
    assert!(report.contains("# profview report"), "{report}");
}

/// A folder with a fake `perf` that fails as perf does when `perf_event_paranoid` forbids it.
fn fake_perf(dir: &Path, message: &str) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("perf");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ncat >&2 <<'EOF'\n{message}\nEOF\nexit 255\n"),
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    bin
}

#[test]
fn permission_errors_become_one_line_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let program = build_hot(dir.path(), "hot", &["-O1", "-g"]);
    let paranoid = "Error:\nAccess to performance monitoring and observability operations is limited.\n\
        Consider adjusting /proc/sys/kernel/perf_event_paranoid setting to open\naccess to performance monitoring \
        and observability operations for processes\nwithout CAP_PERFMON, CAP_SYS_PTRACE or CAP_SYS_ADMIN Linux capability.";
    let container = "Error:\nThe sys_perf_event_open() syscall returned with 1 (Operation not permitted) for event (cpu-clock).";
    for (message, fix) in [
        (paranoid, "sudo sysctl kernel.perf_event_paranoid=1"),
        (container, "--cap-add PERFMON"),
    ] {
        let bin = fake_perf(dir.path(), message);
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let out = profview()
            .env("PATH", path)
            .args(["record", "--no-browser", "-o"])
            .arg(dir.path().join("none.data"))
            .arg("--")
            .arg(&program)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with("profview: ") && last.contains(fix),
            "{err}"
        );
    }
    // No perf at all: how to install it.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = profview()
        .env("PATH", &empty)
        .args(["record", "--"])
        .arg(&program)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("perf is not installed"));
    // Nothing to record is a usage error.
    profview().args(["record"]).assert().code(2);
}

/// A cargo package with one binary whose time goes to `crunch` (behind black_box, which must
/// not be what the findings name).
fn cargo_package(dir: &Path) -> PathBuf {
    let root = dir.join("crunchy");
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"crunchy\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/main.rs"),
        r#"use std::hint::black_box;
use std::time::{Duration, Instant};

#[inline(never)]
fn crunch(data: &[u64]) -> u64 {
    let mut sum = 0u64;
    for _ in 0..64 {
        for &x in data {
            sum = (sum ^ black_box(x)).wrapping_mul(1099511628211);
        }
    }
    sum
}

fn main() {
    let data: Vec<u64> = (0..4096).collect();
    let start = Instant::now();
    let mut acc = 0;
    while start.elapsed() < Duration::from_millis(400) {
        acc ^= crunch(&data);
    }
    println!("{acc}");
}
"#,
    )
    .unwrap();
    root
}

#[test]
fn cargo_profview_builds_with_line_tables_and_frame_pointers_and_names_the_hot_function() {
    let dir = tempfile::tempdir().unwrap();
    let package = cargo_package(dir.path());
    let data = dir.path().join("cargo.data");
    let out = Command::new(env!("CARGO_BIN_EXE_cargo-profview"))
        .args([
            "profview",
            "--bin",
            "crunchy",
            "--no-browser",
            "--manifest-path",
        ])
        .arg(package.join("Cargo.toml"))
        .arg("-o")
        .arg(&data)
        .env("CARGO_TARGET_DIR", dir.path().join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let binary = dir.path().join("target/release/crunchy");
    let facts = profview::symbolize::inspect_binary(&binary).unwrap();
    assert!(facts.line_tables, "{facts:?}");
    assert!(facts.keeps_frame_pointers(), "{facts:?}");
    assert_chose_for_a_frame_pointer_program(&err);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(profview_top(&report), "crunchy::crunch", "{report}");
    let analysis = common::stdout_of(&["analyze", data.to_str().unwrap()]);
    assert!(analysis.contains("crunchy::crunch"), "{analysis}");
    assert!(!analysis.contains("black_box"), "{analysis}");
}

#[test]
fn a_plain_cargo_release_build_is_recorded_with_dwarf_though_std_keeps_frame_pointers() {
    // Rust's standard library comes built with frame pointers; a release build without
    // RUSTFLAGS compiles the program's own code without them. Over every function of this
    // small program the prebuilt library's share looks like "keeps them"; the program's own
    // crate says otherwise, and a frame-pointer walk would lose the callers of its code.
    let dir = tempfile::tempdir().unwrap();
    let package = cargo_package(dir.path());
    let target = dir.path().join("target");
    let built = Command::new("cargo")
        .args(["build", "--release", "--quiet", "--manifest-path"])
        .arg(package.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .status()
        .unwrap();
    assert!(built.success());
    let binary = target.join("release/crunchy");
    let facts = profview::symbolize::inspect_binary(&binary).unwrap();
    assert_eq!(facts.own_crate.as_deref(), Some("crunchy"), "{facts:?}");
    assert!(!facts.keeps_frame_pointers(), "{facts:?}");
    let (code, report, err, data) = record(dir.path(), "plain.data", &[], &binary);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("recording with --call-graph dwarf"), "{err}");
    assert!(err.contains("of its own crate `crunchy`"), "{err}");
    assert_eq!(profview_top(&report), "crunchy::crunch", "{report}");
    assert_eq!(profview_top(&report), perf_top(&data), "{report}");
    // DWARF stacks reach the program's main through its hot function.
    let tree = common::stdout_of(&["tree", data.to_str().unwrap(), "--format", "json"]);
    assert!(tree.contains("\"crunchy::main\""), "{tree}");
}

#[test]
fn heap_recording_runs_heaptrack_and_reports_the_sites() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["-O1", "-g", "-fno-omit-frame-pointer"];
    let program = common::build_c(dir.path(), "heap/heap.c", "heap", &flags);
    let out = profview()
        .current_dir(dir.path())
        .args(["record", "--heap", "--no-browser", "-o"])
        .arg(dir.path().join("heap.ht"))
        .arg("--")
        .arg(&program)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(dir.path().join("heap.ht.zst").is_file(), "{err}");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(report.contains("(heaptrack heap profile)"), "{report}");
    // heap.c: grow_cache holds the peak, which the report shows by default.
    assert_eq!(profview_top(&report), "grow_cache", "{report}");
}
