//! Off-CPU time from `sched:sched_switch` samples: how long each thread was switched out, and
//! the stack it was switched out at.
//!
//! A `sched_switch` sample is taken on the task being switched out, with its stack. Its raw
//! tracepoint data names the task switched in (`next_pid`). So a thread's blocked time runs
//! from its own switch-out sample to the sample whose `next_pid` is that thread. When the
//! switch-in was not recorded (the CPU came from a task perf did not follow, such as the idle
//! task), the thread's next sample ends the wait instead: an upper bound, counted apart.

use profview_model::{Profile, Sample, StackId, ThreadId, WeightKindId, WeightUnit, OFF_CPU_EVENT};
use rustc_hash::FxHashMap;

/// Offsets in the raw data of `sched:sched_switch` (stable since Linux 4.x): an 8-byte common
/// header, `prev_comm[16]`, `prev_pid` (i32), `prev_prio`, `prev_state` (long), `next_comm[16]`,
/// `next_pid` (i32).
const PREV_PID_AT: usize = 24;
const NEXT_PID_AT: usize = 56;

/// A thread switched out and not yet back.
#[derive(Debug, Clone, Copy)]
struct Blocked {
    since: u64,
    stack: StackId,
    thread: ThreadId,
}

/// Turns `sched_switch` samples into off-CPU samples.
#[derive(Debug)]
pub struct OffCpu {
    /// Attribute index of the `sched:sched_switch` event.
    switch_attr: usize,
    kind: Option<WeightKindId>,
    blocked: FxHashMap<i32, Blocked>,
    /// Waits ended by the switch-in itself.
    pub exact: u64,
    /// Waits ended by the thread's next sample (switch-in not recorded).
    pub estimated: u64,
    /// Samples whose raw data did not have the expected layout.
    pub unreadable: u64,
}

/// One `sched_switch` sample, as the tracker needs it.
#[derive(Debug, Clone, Copy)]
pub struct Switch<'a> {
    pub tid: i32,
    pub time: u64,
    pub thread: ThreadId,
    pub stack: StackId,
    pub raw: Option<&'a [u8]>,
}

impl OffCpu {
    /// A tracker if one of the events (by attribute index) is `sched:sched_switch`.
    pub fn new<'a>(mut event_names: impl Iterator<Item = Option<&'a str>>) -> Option<Self> {
        let switch_attr = event_names.position(|n| n == Some("sched:sched_switch"))?;
        Some(Self {
            switch_attr,
            kind: None,
            blocked: FxHashMap::default(),
            exact: 0,
            estimated: 0,
            unreadable: 0,
        })
    }

    /// Every sample of thread `tid` goes through here: a running thread is not blocked.
    pub fn running(&mut self, profile: &mut Profile, tid: i32, time: Option<u64>) {
        if self.blocked.is_empty() {
            return;
        }
        if let (Some(time), Some(b)) = (time, self.blocked.remove(&tid)) {
            self.estimated += 1;
            self.emit(profile, b, time);
        }
    }

    /// Whether samples of event `attr_index` are the `sched_switch` ones.
    pub fn is_switch(&self, attr_index: usize) -> bool {
        attr_index == self.switch_attr
    }

    /// A `sched_switch` sample: the thread that was switched in stops waiting, the one
    /// switched out starts.
    pub fn switch(&mut self, profile: &mut Profile, s: Switch<'_>) {
        let pid_at = |at: usize| {
            let bytes = s.raw?.get(at..at + 4)?;
            Some(i32::from_le_bytes(bytes.try_into().ok()?))
        };
        let (prev, next) = (pid_at(PREV_PID_AT), pid_at(NEXT_PID_AT));
        // The switched-out task is the sampled one: anything else means another layout.
        let next = match (prev, next) {
            (Some(prev), Some(next)) if prev == s.tid => Some(next),
            _ => {
                self.unreadable += 1;
                None
            }
        };
        if let Some(b) = next.and_then(|n| self.blocked.remove(&n)) {
            self.exact += 1;
            self.emit(profile, b, s.time);
        }
        self.blocked.insert(
            s.tid,
            Blocked {
                since: s.time,
                stack: s.stack,
                thread: s.thread,
            },
        );
    }

    fn emit(&mut self, profile: &mut Profile, b: Blocked, until: u64) {
        let kind = *self
            .kind
            .get_or_insert_with(|| profile.add_weight_kind(OFF_CPU_EVENT, WeightUnit::Nanoseconds));
        profile.add_sample(Sample {
            thread: b.thread,
            time: Some(b.since),
            stack: b.stack,
            kind,
            weight: until.saturating_sub(b.since) as f64,
        });
    }
}
