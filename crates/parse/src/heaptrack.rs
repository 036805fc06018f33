//! heaptrack files (file format 2 and 3, as heaptrack 1.1 and later write them after
//! `heaptrack_interpret`; `.zst`/`.gz` are unpacked by the caller).
//!
//! The file is a stream of one-letter records: strings (`s`), instruction pointers with their
//! module and (inlined) functions (`i`), a trie of backtraces (`t <ip> <parent>`), allocation
//! infos (`a <size> <trace>`), and the events: `+ <info>` an allocation, `- <info>` its free,
//! `c <ms>` a timestamp. The totals are heaptrack_print's:
//! - `allocations`: calls to allocation functions;
//! - `temporary`: frees that come right after their own allocation, with no allocation in
//!   between;
//! - `leaked`: bytes not freed at the end;
//! - `peak`: each site's bytes live when the whole heap was largest (the default weight);
//! - `allocated-bytes`: the sum of the sizes allocated.

use std::collections::HashMap;

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, HeapTimeline, Module, ModuleId, Profile,
    ResolvedFrame, Sample, SourceFormat, StackId, WeightKindId, WeightUnit,
};

use crate::ParseError;

/// True if `text` starts like a heaptrack file: `v <version> <file version>`, the program in
/// an `X` record near the start.
pub fn looks_like_heaptrack(text: &[u8]) -> bool {
    let head = &text[..text.len().min(4096)];
    head.starts_with(b"v ")
        && head
            .split(|&b| b == b'\n')
            .take(8)
            .any(|l| l.starts_with(b"X "))
}

/// One instruction pointer: its frames, innermost (inlined) first.
#[derive(Debug, Default, Clone)]
struct Ip {
    frames: Vec<FrameId>,
}

/// What a backtrace accumulates.
#[derive(Debug, Default, Clone, Copy)]
struct Cost {
    allocations: f64,
    temporary: f64,
    allocated: f64,
    live: f64,
    peak: f64,
}

/// Which part of a [`Cost`] a weight kind takes.
type CostOf = fn(&Cost) -> f64;

/// Read a heaptrack file (already decompressed); `name` is used in messages and metadata.
pub fn parse_heaptrack(name: &str, text: &str) -> Result<Profile, ParseError> {
    let mut reader = Reader::new(name);
    for (i, line) in text.lines().enumerate() {
        reader.line = i + 1;
        reader.record(line)?;
    }
    reader.finish()
}

struct Reader<'n> {
    name: &'n str,
    line: usize,
    profile: Profile,
    /// String records, from 1 (`0` is "none").
    strings: Vec<String>,
    ips: Vec<Ip>,
    /// Trace `n` (from 1) is `(ip index, parent trace)`.
    traces: Vec<(usize, usize)>,
    /// Allocation info `n` (from 0) is `(size, trace)`.
    infos: Vec<(f64, usize)>,
    costs: Vec<Cost>,
    heap: f64,
    peak_heap: f64,
    /// The heap is at a new largest size whose per-site parts are not copied yet: they are
    /// copied when it starts to shrink (or at the end), not on every allocation that grows it.
    peak_pending: bool,
    /// The allocation info of the last event when it was an allocation, else 0 (for
    /// `temporary`). 0 rather than "none", as heaptrack has it: a free of info 0 after
    /// another free counts as temporary there too, and the totals are heaptrack_print's.
    last_allocation: usize,
    file_version: u32,
    modules: HashMap<usize, ModuleId>,
    command: Option<String>,
    /// `(ms, heap bytes)` at each timestamp record.
    timeline: Vec<(f64, f64)>,
}

impl<'n> Reader<'n> {
    fn new(name: &'n str) -> Self {
        Self {
            name,
            line: 0,
            profile: Profile::new(),
            strings: vec![String::new()],
            ips: vec![Ip::default()],
            traces: vec![(0, 0)],
            infos: Vec::new(),
            costs: vec![Cost::default()],
            heap: 0.0,
            peak_heap: 0.0,
            peak_pending: false,
            last_allocation: 0,
            file_version: 3,
            modules: HashMap::new(),
            command: None,
            timeline: Vec::new(),
        }
    }

    fn bad(&self, problem: impl Into<String>) -> ParseError {
        ParseError::Heaptrack {
            name: self.name.to_owned(),
            line: self.line,
            problem: problem.into(),
        }
    }

