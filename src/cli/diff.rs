//! `profview diff`: two profiles compared, as text or JSON, with a CI gate and a differential
//! flame graph.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use inferno::flamegraph;
use profview::analyze::diff::{
    self, Change, DiffOptions, DiffSide, FunctionDiff, PathDiff, Presence, ProfileDiff,
};
use profview::model::{Profile, WeightKindId, WeightUnit};
use serde::Serialize;

use super::args::{DiffArgs, OutputFormat};
use super::{checked, load_with, output};

/// `--fail-on-regression` was exceeded: the report is written, the exit status is 3.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RegressionFound(pub String);

/// Run `profview diff`.
pub fn run(args: &DiffArgs) -> anyhow::Result<()> {
    if args.before.is_dir() && args.after.as_deref().is_some_and(Path::is_dir) {
        return run_folders(args);
    }
    let [(before, before_kind), (after, after_kind)] = load_both(args)?;
    let names = side_names(args);
    let options = diff_options(args);
    let d = diff::diff(
        DiffSide::new(&before, before_kind, &names[0]),
        DiffSide::new(&after, after_kind, &names[1]),
        &options,
    )?;
    if args.tui {
        let path = args.after.as_deref().unwrap_or(&args.before);
        return super::tui::browse_diff(&after, after_kind, path, d);
    }
    let regressions: Vec<&FunctionDiff> = match args.fail_on_regression {
        Some(points) => d.regressions(points).collect(),
        None => Vec::new(),
    };

    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => write_text(&mut out, &d, args)?,
        OutputFormat::Json => {
            let json = DiffJson {
                diff: &d,
                fail_on_regression: args.fail_on_regression,
                regressions: regressions.iter().map(|f| f.name.as_str()).collect(),
            };
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    if let Some(path) = &args.flamegraph {
        write_flame_graph(path, &d)?;
    }
    match (args.fail_on_regression, regressions.as_slice()) {
        (Some(points), [_, ..]) => {
            Err(RegressionFound(gate_message(points, &regressions, &d)).into())
        }
        _ => Ok(()),
    }
}

/// How the diff compares, from the command line.
fn diff_options(args: &DiffArgs) -> DiffOptions {
    let mut options = DiffOptions::default();
    options.absolute = args.absolute;
    options.shift = !args.no_shift;
    options.max_paths = args.paths;
    options
}

/// Both profiles: two files, or the two sides of one differential folded file.
fn load_both(args: &DiffArgs) -> anyhow::Result<[(Profile, WeightKindId); 2]> {
    let event = args.source.event.as_deref();
    let options = args.source.to_open_options();
    Ok(match &args.after {
        // One file on each core: loading is most of the time a diff takes.
        Some(after) => {
            let bars = indicatif::MultiProgress::new();
            let (before, after) = std::thread::scope(|scope| {
                let before =
                    scope.spawn(|| load_with(&args.before, options.clone(), event, Some(&bars)));
                let after = load_with(after, options.clone(), event, Some(&bars));
                let before = before
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                (before, after)
            });
            [before?, after?]
        }
        None => {
            let (before, after) = profview::open_differential(&args.before, &options)?;
            [
                checked(&args.before, before, event)?,
                checked(&args.before, after, event)?,
            ]
        }
    })
}

/// What to call each side in the output: the file names, or `FILE (before)` / `(after)`.
fn side_names(args: &DiffArgs) -> [String; 2] {
    let name = |p: &Path| p.display().to_string();
    match &args.after {
        Some(after) => [name(&args.before), name(after)],
        None => [
            format!("{} (before)", name(&args.before)),
            format!("{} (after)", name(&args.before)),
        ],
    }
}

/// The JSON output: the library's diff and the gate's outcome.
#[derive(Debug, Serialize)]
struct DiffJson<'a> {
    #[serde(flatten)]
    diff: &'a ProfileDiff,
    fail_on_regression: Option<f64>,
    /// Functions beyond `fail_on_regression` (the reason for exit status 3).
    regressions: Vec<&'a str>,
}

