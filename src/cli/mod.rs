//! The `profview` command line: argument parsing, one module per command, exit codes.

mod analyze;
mod annotate;
pub mod args;
mod collapse;
mod diff;
mod flamegraph;
mod hints;
mod output;
mod progress;
mod record;
mod report;
mod timeline;
mod tree;
mod tui;
mod view;

use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use args::{Cli, Command, InputArgs, OutputFormat, ReportArgs};
use profview::model::{Profile, WeightKindId};

/// Exit status for an input that could not be read as a profile.
const EXIT_BAD_INPUT: u8 = 1;
/// Exit status for a usage error (clap uses it too).
const EXIT_USAGE: u8 = 2;
/// Exit status of `profview diff --fail-on-regression` when a function regressed.
const EXIT_REGRESSION: u8 = 3;

/// Parse the arguments, run the command, and map the outcome to an exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            if let Some(word) = mistyped_command(&err) {
                let commands: Vec<String> = Cli::command()
                    .get_subcommands()
                    .map(|c| c.get_name().to_owned())
                    .collect();
                let closest = commands
                    .iter()
                    .map(|c| (strsim::jaro_winkler(&word, c), c))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                match closest {
                    Some((_, c)) => eprintln!(
                        "profview: `{word}` is not a command, nor a file; did you mean `{c}`?"
                    ),
                    None => eprintln!(
                        "profview: `{word}` is not a command, nor a file; commands: {} (profview --help)",
                        commands.join(", ")
                    ),
                }
                return ExitCode::from(EXIT_USAGE);
            }
            err.exit()
        }
    };
    let result = match cli.command {
        Some(command) => run(command),
        None => match cli.input() {
            Some(input) => show(input),
            None => {
                let _ = Cli::command().print_help();
                return ExitCode::from(EXIT_USAGE);
            }
        },
    };
    match result {
        Ok(()) => {
            output::print_warnings();
            ExitCode::SUCCESS
        }
        Err(err) if output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) if err.is::<diff::RegressionFound>() => {
            output::print_warnings();
            eprintln!("profview: {err}");
            ExitCode::from(EXIT_REGRESSION)
        }
        Err(err) => {
            eprintln!("profview: {}", one_line(&err));
            ExitCode::from(if is_usage_error(&err) {
                EXIT_USAGE
            } else {
                EXIT_BAD_INPUT
            })
        }
    }
}

/// The first word of `profview WORD ARGS...` when it failed to parse because WORD is neither
/// a command nor an existing file (clap would take it for the profile and complain about
/// what follows).
fn mistyped_command(err: &clap::Error) -> Option<String> {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        return None;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let word = args.iter().find(|a| !a.starts_with('-'))?;
    let known = Cli::command()
        .get_subcommands()
        .any(|c| c.get_name() == word || c.get_all_aliases().any(|a| a == word));
    let more = args.iter().filter(|a| !a.starts_with('-')).count() > 1;
    (more && !known && !Path::new(word).exists()).then(|| word.clone())
}

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Report(args) => report::run(&args),
        Command::Analyze(args) => analyze::run(&args),
        Command::Tree(args) => tree::run_tree(&args),
        Command::Callers(args) => tree::run_callers(&args),
        Command::Collapse(args) => collapse::run(&args),
        Command::Convert(args) => collapse::convert(&args),
        Command::Flamegraph(args) => flamegraph::run(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Tui(args) => tui::run(&args.input, &args.source_paths),
        Command::Record(args) => record::run(&args),
        Command::Timeline(args) => timeline::run(&args),
        Command::Annotate(args) => annotate::run(&args),
        Command::Cargo(args) => record::run_cargo(&args),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "profview", &mut std::io::stdout());
            Ok(())
        }
    }
}

