//! `profview tui` and `profview PROFILE` on a terminal: the browser.

use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::bail;
use profview::analyze::diff::ProfileDiff;
use profview::analyze::{Annotation, InstructionWeight};
use profview::code;
use profview::model::{Profile, WeightKindId};
use profview::tui::{CodeSource, DefaultTerminal, Exit, Input};
use profview::{Progress, Stage};

use super::args::InputArgs;

/// Browse the profile: it loads in the background under a loading screen; `i` in the browser
/// reads it again with inlined frames toggled. The Lines view reads sources through
/// `source_paths` (`OLD=NEW` remaps).
pub fn run(input: &InputArgs, source_paths: &[String]) -> anyhow::Result<()> {
    ensure_terminal()?;
    let title = file_name(&input.profile);
    let mut options = input.to_open_options();
    // The timeline view needs each sample's time.
    options.aggregate_samples = !super::small_enough_for_times(input);
    let files = ProgramFiles {
        symbol_paths: input.source.symbol_paths.clone(),
        source_paths: super::annotate::with_local_sources(source_paths, true),
    };
    let mut carried = profview::tui::Carried::default();
    let mut outcome = Ok(());
    profview::tui::with_terminal(|terminal| loop {
        let loaded = match load_showing_progress(terminal, input, options.clone(), &title)? {
            Some(Ok(loaded)) => loaded,
            Some(Err(err)) => {
                outcome = Err(err);
                return Ok(());
            }
            None => return Ok(()),
        };
        let (profile, kind) = loaded;
        let browsed = Input {
            profile: &profile,
            kind,
            title: title.clone(),
            diff: None,
            code: Some(&files),
            hints: Some(super::hints::hint_text),
        };
        let (exit, last) = profview::tui::browse(terminal, browsed, carried.clone())?;
        match exit {
            Exit::Quit => return Ok(()),
            Exit::ToggleInline => {
                options.inline = !options.inline;
                let shown = if options.inline { "shown" } else { "hidden" };
                carried = last.with_message(format!("inlined frames {shown} (i)"));
            }
        }
    })?;
    outcome
}

type Loaded = anyhow::Result<(Profile, WeightKindId)>;

/// Load on another thread while the loading screen shows how far it got; `None` when the
/// user quit before it finished.
fn load_showing_progress(
    terminal: &mut DefaultTerminal,
    input: &InputArgs,
    mut options: profview::OpenOptions,
    title: &str,
) -> std::io::Result<Option<Loaded>> {
    let status = Arc::new(Mutex::new("reading".to_owned()));
    let reported = Arc::clone(&status);
    options.progress = Some(Progress::new(move |stage, done, total| {
        let text = match stage {
            Stage::Symbolizing => "symbolizing".to_owned(),
            _ if total > 0 => format!("reading: {} of {} MB", done >> 20, total >> 20),
            _ => "reading".to_owned(),
        };
        if let Ok(mut status) = reported.lock() {
            *status = text;
        }
    }));
    let paths: Vec<_> = std::iter::once(input.profile.clone())
        .chain(input.more.iter().cloned())
        .collect();
    let event = input.source.event.clone();
    let loader = std::thread::spawn(move || -> Loaded {
        // One file, or several (a folder) summed into one profile.
        let profile = profview::open_many(&paths, &options)?;
        let kind = profview::weight_kind(&profile, event.as_deref())?;
        Ok((profile, kind))
    });
    let text = || status.lock().map(|s| s.clone()).unwrap_or_default();
    if !profview::tui::wait_loading(terminal, title, text, || loader.is_finished())? {
        return Ok(None);
    }
    Ok(Some(
        loader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
    ))
}

/// Browse `profile` (read from `path`) with `diff` in the Diff view.
pub fn browse_diff(
    profile: &Profile,
    kind: WeightKindId,
    path: &Path,
    diff: ProfileDiff,
) -> anyhow::Result<()> {
    ensure_terminal()?;
    profview::tui::run(Input {
        profile,
        kind,
        title: file_name(path),
        diff: Some(diff),
        code: None,
        hints: Some(super::hints::hint_text),
    })?;
    Ok(())
}

fn ensure_terminal() -> anyhow::Result<()> {
    if !std::io::stdout().is_terminal() {
        bail!("the browser needs a terminal; use `profview report` (or `profview diff` without --tui) for text");
    }
    Ok(())
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The browser's source files and instructions: read from this machine, the program files
/// found as the symbolizer finds them.
#[derive(Debug)]
struct ProgramFiles {
    symbol_paths: Vec<std::path::PathBuf>,
    source_paths: Vec<String>,
}

impl CodeSource for ProgramFiles {
    fn source(&self, file: &str) -> Result<Vec<String>, String> {
        code::source_lines(file, &self.source_paths).map_err(|path| {
            format!(
                "{}: not found here (profview tui --source-path OLD=NEW if the sources moved)",
                path.display()
            )
        })
    }

    fn instructions(
        &self,
        profile: &Profile,
        annotation: &Annotation,
    ) -> Result<Vec<InstructionWeight>, String> {
        code::instructions(profile, annotation, &self.symbol_paths)
            .map(|i| i.instructions)
            .map_err(|e| super::annotate::code_problem(&e))
    }
}