fn gate_message(points: f64, regressions: &[&FunctionDiff], d: &ProfileDiff) -> String {
    // Points of each profile's share, or of the before total with --absolute and exact diffs.
    let each: Vec<String> = regressions
        .iter()
        .map(|f| {
            if d.exact {
                let delta = d.before.unit.format(f.delta_weight);
                format!(
                    "{} {:+.2} points (+{delta} {})",
                    f.name, f.adjusted_delta_percent, d.before.event
                )
            } else {
                format!(
                    "{} {:+.2} points (noise ±{:.2})",
                    f.name, f.adjusted_delta_percent, f.noise_percent
                )
            }
        })
        .collect();
    format!(
        "regression beyond {points} percentage points: {}",
        each.join(", ")
    )
}

fn write_text(out: &mut dyn Write, d: &ProfileDiff, args: &DiffArgs) -> std::io::Result<()> {
    write_header(out, d, args.no_shift)?;
    write_functions(out, d, args.top)?;
    write_paths(out, &d.paths, d.exact.then_some(d))?;
    write_summary(out, d)
}

fn write_header(out: &mut dyn Write, d: &ProfileDiff, no_shift: bool) -> std::io::Result<()> {
    let side = |s: &diff::SideSummary| {
        format!(
            "{}: {} {}, event {}, total {} ({})",
            s.name,
            s.sample_count,
            if s.unit.is_memory() {
                "sites"
            } else {
                "samples"
            },
            s.event,
            profview::parse::format_weight(s.total_weight),
            s.unit.name()
        )
    };
    writeln!(out, "# profview diff")?;
    writeln!(out, "# before: {}", side(&d.before))?;
    let mut after = side(&d.after);
    if d.before.unit == d.after.unit && d.before.total_weight > 0.0 {
        let change = d.after.total_weight / d.before.total_weight - 1.0;
        after.push_str(&format!(" ({:+.1}%)", 100.0 * change));
    }
    writeln!(out, "# after:  {after}")?;
    writeln!(out, "#")?;
    for line in method_lines(d, no_shift) {
        writeln!(out, "# {line}")?;
    }
    writeln!(out, "#")
}

/// What is compared and how, in words.
fn method_lines(d: &ProfileDiff, no_shift: bool) -> Vec<String> {
    let mut lines = Vec::new();
    if d.exact {
        lines.push(
            "Weights compared as they are. Heap profiles count every allocation: no noise \
             bands, every difference is real."
                .to_owned(),
        );
        return lines;
    }
    if d.mode == diff::DiffMode::Absolute {
        lines.push("Weights compared (--absolute), as percentages of the before total.".to_owned());
    } else if d.shift.estimated {
        lines.push(format!(
            "Shares compared. Code that did not change moved by x{:.3} in share (median of {} \
             functions),",
            d.shift.factor, d.shift.functions_used
        ));
        lines.push(
            "so each function is judged against its before share times that (Expected).".to_owned(),
        );
    } else if no_shift {
        lines.push("Shares compared directly (--no-shift).".to_owned());
    } else {
        lines.push(format!(
            "Shares compared directly: fewer than {} functions have {}+ samples in both \
             profiles, too few to estimate the shift.",
            diff::SHIFT_MIN_FUNCTIONS,
            diff::SHIFT_MIN_SAMPLES
        ));
    }
    lines.push(format!(
        "Noise: {:.0}% confidence over {} functions (Bonferroni, z = {:.2}), from sample counts.",
        100.0 * d.noise.confidence,
        d.noise.functions_compared,
        d.noise.z
    ));
    if d.noise.dispersion > 1.0 {
        lines.push(format!(
            "Bands widened x{:.2}: unchanged functions differ that much more than sampling explains.",
            d.noise.dispersion
        ));
    }
    lines
}

/// Width of the Verdict column: `REGRESSED +100% (gone)` and the like fit.
const VERDICT_WIDTH: usize = 22;

