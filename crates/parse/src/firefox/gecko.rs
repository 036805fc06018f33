//! The Gecko format (`meta.version`, no `preprocessedProfileVersion`): what Firefox itself and
//! `perf script report gecko` write. Per-thread tables are `{schema: {column: index}, data:
//! [[row], ...]}`; strings are per thread; child processes are nested in `processes[]`.

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, Module, ModuleId, Profile, ResolvedFrame,
    Sample, SourceFormat, StackId, UnresolvedFrame, WarningKind, WeightUnit,
};
use serde_json::Value;

use super::json::{bad, hex_bytes, Columns};
use crate::ParseError;

/// A library mapped at `start..end` (absolute addresses).
struct Lib {
    start: u64,
    end: u64,
    module: ModuleId,
}

pub(super) fn parse(name: &str, root: &Value) -> Result<Profile, ParseError> {
    if root.get("threads").and_then(Value::as_array).is_none() {
        return Err(bad(name, "no `threads` array"));
    }
    let mut profile = Profile::new();
    profile.meta.source_format = SourceFormat::Gecko;
    profile.meta.source_name = Some(name.to_owned());
    if let Some(i) = root["meta"]
        .get("interval")
        .and_then(Value::as_f64)
        .filter(|i| *i > 0.0)
    {
        profile.meta.sample_rate_hz = Some(1000.0 / i);
    }
    let kind = profile.add_weight_kind("samples", WeightUnit::Samples);
    let mut damaged = 0;
    read_process(&mut profile, root, kind, &mut damaged, 0);
    if damaged > 0 {
        profile
            .meta
            .warnings
            .add_many(WarningKind::DamagedRecord, damaged, || {
                "table rows with an out-of-range index were dropped (with their samples)".to_owned()
            });
    }
    Ok(profile)
}

/// Child processes nest; a bound keeps a hostile file from recursing without end.
const MAX_PROCESS_DEPTH: usize = 16;

fn read_process(
    profile: &mut Profile,
    process: &Value,
    kind: profview_model::WeightKindId,
    damaged: &mut u64,
    depth: usize,
) {
    let libs: Vec<Lib> = process
        .column("libs")
        .iter()
        .filter_map(|lib| {
            let text = |k: &str| lib.get(k).and_then(Value::as_str);
            let path = text("path").or(text("debugPath")).or(text("name"))?;
            let path = profile.intern_string(path);
            let module = profile.intern_module(Module {
                path,
                build_id: text("codeId").and_then(hex_bytes),
                address_range: None,
                relative_addresses: true,
            });
            Some(Lib {
                start: lib.get("start")?.as_u64()?,
                end: lib.get("end")?.as_u64()?,
                module,
            })
        })
        .collect();
    let start_ms = process["meta"]
        .get("startTime")
        .and_then(Value::as_f64)
        .unwrap_or(0.0);
    let kernel_category = process["meta"]
        .column("categories")
        .iter()
        .position(|c| c.get("name").and_then(Value::as_str) == Some("Kernel"));
    let reader = ThreadReader {
        libs: &libs,
        kernel_category,
        start_ms,
        kind,
    };
    for thread in process.column("threads") {
        *damaged += reader.read(profile, thread);
    }
    if depth < MAX_PROCESS_DEPTH {
        for child in process.column("processes") {
            read_process(profile, child, kind, damaged, depth + 1);
        }
    }
}

struct ThreadReader<'a> {
    libs: &'a [Lib],
    kernel_category: Option<usize>,
    start_ms: f64,
    kind: profview_model::WeightKindId,
}

/// Column `key` of a schema'd table row.
fn cell<'v>(table: &Value, row: &'v Value, key: &str) -> Option<&'v Value> {
    let at = table["schema"].get(key)?.as_u64()?;
    row.get(usize::try_from(at).ok()?).filter(|v| !v.is_null())
}

