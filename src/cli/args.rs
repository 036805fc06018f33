//! Command-line arguments (clap derive). Library code never sees these types: `to_open_options`
//! and friends map them to the library's options in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

pub use super::view::ViewArgs;

const EXAMPLES: &str = "\
Examples:
  profview perf.data                         open a profile (prints the report when not on a terminal)
  profview report stacks.folded --top 20     top 20 functions by self time
  profview report stacks.folded --children   by total (inclusive) time
  profview collapse perf.data | inferno-flamegraph > flame.svg
  profview flamegraph stacks.folded -o flame.svg";

/// profview: read CPU profiles, say what shape they have, browse the call tree.
#[derive(Debug, Parser)]
#[command(name = "profview", version, about, after_help = EXAMPLES, args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// What to do; without a command, profview shows the profile.
    #[command(subcommand)]
    pub command: Option<Command>,
    /// The profile to show when no command is given: perf.data, folded stacks or
    /// Firefox/samply JSON, optionally gzipped; `-` reads stdin.
    #[arg(value_name = "PROFILE")]
    pub profile: Option<PathBuf>,
    /// For a differential folded file (`stack BEFORE AFTER`): which count column to read.
    #[arg(long, value_enum)]
    pub side: Option<SideArg>,
    // Not `Option<InputArgs>`: clap leaves an optional flattened struct unset when its fields
    // are themselves flattened.
    #[command(flatten)]
    pub source: SourceArgs,
}