/// One table row: before, after, delta, expected, noise, verdict, name.
fn row(percents: [f64; 4], noise: f64, verdict: &str, name: &str) -> String {
    let [before, after, delta, expected] = percents;
    format!(
        "{before:>8.2}% {after:>8.2}% {delta:>+9.2} {expected:>8.2}% {:>9}  {verdict:<VERDICT_WIDTH$} {name}",
        format!("±{noise:.2}"),
    )
}

fn header() -> String {
    format!(
        "#{:>8} {:>9} {:>9} {:>9} {:>9}  {:<VERDICT_WIDTH$} Function",
        "Before", "After", "Delta", "Expected", "Noise", "Verdict"
    )
}

/// A table row of an exact (heap) diff: the weights themselves, in their unit, before,
/// after, the difference and the relative change.
fn exact_row(unit: WeightUnit, before: f64, after: f64, verdict: &str, name: &str) -> String {
    let delta = after - before;
    let sign = if delta > 0.0 { "+" } else { "" };
    let change = if before > 0.0 {
        format!("{:+.1}%", 100.0 * (after / before - 1.0))
    } else {
        "new".to_owned()
    };
    format!(
        "{:>11} {:>11} {:>12} {change:>8}  {verdict:<VERDICT_WIDTH$} {name}",
        unit.format(before),
        unit.format(after),
        format!("{sign}{}", unit.format(delta)),
    )
}

fn exact_header() -> String {
    format!(
        "#{:>10} {:>11} {:>12} {:>8}  {:<VERDICT_WIDTH$} Function",
        "Before", "After", "Delta", "Change", "Verdict"
    )
}

/// The first `top` functions, and any significant one after them: a change is never hidden.
fn write_functions(out: &mut dyn Write, d: &ProfileDiff, top: usize) -> std::io::Result<()> {
    if d.exact {
        return write_exact_functions(out, d, top);
    }
    writeln!(out, "{}", header())?;
    let mut shown = 0;
    for (i, f) in d.functions.iter().enumerate() {
        if i >= top && !f.significant {
            continue;
        }
        shown += 1;
        let percents = [
            f.before_percent,
            f.after_percent,
            f.delta_percent,
            f.expected_after_percent,
        ];
        writeln!(
            out,
            "{}",
            row(percents, f.noise_percent, &verdict(f, d.exact), &f.name)
        )?;
    }
    if shown < d.functions.len() {
        writeln!(
            out,
            "# {shown} of {} functions shown (--top, and every significant one)",
            d.functions.len()
        )?;
    }
    writeln!(out)
}

/// The first `top` sites of an exact diff, and every changed one after them.
fn write_exact_functions(out: &mut dyn Write, d: &ProfileDiff, top: usize) -> std::io::Result<()> {
    writeln!(out, "{}", exact_header())?;
    let mut shown = 0;
    for (i, f) in d.functions.iter().enumerate() {
        if i >= top && !f.significant {
            continue;
        }
        shown += 1;
        let verdict = verdict(f, true);
        let row = exact_row(
            d.before.unit,
            f.before_weight,
            f.after_weight,
            &verdict,
            &f.name,
        );
        writeln!(out, "{row}")?;
    }
    if shown < d.functions.len() {
        writeln!(
            out,
            "# {shown} of {} functions shown (--top, and every changed one)",
            d.functions.len()
        )?;
    }
    writeln!(out)
}

/// The Verdict column: what changed, with the cost relative to unchanged code.
fn verdict(f: &FunctionDiff, exact: bool) -> String {
    let relative = || match f.relative_change {
        Some(r) => format!("{:+.0}%", 100.0 * r),
        None => "new".to_owned(),
    };
    // An exact diff's table has the relative change in a column of its own.
    let word = match f.change {
        Change::Improvement if exact => "improved".to_owned(),
        Change::Regression if exact => "REGRESSED".to_owned(),
        Change::Improvement => format!("improved {}", relative()),
        Change::Regression => format!("REGRESSED {}", relative()),
        Change::Shift => "shift".to_owned(),
        // Exact counts have no noise: within it means not changed at all.
        Change::Noise if exact => "unchanged".to_owned(),
        Change::Noise => "noise".to_owned(),
    };
    match (f.change, f.presence) {
        (Change::Shift | Change::Noise, Presence::Appeared) => format!("{word} (new)"),
        (_, Presence::Vanished) => format!("{word} (gone)"),
        _ => word,
    }
}

