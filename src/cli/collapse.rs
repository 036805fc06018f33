//! `profview collapse`: folded stacks out.

use std::io::Write;

use super::args::CollapseArgs;
use super::{load, output};

/// Run `profview collapse`.
pub fn run(args: &CollapseArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input)?;
    let mut out = output::open_output(args.output.as_deref())?;
    profview::parse::write_folded(&profile, kind, &mut out)?;
    out.flush()?;
    Ok(())
}
