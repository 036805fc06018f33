//! The profile: tables of strings, modules, functions, frames, stacks, threads and samples.

use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::intern::Interner;
use crate::stack_table::{StackNode, StackTable};
use crate::{
    Frame, FrameId, FrameKind, Function, FunctionId, Metadata, Module, ModuleId, ProcessId,
    StackId, StringId, StringTable, ThreadId, WeightKindId,
};

/// A process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Process {
    /// OS process id, when known.
    pub pid: Option<u32>,
    /// Command name.
    pub name: Option<StringId>,
}

/// A thread of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thread {
    /// The process it belongs to, when known.
    pub process: Option<ProcessId>,
    /// OS thread id, when known.
    pub tid: Option<u32>,
    /// Thread name (comm).
    pub name: Option<StringId>,
}

/// The weight kind that holds off-CPU (blocked) time, in nanoseconds, per stack the thread
/// was switched out at; readers derive it from scheduler events such as `sched:sched_switch`.
pub const OFF_CPU_EVENT: &str = "off-cpu";

/// What a weight counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WeightUnit {
    /// Number of samples (folded stack counts, samply sample counts).
    Samples,
    /// Time in nanoseconds (perf's period for `cpu-clock` / `task-clock`, off-CPU time).
    Nanoseconds,
    /// Hardware or software event counts (perf's period for `cycles`, `instructions`, ...).
    Events,
    /// Bytes (allocation profiles).
    Bytes,
    /// perf sample periods summed by a tool that did not keep the event (inferno's folded
    /// output): nanoseconds for `cpu-clock`, events for `cycles`, which is not known.
    Period,
    /// A number of things counted exactly, not sampled (heap allocations).
    Count,
}

impl WeightUnit {
    /// The name used in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Samples => "samples",
            Self::Nanoseconds => "nanoseconds",
            Self::Events => "events",
            Self::Bytes => "bytes",
            Self::Period => "period",
            Self::Count => "count",
        }
    }

    /// Whether the weights measure memory (bytes, allocation counts) rather than time or
    /// events: heap profiles, whose sites are exact totals, not samples.
    pub fn is_memory(self) -> bool {
        matches!(self, Self::Bytes | Self::Count)
    }
}

/// One kind of weight in a profile: a perf event, or the sample count of a folded file.
#[derive(Debug, Clone, PartialEq)]
pub struct WeightKind {
    /// Event or weight name (`cpu-clock:pppH`, `samples`).
    pub name: StringId,
    /// What the numbers count.
    pub unit: WeightUnit,
    /// The weight of every sample, when it is constant (perf's `-c PERIOD`, or a folded file
    /// whose counts are all multiples of one period). Lets a sample count be derived from
    /// summed weights.
    pub period: Option<f64>,
}

/// One sample: a stack seen on a thread, with a weight of one kind.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// The thread the sample was taken on.
    pub thread: ThreadId,
    /// Timestamp in nanoseconds, when the format has one.
    pub time: Option<u64>,
    /// The sampled call stack.
    pub stack: StackId,
    /// Which weight kind `weight` is in.
    pub kind: WeightKindId,
    /// The sample's weight (1 per sample, a period, a byte count...).
    pub weight: f64,
}

/// Samples as columns: a few bytes per sample, no allocation per sample.
///
/// A table can also *sum* samples ([`SampleTable::aggregate`]): samples with the same thread,
/// stack and weight kind then share one row whose weight is their sum and whose
/// [`count`](SampleTable::count) says how many they were. Their timestamps are dropped (the
/// first and last are kept, [`SampleTable::time_bounds`]), so memory follows the number of
/// distinct stacks instead of the length of the recording.
#[derive(Debug, Clone, Default)]
pub struct SampleTable {
    thread: Vec<ThreadId>,
    time: Vec<u64>,
    stack: Vec<StackId>,
    kind: Vec<WeightKindId>,
    weight: Vec<f64>,
    /// Samples summed into each row; empty unless aggregating.
    count: Vec<u32>,
    /// The row of each (thread, stack, kind); `Some` while aggregating.
    rows: Option<RowIndex>,
    time_bounds: Option<(u64, u64)>,
}

