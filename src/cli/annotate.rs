//! `profview annotate`: a function's time by source line.

use std::io::Write;
use std::path::PathBuf;

use profview::analyze::{annotate, Annotation, LineWeight};
use profview::symbolize::Disassembly;

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
    if args.asm {
        let asm = disassembly(&profile, &a, &args.input.source.symbol_paths)?;
        let mut rows = instruction_rows(&a, &asm);
        add_source_lines(
            &profile,
            &a,
            &asm,
            &mut rows,
            &args.input.source.symbol_paths,
        );
        match args.format {
            OutputFormat::Json => {
                let json = serde_json::json!({
                    "function": a.function,
                    "module": a.module,
                    "self_weight": a.self_weight,
                    "instructions": rows.iter().map(|r| serde_json::json!({
                        "address": format!("{:x}", r.address),
                        "self_percent": r.percent,
                        "text": r.text,
                        "line": r.source.as_ref().map(|(f, l)| format!("{f}:{l}")),
                    })).collect::<Vec<_>>(),
                });
                serde_json::to_writer_pretty(&mut out, &json)?;
                writeln!(out)?;
            }
            OutputFormat::Text => write_asm(&mut out, &a, &asm, &rows, share, &args.source_paths)?,
        }
        out.flush()?;
        return Ok(());
    }
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

/// The function's instructions, from the binary found as the symbolizer finds it.
fn disassembly(
    profile: &profview::Profile,
    a: &Annotation,
    symbol_paths: &[PathBuf],
) -> anyhow::Result<Disassembly> {
    let (Some(module), Some(&(hottest, _))) = (a.module_id, a.addresses.first()) else {
        anyhow::bail!("{}: the profile has no addresses for it (folded stacks keep none): no instructions to show", a.function);
    };
    let m = profile.module(module);
    let paths = profview::symbolize::SymbolPaths::new(symbol_paths.to_vec());
    let files = paths.locate(profile.string(m.path), m.build_id.as_deref());
    let Some(binary) = files.binary else {
        anyhow::bail!(
            "{}: not found (pass --symbol-path DIR with the program)",
            profile.string(m.path)
        );
    };
    Ok(profview::symbolize::disassemble(&binary, hottest)?)
}

/// One instruction with its share.
struct Row {
    address: u64,
    percent: f64,
    text: String,
    jump_target: Option<u64>,
    /// The source line it was compiled from (the innermost, for inlined code).
    source: Option<(String, u32)>,
}

/// Each instruction's source line, from the module's debug info as the symbolizer reads it.
fn add_source_lines(
    profile: &profview::Profile,
    a: &Annotation,
    asm: &Disassembly,
    rows: &mut [Row],
    symbol_paths: &[PathBuf],
) {
    let Some(module) = a.module_id else {
        return;
    };
    let m = profile.module(module);
    let offset_of = |address: u64| (address as i64 - asm.offset_to_address) as u64;
    let job = profview::symbolize::ModuleJob {
        path: profile.string(m.path).to_owned(),
        build_id: m.build_id.clone(),
        offsets: rows.iter().map(|r| offset_of(r.address)).collect(),
        relative: false,
    };
    let paths = profview::symbolize::SymbolPaths::new(symbol_paths.to_vec());
    let outcome = profview::symbolize::resolve_module(&job, &paths, true);
    for row in rows {
        let innermost = outcome
            .frames
            .get(&offset_of(row.address))
            .and_then(|frames| frames.last());
        row.source = innermost.and_then(|f| Some((f.file.clone()?, f.line?)));
    }
}

fn instruction_rows(a: &Annotation, asm: &Disassembly) -> Vec<Row> {
    let mut at: std::collections::HashMap<u64, f64> = std::collections::HashMap::new();
    for &(offset, percent) in &a.addresses {
        let address = (offset as i64 + asm.offset_to_address) as u64;
        *at.entry(address).or_default() += percent;
    }
    asm.instructions
        .iter()
        .map(|i| Row {
            address: i.address,
            percent: at.get(&i.address).copied().unwrap_or(0.0),
            text: i.text.clone(),
            jump_target: i.jump_target,
            source: None,
        })
        .collect()
}

/// Like `perf annotate --stdio`: the share of each instruction, its address and text; the
/// instructions jumps go to are marked, and the hottest ones listed first.
fn write_asm(
    out: &mut dyn Write,
    a: &Annotation,
    asm: &Disassembly,
    rows: &[Row],
    share: f64,
    remaps: &[String],
) -> std::io::Result<()> {
    let module = a
        .module
        .as_deref()
        .map_or(String::new(), |m| format!(" ({m})"));
    writeln!(out, "# profview annotate --asm: {}{module}", asm.function)?;
    writeln!(
        out,
        "# Self: {share:.2}% of the profile; each instruction's share of the function's self time"
    )?;
    let outside: f64 = 100.0 - rows.iter().map(|r| r.percent).sum::<f64>();
    if outside > 0.05 {
        writeln!(
            out,
            "# {outside:.2}% of it is at addresses outside this symbol (another copy of the code)"
        )?;
    }
    writeln!(out, "#")?;
    let mut hottest: Vec<&Row> = rows.iter().filter(|r| r.percent > 0.0).collect();
    hottest.sort_by(|x, y| y.percent.total_cmp(&x.percent));
    writeln!(out, "Hottest instructions:")?;
    for r in hottest.iter().take(HOTTEST) {
        writeln!(out, "  {:>7.2}%  {:x}:  {}", r.percent, r.address, r.text)?;
    }
    writeln!(out)?;
    let targets: std::collections::HashSet<u64> =
        rows.iter().filter_map(|r| r.jump_target).collect();
    writeln!(out, " Percent |  Disassembly of {}", asm.function)?;
    // Source lines go before the instructions compiled from them, as perf annotate shows them.
    let mut sources: std::collections::HashMap<String, Option<Vec<String>>> =
        std::collections::HashMap::new();
    let mut last_source: Option<(&str, u32)> = None;
    for r in rows {
        if let Some((file, line)) = &r.source {
            if last_source != Some((file.as_str(), *line)) {
                let text = sources
                    .entry(file.clone())
                    .or_insert_with(|| {
                        let text = std::fs::read_to_string(remapped(file, remaps)).ok()?;
                        Some(text.lines().map(str::to_owned).collect())
                    })
                    .as_ref()
                    .and_then(|lines| lines.get((*line as usize).saturating_sub(1)).cloned())
                    .unwrap_or_default();
                let short = file.rsplit('/').next().unwrap_or(file);
                writeln!(out, "{:>8} :   {short}:{line}  {}", "", text.trim())?;
                last_source = Some((file.as_str(), *line));
            }
        }
        let percent = if r.percent > 0.0 {
            format!("{:8.2}", r.percent)
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
