//! `profview annotate`: a function's time by source line.

use std::io::Write;
use std::path::PathBuf;

use profview::analyze::{annotate, Annotation, LineWeight};

use super::args::{AnnotateArgs, OutputFormat};
use super::{load, output};

/// Source lines shown around the hot ones.
const CONTEXT: u32 = 2;
/// Lines of the hottest-lines summary.
const HOTTEST: usize = 10;

/// Run `profview annotate`.
pub fn run(args: &AnnotateArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input.to_input(), false)?;
    let a = annotate(&profile, kind, &args.function)?;
    let share = 100.0 * a.self_weight / profile.total_weight(kind).max(f64::MIN_POSITIVE);
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &a)?;
            writeln!(out)?;
        }
        OutputFormat::Text => write_text(&mut out, &a, share, &args.source_paths)?,
    }
    out.flush()?;
    Ok(())
}

fn write_text(
    out: &mut dyn Write,
    a: &Annotation,
    share: f64,
    remaps: &[String],
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
    let path = remapped(&file, remaps);
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

/// `file` with the first matching `OLD=NEW` prefix replaced.
fn remapped(file: &str, remaps: &[String]) -> PathBuf {
    for remap in remaps {
        if let Some((old, new)) = remap.split_once('=') {
            if let Some(rest) = file.strip_prefix(old) {
                return PathBuf::from(format!("{new}{rest}"));
            }
        }
    }
    PathBuf::from(file)
}
