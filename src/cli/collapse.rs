//! `profview collapse`: folded stacks out.

use std::io::Write;

use super::args::{CollapseArgs, ConvertArgs, ConvertTo};
use super::{load, output};

/// Run `profview collapse`.
pub fn run(args: &CollapseArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input, false)?;
    let mut out = output::open_output(args.output.as_deref())?;
    profview::parse::write_folded(&profile, kind, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Run `profview convert`: folded stacks, a presymbolicated Firefox Profiler profile
/// (gzipped when the output name ends in `.gz`), or pprof (always gzipped).
pub fn convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let keep_times = matches!(args.to, ConvertTo::Firefox | ConvertTo::Pprof);
    let (profile, kind) = load(&args.input, keep_times)?;
    // pprof files are gzipped whatever their name ("must be gzip-compressed", profile.proto).
    let gzip = args.to == ConvertTo::Pprof
        || args
            .output
            .as_deref()
            .and_then(|p| p.to_str())
            .is_some_and(|p| p.ends_with(".gz"));
    let out = output::open_output(args.output.as_deref())?;
    let mut out: Box<dyn Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            out,
            flate2::Compression::new(6),
        ))
    } else {
        out
    };
    match args.to {
        ConvertTo::Folded => profview::parse::write_folded(&profile, kind, &mut out)?,
        ConvertTo::Pprof => out.write_all(&profview::parse::pprof::to_pprof(&profile))?,
        ConvertTo::Firefox => {
            let json = profview::parse::firefox::to_firefox(&profile, kind);
            serde_json::to_writer(&mut out, &json)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}
