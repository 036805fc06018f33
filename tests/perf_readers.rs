//! The two perf.data readers agree: the parallel block reader (the fast path for well-formed
//! files) and the general reader give the same profile, sample by sample, on every recording in
//! the shared fixtures and the small recordings kept here; and the block reader does take the
//! files it is meant for (so these comparisons are not the general reader against itself).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

use profview::parse::perf::{read_perf_data, PerfOptions, PerfReader};
use profview::symbolize::SymbolPaths;
use profview_model::Profile;

fn read(path: &Path, reader: PerfReader) -> Result<Profile, String> {
    read_with(path, reader, false)
}

fn read_with(path: &Path, reader: PerfReader, aggregate_samples: bool) -> Result<Profile, String> {
    let options = options(reader, aggregate_samples);
    read_perf_data("test.perf.data", &bytes_of(path), &options).map_err(|e| e.to_string())
}

fn bytes_of(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    profview::parse::gunzip_if_needed("test", bytes).expect("gunzip")
}

fn options(reader: PerfReader, aggregate_samples: bool) -> PerfOptions {
    PerfOptions {
        symbol_paths: Some(Arc::new(SymbolPaths::none())),
        reader,
        aggregate_samples,
        ..PerfOptions::default()
    }
}

/// Everything the readers produce, one line per sample (thread, time, event, weight, frames
/// leaf first), then threads, processes, metadata and warnings.
fn dump(p: &Profile) -> String {
    let mut out = String::new();
    for s in p.samples().iter() {
        let t = p.thread(s.thread);
        let name = t.name.map(|n| p.string(n));
        let frames: Vec<String> = p
            .stack_frames(s.stack)
            .map(|f| format!("{:?}", p.frame(f)))
            .collect();
        writeln!(
            out,
            "{:?} {name:?} {:?} {:?} {} | {}",
            t.tid,
            s.time,
            s.kind,
            s.weight,
            frames.join(" < ")
        )
        .unwrap();
    }
    for t in p.threads() {
        writeln!(
            out,
            "thread {:?} {:?} {:?}",
            t.tid,
            t.process,
            t.name.map(|n| p.string(n))
        )
        .unwrap();
    }
    for pr in p.processes() {
        writeln!(
            out,
            "process {:?} {:?}",
            pr.pid,
            pr.name.map(|n| p.string(n))
        )
        .unwrap();
    }
    writeln!(out, "{:?}", p.meta).unwrap();
    out
}

fn assert_same(path: &Path) {
    let general = dump(&read(path, PerfReader::General).expect("general reader"));
    let auto = dump(&read(path, PerfReader::Auto).expect("auto reader"));
    assert_dumps_equal(path, &general, &auto);
    // Blocks of 4 KB: the recordings span hundreds of blocks, so samples wait in the sorter
    // across blocks, chains repeat from block to block and unwinders are published between.
    let small = PerfOptions {
        block_size: Some(4096),
        ..options(PerfReader::Auto, false)
    };
    let small_blocks = dump(&read_perf_data("test.perf.data", &bytes_of(path), &small).unwrap());
    assert_dumps_equal(path, &general, &small_blocks);
}

fn assert_dumps_equal(path: &Path, general: &str, auto: &str) {
    if general != auto {
        let (line, (g, a)) = general
            .lines()
            .zip(auto.lines())
            .enumerate()
            .find(|(_, (g, a))| g != a)
            .unwrap_or((0, ("(lengths differ)", "")));
        panic!(
            "{}: the readers differ at line {}:\n general: {g}\n blocks:  {a}",
            path.display(),
            line + 1
        );
    }
}

#[test]
fn block_reader_matches_general_reader_on_every_shared_recording() {
    let mut taken = 0;
    for (case, rec) in common::perf_recordings() {
        let path = case.join(format!("{rec}.perf.data"));
        assert_same(&path);
        // sched_switch recordings need the general reader's off-CPU pass.
        match read(&path, PerfReader::Blocks) {
            Ok(_) => {
                taken += 1;
                let small = PerfOptions {
                    block_size: Some(4096),
                    ..options(PerfReader::Blocks, false)
                };
                let read = read_perf_data("test.perf.data", &bytes_of(&path), &small);
                assert!(read.is_ok(), "{}: small blocks refused", path.display());
            }
            Err(e) => assert!(rec.contains("offcpu"), "{}: {e}", path.display()),
        }
    }
    assert!(taken >= 20, "the block reader took only {taken} recordings");
}

