//! Writing a profile as a presymbolicated Firefox Profiler processed profile (version 55, the
//! layout fxprof-processed-profile writes; the Firefox Profiler upgrades it on load).
//!
//! Tables are per thread, strings per thread. Every frame keeps its name, file and line, and
//! its module as a library, so the Firefox Profiler shows names without a symbol server.

use std::collections::HashMap;

use profview_model::{
    Frame, FrameId, FrameKind, ModuleId, Profile, StackId, ThreadId, WeightKindId, WeightUnit,
};
use serde_json::{json, Value};

use profview_files::hex;

/// The processed-format version written.
pub const WRITTEN_VERSION: u64 = 55;

const CATEGORY_USER: u64 = 1;
const CATEGORY_KERNEL: u64 = 2;

/// The processed-profile JSON of the samples of `kind`.
pub fn to_firefox(profile: &Profile, kind: WeightKindId) -> Value {
    let samples = profile.samples();
    let start_ns = samples
        .iter()
        .filter(|s| s.kind == kind)
        .filter_map(|s| s.time)
        .min()
        .unwrap_or(0);
    let libs = Libs::new(profile);
    let unit = profile.weight_kind(kind).unit;
    let mut threads: Vec<ThreadWriter> = Vec::new();
    let mut of_thread: HashMap<ThreadId, usize> = HashMap::new();
    for s in samples.iter().filter(|s| s.kind == kind) {
        let at = *of_thread.entry(s.thread).or_insert_with(|| {
            threads.push(ThreadWriter::new(s.thread));
            threads.len() - 1
        });
        threads[at].sample(profile, &libs, s.stack, s.time, start_ns, s.weight, unit);
    }
    let interval_ms = profile
        .meta
        .sample_rate_hz
        .filter(|r| *r > 0.0)
        .map_or(1.0, |r| 1000.0 / r);
    json!({
        "meta": {
            "version": 24,
            "preprocessedProfileVersion": WRITTEN_VERSION,
            "interval": interval_ms,
            "startTime": start_ns as f64 / 1e6,
            "processType": 0,
            "product": format!("profview: {}", profile.meta.source_name.as_deref().unwrap_or("profile")),
            "symbolicated": true,
            "pausedRanges": [],
            "markerSchema": [],
            "categories": [
                {"name": "Other", "color": "grey", "subcategories": ["Other"]},
                {"name": "User", "color": "yellow", "subcategories": ["Other"]},
                {"name": "Kernel", "color": "orange", "subcategories": ["Other"]},
            ],
        },
        "libs": libs.json(profile),
        "threads": threads.iter().map(|t| t.json(profile, unit)).collect::<Vec<_>>(),
        "pages": [],
        "profilerOverhead": [],
        "counters": heap_counter(profile, threads.first()).into_iter().collect::<Vec<_>>(),
    })
}

/// The heap over time as a Memory counter, the track the Firefox Profiler draws above a
/// process's threads: each sample is the change since the one before (`count`, bytes) and
/// the allocations made meanwhile (`number`). Only for timelines in milliseconds: massif's
/// instruction or byte clocks are not a time the Profiler can draw.
fn heap_counter(profile: &Profile, main_thread: Option<&ThreadWriter>) -> Option<Value> {
    let timeline = profile.meta.heap_timeline.as_ref()?;
    if timeline.time_unit != "ms" || timeline.points.is_empty() {
        return None;
    }
    let pid = main_thread
        .and_then(|t| profile.thread(t.thread).process)
        .and_then(|p| profile.process(p).pid)
        .map_or_else(|| "0".to_owned(), |p| p.to_string());
    let mut before = 0.0;
    let deltas: Vec<f64> = timeline
        .points
        .iter()
        .map(|&(_, heap)| {
            let delta = heap - before;
            before = heap;
            delta
        })
        .collect();
    let numbers: Vec<f64> = if timeline.allocations.len() == timeline.points.len() {
        timeline.allocations.clone()
    } else {
        vec![0.0; timeline.points.len()]
    };
    Some(json!({
        "name": "heap",
        "category": "Memory",
        "description": "bytes live on the heap",
        "pid": pid,
        "mainThreadIndex": 0,
        "samples": {
            "length": timeline.points.len(),
            "time": timeline.points.iter().map(|p| p.0).collect::<Vec<_>>(),
            "count": deltas,
            "number": numbers,
        },
    }))
}

/// Modules as the top-level `libs` array.
struct Libs {
    index: HashMap<ModuleId, usize>,
    modules: Vec<ModuleId>,
}

impl Libs {
    fn new(profile: &Profile) -> Self {
        let modules: Vec<ModuleId> = (0..profile.modules().len())
            .map(ModuleId::from_index)
            .collect();
        let index = modules.iter().enumerate().map(|(i, m)| (*m, i)).collect();
        Self { index, modules }
    }

