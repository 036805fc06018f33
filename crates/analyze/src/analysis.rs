//! The analysis of one weight of a profile: the breakdown, the diagnostics and the findings,
//! strongest first (the rules are in `rules`, the memory findings in `memory`, the phases in
//! `timeline`).

use profview_model::{Profile, WeightKindId, WeightUnit, OFF_CPU_EVENT};
use serde::Serialize;

use crate::breakdown::*;
use crate::category::{Category, Language};
use crate::findings::*;
use crate::rules::*;
use crate::{FunctionGroups, StackWeights};

/// Everything `analyze` says about a profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Analysis {
    /// Patterns, strongest first; the first is the primary one.
    pub findings: Vec<Finding>,
    /// Problems with the data itself.
    pub diagnostics: Vec<crate::Diagnostic>,
    /// Where the busy time goes, by category, largest first (shares 0-1).
    pub breakdown: Vec<CategoryShare>,
}

/// One category's share of the busy time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryShare {
    /// The category.
    pub category: Category,
    /// Its share of the busy weight, 0-1.
    pub share: f64,
}

impl Analysis {
    /// Analyze weight kind `kind` of `profile` (with the `phases` finding when its samples
    /// have times).
    pub fn new(profile: &Profile, kind: WeightKindId) -> Self {
        let weights = StackWeights::new(profile, kind);
        let groups = FunctionGroups::new(profile);
        Self::from_parts(profile, kind, &weights, &groups).with_phases(profile, kind)
    }

    /// Add the `phases` finding when the run of `kind` changes what it does over time (its
    /// samples need times; not for memory weights). [`Analysis::from_parts`] does not: its
    /// weights may be of a part of the run.
    pub fn with_phases(mut self, profile: &Profile, kind: WeightKindId) -> Self {
        let memory = profile.weight_kind(kind).unit.is_memory();
        if memory || profile.sample_count(kind) < MIN_SAMPLES {
            return self;
        }
        let timeline = crate::Timeline::new(profile, kind, crate::timeline::FINDING_BUCKETS);
        if let Some(finding) = timeline.and_then(|t| t.phases_finding()) {
            self.findings.push(finding);
            self.findings.sort_by(|a, b| b.score.total_cmp(&a.score));
        }
        self
    }

    /// As [`Analysis::new`], from the weights (of `kind`) and groups a caller already has.
    pub fn from_parts(
        profile: &Profile,
        kind: WeightKindId,
        weights: &StackWeights,
        groups: &FunctionGroups,
    ) -> Self {
        // The diagnostics read the stacks apart from the breakdown: one on each core.
        let (breakdown, mut diagnostics) = std::thread::scope(|scope| {
            let diagnostics =
                scope.spawn(|| crate::diagnostics::of_the_data(profile, kind, weights));
            let breakdown = Breakdown::new(profile, weights, groups);
            let diagnostics = diagnostics
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            (breakdown, diagnostics)
        });
        diagnostics.extend(crate::diagnostics::idle(&breakdown));
        let samples = profile.sample_count(kind);
        let mut findings = Vec::new();
        // These findings speak of time; memory weights get the memory findings instead.
        let memory = profile.weight_kind(kind).unit.is_memory();
        if memory {
            findings = crate::memory::memory_findings(profile, groups);
        }
        let enough = samples >= MIN_SAMPLES && breakdown.busy > 0.0 && !memory;
        let idle = breakdown.idle / (breakdown.idle + breakdown.busy).max(f64::MIN_POSITIVE);
        if enough && idle < MAX_IDLE_SHARE {
            let ctx = Context {
                profile,
                language: Language::of_profile(profile),
                weights,
                groups,
                breakdown: &breakdown,
            };
            findings.extend(ctx.hotspot());
            findings.extend(ctx.distributed());
            findings.extend(ctx.shared_helper());
            findings.extend(ctx.categories());
            findings.extend(ctx.small_tasks());
            add_blocked_lock_time(&mut findings, profile, kind, groups, &breakdown);
        }
        findings.sort_by(|a, b| b.score.total_cmp(&a.score));
        let mut shares: Vec<CategoryShare> = breakdown
            .categories
            .keys()
            .map(|&category| CategoryShare {
                category,
                share: breakdown.share(category),
            })
            .collect();
        shares.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then(a.category.cmp(&b.category))
        });
        Self {
            findings,
            diagnostics,
            breakdown: shares,
        }
    }

    /// The strongest finding.
    pub fn primary(&self) -> Option<&Finding> {
        self.findings.first()
    }
}