/// Paths longer than this show only their innermost frames.
const PATH_FRAMES_SHOWN: usize = 5;

/// The call paths that changed most; `exact` is the diff when it compares exact weights.
fn write_paths(
    out: &mut dyn Write,
    paths: &[PathDiff],
    exact: Option<&ProfileDiff>,
) -> std::io::Result<()> {
    if paths.is_empty() {
        return writeln!(out, "No call path changed beyond the shift and the noise.");
    }
    let what = if exact.is_some() {
        "total"
    } else {
        "total share"
    };
    writeln!(out, "Call paths that changed most ({what}):")?;
    for p in paths {
        let skip = p.path.len().saturating_sub(PATH_FRAMES_SHOWN);
        let mut shown = p.path[skip..].join(" -> ");
        if skip > 0 {
            shown.insert_str(0, "... -> ");
        }
        let verdict = match p.judged.change {
            Change::Improvement => "improved",
            Change::Regression => "REGRESSED",
            Change::Shift => "shift",
            Change::Noise => "noise",
        };
        let j = &p.judged;
        if let Some(d) = exact {
            // Exact diffs compare weights: the percentages are of the before total.
            let weight = |percent: f64| percent * d.before.total_weight / 100.0;
            let (before, after) = (weight(j.before_percent), weight(j.after_percent));
            writeln!(
                out,
                "{}",
                exact_row(d.before.unit, before, after, verdict, &shown)
            )?;
            continue;
        }
        let percents = [
            j.before_percent,
            j.after_percent,
            j.delta_percent,
            j.expected_after_percent,
        ];
        writeln!(out, "{}", row(percents, j.noise_percent, verdict, &shown))?;
    }
    writeln!(out)
}

fn write_summary(out: &mut dyn Write, d: &ProfileDiff) -> std::io::Result<()> {
    let named = |change: Change| -> Vec<String> {
        d.functions
            .iter()
            .filter(|f| f.change == change)
            .map(|f| match f.relative_change {
                _ if d.exact => {
                    let sign = if f.delta_weight > 0.0 { "+" } else { "" };
                    let delta = d.before.unit.format(f.delta_weight);
                    match f.before_weight > 0.0 {
                        true => format!(
                            "{} ({sign}{delta}, {:+.0}%)",
                            f.name,
                            100.0 * (f.after_weight / f.before_weight - 1.0)
                        ),
                        false => format!("{} ({sign}{delta}, new)", f.name),
                    }
                }
                Some(r) => format!(
                    "{} ({:+.2} points, {:+.0}%)",
                    f.name,
                    f.adjusted_delta_percent,
                    100.0 * r
                ),
                None => format!("{} ({:+.2} points, new)", f.name, f.adjusted_delta_percent),
            })
            .collect()
    };
    let improved = named(Change::Improvement);
    let regressed = named(Change::Regression);
    let shifted = d
        .functions
        .iter()
        .filter(|f| f.change == Change::Shift)
        .count();
    if improved.is_empty() && regressed.is_empty() {
        let or_shift = if shifted > 0 {
            " or explained by the shift of shares"
        } else {
            ""
        };
        return writeln!(
            out,
            "No significant change: every difference is within the noise{or_shift}."
        );
    }
    if !regressed.is_empty() {
        writeln!(out, "Regressed: {}", regressed.join(", "))?;
    }
    if !improved.is_empty() {
        writeln!(out, "Improved: {}", improved.join(", "))?;
    }
    if shifted > 0 {
        writeln!(
            out,
            "{shifted} other function{} moved in share only as much as the shift explains.",
            if shifted == 1 { "" } else { "s" }
        )?;
    }
    Ok(())
}

