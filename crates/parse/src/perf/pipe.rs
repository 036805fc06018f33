//! Finding where a pipe-mode stream was cut.
//!
//! A pipe-mode stream carries no length, and linux-perf-data takes an end of input in the
//! middle of a record for the end of the stream. [`CutFinder`] follows the record boundaries as
//! the bytes pass on their way to the reader (it looks only at each record's 8-byte header), so
//! that a stream cut inside a record is reported, with the byte where that record starts.

use std::io::Read;
use std::sync::{Arc, Mutex};

/// The pipe-mode header: the magic and its own size.
const PIPE_HEADER_SIZE: u64 = 16;

/// Where a stream was cut: the start of the record that the end of input fell inside.
pub(super) type Cut = Arc<Mutex<Option<u64>>>;

/// A reader that passes `inner` through and records where it was cut, if it was.
pub(super) struct CutFinder<R> {
    inner: R,
    big_endian: bool,
    /// Bytes passed through so far.
    pos: u64,
    /// Where the record whose header is being collected starts.
    record_at: u64,
    header: [u8; 8],
    filled: usize,
    /// A record claimed less than its own header: the reader stops there by itself.
    lost: bool,
    cut: Cut,
}

impl<R: Read> CutFinder<R> {
    pub(super) fn new(inner: R, big_endian: bool) -> (Self, Cut) {
        let cut = Cut::default();
        let finder = Self {
            inner,
            big_endian,
            pos: 0,
            record_at: PIPE_HEADER_SIZE,
            header: [0; 8],
            filled: 0,
            lost: false,
            cut: Arc::clone(&cut),
        };
        (finder, cut)
    }

    /// Follow the record headers in `chunk`, the bytes from `self.pos` on.
    fn observe(&mut self, chunk: &[u8]) {
        let end = self.pos + chunk.len() as u64;
        while !self.lost && self.record_at + (self.filled as u64) < end {
            let from = (self.record_at + self.filled as u64 - self.pos) as usize;
            let take = (8 - self.filled).min(chunk.len() - from);
            self.header[self.filled..self.filled + take].copy_from_slice(&chunk[from..from + take]);
            self.filled += take;
            if self.filled < 8 {
                break;
            }
            let size_bytes = [self.header[6], self.header[7]];
            let size = if self.big_endian {
                u16::from_be_bytes(size_bytes)
            } else {
                u16::from_le_bytes(size_bytes)
            };
            self.lost = size < 8;
            self.record_at += u64::from(size);
            self.filled = 0;
        }
        self.pos = end;
    }

    fn at_end(&mut self) {
        let inside_a_record = self.pos > PIPE_HEADER_SIZE
            && (self.filled > 0 || self.record_at > self.pos)
            && !self.lost;
        if inside_a_record {
            let start = if self.filled > 0 {
                self.record_at
            } else {
                self.last_record_start()
            };
            *self.cut.lock().unwrap_or_else(|e| e.into_inner()) = Some(start);
        }
    }

    /// The start of the record being read when the input ended inside its body. Only the end
    /// of that record is known, so this walks back by its size as collected last.
    fn last_record_start(&self) -> u64 {
        let size_bytes = [self.header[6], self.header[7]];
        let size = if self.big_endian {
            u16::from_be_bytes(size_bytes)
        } else {
            u16::from_le_bytes(size_bytes)
        };
        self.record_at - u64::from(size)
    }
}

impl<R: Read> Read for CutFinder<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.at_end();
        } else {
            self.observe(&buf[..n]);
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(size: u16) -> Vec<u8> {
        let mut r = vec![0u8; usize::from(size)];
        r[6..8].copy_from_slice(&size.to_le_bytes());
        r
    }

    fn cut_of(stream: &[u8]) -> Option<u64> {
        let (mut finder, cut) = CutFinder::new(stream, false);
        // Small reads, so that headers straddle them.
        let mut buf = [0u8; 5];
        while finder.read(&mut buf).unwrap() > 0 {}
        let found = *cut.lock().unwrap();
        found
    }

    #[test]
    fn finds_the_record_a_stream_was_cut_in() {
        let mut stream = vec![0u8; 16];
        stream.extend(record(24));
        stream.extend(record(40));
        assert_eq!(cut_of(&stream), None);
        assert_eq!(cut_of(&stream[..16 + 24]), None);
        assert_eq!(cut_of(&stream[..16 + 24 + 3]), Some(40), "inside a header");
        assert_eq!(cut_of(&stream[..16 + 24 + 20]), Some(40), "inside a body");
        assert_eq!(cut_of(&stream[..16 + 10]), Some(16));
    }
}
