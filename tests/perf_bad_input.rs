//! Damaged and unexpected perf.data input: a clear error or a counted warning, never a panic,
//! and whatever can be read is still reported.

mod common;

use common::{profview, shared_fixtures};

fn hotspot_fp() -> Vec<u8> {
    std::fs::read(shared_fixtures().join("hotspot/fp.perf.data")).unwrap()
}

/// Run `profview report` on `bytes`; returns (exit code, stdout, stderr).
fn report_bytes(bytes: &[u8], extra: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("damaged.perf.data");
    std::fs::write(&path, bytes).unwrap();
    let symbol_path = shared_fixtures().join("hotspot");
    let out = profview()
        .args(["report", path.to_str().unwrap(), "--symbol-path"])
        .arg(&symbol_path)
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr,
    )
}

#[test]
fn a_file_cut_inside_the_header_is_a_one_line_error() {
    let data = hotspot_fp();
    for cut in [8, 16, 64, 103] {
        let (code, stdout, stderr) = report_bytes(&data[..cut], &[]);
        assert_eq!(code, 1, "cut at {cut}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("damaged.perf.data"), "{stderr}");
    }
}

#[test]
fn a_file_cut_among_its_records_still_reports_what_came_before() {
    let data = hotspot_fp();
    for cut in [5_000, 20_000, 60_000, 100_000, data.len() - 1] {
        let (code, stdout, stderr) = report_bytes(&data[..cut], &[]);
        assert_eq!(code, 0, "cut at {cut}: {stderr}");
        let first_row = stdout.lines().find(|l| l.contains('%')).unwrap_or_default();
        assert!(first_row.ends_with("hot_loop"), "cut at {cut}: {first_row}");
        assert!(
            stderr.contains("cut short or damaged"),
            "cut at {cut}: {stderr}"
        );
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let clean = hotspot_fp();
    // A fixed xorshift sequence, so a failure reproduces.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for round in 0..24 {
        let mut data = clean.clone();
        for _ in 0..(1 + round * 8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = (state as usize) % data.len();
            data[at] ^= (state >> 32) as u8 | 1;
        }
        let (code, _, stderr) = report_bytes(&data, &[]);
        assert!(
            code == 0 || code == 1,
            "round {round}: exit {code}: {stderr}"
        );
        if code == 1 {
            // Counted warnings may come first; the error itself is one line.
            let errors = stderr
                .lines()
                .filter(|l| !l.starts_with("profview: warning:"));
            assert_eq!(errors.count(), 1, "round {round}: {stderr}");
        }
    }
}

#[test]
fn garbage_after_the_magic_is_a_clear_error() {
    let mut data = b"PERFILE2".to_vec();
    data.extend(std::iter::repeat_n(0xab, 500));
    let (code, _, stderr) = report_bytes(&data, &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("perf.data"), "{stderr}");
}

#[test]
fn missing_binaries_leave_offsets_and_a_warning() {
    let data = std::fs::read(shared_fixtures().join("hotspot/fp.perf.data")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fp.perf.data");
    std::fs::write(&path, data).unwrap();
    let out = profview()
        .args(["report", path.to_str().unwrap(), "--top", "1"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Unnamed code is still attributed to its module: one function named after it, as
    // inferno does, not a row per address.
    let first_row = stdout.lines().find(|l| l.contains('%')).unwrap();
    assert!(first_row.contains("hotspot_fp  [hotspot_fp]"), "{stdout}");
    // Without symbolization the addresses stay (what perf script prints).
    let raw = profview()
        .args(["collapse", path.to_str().unwrap(), "--no-symbolize"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&raw.stdout).contains(";hotspot_fp+0x"));
    assert!(
        stderr.contains("hotspot_fp: addresses could not be symbolized"),
        "{stderr}"
    );
    assert!(stderr.contains("--symbol-path"), "{stderr}");
}

#[test]
fn a_binary_with_another_build_id_is_not_used() {
    // hotspot_nofp has the recorded name's neighbour's code: copy it under hotspot_fp's name.
    let fixtures = shared_fixtures();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures.join("hotspot/hotspot_nofp"),
        dir.path().join("hotspot_fp"),
    )
    .unwrap();
    let out = profview()
        .args([
            "report",
            fixtures.join("hotspot/fp.perf.data").to_str().unwrap(),
            "--top",
            "1",
        ])
        .arg("--symbol-path")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stdout.contains("hot_loop"),
        "a mismatched binary was used: {stdout}"
    );
    assert!(stderr.contains("build-id"), "{stderr}");
}
