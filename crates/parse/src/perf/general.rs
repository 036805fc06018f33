//! The general reader: linux-perf-data's record iterator on a reading thread, every record
//! parsed and handled on this one. It takes every file: pipe mode, compressed records,
//! big-endian, damaged ones (what it cannot read becomes a warning, and what comes before is
//! kept).

use std::io::Read;

use linux_perf_data::linux_perf_event_reader::{
    RawData, RawEventRecord, RecordParseInfo, RecordType,
};
use linux_perf_data::{PerfFileReader, PerfFileRecord};
use profview_model::{Profile, WarningKind};

use super::builder::start_profile;
use super::guard;
use super::options::PerfOptions;
use super::records::unparseable;

/// Records handed from the reading thread to the analyzing thread at a time.
const BATCH_RECORDS: usize = 4096;

/// Event records copied out of the reader, so that reading (the reader copies, sorts by time,
/// and finds each record's event) runs on one core while the records are analyzed on another.
#[derive(Default)]
struct RecordBatch {
    records: Vec<BatchedRecord>,
    bytes: Vec<u8>,
    /// Why reading stopped early, on the last batch.
    stopped: Option<String>,
}

struct BatchedRecord {
    attr_index: usize,
    record_type: RecordType,
    misc: u16,
    parse_info: RecordParseInfo,
    end: usize,
}

/// Read every record of `reader` into a profile (never fails: damage becomes warnings).
pub(super) fn read_records<R: Read + Send>(
    name: &str,
    reader: PerfFileReader<R>,
    repaired: Option<String>,
    seen: &guard::Shared,
    options: &PerfOptions,
) -> Profile {
    let PerfFileReader {
        mut perf_file,
        mut record_iter,
    } = reader;
    let (mut profile, mut builder) = start_profile(name, &perf_file, repaired.as_deref(), options);
    let (send, receive) = std::sync::mpsc::sync_channel::<RecordBatch>(4);
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut batch = RecordBatch::default();
            loop {
                match record_iter.next_record(&mut perf_file) {
                    Ok(Some(PerfFileRecord::EventRecord { attr_index, record })) => {
                        batch.bytes.extend_from_slice(&record.data.as_slice());
                        batch.records.push(BatchedRecord {
                            attr_index,
                            record_type: record.record_type,
                            misc: record.misc,
                            parse_info: record.parse_info,
                            end: batch.bytes.len(),
                        });
                    }
                    Ok(Some(PerfFileRecord::UserRecord(_))) => continue,
                    Ok(None) => break,
                    Err(e) => {
                        batch.stopped = Some(e.to_string());
                        break;
                    }
                }
                if batch.records.len() == BATCH_RECORDS {
                    let full = std::mem::take(&mut batch);
                    if send.send(full).is_err() {
                        return;
                    }
                }
            }
            let _ = send.send(batch);
        });
        let mut index = 0u64;
        for batch in receive {
            let mut start = 0;
            for r in &batch.records {
                index += 1;
                let data = RawData::Single(&batch.bytes[start..r.end]);
                start = r.end;
                if let Some(problem) = unparseable(r.record_type, r.misc, data) {
                    profile.meta.warnings.add(WarningKind::DamagedRecord, || {
                        format!("record {index} could not be parsed and was skipped: {problem}")
                    });
                    continue;
                }
                let raw = RawEventRecord::new(r.record_type, r.misc, data, r.parse_info);
                match raw.parse() {
                    Ok(parsed) => builder.handle(&mut profile, r.attr_index, parsed),
                    Err(e) => profile.meta.warnings.add(WarningKind::DamagedRecord, || {
                        format!("record {index} could not be parsed and was skipped: {e}")
                    }),
                }
            }
            if let Some(mut e) = batch.stopped {
                if let Some(why) = seen
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .refused
                    .take()
                {
                    e = why.to_string();
                }
                profile.meta.warnings.add(WarningKind::Truncated, || {
                    format!("stopped reading after record {index}: {e}; the records before it are analyzed")
                });
            }
        }
    });
    builder.finish(&mut profile);
    profile
}
