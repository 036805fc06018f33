//! Checks of a perf.data file's header and metadata against the file, made before
//! linux-perf-data reads them.
//!
//! linux-perf-data allocates what the counts and sizes in the file claim (`Vec::with_capacity`
//! of a `u32` count, a buffer of a section's size) and divides by the attribute size, so a
//! damaged or hostile header would abort the process on a failed allocation or panic. Every
//! count and size it will use is checked here first, against the file and against what the
//! bytes behind it can hold; a failed check is a clear error instead.

use super::endian::Endian;
use super::records::RecordHeader;
use super::source::Source;
use crate::error::{FeatureProblem, PerfDataError};

/// perf.data file header layout (perf's `struct perf_file_header`).
pub(super) const HEADER_SIZE: usize = 104;
const ATTR_SIZE_AT: usize = 16;
const ATTRS_SECTION_AT: usize = 24;
pub(super) const DATA_SECTION_AT: usize = 40;
const EVENT_TYPES_SECTION_AT: usize = 56;
pub(super) const FEATURE_BITS_AT: usize = 72;
/// Pipe-mode header: the magic and its own size.
const PIPE_HEADER_SIZE: u64 = 16;

/// `perf_event_attr` has been 64 bytes (`PERF_ATTR_SIZE_VER0`) to 136 bytes so far; anything
/// far outside that is not an attribute.
const ATTR_SIZE_MIN: u64 = 64;
const ATTR_SIZE_MAX: u64 = 4096;
/// A `perf_file_section`: offset and size, both `u64`.
const SECTION_SIZE: u64 = 16;

/// The feature sections whose contents linux-perf-data parses with counts from the file.
const HEADER_CMDLINE: u32 = 11;
const HEADER_EVENT_DESC: u32 = 12;
const HEADER_SIMPLEPERF_META_INFO: u32 = 129;

/// Pipe-mode metadata records that linux-perf-data reads before the first event.
const PERF_RECORD_HEADER_ATTR: u32 = 64;
const PERF_RECORD_HEADER_FEATURE: u32 = 80;

/// The records region of the input.
#[derive(Debug, Clone, Copy)]
pub(super) struct Region {
    /// Where the first record starts.
    pub start: u64,
    /// Where the records end (the input's length for a pipe-mode stream).
    pub end: u64,
    /// The file was written big-endian.
    pub big_endian: bool,
}

/// A section of the file: where it starts and how long it is.
#[derive(Clone, Copy)]
struct Section {
    offset: u64,
    size: u64,
}

impl Section {
    fn at(endian: Endian, bytes: &[u8], at: usize) -> Option<Self> {
        Some(Self {
            offset: endian.u64(bytes, at)?,
            size: endian.u64(bytes, at + 8)?,
        })
    }

    fn fits_in(self, len: u64) -> bool {
        self.offset
            .checked_add(self.size)
            .is_some_and(|end| end <= len)
    }
}

/// Check a file-mode header, its sections and the feature sections linux-perf-data parses.
/// A file too short for the header passes: the reader reports that itself.
pub(super) fn check_file(source: &impl Source) -> Result<(), PerfDataError> {
    let len = source.len();
    let mut header = [0u8; HEADER_SIZE];
    if !source.read_at(0, &mut header) {
        return Ok(());
    }
    let Some(endian) = Endian::of(&header[..8]) else {
        return Ok(());
    };
    let word = |at| endian.u64(&header, at).unwrap_or(0);
    let section = |at| Section::at(endian, &header, at).expect("inside the header");
    let attr_size = word(ATTR_SIZE_AT);
    if !(ATTR_SIZE_MIN..=ATTR_SIZE_MAX).contains(&attr_size) {
        return Err(PerfDataError::AttributeSize { size: attr_size });
    }
    let named = [
        ("attribute", ATTRS_SECTION_AT),
        ("data", DATA_SECTION_AT),
        ("event type", EVENT_TYPES_SECTION_AT),
    ];
    for (name, at) in named {
        let s = section(at);
        if !s.fits_in(len) {
            return Err(PerfDataError::SectionOutside {
                section: name,
                offset: s.offset,
                size: s.size,
                len,
            });
        }
    }
    check_id_sections(
        source,
        endian,
        section(EVENT_TYPES_SECTION_AT),
        attr_size + SECTION_SIZE,
    )?;
    let features = feature_ids(endian, &header);
    if features.contains(&HEADER_SIMPLEPERF_META_INFO) {
        // Simpleperf keeps each event's id section inside its attribute entries.
        check_id_sections(source, endian, section(ATTRS_SECTION_AT), attr_size)?;
    }
    let data = section(DATA_SECTION_AT);
    let table = data.offset.saturating_add(data.size);
    for (i, &feature) in features.iter().enumerate() {
        let at = table.saturating_add(i as u64 * SECTION_SIZE);
        let mut entry = [0u8; SECTION_SIZE as usize];
        let s = source
            .read_at(at, &mut entry)
            .then(|| Section::at(endian, &entry, 0))
            .flatten()
            .filter(|s| s.fits_in(len));
        let Some(s) = s else {
            return Err(PerfDataError::FeatureOutside { index: i, at, len });
        };
        if matches!(feature, HEADER_CMDLINE | HEADER_EVENT_DESC) {
            let mut contents = vec![0u8; s.size as usize];
            let checked = if source.read_at(s.offset, &mut contents) {
                check_feature(endian, feature, &contents)
            } else {
                Err(FeatureProblem::Unreadable)
            };
            checked.map_err(|problem| PerfDataError::Feature {
                index: i,
                at: s.offset,
                problem,
            })?;
        }
    }
    Ok(())
}