/// Where each (thread, stack, kind) row of an aggregated table is. Most stacks have one row
/// (one thread, one kind): a stack's first row is found by indexing with the stack's id, and
/// only its other rows are hashed, per thread. A recording of many distinct stacks (deep
/// recursion) then adds most samples without a hash probe; one of thousands of short
/// processes running the same program (whose stacks are the same, so each process's rows are
/// "other" rows) hashes into a small table of its own thread, which stays in cache and is
/// cheap to grow, instead of one table of every process's rows.
#[derive(Debug, Clone, Default)]
struct RowIndex {
    /// Each stack's first row, by stack index; [`NO_ROW`] for none yet.
    first: Vec<u32>,
    /// The rows that are not their stack's first, by thread index, then by (stack, kind)
    /// packed in one word.
    others: Vec<FxHashMap<u64, u32>>,
}

impl RowIndex {
    /// The row of `(thread, stack, kind)` if it has one but is not its stack's first, else
    /// `next` (which the caller then adds).
    fn other_row(&mut self, s: &Sample, next: u32) -> u32 {
        let thread = s.thread.index();
        if self.others.len() <= thread {
            self.others.resize_with(thread + 1, FxHashMap::default);
        }
        let key = (s.stack.index() as u64) << 32 | s.kind.index() as u64;
        *self.others[thread].entry(key).or_insert(next)
    }
}

const NO_ROW: u32 = u32::MAX;

/// `time` column value for "no timestamp".
const NO_TIME: u64 = u64::MAX;

impl SampleTable {
    /// Add one sample: what [`Profile::add_sample`] does, for a table filled apart from its
    /// profile ([`Profile::take_samples`]).
    pub fn add_sample(&mut self, sample: Sample) {
        self.push(sample);
    }

    fn push(&mut self, s: Sample) {
        if let Some(t) = s.time {
            self.time_bounds = Some(match self.time_bounds {
                None => (t, t),
                Some((lo, hi)) => (lo.min(t), hi.max(t)),
            });
        }
        self.add(s, 1);
    }

    /// Add `count` samples summed into `s`: a new row, or onto the row of its key.
    fn add(&mut self, s: Sample, count: u32) {
        let Some(rows) = &mut self.rows else {
            self.push_row(s);
            return;
        };
        let next = u32::try_from(self.stack.len()).expect("more than u32::MAX sample rows");
        let stack = s.stack.index();
        if rows.first.len() <= stack {
            rows.first
                .resize((stack + 1).max(rows.first.len() * 2), NO_ROW);
        }
        let first = rows.first[stack];
        let row = if first == NO_ROW {
            rows.first[stack] = next;
            next
        } else if self.thread[first as usize] == s.thread && self.kind[first as usize] == s.kind {
            first
        } else {
            rows.other_row(&s, next)
        };
        if row == next {
            self.push_row(Sample { time: None, ..s });
            self.count.push(count);
        } else {
            let row = row as usize;
            self.weight[row] += s.weight;
            self.count[row] = self.count[row].saturating_add(count);
        }
    }

    fn push_row(&mut self, s: Sample) {
        self.thread.push(s.thread);
        if self.rows.is_none() {
            self.time.push(s.time.unwrap_or(NO_TIME));
        }
        self.stack.push(s.stack);
        self.kind.push(s.kind);
        self.weight.push(s.weight);
    }

    /// Sum samples with the same thread, stack and kind into one row from now on, merging
    /// the rows already here; timestamps are dropped.
    pub fn aggregate(&mut self) {
        if self.rows.is_some() {
            return;
        }
        self.merge_rows();
    }

    /// True if this table sums samples into rows ([`SampleTable::aggregate`]).
    pub fn is_aggregated(&self) -> bool {
        self.rows.is_some()
    }

    /// Rebuild the rows, summing those that share a key (after stacks were renumbered, two
    /// rows can land on one stack).
    fn merge_rows(&mut self) {
        let old = std::mem::take(self);
        // At most as many rows as before: sized once instead of grown by rehashing.
        let rows = old.len();
        self.rows = Some(RowIndex::default());
        self.thread.reserve(rows);
        self.stack.reserve(rows);
        self.kind.reserve(rows);
        self.weight.reserve(rows);
        self.count.reserve(rows);
        self.time_bounds = old.time_bounds;
        for i in 0..old.len() {
            self.add(old.get(i), old.count(i));
        }
    }

    /// Number of rows: samples, or summed rows when aggregating.
    pub fn len(&self) -> usize {
        self.stack.len()
    }

    /// True if there are no samples.
    pub fn is_empty(&self) -> bool {
        self.stack.is_empty()
    }

