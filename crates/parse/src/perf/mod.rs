//! Linux `perf.data`: file and pipe mode, compressed records, several events, frame-pointer,
//! DWARF and no call graphs. Built on the linux-perf-data crate.
//!
//! Records are streamed once, in time order. COMM / FORK / EXIT / MMAP / MMAP2 keep a model of
//! the processes, threads and executable mappings; each sample's addresses are turned into
//! unresolved frames (module + file offset; kernel addresses stay absolute) against the
//! mappings live at that moment. `--call-graph dwarf` user stacks are unwound on the spot with
//! framehop. Names are found afterwards by the symbolizer.
//!
//! The files, each with one job (a module uses only those listed after it; this one uses
//! them all):
//! - `blocks`: the block reader (parallel parsing of a well-formed file; its walk, workers
//!   and ordered pass);
//! - `general`: the general reader (linux-perf-data's iterator: every file);
//! - `repair`: a file damaged after its records, made readable;
//! - `builder`: the profile both readers build, record by record in time order;
//! - `stacks`: a sample's frames to an interned stack, with its caches;
//! - `state`: processes, threads and mappings over time; `unwind`: DWARF unwinding;
//! - `sample`: a sample's frames, decoded in one place for both readers; `offcpu`: off-CPU
//!   time from `sched_switch`;
//! - `guard`: the general reader's input, followed record by record; `header`: the header
//!   checks; `records`: record headers, read in one place; `source`: the input;
//!   `endian`: byte order; `options`.

mod blocks;
mod builder;
mod endian;
mod general;
mod guard;
mod header;
mod offcpu;
mod options;
mod outer;
mod records;
mod repair;
mod sample;
mod source;
mod stacks;
mod state;
mod unwind;

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};

use linux_perf_data::PerfFileReader;
use profview_model::{Profile, WarningKind};

use crate::progress::Tracked;
use crate::{ParseError, PerfDataError};
use builder::start_profile;
use general::read_records;
use guard::RecordGuard;
use header::Region;
pub use options::{PerfOptions, PerfReader};
use repair::without_feature_sections;
use source::{Source, READ_BUFFER};

/// Read a perf.data file (or pipe-mode stream) held in `data`.
pub fn read_perf_data(
    name: &str,
    data: &[u8],
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    read_perf(name, &data, || Cursor::new(data), options)
}

/// Read a perf.data file from disk. Records are read a window at a time (memory maps of a few
/// megabytes, or a small buffer for the general reader), so a file of hundreds of megabytes
/// never sits in memory whole.
pub fn read_perf_file(
    name: &str,
    file: &File,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let total = Source::len(&file);
    let open = || {
        let tracked = Tracked::new(file, total, options.progress.clone());
        BufReader::with_capacity(READ_BUFFER, tracked)
    };
    read_perf(name, &file, open, options)
}

/// The user-space modules a perf.data file's header lists with their build-ids,
/// as (recorded path, build-id): `perf record` lists the ones its samples hit, so their
/// symbols can be read while the records are. Empty for a pipe-mode stream, a file without
/// the list, or a header that does not check out (reading the file then says why).
pub fn recorded_user_modules(file: &File) -> Vec<(String, Vec<u8>)> {
    use linux_perf_data::DsoKey;
    let mut size_field = [0u8; 8];
    let pipe_mode = !(&file).read_at(8, &mut size_field) || size_field == 16u64.to_le_bytes();
    if pipe_mode || header::check_file(&file).is_err() {
        return Vec::new();
    }
    let Ok(reader) = PerfFileReader::parse_file(BufReader::new(file)) else {
        return Vec::new();
    };
    let build_ids = reader.perf_file.build_ids().unwrap_or_default();
    let mut modules: Vec<(String, Vec<u8>)> = build_ids
        .into_iter()
        .filter(|(key, _)| matches!(key, DsoKey::User { .. }))
        .map(|(_, info)| {
            (
                String::from_utf8_lossy(&info.path).into_owned(),
                info.build_id,
            )
        })
        .collect();
    modules.sort();
    modules
}

fn read_perf<S: Source + Sync, R: Read + Seek + Send>(
    name: &str,
    source: &S,
    open: impl Fn() -> R,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let mut size_field = [0u8; 8];
    let pipe_mode = source.read_at(8, &mut size_field) && size_field == 16u64.to_le_bytes();
    if pipe_mode {
        if options.reader == PerfReader::Blocks {
            return Err(perf_error(name, PerfDataError::NotForBlockReader));
        }
        return read_pipe(name, source, open, options);
    }
    let parsed = header::check_file(source).and_then(|()| {
        let region = header::records_region(source)?;
        let (guarded, seen) = RecordGuard::new(open(), region, 0);
        let reader = PerfFileReader::parse_file(guarded)?;
        Ok((reader, seen, region))
    });
    match parsed {
        Ok((reader, seen, region)) => {
            let fast = match options.reader {
                PerfReader::General => None,
                _ => read_fast(name, source, region, &reader.perf_file, options),
            };
            match (fast, options.reader) {
                (Some(profile), _) => Ok(profile),
                (None, PerfReader::Blocks) => {
                    Err(perf_error(name, PerfDataError::NotForBlockReader))
                }
                (None, _) => Ok(read_records(name, reader, None, &seen, options)),
            }
        }
        Err(e) => {
            let profile = read_repaired(name, source, e, options)?;
            match options.reader {
                PerfReader::Blocks => Err(perf_error(name, PerfDataError::NotForBlockReader)),
                _ => Ok(profile),
            }
        }
    }
}

