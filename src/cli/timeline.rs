//! `profview timeline`: each thread's weight over the run, and the phases of the run.

use std::io::Write;

use anyhow::bail;
use profview::analyze::Timeline;
use serde::Serialize;

use super::args::{OutputFormat, TimelineArgs};
use super::{load, output};

/// Run `profview timeline`.
pub fn run(args: &TimelineArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input, true)?;
    let Some(timeline) = Timeline::new(&profile, kind, args.buckets) else {
        bail!(
            "{}: the samples have no times (folded stacks, heap profiles and pprof keep none): no timeline",
            args.input.profile.display()
        );
    };
    let event = profile.string(profile.weight_kind(kind).name).to_owned();
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => write_text(&mut out, &timeline, &event)?,
        OutputFormat::Json => {
            #[derive(Serialize)]
            struct Json<'a> {
                event: &'a str,
                #[serde(flatten)]
                timeline: &'a Timeline,
            }
            let doc = Json {
                event: &event,
                timeline: &timeline,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

const LEVELS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn write_text(out: &mut dyn Write, t: &Timeline, event: &str) -> std::io::Result<()> {
    writeln!(
        out,
        "# profview timeline: {:.3} s of '{event}', {} buckets of {:.1} ms",
        t.duration_s,
        t.threads.first().map_or(0, |th| th.buckets.len()),
        t.bucket_s * 1e3
    )?;
    writeln!(out, "#")?;
    // One scale for every row: a full cell is the busiest bucket of any thread.
    let top = t
        .threads
        .iter()
        .flat_map(|th| th.buckets.iter().copied())
        .fold(0.0, f64::max);
    let width = t
        .threads
        .iter()
        .map(|th| label(th).chars().count())
        .max()
        .unwrap_or(6)
        .min(32);
    for th in &t.threads {
        let chart: String = th
            .buckets
            .iter()
            .map(|&w| {
                let level = if top > 0.0 {
                    (w / top * 8.0).ceil() as usize
                } else {
                    0
                };
                LEVELS[level.min(8)]
            })
            .collect();
        let cpu = th
            .cpu_percent
            .map_or(String::new(), |c| format!(" {c:5.1}% CPU"));
        let name: String = label(th).chars().take(width).collect();
        writeln!(out, "{name:<width$} |{chart}|{cpu}")?;
    }
    let columns = t.threads.first().map_or(0, |th| th.buckets.len());
    let end = format!("{:.2} s", t.duration_s);
    writeln!(
        out,
        "{:<width$}  0 s{}{end}",
        "",
        " ".repeat(columns.saturating_sub(3 + end.len()))
    )?;
    writeln!(out)?;
    writeln!(out, "Phases (top function by self weight):")?;
    for p in &t.phases {
        writeln!(
            out,
            "  {:>7.3} s - {:>7.3} s  {:5.1}%  {}",
            p.start_s,
            p.end_s,
            100.0 * p.share,
            p.top_function
        )?;
    }
    if let [_, _, ..] = t.phases.as_slice() {
        writeln!(out)?;
        writeln!(
            out,
            "Look inside one: profview report FILE --time START..END (seconds from the first sample)."
        )?;
    }
    Ok(())
}

/// `name (tid)`.
fn label(th: &profview::analyze::ThreadSeries) -> String {
    match th.tid {
        Some(tid) => format!("{} ({tid})", th.name),
        None => th.name.clone(),
    }
}