impl ThreadReader<'_> {
    /// Read one thread; returns the number of damaged rows.
    fn read(&self, profile: &mut Profile, thread: &Value) -> u64 {
        let mut damaged = 0;
        let pid = thread.get("pid").and_then(Value::as_u64).map(|p| p as u32);
        let process_name = thread.get("processName").and_then(Value::as_str);
        let process = profile.add_process(pid, process_name);
        let tid = thread.get("tid").and_then(Value::as_u64).map(|t| t as u32);
        let name = thread.get("name").and_then(Value::as_str);
        let thread_id = profile.add_thread(Some(process), tid, name);
        let strings = thread.column("stringTable");
        let frame_table = &thread["frameTable"];
        let frames: Vec<Option<FrameId>> = frame_table
            .column("data")
            .iter()
            .map(|row| self.frame(profile, frame_table, row, strings))
            .collect();
        let stack_table = &thread["stackTable"];
        let mut stacks: Vec<Option<StackId>> = Vec::new();
        for (i, row) in stack_table.column("data").iter().enumerate() {
            let frame = cell(stack_table, row, "frame")
                .and_then(Value::as_u64)
                .and_then(|f| frames.get(f as usize).copied().flatten());
            let parent = match cell(stack_table, row, "prefix").and_then(Value::as_u64) {
                None => Some(None),
                Some(p) if (p as usize) < i => stacks[p as usize].map(Some),
                Some(_) => None,
            };
            let stack = match (parent, frame) {
                (Some(parent), Some(frame)) => Some(profile.intern_stack(parent, frame)),
                _ => {
                    damaged += 1;
                    None
                }
            };
            stacks.push(stack);
        }
        let samples = &thread["samples"];
        for row in samples.column("data") {
            let Some(stack) = cell(samples, row, "stack").and_then(Value::as_u64) else {
                continue;
            };
            let Some(Some(stack)) = stacks.get(stack as usize) else {
                damaged += 1;
                continue;
            };
            let time = cell(samples, row, "time")
                .and_then(Value::as_f64)
                .map(|t| ((self.start_ms + t) * 1e6).max(0.0) as u64);
            let weight = cell(samples, row, "weight")
                .and_then(Value::as_f64)
                .unwrap_or(1.0);
            profile.add_sample(Sample {
                thread: thread_id,
                time,
                stack: *stack,
                kind: self.kind,
                weight,
            });
        }
        damaged
    }

    fn frame(
        &self,
        profile: &mut Profile,
        table: &Value,
        row: &Value,
        strings: &[Value],
    ) -> Option<FrameId> {
        let location = cell(table, row, "location")?.as_u64()?;
        let location = strings.get(location as usize)?.as_str()?;
        let kind = match cell(table, row, "category").and_then(Value::as_u64) {
            Some(c) if Some(c as usize) == self.kernel_category => FrameKind::Kernel,
            _ => FrameKind::User,
        };
        let hex = location
            .strip_prefix("0x")
            .and_then(|h| u64::from_str_radix(h, 16).ok());
        if let Some(address) = hex {
            let Some(lib) = self
                .libs
                .iter()
                .find(|l| (l.start..l.end).contains(&address))
            else {
                return Some(profile.intern_frame(Frame::Unresolved(UnresolvedFrame {
                    module: None,
                    address: CodeAddress::InstructionPointer(address),
                    kind,
                })));
            };
            return Some(profile.intern_frame(Frame::Unresolved(UnresolvedFrame {
                module: Some(lib.module),
                address: CodeAddress::InstructionPointer(address - lib.start),
                kind,
            })));
        }
        let line = cell(table, row, "line")
            .and_then(Value::as_u64)
            .map(|l| l as u32);
        Some(named_frame(profile, location, None, line, kind))
    }
}

fn named_frame(
    profile: &mut Profile,
    name: &str,
    module: Option<ModuleId>,
    line: Option<u32>,
    kind: FrameKind,
) -> FrameId {
    let name = profile.intern_string(name);
    let function = profile.intern_function(Function { name, module });
    profile.intern_frame(Frame::Resolved(ResolvedFrame {
        function,
        file: None,
        line,
        inline_depth: 0,
        kind,
        address: None,
    }))
}