/// Where the records are: a file's data section (as much of it as the file holds), or
/// everything after a pipe-mode stream's header.
pub(super) fn records_region(source: &impl Source) -> Result<Region, PerfDataError> {
    let len = source.len();
    let mut header = [0u8; HEADER_SIZE];
    let short = !source.read_at(0, &mut header);
    let endian = Endian::of(&header[..8]).ok_or(PerfDataError::NotPerfData)?;
    let pipe = endian.u64(&header, 8) == Some(PIPE_HEADER_SIZE);
    if pipe {
        return Ok(Region {
            start: PIPE_HEADER_SIZE,
            end: len,
            big_endian: endian.big,
        });
    }
    if short {
        return Err(PerfDataError::ShortHeader { len });
    }
    let data = Section::at(endian, &header, DATA_SECTION_AT).expect("inside the header");
    Ok(Region {
        start: data.offset,
        end: data.offset.saturating_add(data.size).min(len),
        big_endian: endian.big,
    })
}

/// The feature ids whose bits the header sets, in the order of the feature table.
fn feature_ids(endian: Endian, header: &[u8]) -> Vec<u32> {
    let mut ids = Vec::new();
    for word_index in 0..4u32 {
        let at = FEATURE_BITS_AT + word_index as usize * 8;
        let bits = endian.u64(header, at).unwrap_or(0);
        ids.extend(
            (0..64u32)
                .filter(|bit| bits & (1 << bit) != 0)
                .map(|bit| word_index * 64 + bit),
        );
    }
    ids
}

/// Each entry of `section` (entries of `entry_size` bytes) ends with the `(offset, size)` of a
/// list of event ids: check that every list lies inside the file.
fn check_id_sections(
    source: &impl Source,
    endian: Endian,
    section: Section,
    entry_size: u64,
) -> Result<(), PerfDataError> {
    let len = source.len();
    let entries = section.size / entry_size;
    for i in 0..entries {
        let at = section.offset + i * entry_size + entry_size - SECTION_SIZE;
        let mut entry = [0u8; SECTION_SIZE as usize];
        let ids = source
            .read_at(at, &mut entry)
            .then(|| Section::at(endian, &entry, 0))
            .flatten();
        if !ids.is_some_and(|s| s.fits_in(len)) {
            return Err(PerfDataError::EventIdsOutside { event: i, at, len });
        }
    }
    Ok(())
}

/// Check the counts inside a feature section that linux-perf-data allocates by.
fn check_feature(endian: Endian, feature: u32, data: &[u8]) -> Result<(), FeatureProblem> {
    match feature {
        HEADER_CMDLINE => check_string_list(endian, data),
        HEADER_EVENT_DESC => check_event_desc(endian, data),
        _ => Ok(()),
    }
}

/// A `u32` count, then that many `perf_header_string`s.
fn check_string_list(endian: Endian, data: &[u8]) -> Result<(), FeatureProblem> {
    let count = endian
        .u32(data, 0)
        .ok_or(FeatureProblem::NoCount { what: "string" })?;
    let mut at = 4usize;
    for i in 0..count {
        at = skip_string(endian, data, at).ok_or(FeatureProblem::CutShort {
            list: "the command line",
            count,
            items: "strings",
            index: i,
        })?;
    }
    Ok(())
}

/// A `perf_header_string` at `at`: a `u32` length, then that many bytes. Where it ends.
fn skip_string(endian: Endian, data: &[u8], at: usize) -> Option<usize> {
    let len = endian.u32(data, at)? as usize;
    let end = at.checked_add(4)?.checked_add(len)?;
    (end <= data.len()).then_some(end)
}

