//! Helpers shared by the integration tests: running the binary, golden files, fixtures.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The folded fixtures copied from the shared recordings (see testdata/README.md).
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

/// The recordings kept in `testdata/fixtures` (a copy of the project's shared recordings, see
/// its README): perf.data files, the binaries they sampled, and what perf, inferno and samply
/// said about them. Large files are stored zstd-compressed as `NAME.zst`; this returns a folder
/// under the test target directory where every file has its original name and content, made
/// once per test process (tests need plain files: the symbolizer looks binaries up by name).
pub fn shared_fixtures() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    let dir = DIR.get_or_init(|| laid_out("fixtures")).clone();
    assert!(
        dir.join("kallsyms.txt.gz").is_file(),
        "{}: the recordings are incomplete",
        dir.display()
    );
    dir
}

/// `testdata/<name>` with its `*.zst` files decompressed, in a folder under the test target
/// directory (see [`shared_fixtures`]).
pub fn laid_out(name: &str) -> PathBuf {
    // Test threads of one process share the folder a copy is built in.
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let source = root().join("testdata").join(name);
    let dest = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    materialize(&source, &dest).unwrap_or_else(|e| {
        panic!(
            "{} -> {}: cannot lay out the test recordings: {e}",
            source.display(),
            dest.display()
        )
    });
    dest
}

/// Copy `source` to `dest`, decompressing `*.zst` files. Built in a folder of this process's
/// own and renamed into place, so two test binaries never see a half-written copy.
fn materialize(source: &Path, dest: &Path) -> std::io::Result<()> {
    let stamp = fixture_stamp(source)?;
    if std::fs::read_to_string(dest.join(".stamp")).is_ok_and(|s| s == stamp) {
        return Ok(());
    }
    let tmp = dest.with_extension(format!("tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    copy_tree(source, &tmp)?;
    std::fs::write(tmp.join(".stamp"), &stamp)?;
    let _ = std::fs::remove_dir_all(dest);
    match std::fs::rename(&tmp, dest) {
        Ok(()) => Ok(()),
        // Another test process put an identical copy in place first.
        Err(_) if dest.join(".stamp").is_file() => std::fs::remove_dir_all(&tmp),
        Err(e) => Err(e),
    }
}

/// Names and sizes of every stored file: a copy with the same stamp is up to date.
fn fixture_stamp(dir: &Path) -> std::io::Result<String> {
    let mut lines = Vec::new();
    for entry in walk(dir)? {
        let len = entry.metadata()?.len();
        lines.push(format!("{} {len}", entry.display()));
    }
    lines.sort();
    Ok(lines.join("\n"))
}

fn walk(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(walk(&path)?);
        } else {
            files.push(path);
        }
    }
    Ok(files)
}

fn copy_tree(source: &Path, dest: &Path) -> std::io::Result<()> {
    for file in walk(source)? {
        let relative = file.strip_prefix(source).expect("walked below source");
        let mut target = dest.join(relative);
        std::fs::create_dir_all(target.parent().expect("a file has a parent"))?;
        if file.extension().is_some_and(|e| e == "zst") {
            target.set_extension("");
            let input = std::io::BufReader::new(std::fs::File::open(&file)?);
            let mut decoder = ruzstd::decoding::StreamingDecoder::new(input)
                .map_err(|e| std::io::Error::other(format!("{}: {e}", file.display())))?;
            let mut output = std::fs::File::create(&target)?;
            std::io::copy(&mut decoder, &mut output)?;
        } else {
            std::fs::copy(&file, &target)?;
        }
    }
    Ok(())
}

/// Every perf.data recording in the shared fixtures: (case folder, recording name).
pub fn perf_recordings() -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    for case in std::fs::read_dir(shared_fixtures()).unwrap().flatten() {
        if !case.path().is_dir() {
            continue;
        }
        for file in std::fs::read_dir(case.path()).unwrap().flatten() {
            let name = file.file_name().to_string_lossy().into_owned();
            if let Some(rec) = name.strip_suffix(".perf.data") {
                out.push((case.path(), rec.to_owned()));
            }
        }
    }
    out.sort();
    assert!(
        out.len() >= 20,
        "expected the shared perf.data recordings, found {}",
        out.len()
    );
    out
}

/// `profview <command> <case>/<rec>.perf.data --symbol-path <case> --kallsyms ...` + `extra`.
pub fn profview_on_recording(command: &str, case: &Path, rec: &str, extra: &[&str]) -> String {
    let kallsyms = shared_fixtures().join("kallsyms.txt.gz");
    profview_with_kallsyms(command, case, rec, &kallsyms, extra)
}

/// As [`profview_on_recording`], with the kernel symbols of another boot.
pub fn profview_with_kallsyms(
    command: &str,
    case: &Path,
    rec: &str,
    kallsyms: &Path,
    extra: &[&str],
) -> String {
    let data = case.join(format!("{rec}.perf.data"));
    let mut args = vec![
        command.to_owned(),
        data.display().to_string(),
        "--symbol-path".to_owned(),
        case.display().to_string(),
        "--kallsyms".to_owned(),
        kallsyms.display().to_string(),
    ];
    args.extend(extra.iter().map(|s| (*s).to_owned()));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    stdout_of(&refs)
}

/// Weighted folded stacks, keyed by the stack text after `normalize`.
pub fn folded_map(
    text: &str,
    normalize: impl Fn(&str) -> String,
) -> std::collections::HashMap<String, f64> {
    let mut map = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let (stack, count) = line.rsplit_once(' ').expect("folded line");
        *map.entry(normalize(stack)).or_insert(0.0) += count.parse::<f64>().unwrap();
    }
    map
}

/// The share (0-1) of `expected`'s weight that `actual` does not match stack for stack.
pub fn differing_share(
    actual: &std::collections::HashMap<String, f64>,
    expected: &std::collections::HashMap<String, f64>,
) -> f64 {
    let total: f64 = expected.values().sum();
    let keys: std::collections::HashSet<&String> = actual.keys().chain(expected.keys()).collect();
    let diff: f64 = keys
        .into_iter()
        .map(|k| (actual.get(k).unwrap_or(&0.0) - expected.get(k).unwrap_or(&0.0)).abs())
        .sum();
    diff / 2.0 / total
}

/// Self percent per function name of a `report --format json` output.
pub fn self_percents(report: &serde_json::Value) -> std::collections::HashMap<String, f64> {
    report["functions"]
        .as_array()
        .expect("a functions array")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_owned(),
                f["self_percent"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// `testdata/<source>` (a C program) built with `cc FLAGS` into `dir/name`.
pub fn build_c(dir: &Path, source: &str, name: &str, flags: &[&str]) -> PathBuf {
    let out = dir.join(name);
    let status = std::process::Command::new("cc")
        .args(flags)
        .arg("-o")
        .arg(&out)
        .arg(root().join("testdata").join(source))
        .status()
        .expect("a C compiler (cc)");
    assert!(status.success(), "cc {flags:?} {source} failed");
    out
}

/// `perf record -q PERF_ARGS -o DATA -- PROGRAM ARGS`; the recording's path.
pub fn perf_record(data: &Path, perf_args: &[&str], program: &Path, args: &[&str]) -> PathBuf {
    let status = std::process::Command::new("perf")
        .args(["record", "-q"])
        .args(perf_args)
        .arg("-o")
        .arg(data)
        .arg("--")
        .arg(program)
        .args(args)
        .status()
        .expect("perf is installed (scripts/test installs it)");
    assert!(status.success(), "perf record {program:?} failed");
    data.to_owned()
}
