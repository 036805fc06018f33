//! The processed format (`meta.preprocessedProfileVersion`), as samply and the Firefox
//! Profiler write it.

use std::collections::HashMap;

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, HeapTimeline, Module, ModuleId, ProcessId,
    Profile, ResolvedFrame, Sample, SourceFormat, StackId, ThreadId, UnresolvedFrame, WarningKind,
    WeightKindId, WeightUnit,
};
use serde_json::Value;

use super::json::{bad, hex_bytes, Columns};
use crate::ParseError;

/// What every thread's tables need from the rest of the file.
struct Context {
    version: u64,
    modules: Vec<ModuleId>,
    kernel_category: Option<usize>,
    start_ms: f64,
    kinds: HashMap<String, WeightKindId>,
    processes: HashMap<String, ProcessId>,
    damaged: u64,
}

/// A table set turned into the profile's frames and stacks.
struct Tables {
    stacks: Vec<Option<StackId>>,
}

pub(super) fn parse(name: &str, root: &Value, version: u64) -> Result<Profile, ParseError> {
    let threads = root
        .get("threads")
        .and_then(Value::as_array)
        .ok_or_else(|| bad(name, "no `threads` array"))?;
    let mut profile = Profile::new();
    profile.meta.source_format = SourceFormat::FirefoxProcessed;
    profile.meta.source_name = Some(name.to_owned());
    let meta = &root["meta"];
    profile.meta.recorder_version = meta
        .get("product")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if let Some(interval) = meta
        .get("interval")
        .and_then(Value::as_f64)
        .filter(|i| *i > 0.0)
    {
        profile.meta.sample_rate_hz = Some(1000.0 / interval);
    }
    let libs = root.column("libs");
    let modules = libs
        .iter()
        .map(|lib| lib_module(&mut profile, lib))
        .collect();
    let kernel_category = meta
        .column("categories")
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some("Kernel"));
    let mut cx = Context {
        version,
        modules,
        kernel_category,
        start_ms: meta.get("startTime").and_then(Value::as_f64).unwrap_or(0.0),
        kinds: HashMap::new(),
        processes: HashMap::new(),
        damaged: 0,
    };
    let shared = root.get("shared").unwrap_or(&Value::Null);
    // From version 60 the tables are shared by all threads: their frames and stacks are made
    // once.
    let shared_tables = (version >= 60)
        .then(|| read_tables(&mut profile, &mut cx, shared, shared.column("stringArray")));
    for thread in threads {
        read_thread(
            &mut profile,
            &mut cx,
            thread,
            shared,
            shared_tables.as_ref(),
        );
    }
    if cx.damaged > 0 {
        let count = cx.damaged;
        profile
            .meta
            .warnings
            .add_many(WarningKind::DamagedRecord, count, || {
                "table entries with an out-of-range index were dropped (with their samples)"
                    .to_owned()
            });
    }
    if profile.samples().is_empty() && profile.weight_kinds().is_empty() {
        profile.add_weight_kind("samples", WeightUnit::Samples);
    }
    profile.meta.heap_timeline = memory_counter(root.column("counters"));
    Ok(profile)
}

/// The first Memory counter (the Profiler's memory track: `profview convert` writes a heap
/// profile's timeline as one, Firefox its own allocations) as a heap timeline: its samples
/// are changes, summed here into the bytes live at each time.
fn memory_counter(counters: &[Value]) -> Option<HeapTimeline> {
    let counter = counters
        .iter()
        .find(|c| c.get("category").and_then(Value::as_str) == Some("Memory"))?;
    let samples = &counter["samples"];
    let times = sample_times(samples);
    let number = |v: &Value| v.as_f64().unwrap_or(0.0);
    let mut live = 0.0;
    let points: Vec<(f64, f64)> = times
        .iter()
        .zip(samples.column("count"))
        .map(|(&time, delta)| {
            live += number(delta);
            (time, live)
        })
        .collect();
    let allocations: Vec<f64> = samples.column("number").iter().map(number).collect();
    (!points.is_empty()).then(|| HeapTimeline {
        time_unit: "ms".to_owned(),
        allocations: if allocations.len() == points.len() {
            allocations
        } else {
            Vec::new()
        },
        points,
    })
}

