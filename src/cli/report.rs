//! `profview report`: the top-functions table as text or JSON.

use std::io::Write;

use profview::analyze::{
    Analysis, Diagnostic, Explorer, Finding, FunctionGroups, FunctionStats, Grouping, SortBy,
    StackWeights, TopFunctions,
};
use profview::model::{HeapTimeline, Profile, Warning, WeightKindId};
use serde::Serialize;

use super::args::{OutputFormat, ReportArgs};
use super::view::checked_view;
use super::{analyze, load, output};

/// Run `profview report`.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input, args.view.time.is_some())?;
    let sort = if args.children {
        SortBy::Total
    } else {
        SortBy::SelfWeight
    };
    let weights = StackWeights::new(&profile, kind);
    let groups = FunctionGroups::with_options(&profile, Grouping::Function, args.view.inlined());
    // Filters and transforms need the call tree; without them the table comes straight from
    // the stack weights (what `perf report` compares against, and cheaper).
    let (top, analysis) = if args.view.is_set() {
        let transforms = args.view.transforms(&profile)?;
        let explorer = Explorer::with_options(&profile, args.view.grouping(), args.view.inlined());
        let view = checked_view(&explorer, kind, &transforms)?;
        // The finding describes the samples the table shows.
        let analysis = Analysis::from_parts(&profile, kind, view.kept_weights(), &groups);
        (view.functions(&profile, sort), analysis)
    } else {
        // The table and the findings are independent passes: one on each core.
        std::thread::scope(|scope| {
            let analysis = scope.spawn(|| Analysis::from_parts(&profile, kind, &weights, &groups));
            let top = TopFunctions::from_parts(&profile, &weights, &groups, sort);
            let analysis = analysis
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (top, analysis)
        })
    };
    let mut report = Report::new(&profile, kind, &top, sort, args.top);
    report.primary_finding = analysis.primary();
    report.diagnostics = &analysis.diagnostics;
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => report.write_text(&mut out)?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Everything the report shows; serialized as the JSON output.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    source: String,
    format: &'static str,
    event: String,
    weight_unit: &'static str,
    total_weight: f64,
    sample_count: u64,
    sort: &'static str,
    function_count: usize,
    functions: Vec<FunctionRow<'a>>,
    /// The strongest finding of `profview analyze`.
    primary_finding: Option<&'a Finding>,
    diagnostics: &'a [Diagnostic],
    warnings: Vec<&'a Warning>,
    /// The heap's size over the run, for heap profiles that record it.
    #[serde(skip_serializing_if = "Option::is_none")]
    heap_timeline: Option<&'a HeapTimeline>,
}

/// One JSON row.
#[derive(Debug, Serialize)]
struct FunctionRow<'a> {
    name: &'a str,
    module: Option<&'a str>,
    self_weight: f64,
    self_percent: f64,
    total_weight: f64,
    total_percent: f64,
}

