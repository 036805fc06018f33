//! Writing a profile as pprof, for `go tool pprof` and the systems that speak it.

use std::collections::HashMap;

use profview_model::{
    Frame, FrameId, FunctionId, ModuleId, Profile, StackId, StringId, ThreadId, WeightKindId,
    WeightUnit,
};
use prost::Message;

use super::proto;

/// `profile` as an encoded pprof `Profile` message, every weight kind with weight a sample
/// type (the first the default); gzip it for a `.pb.gz` file. Functions keep their files,
/// locations their lines and inlined frames (one location per address, its inlined functions
/// as lines, innermost first), mappings their build-ids; samples of one thread and stack are
/// one sample with a value per type, labelled with the thread's name, id and process id.
pub fn to_pprof(profile: &Profile) -> Vec<u8> {
    let mut writer = Writer::new(profile);
    writer.sample_types();
    writer.samples();
    writer.into_message().encode_to_vec()
}

struct Writer<'p> {
    profile: &'p Profile,
    message: proto::Profile,
    strings: HashMap<String, i64>,
    kinds: Vec<WeightKindId>,
    mappings: HashMap<ModuleId, u64>,
    functions: HashMap<(FunctionId, Option<StringId>), u64>,
    locations: HashMap<Vec<FrameId>, u64>,
}

impl<'p> Writer<'p> {
    fn new(profile: &'p Profile) -> Self {
        let mut writer = Self {
            profile,
            message: proto::Profile::default(),
            strings: HashMap::new(),
            kinds: Vec::new(),
            mappings: HashMap::new(),
            functions: HashMap::new(),
            locations: HashMap::new(),
        };
        writer.string("");
        writer
    }

    fn string(&mut self, text: &str) -> i64 {
        if let Some(&i) = self.strings.get(text) {
            return i;
        }
        let i = self.message.string_table.len() as i64;
        self.message.string_table.push(text.to_owned());
        self.strings.insert(text.to_owned(), i);
        i
    }

    /// One sample type per weight kind with weight; the period and its type are the first's.
    fn sample_types(&mut self) {
        let p = self.profile;
        let all = (0..p.weight_kinds().len()).map(WeightKindId::from_index);
        self.kinds = all.clone().filter(|&k| p.total_weight(k) > 0.0).collect();
        // A profile without weight still names what it measured: a pprof file without sample
        // types is no profile (ours and go tool pprof refuse it).
        if self.kinds.is_empty() {
            self.kinds = all.collect();
        }
        for &k in &self.kinds.clone() {
            let kind = p.weight_kind(k);
            let value_type = proto::ValueType {
                r#type: self.string(p.string(kind.name)),
                unit: self.string(unit_name(kind.unit)),
            };
            self.message.sample_type.push(value_type);
        }
        if self.message.sample_type.is_empty() {
            let value_type = proto::ValueType {
                r#type: self.string("samples"),
                unit: self.string("count"),
            };
            self.message.sample_type.push(value_type);
        }
        if let (Some(&first), Some(&value_type)) =
            (self.kinds.first(), self.message.sample_type.first())
        {
            self.message.default_sample_type = value_type.r#type;
            self.message.period_type = Some(value_type);
            let period = p.weight_kind(first).period.unwrap_or(0.0);
            self.message.period = period.round() as i64;
        }
        let times = || p.samples().iter().filter_map(|s| s.time);
        if let (Some(start), Some(end)) = (times().min(), times().max()) {
            self.message.duration_nanos = i64::try_from(end - start).unwrap_or(i64::MAX);
        }
    }

    /// Samples of one thread and stack are summed into one, with a value per kind.
    fn samples(&mut self) {
        let p = self.profile;
        let column: HashMap<WeightKindId, usize> = self
            .kinds
            .iter()
            .enumerate()
            .map(|(i, &k)| (k, i))
            .collect();
        let mut summed: HashMap<(ThreadId, StackId), Vec<f64>> = HashMap::new();
        let mut order = Vec::new();
        for s in p.samples().iter() {
            let Some(&i) = column.get(&s.kind) else {
                continue;
            };
            let values = summed.entry((s.thread, s.stack)).or_insert_with(|| {
                order.push((s.thread, s.stack));
                vec![0.0; column.len()]
            });
            values[i] += s.weight;
        }
        for key in order {
            let values = &summed[&key];
            let sample = proto::Sample {
                location_id: self.location_ids(key.1),
                value: values.iter().map(|v| v.round() as i64).collect(),
                label: self.thread_labels(key.0),
            };
            self.message.sample.push(sample);
        }
    }

