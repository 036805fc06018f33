//! `profview flamegraph`: an SVG through the inferno library.

use std::io::Write;

use inferno::flamegraph::{self, Direction};
use profview::parse::{folded_lines, format_weight};

use super::args::FlamegraphArgs;
use super::{load, output};

/// inferno drops the fractional part of counts; fractional weights are scaled up by this and
/// scaled back with inferno's `factor`.
const FRACTION_SCALE: f64 = 1000.0;

/// Run `profview flamegraph`.
pub fn run(args: &FlamegraphArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input, false)?;
    let lines = folded_lines(&profile, kind);
    let fractional = lines.iter().any(|(_, w)| w.fract() != 0.0);
    let scale = if fractional { FRACTION_SCALE } else { 1.0 };
    let text: Vec<String> = lines
        .iter()
        .map(|(stack, w)| format!("{stack} {}", format_weight((w * scale).round())))
        .collect();

    let mut options = flamegraph::Options::default();
    options.title = args.title.clone().unwrap_or_else(|| {
        let path = &args.input.profile;
        path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    });
    options.count_name = profile.weight_kind(kind).unit.name().to_owned();
    options.factor = 1.0 / scale;
    if args.inverted {
        options.direction = Direction::Inverted;
    }
    let mut out = output::open_output(args.output.as_deref())?;
    flamegraph::from_lines(&mut options, text.iter().map(String::as_str), &mut out)?;
    out.flush()?;
    Ok(())
}