/// `HEADER_EVENT_DESC`: a count and an attribute size, then per event the attribute, a count of
/// ids, the event's name and the ids.
fn check_event_desc(endian: Endian, data: &[u8]) -> Result<(), FeatureProblem> {
    let count = endian
        .u32(data, 0)
        .ok_or(FeatureProblem::NoCount { what: "event" })?;
    let attr_size = endian.u32(data, 4).ok_or(FeatureProblem::NoCount {
        what: "attribute size",
    })? as usize;
    if !(ATTR_SIZE_MIN..=ATTR_SIZE_MAX).contains(&(attr_size as u64)) {
        return Err(FeatureProblem::AttributeSize {
            size: attr_size as u64,
        });
    }
    let cut = |index| FeatureProblem::CutShort {
        list: "the event descriptions",
        count,
        items: "events",
        index,
    };
    let mut at = 8usize;
    for i in 0..count {
        at = at
            .checked_add(attr_size)
            .filter(|&end| end <= data.len())
            .ok_or_else(|| cut(i))?;
        let ids = endian.u32(data, at).ok_or_else(|| cut(i))? as usize;
        at = skip_string(endian, data, at + 4).ok_or_else(|| cut(i))?;
        at = ids
            .checked_mul(8)
            .and_then(|n| at.checked_add(n))
            .filter(|&end| end <= data.len())
            .ok_or_else(|| cut(i))?;
    }
    Ok(())
}

/// Check the metadata records at the start of a pipe-mode stream (attributes and feature
/// sections, read before the first event). `Ok(Some(at))`: the stream ends inside the metadata
/// record, or the first event record, that starts at byte `at`.
pub(super) fn check_pipe(source: &impl Source) -> Result<Option<u64>, PerfDataError> {
    let mut magic = [0u8; 8];
    if !source.read_at(0, &mut magic) {
        return Ok(None);
    }
    let Some(endian) = Endian::of(&magic) else {
        return Ok(None);
    };
    let len = source.len();
    let mut at = PIPE_HEADER_SIZE;
    loop {
        let mut header = [0u8; 8];
        if !source.read_at(at, &mut header) {
            return Ok((at < len).then_some(at));
        }
        let Some(record) = RecordHeader::read(&header, endian) else {
            return Ok(None);
        };
        let (kind, size) = (record.record_type, record.size as u64);
        if at + size > len {
            return Ok(Some(at));
        }
        if !matches!(kind, PERF_RECORD_HEADER_ATTR | PERF_RECORD_HEADER_FEATURE) {
            return Ok(None);
        }
        if kind == PERF_RECORD_HEADER_FEATURE {
            let mut body = vec![0u8; size as usize - 8];
            if !source.read_at(at + 8, &mut body) {
                return Ok(Some(at));
            }
            let feature = endian.u64(&body, 0).unwrap_or(0) as u32;
            check_feature(endian, feature, body.get(8..).unwrap_or_default())
                .map_err(|problem| PerfDataError::FeatureRecord { at, problem })?;
        }
        at += size;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LE: Endian = Endian { big: false };

    fn string(s: &str) -> Vec<u8> {
        let mut out = (s.len() as u32).to_le_bytes().to_vec();
        out.extend_from_slice(s.as_bytes());
        out
    }

    #[test]
    fn string_lists_must_hold_the_strings_they_count() {
        let mut list = 2u32.to_le_bytes().to_vec();
        list.extend(string("perf"));
        list.extend(string("record"));
        assert!(check_string_list(LE, &list).is_ok());
        list[..4].copy_from_slice(&u32::MAX.to_le_bytes());
        let err = check_string_list(LE, &list).unwrap_err();
        assert_eq!(
            err,
            FeatureProblem::CutShort {
                list: "the command line",
                count: u32::MAX,
                items: "strings",
                index: 2
            }
        );
        assert!(err.to_string().contains("4294967295 strings"), "{err}");
    }

    #[test]
    fn event_descriptions_must_hold_the_events_they_count() {
        let mut desc = 1u32.to_le_bytes().to_vec();
        desc.extend(128u32.to_le_bytes());
        desc.extend([0u8; 128]);
        desc.extend(2u32.to_le_bytes());
        desc.extend(string("cycles"));
        desc.extend([0u8; 16]);
        assert!(check_event_desc(LE, &desc).is_ok());
        let mut many_ids = desc.clone();
        many_ids[8 + 128..8 + 132].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(check_event_desc(LE, &many_ids).is_err());
        let mut tiny_attr = desc.clone();
        tiny_attr[4..8].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            check_event_desc(LE, &tiny_attr),
            Err(FeatureProblem::AttributeSize { size: 0 })
        );
        desc[..4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(check_event_desc(LE, &desc).is_err());
    }
}