fn write_flame_graph(path: &Path, d: &ProfileDiff) -> anyhow::Result<()> {
    // inferno reads whole counts. Scaling them up with its `factor` would keep the fractions
    // of the scaled before side, but inferno's differential tooltips do not apply the factor,
    // so counts are rounded instead (at most half a sample's weight off).
    let count = |w: f64| format!("{:.0}", w);
    let lines: Vec<String> = d
        .flame_graph_lines()
        .into_iter()
        .map(|(stack, before, after)| format!("{stack} {} {}", count(before), count(after)))
        .collect();
    let mut options = flamegraph::Options::default();
    options.title = format!("{} vs {}", d.before.name, d.after.name);
    options.subtitle = Some(
        "width: after; red grew, blue shrank, relative to code that did not change".to_owned(),
    );
    options.count_name = d.after.unit.name().to_owned();
    let mut out = output::open_output(Some(path))?;
    flamegraph::from_lines(&mut options, lines.iter().map(String::as_str), &mut out)
        .with_context(|| format!("{}: cannot write the flame graph", path.display()))?;
    out.flush()?;
    Ok(())
}

/// The profiles of a folder, each with its name in the folder, read in parallel.
fn load_folder(folder: &Path, args: &DiffArgs) -> anyhow::Result<Vec<(String, Profile)>> {
    use rayon::prelude::*;
    let files = profview::profile_files(&[folder.to_owned()])?;
    let options = args.source.to_open_options();
    files
        .par_iter()
        .map(|(path, name)| {
            let (profile, _) = checked(path, profview::open_with(path, &options)?, None)?;
            Ok((name.clone(), profile))
        })
        .collect()
}

/// One pair of same-named profiles of two folders, compared.
#[derive(Debug, Serialize)]
struct PairDiff {
    name: String,
    diff: ProfileDiff,
}

