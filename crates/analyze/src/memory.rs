//! Findings about heap profiles (DHAT, heaptrack, massif): what holds the peak, what is never
//! freed, which sites allocate only to free at once. They read the profile's memory weight
//! kinds by name (`peak`, `leaked`, `allocations`, `temporary`, `short-lived`), whichever of
//! them the format has, and rank sites as the function tables do (a site is the function that
//! called the allocator, inlined code counted in the function that holds it).

use std::collections::HashMap;

use profview_model::{format_bytes as bytes, format_count as thousands, FrameId, Profile};

use crate::breakdown::FrameClasses;
use crate::category::FrameClass;
use crate::findings::{Evidence, Finding, FindingKind};
use crate::{FunctionGroups, GroupIndex, StackWeights};

/// `memory_leak`: bytes still live at exit are at least this share of the peak heap...
pub const LEAK_MIN_SHARE_OF_PEAK: f64 = 0.01;
/// ...and at least this many bytes: a few blocks a program keeps until exit are not a leak
/// worth a finding.
pub const LEAK_MIN_BYTES: f64 = 64.0 * 1024.0;
/// `temporary_allocations`: at least this share of all allocations are freed at once...
pub const TEMPORARY_MIN_SHARE: f64 = 0.3;
/// ...and at least this many: churn costs by its count.
pub const TEMPORARY_MIN_COUNT: f64 = 1000.0;
/// `peak_dominated`: the largest site holds at least this share of the peak heap.
pub const PEAK_SITE_MIN_SHARE: f64 = 0.5;
/// `memory_growth`: the heap over the middle of the run (10% to 90%) must at least double...
pub const GROWTH_MIN_RATIO: f64 = 2.0;
/// ...rise in at least this share of its steps...
pub const GROWTH_MIN_RISING_STEPS: f64 = 0.6;
/// ...and end that stretch at half the peak or more. A heap that falls back to its base (a
/// sawtooth: streaming, per-request buffers) more than once is healthy, not growing.
pub const GROWTH_MAX_RETURNS: usize = 1;
/// A growing heap whose second half rises this many times faster than its first is growing
/// faster than linearly (each step holds more than the one before: a quadratic copy, a
/// doubling buffer kept around); below it the growth is linear.
pub const GROWTH_ACCELERATING_RATIO: f64 = 1.6;
/// `excessive_allocation`: at least this many allocations per second of the run...
pub const EXCESSIVE_MIN_RATE: f64 = 500_000.0;
/// ...and at least this many in all (where the profile has no clock: this many alone).
pub const EXCESSIVE_MIN_COUNT: f64 = 1_000_000.0;
/// Fewer points than this say nothing about a shape.
const GROWTH_MIN_POINTS: usize = 8;
/// Sites listed as evidence.
const EVIDENCE_SITES: usize = 3;

/// The memory findings of `profile`, strongest first; none when it has no memory weights.
pub fn memory_findings(profile: &Profile, groups: &FunctionGroups) -> Vec<Finding> {
    let classes = FrameClasses::new(profile);
    let sites = |name: &str| {
        let kind = profile.find_weight_kind(name)?;
        let weights = StackWeights::new(profile, kind);
        (weights.total() > 0.0).then(|| Sites::new(profile, groups, &classes, &weights))
    };
    let peak = sites("peak");
    let mut out = Vec::new();
    // Listed first: with a leak and a peak holder from the same cause, growth says the most.
    out.extend(growth(profile, peak.as_ref()));
    out.extend(leak(sites("leaked"), peak.as_ref()));
    let temporary = sites("temporary").or_else(|| sites("short-lived"));
    let allocations = sites("allocations");
    out.extend(allocation_rate(profile, allocations.as_ref()));
    out.extend(temporary_churn(temporary, allocations));
    out.extend(peak.as_ref().and_then(peak_holder));
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out
}

/// The program's own functions that allocate, by one weight, heaviest first: each stack's
/// weight goes to its innermost frame of the program's code (`grow_cache`, not the
/// `RawVec::finish_grow` or `format_inner` of the standard library below it), where a change
/// can be made.
struct Sites {
    total_weight: f64,
    functions: Vec<(String, f64)>,
}

