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
//!
//! Files of tens of millions of events are common, so the file is streamed line by line (the
//! events are never held), and damage costs a warning, not the profile: a record that cannot be
//! read is counted and skipped, and a file cut short (the program was killed) gives what was
//! recorded before the cut.

use std::collections::HashMap;
use std::io::BufRead;

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, HeapTimeline, Module, ModuleId, Profile,
    ResolvedFrame, Sample, SourceFormat, StackId, WarningKind, WeightKindId, WeightUnit,
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
    /// The peak (see [`Reader::peak_epoch`]) whose part `peak` holds; when it is older than the
    /// latest peak, `live` has not changed since that peak and is its part.
    epoch: u32,
}

impl Cost {
    /// Before `live` changes, keep its value at the latest peak if not kept yet.
    fn keep_peak(&mut self, epoch: u32) {
        if self.epoch != epoch {
            self.peak = self.live;
            self.epoch = epoch;
        }
    }
}

/// Which part of a [`Cost`] a weight kind takes.
type CostOf = fn(&Cost) -> f64;

/// Read a heaptrack file held in memory (already decompressed).
pub fn parse_heaptrack(name: &str, text: &str) -> Result<Profile, ParseError> {
    read_heaptrack(name, text.as_bytes())
}

/// Read a heaptrack file from a stream (already decompressed); `name` is used in messages and
/// metadata. An error of the stream after the first line (a compressed file cut short) ends the
/// file with a warning.
pub fn read_heaptrack(name: &str, input: impl BufRead) -> Result<Profile, ParseError> {
    let mut reader = Reader::new(name);
    if let Err(e) = reader.read_lines(input) {
        if reader.line == 0 {
            return Err(ParseError::Io {
                name: name.to_owned(),
                source: e,
            });
        }
        let after = reader.line;
        reader.warn(WarningKind::Truncated, || {
            format!("the file ends early, after line {after}: {e}")
        });
    }
    reader.finish()
}

/// The value and length of the hex digits `bytes` start with (a value that overflows is
/// refused by its length).
fn hex_prefix(bytes: &[u8]) -> (u64, usize) {
    let mut value = 0u64;
    for (i, &b) in bytes.iter().enumerate() {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => return (value, i),
        };
        value = value << 4 | u64::from(digit);
    }
    (value, bytes.len())
}

/// Why a record was not read./// Why a record was not read.
enum Problem {
    /// The whole file cannot be read (a raw file, an unknown version).
    Fatal(String),
    /// This record is skipped.
    Damaged(String),
}

fn damaged(problem: impl Into<String>) -> Problem {
    Problem::Damaged(problem.into())
}

/// A hexadecimal number as heaptrack writes them, or `None`.
fn hex(word: &[u8]) -> Option<u64> {
    let (value, digits) = hex_prefix(word);
    (digits == word.len() && (1..=16).contains(&digits)).then_some(value)
}

/// The space-separated words of a record.
fn words(rest: &[u8]) -> impl Iterator<Item = &[u8]> {
    rest.split(|&b| b == b' ').filter(|w| !w.is_empty())
}

