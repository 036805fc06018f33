//! Record headers, read in one place: every walk over records (the repair of a damaged file,
//! the guard on the general reader's stream, the pipe-mode metadata check, the block reader's
//! walk and its workers) reads them here.
//!
//! A record starts with a `u32` type, a `u16` misc and a `u16` size that counts the 8-byte
//! header itself.

use linux_perf_data::linux_perf_event_reader::constants::PERF_RECORD_MISC_MMAP_BUILD_ID;
use linux_perf_data::linux_perf_event_reader::{RawData, RecordType};

use super::endian::Endian;

pub(super) const PERF_RECORD_SAMPLE: u32 = 9;
/// The first record type perf itself defines (the kernel's are below).
pub(super) const PERF_RECORD_USER_TYPE_START: u32 = 64;
pub(super) const PERF_RECORD_FINISHED_ROUND: u32 = 68;
pub(super) const PERF_RECORD_AUXTRACE: u32 = 71;
pub(super) const PERF_RECORD_COMPRESSED: u32 = 81;
pub(super) const PERF_RECORD_COMPRESSED2: u32 = 83;

/// A record header's length.
pub(super) const HEADER_LEN: usize = 8;

/// A record's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct RecordHeader {
    pub record_type: u32,
    pub misc: u16,
    /// The whole record's length, header included: at least [`HEADER_LEN`].
    pub size: usize,
}

impl RecordHeader {
    /// The header at the start of `bytes`; `None` when `bytes` is shorter than a header or the
    /// size is less than the header's own (a damaged record, or not a record).
    #[inline]
    pub(super) fn read(bytes: &[u8], endian: Endian) -> Option<Self> {
        let header = Self {
            record_type: endian.u32(bytes, 0)?,
            misc: endian.u16(bytes, 4)?,
            size: usize::from(endian.u16(bytes, 6)?),
        };
        (header.size >= HEADER_LEN).then_some(header)
    }

    /// [`Self::read`] for a little-endian file, the block reader's hot path.
    #[inline]
    pub(super) fn read_le(bytes: &[u8]) -> Option<Self> {
        let header: &[u8; HEADER_LEN] = bytes.get(..HEADER_LEN)?.try_into().ok()?;
        let header = Self {
            record_type: u32::from_le_bytes([header[0], header[1], header[2], header[3]]),
            misc: u16::from_le_bytes([header[4], header[5]]),
            size: usize::from(u16::from_le_bytes([header[6], header[7]])),
        };
        (header.size >= HEADER_LEN).then_some(header)
    }
}

/// The whole records at the start of a little-endian records region, in order: each one's
/// offset and header. The walk stops before the first record that is damaged or not whole in
/// the bytes; [`Self::at`] then says where.
pub(super) struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Walk<'a> {
    pub(super) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, at: 0 }
    }

    /// Where the next record starts (the end of the records walked so far).
    pub(super) fn at(&self) -> usize {
        self.at
    }
}

impl Iterator for Walk<'_> {
    type Item = (usize, RecordHeader);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let at = self.at;
        let header = RecordHeader::read_le(self.bytes.get(at..)?)?;
        if header.size > self.bytes.len() - at {
            return None;
        }
        self.at += header.size;
        Some((at, header))
    }
}

/// Why a record that linux-perf-event-reader would panic on (rather than return an error for)
/// cannot be parsed.
pub(super) fn unparseable(record_type: RecordType, misc: u16, data: RawData<'_>) -> Option<String> {
    /// MMAP2 with a build-id: pid, tid, address, length, page offset, then the id's length.
    const MMAP2_BUILD_ID_LEN_AT: usize = 32;
    const MAX_BUILD_ID: u8 = 20;
    if record_type == RecordType::MMAP2 && misc & PERF_RECORD_MISC_MMAP_BUILD_ID != 0 {
        let RawData::Single(bytes) = data else {
            return None;
        };
        let len = bytes.get(MMAP2_BUILD_ID_LEN_AT).copied().unwrap_or(0);
        if len > MAX_BUILD_ID {
            return Some(format!("an MMAP2 record claims a {len}-byte build-id"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u32, size: u16) -> Vec<u8> {
        let mut r = kind.to_le_bytes().to_vec();
        r.extend_from_slice(&7u16.to_le_bytes());
        r.extend_from_slice(&size.to_le_bytes());
        r.resize(usize::from(size.max(8)), 0);
        r
    }

    #[test]
    fn headers_read_the_same_in_both_byte_orders() {
        let mut big = 9u32.to_be_bytes().to_vec();
        big.extend_from_slice(&7u16.to_be_bytes());
        big.extend_from_slice(&24u16.to_be_bytes());
        let little = record(9, 24);
        let expected = RecordHeader {
            record_type: 9,
            misc: 7,
            size: 24,
        };
        assert_eq!(
            RecordHeader::read(&big, Endian { big: true }),
            Some(expected)
        );
        assert_eq!(
            RecordHeader::read(&little, Endian { big: false }),
            Some(expected)
        );
        assert_eq!(RecordHeader::read_le(&little), Some(expected));
        assert_eq!(RecordHeader::read_le(&little[..7]), None, "short");
        assert_eq!(
            RecordHeader::read_le(&record(9, 4)[..8]),
            None,
            "smaller than a header"
        );
    }

    #[test]
    fn the_walk_stops_before_a_record_that_is_not_whole() {
        let mut bytes = record(9, 16);
        bytes.extend(record(3, 24));
        bytes.extend(&record(9, 32)[..20]);
        let mut walk = Walk::new(&bytes);
        let found: Vec<(usize, u32)> = walk.by_ref().map(|(at, h)| (at, h.record_type)).collect();
        assert_eq!(found, [(0, 9), (16, 3)]);
        assert_eq!(walk.at(), 40);
        let mut damaged = record(9, 16);
        damaged.extend(record(3, 4));
        let mut walk = Walk::new(&damaged);
        assert_eq!(walk.by_ref().count(), 1);
        assert_eq!(walk.at(), 16);
    }
}