impl Cli {
    /// The profile to show, when one was given without a command.
    pub fn input(self) -> Option<InputArgs> {
        Some(InputArgs {
            profile: self.profile?,
            more: Vec::new(),
            side: self.side,
            source: self.source,
        })
    }
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Table of the top functions by self (default) or total weight, like `perf report --stdio`.
    #[command(after_help = "\
Examples:
  profview report perf.data
  profview report stacks.folded --children --top 30
  profview report stacks.folded --format json | jq '.functions[0]'
  cat stacks.folded | profview report -")]
    Report(ReportArgs),
    /// Say what shape the profile has: findings (hotspot, distributed cost, lock contention,
    /// allocation, runtime overhead, ...) with evidence and advice, and diagnostics.
    #[command(after_help = "\
Examples:
  profview analyze perf.data
  profview analyze stacks.folded --format json | jq '.findings[0].kind'")]
    Analyze(AnalyzeArgs),
    /// The call tree: top-down (callers first), or bottom-up with --inverted, after the
    /// filters and transforms given.
    #[command(after_help = "\
Examples:
  profview tree perf.data --min-percent 2
  profview tree perf.data --inverted --depth 4
  profview tree perf.data --focus parse_request --merge 'core::ptr::drop_in_place'
  profview tree perf.data --collapse-crate tokio --tid 4242 --time 1.5..3
  profview tree stacks.folded --format json | jq '.roots[0]'")]
    Tree(TreeArgs),
    /// The callers and callees of one function, with their shares.
    #[command(after_help = "\
Examples:
  profview callers perf.data malloc
  profview callers perf.data 'alloc::raw_vec::finish_grow' --format json")]
    Callers(CallersArgs),
    /// Write folded stacks (one line per distinct stack), ready for `inferno-flamegraph`.
    #[command(after_help = "\
Examples:
  profview collapse perf.data > stacks.folded
  profview collapse perf.data | inferno-flamegraph > flame.svg
  profview collapse profile.json.gz -o stacks.folded")]
    Collapse(CollapseArgs),
    /// Convert to another format: a presymbolicated Firefox Profiler profile (names, files and
    /// lines already in it), or folded stacks.
    #[command(after_help = "\
Examples:
  profview convert perf.data --to firefox -o profile.json.gz   (open in the Firefox Profiler)
  profview convert profile.json.gz --to folded -o stacks.folded")]
    Convert(ConvertArgs),
    /// Compare two profiles: which functions and call paths changed beyond the sampling noise
    /// and beyond the shift of shares, with an exit status for CI.
    #[command(after_help = "\
Examples:
  profview diff before.data after.data
  profview diff before.data after.data --fail-on-regression 2     (exit 3 on a regression)
  profview diff before.folded after.json.gz --flamegraph diff.svg
  profview diff before-after.diff-folded                          (inferno-diff-folded output)
  profview diff before.data after.data --format json | jq '.functions[0]'

Exit status: 0 no regression beyond the threshold, 1 bad input, 2 usage, 3 regression.")]
    Diff(DiffArgs),
    /// Browse the profile in the terminal: summary, functions, call trees, callers, flame
    /// graph (what `profview PROFILE` opens on a terminal).
    #[command(after_help = "\
Examples:
  profview tui perf.data --symbol-path target/release
  profview diff --tui before.data after.data      (the diff view)
  profview tui perf.data --source-path /build/src=$HOME/src   (sources moved since the build)

Keys: ? in the browser lists them.")]
    Tui(TuiArgs),
    /// Write an SVG flame graph (drawn with the inferno library).
    #[command(after_help = "\
Examples:
  profview flamegraph perf.data -o flame.svg
  profview flamegraph stacks.folded --inverted -o icicle.svg")]
    Flamegraph(FlamegraphArgs),
    /// Run a command under perf (or heaptrack with --heap), choosing the call graph that works
    /// for the program, then show the profile: the browser on a terminal, the report otherwise.
    #[command(after_help = "\
Examples:
  profview record -- ./myprog input.txt
  profview record -o before.data -- ./myprog       (keep the recording)
  profview record --compare before.data --fail-on-regression 2 -- ./myprog
  profview record --heap -- ./myprog                (heaptrack: allocations, peak, leaks)
  profview record --pid 4242 --duration 10
  cargo profview --bin myprog -- input.txt           (build with line tables and frame pointers, record)

Exit status: the command's own is not passed on; 1 when nothing could be recorded, 3 when
--fail-on-regression fails.")]
    Record(RecordArgs),
    /// Build a cargo target with line tables and frame pointers, then record it (what
    /// `cargo profview` runs).
    #[command(after_help = "\
Examples:
  cargo profview --bin myprog -- input.txt
  cargo profview --example demo
  cargo profview --bench parse -- --profile-time 10")]
    Cargo(CargoArgs),
    /// Which lines of a function its time went to: the hottest lines, then the source with a
    /// heat column (shares of the function's self time, as perf annotate gives them).
    #[command(after_help = "\
Examples:
  profview annotate perf.data parse_record
  profview annotate perf.data 'mycrate::parse' --source-path /build/src=./src
  profview annotate perf.data checksum --format json | jq '.lines[:5]'")]
    Annotate(AnnotateArgs),
    /// When the time went: each thread's activity over the run as a text chart, its CPU use,
    /// and the phases of the run (stretches with one top function).
    #[command(after_help = "\
Examples:
  profview timeline perf.data
  profview timeline perf.data --buckets 100 --format json | jq '.phases'
  profview report perf.data --time 1.2..2.5      (then look inside one phase)")]
    Timeline(TimelineArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  profview completions bash > /etc/bash_completion.d/profview"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// Which profile to read and how.
#[derive(Debug, Args)]
pub struct InputArgs {
    /// Profile file: perf.data, folded stacks, Firefox/samply JSON, pprof, DHAT, heaptrack or
    /// massif, optionally gzipped; `-` reads stdin; a folder: every profile in it.
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// More profiles (or folders) read with PROFILE and summed into one; each input's
    /// processes are named after it (`p` in the browser, `--pid`).
    #[arg(value_name = "MORE")]
    pub more: Vec<PathBuf>,
    /// For a differential folded file (`stack BEFORE AFTER`): which count column to read.
    #[arg(long, value_enum)]
    pub side: Option<SideArg>,
    #[command(flatten)]
    pub source: SourceArgs,
}

/// One profile, for commands whose other positional arguments follow it (`callers PROFILE
/// FUNCTION`).
#[derive(Debug, Args)]
pub struct OneInputArgs {
    /// Profile file (any format profview reads, optionally gzipped), `-` for stdin, or a
    /// folder of profiles.
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// For a differential folded file (`stack BEFORE AFTER`): which count column to read.
    #[arg(long, value_enum)]
    pub side: Option<SideArg>,
    #[command(flatten)]
    pub source: SourceArgs,
}

impl OneInputArgs {
    /// As the input of the commands that take several.
    pub fn to_input(&self) -> InputArgs {
        InputArgs {
            profile: self.profile.clone(),
            more: Vec::new(),
            side: self.side,
            source: self.source.clone(),
        }
    }
}

/// How to read and symbolize a profile, whichever file it is.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// Input format; by default it is detected from the content.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,
    /// Which event (weight kind) to analyze; default: the first one with samples.
    #[arg(long, value_name = "NAME")]
    pub event: Option<String>,
    /// Directory to search for the recorded binaries and their debug files, by build-id and by
    /// file name (repeatable). Searched before ~/.debug, /usr/lib/debug and the recorded paths.
    #[arg(long = "symbol-path", value_name = "DIR")]
    pub symbol_paths: Vec<PathBuf>,
    /// Kernel symbols: a copy of /proc/kallsyms from the recording machine, same boot (plain or
    /// gzipped). Default: /proc/kallsyms when the running kernel is the recorded one.
    #[arg(long, value_name = "FILE")]
    pub kallsyms: Option<PathBuf>,
    /// Show only outer functions, no inlined frames (what perf report's Symbol column shows).
    #[arg(long)]
    pub no_inline: bool,
    /// Do not look up names: frames show as module+0xOFFSET (file offsets, as perf script
    /// prints them).
    #[arg(long)]
    pub no_symbolize: bool,
}

impl Default for SourceArgs {
    /// What no option gives: detect the format, the first event, the default lookups.
    fn default() -> Self {
        Self {
            input_format: InputFormatArg::Auto,
            event: None,
            symbol_paths: Vec::new(),
            kallsyms: None,
            no_inline: false,
            no_symbolize: false,
        }
    }
}

/// `--input-format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// Detect from the content.
    Auto,
    /// Folded / collapsed stacks (inferno, FlameGraph).
    Folded,
    /// Linux perf.data.
    Perf,
    /// Firefox Profiler / samply JSON.
    Firefox,
    /// DHAT heap profile JSON (valgrind --tool=dhat, the dhat crate).
    Dhat,
    /// valgrind massif output.
    Massif,
    /// heaptrack data.
    Heaptrack,
    /// pprof protobuf (Go, pprof-rs, jemalloc_pprof), gzipped or not.
    Pprof,
}

