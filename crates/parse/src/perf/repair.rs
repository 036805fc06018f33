//! A file damaged after its records (perf killed mid-write leaves the feature sections, which
//! come after the samples, missing or cut): made readable by a header that claims no feature
//! sections and ends the records at the last complete one.

use super::header::{DATA_SECTION_AT, FEATURE_BITS_AT, HEADER_SIZE};
use super::records::Walk;

/// A damaged file made readable: its header claims no feature sections and a data section that
/// ends with the last complete record.
pub(super) struct Repaired {
    pub data: Vec<u8>,
    /// Where the last complete record ends, in the file.
    pub records_end: u64,
}

/// A copy of `data` whose header claims no feature sections and a data section that ends at the
/// end of its last complete record, or `None` if even that header is not there.
pub(super) fn without_feature_sections(data: &[u8]) -> Option<Repaired> {
    if data.len() < HEADER_SIZE || &data[..8] != b"PERFILE2" {
        return None;
    }
    let word = |at: usize| u64::from_le_bytes(data[at..at + 8].try_into().expect("8 bytes"));
    let attrs_end = word(24).checked_add(word(32))?;
    if attrs_end > data.len() as u64 {
        return None;
    }
    let mut fixed = data.to_vec();
    let data_offset = word(DATA_SECTION_AT);
    let available = (data.len() as u64).checked_sub(data_offset)?;
    let size = word(DATA_SECTION_AT + 8).min(available);
    let start = usize::try_from(data_offset).ok()?;
    let size = complete_records_len(data.get(start..start + usize::try_from(size).ok()?)?);
    fixed[DATA_SECTION_AT + 8..DATA_SECTION_AT + 16].copy_from_slice(&(size as u64).to_le_bytes());
    fixed[FEATURE_BITS_AT..HEADER_SIZE].fill(0);
    Some(Repaired {
        data: fixed,
        records_end: data_offset + size as u64,
    })
}

/// The length of the complete records at the start of `records`.
fn complete_records_len(records: &[u8]) -> usize {
    let mut walk = Walk::new(records);
    walk.by_ref().for_each(drop);
    walk.at()
}
