//! Findings about heap profiles (DHAT, heaptrack, massif): what holds the peak, what is never
//! freed, which sites allocate only to free at once. They read the profile's memory weight
//! kinds by name (`peak`, `leaked`, `allocations`, `temporary`, `short-lived`), whichever of
//! them the format has, and rank sites as the function tables do (a site is the function that
//! called the allocator, inlined code counted in the function that holds it).

use std::collections::HashMap;

use profview_model::{FrameId, Profile};

use crate::category::FrameClass;
use crate::findings::{Evidence, Finding, FindingKind, FrameClasses};
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
    out.extend(leak(sites("leaked"), peak.as_ref()));
    let temporary = sites("temporary").or_else(|| sites("short-lived"));
    out.extend(temporary_churn(temporary, sites("allocations")));
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

fn temporary_churn(temporary: Option<Sites>, allocations: Option<Sites>) -> Option<Finding> {
    let temporary = temporary?;
    let all = allocations.map_or(temporary.total_weight, |a| a.total_weight);
    let count = temporary.total_weight;
    if count < TEMPORARY_MIN_COUNT || count < TEMPORARY_MIN_SHARE * all {
        return None;
    }
    let (top, top_weight) = temporary.top()?;
    Some(Finding {
        kind: FindingKind::TemporaryAllocations,
        score: (count / all).min(1.0),
        summary: format!(
            "{} of {} allocations are temporary (freed right away: {}); {} makes {} of them",
            count,
            all,
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

fn peak_holder(peak: &Sites) -> Option<Finding> {
    let total = peak.total_weight;
    let (top, top_weight) = peak.top()?;
    let share = top_weight / total;
    if share < PEAK_SITE_MIN_SHARE {
        return None;
    }
    Some(Finding {
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

/// Bytes in binary units: `97.7 KiB`.
fn bytes(n: f64) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = n;
    let mut i = 0;
    while value >= 1024.0 && i + 1 < units.len() {
        value /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{value} B")
    } else {
        format!("{value:.1} {}", units[i])
    }
}