impl Sites {
    fn new(
        profile: &Profile,
        groups: &FunctionGroups,
        classes: &FrameClasses,
        weights: &StackWeights,
    ) -> Self {
        let mut by_group: HashMap<GroupIndex, f64> = HashMap::new();
        for (stack, weight) in weights.nonzero() {
            let frames: Vec<_> = profile.stack_frames(stack).collect();
            let owner = frames
                .iter()
                .find(|&&f| is_owner(profile, classes, f))
                .or(frames.first());
            if let Some(frame) = owner {
                // An inlined frame's own group: the function the code is written in.
                *by_group.entry(groups.of(*frame)).or_default() += weight;
            }
        }
        let mut functions: Vec<(String, f64)> = by_group
            .into_iter()
            .map(|(g, w)| (groups.name(g).to_owned(), w))
            .collect();
        functions.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Self {
            total_weight: weights.total(),
            functions,
        }
    }

    fn top(&self) -> Option<&(String, f64)> {
        self.functions.first()
    }
}

/// Whether `frame` is a function of the program's own code, where an allocation can be
/// changed: a real (not inlined) frame of user code. Rust's standard library reaches here
/// with bare names when only line tables name it (`finish_grow<alloc::alloc::Global>`, from a
/// dhat-rs backtrace with shortened paths): a bare generic over the standard library's types
/// is taken as the library's own.
fn is_owner(profile: &Profile, classes: &FrameClasses, frame: FrameId) -> bool {
    if profile.frame(frame).is_inlined() || classes.as_user[frame.index()] != FrameClass::User {
        return false;
    }
    let name = profile.frame_label(frame);
    let (head, generics) = name.split_once('<').unwrap_or((&name, ""));
    let std_generic = !head.contains("::")
        && ["alloc::", "core::", "std::"]
            .iter()
            .any(|p| generics.contains(p));
    !std_generic
}

fn leak(leaked: Option<Sites>, peak: Option<&Sites>) -> Option<Finding> {
    let leaked = leaked?;
    let total = leaked.total_weight;
    let peak_total = peak.map_or(total, |p| p.total_weight).max(total);
    if total < LEAK_MIN_BYTES || total < LEAK_MIN_SHARE_OF_PEAK * peak_total {
        return None;
    }
    let (top, top_weight) = leaked.top()?;
    Some(Finding {
        hint: None,
        kind: FindingKind::MemoryLeak,
        score: (total / peak_total).min(1.0),
        summary: format!(
            "{} is never freed ({} of the peak heap); {} leaves {} of it",
            bytes(total),
            pct(total / peak_total),
            top,
            pct(top_weight / total)
        ),
        functions: names(&leaked),
        evidence: evidence(&leaked, "still live at exit"),
        advice: vec![
            format!("Free what {top} allocates when it is done with it, or give it an owner that does (a struct that drops it, a pool that is cleared)."),
            "Memory kept on purpose until exit (a global cache) is no leak; a leak grows with the run: compare two runs of different lengths (profview diff).".to_owned(),
        ],
    })
}

/// The run's length in seconds, where the profile's heap timeline has a clock.
fn run_seconds(profile: &Profile) -> Option<f64> {
    let timeline = profile.meta.heap_timeline.as_ref()?;
    let scale = match timeline.time_unit.as_str() {
        "ms" => 1e-3,
        "us" | "µs" => 1e-6,
        "s" => 1.0,
        _ => return None,
    };
    let last = timeline.points.last()?.0;
    (last > 0.0).then_some(last * scale)
}

fn allocation_rate(profile: &Profile, allocations: Option<&Sites>) -> Option<Finding> {
    let allocations = allocations?;
    let count = allocations.total_weight;
    let seconds = run_seconds(profile);
    let rate = seconds.map(|s| count / s);
    let excessive = match rate {
        Some(rate) => rate >= EXCESSIVE_MIN_RATE && count >= EXCESSIVE_MIN_COUNT / 10.0,
        None => count >= EXCESSIVE_MIN_COUNT,
    };
    if !excessive {
        return None;
    }
    let (top, top_count) = allocations.top()?;
    let per_second = rate.map_or(String::new(), |r| format!(", {} per second", thousands(r)));
    Some(Finding {
        hint: None,
        kind: FindingKind::ExcessiveAllocation,
        // Ten times the threshold rate (or count) is as strong as it gets.
        score: (rate.map_or(count / EXCESSIVE_MIN_COUNT, |r| r / EXCESSIVE_MIN_RATE) / 10.0)
            .min(1.0),
        summary: format!(
            "{} calls to allocation functions{per_second}; {} makes {} of them",
            thousands(count),
            top,
            pct(top_count / count)
        ),
        functions: names(allocations),
        evidence: evidence(allocations, "allocations"),
        advice: vec![
            format!("Each call costs tens of nanoseconds and more under contention: in {top}, reserve a collection's final size once (Vec::with_capacity, reserve), reuse buffers, and avoid cloning what can be borrowed."),
            "Many small objects of one kind allocate less from an arena or a pool (bumpalo, typed-arena, slab), or inline in their parent (SmallVec, Box<[T]> in place of Vec<Box<T>>).".to_owned(),
            "A faster allocator (mimalloc, jemalloc) lowers the cost of each call, not their number.".to_owned(),
        ],
    })
}

