//! A progress bar on stderr while a large profile loads, only when stderr is a terminal.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{ProgressBar, ProgressStyle};
use profview::{Progress, Stage};

/// Files smaller than this load in well under a second: no bar.
const MIN_SIZE: u64 = 32 << 20;

/// A bar for loading `path`, or `None` when there is nothing worth showing.
pub fn for_file(path: &Path) -> Option<(ProgressBar, Progress)> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let size = std::fs::metadata(path).ok()?.len();
    if size < MIN_SIZE {
        return None;
    }
    let bar = ProgressBar::new(size);
    bar.set_style(
        ProgressStyle::with_template("{msg:>11} [{bar:30}] {bytes}/{total_bytes} ({eta})")
            .ok()?
            .progress_chars("=> "),
    );
    bar.set_message("reading");
    let handle = bar.clone();
    let progress = Progress::new(move |stage, done, _total| match stage {
        Stage::Symbolizing => {
            handle.set_position(handle.length().unwrap_or(0));
            handle.set_message("symbolizing");
        }
        _ => handle.set_position(done),
    });
    Some((bar, progress))
}