/// An index into one of the reader's tables (hostile values do not fit and are refused).
fn index(word: &[u8]) -> Option<usize> {
    hex(word).and_then(|v| usize::try_from(v).ok())
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
    /// The heap is at a new largest size that is not settled yet: it is settled when the heap
    /// starts to shrink (or at the end).
    peak_pending: bool,
    /// Counts the settled peaks. Each site's part of the latest one is kept when the site's
    /// live bytes next change ([`Cost::keep_peak`]), so a peak costs O(1), not O(sites).
    peak_epoch: u32,
    /// The allocation info of the last event when it was an allocation, else 0 (for
    /// `temporary`). 0 rather than "none", as heaptrack has it: a free of info 0 after
    /// another free counts as temporary there too, and the totals are heaptrack_print's.
    last_allocation: usize,
    file_version: u32,
    modules: HashMap<usize, ModuleId>,
    command: Option<String>,
    /// `(ms, heap bytes)` at each timestamp record.
    timeline: Vec<(f64, f64)>,
    /// The allocations between each timestamp record and the one before.
    allocations_per_point: Vec<f64>,
    allocations_since_point: f64,
    /// A problem that makes the whole file unreadable (reported at the end).
    fatal: Option<ParseError>,
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
            peak_epoch: 0,
            last_allocation: 0,
            file_version: 3,
            modules: HashMap::new(),
            command: None,
            timeline: Vec::new(),
            allocations_per_point: Vec::new(),
            allocations_since_point: 0.0,
            fatal: None,
        }
    }

    fn bad(&self, problem: impl Into<String>) -> ParseError {
        ParseError::Heaptrack {
            name: self.name.to_owned(),
            line: self.line,
            problem: problem.into(),
        }
    }

    /// Read every line of `input`; an error of the stream ends the file.
    fn read_lines(&mut self, mut input: impl BufRead) -> std::io::Result<()> {
        // A line split between two buffers is put together here.
        let mut partial = Vec::new();
        while self.fatal.is_none() {
            let buffer = input.fill_buf()?;
            if buffer.is_empty() {
                break;
            }
            let mut start = 0;
            if !partial.is_empty() {
                let Some(end) = memchr::memchr(b'\n', buffer) else {
                    partial.extend_from_slice(buffer);
                    let n = buffer.len();
                    input.consume(n);
                    continue;
                };
                partial.extend_from_slice(&buffer[..end]);
                self.line(&partial);
                partial.clear();
                start = end + 1;
            }
            let used = self.whole_lines(&buffer[start..]);
            partial.extend_from_slice(&buffer[start + used..]);
            let n = buffer.len();
            input.consume(n);
        }
        if !partial.is_empty() {
            // heaptrack ends every record with a newline: a last line without one was cut,
            // and its numbers may be cut too (`+ 1f` read as `+ 1`).
            let at = self.line + 1;
            self.warn(WarningKind::Truncated, || {
                format!("the file ends in the middle of line {at} (was the program killed?); the records before it are read")
            });
        }
        Ok(())
    }

    /// Read the complete lines at the start of `bytes`; returns how many bytes they take.
    fn whole_lines(&mut self, bytes: &[u8]) -> usize {
        let mut pos = 0;
        while pos < bytes.len() {
            // Nearly every line is an event, `+ <hex>` or `-  <hex>`: read those in place.
            let kind = bytes[pos];
            if (kind == b'+' || kind == b'-') && bytes.get(pos + 1) == Some(&b' ') {
                let (index, digits) = hex_prefix(&bytes[pos + 2..]);
                let end = pos + 2 + digits;
                if digits > 0 && digits <= 16 && bytes.get(end) == Some(&b'\n') {
                    self.line += 1;
                    let result = match usize::try_from(index) {
                        Ok(index) if kind == b'+' => self.allocation(index),
                        Ok(index) => self.free(index),
                        Err(_) => Err(damaged("an allocation index past any file")),
                    };
                    self.settle(result);
                    pos = end + 1;
                    continue;
                }
            }
            let Some(length) = memchr::memchr(b'\n', &bytes[pos..]) else {
                break;
            };
            self.line(&bytes[pos..pos + length]);
            pos += length + 1;
        }
        pos
    }

    fn line(&mut self, line: &[u8]) {
        self.line += 1;
        let result = self.record(line);
        self.settle(result);
    }

    /// Count a damaged record; keep the first fatal problem for the end.
    fn settle(&mut self, result: Result<(), Problem>) {
        match result {
            Ok(()) => {}
            Err(Problem::Fatal(problem)) => {
                if self.fatal.is_none() {
                    self.fatal = Some(self.bad(problem));
                }
            }
            Err(Problem::Damaged(problem)) => {
                let at = self.line;
                self.warn(WarningKind::DamagedRecord, || {
                    format!("line {at}: {problem}; the record is skipped")
                });
            }
        }
    }

    fn warn(&mut self, kind: WarningKind, message: impl FnOnce() -> String) {
        self.profile.meta.warnings.add(kind, message);
    }

    fn record(&mut self, line: &[u8]) -> Result<(), Problem> {
        let Some((&kind, rest)) = line.split_first() else {
            return Ok(());
        };
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        match kind {
            // The events first: they are nearly every line.
            b'+' => {
                let [index] = self.numbers::<1>(rest)?;
                self.allocation(index)
            }
            b'-' => {
                let [index] = self.numbers::<1>(rest)?;
                self.free(index)
            }
            b'c' => {
                let [ms] = self.numbers::<1>(rest)?;
                self.timeline.push((ms as f64, self.heap));
                self.allocations_per_point
                    .push(std::mem::take(&mut self.allocations_since_point));
                Ok(())
            }
            b'v' => self.version(rest),
            b'X' => {
                self.command = Some(String::from_utf8_lossy(rest).into_owned());
                Ok(())
            }
            b's' => {
                self.string(rest);
                Ok(())
            }
            b'i' => self.ip(rest),
            b't' => {
                let [ip, parent] = self.numbers::<2>(rest)?;
                if ip >= self.ips.len() || parent >= self.traces.len() {
                    return Err(damaged("a trace names an ip or a parent not seen yet"));
                }
                self.traces.push((ip, parent));
                self.costs.push(Cost::default());
                Ok(())
            }
            b'a' => {
                let [size, trace] = self.numbers::<2>(rest)?;
                if trace >= self.traces.len() {
                    return Err(damaged("an allocation info names a trace not seen yet"));
                }
                self.infos.push((size as f64, trace));
                Ok(())
            }
            // Raw (uninterpreted) files have modules and pointers instead of `i`/`a`.
            b'm' | b'x' => Err(Problem::Fatal(
                "a raw heaptrack file: interpret it first with `heaptrack -i FILE`".to_owned(),
            )),
            // RSS, page size, attach, suppressions, comments: not needed here.
            _ => Ok(()),
        }
    }

    fn version(&mut self, rest: &[u8]) -> Result<(), Problem> {
        let version = words(rest).nth(1).and_then(hex);
        self.file_version = version.and_then(|v| u32::try_from(v).ok()).unwrap_or(1);
        if !(2..=3).contains(&self.file_version) {
            return Err(Problem::Fatal(format!(
                "file format version {} (this reader knows 2 and 3: heaptrack 1.1 and later)",
                self.file_version
            )));
        }
        Ok(())
    }

    /// `<hexlen> <text>` in file format 3, `<text>` before.
    fn string(&mut self, rest: &[u8]) {
        let text = if self.file_version >= 3 {
            rest.iter()
                .position(|&b| b == b' ')
                .map_or(&[][..], |space| &rest[space + 1..])
        } else {
            rest
        };
        self.strings
            .push(String::from_utf8_lossy(text).into_owned());
    }

    /// `<ip> <module> [<fn> [<file> <line> {<fn> <file> <line>}]]`, all hex.
    fn ip(&mut self, rest: &[u8]) -> Result<(), Problem> {
        let words: Vec<usize> = words(rest)
            .map(index)
            .collect::<Option<_>>()
            .ok_or_else(|| damaged("an ip record with a word that is not hex"))?;
        let (&address, rest) = words
            .split_first()
            .ok_or_else(|| damaged("an empty ip record"))?;
        let (&module, rest) = rest
            .split_first()
            .ok_or_else(|| damaged("an ip record without a module"))?;
        let module = self.module(module)?;
        let mut frames = Vec::new();
        match rest {
            [] => {
                // No symbol: the module's code, as profview names it elsewhere.
                let name = module.map_or_else(
                    || format!("{address:#x}"),
                    |m| format!("[{}]", self.profile.module_name(m)),
                );
                frames.push(self.frame(&name, module, None, None, 0, address));
            }
            [function] => {
                let name = self.text(*function)?.to_owned();
                frames.push(self.frame(&name, module, None, None, 0, address));
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
                    frames.push(self.frame(&name, module, Some(&file), line, depth, address));
                }
            }
            _ => return Err(damaged("an ip record with an incomplete function entry")),
        }
        self.ips.push(Ip { frames });
        Ok(())
    }

    fn module(&mut self, index: usize) -> Result<Option<ModuleId>, Problem> {
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

    fn text(&self, index: usize) -> Result<&str, Problem> {
        self.strings
            .get(index)
            .map(String::as_str)
            .ok_or_else(|| damaged(format!("string {index} is not defined yet")))
    }

    fn frame(
        &mut self,
        name: &str,
        module: Option<ModuleId>,
        file: Option<&str>,
        line: Option<u32>,
        inline_depth: u16,
        address: usize,
    ) -> FrameId {
        // heaptrack before 1.6 leaves Rust names mangled.
        let name = crate::names::demangled(name);
        let name = self.profile.intern_string(&name);
        let function = self.profile.intern_function(Function { name, module });
        let file = file.map(|f| self.profile.intern_string(f));
        self.profile.intern_frame(Frame::Resolved(ResolvedFrame {
            function,
            file,
            line,
            inline_depth,
            kind: FrameKind::User,
            address: Some(CodeAddress::InstructionPointer(address as u64)),
        }))
    }

    fn numbers<const N: usize>(&self, rest: &[u8]) -> Result<[usize; N], Problem> {
        let mut out = [0; N];
        let mut words = words(rest);
        for slot in &mut out {
            *slot = words.next().and_then(index).ok_or_else(|| {
                damaged(format!(
                    "expected {N} hex numbers, got {:?}",
                    String::from_utf8_lossy(rest)
                ))
            })?;
        }
        Ok(out)
    }

    /// The allocation info an event names: `(size, trace)`.
    fn info(&self, index: usize) -> Result<(f64, usize), Problem> {
        self.infos
            .get(index)
            .copied()
            .ok_or_else(|| damaged(format!("allocation info {index} is not defined yet")))
    }

    fn allocation(&mut self, index: usize) -> Result<(), Problem> {
        let (size, trace) = self.info(index)?;
        let cost = &mut self.costs[trace];
        cost.keep_peak(self.peak_epoch);
        cost.allocations += 1.0;
        cost.allocated += size;
        cost.live += size;
        self.heap += size;
        self.allocations_since_point += 1.0;
        self.last_allocation = index;
        if self.heap > self.peak_heap {
            self.peak_heap = self.heap;
            self.peak_pending = true;
        }
        Ok(())
    }

    /// The heap was largest just before it starts to shrink: that is a peak, and each site's
    /// part of it is what the site has live now.
    fn settle_peak(&mut self) {
        if std::mem::take(&mut self.peak_pending) {
            self.peak_epoch += 1;
        }
    }

    fn free(&mut self, index: usize) -> Result<(), Problem> {
        let (size, trace) = self.info(index)?;
        self.settle_peak();
        let cost = &mut self.costs[trace];
        cost.keep_peak(self.peak_epoch);
        if self.last_allocation == index {
            cost.temporary += 1.0;
        }
        self.last_allocation = 0;
        cost.live -= size;
        self.heap -= size;
        Ok(())
    }

    fn finish(mut self) -> Result<Profile, ParseError> {
        if let Some(fatal) = self.fatal.take() {
            return Err(fatal);
        }
        self.settle_peak();
        for cost in &mut self.costs {
            cost.keep_peak(self.peak_epoch);
        }
        if self.infos.is_empty() {
            if let Some(w) = self.profile.meta.warnings.iter().next() {
                // Nothing was read but damage: say what, not "no samples".
                return Err(self.bad(format!("no allocation could be read ({})", w.message)));
            }
        }
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
            allocations: std::mem::take(&mut self.allocations_per_point),
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
            let Some(stack) = self.stack(trace, &mut stacks) else {
                continue;
            };
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

    /// The stack of `trace`: its ip's frames under its parent's stack; `None` if no trace on
    /// the way has a frame (only ip 0, which a damaged file can name).
    fn stack(&mut self, trace: usize, done: &mut [Option<StackId>]) -> Option<StackId> {
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
        parent
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

    fn allocations(p: &Profile) -> f64 {
        p.total_weight(p.find_weight_kind("allocations").unwrap())
    }

    #[test]
    fn a_file_cut_anywhere_gives_the_records_before_the_cut() {
        let events_start = FILE.find("+ 0").unwrap();
        for cut in events_start..FILE.len() {
            let text = &FILE[..cut];
            let p = parse_heaptrack("cut", text).unwrap();
            let whole_lines = &text[..text.rfind('\n').map_or(0, |n| n + 1)];
            let expected = whole_lines.lines().filter(|l| l.starts_with('+')).count();
            assert_eq!(allocations(&p), expected as f64, "cut at {cut}");
            let cut_in_a_line = !text.ends_with('\n');
            assert_eq!(
                p.meta.warnings.count(WarningKind::Truncated),
                u64::from(cut_in_a_line),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn hostile_numbers_cost_a_warning_each() {
        let text = "v 10400 3\nX ./p\ns 2 /p\ni 10 1\nt 1 0\na 10 1\n\
            i ffffffffffffffffffff 1\nt 1 ffffffffffffffff\na 10 7fffffffffffffff\n\
            + 0\n+ ffffffffffffffff\n+ 5\n- 0\n- 0\nc zz\ni 1 1 99999 88888 77777\n";
        let p = parse_heaptrack("hostile", text).unwrap();
        assert_eq!(allocations(&p), 1.0);
        let damaged = p.meta.warnings.count(WarningKind::DamagedRecord);
        assert_eq!(damaged, 7, "{:?}", p.meta.warnings);
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