/// When the file also holds off-CPU time and `kind` is on-CPU time, the time threads spent
/// blocked in lock waits belongs to lock contention too: add it to the lock finding's evidence,
/// or make the finding when locks take [`LOCK_MIN_SHARE`] of the on- plus off-CPU time.
fn add_blocked_lock_time(
    findings: &mut Vec<Finding>,
    profile: &Profile,
    kind: WeightKindId,
    groups: &FunctionGroups,
    on_cpu: &Breakdown,
) {
    let Some(off) = profile.find_weight_kind(OFF_CPU_EVENT) else {
        return;
    };
    if off == kind || profile.weight_kind(kind).unit != WeightUnit::Nanoseconds {
        return;
    }
    let blocked = Breakdown::new(profile, &StackWeights::new(profile, off), groups);
    let locked_weight = |b: &Breakdown| b.categories.get(&Category::Lock).copied().unwrap_or(0.0);
    let blocked_in_locks = locked_weight(&blocked);
    if blocked_in_locks <= 0.0 {
        return;
    }
    let wall = on_cpu.busy + blocked.busy + blocked.idle;
    let share = (locked_weight(on_cpu) + blocked_in_locks) / wall;
    let evidence = Evidence {
        what: format!(
            "blocked off-CPU in lock waits: {:.1} ms, {} of the off-CPU time",
            blocked_in_locks / 1e6,
            pct(blocked.fraction(blocked_in_locks))
        ),
        share: blocked_in_locks / wall,
    };
    if let Some(f) = findings
        .iter_mut()
        .find(|f| f.kind == FindingKind::LockContention)
    {
        f.evidence.push(evidence);
        f.score = f.score.max(share.min(1.0));
    } else if share >= LOCK_MIN_SHARE {
        let advice = CATEGORY_RULES
            .iter()
            .find(|r| r.category == Category::Lock)
            .map_or(&[][..], |r| r.advice);
        findings.push(Finding {
            hint: None,
            kind: FindingKind::LockContention,
            score: share.min(1.0),
            summary: format!(
                "{} of the on- and off-CPU time is in locks, {:.1} ms of it blocked off-CPU",
                pct(share),
                blocked_in_locks / 1e6
            ),
            functions: Vec::new(),
            evidence: vec![evidence],
            // Lock advice is the same in every language.
            advice: advice.iter().map(|(_, a)| (*a).to_owned()).collect(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::{FrameKind, ModuleId, Sample, StackId, ThreadId, WeightUnit};

    fn kernel_module(p: &mut Profile) -> ModuleId {
        let path = p.intern_string("[kernel.kallsyms]");
        p.intern_module(profview_model::Module {
            path,
            build_id: None,
            address_range: None,
            relative_addresses: false,
        })
    }

    /// The stack of `names` (root first; `k:` marks frames of the kernel module).
    fn stack_of(p: &mut Profile, kernel: ModuleId, names: &[&str]) -> StackId {
        let frames: Vec<_> = names
            .iter()
            .map(|n| match n.strip_prefix("k:") {
                Some(k) => p.resolved_frame(k, Some(kernel), FrameKind::Kernel),
                None => p.resolved_frame(n, None::<ModuleId>, FrameKind::User),
            })
            .collect();
        p.intern_stack_path(&frames)
    }

    /// A profile with `count` samples of each stack (root first; `k:` marks kernel frames).
    fn profile(stacks: &[(&[&str], u32)]) -> (Profile, WeightKindId) {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        let kernel = kernel_module(&mut p);
        for (names, count) in stacks {
            let stack = stack_of(&mut p, kernel, names);
            add_samples(&mut p, (thread, kind), stack, *count);
        }
        (p, kind)
    }

    /// `count` samples of weight 1 on `stack`.
    fn add_samples(
        p: &mut Profile,
        (thread, kind): (ThreadId, WeightKindId),
        stack: StackId,
        count: u32,
    ) {
        for _ in 0..count {
            p.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight: 1.0,
            });
        }
    }

    fn kinds(stacks: &[(&[&str], u32)]) -> Vec<FindingKind> {
        let (p, kind) = profile(stacks);
        Analysis::new(&p, kind)
            .findings
            .iter()
            .map(|f| f.kind)
            .collect()
    }

    #[test]
    fn a_hotspot_needs_its_share_and_its_lead() {
        // 31% vs 23%: lead 1.35.
        let found = kinds(&[
            (&["main", "a"], 31),
            (&["main", "b"], 23),
            (&["main", "c"], 23),
            (&["main", "d"], 23),
        ]);
        assert_eq!(found.first(), Some(&FindingKind::SingleHotspot));
        // 29%: below the share.
        let found = kinds(&[
            (&["main", "a"], 29),
            (&["main", "b"], 24),
            (&["main", "c"], 24),
            (&["main", "d"], 23),
        ]);
        assert!(!found.contains(&FindingKind::SingleHotspot), "{found:?}");
        // 40% vs 35%: two hot spots, not one.
        let found = kinds(&[
            (&["main", "a"], 40),
            (&["main", "b"], 35),
            (&["main", "c"], 25),
        ]);
        assert!(!found.contains(&FindingKind::SingleHotspot), "{found:?}");
    }

    /// A thread's closure and what it calls, inlined into std's thread start: the hotspot is
    /// the start function (it holds the code, as perf report says), and the note names the
    /// program's function inside it, not the std code inlined into that function.
    #[test]
    fn a_hotspot_in_std_glue_names_the_program_s_code_inlined_into_it() {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        let frame = |p: &mut Profile, name: &str, file: &str, depth: u16| {
            let name = p.intern_string(name);
            let function = p.intern_function(profview_model::Function { name, module: None });
            let file = p.intern_string(file);
            p.intern_frame(profview_model::Frame::Resolved(
                profview_model::ResolvedFrame {
                    function,
                    file: Some(file),
                    line: Some(8),
                    inline_depth: depth,
                    kind: FrameKind::User,
                    address: None,
                },
            ))
        };
        let std_file = "/rustc/abc/library/std/src/sys/backtrace.rs";
        let start = frame(&mut p, "start_thread", "pthread_create.c", 0);
        let glue = frame(
            &mut p,
            "std::sys::backtrace::__rust_begin_short_backtrace",
            std_file,
            0,
        );
        let work = frame(&mut p, "app::work", "/home/me/app/src/main.rs", 1);
        let add = frame(
            &mut p,
            "<u64>::wrapping_add",
            "/rustc/abc/library/core/src/num/uint_macros.rs",
            2,
        );
        let other = frame(&mut p, "app::other", "/home/me/app/src/main.rs", 0);
        for (frames, count) in [(vec![start, glue, work, add], 90), (vec![start, other], 10)] {
            let stack = p.intern_stack_path(&frames);
            add_samples(&mut p, (thread, kind), stack, count);
        }
        let analysis = Analysis::new(&p, kind);
        let first = analysis.primary().expect("a finding");
        assert_eq!(first.kind, FindingKind::SingleHotspot);
        assert!(
            first
                .summary
                .starts_with("std::sys::backtrace::__rust_begin_short_backtrace takes")
                && first.summary.contains("in inlined app::work at main.rs:8"),
            "{}",
            first.summary
        );
        assert!(
            first.advice[0].starts_with(
                "Optimize app::work (inlined into std::sys::backtrace::__rust_begin_short_backtrace)"
            ) && first.advice[1].starts_with("Start at main.rs:8"),
            "{:?}",
            first.advice
        );
    }

    #[test]
    fn even_user_code_is_distributed_cost_with_its_common_caller() {
        let (p, kind) = profile(&[
            (&["main", "run", "a"], 20),
            (&["main", "run", "b"], 20),
            (&["main", "run", "c"], 20),
            (&["main", "run", "d"], 20),
            (&["main", "run", "e"], 20),
        ]);
        let analysis = Analysis::new(&p, kind);
        let first = analysis.primary().expect("a finding");
        assert_eq!(first.kind, FindingKind::DistributedCost);
        assert!(first.evidence.iter().any(|e| e.what.starts_with("run ")));
        // The caller is one of the hot functions itself, under the C entry points: it is
        // named, not the entry point above everything.
        let (p, kind) = profile(&[
            (&["__libc_start_call_main", "main"], 22),
            (&["__libc_start_call_main", "main", "a"], 19),
            (&["__libc_start_call_main", "main", "b"], 19),
            (&["__libc_start_call_main", "main", "c"], 18),
            (&["__libc_start_call_main", "main", "d"], 17),
            (&["__libc_start_call_main", "e"], 5),
        ]);
        let analysis = Analysis::new(&p, kind);
        let first = analysis.primary().expect("a finding");
        assert_eq!(first.kind, FindingKind::DistributedCost);
        let callers: Vec<&str> = first
            .evidence
            .iter()
            .filter(|e| e.what.ends_with("(common caller, total)"))
            .map(|e| e.what.as_str())
            .collect();
        assert_eq!(callers, ["main (common caller, total)"], "{first:?}");
        // Two functions cover half: not distributed.
        let found = kinds(&[
            (&["main", "a"], 26),
            (&["main", "b"], 26),
            (&["main", "c"], 48),
        ]);
        assert!(!found.contains(&FindingKind::DistributedCost), "{found:?}");
    }

    /// On-CPU time in `work` only, plus `blocked_ms` of off-CPU time in a mutex wait and 10 ms
    /// asleep.
    fn with_off_cpu(blocked_ms: f64) -> Analysis {
        let mut p = Profile::new();
        let on = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
        let off = p.add_weight_kind(OFF_CPU_EVENT, WeightUnit::Nanoseconds);
        let thread = p.add_thread(None, None, None);
        let kernel = kernel_module(&mut p);
        let add = |p: &mut Profile, names: &[&str], kind, weight| {
            let stack = stack_of(p, kernel, names);
            p.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight,
            });
        };
        for _ in 0..100 {
            add(&mut p, &["main", "worker", "work"], on, 1e6);
        }
        let lock_wait = [
            "main",
            "worker",
            "pthread_mutex_lock",
            "__GI___lll_lock_wait",
            "k:futex_wait",
            "k:schedule",
        ];
        add(&mut p, &lock_wait, off, blocked_ms * 1e6);
        add(
            &mut p,
            &["main", "worker", "k:hrtimer_nanosleep", "k:schedule"],
            off,
            10e6,
        );
        Analysis::new(&p, on)
    }

    #[test]
    fn off_cpu_lock_waits_make_lock_contention() {
        let found = with_off_cpu(60.0);
        let lock = found
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::LockContention)
            .expect("60 ms blocked of 170 ms is lock contention");
        assert!((lock.score - 60.0 / 170.0).abs() < 1e-9, "{}", lock.score);
        assert!(
            lock.evidence[0].what.contains("60.0 ms"),
            "{:?}",
            lock.evidence
        );
        // 20 of 130 ms (15%) stays below the threshold.
        let few = with_off_cpu(20.0);
        assert!(few
            .findings
            .iter()
            .all(|f| f.kind != FindingKind::LockContention));
    }

    #[test]
    fn lock_time_is_the_outermost_lock_frame_under_user_code() {
        let lock: &[&str] = &[
            "main",
            "worker",
            "pthread_mutex_lock@@GLIBC_2.2.5",
            "__GI___lll_lock_wait",
            "k:futex_wait",
            "k:schedule",
        ];
        let (p, kind) = profile(&[(lock, 21), (&["main", "worker", "work"], 79)]);
        let analysis = Analysis::new(&p, kind);
        let lock_finding = analysis
            .findings
            .iter()
            .find(|f| f.kind == FindingKind::LockContention)
            .expect("21% locking is a finding");
        assert!((lock_finding.score - 0.21).abs() < 1e-9);
        assert!(lock_finding
            .evidence
            .iter()
            .any(|e| e.what == "called from worker"));
        let found = kinds(&[(lock, 19), (&["main", "worker", "work"], 81)]);
        assert!(!found.contains(&FindingKind::LockContention), "{found:?}");
    }

    #[test]
    fn allocations_inside_a_runtime_are_runtime_overhead() {
        let found = kinds(&[
            (
                &[
                    "start_thread",
                    "rayon_core::registry::main_loop",
                    "rayon_core::join::join_context",
                    "malloc",
                    "_int_malloc",
                ],
                60,
            ),
            (
                &[
                    "start_thread",
                    "rayon_core::registry::main_loop",
                    "crossbeam_deque::deque::Stealer<T>::steal",
                ],
                30,
            ),
            (
                &[
                    "start_thread",
                    "rayon_core::registry::main_loop",
                    "app::work",
                ],
                10,
            ),
        ]);
        assert_eq!(found.first(), Some(&FindingKind::FrameworkOverhead));
        assert!(
            !found.contains(&FindingKind::ExcessiveAllocation),
            "{found:?}"
        );
        let found = kinds(&[
            (&["main", "app::fill", "malloc", "_int_malloc"], 60),
            (&["main", "app::fill"], 40),
        ]);
        assert_eq!(found.first(), Some(&FindingKind::ExcessiveAllocation));
    }

    #[test]
    fn idle_and_tiny_profiles_get_no_invented_findings() {
        let found = kinds(&[(&["k:do_idle", "k:default_idle"], 95), (&["main", "a"], 5)]);
        assert!(found.is_empty(), "{found:?}");
        let found = kinds(&[(&["main", "a"], 20)]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn kernel_time_needs_a_majority() {
        let syscall: &[&str] = &["main", "copy_file", "read", "k:vfs_read", "k:copy_page"];
        let found = kinds(&[(syscall, 51), (&["main", "copy_file"], 49)]);
        assert!(found.contains(&FindingKind::KernelDominated), "{found:?}");
        let found = kinds(&[(syscall, 49), (&["main", "copy_file"], 51)]);
        assert!(!found.contains(&FindingKind::KernelDominated), "{found:?}");
    }

    fn advice_of(stacks: &[(&[&str], u32)], kind: FindingKind) -> Vec<String> {
        let (p, weight) = profile(stacks);
        let analysis = Analysis::new(&p, weight);
        let finding = analysis.findings.iter().find(|f| f.kind == kind);
        finding.expect("the finding").advice.clone()
    }

    #[test]
    fn advice_speaks_the_language_of_the_program() {
        let c = advice_of(
            &[(&["main", "parse", "malloc"], 60), (&["main", "parse"], 40)],
            FindingKind::ExcessiveAllocation,
        );
        assert!(
            c.iter().any(|a| a.contains("one malloc for an array")),
            "{c:?}"
        );
        assert!(!c.iter().any(|a| a.contains("Vec::")), "{c:?}");
        let rust = advice_of(
            &[
                (
                    &[
                        "main",
                        "app::parse",
                        "alloc::raw_vec::finish_grow",
                        "malloc",
                    ],
                    60,
                ),
                (&["main", "app::parse"], 40),
            ],
            FindingKind::ExcessiveAllocation,
        );
        assert!(
            rust.iter().any(|a| a.contains("Vec::with_capacity")),
            "{rust:?}"
        );
        let cpp = advice_of(
            &[
                (&["main", "app::parse", "operator new", "malloc"], 60),
                (&["main", "std::sort<int*>"], 40),
            ],
            FindingKind::ExcessiveAllocation,
        );
        assert!(
            cpp.iter().any(|a| a.contains("std::vector::reserve")),
            "{cpp:?}"
        );
    }

    #[test]
    fn an_interpreter_is_the_runtime_and_its_advice_is_how_to_see_the_script() {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        let path = p.intern_string("/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0");
        let python = p.intern_module(profview_model::Module {
            path,
            build_id: None,
            address_range: None,
            relative_addresses: false,
        });
        let frames = [
            p.resolved_frame("main", None::<ModuleId>, FrameKind::User),
            p.resolved_frame("Py_RunMain", Some(python), FrameKind::User),
            p.resolved_frame("_PyEval_EvalFrameDefault", Some(python), FrameKind::User),
        ];
        let stack = p.intern_stack_path(&frames);
        add_samples(&mut p, (thread, kind), stack, 100);
        let analysis = Analysis::new(&p, kind);
        let f = &analysis.findings[0];
        assert_eq!(f.kind, FindingKind::FrameworkOverhead);
        assert!(f.summary.contains("Python interpreter"), "{}", f.summary);
        assert!(
            f.advice.iter().any(|a| a.contains("python -X perf")),
            "{:?}",
            f.advice
        );
        assert!(
            !f.advice.iter().any(|a| a.contains("rayon")),
            "{:?}",
            f.advice
        );
    }
}
