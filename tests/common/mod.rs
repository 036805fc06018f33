//! Helpers shared by the integration tests: running the binary, golden files, fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The folded fixtures copied from `../shared/fixtures` (see testdata/README.md).
pub const FOLDED_CASES: &[&str] = &[
    "hotspot",
    "distributed",
    "alloc",
    "contention",
    "cpp_templates",
    "inline_generics",
];

/// `profview` with the repository root as working directory, so paths in output are stable.
pub fn profview() -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("profview");
    cmd.current_dir(root());
    cmd
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Run profview with `args` and return stdout; fails the test on a non-zero exit.
pub fn stdout_of(args: &[&str]) -> String {
    let out = profview().args(args).output().expect("run profview");
    assert!(
        out.status.success(),
        "profview {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

/// Compare `actual` with the golden file `testdata/golden/<name>`.
///
/// `PROFVIEW_BLESS=1` rewrites the golden file instead; a missing golden file is an error, so
/// a forgotten bless cannot pass silently.
pub fn assert_golden(name: &str, actual: &str) {
    let path = root().join("testdata/golden").join(name);
    if std::env::var_os("PROFVIEW_BLESS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run with PROFVIEW_BLESS=1 to create it",
            path.display()
        )
    });
    if expected != actual {
        let first_diff = expected
            .lines()
            .zip(actual.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the output at line {}:\n expected: {:?}\n actual:   {:?}\n\
             Set PROFVIEW_BLESS=1 to update the golden file if the change is intended.",
            path.display(),
            first_diff + 1,
            expected.lines().nth(first_diff),
            actual.lines().nth(first_diff)
        );
    }
}

/// One row of a `perf report --stdio` table: percentages and the symbol.
#[derive(Debug, Clone)]
pub struct PerfRow {
    pub percents: Vec<f64>,
    pub kernel: bool,
    pub symbol: String,
}

/// Parse the rows of a `perf report --stdio` file (`--no-children` or `--children`).
pub fn parse_perf_report(path: &Path) -> Vec<PerfRow> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut percents = Vec::new();
            let mut rest = l.trim_start();
            while let Some((p, tail)) = rest.split_once('%') {
                match p.trim().parse::<f64>() {
                    Ok(v) => percents.push(v),
                    Err(_) => break,
                }
                rest = tail.trim_start();
            }
            let (marker, tail) = rest.split_at(rest.find(']')? + 1);
            // The symbol column is padded and followed by the IPC columns ("-      -").
            let symbol = tail
                .trim()
                .trim_end_matches('-')
                .trim_end()
                .trim_end_matches('-')
                .trim_end();
            Some(PerfRow {
                percents,
                kernel: marker == "[k]",
                symbol: symbol.to_owned(),
            })
        })
        .collect()
}