/// `profview PROFILE`: the browser on a terminal, the report otherwise (a pipe, a file).
fn show(input: InputArgs) -> anyhow::Result<()> {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        return tui::run(&input, &[]);
    }
    report::run(&ReportArgs {
        input,
        children: false,
        top: None,
        view: Default::default(),
        format: OutputFormat::Text,
    })
}

/// Whether the samples of `input` are kept with their times (for the timeline view and the
/// `phases` finding) rather than summed as they are read: for files up to 256 MB in all.
/// Past that, memory follows the samples rather than the distinct stacks, and `profview
/// timeline` draws the timeline instead. A folder is summed.
fn small_enough_for_times(input: &InputArgs) -> bool {
    const KEEP_TIMES_UP_TO: u64 = 256 << 20;
    let size: u64 = std::iter::once(&input.profile)
        .chain(&input.more)
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    size <= KEEP_TIMES_UP_TO && !input.profile.is_dir()
}

/// Read the profile and pick the weight kind; warnings go to stderr after the output. `keep_sample_times` for
/// commands that look at each sample's time (a `--time` filter, the Firefox export); without
/// it samples are summed per thread and stack as they are read.
fn load(input: &InputArgs, keep_sample_times: bool) -> anyhow::Result<(Profile, WeightKindId)> {
    let mut options = input.to_open_options();
    options.aggregate_samples = !keep_sample_times;
    if input.more.is_empty() && !input.profile.is_dir() {
        return load_with(&input.profile, options, input.source.event.as_deref(), None);
    }
    let paths: Vec<_> = std::iter::once(input.profile.clone())
        .chain(input.more.iter().cloned())
        .collect();
    let profile = profview::open_many(&paths, &options)?;
    let name = Path::new(profile.meta.source_name.as_deref().unwrap_or("profiles")).to_owned();
    checked(&name, profile, input.source.event.as_deref())
}

/// Read the profile at `path` with `options` and pick the weight kind `event` (default: the
/// first with samples); warnings go to stderr. Profiles loading side by side show their
/// progress bars in `bars`.
fn load_with(
    path: &Path,
    mut options: profview::OpenOptions,
    event: Option<&str>,
    bars: Option<&indicatif::MultiProgress>,
) -> anyhow::Result<(Profile, WeightKindId)> {
    let bar = progress::for_file(path).map(|(bar, progress)| {
        options.progress = Some(progress);
        match bars {
            Some(bars) => bars.add(bar),
            None => bar,
        }
    });
    let opened = profview::open_with(path, &options);
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    checked(path, opened?, event)
}

/// Print the warnings of the profile read from `path` and pick its weight kind `event`.
fn checked(
    path: &Path,
    profile: Profile,
    event: Option<&str>,
) -> anyhow::Result<(Profile, WeightKindId)> {
    // A failed command prints only its error: these wait for the output they concern.
    for w in profile.meta.warnings.iter() {
        output::warn_later(format!(
            "profview: warning: {}: {} ({} occurrence{})",
            path.display(),
            hints::with_hint(&w.message, w.hint.as_ref()),
            w.count,
            if w.count == 1 { "" } else { "s" }
        ));
    }
    let kind = profview::weight_kind(&profile, event)?;
    Ok((profile, kind))
}

/// A request that cannot be carried out as asked (exit status 2).
#[derive(Debug)]
struct UsageError(String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Errors in what was asked rather than in what was read: the inputs are fine, the request
/// does not fit them.
fn is_usage_error(err: &anyhow::Error) -> bool {
    use profview::analyze::diff::DiffError;
    err.is::<UsageError>()
        || matches!(
            err.downcast_ref::<DiffError>(),
            Some(DiffError::UnitsDiffer { .. })
        )
        || matches!(
            err.downcast_ref::<profview::Error>(),
            Some(profview::Error::NotDifferential { .. })
        )
}

/// An error and its causes on one line.
fn one_line(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    if let Some(hint) = hints::error_hint(err) {
        text.push_str(&format!(" ({hint})"));
    }
    text.replace('\n', " ")
}
