//! The profile both readers build: the file's header facts and events, then every record in
//! time order (processes, threads and mappings from COMM / FORK / MMAP records; each sample's
//! stack from its decoded frames), then the counts of what went wrong as warnings.

use std::sync::mpsc::SyncSender;
use std::sync::Arc;

use linux_perf_data::linux_perf_event_reader::{
    EventRecord, PerfEventType, SampleFormat, SampleRecord, SamplingPolicy, SoftwareCounterType,
};
use linux_perf_data::AttributeDescription;
use profview_files::SymbolPaths;
use profview_model::{
    Profile, Sample, SourceFormat, StackId, WarningKind, WeightKindId, WeightUnit,
};

use super::offcpu::{OffCpu, Switch};
use super::options::PerfOptions;
use super::sample::{chain_words_frames, sample_frames, Decoded, RawFrame, MAX_CALLCHAIN};
use super::stacks::{RawChain, StackBuilder};
use super::state::Processes;
use super::unwind::UnwindEnd;

/// A profile with the file's header facts and events, and the builder its records go through.
pub(super) fn start_profile(
    name: &str,
    perf_file: &linux_perf_data::PerfFile,
    repaired: Option<&str>,
    options: &PerfOptions,
) -> (Profile, ProfileBuilder) {
    let mut profile = Profile::new();
    if options.aggregate_samples {
        profile.aggregate_samples();
    }
    if let Some(why) = repaired {
        profile.meta.warnings.add(WarningKind::DamagedHeader, || {
            format!("the header's feature sections (build-ids, event names, host) are unreadable ({why}): the file was cut short or damaged; the records before that are analyzed")
        });
    }
    profile.meta.source_format = SourceFormat::PerfData;
    profile.meta.source_name = Some(name.to_owned());
    read_header(perf_file, &mut profile);
    let kinds: Vec<WeightKindId> = perf_file
        .event_attributes()
        .iter()
        .enumerate()
        .map(|(i, attr)| add_event(&mut profile, i, attr))
        .collect();
    if let Some(rate) =
        perf_file
            .event_attributes()
            .first()
            .and_then(|a| match a.attr.sampling_policy {
                SamplingPolicy::Frequency(f) => Some(f as f64),
                _ => None,
            })
    {
        profile.meta.sample_rate_hz = Some(rate);
    }

    profile.meta.stacks_recorded = Some(perf_file.event_attributes().iter().any(|a| {
        a.attr
            .sample_format
            .intersects(SampleFormat::CALLCHAIN | SampleFormat::STACK_USER)
    }));
    let build_ids = perf_file.build_ids().unwrap_or_default();
    let paths = options
        .symbol_paths
        .clone()
        .unwrap_or_else(|| Arc::new(SymbolPaths::only(Vec::new())));
    let builder = ProfileBuilder {
        processes: Processes::new(build_ids, paths),
        kinds,
        frames: Vec::new(),
        stacks: StackBuilder::default(),
        stats: Stats::default(),
        offcpu: OffCpu::new(perf_file.event_attributes().iter().map(|a| a.name())),
        rows: None,
        spare_prepared: Vec::new(),
    };
    (profile, builder)
}

fn read_header(perf_file: &linux_perf_data::PerfFile, profile: &mut Profile) {
    let meta = &mut profile.meta;
    meta.host = perf_file.hostname().ok().flatten().map(str::to_owned);
    meta.os_release = perf_file.os_release().ok().flatten().map(str::to_owned);
    meta.recorder_version = perf_file
        .perf_version()
        .ok()
        .flatten()
        .map(|v| format!("perf {v}"));
    meta.command_line = perf_file.cmdline().ok().flatten().map(|c| c.join(" "));
}

fn add_event(profile: &mut Profile, index: usize, attr: &AttributeDescription) -> WeightKindId {
    let name = attr
        .name()
        .map_or_else(|| format!("event{index}"), str::to_owned);
    let unit = match attr.attr.type_ {
        PerfEventType::Software(SoftwareCounterType::CpuClock | SoftwareCounterType::TaskClock) => {
            WeightUnit::Nanoseconds
        }
        _ => WeightUnit::Events,
    };
    let kind = profile.add_weight_kind(&name, unit);
    if let SamplingPolicy::Period(p) = attr.attr.sampling_policy {
        profile.weight_kind_mut(kind).period = Some(p.get() as f64);
    }
    kind
}

