//! `profview tui` and `profview PROFILE` on a terminal: the browser.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::bail;
use profview::analyze::diff::ProfileDiff;
use profview::model::{Profile, WeightKindId};
use profview::tui::Input;

use super::args::InputArgs;
use super::load;

/// Load the profile, then browse it.
pub fn run(input: &InputArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(input)?;
    browse(&profile, kind, &input.profile, None)
}

/// Browse `profile` (read from `path`), with `diff` in the Diff view when given.
pub fn browse(
    profile: &Profile,
    kind: WeightKindId,
    path: &Path,
    diff: Option<ProfileDiff>,
) -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!("the browser needs a terminal; use `profview report` (or `profview diff` without --tui) for text");
    }
    let title = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    profview::tui::run(Input {
        profile,
        kind,
        title,
        diff,
    })?;
    Ok(())
}
