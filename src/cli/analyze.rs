//! `profview analyze`: the findings (patterns with evidence and advice) and diagnostics.

use std::io::Write;

use profview::analyze::{Analysis, CategoryShare, Diagnostic, Explorer, Finding, Grouping};
use profview::model::Profile;
use serde::Serialize;

use super::args::{AnalyzeArgs, OutputFormat};
use super::view::checked_view;
use super::{hints, load, output};

/// Run `profview analyze`.
pub fn run(args: &AnalyzeArgs) -> anyhow::Result<()> {
    // Sample times give the `phases` finding.
    let times = args.view.time.is_some() || super::small_enough_for_times(&args.input);
    let (profile, kind) = load(&args.input, times)?;
    let transforms = args.view.transforms(&profile)?;
    let analysis = if args.view.is_set() {
        let explorer = Explorer::with_options(&profile, Grouping::Function, args.view.inlined());
        let view = checked_view(&explorer, kind, &transforms)?;
        Analysis::from_parts(&profile, kind, view.kept_weights(), explorer.groups())
    } else {
        Analysis::new(&profile, kind)
    };
    let doc = AnalyzeOutput {
        source: profile.meta.source_name.clone().unwrap_or_default(),
        format: profile.meta.source_format.describe(),
        event: profile.string(profile.weight_kind(kind).name).to_owned(),
        sample_count: profile.sample_count(kind),
        transforms: transforms.iter().map(ToString::to_string).collect(),
        findings: &analysis.findings,
        diagnostics: &analysis.diagnostics,
        breakdown: &analysis.breakdown,
    };
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => write_text(&mut out, &doc, &profile)?,
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

#[derive(Debug, Serialize)]
struct AnalyzeOutput<'a> {
    source: String,
    format: &'static str,
    event: String,
    sample_count: u64,
    /// The filters and transforms whose samples the findings describe.
    transforms: Vec<String>,
    findings: &'a [Finding],
    diagnostics: &'a [Diagnostic],
    breakdown: &'a [CategoryShare],
}

fn write_text(
    out: &mut dyn Write,
    doc: &AnalyzeOutput<'_>,
    profile: &Profile,
) -> std::io::Result<()> {
    let memory = profile
        .find_weight_kind(&doc.event)
        .is_some_and(|k| profile.weight_kind(k).unit.is_memory());
    // A heap profile's samples are its allocation sites, each an exact total.
    let counted = if memory {
        "allocation sites"
    } else {
        "samples"
    };
    writeln!(
        out,
        "# profview analyze: {} ({}), {} {counted} of '{}'",
        doc.source, doc.format, doc.sample_count, doc.event
    )?;
    if !doc.transforms.is_empty() {
        writeln!(
            out,
            "# On the samples kept by: {}",
            doc.transforms.join(", then ")
        )?;
    }
    writeln!(out)?;
    if doc.findings.is_empty() && memory {
        writeln!(
            out,
            "No pattern stands out: no growth, leak, churn, allocation rate or single holder of the peak crosses its threshold."
        )?;
    } else if doc.findings.is_empty() {
        writeln!(
            out,
            "No pattern stands out: no function, runtime, lock, allocator or kernel share crosses its threshold."
        )?;
    }
    for (i, f) in doc.findings.iter().enumerate() {
        write_finding(out, i + 1, f)?;
    }
    let parts: Vec<String> = doc
        .breakdown
        .iter()
        .filter(|c| c.share >= 0.005)
        .map(|c| format!("{} {:.1}%", c.category.label(), c.share * 100.0))
        .collect();
    let heading = if memory {
        format!("Where the '{}' weight is", doc.event)
    } else {
        "Where the time goes".to_owned()
    };
    writeln!(out, "{heading}: {}", parts.join(", "))?;
    writeln!(out)?;
    write_diagnostics(out, doc.diagnostics)
}

/// One finding: headline, evidence, advice.
pub fn write_finding(out: &mut dyn Write, number: usize, f: &Finding) -> std::io::Result<()> {
    writeln!(
        out,
        "{number}. {} (score {:.2}): {}",
        f.kind.name(),
        f.score,
        f.summary
    )?;
    writeln!(out, "   evidence:")?;
    for e in &f.evidence {
        writeln!(out, "   {:>7.2}%  {}", e.share * 100.0, e.what)?;
    }
    writeln!(out, "   advice:")?;
    for (i, a) in f.advice.iter().enumerate() {
        writeln!(out, "     - {a}")?;
        // The hint is how to follow the first advice.
        if let (0, Some(hint)) = (i, &f.hint) {
            writeln!(out, "       ({})", hints::hint_text(hint))?;
        }
    }
    writeln!(out)
}

/// The diagnostics block (nothing when there are none).
pub fn write_diagnostics(out: &mut dyn Write, diagnostics: &[Diagnostic]) -> std::io::Result<()> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    writeln!(out, "Diagnostics:")?;
    for d in diagnostics {
        writeln!(out, "  - {}", hints::with_hint(&d.message, d.hint.as_ref()))?;
    }
    Ok(())
}
