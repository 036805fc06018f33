//! The block reader: the fast way through a well-formed perf.data file: the records region is read in large
//! blocks, the blocks are parsed on every core, and only the ordered part (processes, threads,
//! mappings, and turning each distinct raw callchain into a stack) runs on one thread.
//!
//! Per sample, a worker reads the few fixed fields and finds the raw callchain in its block's
//! table of distinct chains (one hash of the chain's bytes, no copy); the ordered pass sorts
//! small entries by time like linux-perf-data does (by timestamp and file offset, flushed at
//! each FINISHED_ROUND) and finds the stack of a chain by its number.
//!
//! Files this does not take (pipe mode, compressed records, big-endian, AUXTRACE, off-CPU
//! events, events without timestamps) or that turn out damaged anywhere go through the general
//! reader instead, which reads what it can and says where it stopped.
//!
//! Three parts, each in its file: `walk` cuts the records region into blocks of whole records;
//! `workers` parse blocks on every core; `ordered` puts their records in time order into the
//! profile on one thread.

mod ordered;
mod walk;
mod workers;

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;

use framehop::x86_64::CacheX86_64;
use linux_perf_data::PerfFile;
use profview_model::{Profile, Sample};

use super::builder::{ProfileBuilder, RowSender};
use super::header::Region;
use super::source::Source;
use crate::progress::Progress;
use ordered::merge;
use walk::{read_region, Block, Unsuitable, BLOCK};
use workers::{parse_block, ChainNumbers, ChainTable, Layout, Parsed, Published, Spare};

/// Read `source`'s records region into `profile` through `builder`, or say the file is one the
/// general reader must take. On `Err` the profile is half-built and must be dropped.
pub(super) fn read_blocks<S: Source + Sync>(
    source: &S,
    (region, block_size): (Region, Option<usize>),
    perf_file: &PerfFile,
    builder: &mut ProfileBuilder,
    profile: &mut Profile,
    progress: Option<&Progress>,
) -> Result<(), Unsuitable> {
    if region.big_endian || builder.offcpu.is_some() {
        return Err(Unsuitable);
    }
    let layout = Layout::of(perf_file)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let stop = AtomicBool::new(false);
    let published = Published::default();
    let spare = Spare::default();
    let numbers = ChainNumbers::default();
    let (block_tx, block_rx) = sync_channel::<Block<'_>>(workers + 1);
    let block_rx = Mutex::new(block_rx);
    // One parsed block waiting: the ordered pass is what bounds the time, so more waiting
    // blocks (each its bytes, records and chains, ~10 MB) only hold memory (hc: 269 -> 245 MB).
    let (parsed_tx, parsed_rx) = sync_channel::<Result<Parsed<'_>, Unsuitable>>(1);
    std::thread::scope(|scope| {
        let stop = &stop;
        scope.spawn(move || {
            let block = block_size.map_or(BLOCK, |b| b.clamp(8, BLOCK));
            if read_region(source, (region, block), &block_tx, stop, progress).is_err() {
                stop.store(true, Ordering::Relaxed);
            }
        });
        for _ in 0..workers {
            let parsed_tx = parsed_tx.clone();
            let (block_rx, layout, published) = (&block_rx, &layout, &published);
            let (spare, numbers) = (&spare, &numbers);
            scope.spawn(move || {
                let mut cache = CacheX86_64::new();
                let mut table = ChainTable::default();
                loop {
                    let block = match block_rx.lock() {
                        Ok(rx) => rx.recv(),
                        Err(_) => return,
                    };
                    let Ok(block) = block else { return };
                    let parsed = parse_block(
                        &block,
                        layout,
                        published,
                        (spare, &mut table, numbers),
                        &mut cache,
                    );
                    if parsed_tx.send(parsed).is_err() {
                        return;
                    }
                }
            });
        }
        drop(parsed_tx);
        // The sample table filled on a thread of its own, in the order the ordered pass
        // sends samples in.
        let (rows_tx, rows_rx) = sync_channel::<Vec<Sample>>(4);
        let mut table = profile.take_samples();
        let rows = scope.spawn(move || {
            for batch in rows_rx {
                batch.into_iter().for_each(|s| table.add_sample(s));
            }
            table
        });
        builder.rows = Some(RowSender::new(rows_tx));
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| {
            merge(
                parsed_rx,
                &mut *builder,
                &mut *profile,
                &layout,
                (&published, &spare, &numbers),
            )
        }));
        // Whatever happened (a panic too: the scope joins every thread before it goes on),
        // the row thread's sender goes, so that it ends, and the reader and the workers are
        // unblocked.
        let rows_sender = builder.rows.take();
        if !matches!(result, Ok(Ok(()))) {
            stop.store(true, Ordering::Relaxed);
        }
        drop(block_rx.lock().map(|rx| while rx.try_recv().is_ok() {}));
        let result = result.unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        if let Some(rows) = rows_sender {
            rows.finish();
        }
        profile.put_samples(
            rows.join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
        );
        result.and_then(|()| {
            if stop.load(Ordering::Relaxed) {
                Err(Unsuitable)
            } else {
                Ok(())
            }
        })
    })
}
