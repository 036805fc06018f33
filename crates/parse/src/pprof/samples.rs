//! A pprof file's samples, read without a vector of their own each.
//!
//! A profile of a real program holds hundreds of thousands of samples, each a stack of tens
//! of location ids. Decoded the ordinary way each sample is three heap vectors, visited in
//! the order of their stacks (not the file's) once to sort and again to read; that was most of
//! the time and memory of reading such a file. Here the top level of the file is split first
//! (everything but the samples is decoded as before, by prost), and each sample is decoded
//! into one reused message and copied into flat tables: its location ids from the root as a
//! sort key, its values, the index of its set of labels.

use std::collections::HashMap;

use prost::Message;

use super::proto;

/// The `sample` field of `Profile`.
const SAMPLE_FIELD: u64 = 2;
/// The `string_table` field of `Profile`.
const STRING_TABLE_FIELD: u64 = 6;
/// Protobuf's wire type of length-delimited fields (messages, strings, packed numbers).
const LENGTH_DELIMITED: u64 = 2;

/// A pprof file split at its top level: the samples apart, the rest ready for prost.
pub(super) struct Split<'b> {
    /// The file's other fields, as they were written.
    pub head: Vec<u8>,
    /// Each sample message, in the file's order.
    pub samples: Vec<&'b [u8]>,
}

/// Split `bytes` at its top level; an error says what is wrong and at which byte.
pub(super) fn split(bytes: &[u8]) -> Result<Split<'_>, String> {
    let mut split = Split {
        head: Vec::new(),
        samples: Vec::new(),
    };
    scan(bytes, |field, whole, payload| {
        if field.number == SAMPLE_FIELD && field.wire == LENGTH_DELIMITED {
            split.samples.push(payload);
        } else {
            split.head.extend_from_slice(whole);
        }
    })?;
    Ok(split)
}

/// True if `bytes` have the shape of a pprof profile at the top level: every field well
/// formed to the end, the message fields length-delimited, at least one sample type, and a
/// string table that starts with `""`. Protobuf has no magic number; text and other binary
/// formats fail this within a few bytes, and nothing is decoded.
pub(super) fn has_profile_shape(bytes: &[u8]) -> bool {
    let (mut sample_types, mut first_string) = (0, None);
    let mut messages_delimited = true;
    let scanned = scan(bytes, |field, _, payload| {
        if (1..=6).contains(&field.number) && field.wire != LENGTH_DELIMITED {
            messages_delimited = false;
        }
        match field.number {
            1 => sample_types += 1,
            STRING_TABLE_FIELD if first_string.is_none() => first_string = Some(payload.len()),
            _ => {}
        }
    });
    scanned.is_ok() && messages_delimited && sample_types > 0 && first_string == Some(0)
}

/// A field's number and wire type.
#[derive(Debug, Clone, Copy)]
struct Field {
    number: u64,
    wire: u64,
}

/// Call `each` with every top-level field of `bytes`: the field, its bytes from the tag on,
/// and its payload (the bytes after the length of a length-delimited field, else the value).
fn scan<'b>(
    bytes: &'b [u8],
    mut each: impl FnMut(Field, &'b [u8], &'b [u8]),
) -> Result<(), String> {
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let tag = varint(bytes, &mut at)?;
        let field = Field {
            number: tag >> 3,
            wire: tag & 7,
        };
        if field.number == 0 {
            return Err(format!("field number 0 at byte {start}"));
        }
        let payload_start = at;
        let payload_end = match field.wire {
            0 => {
                varint(bytes, &mut at)?;
                at
            }
            1 => at + 8,
            LENGTH_DELIMITED => {
                let length = varint(bytes, &mut at)?;
                let length = usize::try_from(length).unwrap_or(usize::MAX);
                at.saturating_add(length)
            }
            5 => at + 4,
            other => return Err(format!("wire type {other} at byte {start}")),
        };
        if payload_end > bytes.len() {
            return Err(format!(
                "field {} at byte {start} runs past the end ({} bytes)",
                field.number,
                bytes.len()
            ));
        }
        let payload_start = if field.wire == LENGTH_DELIMITED {
            at
        } else {
            payload_start
        };
        each(
            field,
            &bytes[start..payload_end],
            &bytes[payload_start..payload_end],
        );
        at = payload_end;
    }
    Ok(())
}