/// Weight and sample count per (thread, frames, event), summed in sample order; then the
/// first and last time, and the metadata.
fn sums(p: &Profile) -> String {
    let mut rows: BTreeMap<String, (f64, u64)> = BTreeMap::new();
    let s = p.samples();
    for i in 0..s.len() {
        let sample = s.get(i);
        let frames: Vec<String> = p
            .stack_frames(sample.stack)
            .map(|f| format!("{:?}", p.frame(f)))
            .collect();
        let t = p.thread(sample.thread);
        let key = format!(
            "{:?} {:?} {:?} {}",
            t.tid,
            t.name,
            sample.kind,
            frames.join("<")
        );
        let row = rows.entry(key).or_default();
        row.0 += sample.weight;
        row.1 += u64::from(s.count(i));
    }
    let mut out = String::new();
    for (key, (weight, count)) in rows {
        writeln!(out, "{key}: {weight} in {count}").unwrap();
    }
    writeln!(out, "{:?}\n{:?}", s.time_bounds(), p.meta).unwrap();
    out
}

#[test]
fn summed_samples_match_each_sample_on_every_shared_recording() {
    for (case, rec) in common::perf_recordings() {
        let path = case.join(format!("{rec}.perf.data"));
        let each = read_with(&path, PerfReader::Auto, false).expect("each sample");
        let summed = read_with(&path, PerfReader::Auto, true).expect("summed");
        assert!(summed.samples().is_aggregated());
        assert!(
            summed.samples().len() < each.samples().len() || each.samples().len() < 2,
            "{}: summing made no row fewer ({} samples)",
            path.display(),
            each.samples().len()
        );
        assert_eq!(sums(&summed), sums(&each), "{}", path.display());
    }
}

#[test]
fn block_reader_matches_general_reader_on_kept_recordings() {
    let root = common::root();
    let kept = [
        ("testdata/fuzz/perf_data/fp.data", true),
        ("testdata/fuzz/perf_data/dwarf.data", true),
        ("testdata/fuzz/perf_data/nocg.data", true),
        ("testdata/fuzz/perf_data/pipe.data", false),
        ("testdata/fuzz/perf_data/z.data", false),
        ("testdata/diff/unchanged/rayon.run1.perf.data.gz", true),
        ("testdata/diff/unchanged/contention.run1.perf.data.gz", true),
        ("testdata/diff/unchanged/diffapp.run1.perf.data.gz", true),
    ];
    for (file, blocks) in kept {
        let path = root.join(file);
        assert_same(&path);
        assert_eq!(
            read(&path, PerfReader::Blocks).is_ok(),
            blocks,
            "{file}: block reader taken"
        );
    }
}

#[test]
fn block_reader_refuses_damaged_files_and_the_general_reader_reads_them() {
    let path = common::root().join("testdata/fuzz/perf_data/fp.data");
    let bytes = std::fs::read(&path).unwrap();
    let options = |reader| PerfOptions {
        symbol_paths: Some(Arc::new(SymbolPaths::none())),
        reader,
        ..PerfOptions::default()
    };
    // A record in the middle claims to be 4 bytes long: the general reader keeps the records
    // before it and warns.
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap()) as usize;
    let (start, end) = (word(40), word(40) + word(48));
    let size_at = |at: usize| usize::from(u16::from_le_bytes([bytes[at + 6], bytes[at + 7]]));
    let records = std::iter::successors(Some(start), |&at| Some(at + size_at(at)))
        .take_while(|&at| at < end)
        .count();
    let at = std::iter::successors(Some(start), |&at| Some(at + size_at(at)))
        .nth(records / 2)
        .unwrap();
    let mut damaged = bytes.clone();
    damaged[at + 6..at + 8].copy_from_slice(&4u16.to_le_bytes());
    let blocks = read_perf_data("damaged", &damaged, &options(PerfReader::Blocks));
    assert!(blocks.is_err(), "the block reader took a damaged file");
    let auto = read_perf_data("damaged", &damaged, &options(PerfReader::Auto)).expect("auto");
    let general =
        read_perf_data("damaged", &damaged, &options(PerfReader::General)).expect("general");
    assert_eq!(dump(&auto), dump(&general));
    let warned = auto
        .meta
        .warnings
        .iter()
        .any(|w| w.message.contains("stopped reading"));
    assert!(warned, "{:?}", auto.meta.warnings);
}
