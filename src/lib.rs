//! profview as a library: open a profile, pick what to weigh, analyze it.
//!
//! This crate is the one obvious entry point for custom reports. It re-exports the stage
//! crates ([`model`], [`parse`], [`analyze`](mod@analyze)) and adds the few calls that tie them together.
//!
//! ```
//! use profview::{analyze::SortBy, open};
//!
//! # fn main() -> Result<(), profview::Error> {
//! let profile = open("testdata/hotspot/fp.folded")?;
//! let kind = profview::weight_kind(&profile, None)?;
//! let top = profview::top_functions(&profile, kind, SortBy::SelfWeight);
//! let hottest = &top.functions[0];
//! println!("{} {:.1}%", hottest.name, top.percent(hottest.self_weight));
//! assert_eq!(hottest.name, "hot_loop");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod code;

// The README's library example compiles and runs with the doc tests.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
struct ReadmeExample;

use std::path::Path;
use std::sync::Arc;

use profview_symbolize::{KernelSymbols, PendingModule, SymbolPaths, SymbolizeOptions};

pub use profview_analyze as analyze;
pub use profview_model as model;
pub use profview_parse as parse;
pub use profview_symbolize as symbolize;
/// The terminal browser (feature `tui`, on by default).
#[cfg(feature = "tui")]
pub use profview_tui as tui;

pub use profview_model::{Profile, WeightKindId};
pub use profview_parse::{InputFormat, Parsed, Progress, Stage};

use profview_analyze::diff::{DiffOptions, DiffSide, ProfileDiff};
use profview_analyze::{Analysis, SortBy, TopFunctions};

