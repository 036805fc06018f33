//! When the time went: each thread's weight over the run in equal buckets, and the phases of
//! the run (stretches in which one function is on top).

use rustc_hash::FxHashMap;

use profview_model::{Hint, Profile, StringId, ThreadId, WeightKindId, WeightUnit};
use serde::Serialize;

use crate::findings::{Evidence, Finding, FindingKind};

/// A phase is at least this many buckets long: shorter changes of the top function are
/// noise between two phases, not a phase.
pub const PHASE_MIN_BUCKETS: usize = 3;
/// A bucket belongs to a function's phase when that function holds at least this share of
/// its self weight; buckets where no function does are spread work, one kind of phase.
pub const PHASE_MIN_SHARE: f64 = 0.25;
/// The `phases` finding needs a phase whose top function holds at least this share of it
/// (and a quarter of that or less of the rest of the run).
pub const PHASE_DISTINCT_SHARE: f64 = 0.4;
/// ... and that phase holds at least this share of the run's weight.
pub const PHASE_FINDING_MIN_WEIGHT: f64 = 0.1;
/// The `phases` finding cuts the run into this many buckets (a phase is then at least 3% of
/// it).
pub const FINDING_BUCKETS: usize = 100;
/// Threads listed by name; the others are summed into one row.
pub const TIMELINE_THREADS: usize = 12;

/// Weight per function (by name; `None` for code without one).
type Sums = FxHashMap<Option<StringId>, f64>;

/// The run cut into equal buckets of time.
#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// The first sample's time, in nanoseconds (the recording's clock).
    #[serde(skip)]
    pub start_ns: u64,
    /// From the first sample to the last, in seconds.
    pub duration_s: f64,
    /// The length of a bucket, in seconds.
    pub bucket_s: f64,
    /// The heaviest threads first, each with its weight per bucket.
    pub threads: Vec<ThreadSeries>,
    /// Stretches of the run with their top function by self weight.
    pub phases: Vec<Phase>,
}

/// One thread's weight over the run.
#[derive(Debug, Clone, Serialize)]
pub struct ThreadSeries {
    /// OS thread id, when known.
    pub tid: Option<u32>,
    /// Thread name (or `other threads` for the rest summed).
    pub name: String,
    /// Samples of the weight kind on this thread.
    pub samples: u64,
    /// For time weights: the share of one CPU the thread used over the run (100 = one core
    /// busy throughout).
    pub cpu_percent: Option<f64>,
    /// The weight in each bucket.
    pub buckets: Vec<f64>,
}

/// A stretch of the run in which one function had the most self weight.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    /// Start, in seconds from the first sample.
    pub start_s: f64,
    /// End, in seconds from the first sample.
    pub end_s: f64,
    /// The function with the most self weight in the phase.
    pub top_function: String,
    /// Its share of the phase's weight (0-1).
    pub share: f64,
    /// Its share of the weight of the rest of the run (0-1): low when the phase is the only
    /// time it runs much.
    pub share_elsewhere: f64,
}