fn perf_error(name: &str, source: impl Into<PerfDataError>) -> ParseError {
    ParseError::PerfData {
        name: name.to_owned(),
        source: source.into(),
    }
}

/// A pipe-mode stream (`perf record -o -`), through the general reader.
fn read_pipe<S: Source, R: Read + Seek + Send>(
    name: &str,
    source: &S,
    open: impl Fn() -> R,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let cut = header::check_pipe(source).map_err(|e| perf_error(name, e))?;
    if let Some(at) = cut {
        return read_cut_pipe(name, source, at, options);
    }
    let region = header::records_region(source).map_err(|e| perf_error(name, e))?;
    let (guarded, seen) = RecordGuard::new(open(), region, 0);
    let reader = PerfFileReader::parse_pipe(guarded).map_err(|e| perf_error(name, e))?;
    let mut profile = read_records(name, reader, None, &seen, options);
    let cut = seen.lock().unwrap_or_else(|e| e.into_inner()).cut;
    if let Some(at) = cut {
        profile.meta.warnings.add(WarningKind::Truncated, || {
            format!(
                "the stream ends inside the record at byte {at} (of {}): it was cut short; the records before it are analyzed",
                source.len()
            )
        });
    }
    Ok(profile)
}

/// A pipe-mode stream cut short before its first event (inside the metadata record or the
/// first event record at byte `at`): what comes before the cut record.
fn read_cut_pipe<S: Source>(
    name: &str,
    source: &S,
    at: u64,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let mut metadata = vec![0u8; usize::try_from(at).unwrap_or(0)];
    source.read_at(0, &mut metadata);
    let region = header::records_region(&metadata.as_slice()).map_err(|e| perf_error(name, e))?;
    let (guarded, seen) = RecordGuard::new(Cursor::new(metadata.as_slice()), region, 0);
    let reader = PerfFileReader::parse_pipe(guarded).map_err(|e| perf_error(name, e))?;
    let mut profile = read_records(name, reader, None, &seen, options);
    profile.meta.warnings.add(WarningKind::Truncated, || {
        format!(
            "the stream ends inside the record at byte {at} (of {}): it was cut short before its first event",
            source.len()
        )
    });
    Ok(profile)
}

/// A file whose header or feature sections linux-perf-data refused with `e`: the records
/// before the damage, when a repaired header makes them readable (see `repair`).
fn read_repaired<S: Source>(
    name: &str,
    source: &S,
    e: PerfDataError,
    options: &PerfOptions,
) -> Result<Profile, ParseError> {
    let Some(repaired) = source
        .read_all()
        .as_deref()
        .and_then(without_feature_sections)
    else {
        return Err(perf_error(name, e));
    };
    let why = format!(
        "{e}; its complete records end at byte {} of {}",
        repaired.records_end,
        source.len()
    );
    let fixed = repaired.data.as_slice();
    let Ok(region) = header::check_file(&fixed).and_then(|()| header::records_region(&fixed))
    else {
        return Err(perf_error(name, e));
    };
    let (guarded, seen) = RecordGuard::new(Cursor::new(fixed), region, 0);
    match PerfFileReader::parse_file(guarded) {
        Ok(reader) => Ok(read_records(name, reader, Some(why), &seen, options)),
        Err(_) => Err(perf_error(name, e)),
    }
}

/// Read the records of a well-formed file in parallel blocks (see `blocks.rs`); `None` when the
/// file must go through the general reader.
fn read_fast<S: Source + Sync>(
    name: &str,
    source: &S,
    region: Region,
    perf_file: &linux_perf_data::PerfFile,
    options: &PerfOptions,
) -> Option<Profile> {
    let (mut profile, mut builder) = start_profile(name, perf_file, None, options);
    let progress = options.progress.as_ref();
    blocks::read_blocks(
        source,
        (region, options.block_size),
        perf_file,
        &mut builder,
        &mut profile,
        progress,
    )
    .ok()?;
    builder.finish(&mut profile);
    Some(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(file: &mut [u8], at: usize, value: u64) {
        file[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn a_damaged_header_is_a_typed_error_that_says_where() {
        let mut file = vec![0u8; header::HEADER_SIZE];
        file[..8].copy_from_slice(b"PERFILE2");
        word(&mut file, 8, header::HEADER_SIZE as u64);
        word(&mut file, 16, 136); // the attribute size
        word(&mut file, 24, header::HEADER_SIZE as u64); // no attributes
        word(&mut file, 40, 1000); // the data section, past the end
        word(&mut file, 48, 50);
        let err = read_perf_data("x.data", &file, &PerfOptions::default()).unwrap_err();
        assert!(
            matches!(
                &err,
                ParseError::PerfData {
                    source: PerfDataError::SectionOutside {
                        section: "data",
                        offset: 1000,
                        size: 50,
                        len: 104
                    },
                    ..
                }
            ),
            "{err:?}"
        );
        assert_eq!(
            err.to_string(),
            "x.data: not a readable perf.data file: the data section (50 bytes at byte 1000) lies outside the 104-byte file"
        );
        word(&mut file, 16, 8);
        let err = read_perf_data("x.data", &file, &PerfOptions::default()).unwrap_err();
        assert!(matches!(
            err,
            ParseError::PerfData {
                source: PerfDataError::AttributeSize { size: 8 },
                ..
            }
        ));
    }
}