/// The heap over the run as one line of block characters (each the largest heap in its
/// stretch of time), with the peak and when it was.
fn heap_chart(timeline: &HeapTimeline) -> Option<String> {
    const WIDTH: usize = 60;
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let (peak_time, peak) = timeline.peak()?;
    if timeline.points.len() < 2 || peak <= 0.0 {
        return None;
    }
    let chart: String = timeline
        .column_highs(timeline.points.len().min(WIDTH))
        .into_iter()
        .map(|high| LEVELS[((high / peak) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect();
    Some(format!(
        "Heap over time: {chart} peak {} at {} {}",
        binary_size(peak, "bytes").trim_start_matches(", "),
        profview::parse::format_weight(peak_time),
        timeline.time_unit
    ))
}

/// The allocation rate over the run, as [`heap_chart`] draws the heap, with its highest rate.
fn allocation_chart(timeline: &HeapTimeline) -> Option<String> {
    const WIDTH: usize = 60;
    const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let rates = timeline.allocation_rate_highs(timeline.points.len().min(WIDTH));
    let top = rates.iter().copied().fold(0.0, f64::max);
    if rates.len() < 2 || top <= 0.0 {
        return None;
    }
    let chart: String = rates
        .iter()
        .map(|rate| LEVELS[((rate / top) * 7.0).round().clamp(0.0, 7.0) as usize])
        .collect();
    let (per, scale) = match timeline.time_unit.as_str() {
        "ms" => ("second", 1000.0),
        unit => (unit, 1.0),
    };
    Some(format!(
        "Allocations:    {chart} up to {} per {per}",
        profview::model::format_count(top * scale)
    ))
}

/// `, 4.1 MiB` for a weight in bytes of a KiB or more; empty otherwise.
fn binary_size(weight: f64, unit: &str) -> String {
    if unit != "bytes" || weight < 1024.0 {
        return String::new();
    }
    let units = ["KiB", "MiB", "GiB", "TiB"];
    let mut value = weight / 1024.0;
    let mut i = 0;
    while value >= 1024.0 && i + 1 < units.len() {
        value /= 1024.0;
        i += 1;
    }
    format!(", {value:.1} {}", units[i])
}

/// Round a percentage to 4 decimals, so JSON output is stable and readable.
fn round_percent(p: f64) -> f64 {
    (p * 10_000.0).round() / 10_000.0
}

impl<'a> Report<'a> {
    fn new(
        profile: &'a Profile,
        kind: WeightKindId,
        top: &'a TopFunctions,
        sort: SortBy,
        limit: Option<usize>,
    ) -> Self {
        let weight_kind = profile.weight_kind(kind);
        let shown = limit.unwrap_or(usize::MAX).min(top.functions.len());
        let row = |f: &'a FunctionStats| FunctionRow {
            name: &f.name,
            module: f.module.as_deref(),
            self_weight: f.self_weight,
            self_percent: round_percent(top.percent(f.self_weight)),
            total_weight: f.total_weight,
            total_percent: round_percent(top.percent(f.total_weight)),
        };
        Self {
            source: profile.meta.source_name.clone().unwrap_or_default(),
            format: profile.meta.source_format.describe(),
            event: profile.string(weight_kind.name).to_owned(),
            weight_unit: weight_kind.unit.name(),
            total_weight: top.total_weight,
            sample_count: profile.sample_count(kind),
            sort: match sort {
                SortBy::SelfWeight => "self",
                SortBy::Total => "total",
            },
            function_count: top.functions.len(),
            functions: top.functions[..shown].iter().map(row).collect(),
            primary_finding: None,
            diagnostics: &[],
            warnings: profile.meta.warnings.iter().collect(),
            heap_timeline: profile.meta.heap_timeline.as_ref(),
        }
    }

    fn write_text(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let children = self.sort == "total";
        writeln!(out, "# profview report: {} ({})", self.source, self.format)?;
        writeln!(out, "#")?;
        if self.format.contains("heap") {
            // Heap profilers record totals per allocation site, not samples.
            writeln!(
                out,
                "# Allocation sites: {} with weight '{}'",
                self.sample_count, self.event
            )?;
        } else {
            writeln!(
                out,
                "# Samples: {} of event '{}'",
                self.sample_count, self.event
            )?;
        }
        writeln!(
            out,
            "# Total weight: {} ({}{})",
            profview::parse::format_weight(self.total_weight),
            self.weight_unit,
            binary_size(self.total_weight, self.weight_unit)
        )?;
        if let Some(line) = self.heap_timeline.and_then(heap_chart) {
            writeln!(out, "# {line}")?;
        }
        if let Some(line) = self.heap_timeline.and_then(allocation_chart) {
            writeln!(out, "# {line}")?;
        }
        writeln!(out, "#")?;
        let module_width = self
            .functions
            .iter()
            .filter_map(|f| f.module.map(str::len))
            .max()
            .map(|w| w.clamp("Module".len(), 40));
        let weight_width = self
            .functions
            .iter()
            .map(|f| profview::parse::format_weight(self.weight_of(f)).len())
            .max()
            .unwrap_or(0)
            .max("Weight".len());
        let mut header = String::from("#");
        let mut rule = String::from("#");
        if children {
            header.push_str(" Children      Self");
            rule.push_str(" ........  ........");
        } else {
            header.push_str(" Overhead");
            rule.push_str(" ........");
        }
        header.push_str(&format!("  {:>weight_width$}", "Weight"));
        rule.push_str(&format!("  {}", ".".repeat(weight_width)));
        if let Some(w) = module_width {
            header.push_str(&format!("  {:<w$}", "Module"));
            rule.push_str(&format!("  {}", ".".repeat(w)));
        }
        header.push_str("  Symbol");
        rule.push_str("  ......");
        writeln!(out, "{header}")?;
        writeln!(out, "{rule}")?;
        writeln!(out, "#")?;
        for f in &self.functions {
            // Like perf report --no-children: a function that is never the leaf has no row.
            if !children && f.self_weight == 0.0 {
                continue;
            }
            let mut line = String::new();
            if children {
                line.push_str(&format!(
                    "{:>9.2}%{:>9.2}%",
                    f.total_percent, f.self_percent
                ));
            } else {
                line.push_str(&format!("{:>9.2}%", f.self_percent));
            }
            let weight = profview::parse::format_weight(self.weight_of(f));
            line.push_str(&format!("  {weight:>weight_width$}"));
            if let Some(w) = module_width {
                line.push_str(&format!("  {:<w$}", f.module.unwrap_or("[unknown]")));
            }
            line.push_str("  ");
            line.push_str(f.name);
            writeln!(out, "{}", line.trim_end())?;
        }
        writeln!(out)?;
        if self.functions.len() < self.function_count {
            writeln!(
                out,
                "# {} of {} functions shown (--top)",
                self.functions.len(),
                self.function_count
            )?;
        }
        if let Some(f) = self.primary_finding {
            writeln!(
                out,
                "Primary finding (profview analyze shows all, with advice):"
            )?;
            writeln!(
                out,
                "  {} (score {:.2}): {}",
                f.kind.name(),
                f.score,
                f.summary
            )?;
            writeln!(out)?;
        }
        // The warnings go to stderr once, after this (the JSON form keeps them).
        analyze::write_diagnostics(out, self.diagnostics)?;
        Ok(())
    }

    fn weight_of(&self, f: &FunctionRow<'_>) -> f64 {
        if self.sort == "total" {
            f.total_weight
        } else {
            f.self_weight
        }
    }
}
