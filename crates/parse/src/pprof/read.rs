//! Reading a pprof profile into the model.

use std::collections::HashMap;
use std::ops::Range;

use rustc_hash::FxHashMap;

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, Module, ModuleId, Profile, ResolvedFrame,
    Sample, SourceFormat, StackId, ThreadId, UnresolvedFrame, WarningKind, WeightKindId,
    WeightUnit,
};
use prost::Message;

use super::proto;
use super::samples::{self, Key, SampleRef, SampleRows};
use crate::ParseError;

/// True if `bytes` have the shape of a pprof profile at the top level: every field well
/// formed to the end, the message fields length-delimited, at least one sample type, and a
/// string table that starts with `""`. Protobuf has no magic number; this is told without
/// decoding anything.
pub fn looks_like_pprof(bytes: &[u8]) -> bool {
    // The first byte is the tag of one of Profile's fields (Go writes time_nanos first, prost
    // sample_type): anything else is not worth scanning.
    const FIRST_TAGS: [u8; 16] = [
        0x0a, 0x12, 0x1a, 0x22, 0x2a, 0x32, 0x38, 0x40, 0x48, 0x50, 0x5a, 0x60, 0x68, 0x6a, 0x70,
        0x78,
    ];
    bytes.first().is_some_and(|b| FIRST_TAGS.contains(b)) && samples::has_profile_shape(bytes)
}

/// Read a pprof profile (already gunzipped); `name` is used in messages and metadata.
///
/// Every sample type becomes a weight kind named by its type (`cpu`, `samples`,
/// `alloc_space`), the default sample type first. Locations with lines become resolved frames
/// (the last line the real function, the others inlined into it); locations with only an
/// address become unresolved frames in their mapping's module, for the symbolizer.
pub fn parse_pprof(name: &str, bytes: &[u8]) -> Result<Profile, ParseError> {
    let bad = |problem: String| ParseError::Pprof {
        name: name.to_owned(),
        problem,
    };
    let split = samples::split(bytes).map_err(|e| bad(format!("protobuf: {e}")))?;
    let file =
        proto::Profile::decode(split.head.as_slice()).map_err(|e| bad(format!("protobuf: {e}")))?;
    if file.sample_type.is_empty() {
        return Err(bad("no sample types".to_owned()));
    }
    let mut reader = Reader::new(&file);
    reader.profile.meta.source_format = SourceFormat::Pprof;
    reader.profile.meta.source_name = Some(name.to_owned());
    reader.profile.meta.stacks_recorded = Some(true);
    reader.weight_kinds();
    reader.modules();
    let rows = SampleRows::read(&split.samples, file.sample_type.len(), bytes)
        .map_err(|e| bad(format!("protobuf: {e}")))?;
    drop(split);
    read_samples(&mut reader, &rows);
    Ok(reader.finish())
}

/// The samples in the order of their stacks from the root: each shares most of its callers
/// with the one before, and only the rest is interned (pprof files hold one sample per
/// distinct stack, so there is nothing else to share).
fn read_samples(reader: &mut Reader<'_>, rows: &SampleRows) {
    // The order is nothing like the file's: each sample's row, then its key and values, are
    // asked for a few samples ahead of their turn.
    const ROW_AHEAD: usize = 16;
    const DATA_AHEAD: usize = 8;
    let order = rows.sorted();
    let mut previous: Option<Key<'_>> = None;
    for (i, &index) in order.iter().enumerate() {
        if let Some(&ahead) = order.get(i + ROW_AHEAD) {
            rows.prefetch_row(ahead);
        }
        if let Some(&ahead) = order.get(i + DATA_AHEAD) {
            rows.prefetch_sample(ahead);
        }
        let sample = rows.get(index);
        let shared = previous.map_or(0, |p| p.in_common(&sample.key));
        if reader.sample(&sample, shared) {
            previous = Some(sample.key);
        }
    }
}

/// How a sample type's values become weights.
#[derive(Debug, Clone, Copy)]
struct Kind {
    id: WeightKindId,
    /// Values are multiplied by this (microseconds become nanoseconds).
    scale: f64,
}

