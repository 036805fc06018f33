//! `profview annotate`: a function's time by source line.

use std::io::Write;

use profview::analyze::{annotate, Annotation, InstructionWeight, LineWeight};
use profview::code::{self, Instructions};

use super::args::{AnnotateArgs, OutputFormat};
use super::{load, output};

/// Source lines shown around the hot ones.
const CONTEXT: u32 = 2;
/// Lines of the hottest-lines summary.
const HOTTEST: usize = 10;

/// `remaps` (`--source-path OLD=NEW`), then the local toolchain's `rust-src` for the Rust
/// standard library's sources when it is the toolchain of `/rustc/<commit>` paths, then the
/// local cargo registry for crates built in a container. `rust_std`: look for `rust-src` (it
/// runs rustc twice).
pub fn with_local_sources(remaps: &[String], rust_std: bool) -> Vec<String> {
    let mut all = remaps.to_vec();
    if rust_std {
        all.extend(local_rust_src());
    }
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| std::path::Path::new(&h).join(".cargo")));
    if let Some(home) = cargo_home {
        all.extend(code::cargo_registry_remaps(&home));
    }
    all
}

fn local_rust_src() -> Option<String> {
    let run = |args: &[&str]| -> Option<String> {
        let out = std::process::Command::new("rustc")
            .args(args)
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let version = run(&["-vV"])?;
    let commit = version
        .lines()
        .find_map(|l| l.strip_prefix("commit-hash: "))?
        .trim()
        .to_owned();
    let sysroot = run(&["--print", "sysroot"])?;
    code::rust_src_remap(std::path::Path::new(sysroot.trim()), &commit)
}

/// Run `profview annotate`.
pub fn run(args: &AnnotateArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input.to_input(), false)?;
    let a = annotate(&profile, kind, &args.function)?;
    let share = 100.0 * a.self_weight / profile.total_weight(kind).max(f64::MIN_POSITIVE);
    let mut out = output::open_output(None)?;
    let rust_std = a.lines.iter().any(|l| l.file.starts_with("/rustc/"));
    let remaps = with_local_sources(&args.source_paths, rust_std);
    // Without the program file (or addresses) the lines are shown, with a note why the
    // instructions are not: a missing file is never a failed command.
    let mut note = None;
    if args.asm {
        match code::instructions(&profile, &a, &args.input.source.symbol_paths) {
            Ok(asm) => {
                match args.format {
                    OutputFormat::Json => write_asm_json(&mut out, &a, &asm)?,
                    OutputFormat::Text => write_asm(&mut out, &a, &asm, share, &remaps)?,
                }
                out.flush()?;
                return Ok(());
            }
            Err(e) => note = Some(format!("instructions not shown: {}", code_problem(&e))),
        }
    }
    match args.format {
        OutputFormat::Json => {
            let mut json = serde_json::to_value(&a)?;
            if let Some(note) = note {
                json["instructions"] = serde_json::json!([]);
                json["note"] = note.into();
            }
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
        OutputFormat::Text => write_text(&mut out, &a, share, &remaps, note)?,
    }
    out.flush()?;
    Ok(())
}

/// Why there are no instructions, with what to pass when the program file is elsewhere (the
/// library says what is missing; the CLI knows its flags).
pub fn code_problem(e: &code::CodeError) -> String {
    match e {
        code::CodeError::BinaryNotFound { .. } => {
            format!("{e} (pass --symbol-path DIR with the program)")
        }
        _ => e.to_string(),
    }
}

/// The annotation's fields (lines and all), with the instructions.
fn write_asm_json(out: &mut dyn Write, a: &Annotation, asm: &Instructions) -> anyhow::Result<()> {
    let mut json = serde_json::to_value(a)?;
    json["instructions"] = asm
        .instructions
        .iter()
        .map(|i| {
            serde_json::json!({
                "address": format!("{:x}", i.address),
                "self_percent": i.self_percent,
                "text": i.text,
                "line": i.source.as_ref().map(|(f, l)| format!("{f}:{l}")),
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &json)?;
    writeln!(out)?;
    Ok(())
}

fn write_text(
    out: &mut dyn Write,
    a: &Annotation,
    share: f64,
    remaps: &[String],
    note: Option<String>,
) -> std::io::Result<()> {
    let module = a
        .module
        .as_deref()
        .map_or(String::new(), |m| format!(" ({m})"));
    writeln!(out, "# profview annotate: {}{module}", a.function)?;
    writeln!(
        out,
        "# Self: {share:.2}% of the profile; the lines' shares are of the function's self time, as perf annotate gives them"
    )?;
    if let Some(note) = note {
        writeln!(out, "# {note}")?;
    }
    if a.unknown_line_percent > 0.0 {
        writeln!(
            out,
            "# {:.2}% of it has no line (no debug info)",
            a.unknown_line_percent
        )?;
    }
    writeln!(out, "#")?;
    writeln!(out, "Hottest lines:")?;
    for l in a
        .lines
        .iter()
        .filter(|l| l.self_percent > 0.0)
        .take(HOTTEST)
    {
        writeln!(out, "  {:>7.2}%  {}", l.self_percent, where_(l))?;
    }
    // The source of the file with most of the function's own (not inlined) time.
    let Some(file) = main_file(a) else {
        return Ok(());
    };
    writeln!(out)?;
    let path = code::source_path(&file, remaps);
    let Ok(text) = std::fs::read_to_string(&path) else {
        writeln!(
            out,
            "Source: {file}: not found here (pass --source-path OLD=NEW if the sources moved)"
        )?;
        return Ok(());
    };
    writeln!(out, "Source: {}", path.display())?;
    writeln!(out, "{:>6}  {:>7}  {:>7}  text", "line", "self", "total")?;
    let own: Vec<&LineWeight> = a
        .lines
        .iter()
        .filter(|l| l.file == file && l.inlined_from.is_none())
        .collect();
    let inlined_at = |line: u32| -> f64 {
        a.lines
            .iter()
            .filter(|l| l.inlined_from.is_some() && l.call_site == Some(line))
            .map(|l| l.self_percent)
            .sum()
    };
    let wanted: Vec<u32> = own
        .iter()
        .map(|l| l.line)
        .chain(a.lines.iter().filter_map(|l| l.call_site))
        .collect();
    let mut last_shown = 0;
    for (i, text) in text.lines().enumerate() {
        let line = i as u32 + 1;
        if !wanted
            .iter()
            .any(|&w| line + CONTEXT >= w && line <= w + CONTEXT)
        {
            continue;
        }
        if last_shown != 0 && line > last_shown + 1 {
            writeln!(out, "{:>6}", "...")?;
        }
        last_shown = line;
        let row = own.iter().find(|l| l.line == line);
        let self_pct = row.map_or(0.0, |l| l.self_percent) + inlined_at(line);
        let total = row.map_or(0.0, |l| l.total_percent).max(self_pct);
        let cell = |p: f64| {
            if p > 0.0 {
                format!("{p:6.2}%")
            } else {
                String::new()
            }
        };
        writeln!(
            out,
            "{line:>6}  {:>7}  {:>7}  {text}",
            cell(self_pct),
            cell(total)
        )?;
    }
    Ok(())
}

/// Like `perf annotate --stdio`: the share of each instruction, its address and text; the
/// instructions jumps go to are marked, and the hottest ones listed first.
fn write_asm(
    out: &mut dyn Write,
    a: &Annotation,
    asm: &Instructions,
    share: f64,
    remaps: &[String],
) -> std::io::Result<()> {
    let rows = &asm.instructions;
    let module = a
        .module
        .as_deref()
        .map_or(String::new(), |m| format!(" ({m})"));
    writeln!(out, "# profview annotate --asm: {}{module}", asm.symbol)?;
    writeln!(
        out,
        "# Self: {share:.2}% of the profile; each instruction's share of the function's self time"
    )?;
    let outside = asm.outside_percent;
    if outside > 0.05 {
        writeln!(
            out,
            "# {outside:.2}% of it is at addresses outside this symbol (another copy of the code)"
        )?;
    }
    writeln!(out, "#")?;
    let mut hottest: Vec<&InstructionWeight> =
        rows.iter().filter(|r| r.self_percent > 0.0).collect();
    hottest.sort_by(|x, y| y.self_percent.total_cmp(&x.self_percent));
    writeln!(out, "Hottest instructions:")?;
    for r in hottest.iter().take(HOTTEST) {
        writeln!(
            out,
            "  {:>7.2}%  {:x}:  {}",
            r.self_percent, r.address, r.text
        )?;
    }
    writeln!(out)?;
    let targets: std::collections::HashSet<u64> =
        rows.iter().filter_map(|r| r.jump_target).collect();
    writeln!(out, " Percent |  Disassembly of {}", asm.symbol)?;
    // Source lines go before the instructions compiled from them, as perf annotate shows them.
    let mut sources: std::collections::HashMap<String, Option<Vec<String>>> =
        std::collections::HashMap::new();
    let mut last_source: Option<(&str, u32)> = None;
    for r in rows {
        if let Some((file, line)) = &r.source {
            if last_source != Some((file.as_str(), *line)) {
                let text = sources
                    .entry(file.clone())
                    .or_insert_with(|| code::source_lines(file, remaps).ok())
                    .as_ref()
                    .and_then(|lines| lines.get((*line as usize).saturating_sub(1)).cloned())
                    .unwrap_or_default();
                let short = file.rsplit('/').next().unwrap_or(file);
                writeln!(out, "{:>8} :   {short}:{line}  {}", "", text.trim())?;
                last_source = Some((file.as_str(), *line));
            }
        }
        let percent = if r.self_percent > 0.0 {
            format!("{:8.2}", r.self_percent)
        } else {
            String::new()
        };
        let mark = if targets.contains(&r.address) {
            "→"
        } else {
            " "
        };
        writeln!(out, "{percent:>8} : {mark}{:>6x}:   {}", r.address, r.text)?;
    }
    Ok(())
}

/// `file:line`, and for inlined code where it came in.
fn where_(l: &LineWeight) -> String {
    match (&l.inlined_from, l.call_site) {
        (Some(f), Some(at)) => format!("{}:{}  ({f}, inlined at line {at})", l.file, l.line),
        (Some(f), None) => format!("{}:{}  ({f}, inlined)", l.file, l.line),
        _ => format!("{}:{}", l.file, l.line),
    }
}

/// The file holding most of the function's own lines' weight.
fn main_file(a: &Annotation) -> Option<String> {
    let mut by_file: Vec<(String, f64)> = Vec::new();
    for l in a.lines.iter().filter(|l| l.inlined_from.is_none()) {
        match by_file.iter_mut().find(|(f, _)| *f == l.file) {
            Some((_, w)) => *w += l.total_percent,
            None => by_file.push((l.file.clone(), l.total_percent)),
        }
    }
    by_file
        .into_iter()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(f, _)| f)
}