#[derive(Debug, Default)]
struct Stats {
    lost: u64,
    samples_without_thread: u64,
    truncated_unwinds: u64,
    unwound_samples: u64,
    damaged_callchains: u64,
}

impl Stats {
    fn count(&mut self, decoded: Decoded) {
        if decoded.damaged_chain {
            self.damaged_callchains += 1;
        }
        if let Some(end) = decoded.unwound {
            self.unwound_samples += 1;
            if end == Some(UnwindEnd::Truncated) {
                self.truncated_unwinds += 1;
            }
        }
    }
}

/// What both readers feed records into, in time order: the processes and their mappings, and
/// the stacks built so far.
pub(super) struct ProfileBuilder {
    pub(super) processes: Processes,
    kinds: Vec<WeightKindId>,
    /// Scratch: the current sample's addresses, leaf first.
    frames: Vec<RawFrame>,
    stacks: StackBuilder,
    stats: Stats,
    /// Present when the file has `sched:sched_switch` samples.
    pub(super) offcpu: Option<OffCpu>,
    /// Where samples go instead of the profile's table while another thread fills it.
    pub(super) rows: Option<RowSender>,
    /// Buffers of [`Prepared`] chains, for reuse.
    spare_prepared: Vec<Prepared>,
}

/// A chain's frames and outer-part hashes, made a few samples before it is built
/// ([`ProfileBuilder::look_ahead`]).
#[derive(Default)]
pub(super) struct Prepared {
    frames: Vec<RawFrame>,
    prefix: Vec<[u64; 2]>,
}

/// Samples in batches, in order, to the thread that adds them to the profile's sample table
/// (its row lookups are cache misses in tables by stack: a tenth of the ordered pass on a
/// million distinct stacks, done beside it instead).
pub(super) struct RowSender {
    batch: Vec<Sample>,
    to: SyncSender<Vec<Sample>>,
}

/// Samples a batch holds: ~300 KB.
const ROW_BATCH: usize = 8192;

impl RowSender {
    pub(super) fn new(to: SyncSender<Vec<Sample>>) -> Self {
        Self {
            batch: Vec::with_capacity(ROW_BATCH),
            to,
        }
    }

    fn push(&mut self, sample: Sample) {
        self.batch.push(sample);
        if self.batch.len() == ROW_BATCH {
            self.send();
        }
    }

    fn send(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(ROW_BATCH));
        // A receiver gone has panicked; joining it says so.
        let _ = self.to.send(batch);
    }

    /// Send what is left; dropping the sender then ends the receiving thread.
    pub(super) fn finish(mut self) {
        if !self.batch.is_empty() {
            self.send();
        }
    }
}

impl ProfileBuilder {
    /// Add `sample` to the profile, or send it to the thread that fills its sample table.
    fn add_sample(&mut self, profile: &mut Profile, sample: Sample) {
        match &mut self.rows {
            Some(rows) => rows.push(sample),
            None => profile.add_sample(sample),
        }
    }

    /// A few samples ahead of a compact sample whose chain has no stack yet: its frames and
    /// outer-part hashes, with the places the stack builder will look them up at asked for
    /// (see [`StackBuilder::prepare`]). `None` when the chain already has its stack.
    pub(super) fn look_ahead(&mut self, raw: &RawChain<'_>) -> Option<Prepared> {
        if self.stacks.numbered(raw.id).is_some() {
            return None;
        }
        let mut prepared = self.spare_prepared.pop().unwrap_or_default();
        prepared.frames.clear();
        chain_words_frames(raw.kernel, raw.ip, raw.chain, &mut prepared.frames);
        if prepared.frames.is_empty() {
            self.spare_prepared.push(prepared);
            return None;
        }
        self.stacks
            .prepare(raw.pid, &prepared.frames, &mut prepared.prefix);
        Some(prepared)
    }

    /// Ask ahead for what [`Self::compact_sample`] will read first for raw chain `id`.
    pub(super) fn prefetch_chain(&self, id: u32) {
        self.stacks.prefetch_numbered(id);
    }

