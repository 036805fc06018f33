//! Diagnostics: problems with the data itself, which limit what the profile can say.

use std::collections::HashMap;

use profview_model::{Frame, FrameKind, Hint, ModuleId, Profile, WeightKindId};
use serde::Serialize;

use crate::breakdown::Breakdown;
use crate::StackWeights;

/// Below this many samples, shares are too coarse for the two decimals reports show.
pub const FEW_SAMPLES: u64 = 400;
/// Truncated DWARF stacks above this share of unwound samples get a diagnostic.
pub const TRUNCATED_MIN_SHARE: f64 = 0.05;
/// Samples whose user stack is one or two frames deep, above this share (in a profile that
/// has deeper stacks), point at code without frame pointers.
pub const SHALLOW_MIN_SHARE: f64 = 0.10;
/// A module's unresolved frames are named when they are on this share of the samples.
pub const UNRESOLVED_MIN_SHARE: f64 = 0.01;
/// An idle share above this is worth saying.
pub const IDLE_MIN_SHARE: f64 = 0.50;

/// The kinds of diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticKind {
    /// Too few samples for the precision shown.
    FewSamples,
    /// The recorder lost samples.
    LostSamples,
    /// DWARF unwinding stopped early in many samples.
    TruncatedStacks,
    /// No call graph was recorded.
    NoCallGraph,
    /// Frame-pointer stacks of one or two frames: code without frame pointers.
    MissingFramePointers,
    /// A module's code could not be named.
    MissingSymbols,
    /// Kernel addresses could not be named.
    UnresolvedKernel,
    /// The profile is mostly the idle loop.
    MostlyIdle,
}

/// A problem with the data, what it costs, and what fixes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    /// The kind of problem.
    pub kind: DiagnosticKind,
    /// The share of samples concerned (0-1), when it applies.
    pub share: Option<f64>,
    /// What is wrong and what to do, in one line.
    pub message: String,
    /// What the user can supply to fix it (a front end words it: the CLI names its flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<Hint>,
}

/// The diagnostics of weight kind `kind` that do not need the breakdown: all but
/// [`idle`], which comes after them, so that they can be made beside it.
pub(crate) fn of_the_data(
    profile: &Profile,
    kind: WeightKindId,
    weights: &StackWeights,
) -> Vec<Diagnostic> {
    let samples = profile.sample_count(kind);
    let mut out = Vec::new();
    // A heap profile's totals are exact: their precision does not depend on a count.
    if !profile.weight_kind(kind).unit.is_memory() {
        out.extend(few_samples(samples));
    }
    out.extend(lost_samples(profile, samples));
    out.extend(truncated_stacks(profile));
    // Heap profilers unwind with their own unwinder: a short stack is a short program.
    if !profile.weight_kind(kind).unit.is_memory() {
        out.extend(stack_depth(profile, weights));
    }
    out.extend(unresolved(profile, weights));
    out
}

fn few_samples(samples: u64) -> Option<Diagnostic> {
    if samples == 0 || samples >= FEW_SAMPLES {
        return None;
    }
    // The 95% interval of a share p from n samples is about ±2·sqrt(p(1-p)/n): ±1/sqrt(n) at
    // worst (p = 0.5).
    let points = 100.0 / (samples as f64).sqrt();
    Some(Diagnostic {
        hint: None,
        kind: DiagnosticKind::FewSamples,
        share: None,
        message: format!(
            "only {samples} samples: shares are accurate to about ±{points:.0} percentage points; record longer or at a higher frequency (-F)"
        ),
    })
}

fn lost_samples(profile: &Profile, samples: u64) -> Option<Diagnostic> {
    let lost = profile.meta.lost_samples;
    if lost == 0 {
        return None;
    }
    let share = lost as f64 / (lost + samples) as f64;
    Some(Diagnostic {
        hint: None,
        kind: DiagnosticKind::LostSamples,
        share: Some(share),
        message: format!(
            "perf lost {lost} samples ({:.1}%); the rest may be skewed. Record at a lower -F or with a larger buffer (-m)",
            share * 100.0
        ),
    })
}