    fn json(&self, profile: &Profile) -> Vec<Value> {
        self.modules
            .iter()
            .map(|&m| {
                let module = profile.module(m);
                let path = profile.string(module.path);
                let code_id = module.build_id.as_deref().map(hex);
                json!({
                    "name": profile.module_name(m),
                    "path": path,
                    "debugName": profile.module_name(m),
                    "debugPath": path,
                    "breakpadId": module.build_id.as_deref().map(breakpad_id).unwrap_or_default(),
                    "codeId": code_id,
                    "arch": null,
                })
            })
            .collect()
    }
}

/// Breakpad's id of an ELF build-id: its first 16 bytes as a GUID (the first three fields
/// byte-swapped), upper-case, and an age of 0.
fn breakpad_id(build_id: &[u8]) -> String {
    let mut guid = [0u8; 16];
    for (i, b) in build_id.iter().take(16).enumerate() {
        guid[i] = *b;
    }
    guid[0..4].reverse();
    guid[4..6].reverse();
    guid[6..8].reverse();
    format!("{}0", hex(&guid).to_uppercase())
}

/// One thread's tables, filled as its samples come.
struct ThreadWriter {
    thread: ThreadId,
    strings: Vec<String>,
    string_index: HashMap<String, usize>,
    funcs: Vec<(usize, Option<usize>, Option<usize>)>,
    func_index: HashMap<(usize, Option<usize>, Option<usize>), usize>,
    resources: Vec<(usize, usize)>,
    resource_index: HashMap<usize, usize>,
    frames: Vec<FrameRow>,
    frame_index: HashMap<FrameId, usize>,
    stacks: Vec<(Option<usize>, usize)>,
    stack_index: HashMap<StackId, usize>,
    samples: Vec<(usize, f64, f64)>,
}

struct FrameRow {
    func: usize,
    address: i64,
    inline_depth: u16,
    category: u64,
    line: Option<u32>,
}

impl ThreadWriter {
    fn new(thread: ThreadId) -> Self {
        Self {
            thread,
            strings: Vec::new(),
            string_index: HashMap::new(),
            funcs: Vec::new(),
            func_index: HashMap::new(),
            resources: Vec::new(),
            resource_index: HashMap::new(),
            frames: Vec::new(),
            frame_index: HashMap::new(),
            stacks: Vec::new(),
            stack_index: HashMap::new(),
            samples: Vec::new(),
        }
    }

    fn string(&mut self, s: &str) -> usize {
        if let Some(i) = self.string_index.get(s) {
            return *i;
        }
        self.strings.push(s.to_owned());
        self.string_index
            .insert(s.to_owned(), self.strings.len() - 1);
        self.strings.len() - 1
    }

    #[allow(clippy::too_many_arguments)]
    fn sample(
        &mut self,
        profile: &Profile,
        libs: &Libs,
        stack: StackId,
        time: Option<u64>,
        start_ns: u64,
        weight: f64,
        unit: WeightUnit,
    ) {
        let stack = self.stack(profile, libs, stack);
        let time_ms = time.map_or(0.0, |t| t.saturating_sub(start_ns) as f64 / 1e6);
        let weight = if unit == WeightUnit::Nanoseconds {
            weight / 1e6
        } else {
            weight
        };
        self.samples.push((stack, time_ms, weight));
    }

    fn stack(&mut self, profile: &Profile, libs: &Libs, id: StackId) -> usize {
        // Iterative: the missing part of the path is collected leaf first, then added.
        let mut missing = Vec::new();
        let mut next = Some(id);
        while let Some(s) = next {
            if self.stack_index.contains_key(&s) {
                break;
            }
            missing.push(s);
            next = profile.stack(s).parent;
        }
        for s in missing.into_iter().rev() {
            let node = profile.stack(s);
            let prefix = node.parent.map(|p| self.stack_index[&p]);
            let frame = self.frame(profile, libs, node.frame);
            self.stacks.push((prefix, frame));
            self.stack_index.insert(s, self.stacks.len() - 1);
        }
        self.stack_index[&id]
    }

    fn frame(&mut self, profile: &Profile, libs: &Libs, id: FrameId) -> usize {
        if let Some(i) = self.frame_index.get(&id) {
            return *i;
        }
        let frame = profile.frame(id);
        let module = profile.frame_module(id);
        let resource = module.map(|m| self.resource(profile, libs, m));
        let (name, file, line, depth, address) = match frame {
            Frame::Resolved(f) => (
                profile.string(profile.function(f.function).name).to_owned(),
                f.file.map(|s| profile.string(s).to_owned()),
                f.line,
                f.inline_depth,
                f.address.map_or(-1, |a| a.lookup_address() as i64),
            ),
            // Written under the label profview shows (`libc.so.6+0x1234`), so reading it back
            // gives the same rows; the address field keeps the raw address.
            Frame::Unresolved(f) => (
                profile.frame_label(id),
                None,
                None,
                0,
                f.address.raw() as i64,
            ),
        };
        let name = self.string(&name);
        let file = file.map(|f| self.string(&f));
        let key = (name, resource, file);
        let func = *self.func_index.entry(key).or_insert_with(|| {
            self.funcs.push(key);
            self.funcs.len() - 1
        });
        let category = if frame.kind() == FrameKind::Kernel {
            CATEGORY_KERNEL
        } else {
            CATEGORY_USER
        };
        self.frames.push(FrameRow {
            func,
            address,
            inline_depth: depth,
            category,
            line,
        });
        self.frame_index.insert(id, self.frames.len() - 1);
        self.frames.len() - 1
    }

