//! The real binary's browser in a real terminal: tmux runs it in a 160×48 pane on a shared
//! recording, the test types keys and reads the screen back.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::shared_fixtures;

/// A tmux server of this test's own, killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start() -> Self {
        // One tmux server per session: the tests of this file run in parallel.
        static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let socket = format!("profview-test-{}-{n}", std::process::id());
        let tmux = Self { socket };
        let status = tmux
            .command()
            .args(["new-session", "-d", "-s", "pv", "-x", "160", "-y", "48"])
            .args(["bash", "--norc", "--noprofile"])
            .env("PS1", "$ ")
            .status()
            .expect("tmux is needed for this test (.ci/run installs it)");
        assert!(status.success(), "tmux new-session failed");
        tmux
    }

    fn command(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    /// Type `keys` (tmux key names, or literal text with `literal`).
    fn send(&self, keys: &[&str], literal: bool) {
        let mut c = self.command();
        c.args(["send-keys", "-t", "pv"]);
        if literal {
            c.arg("-l");
        }
        assert!(c.args(keys).status().unwrap().success());
    }

    /// The screen; with `escapes`, with its colours and attributes as escape sequences.
    fn screen(&self, escapes: bool) -> String {
        let mut c = self.command();
        c.args(["capture-pane", "-p", "-t", "pv"]);
        if escapes {
            c.arg("-e");
        }
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    }

    /// Wait until the screen contains `text`; fail with the screen after 20 s.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(false);
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no {text:?} on the screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// Wait until the program in the pane has exited and the shell runs again: what is typed
    /// before that goes to the program (a loaded machine can take a while to quit).
    fn wait_for_shell(&self) {
        let start = Instant::now();
        loop {
            let out = self
                .command()
                .args([
                    "display-message",
                    "-p",
                    "-t",
                    "pv",
                    "#{pane_current_command}",
                ])
                .output()
                .unwrap();
            if String::from_utf8_lossy(&out.stdout).trim() == "bash" {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "the program did not exit:\n{}",
                self.screen(false)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Tmux {
    /// The program in the pane exited with status 0 and left the terminal as it found it
    /// (canonical mode back on).
    fn assert_exited_cleanly(&self) {
        // Quoted apart, so that the typed command never matches what its output is waited for.
        self.send(
            &["echo \"sta\"\"tus=$?\" && stty -a | grep -o ' icanon' "],
            true,
        );
        self.send(&["Enter"], false);
        let after = self.wait_for("status=");
        assert!(after.contains("status=0"), "{after}");
        self.wait_for(" icanon");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").status();
    }
}

#[test]
fn browse_a_recording_in_a_real_terminal() {
    let case = shared_fixtures().join("hotspot");
    let bin = assert_cmd::cargo::cargo_bin!("profview");
    let command = format!(
        "{} {} --symbol-path {} --kallsyms {}",
        bin.display(),
        case.join("fp.perf.data").display(),
        case.display(),
        shared_fixtures().join("kallsyms.txt.gz").display()
    );
    let tmux = Tmux::start();
    tmux.send(&[&command], true);
    tmux.send(&["Enter"], false);

    // The first screen names the hotspot.
    let first = tmux.wait_for("single_hotspot");
    assert!(first.contains("hot_loop takes 65.3%"), "{first}");

    // Search in the functions table finds a function and selects it (drawn reversed).
    tmux.send(&["2", "/"], false);
    tmux.send(&["warm_path"], true);
    tmux.send(&["Enter"], false);
    tmux.wait_for("/warm_path (n N)");
    let styled = tmux.screen(true);
    let row = styled
        .lines()
        .find(|l| l.contains("warm_path") && l.contains('%'))
        .unwrap();
    assert!(
        row.contains("\u{1b}[7m"),
        "the match is not selected: {row:?}"
    );

    // Expanding the top-down root shows its children.
    tmux.send(&["Escape", "3"], false);
    tmux.wait_for("Top-down: callers");
    tmux.send(&["Right"], false);
    tmux.wait_for("▾ __libc_start_call_main");
    let tree = tmux.wait_for("  ▸ main");
    assert!(tree.contains("100.00%"), "{tree}");

    // The flame graph shows the hot function, also after reading the profile again without
    // inlined frames (`i`), on the same view.
    tmux.send(&["6"], false);
    tmux.wait_for("|hot_loop");
    tmux.send(&["i"], false);
    tmux.wait_for("inlined frames hidden (i)");
    tmux.wait_for("|hot_loop");

    // The help lists the keys; q quits with status 0 and the shell works normally again.
    tmux.send(&["?"], false);
    tmux.wait_for("Keys (any key closes)");
    tmux.send(&["Escape", "q"], false);
    tmux.wait_for_shell();
    tmux.assert_exited_cleanly();
}

#[test]
fn the_browser_needs_a_terminal() {
    use predicates::prelude::*;
    common::profview()
        .args(["tui", "testdata/hotspot/fp.folded"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("needs a terminal"));
    // Without a terminal, the bare command prints the report.
    common::profview()
        .arg("testdata/hotspot/fp.folded")
        .assert()
        .success()
        .stdout(predicate::str::contains("hot_loop"));
}

/// On a Rust release build with debug info (inlined std code), the first screen names what
/// `analyze` names, and the functions view ranks the function that holds the inlined code.
#[test]
fn first_screen_on_rust_builds_names_the_primary_finding() {
    let case = common::laid_out("rust_inline");
    let bin = assert_cmd::cargo::cargo_bin!("profview");
    for (rec, finding, function) in [
        (
            "hotspot.lines.dwarf",
            "single_hotspot",
            "find_matches takes",
        ),
        ("mutex.debug.fp", "lock_contention", "locking"),
    ] {
        let command = format!(
            "{} {} --symbol-path {} --kallsyms {}",
            bin.display(),
            case.join(format!("{rec}.perf.data")).display(),
            case.display(),
            case.join("kallsyms.txt.gz").display()
        );
        let tmux = Tmux::start();
        tmux.send(&[&command], true);
        tmux.send(&["Enter"], false);
        let first = tmux.wait_for(finding);
        assert!(first.contains(function), "{rec}:\n{first}");
        if rec.starts_with("hotspot") {
            tmux.send(&["2"], false);
            let table = tmux.wait_for("sorted by self");
            let rows: Vec<&str> = table.lines().filter(|l| l.contains('%')).collect();
            assert!(rows[0].contains("rustprof::find_matches"), "{table}");
            assert!(!table.contains("black_box"), "{table}");
        }
        tmux.send(&["q"], false);
        tmux.wait_for_shell();
    }
}

/// `profview record` in a terminal: Ctrl-C stops the program, perf writes what it has, and the
/// browser opens on it; the recording stays readable.
#[test]
fn ctrl_c_during_a_recording_keeps_it_and_opens_the_browser() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["-O2", "-g", "-fno-omit-frame-pointer"];
    let program = common::build_c(dir.path(), "programs/hot.c", "hot", &flags);
    let data = dir.path().join("cut.data");
    let bin = assert_cmd::cargo::cargo_bin!("profview");
    // 60 s unless interrupted.
    let command = format!(
        "{} record -o {} -- {} 60",
        bin.display(),
        data.display(),
        program.display()
    );
    let tmux = Tmux::start();
    tmux.wait_for_shell();
    tmux.send(&[&command], true);
    tmux.send(&["Enter"], false);
    // fp, or dwarf where the C library lacks frame pointers (tests/record.rs).
    tmux.wait_for("recording with --call-graph ");
    std::thread::sleep(Duration::from_millis(700));
    tmux.send(&["C-c"], false);
    let screen = tmux.wait_for("Top functions (self)");
    assert!(screen.contains("checksum"), "{screen}");
    tmux.send(&["q"], false);
    tmux.wait_for_shell();
    let report = common::stdout_of(&["report", data.to_str().unwrap()]);
    assert!(report.contains("checksum"), "{report}");
}

/// The timeline view in a real terminal: a two-phase recording, the second phase selected
/// with the keys, the views following it, and the terminal given back on quit.
#[test]
fn a_time_range_selected_in_the_timeline_view() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["-O2", "-g", "-fno-omit-frame-pointer", "-pthread"];
    let program = common::build_c(dir.path(), "programs/phases.c", "phases", &flags);
    let data = dir.path().join("phases.data");
    common::perf_record(&data, &["-F", "999", "-g"], &program, &[]);
    let bin = assert_cmd::cargo::cargo_bin!("profview");
    let tmux = Tmux::start();
    tmux.wait_for_shell();
    tmux.send(
        &[&format!("{} tui {}", bin.display(), data.display())],
        true,
    );
    tmux.send(&["Enter"], false);
    tmux.wait_for("Top functions (self)");
    tmux.send(&["7"], false);
    let screen = tmux.wait_for("Phases");
    assert!(
        screen.contains("parse_numbers") && screen.contains("hash_blocks"),
        "{screen}"
    );
    // The cursor to the middle of the run, then to its end: the second phase.
    for _ in 0..110 {
        tmux.send(&["Right"], false);
    }
    tmux.send(&["f", "End", "f"], false);
    tmux.wait_for("(u to undo)");
    tmux.send(&["2"], false);
    let functions = tmux.wait_for("Functions (");
    let first_row = functions
        .lines()
        .find(|l| l.contains('%') && !l.contains("Self"))
        .unwrap_or("");
    assert!(first_row.contains("hash_blocks"), "{functions}");
    // The same with the mouse: undo, then drag on the first thread's row from a little past
    // the middle to beyond the chart's right edge (SGR mouse reports, 1-based cells; the
    // chart starts at column 25 of the 160-column pane).
    tmux.send(&["7", "u"], false);
    tmux.wait_for("undone");
    tmux.send(&["\u{1b}[<0;95;3M"], true);
    tmux.send(&["\u{1b}[<32;130;3M"], true);
    tmux.send(&["\u{1b}[<0;160;3m"], true);
    let screen = tmux.wait_for("(u to undo)");
    // From about 1.09 s to the end of the run (which ends near, not exactly at, 2 s).
    assert!(
        screen.contains("time 1.") && screen.contains("only 1."),
        "{screen}"
    );
    tmux.send(&["2"], false);
    let functions = tmux.wait_for("Functions (");
    let first_row = functions
        .lines()
        .find(|l| l.contains('%') && !l.contains("Self"))
        .unwrap_or("");
    assert!(first_row.contains("hash_blocks"), "{functions}");
    tmux.send(&["q"], false);
    tmux.wait_for_shell();
}

/// The Lines view in a real terminal: a function's lines over its source, a missing source
/// file a note (not a failure), `--source-path` finding it again, `a` switching to the
/// instructions and back, and the terminal given back on quit.
#[test]
fn source_and_instructions_in_the_lines_view() {
    let dir = tempfile::tempdir().unwrap();
    // Compiled from a copy that is then removed: the debug info names a missing file.
    let src = dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    let programs = common::root().join("testdata/programs");
    std::fs::copy(programs.join("hot.c"), src.join("hot.c")).unwrap();
    let flags = ["-O2", "-g", "-fno-omit-frame-pointer"];
    let program = common::build_c(
        dir.path(),
        src.join("hot.c").to_str().unwrap(),
        "hot",
        &flags,
    );
    std::fs::remove_file(src.join("hot.c")).unwrap();
    let data = dir.path().join("hot.data");
    common::perf_record(&data, &["-F", "999", "-g"], &program, &[]);
    let bin = assert_cmd::cargo::cargo_bin!("profview");
    let tmux = Tmux::start();
    tmux.wait_for_shell();
    let open = |extra: &str| {
        tmux.send(
            &[&format!("{} tui {} {extra}", bin.display(), data.display())],
            true,
        );
        tmux.send(&["Enter"], false);
        tmux.wait_for("Top functions (self)");
        // The functions table opens on the hottest, checksum; `a` shows its lines.
        tmux.send(&["2", "a"], false);
        tmux.wait_for(": its self time by line (Enter")
    };
    let screen = open("");
    assert!(screen.contains("checksum"), "{screen}");
    tmux.wait_for("source not shown");
    tmux.wait_for("not found here");
    tmux.send(&["q"], false);
    tmux.wait_for_shell();

    let screen = open(&format!(
        "--source-path {}={}",
        src.display(),
        programs.display()
    ));
    assert!(screen.contains("hot.c:1"), "{screen}");
    tmux.wait_for("sum = (sum ^ data[i]) * 1099511628211UL;");
    tmux.send(&["a"], false);
    let asm = tmux.wait_for(": its instructions (Enter");
    assert!(asm.contains("imul"), "{asm}");
    // Source lines between the instructions, from the remapped file too.
    assert!(asm.contains("hot.c:17  sum = (sum ^ data[i])"), "{asm}");
    tmux.send(&["Enter", "a"], false);
    tmux.wait_for(": its self time by line (Enter");
    tmux.send(&["q"], false);
    tmux.wait_for_shell();
    tmux.assert_exited_cleanly();
}