struct Reader<'f> {
    file: &'f proto::Profile,
    profile: Profile,
    /// One per sample type, in the file's order.
    kinds: Vec<Kind>,
    modules: HashMap<u64, ModuleId>,
    functions: HashMap<u64, &'f proto::Function>,
    locations: HashMap<u64, &'f proto::Location>,
    /// Where a location's frames (outermost first) are in `frame_pool`, as a leaf (`true`)
    /// or a caller.
    frames: FxHashMap<(u64, bool), Range<usize>>,
    frame_pool: Vec<FrameId>,
    threads: HashMap<(Option<i64>, Option<i64>, String), ThreadId>,
    /// The thread of each set of labels met, by the set's index.
    label_threads: Vec<Option<ThreadId>>,
    /// The stack each caller of the last sample whose stack was made ends, from the root
    /// (`None` under a location with no frames).
    callers: Vec<Option<StackId>>,
    /// References past a table (a string, a location, a function): counted, then dropped.
    damaged: u64,
    negative: u64,
}

impl<'f> Reader<'f> {
    fn new(file: &'f proto::Profile) -> Self {
        Self {
            file,
            profile: Profile::new(),
            kinds: Vec::new(),
            modules: HashMap::new(),
            functions: file.function.iter().map(|f| (f.id, f)).collect(),
            locations: file.location.iter().map(|l| (l.id, l)).collect(),
            frames: FxHashMap::default(),
            frame_pool: Vec::new(),
            threads: HashMap::new(),
            label_threads: Vec::new(),
            callers: Vec::new(),
            damaged: 0,
            negative: 0,
        }
    }