    /// Sample `i` (a row's summed weight when aggregating, with no timestamp).
    pub fn get(&self, i: usize) -> Sample {
        let time = self.time.get(i).copied().unwrap_or(NO_TIME);
        Sample {
            thread: self.thread[i],
            time: (time != NO_TIME).then_some(time),
            stack: self.stack[i],
            kind: self.kind[i],
            weight: self.weight[i],
        }
    }

    /// How many samples row `i` stands for: 1 unless aggregating.
    pub fn count(&self, i: usize) -> u32 {
        self.count.get(i).copied().unwrap_or(1)
    }

    /// The first and last sample timestamp, if any sample had one.
    pub fn time_bounds(&self) -> Option<(u64, u64)> {
        self.time_bounds
    }

    /// All samples in recording order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Sample> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The stack column.
    pub fn stacks(&self) -> &[StackId] {
        &self.stack
    }

    /// The weight column.
    pub fn weights(&self) -> &[f64] {
        &self.weight
    }

    /// The weight-kind column.
    pub fn kinds(&self) -> &[WeightKindId] {
        &self.kind
    }

    /// The thread column.
    pub fn threads(&self) -> &[ThreadId] {
        &self.thread
    }
}

/// A whole profile.
///
/// Build one by interning strings, functions, frames and stacks and adding samples; the
/// parsers do this, and tests can too. Everything is referenced by `u32` ids; no string is
/// stored per frame or per sample.
///
/// ```
/// use profview_model::*;
///
/// let mut p = Profile::new();
/// let kind = p.add_weight_kind("samples", WeightUnit::Samples);
/// let thread = p.add_thread(None, None, Some("main"));
/// let main = p.resolved_frame("main", None, FrameKind::User);
/// let work = p.resolved_frame("work", None, FrameKind::User);
/// let stack = p.intern_stack_path(&[main, work]);
/// p.add_sample(Sample { thread, time: None, stack, kind, weight: 3.0 });
/// assert_eq!(p.total_weight(kind), 3.0);
/// assert_eq!(p.frame_label(p.stack(stack).frame), "work");
/// ```
#[derive(Debug, Clone, Default)]
pub struct Profile {
    /// Facts about the recording and the warnings met while reading it.
    pub meta: Metadata,
    strings: StringTable,
    modules: Interner<Module>,
    functions: Interner<Function>,
    frames: Interner<Frame>,
    stacks: StackTable,
    processes: Vec<Process>,
    threads: Vec<Thread>,
    weight_kinds: Vec<WeightKind>,
    samples: SampleTable,
}

impl Profile {
    /// An empty profile.
    pub fn new() -> Self {
        Self::default()
    }

    // ---- strings -------------------------------------------------------------------------

    /// Intern a string.
    pub fn intern_string(&mut self, s: &str) -> StringId {
        self.strings.intern(s)
    }

    /// The string table.
    pub fn strings(&self) -> &StringTable {
        &self.strings
    }

    /// The string behind `id`.
    pub fn string(&self, id: StringId) -> &str {
        self.strings.get(id)
    }

    // ---- modules, functions, frames --------------------------------------------------------

    /// Intern a module (same path and build-id give the same id).
    pub fn intern_module(&mut self, module: Module) -> ModuleId {
        ModuleId::from_index(self.modules.intern(module))
    }

    /// Module `id`.
    pub fn module(&self, id: ModuleId) -> &Module {
        &self.modules.values()[id.index()]
    }

    /// All modules.
    pub fn modules(&self) -> &[Module] {
        self.modules.values()
    }

    /// The file name of a module's path (`libc.so.6` for `/usr/lib/.../libc.so.6`).
    pub fn module_name(&self, id: ModuleId) -> &str {
        let path = self.string(self.module(id).path);
        path.rsplit('/').next().unwrap_or(path)
    }

    /// Intern a function.
    pub fn intern_function(&mut self, function: Function) -> FunctionId {
        FunctionId::from_index(self.functions.intern(function))
    }

    /// Function `id`.
    pub fn function(&self, id: FunctionId) -> &Function {
        &self.functions.values()[id.index()]
    }

    /// All functions.
    pub fn functions(&self) -> &[Function] {
        self.functions.values()
    }

    /// Intern a frame.
    pub fn intern_frame(&mut self, frame: Frame) -> FrameId {
        FrameId::from_index(self.frames.intern(frame))
    }

    /// Frame `id`.
    pub fn frame(&self, id: FrameId) -> &Frame {
        &self.frames.values()[id.index()]
    }

    /// All frames.
    pub fn frames(&self) -> &[Frame] {
        self.frames.values()
    }