/// `--side` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SideArg {
    /// The first count column.
    Before,
    /// The second count column.
    After,
}

/// `--format` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// A table for people.
    #[default]
    Text,
    /// JSON for scripts.
    Json,
}

/// `profview report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Sort by total (inclusive) weight and show it, like `perf report --children`.
    #[arg(long)]
    pub children: bool,
    /// Show only the first N functions.
    #[arg(long, value_name = "N")]
    pub top: Option<usize>,
    #[command(flatten)]
    pub view: ViewArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `profview tree`.
#[derive(Debug, Args)]
pub struct TreeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub view: ViewArgs,
    /// Bottom-up: the functions that were sampled at the roots, their callers below.
    #[arg(long)]
    pub inverted: bool,
    /// Show at most N levels.
    #[arg(long, value_name = "N")]
    pub depth: Option<usize>,
    /// Hide nodes below PERCENT of the total.
    #[arg(long, value_name = "PERCENT", default_value_t = 0.5)]
    pub min_percent: f64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `profview callers`.
#[derive(Debug, Args)]
pub struct CallersArgs {
    #[command(flatten)]
    pub input: OneInputArgs,
    /// The function, named as `profview report` prints it.
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    #[command(flatten)]
    pub view: ViewArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `profview analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Which samples the findings describe.
    #[command(flatten)]
    pub view: ViewArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `profview diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The profile before the change, or a differential folded file (`stack BEFORE AFTER`)
    /// holding both.
    #[arg(value_name = "BEFORE")]
    pub before: PathBuf,
    /// The profile after the change (any format profview reads, not necessarily BEFORE's).
    #[arg(value_name = "AFTER")]
    pub after: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
    /// Compare weights (both as percentages of the before total) instead of each profile's
    /// shares: for runs that did the same amount of work.
    #[arg(long)]
    pub absolute: bool,
    /// Compare each share with the same share before, without allowing for the shift of
    /// shares that one function's change causes in all the others.
    #[arg(long)]
    pub no_shift: bool,
    /// Exit with status 3 when a function's share grew by more than PCT percentage points,
    /// beyond the shift and beyond the noise.
    #[arg(long, value_name = "PCT", value_parser = percentage_points)]
    pub fail_on_regression: Option<f64>,
    /// Also write a differential flame graph (SVG, inferno): widths are the after profile,
    /// red grew and blue shrank relative to unchanged code.
    #[arg(long, value_name = "FILE")]
    pub flamegraph: Option<PathBuf>,
    /// Show the first N functions (JSON lists all).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub top: usize,
    /// Show at most N changed call paths.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub paths: usize,
    /// Browse the diff in the terminal (with the after profile's views) instead of printing it.
    #[arg(long)]
    pub tui: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

impl DiffArgs {
    /// The diff of two files with the defaults, gated at `fail_on_regression` points.
    pub fn between(before: PathBuf, after: PathBuf, fail_on_regression: Option<f64>) -> Self {
        Self {
            before,
            after: Some(after),
            source: SourceArgs::default(),
            absolute: false,
            no_shift: false,
            fail_on_regression,
            flamegraph: None,
            top: 20,
            paths: 10,
            tui: false,
            format: OutputFormat::Text,
        }
    }
}

/// `profview record`.
#[derive(Debug, Clone, Args)]
pub struct RecordArgs {
    /// Where to write the recording; default: a new folder in the temporary directory (kept,
    /// its path printed).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// How perf walks the stacks; default: fp when the program and the C library it calls
    /// keep frame pointers, else dwarf (16 KiB of stack per sample).
    #[arg(long, value_enum)]
    pub call_graph: Option<CallGraphArg>,
    /// Samples per second.
    #[arg(short = 'F', long, value_name = "HZ", default_value_t = 999)]
    pub freq: u32,
    /// The perf event to sample (perf's -e); default: perf's own (cycles, or cpu-clock where
    /// the CPU's counters are not available, as in most VMs).
    #[arg(short = 'e', long = "event", value_name = "EVENT")]
    pub perf_event: Option<String>,
    /// Also record each time a thread is switched out (sched:sched_switch): where threads
    /// wait (locks, I/O, sleep). Needs tracepoint access (root, or perf_event_paranoid -1).
    #[arg(long)]
    pub off_cpu: bool,
    /// Attach to a running process instead of starting a command (Ctrl-C or --duration stops).
    #[arg(short, long, value_name = "PID")]
    pub pid: Option<u32>,
    /// Record every CPU (root, or perf_event_paranoid -1).
    #[arg(short, long)]
    pub all_cpus: bool,
    /// With --pid or --all-cpus: stop after SECS seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
    /// Record the heap with heaptrack instead of the CPU with perf.
    #[arg(long)]
    pub heap: bool,
    /// After recording, show the diff against this earlier recording instead of the profile.
    #[arg(long, value_name = "OLD")]
    pub compare: Option<PathBuf>,
    /// With --compare: exit with status 3 when a function's share grew by more than PCT
    /// points (profview diff's gate).
    #[arg(long, value_name = "PCT", requires = "compare", value_parser = percentage_points)]
    pub fail_on_regression: Option<f64>,
    /// Print the report even on a terminal (where the browser opens by default).
    #[arg(long)]
    pub no_browser: bool,
    /// The command to record and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `--call-graph` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CallGraphArg {
    /// Frame pointers: cheap, needs code built with them.
    Fp,
    /// DWARF unwinding from stack copies: works on any code, larger files.
    Dwarf,
    /// Last Branch Records: Intel CPUs, user space only.
    Lbr,
}

/// `profview cargo` (what `cargo profview` runs).
#[derive(Debug, Clone, Args)]
pub struct CargoArgs {
    /// The binary target to build and record.
    #[arg(long, value_name = "NAME")]
    pub bin: Option<String>,
    /// An example to build and record.
    #[arg(long, value_name = "NAME")]
    pub example: Option<String>,
    /// An integration test to build and record.
    #[arg(long, value_name = "NAME")]
    pub test: Option<String>,
    /// A benchmark to build and record (run with --bench; criterion benches get
    /// --profile-time 5 unless the arguments say otherwise).
    #[arg(long, value_name = "NAME")]
    pub bench: Option<String>,
    /// The package of the target, in a workspace.
    #[arg(long, value_name = "SPEC")]
    pub package: Option<String>,
    /// The Cargo.toml to build.
    #[arg(long, value_name = "PATH")]
    pub manifest_path: Option<PathBuf>,
    /// Build with the dev profile instead of release.
    #[arg(long)]
    pub dev: bool,
    #[command(flatten)]
    pub record: RecordArgs,
}

/// `profview tui`.
#[derive(Debug, Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Where the Lines view finds sources recorded under another path: `OLD=NEW` replaces
    /// the start of a recorded path (repeatable).
    #[arg(long = "source-path", value_name = "OLD=NEW")]
    pub source_paths: Vec<String>,
}

