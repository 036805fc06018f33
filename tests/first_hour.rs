//! What a new user meets in the first hour (issue 24): every way into a file gives the same
//! answer, nothing is silently empty, warnings say something once. Most tests record a
//! program with `perf` here, so that the kernel is the running one (perf is part of the
//! machine; `scripts/test` installs it where it is missing).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::profview;

/// `perf record -F 4999 -g -o DIR/NAME -- PROGRAM...`; the recording's path.
fn record(dir: &Path, name: &str, program: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let run = Command::new("perf")
        .args(["record", "-q", "-F", "4999", "-g", "-o"])
        .arg(&out)
        .arg("--")
        .args(program)
        .output()
        .expect("perf is installed (scripts/test installs it)");
    assert!(
        run.status.success(),
        "perf record {program:?} failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out
}

/// A recording that spends most of its time in the kernel (small reads and writes).
fn kernel_heavy(dir: &Path) -> PathBuf {
    record(
        dir,
        "dd.data",
        &[
            "dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=512",
            "count=400000",
        ],
    )
}

/// Run profview; (exit code, stdout, stderr).
fn run(args: &[&str], stdin: Option<Vec<u8>>) -> (i32, String, String) {
    let mut cmd = profview();
    cmd.args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input);
    }
    let out = cmd.output().expect("run profview");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The report without its first line (which names the source).
fn body(report: &str) -> Vec<&str> {
    report.lines().skip(1).collect()
}

#[test]
fn perf_data_from_stdin_or_gzip_reports_as_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = kernel_heavy(dir.path());
    let path = data.to_str().unwrap();
    let (code, from_file, file_err) = run(&["report", path], None);
    assert_eq!(code, 0, "{file_err}");
    assert!(
        !from_file.contains("[kernel.kallsyms]+0x"),
        "the running kernel names its addresses:\n{from_file}"
    );
    let bytes = std::fs::read(&data).unwrap();
    let (code, from_stdin, stdin_err) = run(&["report", "-"], Some(bytes.clone()));
    assert_eq!(code, 0, "{stdin_err}");
    assert_eq!(body(&from_stdin), body(&from_file));

    let gz_path = dir.path().join("dd.data.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&bytes).unwrap();
    std::fs::write(&gz_path, gz.finish().unwrap()).unwrap();
    let (code, from_gz, gz_err) = run(&["report", gz_path.to_str().unwrap()], None);
    assert_eq!(code, 0, "{gz_err}");
    assert_eq!(body(&from_gz), body(&from_file));
    // The same warnings, but for the name of the input.
    assert_eq!(
        stdin_err.replace(": -: ", ": FILE: "),
        file_err.replace(&format!(": {path}: "), ": FILE: ")
    );
}

const FOLDED: &str = "testdata/hotspot/fp.folded";

