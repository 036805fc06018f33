//! A reader between linux-perf-data and the input that follows the record boundaries of the
//! records region as the bytes pass (it looks only at each record's 8-byte header, and at the
//! first 8 bytes of an AUXTRACE body).
//!
//! It does two things linux-perf-data does not:
//! - An AUXTRACE record says how many bytes of trace data follow it, and linux-perf-data
//!   allocates that much before reading them. A size beyond the end of the input fails the
//!   read instead, with the reason kept for the warning.
//! - A pipe-mode stream carries no length, and linux-perf-data takes an end of input in the
//!   middle of a record for the end of the stream. The guard notes where that record starts.

use std::io::{Read, Seek, SeekFrom};
use std::sync::{Arc, Mutex};

use super::endian::Endian;
use super::header::Region;
use super::records::{RecordHeader, PERF_RECORD_AUXTRACE};
use crate::error::PerfDataError;

/// What the guard saw, shared with the code that reads the profile.
#[derive(Debug, Default)]
pub(super) struct Seen {
    /// The input ended inside the record that starts at this byte.
    pub cut: Option<u64>,
    /// Why a read was failed on purpose.
    pub refused: Option<PerfDataError>,
}

pub(super) type Shared = Arc<Mutex<Seen>>;

pub(super) struct RecordGuard<R> {
    inner: R,
    region: Region,
    /// The position of the next byte `inner` delivers.
    pos: u64,
    /// Where the record whose header (or AUXTRACE size) is being collected starts.
    record_at: u64,
    /// Where the record before it starts (whose body may still be passing).
    last_start: u64,
    /// The record's header, then for AUXTRACE the first 8 bytes of its body.
    bytes: [u8; 16],
    filled: usize,
    /// How many bytes of `bytes` this record needs.
    wanted: usize,
    /// Reads skipped ahead or a record claimed less than its own header: stop following.
    lost: bool,
    seen: Shared,
}

impl<R> RecordGuard<R> {
    pub(super) fn new(inner: R, region: Region, pos: u64) -> (Self, Shared) {
        let seen = Shared::default();
        let guard = Self {
            inner,
            region,
            pos,
            record_at: region.start,
            last_start: region.start,
            bytes: [0; 16],
            filled: 0,
            wanted: 8,
            lost: false,
            seen: Arc::clone(&seen),
        };
        (guard, seen)
    }

    fn endian(&self) -> Endian {
        Endian {
            big: self.region.big_endian,
        }
    }

    /// Follow the records in `chunk`, the bytes from `self.pos` on. `Err`: refuse the read.
    fn observe(&mut self, chunk: &[u8]) -> Result<(), PerfDataError> {
        let end = self.pos + chunk.len() as u64;
        loop {
            let next = self.record_at + self.filled as u64;
            if self.lost || next >= end.min(self.region.end) {
                break;
            }
            if next < self.pos {
                // The reader jumped past a record: nothing more can be followed.
                self.lost = true;
                break;
            }
            let from = (next - self.pos) as usize;
            let take = (self.wanted - self.filled).min(chunk.len() - from);
            self.bytes[self.filled..self.filled + take].copy_from_slice(&chunk[from..from + take]);
            self.filled += take;
            if self.filled < self.wanted {
                break;
            }
            self.record_complete()?;
        }
        Ok(())
    }

    /// The header (and AUXTRACE size) of the record at `record_at` is in: move to the next.
    fn record_complete(&mut self) -> Result<(), PerfDataError> {
        let Some(header) = RecordHeader::read(&self.bytes, self.endian()) else {
            self.lost = true;
            return Ok(());
        };
        let size = header.size as u64;
        let auxtrace = header.record_type == PERF_RECORD_AUXTRACE && size >= 16;
        if auxtrace && self.wanted == 8 {
            self.wanted = 16; // the trace size comes first in the body
            return Ok(());
        }
        let mut next = self.record_at + size;
        if auxtrace {
            let trace = self.endian().u64(&self.bytes, 8).expect("collected");
            let room = self.region.end.saturating_sub(next);
            if trace > room {
                return Err(PerfDataError::AuxtraceBeyondEnd {
                    at: self.record_at,
                    claimed: trace,
                    room,
                });
            }
            next += trace;
        }
        self.last_start = self.record_at;
        self.record_at = next;
        self.filled = 0;
        self.wanted = 8;
        Ok(())
    }

    fn at_end(&mut self) {
        let inside = !self.lost
            && self.pos > self.region.start
            && (self.filled > 0 || self.record_at > self.pos);
        if inside {
            let start = if self.filled > 0 {
                self.record_at
            } else {
                self.last_start
            };
            self.seen.lock().unwrap_or_else(|e| e.into_inner()).cut = Some(start);
        }
    }
}

impl<R: Read> Read for RecordGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.at_end();
            return Ok(0);
        }
        if let Err(why) = self.observe(&buf[..n]) {
            self.lost = true;
            // linux-perf-data gets an io::Error; the reason is kept typed for the profile.
            let error = std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string());
            self.seen.lock().unwrap_or_else(|e| e.into_inner()).refused = Some(why);
            return Err(error);
        }
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Seek> Seek for RecordGuard<R> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: u32, size: u16) -> Vec<u8> {
        let mut r = vec![0u8; usize::from(size)];
        r[..4].copy_from_slice(&kind.to_le_bytes());
        r[6..8].copy_from_slice(&size.to_le_bytes());
        r
    }

    /// Read `stream` (a 16-byte pipe header, then records) in small pieces, so that headers
    /// straddle reads; what the guard saw, and whether a read was refused.
    fn guard(stream: &[u8]) -> (Seen, bool) {
        let region = Region {
            start: 16,
            end: stream.len() as u64,
            big_endian: false,
        };
        let (mut g, seen) = RecordGuard::new(stream, region, 0);
        let mut buf = [0u8; 5];
        let refused = loop {
            match g.read(&mut buf) {
                Ok(0) => break false,
                Ok(_) => {}
                Err(_) => break true,
            }
        };
        let seen = std::mem::take(&mut *seen.lock().unwrap());
        (seen, refused)
    }

    #[test]
    fn finds_the_record_a_stream_was_cut_in() {
        let mut stream = vec![0u8; 16];
        stream.extend(record(9, 24));
        stream.extend(record(9, 40));
        assert_eq!(guard(&stream).0.cut, None);
        assert_eq!(guard(&stream[..16 + 24]).0.cut, None);
        assert_eq!(
            guard(&stream[..16 + 24 + 3]).0.cut,
            Some(40),
            "inside a header"
        );
        assert_eq!(
            guard(&stream[..16 + 24 + 20]).0.cut,
            Some(40),
            "inside a body"
        );
        assert_eq!(guard(&stream[..16 + 10]).0.cut, Some(16));
    }

    #[test]
    fn refuses_trace_data_larger_than_the_input() {
        let mut stream = vec![0u8; 16];
        let mut aux = record(PERF_RECORD_AUXTRACE, 48);
        aux[8..16].copy_from_slice(&8u64.to_le_bytes());
        stream.extend(&aux);
        stream.extend([0u8; 8]); // the trace data
        stream.extend(record(9, 24));
        let (seen, refused) = guard(&stream);
        assert!(!refused && seen.cut.is_none(), "{seen:?}");
        let mut hostile = stream.clone();
        hostile[16 + 8..16 + 16].copy_from_slice(&u64::MAX.to_le_bytes());
        let (seen, refused) = guard(&hostile);
        assert!(refused);
        assert!(matches!(
            seen.refused,
            Some(PerfDataError::AuxtraceBeyondEnd { at: 16, .. })
        ));
    }
}