/// `profview annotate`.
#[derive(Debug, Args)]
pub struct AnnotateArgs {
    #[command(flatten)]
    pub input: OneInputArgs,
    /// The function: its whole name, or a part of only one function's name.
    #[arg(value_name = "FUNCTION")]
    pub function: String,
    /// Show the function's instructions (x86-64, AT&T syntax) with the share of each, as
    /// `perf annotate --stdio` does, instead of its source lines.
    #[arg(long)]
    pub asm: bool,
    /// Where to find sources recorded under another path: `OLD=NEW` replaces the start of a
    /// recorded path (repeatable). The Rust standard library's (`/rustc/<commit>/...`) are
    /// found in the local toolchain's rust-src when it is that commit, and crates built in a
    /// container (`/usr/local/cargo/registry/src/...`) in the local cargo registry.
    #[arg(long = "source-path", value_name = "OLD=NEW")]
    pub source_paths: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `profview timeline`.
#[derive(Debug, Args)]
pub struct TimelineArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Cut the run into N buckets of time (the chart's width).
    #[arg(long, value_name = "N", default_value_t = 60)]
    pub buckets: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
}

/// `profview collapse`.
#[derive(Debug, Args)]
pub struct CollapseArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `profview convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Output format.
    #[arg(long, value_enum)]
    pub to: ConvertTo,
    /// Write to FILE instead of stdout; a name ending in .gz is gzipped.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `--to` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ConvertTo {
    /// Firefox Profiler processed profile (JSON), presymbolicated.
    Firefox,
    /// Folded stacks (as `profview collapse`).
    Folded,
    /// pprof protobuf (`go tool pprof`, Pyroscope, Parca), gzipped as pprof files are.
    Pprof,
}

/// `profview flamegraph`.
#[derive(Debug, Args)]
pub struct FlamegraphArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Write the SVG to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Draw an icicle graph: roots at the top, growing down.
    #[arg(long)]
    pub inverted: bool,
    /// Title of the graph; default: the input's file name.
    #[arg(long)]
    pub title: Option<String>,
}

/// A finite, non-negative number of percentage points.
fn percentage_points(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(points) if points.is_finite() && points >= 0.0 => Ok(points),
        _ => Err(format!(
            "expected percentage points, a number of 0 or more (like 2 or 0.5), not {text:?}"
        )),
    }
}

impl InputArgs {
    /// The library options these arguments ask for.
    pub fn to_open_options(&self) -> profview::OpenOptions {
        let mut o = self.source.to_open_options();
        o.side = match self.side {
            None => profview::Side::Refuse,
            Some(SideArg::Before) => profview::Side::Before,
            Some(SideArg::After) => profview::Side::After,
        };
        o
    }
}

impl SourceArgs {
    /// The library options these arguments ask for (a differential input is refused).
    pub fn to_open_options(&self) -> profview::OpenOptions {
        let mut o = profview::OpenOptions::default();
        o.input_format = match self.input_format {
            InputFormatArg::Auto => profview::InputFormat::Auto,
            InputFormatArg::Folded => profview::InputFormat::Folded,
            InputFormatArg::Perf => profview::InputFormat::PerfData,
            InputFormatArg::Firefox => profview::InputFormat::Firefox,
            InputFormatArg::Dhat => profview::InputFormat::Dhat,
            InputFormatArg::Massif => profview::InputFormat::Massif,
            InputFormatArg::Heaptrack => profview::InputFormat::Heaptrack,
            InputFormatArg::Pprof => profview::InputFormat::Pprof,
        };
        o.symbol_paths = self.symbol_paths.clone();
        o.kallsyms = self.kallsyms.clone();
        o.inline = !self.no_inline;
        o.symbolize = !self.no_symbolize;
        // Only a time filter and the Firefox export need each sample's time; commands that
        // do ask for it with `keep_sample_times`.
        o.aggregate_samples = true;
        o
    }
}
