//! The block reader's walk: the records region cut into blocks of whole records, each a window
//! of the input (a memory map of a file), sent to the workers in file order.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use super::super::header::Region;
use super::super::records::{
    Walk, PERF_RECORD_AUXTRACE, PERF_RECORD_COMPRESSED, PERF_RECORD_COMPRESSED2,
};
use super::super::source::{Source, Window};
use crate::progress::{Progress, Stage};

/// Bytes read at a time: large enough that a worker's table of chains pays off, small enough
/// that a few blocks in flight cost little memory.
pub(super) const BLOCK: usize = 4 << 20;
/// A record's size is a `u16`.
const MAX_RECORD: usize = 1 << 16;

/// The file is one the general reader must take (or it is damaged somewhere).
#[derive(Debug)]
pub(in crate::perf) struct Unsuitable;

/// One block of whole records: the first `end` bytes of a window of the input.
pub(super) struct Block<'a> {
    pub index: usize,
    /// Where the block starts in the file.
    pub at: u64,
    pub bytes: Arc<Window<'a>>,
    pub end: usize,
}

/// Send the records region in blocks of whole records; `Err` if it does not end with a whole
/// record or holds a record this path does not take.
pub(super) fn read_region<'a, S: Source>(
    source: &'a S,
    (region, block): (Region, usize),
    blocks: &SyncSender<Block<'a>>,
    stop: &AtomicBool,
    progress: Option<&Progress>,
) -> Result<(), Unsuitable> {
    let mut at = region.start;
    let mut index = 0;
    while at < region.end {
        if stop.load(Ordering::Relaxed) {
            return Err(Unsuitable);
        }
        // The first blocks are smaller: the ordered pass waits for the first block to be
        // parsed before it can start (~20 ms for a whole one).
        let block = ramp_up(block, index);
        // The window reaches past the block by the largest record, so that the block's last
        // record is whole in it.
        let left = region.end - at;
        let len = usize::try_from(left).map_or(block + MAX_RECORD, |l| l.min(block + MAX_RECORD));
        let window = source.window(at, len).ok_or(Unsuitable)?;
        let limit = if len as u64 == left { len } else { block };
        let end = whole_records(&window, limit)?;
        at += end as u64;
        if let Some(p) = progress {
            p.report(Stage::Reading, at, source.len());
        }
        let block = Block {
            index,
            at: at - end as u64,
            bytes: Arc::new(window),
            end,
        };
        index += 1;
        if blocks.send(block).is_err() {
            return Err(Unsuitable);
        }
    }
    Ok(())
}

/// The size of block `index`: 1/16 of `block` for the first, doubling to `block` by the fifth.
fn ramp_up(block: usize, index: usize) -> usize {
    (block >> (4 - index.min(4))).max(1)
}

/// Where the records that start before `limit` in `bytes` end; `Err` at a record header that
/// is damaged or names a record this path does not take, or a record not whole in `bytes`.
fn whole_records(bytes: &[u8], limit: usize) -> Result<usize, Unsuitable> {
    let mut walk = Walk::new(bytes);
    let mut ahead = 0;
    while walk.at() < limit {
        // Every cache line ahead, not one per record: a header may be in any of them.
        while ahead < walk.at() + PREFETCH_AHEAD {
            prefetch(bytes, ahead);
            ahead += CACHE_LINE;
        }
        let (_, header) = walk.next().ok_or(Unsuitable)?;
        if matches!(
            header.record_type,
            PERF_RECORD_AUXTRACE | PERF_RECORD_COMPRESSED | PERF_RECORD_COMPRESSED2
        ) {
            return Err(Unsuitable);
        }
    }
    Ok(walk.at())
}

/// How far ahead of the record walk to ask for memory: the walk reads one header per record,
/// each a cache miss without this (the next header's place is only known from this one).
const PREFETCH_AHEAD: usize = 8192;
const CACHE_LINE: usize = 64;

/// Ask for the cache line holding `bytes[at]`, if there is one.
fn prefetch(bytes: &[u8], at: usize) {
    if let Some(byte) = bytes.get(at) {
        profview_model::prefetch(byte);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_blocks_are_smaller() {
        let sizes: Vec<usize> = (0..6).map(|i| ramp_up(BLOCK, i)).collect();
        assert_eq!(
            sizes,
            [BLOCK / 16, BLOCK / 8, BLOCK / 4, BLOCK / 2, BLOCK, BLOCK]
        );
        assert_eq!(ramp_up(8, 0), 1, "never empty");
    }
}