fn lib_module(profile: &mut Profile, lib: &Value) -> ModuleId {
    let text = |key: &str| lib.get(key).and_then(Value::as_str);
    let path = text("path")
        .or(text("debugPath"))
        .or(text("name"))
        .unwrap_or("[unknown]");
    let path = profile.intern_string(path);
    profile.intern_module(Module {
        path,
        build_id: text("codeId").and_then(hex_bytes),
        address_range: None,
        relative_addresses: true,
    })
}

fn read_thread(
    profile: &mut Profile,
    cx: &mut Context,
    thread: &Value,
    shared: &Value,
    shared_tables: Option<&Tables>,
) {
    let owned;
    let tables = if let Some(tables) = shared_tables {
        tables
    } else {
        let strings = if cx.version >= 56 {
            shared.column("stringArray")
        } else {
            thread.column("stringArray")
        };
        owned = read_tables(profile, cx, thread, strings);
        &owned
    };
    let thread_id = add_thread(profile, cx, thread);
    let samples = &thread["samples"];
    let unit = samples
        .get("weightType")
        .and_then(Value::as_str)
        .unwrap_or("samples");
    let kind = weight_kind(profile, cx, unit);
    let scale = if unit == "tracing-ms" { 1e6 } else { 1.0 };
    let times = sample_times(samples);
    for (i, stack) in samples.column("stack").iter().enumerate() {
        let Some(stack) = stack.as_u64() else {
            continue; // null: a sample outside any stack (idle)
        };
        let Some(Some(stack)) = tables.stacks.get(stack as usize) else {
            cx.damaged += 1;
            continue;
        };
        let weight = samples
            .column("weight")
            .get(i)
            .and_then(Value::as_f64)
            .unwrap_or(1.0);
        let time = times
            .get(i)
            .map(|t| ((cx.start_ms + t) * 1e6).max(0.0) as u64);
        profile.add_sample(Sample {
            thread: thread_id,
            time,
            stack: *stack,
            kind,
            weight: weight * scale,
        });
    }
}

/// Sample times in milliseconds since `meta.startTime`: `time[]`, or the running sum of
/// `timeDeltas[]` (version 50 on).
fn sample_times(samples: &Value) -> Vec<f64> {
    let absolute: Vec<f64> = samples
        .column("time")
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    if !absolute.is_empty() {
        return absolute;
    }
    samples
        .column("timeDeltas")
        .iter()
        .scan(0.0, |t, d| {
            *t += d.as_f64().unwrap_or(0.0);
            Some(*t)
        })
        .collect()
}

fn weight_kind(profile: &mut Profile, cx: &mut Context, unit: &str) -> WeightKindId {
    if let Some(k) = cx.kinds.get(unit) {
        return *k;
    }
    let (name, u) = match unit {
        "tracing-ms" => ("tracing", WeightUnit::Nanoseconds),
        "bytes" => ("bytes", WeightUnit::Bytes),
        _ => ("samples", WeightUnit::Samples),
    };
    let k = profile.add_weight_kind(name, u);
    cx.kinds.insert(unit.to_owned(), k);
    k
}