#[test]
fn focus_on_an_unknown_function_is_an_error_with_the_closest_names() {
    for command in ["report", "tree", "analyze"] {
        let (code, out, err) = run(&[command, FOLDED, "--focus", "hot_lop"], None);
        assert_eq!(code, 1, "{command}: {out}{err}");
        assert!(out.is_empty(), "{command} printed a table: {out}");
        assert!(
            err.contains("--focus \"hot_lop\"") && err.contains("did you mean: hot_loop"),
            "{command}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    let (code, _, err) = run(&["report", FOLDED, "--drop", "nosuchfunction"], None);
    assert_eq!(code, 1);
    assert!(err.contains("--drop \"nosuchfunction\""), "{err}");
    let (code, _, err) = run(&["callers", FOLDED, "hot_lop"], None);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean: hot_loop"), "{err}");
}

#[test]
fn a_time_range_outside_the_recording_is_an_error_with_its_span() {
    let data = common::shared_fixtures().join("hotspot/fp.perf.data");
    let data = data.to_str().unwrap();
    for command in ["report", "tree", "analyze"] {
        let (code, out, err) = run(&[command, data, "--time", "100..200"], None);
        assert_eq!(code, 1, "{command}: {out}{err}");
        assert!(out.is_empty(), "{command}: {out}");
        assert!(
            err.contains("--time \"100..200\" keeps no samples: the recording spans 0.."),
            "{command}: {err}"
        );
    }
}

#[test]
fn findings_describe_the_samples_the_filters_keep() {
    // Dropping the hotspot leaves a profile whose hottest function is another one: the
    // finding under the table must say so, not repeat the whole profile's.
    let whole = common::stdout_of(&["report", FOLDED, "--format", "json"]);
    let whole: serde_json::Value = serde_json::from_str(&whole).unwrap();
    let hottest = whole["functions"][0]["name"].as_str().unwrap().to_owned();
    let (code, out, err) = run(
        &["report", FOLDED, "--drop", &hottest, "--format", "json"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let dropped: serde_json::Value = serde_json::from_str(&out).unwrap();
    let summary = dropped["primary_finding"]["summary"].as_str().unwrap_or("");
    assert!(
        !summary.contains(&hottest),
        "the finding names the dropped function {hottest}: {summary}"
    );
    let (code, out, _) = run(&["analyze", FOLDED, "--drop", &hottest], None);
    assert_eq!(code, 0);
    assert!(out.contains(&format!("# On the samples kept by: drop {hottest}")));
    assert!(!out.contains(&format!("{hottest} takes")), "{out}");
}

/// A shell starting many short processes: every one runs ld.so, and most samples are in
/// the kernel (exec, page faults).
fn many_processes(dir: &Path) -> PathBuf {
    record(
        dir,
        "many.data",
        &["sh", "-c", "for i in $(seq 300); do /bin/true; done"],
    )
}

#[test]
fn ld_so_is_named_and_warnings_print_once_after_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = many_processes(dir.path());
    let path = data.to_str().unwrap();
    let (code, folded, err) = run(&["collapse", path], None);
    assert_eq!(code, 0, "{err}");
    // With glibc's debug symbols (scripts/test installs them) ld.so's asm entry points and
    // PLT stubs have names, as in perf script.
    assert!(
        !folded.contains("ld-linux-x86-64.so.2+0x"),
        "unnamed ld.so frames:\n{}",
        folded
            .lines()
            .filter(|l| l.contains("ld-linux-x86-64.so.2+0x"))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(!err.contains("ld-linux"), "{err}");
    assert!(
        folded.contains(";_start;_dl_sysdep_start;dl_main"),
        "{folded}"
    );

    let (code, out, err) = run(&["report", path], None);
    assert_eq!(code, 0);
    assert!(!out.contains("warning"), "warnings belong on stderr: {out}");
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("warning")).collect();
    let mut unique = warnings.clone();
    unique.dedup();
    assert_eq!(warnings, unique, "each warning once");
    // A failed command prints its error only.
    let (code, _, err) = run(&["report", path, "--focus", "nosuch"], None);
    assert_eq!(code, 1);
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn inputs_that_are_not_profiles_say_what_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let cases: Vec<(String, &str)> = vec![
        // A folder is read as the profiles in it: this one has none.
        (
            dir.path().display().to_string(),
            "no profile in this folder",
        ),
        ("/dev/null".to_owned(), "the input is empty"),
        (exe.display().to_string(), "not a profile: an ELF file"),
    ];
    for (input, expected) in &cases {
        let (code, out, err) = run(&["report", input], None);
        assert_eq!(code, 1, "{input}: {out}{err}");
        assert!(err.contains(expected), "{input}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
    // Text that is mostly not folded stacks, with a few lines that happen to end in a number.
    let text = dir.path().join("notes.txt");
    std::fs::write(
        &text,
        "shopping list\nmilk 2\neggs and more eggs\nbread\nchapter 12\nthe end\n",
    )
    .unwrap();
    let (code, _, err) = run(&["report", text.to_str().unwrap()], None);
    assert_eq!(code, 1);
    assert!(
        err.contains(
            "not folded stacks: 4 of 6 lines are not `frame;frame;... count`, the first at line 1"
        ),
        "{err}"
    );
    // A few bad lines in a real folded file are skipped with a warning.
    let folded = dir.path().join("mostly.folded");
    std::fs::write(&folded, "main;work 10\nmain;idle 5\ngarbage\n").unwrap();
    let (code, out, err) = run(&["report", folded.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("work"), "{out}");
    assert!(err.contains("skipped malformed folded line"), "{err}");
}

#[test]
fn a_mistyped_command_is_named() {
    let (code, _, err) = run(&["reprot", FOLDED], None);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim(),
        "profview: `reprot` is not a command, nor a file; did you mean `report`?"
    );
    let (code, _, err) = run(&["bogus", FOLDED], None);
    assert_eq!(code, 2);
    assert!(
        err.starts_with("profview: `bogus` is not a command, nor a file; commands: report, "),
        "{err}"
    );
}

#[test]
fn summed_periods_in_folded_input_are_called_period() {
    // inferno-collapse-perf sums perf's periods: the unit is the event's, which the file
    // does not say.
    let out = common::stdout_of(&["report", FOLDED]);
    assert!(
        out.contains("# Total weight: 1282282281 (period)"),
        "{}",
        out.lines().take(5).collect::<Vec<_>>().join("\n")
    );
}

/// Compile `testdata/programs/NAME.c` with the system's C compiler (the one Rust links with)
/// and `flags`; the binary's path.
fn compile_c(dir: &Path, name: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let source = common::root().join(format!("testdata/programs/{name}.c"));
    let status = Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(&source)
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success(), "cc {source:?} failed");
    out
}

#[test]
fn the_vdso_is_named_and_a_stripped_program_is_one_function() {
    let dir = tempfile::tempdir().unwrap();
    // Stripped: no symbol table, so the program's own code has no names.
    let program = compile_c(
        dir.path(),
        "clock",
        &["-O2", "-fno-omit-frame-pointer", "-s"],
    );
    let data = record(dir.path(), "clock.data", &[program.to_str().unwrap()]);
    let path = data.to_str().unwrap();
    // perf record keeps the vDSO in ~/.debug/[vdso]; with a HOME that has none, profview
    // takes its own (the same kernel).
    let empty_home = tempfile::tempdir().unwrap();
    let mut cmd = profview();
    let out = cmd
        .env("HOME", empty_home.path())
        .args(["report", path, "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let shares = common::self_percents(&report);
    assert!(
        shares.get("__vdso_clock_gettime").is_some_and(|p| *p > 3.0),
        "{shares:?}"
    );
    assert!(!shares.keys().any(|k| k.contains("[vdso]")), "{shares:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("vdso"), "{stderr}");
    // The program's addresses are one function named after it, not a row per address.
    assert!(
        shares.get("[clock]").is_some_and(|p| *p > 20.0),
        "{shares:?}"
    );
    assert!(!shares.keys().any(|k| k.contains("+0x")), "{shares:?}");

    let (code, analysis, _) = run(&["analyze", path], None);
    assert_eq!(code, 0);
    assert!(
        analysis.contains("clock, whose functions have no names here, takes"),
        "{analysis}"
    );
    assert!(
        analysis.contains("build it without stripping"),
        "{analysis}"
    );
    assert!(
        !analysis.contains("Vec::"),
        "Rust advice for a C program: {analysis}"
    );
}

#[test]
fn library_errors_print_their_message_from_main() {
    // `fn main() -> Result<(), profview::Error>` prints the error's Debug form.
    let err = profview::open("no/such/profile.data").unwrap_err();
    let shown = format!("{err:?}");
    assert!(
        shown.starts_with("no/such/profile.data: cannot read: No such file"),
        "{shown}"
    );
    assert!(!shown.contains("Io {"), "{shown}");
}