    fn record(&mut self, line: &str) -> Result<(), ParseError> {
        let (kind, rest) = line.split_at(line.len().min(1));
        let rest = rest.strip_prefix(' ').unwrap_or(rest);
        match kind {
            "v" => {
                let mut words = rest.split_whitespace();
                let version = words.nth(1).and_then(|v| u32::from_str_radix(v, 16).ok());
                self.file_version = version.unwrap_or(1);
                if !(2..=3).contains(&self.file_version) {
                    return Err(self.bad(format!(
                        "file format version {} (this reader knows 2 and 3: heaptrack 1.1 and later)",
                        self.file_version
                    )));
                }
            }
            "X" => self.command = Some(rest.to_owned()),
            "s" => self.string(rest)?,
            "i" => self.ip(rest)?,
            "t" => {
                let [ip, parent] = self.numbers::<2>(rest)?;
                if ip >= self.ips.len() || parent >= self.traces.len() {
                    return Err(self.bad("a trace names an ip or a parent not seen yet"));
                }
                self.traces.push((ip, parent));
                self.costs.push(Cost::default());
            }
            "a" => {
                let [size, trace] = self.numbers::<2>(rest)?;
                if trace >= self.traces.len() {
                    return Err(self.bad("an allocation info names a trace not seen yet"));
                }
                self.infos.push((size as f64, trace));
            }
            "c" => {
                let [ms] = self.numbers::<1>(rest)?;
                self.timeline.push((ms as f64, self.heap));
            }
            "+" => self.allocation(rest)?,
            "-" => self.free(rest)?,
            // Raw (uninterpreted) files have modules and pointers instead of `i`/`a`.
            "m" | "x" => {
                return Err(
                    self.bad("a raw heaptrack file: interpret it first with `heaptrack -i FILE`")
                )
            }
            // RSS, page size, attach, suppressions, comments: not needed here.
            _ => {}
        }
        Ok(())
    }

    /// `<hexlen> <text>` in file format 3, `<text>` before.
    fn string(&mut self, rest: &str) -> Result<(), ParseError> {
        let text = if self.file_version >= 3 {
            let (_, text) = rest.split_once(' ').unwrap_or((rest, ""));
            text
        } else {
            rest
        };
        self.strings.push(text.to_owned());
        Ok(())
    }

    /// `<ip> <module> [<fn> [<file> <line> {<fn> <file> <line>}]]`, all hex.
    fn ip(&mut self, rest: &str) -> Result<(), ParseError> {
        let words: Vec<usize> = rest
            .split_whitespace()
            .map(|w| usize::from_str_radix(w, 16))
            .collect::<Result<_, _>>()
            .map_err(|_| self.bad("an ip record with a word that is not hex"))?;
        let (&address, rest) = words
            .split_first()
            .ok_or_else(|| self.bad("an empty ip record"))?;
        let (&module, rest) = rest
            .split_first()
            .ok_or_else(|| self.bad("an ip record without a module"))?;
        let module = self.module(module)?;
        let mut frames = Vec::new();
        match rest {
            [] => {
                // No symbol: the module's code, as profview names it elsewhere.
                let name = module.map_or_else(
                    || format!("{address:#x}"),
                    |m| format!("[{}]", self.profile.module_name(m)),
                );
                frames.push(self.frame(&name, module, None, None, 0, address)?);
            }
            [function] => {
                let name = self.text(*function)?.to_owned();
                frames.push(self.frame(&name, module, None, None, 0, address)?);
            }
            [function, file, line, inlined @ ..] if inlined.len() % 3 == 0 => {
                let mut entries = vec![(*function, *file, *line)];
                entries.extend(inlined.chunks_exact(3).map(|c| (c[0], c[1], c[2])));
                // Innermost first: all but the last are inlined into the one after them.
                let last = entries.len() - 1;
                for (i, (function, file, line)) in entries.into_iter().enumerate() {
                    let name = self.text(function)?.to_owned();
                    let file = self.text(file)?.to_owned();
                    let depth = u16::from(i < last);
                    let line = u32::try_from(line).ok();
                    frames.push(self.frame(&name, module, Some(&file), line, depth, address)?);
                }
            }
            _ => return Err(self.bad("an ip record with an incomplete function entry")),
        }
        self.ips.push(Ip { frames });
        Ok(())
    }

