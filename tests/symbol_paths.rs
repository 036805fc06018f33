//! `--symbol-path` pointing at hostile places: thousands of unrelated files, symlink loops,
//! FIFOs and directories under a binary's name, a file that claims the right build-id but whose
//! symbols and DWARF are garbage. profview warns and goes on; it never hangs or panics.

mod common;

use std::path::Path;

use common::{profview, shared_fixtures};
use object::{Object, ObjectSection};

/// The hotspot fixture's binary with its symbol table, string table and DWARF overwritten: the
/// ELF header, program headers and build-id note stay valid.
fn garbage_with_the_right_build_id(to: &Path) {
    let mut bytes = std::fs::read(shared_fixtures().join("hotspot/hotspot_fp")).unwrap();
    let ranges: Vec<(u64, u64)> = {
        let file = object::File::parse(&bytes[..]).unwrap();
        file.sections()
            .filter(|s| {
                let name = s.name().unwrap_or("");
                name.starts_with(".debug") || matches!(name, ".symtab" | ".strtab" | ".eh_frame")
            })
            .filter_map(|s| s.file_range())
            .collect()
    };
    assert!(ranges.len() > 3, "the fixture has DWARF and symbols");
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for (start, len) in ranges {
        for b in &mut bytes[start as usize..(start + len) as usize] {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
    }
    std::fs::write(to, bytes).unwrap();
}

fn hostile_dir(root: &Path) {
    for i in 0..3000 {
        let sub = root.join(format!("d{}", i % 30));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(sub.join(format!("f{i}")), b"not a binary").unwrap();
    }
    std::os::unix::fs::symlink(".", root.join("loop")).unwrap();
    std::os::unix::fs::symlink("..", root.join("d1/up")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/hotspot_fp", root.join("d2/hotspot_fp")).unwrap();
    std::fs::create_dir_all(root.join("d3/hotspot_fp")).unwrap();
    let fifo = root.join("d4/hotspot_fp");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    garbage_with_the_right_build_id(&root.join("d5/hotspot_fp"));
}

#[test]
fn a_hostile_symbol_path_gives_warnings_not_crashes() {
    let dir = tempfile::tempdir().unwrap();
    hostile_dir(dir.path());
    let recording = shared_fixtures().join("hotspot/fp.perf.data");
    for inline in [true, false] {
        let mut cmd = profview();
        cmd.args(["report", recording.to_str().unwrap(), "--top", "3"])
            .arg("--symbol-path")
            .arg(dir.path())
            .timeout(std::time::Duration::from_secs(60));
        if !inline {
            cmd.arg("--no-inline");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(out.status.success(), "{stderr}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Samples"), "{stdout}");
    }
}

#[test]
fn a_garbage_debug_file_under_the_right_build_id_is_survived() {
    let recording = shared_fixtures().join("hotspot/fp.perf.data");
    let dir = tempfile::tempdir().unwrap();
    // Where a debug file for the recorded build-id is looked for.
    let ids = std::fs::read_to_string(shared_fixtures().join("hotspot/fp.buildids.txt")).unwrap();
    let id = ids
        .lines()
        .find(|l| l.contains("hotspot_fp"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    let debug = dir.path().join(".build-id").join(&id[..2]);
    std::fs::create_dir_all(&debug).unwrap();
    garbage_with_the_right_build_id(&debug.join(format!("{}.debug", &id[2..])));
    garbage_with_the_right_build_id(&dir.path().join("hotspot_fp"));
    let out = profview()
        .args(["report", recording.to_str().unwrap(), "--top", "3"])
        .arg("--symbol-path")
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(out.status.success(), "{stderr}");
}