/// Why a profile could not be opened or used.
///
/// `Debug` prints the message too, so that `fn main() -> Result<(), profview::Error>` ends
/// with `Error: FILE: what went wrong` rather than a struct dump.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input could not be read as a profile.
    #[error(transparent)]
    Parse(#[from] profview_parse::ParseError),
    /// A single profile was wanted but the input holds two.
    #[error("{name}: this is a differential folded file (`stack BEFORE AFTER` per line, as inferno-diff-folded writes); it holds two profiles: read one side of it (before or after)")]
    Differential {
        /// The input's name.
        name: String,
    },
    /// `--event` names no weight kind of the profile.
    #[error("{name}: no event named {wanted:?}; the profile has: {available}")]
    UnknownEvent {
        /// The input's name.
        name: String,
        /// What was asked for.
        wanted: String,
        /// The events the profile has, comma-separated.
        available: String,
    },
    /// `--event` names a weight kind that nothing in the profile has.
    #[error("{name}: nothing in the profile has weight of event {event:?}")]
    EmptyEvent {
        /// The input's name.
        name: String,
        /// The event asked for.
        event: String,
    },
    /// A symbolization input named by the user cannot be used.
    #[error(transparent)]
    Symbolize(#[from] profview_symbolize::SymbolizeError),
    /// Two profiles were wanted from one input, but it holds one.
    #[error("{name}: holds one profile; compare two files, or pass a differential folded file (`stack BEFORE AFTER` per line, as inferno-diff-folded writes)")]
    NotDifferential {
        /// The input's name.
        name: String,
    },
    /// The profile has no weight at all.
    #[error("{name}: the profile has no samples")]
    NoSamples {
        /// The input's name.
        name: String,
    },
    /// Two profiles cannot be compared.
    #[error(transparent)]
    Diff(#[from] profview_analyze::diff::DiffError),
    /// Profiles read together do not fit together.
    #[error(transparent)]
    Merge(#[from] profview_model::MergeError),
    /// Profiles to be summed measure different things.
    #[error("{first} has events {first_events}; {other} has {other_events}: profiles summed together need an event in common")]
    NoCommonEvent {
        /// The first input.
        first: String,
        /// Its events.
        first_events: String,
        /// An input with none of them.
        other: String,
        /// Its events.
        other_events: String,
    },
    /// A folder given as input holds no profile.
    #[error("{name}: no profile in this folder (perf.data, *.pb, *.pb.gz, *.pprof, *.folded, heaptrack.*, dhat*.json, massif.out.*)")]
    EmptyFolder {
        /// The folder.
        name: String,
    },
    /// A folder given as input could not be read.
    #[error("{name}: cannot read the folder: {source}")]
    Folder {
        /// The folder.
        name: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")?;
        let mut source = std::error::Error::source(self);
        while let Some(cause) = source {
            let text = cause.to_string();
            if !self.to_string().contains(&text) {
                write!(f, ": {text}")?;
            }
            source = cause.source();
        }
        Ok(())
    }
}

/// Which side of a differential input to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Side {
    /// Refuse differential input.
    #[default]
    Refuse,
    /// The first count column.
    Before,
    /// The second count column.
    After,
}

/// How to open a profile.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OpenOptions {
    /// The input format; default: detect from the content.
    pub input_format: InputFormat,
    /// Which side of a differential folded file to read.
    pub side: Side,
    /// Directories to search for binaries and debug files (`--symbol-path`), before the
    /// system places (`~/.debug`, `/usr/lib/debug`) and the recorded paths.
    pub symbol_paths: Vec<std::path::PathBuf>,
    /// Also search `~/.debug` and `/usr/lib/debug` (default); off: only `symbol_paths` and
    /// the recorded paths.
    pub system_symbol_dirs: bool,
    /// A copy of `/proc/kallsyms` from the recording machine (plain or gzipped).
    pub kallsyms: Option<std::path::PathBuf>,
    /// Show code inlined into a function as frames of its own (default); off: only outer
    /// functions, what perf report's Symbol column shows.
    pub inline: bool,
    /// Name code from symbols and debug info (default); off: frames stay module + file
    /// offset (what `perf script` prints as addresses).
    pub symbolize: bool,
    /// Called as a large input loads (from other threads too).
    pub progress: Option<Progress>,
    /// Sum samples with the same thread, stack and event into one row as they are read,
    /// dropping their timestamps (the first and last are kept): memory then follows the
    /// number of distinct stacks, not the length of the recording. Leave it off for time
    /// filters ([`Transform::TimeRange`](profview_analyze::view::Transform::TimeRange)) and
    /// the Firefox Profiler export, which need each sample's time.
    pub aggregate_samples: bool,
}

impl Default for OpenOptions {
    /// Detect the format, look up names with inlined frames in the usual places, keep every
    /// sample.
    fn default() -> Self {
        Self {
            input_format: InputFormat::default(),
            side: Side::default(),
            symbol_paths: Vec::new(),
            system_symbol_dirs: true,
            kallsyms: None,
            inline: true,
            symbolize: true,
            progress: None,
            aggregate_samples: false,
        }
    }
}

/// Open the profile at `path` (`-` for stdin), detecting its format.
pub fn open(path: impl AsRef<Path>) -> Result<Profile, Error> {
    open_with(path, &OpenOptions::default())
}

/// Open the profile at `path` with `options`.
///
/// Frames the format leaves unnamed (perf.data, samply) are symbolized: binaries and debug
/// files are found by build-id in `options.symbol_paths` and the system places.
pub fn open_with(path: impl AsRef<Path>, options: &OpenOptions) -> Result<Profile, Error> {
    let path = path.as_ref();
    let symbol_paths = symbol_paths(options);
    let mut read = profview_parse::ReadOptions::default();
    read.format = options.input_format;
    read.symbol_paths = Some(Arc::clone(&symbol_paths));
    read.progress = options.progress.clone();
    read.aggregate_samples = options.aggregate_samples;
    // While the records are read, the recorded modules' symbol tables and DWARF load on
    // threads of their own and the kernel's symbols on another.
    let (parsed, (kernel, prepared)) = std::thread::scope(|scope| {
        let prepared = prepare_modules(path, options, &symbol_paths);
        let ahead = scope.spawn(|| preload_kernel_symbols(path, options, &symbol_paths));
        let parsed = profview_parse::read_path(path, &read);
        let kernel = ahead
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (parsed, (kernel, prepared))
    });
    let mut profile = match (parsed?, options.side) {
        (Parsed::Single(p), _) => p,
        (Parsed::Differential { before, .. }, Side::Before) => before,
        (Parsed::Differential { after, .. }, Side::After) => after,
        (Parsed::Differential { .. }, Side::Refuse) => {
            return Err(Error::Differential {
                name: path.display().to_string(),
            })
        }
    };
    if options.symbolize && profview_symbolize::unresolved_frame_count(&profile) > 0 {
        let kernel = match kernel {
            KernelPreload::Given(symbols) => Some(symbols?),
            KernelPreload::Running(symbols) => {
                symbols.filter(|_| recorded_on_running_kernel(&profile))
            }
            // A perf.data read from stdin or gzipped is only known as one now.
            KernelPreload::NotNeeded if recorded_on_running_kernel(&profile) => {
                running_kernel_symbols(&symbol_paths)
            }
            KernelPreload::NotNeeded => None,
        };
        symbolize_profile(&mut profile, &symbol_paths, options, (kernel, prepared));
        name_from_sidecar(path, &mut profile)?;
    }
    if !options.inline {
        // Formats that name inlined frames themselves (Firefox `inlineDepth`, folded `_[i]`).
        profile.drop_inlined_frames();
    }
    Ok(profile)
}

/// Open every profile in `paths` and sum them into one (a bench suite's profiles, several
/// runs of one program). A folder stands for every profile file in it, searched recursively
/// ([`profile_files`]). The inputs are read in parallel; each input's processes are named
/// after it (`criterion/parse: …`), so that a view can filter or group by input. One path
/// that is a file is [`open_with`].
pub fn open_many(paths: &[std::path::PathBuf], options: &OpenOptions) -> Result<Profile, Error> {
    let files = profile_files(paths)?;
    if let [(path, _)] = &files[..] {
        if paths.len() == 1 && !paths[0].is_dir() {
            return open_with(path, options);
        }
    }
    // Each core reads its share of the inputs into a profile of its own, one input at a time
    // (memory follows the distinct stacks, not the number of inputs); names are looked up
    // once, in the sum, not once per input.
    let read = OpenOptions {
        symbolize: false,
        kallsyms: None,
        ..options.clone()
    };
    use rayon::prelude::*;
    let (mut all, events) = files
        .par_iter()
        .try_fold(
            || (Profile::new(), Vec::new()),
            |(mut sum, mut events), (path, name)| {
                let profile = open_with(path, &read)?;
                events.push((name.clone(), events_with_weight(&profile)));
                if sum.meta.source_format == profview_model::SourceFormat::Unknown {
                    sum.meta.source_format = profile.meta.source_format;
                }
                sum.merge(&profile, name)?;
                Ok::<_, Error>((sum, events))
            },
        )
        .try_reduce(
            || (Profile::new(), Vec::new()),
            |(mut a, mut a_events), (b, b_events)| {
                if a.meta.source_format == profview_model::SourceFormat::Unknown {
                    a.meta.source_format = b.meta.source_format;
                }
                a.absorb(&b)?;
                a_events.extend(b_events);
                Ok((a, a_events))
            },
        )?;
    check_common_event(&events)?;
    all.meta.source_name = Some(format!("{} profiles", files.len()));
    if options.symbolize && profview_symbolize::unresolved_frame_count(&all) > 0 {
        let paths = symbol_paths(options);
        let kernel = match &options.kallsyms {
            Some(file) => Some(KernelSymbols::from_path(file)?),
            None if recorded_on_running_kernel(&all) => running_kernel_symbols(&paths),
            None => None,
        };
        symbolize_profile(&mut all, &paths, options, (kernel, Vec::new()));
    }
    Ok(all)
}

/// Name the unresolved frames of `profile`, with `kernel`'s symbols for kernel addresses and
/// the modules read ahead in `prepared`.
fn symbolize_profile(
    profile: &mut Profile,
    symbol_paths: &Arc<SymbolPaths>,
    options: &OpenOptions,
    (kernel, prepared): (Option<KernelSymbols>, Vec<PendingModule>),
) {
    if let Some(progress) = &options.progress {
        progress.report(Stage::Symbolizing, 0, 0);
    }
    let mut sym = SymbolizeOptions::new(Arc::clone(symbol_paths));
    sym.inline = options.inline;
    sym.kernel = kernel;
    sym.prepared = std::sync::Mutex::new(prepared);
    profview_symbolize::symbolize(profile, &sym);
}

/// The user modules a perf.data file's header lists (those its samples hit), found and read
/// (symbol tables, and DWARF for inlined frames) on other threads while the records are read:
/// for a Rust binary with full debug info, decompressing its DWARF takes as long as reading a
/// large recording.
fn prepare_modules(
    path: &Path,
    options: &OpenOptions,
    symbol_paths: &Arc<SymbolPaths>,
) -> Vec<PendingModule> {
    if !options.symbolize || !profview_parse::is_perf_data_file(path) {
        return Vec::new();
    }
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let modules = profview_parse::perf::recorded_user_modules(&file)
        .into_iter()
        .map(|(module, build_id)| (module, Some(build_id)))
        .collect();
    PendingModule::start(modules, symbol_paths, options.inline)
}

/// Where binaries and debug files are looked for.
fn symbol_paths(options: &OpenOptions) -> Arc<SymbolPaths> {
    Arc::new(if !options.system_symbol_dirs {
        SymbolPaths::only(options.symbol_paths.clone())
    } else {
        SymbolPaths::new(options.symbol_paths.clone())
    })
}

/// The names of the events `profile` has weight in.
fn events_with_weight(p: &Profile) -> Vec<String> {
    (0..p.weight_kinds().len())
        .map(WeightKindId::from_index)
        .filter(|&k| p.total_weight(k) > 0.0)
        .map(|k| p.string(p.weight_kind(k).name).to_owned())
        .collect()
}

/// Profiles summed together must measure one thing: an event every input has weight in.
fn check_common_event(events: &[(String, Vec<String>)]) -> Result<(), Error> {
    let Some((first, first_events)) = events.first() else {
        return Ok(());
    };
    for (other, these) in &events[1..] {
        if !these.iter().any(|e| first_events.contains(e)) {
            return Err(Error::NoCommonEvent {
                first: first.clone(),
                first_events: first_events.join(", "),
                other: other.clone(),
                other_events: these.join(", "),
            });
        }
    }
    Ok(())
}

/// The profile files `paths` stand for, each with the name it is shown by: a file as given;
/// a folder's files whose names profilers give their output (`perf.data`, `*.perf.data`,
/// `*.data`, `*.pb`, `*.pb.gz`, `*.pprof`, `*.folded`, `*.folded.gz`, `heaptrack.*`,
/// `dhat*.json`, `massif.out.*`), named by their path in the folder; criterion's
/// `<bench>/profile/profile.pb` is named `<bench>`. Sorted by name.
pub fn profile_files(
    paths: &[std::path::PathBuf],
) -> Result<Vec<(std::path::PathBuf, String)>, Error> {
    let mut out = Vec::new();
    for path in paths {
        if !path.is_dir() {
            out.push((path.clone(), path.display().to_string()));
            continue;
        }
        let mut found = Vec::new();
        collect_profiles(path, &mut found).map_err(|source| Error::Folder {
            name: path.display().to_string(),
            source,
        })?;
        if found.is_empty() {
            return Err(Error::EmptyFolder {
                name: path.display().to_string(),
            });
        }
        found.sort();
        for file in found {
            let relative = file
                .strip_prefix(path)
                .unwrap_or(&file)
                .display()
                .to_string();
            let name = relative
                .strip_suffix("/profile/profile.pb")
                .map_or(relative.clone(), str::to_owned);
            out.push((file, name));
        }
    }
    Ok(out)
}

fn collect_profiles(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_profiles(&path, out)?;
        } else if is_profile_name(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Whether a file's name is one profilers give their output.
fn is_profile_name(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    const SUFFIXES: &[&str] = &[
        ".data",
        ".pb",
        ".pb.gz",
        ".pprof",
        ".folded",
        ".folded.gz",
        ".collapsed",
    ];
    const PREFIXES: &[&str] = &["perf.data", "heaptrack.", "massif.out.", "dhat."];
    SUFFIXES.iter().any(|s| name.ends_with(s))
        || PREFIXES.iter().any(|p| name.starts_with(p))
        || (name.starts_with("dhat") && name.ends_with(".json"))
}

/// Open a differential folded file (`stack BEFORE AFTER` per line, as `inferno-diff-folded`
/// writes) as its two profiles, before and after.
///
/// Folded stacks name their frames, so nothing is symbolized.
pub fn open_differential(
    path: impl AsRef<Path>,
    options: &OpenOptions,
) -> Result<(Profile, Profile), Error> {
    let path = path.as_ref();
    let mut read = profview_parse::ReadOptions::default();
    read.format = options.input_format;
    read.progress = options.progress.clone();
    read.aggregate_samples = options.aggregate_samples;
    // Differential input is folded text: names only, nothing to look up, so `symbolize`,
    // `symbol_paths` and `kallsyms` have nothing to act on and `side` is what this reads.
    let (mut before, mut after) = match profview_parse::read_path(path, &read)? {
        Parsed::Differential { before, after } => (before, after),
        Parsed::Single(_) => {
            return Err(Error::NotDifferential {
                name: path.display().to_string(),
            })
        }
    };
    if !options.inline {
        before.drop_inlined_frames();
        after.drop_inlined_frames();
    }
    Ok((before, after))
}

/// Frames no binary was found for get their names from samply's `.syms.json` sidecar, when
/// one sits beside the profile.
fn name_from_sidecar(path: &Path, profile: &mut Profile) -> Result<(), Error> {
    if profview_symbolize::unresolved_frame_count(profile) == 0 {
        return Ok(());
    }
    let Some(sidecar_path) = profview_parse::firefox::find_sidecar(path) else {
        return Ok(());
    };
    let name = sidecar_path.display().to_string();
    let bytes = std::fs::read(&sidecar_path).map_err(|source| profview_parse::ParseError::Io {
        name: name.clone(),
        source,
    })?;
    let sidecar = profview_parse::firefox::Sidecar::parse(&name, &bytes)?;
    sidecar.name_frames(profile);
    Ok(())
}

/// Kernel symbols read ahead of need.
enum KernelPreload {
    /// From `--kallsyms FILE`.
    Given(Result<KernelSymbols, profview_symbolize::SymbolizeError>),
    /// From `/proc/kallsyms`, to be used if the profile was recorded on this kernel.
    Running(Option<KernelSymbols>),
    NotNeeded,
}

fn preload_kernel_symbols(
    path: &Path,
    options: &OpenOptions,
    symbol_paths: &SymbolPaths,
) -> KernelPreload {
    if !options.symbolize {
        return KernelPreload::NotNeeded;
    }
    if let Some(file) = &options.kallsyms {
        return KernelPreload::Given(KernelSymbols::from_path(file));
    }
    // Only perf.data files name kernel code by address; reading /proc/kallsyms for anything
    // else would be wasted.
    if !profview_parse::is_perf_data_file(path) {
        return KernelPreload::NotNeeded;
    }
    KernelPreload::Running(running_kernel_symbols(symbol_paths))
}

/// The running kernel's symbols: a listing of this boot perf saved in its build-id cache, or
/// `/proc/kallsyms` if it shows addresses.
fn running_kernel_symbols(symbol_paths: &SymbolPaths) -> Option<KernelSymbols> {
    let copies = profview_symbolize::running_kernel_build_id()
        .map(|id| symbol_paths.kallsyms_copies(&id))
        .unwrap_or_default();
    KernelSymbols::of_running_kernel(&copies)
}

/// Whether the profile's kernel is the running one (same build-id), so that `/proc/kallsyms`
/// names its addresses.
fn recorded_on_running_kernel(profile: &Profile) -> bool {
    let recorded = profile
        .modules()
        .iter()
        .find(|m| profile.string(m.path) == "[kernel.kallsyms]")
        .and_then(|m| m.build_id.clone());
    recorded.is_some_and(|id| profview_symbolize::running_kernel_build_id() == Some(id))
}

/// The weight kind to analyze: the one named `event` (exactly, or up to perf's `:modifiers`),
/// or else the first kind that has samples.
pub fn weight_kind(profile: &Profile, event: Option<&str>) -> Result<WeightKindId, Error> {
    let name = || profile.meta.source_name.clone().unwrap_or_default();
    if let Some(wanted) = event {
        let found = profile.find_weight_kind(wanted);
        // A kind the format has but nothing in this file weighs: an empty table would look
        // like an answer.
        if let Some(kind) = found.filter(|k| profile.total_weight(*k) == 0.0) {
            return Err(Error::EmptyEvent {
                name: name(),
                event: profile.string(profile.weight_kind(kind).name).to_owned(),
            });
        }
        return found.ok_or_else(|| Error::UnknownEvent {
            name: name(),
            wanted: wanted.to_owned(),
            available: profile
                .weight_kinds()
                .iter()
                .map(|k| profile.string(k.name))
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let kinds = profile.samples().kinds();
    (0..profile.weight_kinds().len())
        .map(WeightKindId::from_index)
        .find(|k| kinds.contains(k))
        .ok_or_else(|| Error::NoSamples { name: name() })
}

/// What `profview analyze` finds in weight kind `kind`: patterns with evidence and advice,
/// diagnostics about the data, and where the time goes by category.
pub fn analyze(profile: &Profile, kind: WeightKindId) -> Analysis {
    Analysis::new(profile, kind)
}

/// Compare two profiles function by function, as `profview diff` does: each one's default
/// weight kind, shares judged against the shift of unchanged code and against sampling noise.
/// [`analyze::diff::diff`] takes the weight kinds and options.
pub fn diff(before: &Profile, after: &Profile) -> Result<ProfileDiff, Error> {
    let name = |p: &Profile| p.meta.source_name.clone().unwrap_or_default();
    let (before_name, after_name) = (name(before), name(after));
    let sides = [
        DiffSide::new(before, weight_kind(before, None)?, &before_name),
        DiffSide::new(after, weight_kind(after, None)?, &after_name),
    ];
    let [b, a] = sides;
    Ok(profview_analyze::diff::diff(b, a, &DiffOptions::default())?)
}

/// Self and total weight per function, heaviest first.
pub fn top_functions(profile: &Profile, kind: WeightKindId, sort: SortBy) -> TopFunctions {
    TopFunctions::new(profile, kind, sort)
}