    /// String `index` of the table; `""` (and a count) past its end.
    fn string(&mut self, index: i64) -> &'f str {
        let found = usize::try_from(index)
            .ok()
            .and_then(|i| self.file.string_table.get(i));
        match found {
            Some(s) => s,
            None => {
                self.damaged += 1;
                ""
            }
        }
    }

    /// The weight kinds, the default sample type first (the last one when none is named).
    fn weight_kinds(&mut self) {
        let types = &self.file.sample_type;
        let default = self.file.default_sample_type;
        let first = types
            .iter()
            .position(|t| default != 0 && t.r#type == default)
            .unwrap_or(types.len() - 1);
        let order = std::iter::once(first).chain((0..types.len()).filter(|&i| i != first));
        let mut ids: Vec<Option<Kind>> = vec![None; types.len()];
        let mut names_used: HashMap<String, usize> = HashMap::new();
        for i in order {
            let (kind_name, unit_name) = (
                self.string(types[i].r#type).to_owned(),
                self.string(types[i].unit).to_owned(),
            );
            let (unit, scale) = unit_of(&kind_name, &unit_name);
            // Two types of one name (rare) are told apart by their unit.
            let seen = names_used.entry(kind_name.clone()).or_default();
            *seen += 1;
            let name = if *seen == 1 {
                kind_name.clone()
            } else {
                format!("{kind_name}/{unit_name}")
            };
            let id = self.profile.add_weight_kind(&name, unit);
            ids[i] = Some(Kind { id, scale });
        }
        self.kinds = ids.into_iter().flatten().collect();
        self.period();
    }

    /// The sampling period of the sample type it belongs to, and the rate it gives.
    fn period(&mut self) {
        let (Some(period_type), period) = (self.file.period_type, self.file.period) else {
            return;
        };
        if period <= 0 {
            return;
        }
        let unit = self.string(period_type.unit);
        if unit == "nanoseconds" {
            self.profile.meta.sample_rate_hz = Some(1e9 / period as f64);
        }
        let matching = self
            .file
            .sample_type
            .iter()
            .position(|t| t.r#type == period_type.r#type && t.unit == period_type.unit);
        if let Some(i) = matching {
            let kind = self.kinds[i];
            self.profile.weight_kind_mut(kind.id).period = Some(period as f64 * kind.scale);
        }
    }

    /// Mappings become modules.
    fn modules(&mut self) {
        for mapping in &self.file.mapping {
            let path = self.string(mapping.filename).to_owned();
            let build_id = self.string(mapping.build_id);
            let build_id = decode_hex(build_id);
            let path = self.profile.intern_string(&path);
            let module = self.profile.intern_module(Module {
                path,
                build_id,
                address_range: Some((mapping.memory_start, mapping.memory_limit)),
                relative_addresses: false,
            });
            self.modules.insert(mapping.id, module);
        }
    }

    /// `shared`: how many of its ids from the root the sample has in common with the last one
    /// whose stack was made. True when this one's stack was made.
    fn sample(&mut self, sample: &SampleRef<'_>, shared: usize) -> bool {
        let Some(values) = sample.values else {
            self.damaged += 1;
            return false;
        };
        let Some(stack) = self.stack(sample.key, shared) else {
            return false;
        };
        let thread = self.thread(sample.label_set, sample.labels);
        for (i, &value) in values.iter().enumerate() {
            if value < 0 {
                // A difference of two profiles (`pprof -diff_base`): no weight to add up.
                self.negative += 1;
                continue;
            }
            if value == 0 {
                continue;
            }
            let kind = self.kinds[i];
            self.profile.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind: kind.id,
                weight: value as f64 * kind.scale,
            });
        }
        true
    }

    /// The stack of the location ids of `key` (from the root). The callers' part (all but the
    /// leaf) is kept from the sample before as far as the two agree: `shared` ids.
    fn stack(&mut self, key: Key<'_>, shared: usize) -> Option<StackId> {
        let leaf_level = key.len().checked_sub(1)?;
        self.callers.truncate(shared.min(leaf_level));
        for level in self.callers.len()..leaf_level {
            let id = key.id(level);
            let mut parent = self.callers.last().copied().flatten();
            for i in self.location_frames(id, false) {
                parent = Some(self.profile.intern_stack(parent, self.frame_pool[i]));
            }
            self.callers.push(parent);
        }
        let mut parent = self.callers.last().copied().flatten();
        for i in self.location_frames(key.id(leaf_level), true) {
            parent = Some(self.profile.intern_stack(parent, self.frame_pool[i]));
        }
        parent
    }

    /// Where the frames of location `id` (outermost first) are in `frame_pool`.
    fn location_frames(&mut self, id: u64, leaf: bool) -> Range<usize> {
        if let Some(range) = self.frames.get(&(id, leaf)) {
            return range.clone();
        }
        let frames = match self.locations.get(&id).copied() {
            Some(location) => self.make_frames(location, leaf),
            None => {
                self.damaged += 1;
                Vec::new()
            }
        };
        let start = self.frame_pool.len();
        self.frame_pool.extend(frames);
        let range = start..self.frame_pool.len();
        self.frames.insert((id, leaf), range.clone());
        range
    }

    fn make_frames(&mut self, location: &'f proto::Location, leaf: bool) -> Vec<FrameId> {
        let module = self.modules.get(&location.mapping_id).copied();
        let address = match leaf {
            true => CodeAddress::InstructionPointer(location.address),
            false => CodeAddress::ReturnAddress(location.address),
        };
        if location.line.is_empty() {
            return vec![self.unresolved(location, module, address)];
        }
        let depth_of_last = location.line.len() - 1;
        let mut frames = Vec::with_capacity(location.line.len());
        // The last line is the real function; each one before it is inlined one level deeper.
        for (i, line) in location.line.iter().enumerate().rev() {
            let Some(function) = self.functions.get(&line.function_id).copied() else {
                self.damaged += 1;
                continue;
            };
            let name = crate::names::demangled(self.string(function.name));
            let file = self.string(function.filename).to_owned();
            let name = self.profile.intern_string(&name);
            let function_id = self.profile.intern_function(Function { name, module });
            let file = (!file.is_empty()).then(|| self.profile.intern_string(&file));
            frames.push(self.profile.intern_frame(Frame::Resolved(ResolvedFrame {
                function: function_id,
                file,
                line: u32::try_from(line.line).ok().filter(|&l| l > 0),
                inline_depth: u16::try_from(depth_of_last - i).unwrap_or(u16::MAX),
                kind: FrameKind::User,
                address: (location.address != 0).then_some(address),
            })));
        }
        frames
    }

    /// A location with only an address: its offset in the mapped file, for the symbolizer.
    fn unresolved(
        &mut self,
        location: &proto::Location,
        module: Option<ModuleId>,
        address: CodeAddress,
    ) -> FrameId {
        let mapping = self
            .file
            .mapping
            .iter()
            .find(|m| m.id == location.mapping_id);
        let offset = |a: u64| match mapping {
            Some(m) => a.wrapping_sub(m.memory_start).wrapping_add(m.file_offset),
            None => a,
        };
        let address = match address {
            CodeAddress::InstructionPointer(a) => CodeAddress::InstructionPointer(offset(a)),
            CodeAddress::ReturnAddress(a) => CodeAddress::ReturnAddress(offset(a)),
        };
        self.profile
            .intern_frame(Frame::Unresolved(UnresolvedFrame {
                module,
                address,
                kind: FrameKind::User,
            }))
    }

    /// The thread of set `label_set` of labels, `labels`; made the first time a set is met.
    fn thread(&mut self, label_set: usize, labels: &[proto::Label]) -> ThreadId {
        if let Some(&Some(thread)) = self.label_threads.get(label_set) {
            return thread;
        }
        let thread = self.thread_of(labels);
        if self.label_threads.len() <= label_set {
            self.label_threads.resize(label_set + 1, None);
        }
        self.label_threads[label_set] = Some(thread);
        thread
    }

    /// The thread of a sample's labels: `thread` (a name, as pprof-rs writes it), `thread_id`
    /// or `tid`, and `pid`; one thread for samples without them.
    fn thread_of(&mut self, labels: &[proto::Label]) -> ThreadId {
        let mut name = String::new();
        let (mut tid, mut pid) = (None, None);
        for label in labels {
            match self.string(label.key) {
                "thread" | "thread_name" if label.str != 0 => {
                    name = self.string(label.str).to_owned();
                }
                "thread" | "thread_id" | "tid" => tid = Some(label.num),
                "pid" | "process_id" => pid = Some(label.num),
                _ => {}
            }
        }
        let key = (pid, tid, name);
        if let Some(&thread) = self.threads.get(&key) {
            return thread;
        }
        let (pid, tid, name) = key.clone();
        let pid = pid.and_then(|p| u32::try_from(p).ok());
        let process = pid.map(|p| self.profile.add_process(Some(p), None));
        let tid = tid.and_then(|t| u32::try_from(t).ok());
        let label = (!name.is_empty()).then_some(name.as_str());
        let thread = self.profile.add_thread(process, tid, label);
        self.threads.insert(key, thread);
        thread
    }

    fn finish(mut self) -> Profile {
        let w = &mut self.profile.meta.warnings;
        if self.damaged > 0 {
            w.add_many(WarningKind::DamagedRecord, self.damaged, || {
                "references past the end of a table (a string, location or function index) were dropped".to_owned()
            });
        }
        if self.negative > 0 {
            w.add_many(WarningKind::Other, self.negative, || {
                "negative sample values (a profile made by `pprof -diff_base`?) were left out: profview diff compares two profiles itself".to_owned()
            });
        }
        self.profile
    }
}

/// The model's unit of a pprof sample type, and the factor its values take.
fn unit_of(kind: &str, unit: &str) -> (WeightUnit, f64) {
    match unit {
        "nanoseconds" => (WeightUnit::Nanoseconds, 1.0),
        "microseconds" => (WeightUnit::Nanoseconds, 1e3),
        "milliseconds" => (WeightUnit::Nanoseconds, 1e6),
        "seconds" => (WeightUnit::Nanoseconds, 1e9),
        "bytes" => (WeightUnit::Bytes, 1.0),
        "count" if kind == "samples" => (WeightUnit::Samples, 1.0),
        // Allocated or live objects, goroutines: things counted, not sampled events.
        "count" if kind.contains("objects") || kind.contains("alloc") || kind.contains("inuse") => {
            (WeightUnit::Count, 1.0)
        }
        _ => (WeightUnit::Events, 1.0),
    }
}

/// A build-id as pprof writers put it: hex text (Go, jemalloc_pprof). Anything else is no id.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if text.is_empty() || !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
