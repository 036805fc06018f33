//! The fuzz harnesses: one function per entry point that takes bytes.
//!
//! The cargo-fuzz targets in `fuzz/` call these, and `tests/fuzz_corpus.rs` replays the kept
//! inputs (`testdata/fuzz/<target>/`) through them on every test run, so a crash found once stays
//! fixed. Each harness reads the bytes the way the CLI would; `any_input` then runs the analyses
//! the report, the browser and the diff run on what was read (a reader that lets through a
//! profile the analyses cannot take is a bug too), the others only walk every stack. Errors are the expected outcome for most inputs; only a
//! panic, a hang or a runaway allocation is a failure.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use profview_analyze::diff::{diff, DiffOptions, DiffSide};
use profview_analyze::{Analysis, Explorer, Grouping, SortBy, TopFunctions};
use profview_model::{Profile, WeightKindId};
use profview_parse::perf::{read_perf_data, PerfOptions, PerfReader};
use profview_parse::{dhat, firefox, folded, heaptrack, massif, pprof, Parsed, ReadOptions};
use profview_symbolize::{resolve_module, ModuleJob, SymbolPaths};

/// perf.data, file or pipe mode, as read from a file: by the general reader, and by the block
/// reader in blocks small enough that a fuzzed file spans several of them. Where the block
/// reader takes the file, both must read the same stacks and weights.
pub fn perf_data(bytes: &[u8]) {
    // No file is read: the input cannot choose which files the fuzzer opens.
    let options = |reader, block_size| PerfOptions {
        symbol_paths: Some(Arc::new(SymbolPaths::none())),
        reader,
        block_size,
        ..PerfOptions::default()
    };
    let general = read_perf_data("fuzz", bytes, &options(PerfReader::General, None));
    if let Ok(profile) = &general {
        walk_stacks(profile);
    }
    let blocks = read_perf_data("fuzz", bytes, &options(PerfReader::Blocks, Some(256)));
    if let (Ok(general), Ok(blocks)) = (&general, &blocks) {
        assert_eq!(
            folded_per_kind(general),
            folded_per_kind(blocks),
            "the block reader and the general reader read different profiles"
        );
    }
}

/// Every weight kind's folded lines.
fn folded_per_kind(profile: &Profile) -> Vec<Vec<(String, f64)>> {
    let lines = |kind| profview_parse::folded_lines(profile, kind);
    kinds(profile).into_iter().map(lines).collect()
}

/// Walk every stack once. The analyses are fuzzed through [`any_input`]; the targets of one
/// reader only walk what it read, so that the reader gets the executions.
fn walk_stacks(profile: &Profile) {
    for kind in kinds(profile) {
        let _ = profview_parse::folded_lines(profile, kind);
    }
}

/// Folded stacks (and the differential folded format).
pub fn folded(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    match folded::parse_folded("fuzz", &text) {
        Ok(profview_parse::FoldedProfiles::Single(profile)) => walk_stacks(&profile),
        Ok(profview_parse::FoldedProfiles::Differential { before, after }) => {
            walk_stacks(&before);
            walk_stacks(&after);
        }
        Err(_) => {}
    }
}

/// Firefox Profiler JSON, processed or Gecko.
pub fn firefox(bytes: &[u8]) {
    if let Ok(profile) = firefox::parse_firefox("fuzz", bytes) {
        walk_stacks(&profile);
    }
}

/// The heap-profile readers, each given the bytes whatever they hold: DHAT JSON, heaptrack
/// (interpreted, unpacked) and massif text.
pub fn heap(bytes: &[u8]) {
    if let Ok(profile) = dhat::parse_dhat("fuzz", bytes) {
        walk_stacks(&profile);
    }
    if let Ok(profile) = heaptrack::read_heaptrack("fuzz", bytes) {
        walk_stacks(&profile);
    }
    if let Ok(profile) = massif::parse_massif("fuzz", &String::from_utf8_lossy(bytes)) {
        walk_stacks(&profile);
    }
}

/// pprof protobuf, and the profile read written as pprof and read again (the writer must
/// take whatever the reader gives).
pub fn pprof(bytes: &[u8]) {
    let Ok(profile) = pprof::parse_pprof("fuzz", bytes) else {
        return;
    };
    walk_stacks(&profile);
    let written = pprof::to_pprof(&profile);
    let again = pprof::parse_pprof("fuzz", &written).expect("a written pprof reads back");
    walk_stacks(&again);
}

/// Any input through format detection and gzip, as `profview PROFILE` reads a file.
pub fn any_input(bytes: &[u8]) {
    let mut options = ReadOptions::default();
    options.symbol_paths = Some(Arc::new(SymbolPaths::none()));
    match profview_parse::read_bytes("fuzz", bytes.to_vec(), &options) {
        Ok(Parsed::Single(profile)) => analyze_all(&profile),
        Ok(Parsed::Differential { before, after }) => analyze_pair(&before, &after),
        Err(_) => {}
    }
}

/// An ELF file (with DWARF) given to the symbolizer, with and without inlined frames.
///
/// The symbolizer reads files, so the bytes are written to a file of this process first.
pub fn elf(bytes: &[u8]) {
    let path = scratch_file();
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(bytes));
    if written.is_err() {
        return;
    }
    let job = ModuleJob {
        path: path.display().to_string(),
        build_id: None,
        // A spread of file offsets: the start of the file, the usual text range, the end.
        offsets: (0..64u64)
            .map(|i| i * 0x80)
            .chain([0x1000, 0x1139, 0x2000])
            .collect(),
        relative: false,
    };
    let paths = SymbolPaths::only(Vec::new());
    for inline in [false, true] {
        let _ = resolve_module(&job, &paths, inline);
    }
}

/// Run what `report`, `analyze` and the browser run, for every weight kind.
fn analyze_all(profile: &Profile) {
    for kind in kinds(profile) {
        let _ = Analysis::new(profile, kind);
        let _ = TopFunctions::new(profile, kind, SortBy::SelfWeight);
        let _ = profview_parse::folded_lines(profile, kind);
        let explorer = Explorer::new(profile, Grouping::Function);
        let view = explorer.view(&[kind], &[]);
        let _ = view.bottom_up();
        let _ = profview_parse::firefox::to_firefox(profile, kind);
    }
}

/// The diff of two profiles, both ways round, and each on its own.
fn analyze_pair(before: &Profile, after: &Profile) {
    analyze_all(before);
    analyze_all(after);
    let (Some(&b), Some(&a)) = (kinds(before).first(), kinds(after).first()) else {
        return;
    };
    let side = |profile, kind| DiffSide {
        profile,
        kind,
        name: "fuzz",
    };
    if let Ok(result) = diff(side(before, b), side(after, a), &DiffOptions::default()) {
        let _ = result.tree();
        let _ = result.flame_graph_lines();
    }
}

fn kinds(profile: &Profile) -> Vec<WeightKindId> {
    (0..profile.weight_kinds().len())
        .map(WeightKindId::from_index)
        .collect()
}

/// A file private to this process, reused for every input.
fn scratch_file() -> PathBuf {
    std::env::temp_dir().join(format!("profview-fuzz-elf-{}", std::process::id()))
}