    fn module(&mut self, index: usize) -> Result<Option<ModuleId>, ParseError> {
        if index == 0 {
            return Ok(None);
        }
        if let Some(m) = self.modules.get(&index) {
            return Ok(Some(*m));
        }
        let path = self.text(index)?.to_owned();
        let path = self.profile.intern_string(&path);
        let id = self.profile.intern_module(Module {
            path,
            build_id: None,
            address_range: None,
            relative_addresses: false,
        });
        self.modules.insert(index, id);
        Ok(Some(id))
    }

    fn text(&self, index: usize) -> Result<&str, ParseError> {
        self.strings
            .get(index)
            .map(String::as_str)
            .ok_or_else(|| self.bad(format!("string {index} is not defined yet")))
    }

    fn frame(
        &mut self,
        name: &str,
        module: Option<ModuleId>,
        file: Option<&str>,
        line: Option<u32>,
        inline_depth: u16,
        address: usize,
    ) -> Result<FrameId, ParseError> {
        // heaptrack before 1.6 leaves Rust names mangled.
        let name = crate::demangled(name);
        let name = self.profile.intern_string(&name);
        let function = self.profile.intern_function(Function { name, module });
        let file = file.map(|f| self.profile.intern_string(f));
        Ok(self.profile.intern_frame(Frame::Resolved(ResolvedFrame {
            function,
            file,
            line,
            inline_depth,
            kind: FrameKind::User,
            address: Some(CodeAddress::InstructionPointer(address as u64)),
        })))
    }

    fn numbers<const N: usize>(&self, rest: &str) -> Result<[usize; N], ParseError> {
        let mut out = [0; N];
        let mut words = rest.split_whitespace();
        for slot in &mut out {
            *slot = words
                .next()
                .and_then(|w| usize::from_str_radix(w, 16).ok())
                .ok_or_else(|| self.bad(format!("expected {N} hex numbers, got {rest:?}")))?;
        }
        Ok(out)
    }

    fn info(&self, rest: &str) -> Result<(f64, usize), ParseError> {
        let [index] = self.numbers::<1>(rest)?;
        self.infos
            .get(index)
            .copied()
            .ok_or_else(|| self.bad(format!("allocation info {index} is not defined yet")))
    }

    fn allocation(&mut self, rest: &str) -> Result<(), ParseError> {
        let [index] = self.numbers::<1>(rest)?;
        let (size, trace) = self.info(rest)?;
        let cost = &mut self.costs[trace];
        cost.allocations += 1.0;
        cost.allocated += size;
        cost.live += size;
        self.heap += size;
        self.last_allocation = index;
        if self.heap > self.peak_heap {
            self.peak_heap = self.heap;
            self.peak_pending = true;
        }
        Ok(())
    }

    /// Each site's part of the peak is what it has live at the peak.
    fn settle_peak(&mut self) {
        if std::mem::take(&mut self.peak_pending) {
            for cost in &mut self.costs {
                cost.peak = cost.live;
            }
        }
    }

    fn free(&mut self, rest: &str) -> Result<(), ParseError> {
        let [index] = self.numbers::<1>(rest)?;
        let (size, trace) = self.info(rest)?;
        self.settle_peak();
        let cost = &mut self.costs[trace];
        if self.last_allocation == index {
            cost.temporary += 1.0;
        }
        self.last_allocation = 0;
        cost.live -= size;
        self.heap -= size;
        Ok(())
    }