fn temporary_churn(temporary: Option<Sites>, allocations: Option<Sites>) -> Option<Finding> {
    let temporary = temporary?;
    let all = allocations.map_or(temporary.total_weight, |a| a.total_weight);
    let count = temporary.total_weight;
    if count < TEMPORARY_MIN_COUNT || count < TEMPORARY_MIN_SHARE * all {
        return None;
    }
    let (top, top_weight) = temporary.top()?;
    Some(Finding {
        hint: None,
        kind: FindingKind::TemporaryAllocations,
        score: (count / all).min(1.0),
        summary: format!(
            "{} of {} allocations are temporary (freed right away: {}); {} makes {} of them",
            thousands(count),
            thousands(all),
            pct(count / all),
            top,
            pct(top_weight / count)
        ),
        functions: names(&temporary),
        evidence: evidence(&temporary, "temporary allocations"),
        advice: vec![
            format!("Reuse one buffer in {top} instead of allocating per call: keep it across calls and clear it, or take a caller's buffer."),
            "A small fixed size can live on the stack (an array, SmallVec, a fixed-size String buffer).".to_owned(),
        ],
    })
}

/// How often the heap falls back from above 60% of its peak to below 40%.
fn returns_to_base(values: &[f64], peak: f64) -> usize {
    let mut high = false;
    let mut returns = 0;
    for &v in values {
        if v > 0.6 * peak {
            high = true;
        } else if v < 0.4 * peak && high {
            high = false;
            returns += 1;
        }
    }
    returns
}

fn growth(profile: &Profile, peak_sites: Option<&Sites>) -> Option<Finding> {
    let timeline = profile.meta.heap_timeline.as_ref()?;
    let values: Vec<f64> = timeline.points.iter().map(|p| p.1).collect();
    let n = values.len();
    if n < GROWTH_MIN_POINTS {
        return None;
    }
    let peak = values.iter().copied().fold(0.0, f64::max);
    let (from, to) = (n / 10, n * 9 / 10);
    let (start, end) = (values[from], values[to]);
    let middle = &values[from..=to];
    let rising =
        middle.windows(2).filter(|w| w[1] > w[0]).count() as f64 / (middle.len() - 1).max(1) as f64;
    let grows = end >= GROWTH_MIN_RATIO * start.max(1.0)
        && end >= 0.5 * peak
        && rising >= GROWTH_MIN_RISING_STEPS
        && returns_to_base(&values, peak) <= GROWTH_MAX_RETURNS;
    if !grows {
        return None;
    }
    let shape = GrowthShape::of(&timeline.points[from..=to]);
    let holder = peak_sites
        .and_then(Sites::top)
        .map(|(name, _)| name.clone());
    let holds = holder
        .as_ref()
        .map_or(String::new(), |h| format!("; {h} holds most of the peak"));
    let per = |rate: f64| rate_text(rate, &timeline.time_unit);
    let (how, shape_advice) = match shape {
        GrowthShape::Linear { rate } => (
            format!("grows linearly, about {}", per(rate)),
            "Linear growth is a fixed amount kept per unit of work: find what each request, item or iteration leaves behind (the sites below), and bound it.".to_owned(),
        ),
        GrowthShape::Accelerating { early, late } => (
            format!("grows faster and faster ({} in the first half, {} in the second)", per(early), per(late)),
            "Growth that speeds up means each step keeps more than the one before: a collection copied whole as it grows, a history that is scanned and extended, buffers that double and are all kept. It runs out of memory long before a linear leak.".to_owned(),
        ),
    };
    Some(Finding {
        hint: None,
        kind: FindingKind::MemoryGrowth,
        score: 1.0,
        summary: format!(
            "the heap {how}, and does not come back down: {} at 10% of the run, {} at 90%, rising in {} of the steps{holds}",
            bytes(start),
            bytes(end),
            pct(rising)
        ),
        functions: holder.into_iter().collect(),
        evidence: vec![
            Evidence {
                what: "heap at 10% of the run, of the peak".to_owned(),
                share: start / peak,
            },
            Evidence {
                what: "heap at 90% of the run, of the peak".to_owned(),
                share: end / peak,
            },
            Evidence {
                what: "steps in which the heap rose".to_owned(),
                share: rising,
            },
        ],
        advice: vec![
            "Memory that only grows is a leak in effect, even if it is freed at exit: bound the cache (evict, an LRU, a size limit) or drop what is done with as the run goes.".to_owned(),
            shape_advice,
            "Run it twice as long: if the peak doubles too, it grows without bound.".to_owned(),
        ],
    })
}