impl Timeline {
    /// The timeline of `kind` in `buckets` buckets; `None` when the samples have no times
    /// (folded stacks, heap profiles, or samples summed as they were read).
    pub fn new(profile: &Profile, kind: WeightKindId, buckets: usize) -> Option<Self> {
        let buckets = buckets.max(1);
        let samples = profile.samples();
        let (start, end) = samples
            .iter()
            .filter(|s| s.kind == kind)
            .filter_map(|s| s.time)
            .fold(None, |range: Option<(u64, u64)>, t| match range {
                None => Some((t, t)),
                Some((a, b)) => Some((a.min(t), b.max(t))),
            })?;
        let span = (end - start).max(1);
        let bucket_ns = span.div_ceil(buckets as u64).max(1);
        let bucket_of = |t: u64| (((t - start) / bucket_ns) as usize).min(buckets - 1);
        // Indexed by thread and by stack: a per-sample hash lookup was most of the time.
        let mut per_thread: Vec<(u64, Vec<f64>)> = vec![(0, Vec::new()); profile.threads().len()];
        // Self weight per function per bucket, for the phases.
        let mut per_function: Vec<Sums> = vec![Sums::default(); buckets];
        let mut leaf_names: Vec<Option<Option<StringId>>> = vec![None; profile.stacks().len()];
        for s in samples.iter().filter(|s| s.kind == kind) {
            let Some(t) = s.time else {
                continue;
            };
            let b = bucket_of(t);
            let row = &mut per_thread[s.thread.index()];
            if row.1.is_empty() {
                row.1 = vec![0.0; buckets];
            }
            row.0 += 1;
            row.1[b] += s.weight;
            let name =
                *leaf_names[s.stack.index()].get_or_insert_with(|| holder_name(profile, s.stack));
            *per_function[b].entry(name).or_default() += s.weight;
        }
        let per_thread = per_thread
            .into_iter()
            .enumerate()
            .filter(|(_, (n, _))| *n > 0)
            .map(|(i, (n, b))| (ThreadId::from_index(i), n, b))
            .collect();
        let duration_s = span as f64 / 1e9;
        let time_unit = profile.weight_kind(kind).unit == WeightUnit::Nanoseconds;
        let threads = thread_rows(profile, per_thread, duration_s, time_unit);
        let bucket_s = bucket_ns as f64 / 1e9;
        let phases = phases(profile, &per_function, bucket_s, duration_s);
        Some(Self {
            start_ns: start,
            duration_s,
            bucket_s,
            threads,
            phases,
        })
    }
}

impl Phase {
    /// Whether the phase does something of its own: its top function holds at least
    /// [`PHASE_DISTINCT_SHARE`] of it and a quarter of that at most in the rest of the run.
    /// Steps that take turns (a loop over several steps, each long enough to be seen) have
    /// phases by the timeline's buckets, none of them distinct.
    pub fn is_distinct(&self) -> bool {
        self.share >= PHASE_DISTINCT_SHARE && self.share_elsewhere <= self.share / 4.0
    }
}

impl Timeline {
    /// The share (0-1) of the run's weight in `phase`.
    pub fn weight_share(&self, phase: &Phase) -> f64 {
        let bucket = |s: f64| (s / self.bucket_s.max(f64::MIN_POSITIVE)).round() as usize;
        let first = bucket(phase.start_s);
        // The last phase ends at the last sample, inside its bucket.
        let end = if phase.end_s >= self.duration_s {
            usize::MAX
        } else {
            bucket(phase.end_s)
        };
        let (mut inside, mut all) = (0.0, 0.0);
        for t in &self.threads {
            for (b, w) in t.buckets.iter().enumerate() {
                all += w;
                if (first..end).contains(&b) {
                    inside += w;
                }
            }
        }
        if all > 0.0 {
            inside / all
        } else {
            0.0
        }
    }

