//! Replays the kept fuzz inputs (`testdata/fuzz/<target>/`: the seeds, and every input that
//! once crashed, hung or ran away with memory) through the same harnesses the fuzz targets
//! call. A harness returns on any input; a panic fails the test and names the file.

use std::path::{Path, PathBuf};

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs in {}", dir.display());
    files
}

fn replay(target: &str, harness: fn(&[u8])) {
    for path in inputs(target) {
        let bytes = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| harness(&bytes));
        assert!(outcome.is_ok(), "{target}: {} panicked", path.display());
    }
}

#[test]
fn perf_data_inputs() {
    replay("perf_data", profview_testkit::fuzzing::perf_data);
}

#[test]
fn folded_inputs() {
    replay("folded", profview_testkit::fuzzing::folded);
}

#[test]
fn firefox_inputs() {
    replay("firefox", profview_testkit::fuzzing::firefox);
}

#[test]
fn any_inputs() {
    replay("any_input", profview_testkit::fuzzing::any_input);
}

#[test]
fn elf_inputs() {
    replay("elf", profview_testkit::fuzzing::elf);
}

#[test]
fn heap_inputs() {
    replay("heap", profview_testkit::fuzzing::heap);
}

#[test]
fn pprof_inputs() {
    replay("pprof", profview_testkit::fuzzing::pprof);
}