    /// Shorthand: intern a resolved, non-inlined frame of function `name`.
    pub fn resolved_frame(
        &mut self,
        name: &str,
        module: Option<ModuleId>,
        kind: FrameKind,
    ) -> FrameId {
        let name = self.intern_string(name);
        let function = self.intern_function(Function { name, module });
        self.intern_frame(Frame::Resolved(crate::ResolvedFrame {
            function,
            file: None,
            line: None,
            inline_depth: 0,
            kind,
            address: None,
        }))
    }

    /// The display name of a frame: the function name; when unresolved, `module+0xaddr`, or
    /// `[module]` (`[unknown]` outside every module) once symbolization found no name for it
    /// ([`Metadata::symbolized`]).
    pub fn frame_label(&self, id: FrameId) -> String {
        match self.frame(id) {
            Frame::Resolved(f) => self.string(self.function(f.function).name).to_owned(),
            Frame::Unresolved(f) => match f.module {
                Some(m) if self.meta.symbolized => {
                    let module = self.module_name(m);
                    if module.starts_with('[') {
                        module.to_owned()
                    } else {
                        format!("[{module}]")
                    }
                }
                Some(m) => format!("{}+{:#x}", self.module_name(m), f.address.raw()),
                // Outside every mapping: a damaged stack or JIT code, named as perf does.
                None if self.meta.symbolized => "[unknown]".to_owned(),
                None => format!("{:#x}", f.address.raw()),
            },
        }
    }

    /// The module of a frame, when known.
    pub fn frame_module(&self, id: FrameId) -> Option<ModuleId> {
        match self.frame(id) {
            Frame::Resolved(f) => self.function(f.function).module,
            Frame::Unresolved(f) => f.module,
        }
    }

    // ---- stacks ------------------------------------------------------------------------------

    /// Intern the stack `frame` called from `parent`.
    pub fn intern_stack(&mut self, parent: Option<StackId>, frame: FrameId) -> StackId {
        StackId::from_index(self.stacks.intern(StackNode { parent, frame }))
    }

    /// Intern a whole stack given root first, leaf last.
    ///
    /// # Panics
    /// If `frames` is empty: a sample always has at least one frame.
    pub fn intern_stack_path(&mut self, frames: &[FrameId]) -> StackId {
        let mut parent = None;
        for &frame in frames {
            parent = Some(self.intern_stack(parent, frame));
        }
        parent.expect("a stack needs at least one frame")
    }

    /// The stack `frame` called from `parent`, if it exists.
    pub fn find_stack(&self, parent: Option<StackId>, frame: FrameId) -> Option<StackId> {
        self.stacks
            .get(&StackNode { parent, frame })
            .map(StackId::from_index)
    }

    /// Stack node `id`.
    pub fn stack(&self, id: StackId) -> StackNode {
        self.stacks.values()[id.index()]
    }

    /// All stack nodes. A node's parent always has a smaller index (parents are interned
    /// first), so one forward pass visits callers before callees.
    pub fn stacks(&self) -> &[StackNode] {
        self.stacks.values()
    }