    fn finish(mut self) -> Result<Profile, ParseError> {
        self.settle_peak();
        let program = self
            .command
            .as_deref()
            .and_then(|c| c.split_whitespace().next())
            .map(|c| c.rsplit('/').next().unwrap_or(c).to_owned());
        let p = &mut self.profile;
        p.meta.source_format = SourceFormat::Heaptrack;
        p.meta.source_name = Some(self.name.to_owned());
        p.meta.command_line = self.command.clone();
        p.meta.stacks_recorded = Some(true);
        p.meta.heap_timeline = (!self.timeline.is_empty()).then(|| HeapTimeline {
            time_unit: "ms".to_owned(),
            points: std::mem::take(&mut self.timeline),
        });
        let process = p.add_process(None, program.as_deref());
        let thread = p.add_thread(Some(process), None, program.as_deref());
        let kinds: [(WeightKindId, CostOf); 5] = [
            (p.add_weight_kind("peak", WeightUnit::Bytes), |c| c.peak),
            (p.add_weight_kind("leaked", WeightUnit::Bytes), |c| c.live),
            (p.add_weight_kind("allocations", WeightUnit::Count), |c| {
                c.allocations
            }),
            (p.add_weight_kind("temporary", WeightUnit::Count), |c| {
                c.temporary
            }),
            (
                p.add_weight_kind("allocated-bytes", WeightUnit::Bytes),
                |c| c.allocated,
            ),
        ];
        let mut stacks: Vec<Option<StackId>> = vec![None; self.traces.len()];
        for trace in 1..self.traces.len() {
            let cost = self.costs[trace];
            if cost.allocations == 0.0 {
                continue;
            }
            let stack = self.stack(trace, &mut stacks);
            for (kind, value) in &kinds {
                let weight = value(&cost);
                if weight > 0.0 {
                    self.profile.add_sample(Sample {
                        thread,
                        time: None,
                        stack,
                        kind: *kind,
                        weight,
                    });
                }
            }
        }
        Ok(self.profile)
    }

    /// The stack of `trace`: its ip's frames under its parent's stack.
    fn stack(&mut self, trace: usize, done: &mut [Option<StackId>]) -> StackId {
        // Walk up to the nearest trace already built, then build down from there.
        let mut chain = Vec::new();
        let mut t = trace;
        while t != 0 && done[t].is_none() {
            chain.push(t);
            t = self.traces[t].1;
        }
        let mut parent = if t == 0 { None } else { done[t] };
        for &t in chain.iter().rev() {
            let ip = self.traces[t].0;
            // Outermost (the real function) first, down to the innermost inlined frame.
            for &frame in self.ips[ip].frames.iter().rev() {
                parent = Some(self.profile.intern_stack(parent, frame));
            }
            done[t] = parent;
        }
        parent.expect("a trace below the root has at least one frame")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str =
        "v 10400 3\nX ./prog\ns 5 /prog\ns 4 main\ns 6 prog.c\ns 4 make\ns 6 helper\n\
        i 10 1 2 3 9\nt 1 0\ni 20 1 4 3 3 5 3 4\nt 2 1\na 64 2\na 100 1\n\
        + 0\n- 0\n+ 1\n+ 0\n+ 0\n- 0\nc 10\n";

    #[test]
    fn events_give_heaptrack_prints_totals() {
        let p = parse_heaptrack("t", FILE).unwrap();
        let total = |name: &str| p.total_weight(p.find_weight_kind(name).unwrap());
        assert_eq!(total("allocations"), 4.0);
        // Both frees follow an allocation of their own info.
        assert_eq!(total("temporary"), 2.0);
        // Sizes are hex: info 0 is 0x64 = 100 bytes, info 1 0x100 = 256.
        assert_eq!(total("leaked"), 356.0);
        // Largest heap: 256 + 100 + 100, before the last free.
        assert_eq!(total("peak"), 456.0);
        assert_eq!(total("allocated-bytes"), 556.0);
        assert_eq!(p.meta.command_line.as_deref(), Some("./prog"));
    }

    #[test]
    fn inlined_functions_of_an_ip_are_inlined_frames() {
        let p = parse_heaptrack("t", FILE).unwrap();
        let k = p.find_weight_kind("allocations").unwrap();
        let s = p
            .samples()
            .iter()
            .find(|s| s.kind == k && s.weight == 3.0)
            .unwrap();
        let frames: Vec<(String, bool)> = p
            .stack_frames(s.stack)
            .map(|f| (p.frame_label(f), p.frame(f).is_inlined()))
            .collect();
        assert_eq!(
            frames,
            [
                ("make".to_owned(), true),
                ("helper".to_owned(), false),
                ("main".to_owned(), false)
            ]
        );
    }

    #[test]
    fn bad_files_are_errors_with_the_line() {
        let err = parse_heaptrack("t", "v 10400 3\nX ./p\nm 1 /lib/x.so 0 0\n").unwrap_err();
        assert!(err.to_string().contains("heaptrack -i"), "{err}");
        let err = parse_heaptrack("t", "v 10400 3\nX ./p\n+ 5\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = parse_heaptrack("t", "v 10400 3\nX ./p\nt 9 0\n").unwrap_err();
        assert!(err.to_string().contains("not seen yet"), "{err}");
    }
}