    /// Any record but a sample the block reader decoded itself.
    pub(super) fn handle(
        &mut self,
        profile: &mut Profile,
        attr_index: usize,
        record: EventRecord<'_>,
    ) {
        match record {
            EventRecord::Sample(s) => self.sample(profile, attr_index, &s),
            EventRecord::Comm(c) => {
                if c.is_execve {
                    self.stacks.clear();
                }
                let name = String::from_utf8_lossy(&c.name.as_slice()).into_owned();
                self.processes
                    .comm(profile, c.pid, c.tid, &name, c.is_execve);
            }
            EventRecord::Fork(f) => {
                if f.pid != f.ppid {
                    self.stacks.clear();
                }
                self.processes.fork(profile, f.ppid, f.ptid, f.pid, f.tid);
            }
            EventRecord::Exit(_) => {}
            EventRecord::Mmap(m) => {
                self.stacks.clear();
                self.processes.mmap(profile, (&m).into());
            }
            EventRecord::Mmap2(m) => {
                self.stacks.clear();
                self.processes.mmap(profile, (&m).into());
            }
            EventRecord::Lost(l) => self.stats.lost += l.count,
            _ => {}
        }
    }

    fn sample(&mut self, profile: &mut Profile, attr_index: usize, s: &SampleRecord<'_>) {
        let Some(&kind) = self.kinds.get(attr_index) else {
            return;
        };
        let (Some(pid), Some(tid)) = (s.pid, s.tid) else {
            self.stats.samples_without_thread += 1;
            return;
        };
        let thread = self.processes.thread(profile, pid, tid);
        let stack = self.stack_of(profile, pid, tid, s);
        if let Some(stack) = stack {
            self.add_sample(
                profile,
                Sample {
                    thread,
                    time: s.timestamp,
                    stack,
                    kind,
                    weight: s.period.unwrap_or(1) as f64,
                },
            );
        }
        if let Some(off) = &mut self.offcpu {
            off.running(profile, tid, s.timestamp);
            if let (true, Some(stack), Some(time)) = (off.is_switch(attr_index), stack, s.timestamp)
            {
                let raw = s.raw.as_ref().map(|r| r.as_slice());
                let switch = Switch {
                    tid,
                    time,
                    thread,
                    stack,
                    raw: raw.as_deref(),
                };
                off.switch(profile, switch);
            }
        }
    }

    /// The interned stack of sample `s`, `None` if it has no address at all.
    fn stack_of(
        &mut self,
        profile: &mut Profile,
        pid: i32,
        tid: i32,
        s: &SampleRecord<'_>,
    ) -> Option<StackId> {
        if let Some(stack) = self.stacks.cached(pid, s) {
            return Some(stack);
        }
        let mut frames = std::mem::take(&mut self.frames);
        frames.clear();
        let processes = &mut self.processes;
        let shared: &Profile = profile;
        let decoded = sample_frames(s, &mut frames, |regs, stack, on_frame| {
            processes.unwind(shared, pid, regs, stack, on_frame)
        });
        self.stats.count(decoded);
        let stack = (!frames.is_empty()).then(|| {
            self.stacks
                .build(&mut self.processes, profile, (pid, tid), &frames)
        });
        if let Some(stack) = stack {
            self.stacks.remember_raw(stack);
        }
        self.frames = frames;
        stack
    }

    /// A DWARF sample the block reader unwound (see `blocks.rs`): `sample` is its event, pid,
    /// tid, time and weight. The same as [`Self::sample`] for such a sample.
    pub(super) fn unwound_sample(
        &mut self,
        profile: &mut Profile,
        (attr_index, pid, tid, time, weight): (usize, i32, i32, Option<u64>, u64),
        frames: &[RawFrame],
        truncated: bool,
    ) {
        let Some(&kind) = self.kinds.get(attr_index) else {
            return;
        };
        let thread = self.processes.thread(profile, pid, tid);
        self.stats.unwound_samples += 1;
        if truncated {
            self.stats.truncated_unwinds += 1;
        }
        let stack = self
            .stacks
            .build(&mut self.processes, profile, (pid, tid), frames);
        self.add_sample(
            profile,
            Sample {
                thread,
                time,
                stack,
                kind,
                weight: weight as f64,
            },
        );
    }