    /// The locations of a stack, leaf first: each real frame with the inlined frames below it.
    fn location_ids(&mut self, stack: StackId) -> Vec<u64> {
        let p = self.profile;
        let mut ids = Vec::new();
        let mut group = Vec::new();
        for frame in p.stack_frames(stack) {
            group.push(frame);
            if !p.frame(frame).is_inlined() {
                ids.push(self.location(std::mem::take(&mut group)));
            }
        }
        if !group.is_empty() {
            // Inlined frames with no real frame above them (folded input can say so).
            ids.push(self.location(group));
        }
        ids
    }

    /// The location of `frames` (innermost first, the real function last).
    fn location(&mut self, frames: Vec<FrameId>) -> u64 {
        if let Some(&id) = self.locations.get(&frames) {
            return id;
        }
        let p = self.profile;
        let id = self.message.location.len() as u64 + 1;
        let outer = *frames.last().expect("a location has a frame");
        let (module, address) = match p.frame(outer) {
            Frame::Unresolved(f) => (f.module, f.address.raw()),
            Frame::Resolved(f) => (
                p.function(f.function).module,
                f.address.map_or(0, |a| a.raw()),
            ),
        };
        let mapping_id = module.map_or(0, |m| self.mapping(m));
        let mut lines = Vec::new();
        for &frame in &frames {
            if let Frame::Resolved(f) = p.frame(frame) {
                lines.push(proto::Line {
                    function_id: self.function(f.function, f.file),
                    line: f.line.map_or(0, i64::from),
                    column: 0,
                });
            }
        }
        self.message.location.push(proto::Location {
            id,
            mapping_id,
            address,
            line: lines,
            is_folded: false,
        });
        self.locations.insert(frames, id);
        id
    }

    fn function(&mut self, function: FunctionId, file: Option<StringId>) -> u64 {
        if let Some(&id) = self.functions.get(&(function, file)) {
            return id;
        }
        let p = self.profile;
        let id = self.message.function.len() as u64 + 1;
        let name = self.string(p.string(p.function(function).name));
        let filename = file.map_or(0, |f| self.string(p.string(f)));
        self.message.function.push(proto::Function {
            id,
            name,
            system_name: name,
            filename,
            start_line: 0,
        });
        self.functions.insert((function, file), id);
        id
    }

    fn mapping(&mut self, module: ModuleId) -> u64 {
        if let Some(&id) = self.mappings.get(&module) {
            return id;
        }
        let p = self.profile;
        let m = p.module(module);
        let id = self.message.mapping.len() as u64 + 1;
        let filename = self.string(p.string(m.path));
        let build_id = match &m.build_id {
            Some(bytes) => self.string(&profview_files::hex(bytes)),
            None => 0,
        };
        let (memory_start, memory_limit) = m.address_range.unwrap_or((0, 0));
        self.message.mapping.push(proto::Mapping {
            id,
            memory_start,
            memory_limit,
            // Addresses of unresolved frames are file offsets: start 0, offset 0 keeps them.
            file_offset: 0,
            filename,
            build_id,
            has_functions: true,
            has_filenames: true,
            has_line_numbers: true,
            has_inline_frames: true,
        });
        self.mappings.insert(module, id);
        id
    }

    fn thread_labels(&mut self, thread: ThreadId) -> Vec<proto::Label> {
        let p = self.profile;
        let t = p.thread(thread);
        let mut labels = Vec::new();
        if let Some(name) = t.name {
            let key = self.string("thread");
            let str = self.string(p.string(name));
            labels.push(proto::Label {
                key,
                str,
                ..Default::default()
            });
        }
        if let Some(tid) = t.tid {
            let key = self.string("thread_id");
            labels.push(proto::Label {
                key,
                num: i64::from(tid),
                ..Default::default()
            });
        }
        if let Some(pid) = t.process.and_then(|pr| p.process(pr).pid) {
            let key = self.string("pid");
            labels.push(proto::Label {
                key,
                num: i64::from(pid),
                ..Default::default()
            });
        }
        labels
    }

    fn into_message(self) -> proto::Profile {
        self.message
    }
}

/// pprof's unit names for the model's units.
fn unit_name(unit: WeightUnit) -> &'static str {
    match unit {
        WeightUnit::Nanoseconds => "nanoseconds",
        WeightUnit::Bytes => "bytes",
        WeightUnit::Samples | WeightUnit::Events | WeightUnit::Period | WeightUnit::Count => {
            "count"
        }
    }
}
