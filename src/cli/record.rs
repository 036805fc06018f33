//! `profview record -- COMMAND` and `profview cargo` (what `cargo profview` runs): record a
//! program with the real perf (or heaptrack with `--heap`), choosing the call-graph mode that
//! works for the program, then show what was recorded.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context};
use profview::symbolize::{find_library, inspect_binary, BinaryFacts};

use super::args::{
    CallGraphArg, CargoArgs, DiffArgs, InputArgs, OutputFormat, RecordArgs, ReportArgs, SourceArgs,
};

/// Stack bytes copied per sample with `--call-graph dwarf`: deep enough for Rust's stacks of
/// inlined generics and async runtimes, at 16 KiB × rate × threads of file.
const DWARF_STACK_BYTES: u32 = 16384;

/// Run `profview record`.
pub fn run(args: &RecordArgs) -> anyhow::Result<()> {
    if args.command.is_empty() && args.pid.is_none() && !args.all_cpus {
        return Err(super::UsageError(
            "nothing to record: give a command after `--` (profview record -- ./myprog args), or --pid / --all-cpus".to_owned(),
        )
        .into());
    }
    let output = output_path(args)?;
    let recorded = if args.heap {
        record_heap(args, &output)?
    } else {
        record_cpu(args, &output)?
    };
    show(args, &recorded)
}