    /// The frames of a stack, leaf first.
    pub fn stack_frames(&self, id: StackId) -> impl Iterator<Item = FrameId> + '_ {
        let mut next = Some(id);
        std::iter::from_fn(move || {
            let node = self.stack(next?);
            next = node.parent;
            Some(node.frame)
        })
    }

    /// The stack whose leaf is the function that physically holds `id`'s sampled instruction:
    /// `id` itself, or its nearest caller that is not an inlined frame. This is where perf
    /// report's Symbol column puts a sample; the inlined frames below it are code the
    /// compiler copied into that function. A stack made only of inlined frames (folded input
    /// marks inlining without saying where) is its own answer.
    pub fn physical_stack(&self, id: StackId) -> StackId {
        let mut at = id;
        loop {
            let node = self.stack(at);
            match node.parent {
                Some(parent) if self.frame(node.frame).is_inlined() => at = parent,
                _ if self.frame(node.frame).is_inlined() => return id,
                _ => return at,
            }
        }
    }

    /// Drop every inlined frame from every stack: what a profile read without inline
    /// expansion would hold. Samples move to the stack of the function that holds them.
    pub fn drop_inlined_frames(&mut self) {
        let replacement: Vec<Option<Vec<FrameId>>> = self
            .frames
            .values()
            .iter()
            .map(|f| f.is_inlined().then(Vec::new))
            .collect();
        if replacement.iter().any(Option::is_some) {
            self.expand_frames(&replacement);
        }
    }

    /// Replace frames by sequences of frames and rebuild the stack tree.
    ///
    /// `replacement[frame.index()]` is `None` to keep a frame (as are frames past the end of
    /// the table), or the frames that stand for it, caller first (one resolved frame per inline
    /// level, say). An empty list drops the frame; a root frame is kept rather than leave a
    /// stack empty. Samples are moved to the new stacks.
    pub fn expand_frames(&mut self, replacement: &[Option<Vec<FrameId>>]) {
        if let Some(renamed) = self.one_for_one(replacement) {
            // Symbolizing without inlined frames names each address once: the tree keeps its
            // shape and every id, and the samples their stacks.
            self.stacks.rename_frames(|f| renamed[f.index()]);
            return;
        }
        // Only the old nodes are read: their lookup structures go at once, and the nodes and
        // the renumbering as soon as they are used, so that the old and the new tree are not
        // all held at the same time (this is the peak of a large profile's memory).
        let old = std::mem::take(&mut self.stacks).into_nodes();
        // At least as many nodes as before (more with inlined levels): sized once rather than
        // grown by rehashing millions of nodes.
        self.stacks.reserve(old.len());
        let mut new_of_old: Vec<StackId> = Vec::with_capacity(old.len());
        for (i, node) in old.iter().enumerate() {
            self.prefetch_rebuild(&old, &new_of_old, i);
            let mut parent = node.parent.map(|p| new_of_old[p.index()]);
            match replacement.get(node.frame.index()).and_then(Option::as_ref) {
                Some(frames) if !frames.is_empty() || parent.is_some() => {
                    for &frame in frames {
                        parent = Some(self.intern_stack(parent, frame));
                    }
                }
                _ => parent = Some(self.intern_stack(parent, node.frame)),
            }
            new_of_old.push(parent.expect("set above"));
        }
        drop(old);
        for stack in &mut self.samples.stack {
            *stack = new_of_old[stack.index()];
        }
        drop(new_of_old);
        if self.samples.is_aggregated() {
            self.samples.merge_rows();
        }
    }

    /// While [`Profile::expand_frames`] rebuilds old node `i`: ask for what nodes a little
    /// further will read, so that their cache misses overlap instead of following one
    /// another: the new id of a later node's parent, and, for a nearer one whose parent's
    /// new id has come in by now, what interning under it reads first. (The rebuild reads
    /// the old nodes in order, but their parents, and so where they go, are anywhere in a
    /// tree of millions of nodes.)
    fn prefetch_rebuild(&self, old: &[StackNode], new_of_old: &[StackId], i: usize) {
        const NEAR: usize = 8;
        let parent_at = |ahead: usize| old.get(i + ahead).and_then(|n| n.parent);
        if let Some(new) = parent_at(2 * NEAR).and_then(|p| new_of_old.get(p.index())) {
            crate::prefetch(new);
        }
        if let Some(&new) = parent_at(NEAR).and_then(|p| new_of_old.get(p.index())) {
            self.stacks.prefetch_children(new.index());
        }
    }

    /// The frame each frame becomes under `replacement`, by frame index, when that changes
    /// no stack's shape: every frame the stacks use is replaced by exactly one frame (or
    /// kept), and no two of them by the same one (then no two children of a node merge, and
    /// a rebuild would give every node its old id). `None` otherwise.
    fn one_for_one(&self, replacement: &[Option<Vec<FrameId>>]) -> Option<Vec<FrameId>> {
        let frames = self.frames.values().len();
        let mut used = vec![false; frames];
        for node in self.stacks.values() {
            *used.get_mut(node.frame.index())? = true;
        }
        let mut renamed = Vec::with_capacity(frames);
        let mut taken = vec![false; frames];
        for (i, &used) in used.iter().enumerate() {
            let new = match replacement.get(i).and_then(Option::as_ref) {
                None => FrameId::from_index(i),
                Some(list) => match list[..] {
                    [one] => one,
                    _ if !used => FrameId::from_index(i),
                    _ => return None,
                },
            };
            if used {
                let slot = taken.get_mut(new.index())?;
                if std::mem::replace(slot, true) {
                    return None;
                }
            }
            renamed.push(new);
        }
        Some(renamed)
    }

    // ---- processes, threads ------------------------------------------------------------------

    /// Add a process.
    pub fn add_process(&mut self, pid: Option<u32>, name: Option<&str>) -> ProcessId {
        let name = name.map(|n| self.intern_string(n));
        self.processes.push(Process { pid, name });
        ProcessId::from_index(self.processes.len() - 1)
    }

    /// Add a thread.
    pub fn add_thread(
        &mut self,
        process: Option<ProcessId>,
        tid: Option<u32>,
        name: Option<&str>,
    ) -> ThreadId {
        let name = name.map(|n| self.intern_string(n));
        self.threads.push(Thread { process, tid, name });
        ThreadId::from_index(self.threads.len() - 1)
    }

    /// Process `id`.
    pub fn process(&self, id: ProcessId) -> &Process {
        &self.processes[id.index()]
    }

    /// Mutable access to process `id` (processes get their name from COMM records).
    pub fn process_mut(&mut self, id: ProcessId) -> &mut Process {
        &mut self.processes[id.index()]
    }

    /// All processes.
    pub fn processes(&self) -> &[Process] {
        &self.processes
    }

    /// Thread `id`.
    pub fn thread(&self, id: ThreadId) -> &Thread {
        &self.threads[id.index()]
    }

    /// Mutable access to thread `id` (threads get renamed by `exec` and `prctl`).
    pub fn thread_mut(&mut self, id: ThreadId) -> &mut Thread {
        &mut self.threads[id.index()]
    }

    /// All threads.
    pub fn threads(&self) -> &[Thread] {
        &self.threads
    }

    // ---- weights and samples ---------------------------------------------------------------

    /// Add a weight kind (an event, or the sample count of a folded file).
    pub fn add_weight_kind(&mut self, name: &str, unit: WeightUnit) -> WeightKindId {
        let name = self.intern_string(name);
        self.weight_kinds.push(WeightKind {
            name,
            unit,
            period: None,
        });
        WeightKindId::from_index(self.weight_kinds.len() - 1)
    }

    /// All weight kinds.
    pub fn weight_kinds(&self) -> &[WeightKind] {
        &self.weight_kinds
    }

    /// Weight kind `id`.
    pub fn weight_kind(&self, id: WeightKindId) -> &WeightKind {
        &self.weight_kinds[id.index()]
    }

    /// Mutable access to weight kind `id` (readers learn the period after the fact).
    pub fn weight_kind_mut(&mut self, id: WeightKindId) -> &mut WeightKind {
        &mut self.weight_kinds[id.index()]
    }

    /// The weight kind named `name`: an exact match, or else the only one whose name starts
    /// with `name` followed by `:` (perf's `cpu-clock:pppH` matches `cpu-clock`).
    pub fn find_weight_kind(&self, name: &str) -> Option<WeightKindId> {
        let names = || {
            self.weight_kinds
                .iter()
                .enumerate()
                .map(|(i, k)| (WeightKindId::from_index(i), self.string(k.name)))
        };
        if let Some((id, _)) = names().find(|(_, n)| *n == name) {
            return Some(id);
        }
        let mut prefixed = names().filter(|(_, n)| {
            n.strip_prefix(name)
                .is_some_and(|rest| rest.starts_with(':'))
        });
        match (prefixed.next(), prefixed.next()) {
            (Some((id, _)), None) => Some(id),
            _ => None,
        }
    }

    /// Add a sample.
    pub fn add_sample(&mut self, sample: Sample) {
        self.samples.push(sample);
    }

    /// Move the sample table out, leaving an empty one: a reader can fill it on a thread of
    /// its own while it interns stacks, then give it back with [`Profile::put_samples`].
    pub fn take_samples(&mut self) -> SampleTable {
        std::mem::take(&mut self.samples)
    }

    /// Put back a table [`Profile::take_samples`] took, with the samples added since.
    pub fn put_samples(&mut self, samples: SampleTable) {
        self.samples = samples;
    }

    /// Sum samples with the same thread, stack and weight kind from now on (and those already
    /// added), dropping their timestamps: for analyses that need no sample times, memory then
    /// follows the number of distinct stacks, not the number of samples.
    pub fn aggregate_samples(&mut self) {
        self.samples.aggregate();
    }

    /// The samples.
    pub fn samples(&self) -> &SampleTable {
        &self.samples
    }

    /// Sum of the weights of kind `kind`.
    pub fn total_weight(&self, kind: WeightKindId) -> f64 {
        self.samples
            .kinds()
            .iter()
            .zip(self.samples.weights())
            .filter(|(k, _)| **k == kind)
            .map(|(_, w)| *w)
            .sum()
    }

    /// The weights of kind `kind` summed per stack, indexed by [`StackId::index`].
    pub fn weights_per_stack(&self, kind: WeightKindId) -> Vec<f64> {
        let mut sums = crate::filled(self.stacks.values().len(), 0.0);
        let s = &self.samples;
        for ((stack, k), w) in s.stack.iter().zip(&s.kind).zip(&s.weight) {
            if *k == kind {
                sums[stack.index()] += *w;
            }
        }
        sums
    }

    /// Number of samples of kind `kind`. For a kind measured in samples this is the summed
    /// weight (a folded line `a;b 7` is 7 samples); for a kind with a constant period, the
    /// summed weight over the period; otherwise the number of sample records.
    pub fn sample_count(&self, kind: WeightKindId) -> u64 {
        let k = self.weight_kind(kind);
        // Counts can be fractional in folded files; a sample count is whole.
        if k.unit == WeightUnit::Samples {
            return self.total_weight(kind).round() as u64;
        }
        if let Some(period) = k.period.filter(|p| *p > 0.0) {
            return (self.total_weight(kind) / period).round() as u64;
        }
        let kinds = self.samples.kinds().iter().enumerate();
        kinds
            .filter(|(_, k)| **k == kind)
            .map(|(i, _)| u64::from(self.samples.count(i)))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A profile with two threads, three stacks and two kinds; samples at times 10, 20, ...
    fn sampled(aggregate: bool) -> (Profile, [StackId; 3], WeightKindId) {
        let mut p = Profile::new();
        if aggregate {
            p.aggregate_samples();
        }
        let cycles = p.add_weight_kind("cycles", WeightUnit::Events);
        let clock = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
        let t1 = p.add_thread(None, Some(1), None);
        let t2 = p.add_thread(None, Some(2), None);
        let [a, b, c] = ["a", "b", "c"].map(|n| p.resolved_frame(n, None, FrameKind::User));
        let stacks = [
            p.intern_stack_path(&[a, b]),
            p.intern_stack_path(&[a, c]),
            p.intern_stack_path(&[a]),
        ];
        let plan = [
            (t1, 0, cycles, 1.0),
            (t1, 0, cycles, 2.0),
            (t2, 0, cycles, 4.0),
            (t1, 1, clock, 8.0),
            (t1, 0, cycles, 16.0),
            (t1, 1, cycles, 32.0),
            (t2, 2, cycles, 64.0),
        ];
        for (i, (thread, stack, kind, weight)) in plan.into_iter().enumerate() {
            p.add_sample(Sample {
                thread,
                time: Some(10 * (i as u64 + 1)),
                stack: stacks[stack],
                kind,
                weight,
            });
        }
        (p, stacks, cycles)
    }

    #[test]
    fn aggregated_samples_sum_per_thread_stack_and_kind() {
        let (each, stacks, cycles) = sampled(false);
        let (summed, _, _) = sampled(true);
        assert_eq!(each.samples().len(), 7);
        assert_eq!(
            summed.samples().len(),
            5,
            "t1/ab/cycles x3, t2/ab, t1/ac x2 kinds, t2/a"
        );
        let first = summed.samples().get(0);
        assert_eq!(
            (first.stack, first.weight, first.time),
            (stacks[0], 19.0, None)
        );
        assert_eq!(summed.samples().count(0), 3);
        for kind in [cycles, WeightKindId::from_index(1)] {
            assert_eq!(summed.weights_per_stack(kind), each.weights_per_stack(kind));
            assert_eq!(summed.sample_count(kind), each.sample_count(kind));
        }
        assert_eq!(summed.sample_count(cycles), 6);
        assert_eq!(summed.samples().time_bounds(), Some((10, 70)));
        assert_eq!(each.samples().time_bounds(), Some((10, 70)));
    }

    #[test]
    fn aggregating_later_merges_the_rows_already_there() {
        let (mut late, _, cycles) = sampled(false);
        late.aggregate_samples();
        let (early, _, _) = sampled(true);
        let rows = |p: &Profile| {
            let s = p.samples();
            (0..s.len())
                .map(|i| (s.get(i), s.count(i)))
                .collect::<Vec<_>>()
        };
        assert_eq!(rows(&late), rows(&early));
        assert_eq!(late.sample_count(cycles), 6);
    }

    /// Paths of frame names, interned in order: a root with three children (the third
    /// hashed, not in the first-children array), a second root, and samples on some.
    fn named_tree(names: [&str; 6]) -> Profile {
        let mut p = Profile::new();
        p.aggregate_samples();
        let kind = p.add_weight_kind("cycles", WeightUnit::Events);
        let thread = p.add_thread(None, Some(1), None);
        let f = names.map(|n| p.resolved_frame(n, None, FrameKind::User));
        let paths: [&[FrameId]; 6] = [
            &[f[0], f[1]],
            &[f[0], f[2]],
            &[f[0], f[3], f[1]],
            &[f[0], f[3], f[2]],
            &[f[4]],
            &[f[4], f[5]],
        ];
        for (i, path) in paths.iter().enumerate() {
            let stack = p.intern_stack_path(path);
            let weight = f64::from(1u32 << i);
            p.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight,
            });
        }
        p
    }

    /// A stack node by its parent and its frame's name.
    type NamedNode = (Option<StackId>, String);

    /// What a profile's stacks and samples say, by name: the same for two profiles that
    /// differ only in how their frames were made.
    fn by_name(p: &Profile) -> (Vec<NamedNode>, Vec<(StackId, f64)>) {
        let stacks = p
            .stacks()
            .iter()
            .map(|n| (n.parent, p.frame_label(n.frame)))
            .collect();
        let samples = (0..p.samples().len())
            .map(|i| (p.samples().get(i).stack, p.samples().get(i).weight))
            .collect();
        (stacks, samples)
    }

    /// Renaming each frame to a frame of its own keeps the tree as it is: the same as a
    /// profile built with the new names, and the renamed nodes found again by lookup.
    #[test]
    fn a_one_for_one_renaming_keeps_every_stack() {
        let mut p = named_tree(["a", "b", "c", "d", "e", "f"]);
        let renamed = ["A", "B", "C", "D", "E", "F"];
        let mut replacement = vec![None; p.frames().len()];
        for (i, name) in renamed.iter().enumerate() {
            if i != 2 {
                let new = p.resolved_frame(name, None, FrameKind::User);
                replacement[i] = Some(vec![new]);
            }
        }
        p.expand_frames(&replacement);
        let built = named_tree(["A", "B", "c", "D", "E", "F"]);
        assert_eq!(by_name(&p), by_name(&built));
        let nodes = p.stacks().len();
        for (i, node) in built.stacks().iter().enumerate() {
            let name = built.frame_label(node.frame);
            let frame = p.resolved_frame(&name, None, FrameKind::User);
            assert_eq!(p.intern_stack(node.parent, frame).index(), i, "{name}");
        }
        assert_eq!(p.stacks().len(), nodes, "every node found, none added");
    }

    /// A renaming that gives two frames one name, or a frame a name another frame keeps, is
    /// not one for one: the stacks that meet merge.
    #[test]
    fn a_renaming_that_joins_frames_merges_their_stacks() {
        for (from, to) in [([1, 2], "X"), ([2, 2], "b")] {
            let mut p = named_tree(["a", "b", "c", "d", "e", "f"]);
            let x = p.resolved_frame(to, None, FrameKind::User);
            let mut replacement = vec![None; p.frames().len()];
            for i in from {
                replacement[i] = Some(vec![x]);
            }
            p.expand_frames(&replacement);
            let names = if to == "X" {
                ["a", "X", "X", "d", "e", "f"]
            } else {
                ["a", "b", "b", "d", "e", "f"]
            };
            let built = named_tree(names);
            assert_eq!(by_name(&p), by_name(&built), "{to}");
            assert!(p.stacks().len() < named_tree(["a", "b", "c", "d", "e", "f"]).stacks().len());
        }
    }

    #[test]
    fn rows_that_land_on_one_stack_merge_after_expand_frames() {
        let (mut p, stacks, cycles) = sampled(true);
        let before = p.samples().len();
        // b and c both become a single frame x: stacks a;b and a;c become one.
        let x = p.resolved_frame("x", None, FrameKind::User);
        let (b, c) = (p.stack(stacks[0]).frame, p.stack(stacks[1]).frame);
        let mut replacement = vec![None; p.frames().len()];
        replacement[b.index()] = Some(vec![x]);
        replacement[c.index()] = Some(vec![x]);
        p.expand_frames(&replacement);
        assert_eq!(
            p.samples().len(),
            before - 1,
            "t1/ab/cycles and t1/ac/cycles merge"
        );
        assert_eq!(p.sample_count(cycles), 6);
        assert_eq!(p.total_weight(cycles), 1.0 + 2.0 + 4.0 + 16.0 + 32.0 + 64.0);
        let merged = p.samples().get(0);
        assert_eq!(merged.weight, 1.0 + 2.0 + 16.0 + 32.0);
        assert_eq!(p.samples().count(0), 4);
    }
}