/// `profview diff DIR1 DIR2`: each pair of same-named profiles compared as two files are,
/// a line each, then both folders summed and compared as wholes.
fn run_folders(args: &DiffArgs) -> anyhow::Result<()> {
    let after_dir = args.after.as_deref().expect("run_folders has two folders");
    let before = load_folder(&args.before, args)?;
    let after = load_folder(after_dir, args)?;
    let event = args.source.event.as_deref();
    let options = diff_options(args);
    let mut pairs = Vec::new();
    for (name, b) in &before {
        let Some((_, a)) = after.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let (bk, ak) = (
            profview::weight_kind(b, event)?,
            profview::weight_kind(a, event)?,
        );
        let diff = diff::diff(
            DiffSide::new(b, bk, &format!("{} {name}", args.before.display())),
            DiffSide::new(a, ak, &format!("{} {name}", after_dir.display())),
            &options,
        )?;
        pairs.push(PairDiff {
            name: name.clone(),
            diff,
        });
    }
    let only = |these: &[(String, Profile)], those: &[(String, Profile)]| -> Vec<String> {
        these
            .iter()
            .filter(|(n, _)| !those.iter().any(|(m, _)| m == n))
            .map(|(n, _)| n.clone())
            .collect()
    };
    let (only_before, only_after) = (only(&before, &after), only(&after, &before));
    let whole = |profiles: &[(String, Profile)]| -> anyhow::Result<(Profile, WeightKindId)> {
        let mut all = Profile::new();
        for (name, p) in profiles {
            all.merge(p, name)?;
        }
        let kind = profview::weight_kind(&all, event)?;
        Ok((all, kind))
    };
    let ((wb, wbk), (wa, wak)) = (whole(&before)?, whole(&after)?);
    let names = side_names(args);
    let whole = diff::diff(
        DiffSide::new(&wb, wbk, &names[0]),
        DiffSide::new(&wa, wak, &names[1]),
        &options,
    )?;
    let gate: Vec<String> = match args.fail_on_regression {
        Some(points) => pairs
            .iter()
            .flat_map(|p| {
                p.diff.regressions(points).map(move |f| {
                    format!(
                        "{}: {} {:+.2} points",
                        p.name, f.name, f.adjusted_delta_percent
                    )
                })
            })
            .collect(),
        None => Vec::new(),
    };
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => {
            write_pairs(&mut out, args, &pairs, &only_before, &only_after)?;
            writeln!(out)?;
            writeln!(out, "# Both folders summed:")?;
            write_text(&mut out, &whole, args)?;
        }
        OutputFormat::Json => {
            let json = serde_json::json!({
                "pairs": pairs,
                "only_before": only_before,
                "only_after": only_after,
                "whole": whole,
                "fail_on_regression": args.fail_on_regression,
                "regressions": gate,
            });
            serde_json::to_writer_pretty(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    match (args.fail_on_regression, gate.is_empty()) {
        (Some(points), false) => Err(RegressionFound(format!(
            "regression beyond {points} percentage points: {}",
            gate.join(", ")
        ))
        .into()),
        _ => Ok(()),
    }
}

/// A line per pair: the totals before and after, and what changed most.
fn write_pairs(
    out: &mut dyn Write,
    args: &DiffArgs,
    pairs: &[PairDiff],
    only_before: &[String],
    only_after: &[String],
) -> std::io::Result<()> {
    let after = args
        .after
        .as_deref()
        .map_or(String::new(), |a| a.display().to_string());
    writeln!(
        out,
        "# profview diff of two folders: {} and {after}, {} pairs of same-named profiles",
        args.before.display(),
        pairs.len()
    )?;
    writeln!(out, "#")?;
    let width = pairs.iter().map(|p| p.name.len()).max().unwrap_or(4).max(4);
    writeln!(
        out,
        "# {:<width$} {:>12} {:>12} {:>8}  Verdict",
        "Name", "Before", "After", "Change"
    )?;
    for p in pairs {
        let d = &p.diff;
        let (b, a) = (d.before.total_weight, d.after.total_weight);
        let change = if b > 0.0 {
            format!("{:+.1}%", 100.0 * (a / b - 1.0))
        } else {
            "new".to_owned()
        };
        writeln!(
            out,
            "  {:<width$} {:>12} {:>12} {change:>8}  {}",
            p.name,
            total_text(d.before.unit, b),
            total_text(d.after.unit, a),
            pair_verdict(d)
        )?;
    }
    if !only_before.is_empty() {
        writeln!(
            out,
            "# only in {}: {}",
            args.before.display(),
            only_before.join(", ")
        )?;
    }
    if !only_after.is_empty() {
        writeln!(out, "# only in {after}: {}", only_after.join(", "))?;
    }
    Ok(())
}

/// A pair's total: times in seconds or milliseconds, other weights in their unit.
fn total_text(unit: WeightUnit, value: f64) -> String {
    match unit {
        WeightUnit::Nanoseconds if value >= 1e9 => format!("{:.2} s", value / 1e9),
        WeightUnit::Nanoseconds => format!("{:.1} ms", value / 1e6),
        _ => unit.format(value),
    }
}

/// What changed most in a pair, in a few words.
fn pair_verdict(d: &ProfileDiff) -> String {
    let strongest = |change: Change| {
        d.functions
            .iter()
            .filter(|f| f.change == change)
            .max_by(|x, y| {
                x.adjusted_delta_percent
                    .abs()
                    .total_cmp(&y.adjusted_delta_percent.abs())
            })
    };
    let describe = |f: &FunctionDiff| match f.relative_change {
        Some(r) => format!(
            "{} {:+.2} points ({:+.0}%)",
            f.name,
            f.adjusted_delta_percent,
            100.0 * r
        ),
        None => format!("{} {:+.2} points (new)", f.name, f.adjusted_delta_percent),
    };
    if let Some(f) = strongest(Change::Regression) {
        return format!("REGRESSED: {}", describe(f));
    }
    if let Some(f) = strongest(Change::Improvement) {
        return format!("improved: {}", describe(f));
    }
    "no significant change".to_owned()
}