    fn resource(&mut self, profile: &Profile, libs: &Libs, module: ModuleId) -> usize {
        let lib = libs.index[&module];
        if let Some(r) = self.resource_index.get(&lib) {
            return *r;
        }
        let name = self.string(profile.module_name(module));
        self.resources.push((lib, name));
        self.resource_index.insert(lib, self.resources.len() - 1);
        self.resources.len() - 1
    }

    fn json(&self, profile: &Profile, unit: WeightUnit) -> Value {
        let t = profile.thread(self.thread);
        let process = t.process.map(|p| profile.process(p));
        let pid = process
            .and_then(|p| p.pid)
            .map(|p| p.to_string())
            .unwrap_or_else(|| "0".into());
        let name = |s: Option<profview_model::StringId>| s.map(|s| profile.string(s).to_owned());
        let thread_name = name(t.name).unwrap_or_else(|| "thread".into());
        let process_name = process
            .and_then(|p| name(p.name))
            .unwrap_or_else(|| thread_name.clone());
        let frames = &self.frames;
        let n = frames.len();
        json!({
            "name": thread_name,
            "processName": process_name,
            "processType": "default",
            "pid": pid,
            "tid": t.tid.map_or_else(|| Value::from(self.thread.index()), Value::from),
            "isMainThread": t.tid.is_some() && t.tid == process.and_then(|p| p.pid),
            "registerTime": 0,
            "unregisterTime": null,
            "processStartupTime": 0,
            "processShutdownTime": null,
            "pausedRanges": [],
            "showMarkersInTimeline": false,
            "stringArray": self.strings,
            "markers": {"length": 0, "data": [], "name": [], "startTime": [], "endTime": [], "phase": [], "category": []},
            "nativeSymbols": {"length": 0, "address": [], "functionSize": [], "libIndex": [], "name": []},
            "resourceTable": {
                "length": self.resources.len(),
                "lib": self.resources.iter().map(|r| r.0).collect::<Vec<_>>(),
                "name": self.resources.iter().map(|r| r.1).collect::<Vec<_>>(),
                "host": vec![Value::Null; self.resources.len()],
                "type": vec![1; self.resources.len()],
            },
            "funcTable": {
                "length": self.funcs.len(),
                "name": self.funcs.iter().map(|f| f.0).collect::<Vec<_>>(),
                "isJS": vec![false; self.funcs.len()],
                "relevantForJS": vec![false; self.funcs.len()],
                "resource": self.funcs.iter().map(|f| f.1.map_or(-1, |r| r as i64)).collect::<Vec<_>>(),
                "fileName": self.funcs.iter().map(|f| f.2).collect::<Vec<_>>(),
                "lineNumber": vec![Value::Null; self.funcs.len()],
                "columnNumber": vec![Value::Null; self.funcs.len()],
            },
            "frameTable": {
                "length": n,
                "address": frames.iter().map(|f| f.address).collect::<Vec<_>>(),
                "inlineDepth": frames.iter().map(|f| f.inline_depth).collect::<Vec<_>>(),
                "category": frames.iter().map(|f| f.category).collect::<Vec<_>>(),
                "subcategory": vec![0; n],
                "func": frames.iter().map(|f| f.func).collect::<Vec<_>>(),
                "nativeSymbol": vec![Value::Null; n],
                "innerWindowID": vec![0; n],
                "line": frames.iter().map(|f| f.line).collect::<Vec<_>>(),
                "column": vec![Value::Null; n],
            },
            "stackTable": {
                "length": self.stacks.len(),
                "prefix": self.stacks.iter().map(|s| s.0).collect::<Vec<_>>(),
                "frame": self.stacks.iter().map(|s| s.1).collect::<Vec<_>>(),
            },
            "samples": {
                "length": self.samples.len(),
                "weightType": weight_type(unit),
                "stack": self.samples.iter().map(|s| s.0).collect::<Vec<_>>(),
                "time": self.samples.iter().map(|s| s.1).collect::<Vec<_>>(),
                "weight": self.samples.iter().map(|s| s.2).collect::<Vec<_>>(),
            },
        })
    }
}

/// Nanoseconds become milliseconds of "tracing" weight; event counts stay counts.
fn weight_type(unit: WeightUnit) -> &'static str {
    match unit {
        WeightUnit::Nanoseconds => "tracing-ms",
        WeightUnit::Bytes => "bytes",
        WeightUnit::Samples | WeightUnit::Events | WeightUnit::Period | WeightUnit::Count => {
            "samples"
        }
    }
}