fn truncated_stacks(profile: &Profile) -> Option<Diagnostic> {
    let (unwound, truncated) = (profile.meta.unwound_samples, profile.meta.truncated_unwinds);
    if unwound == 0 {
        return None;
    }
    let share = truncated as f64 / unwound as f64;
    (share >= TRUNCATED_MIN_SHARE).then(|| Diagnostic {
        hint: None,
        kind: DiagnosticKind::TruncatedStacks,
        share: Some(share),
        message: format!(
            "DWARF unwinding stopped before main / the thread start in {:.0}% of samples: callers are missing from those stacks; record with a larger stack copy (--call-graph dwarf,16384)",
            share * 100.0
        ),
    })
}

/// Real user frames on each stack: kernel frames and inlined frames (which share their
/// caller's address) left out.
fn user_depths(profile: &Profile) -> Vec<usize> {
    crate::paths::down_the_tree(
        profile,
        |f| {
            let frame = profile.frame(f);
            usize::from(frame.kind() != FrameKind::Kernel && !frame.is_inlined())
        },
        |parent, own| parent + own,
    )
}

fn stack_depth(profile: &Profile, weights: &StackWeights) -> Option<Diagnostic> {
    let mut total = 0.0;
    let mut shallow = 0.0;
    let mut shallow_leaves: HashMap<String, f64> = HashMap::new();
    let mut deepest = 0;
    let thread_root = usize::from(profile.meta.root_frame_is_thread);
    let depths = user_depths(profile);
    for (stack, w) in weights.nonzero() {
        let depth = depths[stack.index()].saturating_sub(thread_root);
        if depth == 0 {
            continue; // kernel threads
        }
        deepest = deepest.max(depth);
        total += w;
        if depth <= 2 {
            shallow += w;
            let leaf = profile
                .stack_frames(stack)
                .find(|f| profile.frame(*f).kind() != FrameKind::Kernel);
            // Name the module; folded stacks have none, so name the function.
            let place = leaf.map_or_else(String::new, |f| match profile.frame_module(f) {
                Some(m) => profile.module_name(m).to_owned(),
                None => profile.frame_label(f),
            });
            *shallow_leaves.entry(place).or_default() += w;
        }
    }
    if total == 0.0 {
        return None;
    }
    let recorded = profile.meta.stacks_recorded;
    if recorded == Some(false) || (recorded.is_none() && deepest <= 1) {
        return Some(Diagnostic {
            hint: None,
            kind: DiagnosticKind::NoCallGraph,
            share: Some(1.0),
            message: "no call graph: every stack is a single frame, so there are no callers or total times; record with --call-graph fp (or dwarf, for code without frame pointers)".to_owned(),
        });
    }
    let share = shallow / total;
    let has_deeper_stacks = deepest > 2 || recorded == Some(true);
    if share < SHALLOW_MIN_SHARE || !has_deeper_stacks || profile.meta.unwound_samples > 0 {
        return None;
    }
    let mut leaves: Vec<_> = shallow_leaves.into_iter().collect();
    leaves.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let names: Vec<&str> = leaves.iter().take(3).map(|(m, _)| m.as_str()).collect();
    let more = match leaves.len() - names.len() {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    Some(Diagnostic {
        hint: None,
        kind: DiagnosticKind::MissingFramePointers,
        share: Some(share),
        message: format!(
            "{:.0}% of samples have user stacks of only one or two frames (leaf in {}{more}): that code probably lacks frame pointers, so its callers are lost. Rebuild with -fno-omit-frame-pointer (C/C++) or -C force-frame-pointers=yes (Rust), or record with --call-graph dwarf",
            share * 100.0,
            names.join(", ")
        ),
    })
}

fn unresolved(profile: &Profile, weights: &StackWeights) -> Vec<Diagnostic> {
    let mut per_module: HashMap<Option<ModuleId>, f64> = HashMap::new();
    let mut kernel = 0.0;
    let total = weights.total();
    if total <= 0.0 {
        return Vec::new();
    }
    // Keys: 0 for unnamed code in no module, 1 + the module's index, and one for the kernel;
    // each stack counts once per key.
    let kernel_key = profile.modules().len() + 1;
    let sums = weights
        .path_sums(profile)
        .once_per_stack(kernel_key + 1, |f| match profile.frame(f) {
            Frame::Unresolved(u) if u.kind == FrameKind::Kernel => Some(kernel_key),
            Frame::Unresolved(u) => Some(u.module.map_or(0, |m| m.index() + 1)),
            Frame::Resolved(_) => None,
        });
    for (key, &w) in sums.iter().enumerate().take(kernel_key) {
        if w != 0.0 {
            let module = key.checked_sub(1).map(ModuleId::from_index);
            *per_module.entry(module).or_default() += w;
        }
    }
    kernel += sums[kernel_key];
    let mut modules: Vec<_> = per_module
        .into_iter()
        .filter(|(_, w)| w / total >= UNRESOLVED_MIN_SHARE)
        .collect();
    modules.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut out: Vec<Diagnostic> = modules
        .into_iter()
        .map(|(m, w)| {
            let share = w / total;
            let advice = m.map(|m| symbol_advice(profile, m));
            let message = match (m, &advice) {
                (Some(m), Some((advice, _))) => format!(
                    "{:.0}% of samples have frames in {} that could not be named: {advice}",
                    share * 100.0,
                    profile.module_name(m),
                ),
                _ => format!(
                    "{:.0}% of samples have frames outside any known mapping (JIT code, or a damaged stack)",
                    share * 100.0
                ),
            };
            Diagnostic {
                kind: DiagnosticKind::MissingSymbols,
                share: Some(share),
                message,
                hint: advice.map(|(_, hint)| hint),
            }
        })
        .collect();
    if kernel / total >= UNRESOLVED_MIN_SHARE {
        out.push(Diagnostic {
            kind: DiagnosticKind::UnresolvedKernel,
            share: Some(kernel / total),
            message: format!(
                "{:.0}% of samples have kernel frames without names: the kernel's symbol table of the recording machine is needed",
                kernel / total * 100.0
            ),
            hint: Some(Hint::Kallsyms),
        });
    }
    out
}

/// What to do so that module `m`'s code gets names, and what the user can supply for it.
pub(crate) fn symbol_advice(profile: &Profile, m: ModuleId) -> (String, Hint) {
    let name = profile.module_name(m);
    let path = profile.string(profile.module(m).path);
    if name == "[vdso]" {
        let advice = "the recording's vDSO image was not found: perf record keeps it in ~/.debug/[vdso]/BUILDID/vdso on the recording machine";
        return (advice.to_owned(), Hint::BuildIdCache);
    }
    let package = if name.starts_with("libc.so") || name.starts_with("ld-linux") {
        "libc6-dbg".to_owned()
    } else if name.starts_with("libstdc++") {
        "libstdc++6-dbgsym".to_owned()
    } else if ["/usr/", "/lib"].iter().any(|p| path.starts_with(p)) {
        format!("the -dbgsym package of the one that ships it: `dpkg -S {path}` names it")
    } else {
        // Not from a package: the user's own build, stripped.
        let advice = "build it without stripping (keep the symbol table; -g adds source lines), or supply the unstripped binary";
        return (advice.to_owned(), Hint::Binary);
    };
    (
        format!("install its debug symbols ({package}), or supply the unstripped binary it was built as"),
        Hint::Binary,
    )
}

pub(crate) fn idle(breakdown: &Breakdown) -> Option<Diagnostic> {
    let all = breakdown.idle + breakdown.busy;
    if all <= 0.0 {
        return None;
    }
    let share = breakdown.idle / all;
    (share >= IDLE_MIN_SHARE).then(|| Diagnostic {
        hint: None,
        kind: DiagnosticKind::MostlyIdle,
        share: Some(share),
        message: format!(
            "{:.0}% of samples are the kernel's idle loop: the program was mostly waiting, not computing. Record off-CPU time (-e sched:sched_switch) to see what it waited for",
            share * 100.0
        ),
    })
}