    /// A sample the block reader reduced to its thread, weight and numbered raw chain (see
    /// `blocks.rs`); the same as [`Self::sample`] for such a sample.
    pub(super) fn compact_sample(
        &mut self,
        profile: &mut Profile,
        attr_index: usize,
        tid: i32,
        time: Option<u64>,
        weight: u64,
        (raw, prepared): (RawChain<'_>, Option<Prepared>),
    ) {
        let Some(&kind) = self.kinds.get(attr_index) else {
            return;
        };
        let pid = raw.pid;
        let thread = self.processes.thread(profile, pid, tid);
        let stack = match (self.stacks.numbered(raw.id), prepared) {
            (Some(stack), prepared) => {
                // Built since it was looked ahead at (the same chain twice in a row).
                self.spare_prepared.extend(prepared);
                Some(stack)
            }
            (None, Some(prepared)) => {
                let stack = self.stacks.build_hashed(
                    &mut self.processes,
                    profile,
                    (pid, tid),
                    (&prepared.frames, &prepared.prefix),
                );
                self.stacks.remember_numbered(raw.id, stack);
                self.spare_prepared.push(prepared);
                Some(stack)
            }
            (None, None) => {
                let mut frames = std::mem::take(&mut self.frames);
                frames.clear();
                chain_words_frames(raw.kernel, raw.ip, raw.chain, &mut frames);
                let stack = (!frames.is_empty()).then(|| {
                    self.stacks
                        .build(&mut self.processes, profile, (pid, tid), &frames)
                });
                if let Some(stack) = stack {
                    self.stacks.remember_numbered(raw.id, stack);
                }
                self.frames = frames;
                stack
            }
        };
        if let Some(stack) = stack {
            self.add_sample(
                profile,
                Sample {
                    thread,
                    time,
                    stack,
                    kind,
                    weight: weight as f64,
                },
            );
        }
    }

    /// Changes whenever the mappings change, and with them the stacks of raw chains.
    pub(super) fn stack_generation(&self) -> u32 {
        self.stacks.generation()
    }

    /// Put the counts of what went wrong in the profile's warnings.
    pub(super) fn finish(self, profile: &mut Profile) {
        if let Some(off) = &self.offcpu {
            off_cpu_warnings(off, profile);
        }
        let s = self.stats;
        profile.meta.lost_samples = s.lost;
        profile.meta.unwound_samples = s.unwound_samples;
        profile.meta.truncated_unwinds = s.truncated_unwinds;
        let w = &mut profile.meta.warnings;
        if s.lost > 0 {
            w.add_many(WarningKind::LostSamples, s.lost, || {
                "perf lost samples while recording (LOST records); consider a lower -F or a larger -m buffer".to_owned()
            });
        }
        if s.truncated_unwinds > 0 {
            w.add_many(WarningKind::UnwindFailed, s.truncated_unwinds, || {
                let percent = 100.0 * s.truncated_unwinds as f64 / s.unwound_samples.max(1) as f64;
                format!("DWARF unwinding stopped before the outermost frame in {} of the {} unwound samples ({percent:.1}%: the copied stack was too small, or unwind info is missing); their frames so far are kept", s.truncated_unwinds, s.unwound_samples)
            });
        }
        if s.damaged_callchains > 0 {
            w.add_many(WarningKind::DamagedRecord, s.damaged_callchains, || {
                format!(
                    "callchains longer than {MAX_CALLCHAIN} entries were ignored (damaged records)"
                )
            });
        }
        if s.samples_without_thread > 0 {
            w.add_many(WarningKind::DamagedRecord, s.samples_without_thread, || {
                "samples without pid/tid were skipped".to_owned()
            });
        }
    }
}

fn off_cpu_warnings(off: &OffCpu, profile: &mut Profile) {
    let w = &mut profile.meta.warnings;
    // Below a tenth, the upper bounds hardly move the picture.
    if off.estimated * 10 > off.exact + off.estimated {
        w.add_many(WarningKind::Other, off.estimated, || {
            format!("off-cpu: the switch back in was not recorded for some of {} waits (the CPU came from a task perf did not follow); they end at the thread's next sample, an upper bound. Record system-wide (-a) for exact waits", off.exact + off.estimated)
        });
    }
    if off.unreadable > 0 {
        w.add_many(WarningKind::Other, off.unreadable, || {
            "off-cpu: sched_switch samples without the expected raw tracepoint data (record with perf's default fields); waits end at the thread's next sample".to_owned()
        });
    }
}
