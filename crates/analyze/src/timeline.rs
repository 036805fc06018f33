//! When the time went: each thread's weight over the run in equal buckets, and the phases of
//! the run (stretches in which one function is on top).

use std::collections::HashMap;

use profview_model::{Profile, StringId, ThreadId, WeightKindId, WeightUnit};
use serde::Serialize;

/// A phase is at least this many buckets long: shorter changes of the top function are
/// noise between two phases, not a phase.
pub const PHASE_MIN_BUCKETS: usize = 3;
/// A bucket belongs to a function's phase when that function holds at least this share of
/// its self weight; buckets where no function does are spread work, one kind of phase.
pub const PHASE_MIN_SHARE: f64 = 0.25;
/// Threads listed by name; the others are summed into one row.
pub const TIMELINE_THREADS: usize = 12;

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
}

impl Timeline {
    /// The timeline of `kind` in `buckets` buckets; `None` when the samples have no times
    /// (folded stacks, heap profiles, or samples summed as they were read).
    pub fn new(profile: &Profile, kind: WeightKindId, buckets: usize) -> Option<Self> {
        let buckets = buckets.max(1);
        let samples = profile.samples();
        let times = || {
            samples
                .iter()
                .filter(|s| s.kind == kind)
                .filter_map(|s| s.time)
        };
        let (start, end) = (times().min()?, times().max()?);
        let span = (end - start).max(1);
        let bucket_ns = span.div_ceil(buckets as u64).max(1);
        let bucket_of = |t: u64| (((t - start) / bucket_ns) as usize).min(buckets - 1);
        let mut per_thread: HashMap<ThreadId, (u64, Vec<f64>)> = HashMap::new();
        // Self weight per function per bucket, for the phases.
        let mut per_function: Vec<HashMap<Option<StringId>, f64>> = vec![HashMap::new(); buckets];
        let mut leaf_names: HashMap<profview_model::StackId, Option<StringId>> = HashMap::new();
        for s in samples.iter().filter(|s| s.kind == kind) {
            let Some(t) = s.time else {
                continue;
            };
            let b = bucket_of(t);
            let entry = per_thread
                .entry(s.thread)
                .or_insert_with(|| (0, vec![0.0; buckets]));
            entry.0 += 1;
            entry.1[b] += s.weight;
            let name = *leaf_names
                .entry(s.stack)
                .or_insert_with(|| holder_name(profile, s.stack));
            *per_function[b].entry(name).or_default() += s.weight;
        }
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
    per_thread: HashMap<ThreadId, (u64, Vec<f64>)>,
    duration_s: f64,
    time_unit: bool,
) -> Vec<ThreadSeries> {
    let mut rows: Vec<(ThreadId, u64, Vec<f64>)> = per_thread
        .into_iter()
        .map(|(t, (n, b))| (t, n, b))
        .collect();
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
fn phases(
    profile: &Profile,
    per_function: &[HashMap<Option<StringId>, f64>],
    bucket_s: f64,
    duration_s: f64,
) -> Vec<Phase> {
    let top_of = |m: &HashMap<Option<StringId>, f64>| {
        m.iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(name, _)| *name)
    };
    // A bucket's key is its top function when that holds at least PHASE_MIN_SHARE of it;
    // buckets without one (spread work) are alike.
    let dominant = |m: &HashMap<Option<StringId>, f64>| -> Option<Option<StringId>> {
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
    // Short runs are noise: they join the run before them (or after, at the start).
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for &(_, first, last) in &runs {
        let short = last + 1 - first < PHASE_MIN_BUCKETS;
        match merged.last_mut() {
            Some(prev) if short => prev.1 = last,
            _ => merged.push((first, last)),
        }
    }
    if merged.len() > 1 && merged[0].1 + 1 - merged[0].0 < PHASE_MIN_BUCKETS {
        let first = merged.remove(0);
        merged[0].0 = first.0;
    }
    // Each stretch named by its top function over the whole stretch; equal neighbours join.
    let mut out: Vec<Phase> = Vec::new();
    for (first, last) in merged {
        let mut sums: HashMap<Option<StringId>, f64> = HashMap::new();
        for m in &per_function[first..=last] {
            for (name, w) in m {
                *sums.entry(*name).or_default() += w;
            }
        }
        let total: f64 = sums.values().sum();
        let Some(top) = top_of(&sums) else {
            continue;
        };
        let name = top.map_or_else(|| "[unknown]".to_owned(), |n| profile.string(n).to_owned());
        let start_s = first as f64 * bucket_s;
        let end_s = ((last + 1) as f64 * bucket_s).min(duration_s);
        match out.last_mut() {
            Some(prev) if prev.top_function == name => {
                prev.end_s = end_s;
            }
            _ => out.push(Phase {
                start_s,
                end_s,
                top_function: name,
                share: sums[&top] / total.max(f64::MIN_POSITIVE),
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::{FrameKind, Sample};

    /// One thread: `parse` for the first second, `hash` for the next, a sample every 10 ms.
    fn two_phases() -> Profile {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
        let thread = p.add_thread(None, Some(1), Some("worker"));
        let main = p.resolved_frame("main", None, FrameKind::User);
        let parse = p.resolved_frame("parse", None, FrameKind::User);
        let hash = p.resolved_frame("hash", None, FrameKind::User);
        let parsing = p.intern_stack_path(&[main, parse]);
        let hashing = p.intern_stack_path(&[main, hash]);
        for i in 0..200u64 {
            let stack = if i < 100 { parsing } else { hashing };
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
}
