//! perf.data files cut at every offset (perf killed mid-write, a partial copy): a cut inside the
//! header is a clear error; anywhere else, every sample whose record lies wholly before the cut
//! is read, and a warning says where reading stopped.

use std::path::Path;
use std::sync::Arc;

use profview::model::{Profile, WarningKind};
use profview::parse::perf::{read_perf_data, PerfOptions};
use profview::parse::ParseError;
use profview::symbolize::SymbolPaths;

const HEADER_SIZE: usize = 104;
const PERF_RECORD_SAMPLE: u32 = 9;

fn seed(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/fuzz/perf_data")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn read(bytes: &[u8]) -> Result<Profile, ParseError> {
    let options = PerfOptions {
        symbol_paths: Some(Arc::new(SymbolPaths::only(Vec::new()))),
        ..PerfOptions::default()
    };
    read_perf_data("cut.perf.data", bytes, &options)
}

fn word(data: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(data[at..at + 8].try_into().unwrap())
}

/// The sample records of a file-mode perf.data that end at or before byte `cut`, found by walking
/// the data section independently of the reader.
fn samples_before(data: &[u8], cut: usize) -> usize {
    let start = word(data, 40) as usize;
    let end = (start + word(data, 48) as usize).min(cut);
    let mut at = start;
    let mut samples = 0;
    while at + 8 <= end {
        let kind = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let size = usize::from(u16::from_le_bytes([data[at + 6], data[at + 7]]));
        if size < 8 || at + size > end {
            break;
        }
        samples += usize::from(kind == PERF_RECORD_SAMPLE);
        at += size;
    }
    samples
}

/// Where the metadata ends: the data section of a file, the first event record of a pipe-mode
/// stream (after its attribute and feature records). A cut before it leaves nothing to read.
fn metadata_end(data: &[u8]) -> usize {
    if word(data, 8) != 16 {
        return word(data, 40) as usize;
    }
    let mut at = 16;
    while at + 8 <= data.len() {
        let kind = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        if kind != 64 && kind != 80 {
            break;
        }
        at += usize::from(u16::from_le_bytes([data[at + 6], data[at + 7]]));
    }
    at
}

/// Where each record of a pipe-mode stream ends (nothing for a file).
fn pipe_record_boundaries(data: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut at = 16;
    while word(data, 8) == 16 && at + 8 <= data.len() {
        let size = usize::from(u16::from_le_bytes([data[at + 6], data[at + 7]]));
        if size < 8 {
            break;
        }
        at += size;
        ends.push(at);
    }
    ends
}

fn says_where_it_stopped(profile: &Profile) -> bool {
    profile.meta.warnings.iter().any(|w| {
        matches!(w.kind, WarningKind::DamagedHeader | WarningKind::Truncated)
            && w.message.contains("byte")
    })
}

#[test]
fn a_file_mode_file_cut_anywhere_keeps_every_sample_before_the_cut() {
    let data = seed("fp.data");
    let whole = read(&data).unwrap();
    assert_eq!(whole.samples().len(), samples_before(&data, data.len()));
    assert!(whole.samples().len() > 20, "the seed has samples");
    let data_start = word(&data, 40) as usize;
    for cut in 0..data.len() {
        match read(&data[..cut]) {
            Err(e) => {
                assert!(cut < data_start, "cut at {cut}: {e}");
                assert!(e.to_string().contains("cut.perf.data"), "cut at {cut}: {e}");
            }
            Ok(profile) => {
                assert!(
                    cut >= HEADER_SIZE,
                    "cut at {cut} inside the header was read"
                );
                let expected = samples_before(&data, cut);
                assert_eq!(profile.samples().len(), expected, "cut at {cut}");
                assert!(says_where_it_stopped(&profile), "cut at {cut}");
            }
        }
    }
}

/// Compressed records (`perf record -z`) and pipe mode cannot be checked against a walk of the
/// file, so these check that no cut panics, a cut never adds samples, and the whole file has them
/// all.
fn cuts_never_gain_samples(name: &str) {
    let data = seed(name);
    let header = metadata_end(&data);
    let boundaries = pipe_record_boundaries(&data);
    let whole = read(&data).unwrap().samples().len();
    assert!(whole > 20, "{name} has samples");
    let mut previous = 0;
    for cut in (0..data.len()).step_by(7).chain([data.len() - 1]) {
        match read(&data[..cut]) {
            Err(e) => assert!(cut < header, "{name} cut at {cut}: {e}"),
            Ok(profile) => {
                let samples = profile.samples().len();
                assert!(
                    samples >= previous,
                    "{name} cut at {cut}: {samples} < {previous}"
                );
                assert!(samples <= whole, "{name} cut at {cut}");
                // A pipe-mode stream has no length to check against: one cut exactly between
                // two records looks complete.
                if samples < whole && !boundaries.contains(&cut) {
                    assert!(
                        !profile.meta.warnings.is_empty(),
                        "{name} cut at {cut} lost samples silently"
                    );
                }
                previous = samples;
            }
        }
    }
}

#[test]
fn a_compressed_file_cut_anywhere_never_panics_or_gains_samples() {
    cuts_never_gain_samples("z.data");
}

#[test]
fn a_pipe_mode_stream_cut_anywhere_never_panics_or_gains_samples() {
    cuts_never_gain_samples("pipe.data");
}

#[test]
fn a_dwarf_file_cut_anywhere_keeps_every_sample_before_the_cut() {
    let data = seed("dwarf.data");
    for cut in (HEADER_SIZE..data.len()).step_by(97) {
        if let Ok(profile) = read(&data[..cut]) {
            assert_eq!(
                profile.samples().len(),
                samples_before(&data, cut),
                "cut at {cut}"
            );
        }
    }
}

#[test]
fn a_sample_whose_callchain_claims_millions_of_frames_costs_only_that_sample() {
    let mut data = seed("fp.data");
    let whole = read(&data).unwrap().samples().len();
    // The callchain's length is the word before its first context marker (PERF_CONTEXT_KERNEL
    // or PERF_CONTEXT_USER) in the first sample record.
    let start = word(&data, 40) as usize;
    let mut at = start;
    let count_at = loop {
        let kind = u32::from_le_bytes(data[at..at + 4].try_into().unwrap());
        let size = usize::from(u16::from_le_bytes([data[at + 6], data[at + 7]]));
        if kind == PERF_RECORD_SAMPLE {
            let marker = (at + 8..at + size - 8).step_by(8).find(|&i| {
                let w = word(&data, i);
                w == 0xffff_ffff_ffff_ff80 || w == 0xffff_ffff_ffff_fe00
            });
            break marker.expect("a callchain") - 8;
        }
        at += size;
    };
    assert!(word(&data, count_at) < 128, "found the callchain length");
    data[count_at..count_at + 8].copy_from_slice(&5_000_000u64.to_le_bytes());
    let profile = read(&data).unwrap();
    assert!(
        profile.samples().len() >= whole - 1,
        "only the damaged sample may go"
    );
    assert!(
        profile
            .meta
            .warnings
            .iter()
            .any(|w| w.kind == WarningKind::DamagedRecord),
        "{:?}",
        profile.meta.warnings
    );
}