    /// The `phases` finding: the run changes what it does (each phase named by its top
    /// function); none for a run that is one phase.
    pub fn phases_finding(&self) -> Option<Finding> {
        // A function on top of several phases is a step of a cycle, not a phase of the run.
        let once = |p: &Phase| {
            self.phases
                .iter()
                .filter(|q| q.top_function == p.top_function)
                .count()
                == 1
        };
        let telling = |p: &Phase| {
            p.is_distinct() && once(p) && self.weight_share(p) >= PHASE_FINDING_MIN_WEIGHT
        };
        if self.phases.len() < 2 || !self.phases.iter().any(telling) {
            return None;
        }
        let describe = |p: &Phase| {
            if p.share >= PHASE_DISTINCT_SHARE {
                format!(
                    "{:.2}-{:.2} s {:.0}% in {}",
                    p.start_s,
                    p.end_s,
                    100.0 * p.share,
                    p.top_function
                )
            } else {
                format!(
                    "{:.2}-{:.2} s spread out (top: {} {:.0}%)",
                    p.start_s,
                    p.end_s,
                    p.top_function,
                    100.0 * p.share
                )
            }
        };
        let listed: Vec<String> = self.phases.iter().take(4).map(describe).collect();
        let more = match self.phases.len().saturating_sub(4) {
            0 => String::new(),
            n => format!(", and {n} more"),
        };
        let shares: Vec<f64> = self.phases.iter().map(|p| self.weight_share(p)).collect();
        let largest = shares.iter().copied().fold(0.0, f64::max);
        let first = &self.phases[0];
        let (start, end) = (first.start_s, first.end_s);
        let mut advice = vec![format!(
            "Look at one phase at a time, starting with the first: {start:.3}-{end:.3} s from the first sample."
        )];
        if shares[0] < 0.34 {
            advice.push(format!(
                "The first {end:.2} s ({:.0}% of the run) may be start-up (reading input, building tables): a longer run weighs it less, so compare the phase you care about, not the whole run.",
                100.0 * shares[0]
            ));
        }
        Some(Finding {
            hint: Some(Hint::TimeRange {
                start_s: start,
                end_s: end,
            }),
            kind: FindingKind::Phases,
            // Informative, not a cost: as strong as the run is evenly split, never first over
            // a finding about where the time goes unless the phases are the story.
            score: (1.0 - largest).clamp(0.0, 0.5),
            summary: format!(
                "the run has {} phases: {}{more}",
                self.phases.len(),
                listed.join("; then ")
            ),
            functions: self.phases.iter().map(|p| p.top_function.clone()).collect(),
            evidence: self
                .phases
                .iter()
                .zip(&shares)
                .map(|(p, &share)| Evidence {
                    what: format!(
                        "{:.3}-{:.3} s: {} ({:.0}% of the phase)",
                        p.start_s,
                        p.end_s,
                        p.top_function,
                        100.0 * p.share
                    ),
                    share,
                })
                .collect(),
            advice,
        })
    }
}

/// The name of the function that holds the sampled instruction of `stack` (`None` for code
/// that has no name).
fn holder_name(profile: &Profile, stack: profview_model::StackId) -> Option<StringId> {
    let frame = profile.stack(profile.physical_stack(stack)).frame;
    profile
        .frame(frame)
        .function()
        .map(|f| profile.function(f).name)
}

/// The heaviest threads as rows, the rest summed into one.
fn thread_rows(
    profile: &Profile,
    mut rows: Vec<(ThreadId, u64, Vec<f64>)>,
    duration_s: f64,
    time_unit: bool,
) -> Vec<ThreadSeries> {
    let total = |b: &[f64]| b.iter().sum::<f64>();
    rows.sort_by(|a, b| total(&b.2).total_cmp(&total(&a.2)).then(a.0.cmp(&b.0)));
    let cpu =
        |buckets: &[f64]| time_unit.then(|| 100.0 * total(buckets) / 1e9 / duration_s.max(1e-9));
    let mut out: Vec<ThreadSeries> = Vec::new();
    let mut rest: Option<ThreadSeries> = None;
    for (i, (thread, samples, buckets)) in rows.into_iter().enumerate() {
        if i < TIMELINE_THREADS {
            let t = profile.thread(thread);
            out.push(ThreadSeries {
                tid: t.tid,
                name: t
                    .name
                    .map_or_else(|| "?".to_owned(), |n| profile.string(n).to_owned()),
                samples,
                cpu_percent: cpu(&buckets),
                buckets,
            });
            continue;
        }
        let r = rest.get_or_insert_with(|| ThreadSeries {
            tid: None,
            name: "other threads".to_owned(),
            samples: 0,
            cpu_percent: None,
            buckets: vec![0.0; buckets.len()],
        });
        r.samples += samples;
        for (a, b) in r.buckets.iter_mut().zip(&buckets) {
            *a += b;
        }
    }
    if let Some(mut r) = rest {
        r.cpu_percent = cpu(&r.buckets);
        out.push(r);
    }
    out
}