/// Where the recording goes: `--output`, or a new folder under the temporary directory (kept;
/// its path is printed).
fn output_path(args: &RecordArgs) -> anyhow::Result<PathBuf> {
    if let Some(path) = &args.output {
        return Ok(path.clone());
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let dir = std::env::temp_dir().join(format!("profview-{}-{stamp}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = if args.heap { "heaptrack" } else { "perf.data" };
    Ok(dir.join(name))
}

/// `name` found on PATH (or as given when it has a slash).
fn find_program(name: &str) -> Option<PathBuf> {
    if name.contains('/') {
        let path = PathBuf::from(name);
        return path.is_file().then_some(path);
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The call-graph mode and why, in one line.
struct Choice {
    perf_arg: String,
    reason: String,
}

/// The call graph for `program`: the one asked for, else frame pointers when the program keeps
/// them, else DWARF. Problems with the program that the user can fix are printed as warnings.
fn choose_call_graph(args: &RecordArgs, program: Option<&Path>) -> Choice {
    let facts = program.map(|p| (p, inspect_binary(p)));
    if let Some((path, Ok(facts))) = &facts {
        warn_about(path, facts, args.call_graph);
    }
    let dwarf = format!("dwarf,{DWARF_STACK_BYTES}");
    match (args.call_graph, &facts) {
        (Some(CallGraphArg::Fp), _) => Choice {
            perf_arg: "fp".to_owned(),
            reason: "as asked".to_owned(),
        },
        (Some(CallGraphArg::Dwarf), _) => Choice {
            perf_arg: dwarf,
            reason: "as asked".to_owned(),
        },
        (Some(CallGraphArg::Lbr), _) => Choice {
            perf_arg: "lbr".to_owned(),
            reason: "as asked (Intel CPUs with LBR, not in most VMs)".to_owned(),
        },
        (None, Some((path, Ok(facts)))) if facts.keeps_frame_pointers() => {
            match runtime_library_without_frame_pointers(facts) {
                Some((library, library_facts)) => Choice {
                    perf_arg: dwarf,
                    reason: format!(
                        "{} keeps frame pointers ({}), but {} does not ({}): a frame-pointer walk would lose the callers of every sample in it (malloc, memcpy, ...); DWARF copies {} KiB of stack per sample",
                        path.display(),
                        share_text(facts),
                        library.display(),
                        share_text(&library_facts),
                        DWARF_STACK_BYTES / 1024
                    ),
                },
                None => Choice {
                    perf_arg: "fp".to_owned(),
                    reason: format!(
                        "{} keeps frame pointers ({})",
                        path.display(),
                        share_text(facts)
                    ),
                },
            }
        }
        (None, Some((path, Ok(facts)))) if facts.frame_pointer_share.is_some() => Choice {
            perf_arg: dwarf,
            reason: format!(
                "{} was built without frame pointers ({}); DWARF copies {} KiB of stack per sample",
                path.display(),
                share_text(facts),
                DWARF_STACK_BYTES / 1024
            ),
        },
        (None, Some((path, Err(e)))) => Choice {
            perf_arg: dwarf,
            reason: format!("{} could not be inspected ({e})", path.display()),
        },
        _ => Choice {
            perf_arg: dwarf,
            reason: "frame pointers could not be checked".to_owned(),
        },
    }
}

/// The C and C++ runtime libraries programs spend their time in (the allocator, memcpy and
/// the string functions, iostreams). Built without frame pointers (Debian's and most
/// distributions' before 2024), a frame-pointer walk from a sample in one of them starts
/// from whatever its code keeps in rbp: the caller is lost, or the stack is garbage.
const RUNTIME_LIBRARIES: &[&str] = &["libc.so.6", "libstdc++.so.6"];

/// The first runtime library `facts`' program links that does not keep frame pointers, and
/// what it holds.
fn runtime_library_without_frame_pointers(facts: &BinaryFacts) -> Option<(PathBuf, BinaryFacts)> {
    facts
        .needed
        .iter()
        .filter(|name| RUNTIME_LIBRARIES.contains(&name.as_str()))
        .filter_map(|name| find_library(name))
        .filter_map(|path| inspect_binary(&path).ok().map(|f| (path, f)))
        .find(|(_, f)| f.frame_pointer_share.is_some() && !f.keeps_frame_pointers())
}

fn share_text(facts: &BinaryFacts) -> String {
    let share = facts.frame_pointer_share.unwrap_or(0.0);
    let with = (share * facts.functions_checked as f64).round();
    match &facts.own_crate {
        // The standard library comes built with frame pointers whatever the program's flags.
        Some(name) => format!(
            "{with} of the {} larger functions of its own crate `{name}` set one up",
            facts.functions_checked
        ),
        None => format!(
            "{with} of its {} larger functions set one up",
            facts.functions_checked
        ),
    }
}

/// Say what in the program will make the profile poor, and the fix.
fn warn_about(path: &Path, facts: &BinaryFacts, asked: Option<CallGraphArg>) {
    let name = path.display();
    if facts.function_symbols == 0 && !facts.debuglink {
        eprintln!(
            "profview: warning: {name} is stripped (no symbol table): its functions will show as addresses. \
             Keep the symbols: Rust `strip = false` under [profile.release], C/C++ no `-s` or `strip`."
        );
    }
    if !facts.line_tables && !facts.debuglink {
        eprintln!(
            "profview: note: {name} has no line tables: no file:line and no inlined frames. \
             Rust: `debug = \"line-tables-only\"` under [profile.release]; C/C++: -g."
        );
    }
    if asked == Some(CallGraphArg::Fp) && !facts.keeps_frame_pointers() {
        eprintln!(
            "profview: warning: {name} does not keep frame pointers ({}): with --call-graph fp its stacks will be cut short. \
             Build with -C force-frame-pointers=yes (Rust) or -fno-omit-frame-pointer (C/C++), or record with --call-graph dwarf.",
            share_text(facts)
        );
    }
}

/// Record the CPU with perf into `output`.
fn record_cpu(args: &RecordArgs, output: &Path) -> anyhow::Result<PathBuf> {
    let perf = find_program("perf").ok_or_else(|| {
        anyhow!("perf is not installed: install it (Debian: apt install linux-perf; Ubuntu: apt install linux-tools-$(uname -r); Fedora: dnf install perf), then run this again")
    })?;
    let program = match (args.command.first(), args.pid) {
        (Some(name), _) => Some(find_program(name).ok_or_else(|| {
            anyhow!("cannot run {name}: no such program (not a path, not on PATH)")
        })?),
        // The running process's program, as the kernel knows it.
        (None, Some(pid)) => std::fs::read_link(format!("/proc/{pid}/exe")).ok(),
        (None, None) => None,
    };
    warn_about_kernel_symbols();
    let choice = choose_call_graph(args, program.as_deref());
    eprintln!(
        "profview: recording with --call-graph {}: {}",
        choice.perf_arg, choice.reason
    );
    let mut perf_args: Vec<OsString> = vec!["record".into(), "-o".into(), output.into()];
    perf_args.extend(["-F".into(), args.freq.to_string().into()]);
    perf_args.extend(["--call-graph".into(), choice.perf_arg.into()]);
    if let Some(event) = &args.perf_event {
        perf_args.extend(["-e".into(), event.into()]);
    } else if args.off_cpu {
        // A second event replaces perf's default one: name it.
        perf_args.extend(["-e".into(), "cpu-clock".into()]);
    }
    if args.off_cpu {
        perf_args.extend(["-e".into(), "sched:sched_switch".into()]);
    }
    if let Some(pid) = args.pid {
        perf_args.extend(["-p".into(), pid.to_string().into()]);
    }
    if args.all_cpus {
        perf_args.push("-a".into());
    }
    perf_args.push("--".into());
    match (&args.command[..], args.duration) {
        ([], seconds) => {
            // Attached: perf stops with Ctrl-C, or when `sleep` ends.
            let seconds = seconds.unwrap_or(3600.0 * 24.0);
            perf_args.extend(["sleep".into(), format!("{seconds}").into()]);
        }
        (command, _) => perf_args.extend(command.iter().map(OsString::from)),
    }
    run_recorder(&perf, &perf_args, output, "perf")?;
    Ok(output.to_owned())
}

/// Kernel frames are named from /proc/kallsyms, which shows addresses only as far as
/// `kernel.kptr_restrict` allows: 1 hides them from all but root, 2 from everyone.
fn warn_about_kernel_symbols() {
    let setting = std::fs::read_to_string("/proc/sys/kernel/kptr_restrict")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let root = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let uids = s.lines().find_map(|l| l.strip_prefix("Uid:"))?.to_owned();
            uids.split_whitespace().nth(1).map(|euid| euid == "0")
        })
        .unwrap_or(false);
    if setting >= 2 || (setting == 1 && !root) {
        eprintln!(
            "profview: note: kernel.kptr_restrict is {setting}: kernel frames will show as addresses. \
             Name them with `sudo sysctl kernel.kptr_restrict=0`, or record as root."
        );
    }
}

/// Record the heap with heaptrack into `output` (heaptrack adds `.zst`).
fn record_heap(args: &RecordArgs, output: &Path) -> anyhow::Result<PathBuf> {
    let heaptrack = find_program("heaptrack").ok_or_else(|| {
        anyhow!("heaptrack is not installed: install it (Debian/Ubuntu: apt install heaptrack; Fedora: dnf install heaptrack), then run this again")
    })?;
    if args.command.is_empty() {
        bail!(
            "--heap records a command: give it after `--` (attaching with --pid is not supported)"
        );
    }
    let mut heap_args: Vec<OsString> = vec!["-o".into(), output.into()];
    heap_args.extend(args.command.iter().map(OsString::from));
    run_recorder(&heaptrack, &heap_args, output, "heaptrack")?;
    // heaptrack names its file after `-o` with the compression's extension.
    let written = ["zst", "gz"]
        .iter()
        .map(|ext| PathBuf::from(format!("{}.{ext}", output.display())))
        .find(|p| p.is_file())
        .unwrap_or_else(|| output.to_owned());
    Ok(written)
}

/// Run the recorder with the program's output passing through; Ctrl-C stops the program and
/// the recorder writes what it has (profview itself waits). Fails with the fix when the
/// recorder could not record.
fn run_recorder(
    recorder: &Path,
    args: &[OsString],
    output: &Path,
    name: &str,
) -> anyhow::Result<()> {
    // Ctrl-C goes to the whole foreground group: perf stops the program and writes the file;
    // profview must outlive it to show the result.
    let _ = ctrlc::set_handler(|| {});
    let mut child = Command::new(recorder)
        .args(args)
        .stdin(Stdio::inherit())
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", recorder.display()))?;
    // The recorder's and the program's messages go on to stderr as they come; the last ones
    // are kept to explain a failure.
    let mut kept: Vec<String> = Vec::new();
    if let Some(stderr) = child.stderr.take() {
        let mut err = std::io::stderr();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = writeln!(err, "{line}");
            kept.push(line);
            if kept.len() > 200 {
                kept.remove(0);
            }
        }
    }
    let status = child.wait()?;
    let recorded = std::fs::metadata(output).is_ok_and(|m| m.len() > 0)
        || name == "heaptrack" && (output.with_extension("zst").exists() || status.success());
    if recorded {
        if !status.success() {
            eprintln!("profview: note: {name} exited with {status}; showing what was recorded");
        }
        return Ok(());
    }
    Err(anyhow!(recorder_failure(name, &kept, status)))
}

/// One line that says why the recorder could not record, and the fix.
fn recorder_failure(name: &str, messages: &[String], status: std::process::ExitStatus) -> String {
    let text = messages.join("\n");
    let paranoid = std::fs::read_to_string("/proc/sys/kernel/perf_event_paranoid")
        .ok()
        .map(|s| s.trim().to_owned());
    if text.contains("perf_event_paranoid")
        || text.contains("Access to performance monitoring and observability operations is limited")
        || text.contains("No permission to enable")
    {
        let now = paranoid.map_or_else(String::new, |p| format!(" (it is {p})"));
        return format!(
            "perf may not record here: kernel.perf_event_paranoid forbids it{now}. \
             Allow it with `sudo sysctl kernel.perf_event_paranoid=1` (your own processes, user and kernel), \
             or record as root"
        );
    }
    if text.contains("Operation not permitted") || text.contains("Permission denied") {
        return "the kernel refused perf events (Operation not permitted): in a container, run it with \
                --cap-add PERFMON (or SYS_ADMIN) and a seccomp profile that allows perf_event_open; \
                elsewhere check kernel.perf_event_paranoid"
            .to_owned();
    }
    let first_error = messages
        .iter()
        .find(|l| l.to_lowercase().contains("error") || l.contains("failed"))
        .or(messages.last());
    match first_error {
        Some(line) => format!("{name} did not record ({status}): {}", line.trim()),
        None => format!("{name} did not record ({status})"),
    }
}

/// Show the recording: the diff against `--compare`, the browser on a terminal, else the
/// report with its findings.
fn show(args: &RecordArgs, recorded: &Path) -> anyhow::Result<()> {
    eprintln!("profview: recorded {}", recorded.display());
    let source = SourceArgs::default();
    if let Some(old) = &args.compare {
        return super::diff::run(&DiffArgs::between(
            old.clone(),
            recorded.to_owned(),
            args.fail_on_regression,
        ));
    }
    let input = InputArgs {
        profile: recorded.to_owned(),
        more: Vec::new(),
        side: None,
        source,
    };
    let terminal = std::io::stdout().is_terminal() && std::io::stdin().is_terminal();
    if terminal && !args.no_browser {
        return super::tui::run(&input, &[]);
    }
    super::report::run(&ReportArgs {
        input,
        children: false,
        top: None,
        view: Default::default(),
        format: OutputFormat::Text,
    })
}

/// Run `profview cargo` (`cargo profview`): build the target with line tables and frame
/// pointers, then record it like `profview record`.
pub fn run_cargo(args: &CargoArgs) -> anyhow::Result<()> {
    let executable = build_target(args)?;
    let mut record = args.record.clone();
    record.command = std::iter::once(executable.display().to_string())
        .chain(args.record.command.iter().cloned())
        .collect();
    if args.bench.is_some() {
        bench_arguments(&executable, &mut record.command);
    }
    run(&record)
}

/// A bench binary runs its benchmarks with `--bench`; criterion's `--profile-time` runs each
/// for that long without its statistics, which is what a profile wants (libtest benches do
/// not know it, so it is added only to criterion's).
fn bench_arguments(executable: &Path, command: &mut Vec<String>) {
    if !command.iter().any(|a| a == "--bench") {
        command.insert(1, "--bench".to_owned());
    }
    let criterion =
        std::fs::read(executable).is_ok_and(|bytes| bytes.windows(11).any(|w| w == b"criterion::"));
    if criterion && !command.iter().any(|a| a.starts_with("--profile-time")) {
        command.insert(2, "--profile-time".to_owned());
        command.insert(3, "5".to_owned());
    }
}

/// Build the one target asked for and return its executable.
fn build_target(args: &CargoArgs) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    let kind = if args.bench.is_some() {
        "bench"
    } else {
        "build"
    };
    command.arg(kind);
    if kind == "bench" {
        command.arg("--no-run");
    }
    if !args.dev && kind == "build" {
        command.arg("--release");
    }
    for (flag, value) in [
        ("--bin", &args.bin),
        ("--example", &args.example),
        ("--test", &args.test),
        ("--bench", &args.bench),
        ("--package", &args.package),
    ] {
        if let Some(value) = value {
            command.args([flag, value]);
        }
    }
    if let Some(manifest) = &args.manifest_path {
        command.arg("--manifest-path").arg(manifest);
    }
    command.arg("--message-format=json-render-diagnostics");
    let profile = if args.dev { "DEV" } else { "RELEASE" };
    let bench_profile = if kind == "bench" { "BENCH" } else { profile };
    // Line tables unless the user's profile asks for more; frame pointers added to the user's
    // flags, not in place of them. Cargo.toml is not touched.
    for p in [profile, bench_profile] {
        let key = format!("CARGO_PROFILE_{p}_DEBUG");
        if std::env::var_os(&key).is_none() {
            command.env(&key, "line-tables-only");
        }
        command.env(format!("CARGO_PROFILE_{p}_STRIP"), "false");
    }
    let mut rustflags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !rustflags.contains("force-frame-pointers") {
        rustflags = format!("{rustflags} -C force-frame-pointers=yes")
            .trim()
            .to_owned();
    }
    command.env("RUSTFLAGS", &rustflags);
    eprintln!("profview: building with debug = \"line-tables-only\" and RUSTFLAGS=\"{rustflags}\"");
    let out = command
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!("cargo {kind} failed ({})", out.status);
    }
    executable_of(&out.stdout, args)
}

/// The executable cargo's JSON messages name for the target asked for.
fn executable_of(messages: &[u8], args: &CargoArgs) -> anyhow::Result<PathBuf> {
    let wanted = [&args.bin, &args.example, &args.test, &args.bench]
        .into_iter()
        .flatten()
        .next();
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for line in messages.split(|&b| b == b'\n') {
        let Ok(message) = serde_json::from_slice::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        if let Some(exe) = message["executable"].as_str() {
            let name = message["target"]["name"].as_str().unwrap_or("").to_owned();
            found.push((name, PathBuf::from(exe)));
        }
    }
    let chosen = match wanted {
        Some(name) => found.iter().find(|(n, _)| n == name),
        None if found.len() == 1 => found.first(),
        None => {
            let names: Vec<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
            bail!(
                "the package has several executables ({}): choose one with --bin, --example, --test or --bench",
                names.join(", ")
            );
        }
    };
    chosen
        .map(|(_, path)| path.clone())
        .ok_or_else(|| anyhow!("cargo built no executable for that target"))
}