/// `pid` / `tid` are strings in samply output ("11305.1" for a reused id), numbers elsewhere.
fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn leading_number(s: &str) -> Option<u32> {
    let digits: String = s.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn add_thread(profile: &mut Profile, cx: &mut Context, thread: &Value) -> ThreadId {
    let pid = id_text(thread.get("pid"));
    let process_name = thread.get("processName").and_then(Value::as_str);
    let process = pid.map(|pid| {
        *cx.processes
            .entry(pid.clone())
            .or_insert_with(|| profile.add_process(leading_number(&pid), process_name))
    });
    let tid = id_text(thread.get("tid")).and_then(|t| leading_number(&t));
    let name = thread.get("name").and_then(Value::as_str);
    profile.add_thread(process, tid, name)
}

fn read_tables(
    profile: &mut Profile,
    cx: &mut Context,
    tables: &Value,
    strings: &[Value],
) -> Tables {
    let frame_table = &tables["frameTable"];
    let frames: Vec<Option<FrameId>> = (0..frame_table.column("func").len())
        .map(|i| {
            let frame = read_frame(profile, cx, tables, strings, i);
            cx.damaged += u64::from(frame.is_none());
            frame
        })
        .collect();
    let stack_table = &tables["stackTable"];
    let count = stack_table.column("frame").len();
    let mut stacks: Vec<Option<StackId>> = Vec::with_capacity(count);
    for i in 0..count {
        let parent = if cx.version >= 66 {
            match stack_table.index_at("prefixOffset", i) {
                Some(0) | None => Ok(None),
                Some(k) if k <= i => Ok(Some(i - k)),
                Some(_) => Err(()),
            }
        } else {
            match stack_table.column("prefix").get(i).and_then(Value::as_i64) {
                None => Ok(None),
                Some(p) if p >= 0 && (p as usize) < i => Ok(Some(p as usize)),
                Some(_) => Err(()),
            }
        };
        let frame = stack_table
            .index_at("frame", i)
            .and_then(|f| frames.get(f).copied().flatten());
        let stack = match (parent, frame) {
            (Ok(None), Some(frame)) => Some(profile.intern_stack(None, frame)),
            (Ok(Some(p)), Some(frame)) => {
                stacks[p].map(|parent| profile.intern_stack(Some(parent), frame))
            }
            _ => None,
        };
        cx.damaged +=
            u64::from(stack.is_none() && !matches!(parent, Ok(Some(p)) if stacks[p].is_none()));
        stacks.push(stack);
    }
    Tables { stacks }
}

fn read_frame(
    profile: &mut Profile,
    cx: &Context,
    tables: &Value,
    strings: &[Value],
    i: usize,
) -> Option<FrameId> {
    let (frames, funcs) = (&tables["frameTable"], &tables["funcTable"]);
    let func = frames.index_at("func", i)?;
    let name = strings.get(funcs.index_at("name", func)?)?.as_str()?;
    let lib = if cx.version >= 70 {
        frames.index_at("lib", i)
    } else {
        funcs
            .index_at("resource", func)
            .and_then(|r| tables["resourceTable"].index_at("lib", r))
    };
    let module = lib.and_then(|l| cx.modules.get(l).copied());
    let kind = match frames.index_at("category", i) {
        Some(c) if Some(c) == cx.kernel_category => FrameKind::Kernel,
        _ => FrameKind::User,
    };
    let address = frames
        .column("address")
        .get(i)
        .and_then(Value::as_i64)
        .filter(|a| *a >= 0);
    if let (Some(module), Some(address), true) = (module, address, name.starts_with("0x")) {
        // samply writes return addresses already minus one: every address is looked up as is.
        return Some(profile.intern_frame(Frame::Unresolved(UnresolvedFrame {
            module: Some(module),
            address: CodeAddress::InstructionPointer(address as u64),
            kind,
        })));
    }
    let file = funcs
        .index_at("fileName", func)
        .and_then(|f| strings.get(f)?.as_str());
    let line = frames
        .column("line")
        .get(i)
        .and_then(Value::as_u64)
        .map(|l| l as u32);
    let depth = frames.index_at("inlineDepth", i).unwrap_or(0) as u16;
    let address = address.unwrap_or(0) as u64;
    Some(resolved(
        profile, name, module, file, line, depth, kind, address,
    ))
}

#[allow(clippy::too_many_arguments)]
fn resolved(
    profile: &mut Profile,
    name: &str,
    module: Option<ModuleId>,
    file: Option<&str>,
    line: Option<u32>,
    inline_depth: u16,
    kind: FrameKind,
    address: u64,
) -> FrameId {
    let name = profile.intern_string(name);
    let function = profile.intern_function(Function { name, module });
    let file = file.map(|f| profile.intern_string(f));
    profile.intern_frame(Frame::Resolved(ResolvedFrame {
        function,
        file,
        line,
        inline_depth,
        kind,
        address: Some(CodeAddress::InstructionPointer(address)),
    }))
}