/// The varint at `*at`, which moves past it.
fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let start = *at;
    let mut rest = bytes.get(start..).unwrap_or_default();
    let before = rest.len();
    let value =
        prost::encoding::decode_varint(&mut rest).map_err(|e| format!("{e} at byte {start}"))?;
    *at = start + (before - rest.len());
    Ok(value)
}

/// Every sample of a file in flat tables, by its index in the file.
pub(super) struct SampleRows {
    keys: Keys,
    rows: Vec<Row>,
    /// How many values each sample should have: one per sample type.
    types: usize,
    values: Vec<i64>,
    /// Each distinct set of labels the samples carry.
    label_sets: Vec<Vec<proto::Label>>,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    /// Where its key ends in `keys` (it starts where the one before ends).
    key_end: usize,
    /// Where its values start in `values`; `usize::MAX` when it has not one value per type.
    values: usize,
    labels: u32,
}

/// One sample, as the reader takes it.
pub(super) struct SampleRef<'r> {
    /// The location ids from the root.
    pub key: Key<'r>,
    /// One per sample type; `None` when the sample had another number of them.
    pub values: Option<&'r [i64]>,
    /// Which set of labels (an index the same for equal sets), and the set.
    pub label_set: usize,
    pub labels: &'r [proto::Label],
}

impl SampleRows {
    /// Decode each sample of `samples`, which should have `types` values.
    pub fn read(samples: &[&[u8]], types: usize, file: &[u8]) -> Result<Self, String> {
        let mut rows = Self {
            keys: Keys::default(),
            rows: Vec::with_capacity(samples.len()),
            types,
            values: Vec::with_capacity(samples.len() * types),
            label_sets: Vec::new(),
        };
        let mut label_index: HashMap<Vec<proto::Label>, u32> = HashMap::new();
        let mut sample = proto::Sample::default();
        for (i, bytes) in samples.iter().enumerate() {
            sample.clear();
            sample.merge(*bytes).map_err(|e| {
                let offset = bytes.as_ptr() as usize - file.as_ptr() as usize;
                format!("sample {i} at byte {offset}: {e}")
            })?;
            if rows.keys.too_narrow_for(&sample.location_id) {
                rows.keys.widen();
                rows.rows.iter_mut().for_each(|row| row.key_end *= 2);
            }
            rows.keys.push_reversed(&sample.location_id);
            let values = match sample.value.len() == types {
                true => {
                    rows.values.extend_from_slice(&sample.value);
                    rows.values.len() - types
                }
                false => usize::MAX,
            };
            let labels = rows.label_set(&sample.label, &mut label_index);
            rows.rows.push(Row {
                key_end: rows.keys.bytes.len(),
                values,
                labels,
            });
        }
        Ok(rows)
    }

    /// The index of `labels` among the sets seen; most samples carry their neighbour's set.
    fn label_set(
        &mut self,
        labels: &[proto::Label],
        index: &mut HashMap<Vec<proto::Label>, u32>,
    ) -> u32 {
        if let Some(previous) = self.rows.last() {
            if self.label_sets[previous.labels as usize] == labels {
                return previous.labels;
            }
        }
        *index.entry(labels.to_vec()).or_insert_with(|| {
            self.label_sets.push(labels.to_vec());
            (self.label_sets.len() - 1) as u32
        })
    }