/// How a growing heap grows, from its `(time, bytes)` points over the middle of the run;
/// rates are bytes per unit of the timeline's time.
#[derive(Debug, Clone, Copy, PartialEq)]
enum GrowthShape {
    /// About the same rate throughout.
    Linear { rate: f64 },
    /// The second half rises [`GROWTH_ACCELERATING_RATIO`] times faster than the first.
    Accelerating { early: f64, late: f64 },
}

impl GrowthShape {
    fn of(points: &[(f64, f64)]) -> Self {
        let slope = |a: (f64, f64), b: (f64, f64)| (b.1 - a.1) / (b.0 - a.0).max(f64::MIN_POSITIVE);
        let (first, last) = (points[0], points[points.len() - 1]);
        let middle = points[points.len() / 2];
        let (early, late) = (slope(first, middle), slope(middle, last));
        if late > GROWTH_ACCELERATING_RATIO * early.max(0.0) {
            Self::Accelerating { early, late }
        } else {
            Self::Linear {
                rate: slope(first, last),
            }
        }
    }
}

/// A growth rate as a person reads it: per second when the timeline is in milliseconds.
fn rate_text(bytes_per_unit: f64, unit: &str) -> String {
    match unit {
        "ms" => format!("{} per second", bytes(bytes_per_unit * 1000.0)),
        "s" => format!("{} per second", bytes(bytes_per_unit)),
        "instructions" => format!("{} per million instructions", bytes(bytes_per_unit * 1e6)),
        "bytes allocated" => format!("{} per MiB allocated", bytes(bytes_per_unit * 1048576.0)),
        other => format!("{} per {other}", bytes(bytes_per_unit)),
    }
}

fn peak_holder(peak: &Sites) -> Option<Finding> {
    let total = peak.total_weight;
    let (top, top_weight) = peak.top()?;
    let share = top_weight / total;
    if share < PEAK_SITE_MIN_SHARE {
        return None;
    }
    Some(Finding {
        hint: None,
        kind: FindingKind::PeakDominated,
        score: share.min(1.0),
        summary: format!(
            "{} holds {} of the peak heap ({} of {})",
            top,
            pct(share),
            bytes(*top_weight),
            bytes(total)
        ),
        functions: vec![top.clone()],
        evidence: evidence(peak, "live at the peak"),
        advice: vec![
            format!("To lower the peak, hold less in {top} at once: stream or process in chunks, free before the next phase, or store it more compactly."),
            "A buffer grown by doubling may hold up to twice what it needs: reserve the size it will reach, or shrink it when done.".to_owned(),
        ],
    })
}

fn names(top: &Sites) -> Vec<String> {
    top.functions
        .iter()
        .take(EVIDENCE_SITES)
        .map(|(name, _)| name.clone())
        .collect()
}

fn evidence(top: &Sites, what: &str) -> Vec<Evidence> {
    top.functions
        .iter()
        .take(EVIDENCE_SITES)
        .map(|(name, weight)| Evidence {
            what: format!("{name} ({what})"),
            share: weight / top.total_weight,
        })
        .collect()
}

/// `share` (0-1) as a percentage with one decimal.
fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn points(f: impl Fn(f64) -> f64) -> Vec<(f64, f64)> {
        (0..=20)
            .map(|i| (f64::from(i) * 10.0, f(f64::from(i))))
            .collect()
    }

    #[test]
    fn a_straight_line_is_linear_and_a_parabola_accelerates() {
        let linear = GrowthShape::of(&points(|i| 1000.0 + 500.0 * i));
        assert_eq!(linear, GrowthShape::Linear { rate: 50.0 });
        match GrowthShape::of(&points(|i| 100.0 * i * i)) {
            GrowthShape::Accelerating { early, late } => assert!(late / early > 2.5),
            other => panic!("{other:?}"),
        }
    }
}