/// Runs of buckets with the same top function, runs shorter than [`PHASE_MIN_BUCKETS`]
/// given to their neighbours, and the neighbours that then agree joined.
fn phases(profile: &Profile, per_function: &[Sums], bucket_s: f64, duration_s: f64) -> Vec<Phase> {
    let top_of = |m: &Sums| {
        m.iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(name, _)| *name)
    };
    // A bucket's key is its top function when that holds at least PHASE_MIN_SHARE of it;
    // buckets without one (spread work) are alike.
    let dominant = |m: &Sums| -> Option<Option<StringId>> {
        let top = top_of(m)?;
        let total: f64 = m.values().sum();
        (m[&top] >= PHASE_MIN_SHARE * total).then_some(top)
    };
    // (key, first bucket, last bucket), over the buckets with weight.
    let mut runs: Vec<(Option<Option<StringId>>, usize, usize)> = Vec::new();
    for (b, m) in per_function.iter().enumerate() {
        if m.is_empty() {
            continue;
        }
        let top = dominant(m);
        match runs.last_mut() {
            Some(run) if run.0 == top => run.2 = b,
            _ => runs.push((top, b, b)),
        }
    }
    // Runs shorter than PHASE_MIN_BUCKETS next to each other are one stretch of mixed work;
    // such a stretch that is itself short is noise between two phases: it joins the one
    // before it (or after it, at the start).
    let short = |first: usize, last: usize| last + 1 - first < PHASE_MIN_BUCKETS;
    let mut stretches: Vec<(usize, usize, bool)> = Vec::new();
    for &(_, first, last) in &runs {
        let mixed = short(first, last);
        match stretches.last_mut() {
            Some(prev) if mixed && prev.2 => prev.1 = last,
            _ => stretches.push((first, last, mixed)),
        }
    }
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for &(first, last, _) in &stretches {
        match merged.last_mut() {
            Some(prev) if short(first, last) => prev.1 = last,
            _ => merged.push((first, last)),
        }
    }
    if merged.len() > 1 && short(merged[0].0, merged[0].1) {
        let first = merged.remove(0);
        merged[0].0 = first.0;
    }
    // Each stretch named by its top function over the whole stretch; equal neighbours join.
    let sum_over = |first: usize, last: usize| {
        let mut sums = Sums::default();
        for m in &per_function[first..=last] {
            for (name, w) in m {
                *sums.entry(*name).or_default() += w;
            }
        }
        sums
    };
    let mut named: Vec<(Option<StringId>, usize, usize)> = Vec::new();
    for (first, last) in merged {
        let Some(top) = top_of(&sum_over(first, last)) else {
            continue;
        };
        match named.last_mut() {
            Some(prev) if prev.0 == top => prev.2 = last,
            _ => named.push((top, first, last)),
        }
    }
    let whole = sum_over(0, per_function.len().saturating_sub(1));
    let whole_total: f64 = whole.values().sum();
    named
        .into_iter()
        .map(|(top, first, last)| {
            let sums = sum_over(first, last);
            let total: f64 = sums.values().sum();
            let own = sums.get(&top).copied().unwrap_or(0.0);
            let rest = whole_total - total;
            let elsewhere = whole.get(&top).copied().unwrap_or(0.0) - own;
            Phase {
                start_s: first as f64 * bucket_s,
                end_s: ((last + 1) as f64 * bucket_s).min(duration_s),
                top_function: top
                    .map_or_else(|| "[unknown]".to_owned(), |n| profile.string(n).to_owned()),
                share: own / total.max(f64::MIN_POSITIVE),
                share_elsewhere: if rest > 0.0 {
                    (elsewhere / rest).max(0.0)
                } else {
                    0.0
                },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::{FrameKind, Sample};

    /// One thread: `parse` for the first second, `hash` for the next, a sample every 10 ms.
    fn two_phases() -> Profile {
        run_of(200, |i| if i < 100 { "parse" } else { "hash" })
    }

    #[test]
    fn two_phases_are_found_at_the_change() {
        let p = two_phases();
        let t = Timeline::new(&p, WeightKindId::from_index(0), 40).unwrap();
        let names: Vec<&str> = t.phases.iter().map(|p| p.top_function.as_str()).collect();
        assert_eq!(names, ["parse", "hash"]);
        assert!((t.phases[0].end_s - 1.0).abs() <= 0.05, "{:?}", t.phases);
        assert_eq!(t.phases[0].share, 1.0);
        // One core busy throughout.
        let cpu = t.threads[0].cpu_percent.unwrap();
        assert!((cpu - 100.0).abs() < 1.0, "{cpu}");
    }

    #[test]
    fn samples_without_times_have_no_timeline() {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        let f = p.resolved_frame("f", None, FrameKind::User);
        let stack = p.intern_stack_path(&[f]);
        p.add_sample(Sample {
            thread,
            time: None,
            stack,
            kind,
            weight: 1.0,
        });
        assert!(Timeline::new(&p, kind, 10).is_none());
    }

    /// One thread, a sample every 10 ms: `leaf(i)` names the function of sample `i`.
    fn run_of(samples: u64, leaf: impl Fn(u64) -> &'static str) -> Profile {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
        let thread = p.add_thread(None, Some(1), Some("worker"));
        let main = p.resolved_frame("main", None, FrameKind::User);
        for i in 0..samples {
            let f = p.resolved_frame(leaf(i), None, FrameKind::User);
            let stack = p.intern_stack_path(&[main, f]);
            p.add_sample(Sample {
                thread,
                time: Some(i * 10_000_000),
                stack,
                kind,
                weight: 10_000_000.0,
            });
        }
        p
    }

    #[test]
    fn a_start_up_phase_is_a_finding_with_its_time_range() {
        // 0.4 s of loading, then 1.6 s of four steps taking turns every 10 ms.
        let steps = ["parse", "check", "hash", "write"];
        let p = run_of(200, |i| {
            if i < 40 {
                "load"
            } else {
                steps[i as usize % 4]
            }
        });
        let t = Timeline::new(&p, WeightKindId::from_index(0), FINDING_BUCKETS).unwrap();
        let f = t.phases_finding().expect("a phases finding");
        assert_eq!(f.kind, FindingKind::Phases);
        assert!(
            f.summary.starts_with(
                "the run has 2 phases: 0.00-0.40 s 100% in load; then 0.40-1.99 s spread out"
            ),
            "{}",
            f.summary
        );
        assert!((f.evidence[0].share - 0.2).abs() < 0.01, "{:?}", f.evidence);
        assert!(
            matches!(f.hint, Some(Hint::TimeRange { start_s, end_s }) if start_s == 0.0 && (end_s - 0.39).abs() < 0.01),
            "{:?}",
            f.hint
        );
        assert!(f.advice[1].contains("start-up"), "{:?}", f.advice);
    }

    #[test]
    fn steps_taking_turns_are_no_phases_finding() {
        // Four steps in turn, each for 200 ms (5 buckets): the buckets see one step at a
        // time, but every step runs all along the run.
        let steps = ["parse", "check", "hash", "write"];
        let p = run_of(400, |i| steps[(i / 20) as usize % 4]);
        let t = Timeline::new(&p, WeightKindId::from_index(0), FINDING_BUCKETS).unwrap();
        assert!(t.phases.len() > 2, "{:?}", t.phases);
        assert!(t.phases_finding().is_none(), "{:?}", t.phases);
    }
}