    pub fn get(&self, index: usize) -> SampleRef<'_> {
        let row = self.rows[index];
        let labels = row.labels as usize;
        SampleRef {
            key: self.key(index),
            values: (row.values != usize::MAX)
                .then(|| &self.values[row.values..row.values + self.types]),
            label_set: labels,
            labels: &self.label_sets[labels],
        }
    }

    /// Ask for sample `index`'s row, to read it a few samples later.
    pub fn prefetch_row(&self, index: usize) {
        profview_model::prefetch(&self.rows[index]);
    }

    /// Ask for sample `index`'s key and values (its row should be in the cache by now).
    pub fn prefetch_sample(&self, index: usize) {
        let row = self.rows[index];
        let start = index.checked_sub(1).map_or(0, |i| self.rows[i].key_end);
        if let Some(first) = self.keys.bytes.get(start) {
            profview_model::prefetch(first);
        }
        if let Some(first) = self.values.get(row.values) {
            profview_model::prefetch(first);
        }
    }

    fn key(&self, index: usize) -> Key<'_> {
        let start = index.checked_sub(1).map_or(0, |i| self.rows[i].key_end);
        Key {
            bytes: &self.keys.bytes[start..self.rows[index].key_end],
            width: self.keys.width,
        }
    }

    /// The samples in the order of their stacks from the root (the file's order among equal
    /// stacks): each shares most of its callers with the one before.
    pub fn sorted(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_unstable_by(|&a, &b| {
            let (ka, kb) = (self.key(a).bytes, self.key(b).bytes);
            ka.cmp(kb).then(a.cmp(&b))
        });
        order
    }
}

/// The location ids of every sample, root first, as big-endian numbers of one width in one
/// buffer: two stacks compare by `memcmp` in the order of their ids compared one by one.
struct Keys {
    bytes: Vec<u8>,
    /// 4 while every id fits in 32 bits (Go and pprof-rs number locations from 1), else 8.
    width: usize,
}

impl Default for Keys {
    fn default() -> Self {
        Self {
            bytes: Vec::new(),
            width: 4,
        }
    }
}

impl Keys {
    fn too_narrow_for(&self, ids: &[u64]) -> bool {
        self.width == 4 && ids.iter().any(|&id| u32::try_from(id).is_err())
    }

    /// Append `ids` (leaf first, as a sample lists them) from the root.
    fn push_reversed(&mut self, ids: &[u64]) {
        for &id in ids.iter().rev() {
            match self.width {
                4 => self.bytes.extend_from_slice(&(id as u32).to_be_bytes()),
                _ => self.bytes.extend_from_slice(&id.to_be_bytes()),
            }
        }
    }

    /// Every id so far in 8 bytes, for an id past 32 bits (the keys' ends double).
    fn widen(&mut self) {
        let mut wide = Vec::with_capacity(self.bytes.len() * 2);
        for id in self.bytes.chunks_exact(4) {
            wide.extend_from_slice(&[0; 4]);
            wide.extend_from_slice(id);
        }
        self.bytes = wide;
        self.width = 8;
    }
}

/// One sample's location ids from the root.
#[derive(Debug, Clone, Copy)]
pub(super) struct Key<'r> {
    bytes: &'r [u8],
    width: usize,
}

impl Key<'_> {
    pub fn len(&self) -> usize {
        self.bytes.len() / self.width
    }

    /// The id `i` levels below the root.
    pub fn id(&self, i: usize) -> u64 {
        let bytes = &self.bytes[i * self.width..(i + 1) * self.width];
        bytes.iter().fold(0, |id, &b| id << 8 | u64::from(b))
    }

    /// How many ids the two share from the root.
    pub fn in_common(&self, other: &Key<'_>) -> usize {
        let (a, b) = (self.bytes, other.bytes);
        let words = a.chunks_exact(8).zip(b.chunks_exact(8));
        let equal_words = words.take_while(|(x, y)| x == y).count();
        let from = equal_words * 8;
        let rest = a[from..].iter().zip(&b[from..]);
        let equal_bytes = from + rest.take_while(|(x, y)| x == y).count();
        equal_bytes / self.width
    }
}
