//! Automatic findings: what shape a profile has, the evidence, and what to try.
//!
//! Every sample's time is attributed to one [`Category`]: walking from the leaf towards the
//! root, the sample belongs to the outermost categorized frame below the first user-code frame
//! (user code -> `pthread_mutex_lock` -> futex -> kernel is locking; user code -> `rayon::join`
//! -> ... -> `malloc` is the runtime; a leaf in user code is user code). That user frame is the
//! *caller* named in the evidence. The rules then compare shares with the thresholds below;
//! their reasoning is in docs/findings.md.

use std::collections::HashMap;

use profview_model::{
    Frame, FrameId, ModuleId, Profile, StackId, WeightKindId, WeightUnit, OFF_CPU_EVENT,
};
use serde::Serialize;

use crate::category::{
    classify, interpreter_of_module, is_kernel_entry, is_spawn, Category, FrameClass, Language,
};
use crate::{FunctionGroups, GroupIndex, StackWeights};

/// Fewer samples than this give no findings: a share of 1/30 is already 3 points.
pub const MIN_SAMPLES: u64 = 30;
/// A profile this idle (kernel idle loop) is not analyzed for patterns.
pub const MAX_IDLE_SHARE: f64 = 0.90;
/// The top function's self share from which it is a hotspot...
pub const HOTSPOT_MIN_SHARE: f64 = 0.30;
/// ...provided it leads the runner-up by this factor (otherwise there are two hot spots).
pub const HOTSPOT_MIN_LEAD: f64 = 1.3;
/// ...and at least this part of its self time is its own code, not allocator, lock or runtime
/// code inlined into it (that is the category findings' evidence).
pub const HOTSPOT_MIN_OWN_SHARE: f64 = 0.5;
/// A helper inlined into this many hot functions or more...
pub const SHARED_HELPER_MIN_FUNCTIONS: usize = 2;
/// ...holding at least this part of each one's self time...
pub const SHARED_HELPER_MIN_PART: f64 = 0.5;
/// ...and this share of the busy time in all of them together is one finding.
pub const SHARED_HELPER_MIN_SHARE: f64 = 0.3;
/// Distributed cost: no function above this self share...
pub const DISTRIBUTED_MAX_TOP_SHARE: f64 = 0.30;
/// ...at least this many functions needed to cover half of the time...
pub const DISTRIBUTED_MIN_FUNCTIONS: usize = 3;
/// ...and most of the time in user code (otherwise a category explains it better).
pub const DISTRIBUTED_MIN_USER_SHARE: f64 = 0.50;
/// Share of the busy time from which a category is a finding.
pub const LOCK_MIN_SHARE: f64 = 0.20;
/// See [`LOCK_MIN_SHARE`].
pub const ALLOCATION_MIN_SHARE: f64 = 0.20;
/// See [`LOCK_MIN_SHARE`].
pub const RUNTIME_MIN_SHARE: f64 = 0.25;
/// See [`LOCK_MIN_SHARE`].
pub const MEMORY_COPY_MIN_SHARE: f64 = 0.15;
/// See [`LOCK_MIN_SHARE`]: the kernel is part of every program, so only a majority counts.
pub const KERNEL_MIN_SHARE: f64 = 0.50;
/// See [`LOCK_MIN_SHARE`].
pub const FORMATTING_MIN_SHARE: f64 = 0.15;
/// See [`LOCK_MIN_SHARE`].
pub const SERIALIZATION_MIN_SHARE: f64 = 0.20;
/// Share of the busy time with thread / task creation frames on the stack.
pub const SPAWN_MIN_SHARE: f64 = 0.15;
/// How many callers or functions an evidence list names.
const EVIDENCE_ITEMS: usize = 5;

/// The kinds of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// One function dominates self time.
    SingleHotspot,
    /// No function stands out.
    DistributedCost,
    /// Much time in a task runtime or work-stealing pool.
    FrameworkOverhead,
    /// Much time taking, releasing or waiting for locks.
    LockContention,
    /// Much time in the allocator.
    ExcessiveAllocation,
    /// Much time copying memory.
    MemoryCopy,
    /// Most time in the kernel.
    KernelDominated,
    /// Much time creating threads or tasks.
    SmallTaskOverhead,
    /// Much time formatting strings.
    StringFormatting,
    /// Much time (de)serializing.
    Serialization,
    /// Several hot functions spend most of their time in one helper inlined into each.
    SharedInlinedHelper,
    /// Heap profiles: bytes still allocated at exit.
    MemoryLeak,
    /// Heap profiles: many allocations freed right after they are made.
    TemporaryAllocations,
    /// Heap profiles: one site holds most of the peak heap.
    PeakDominated,
    /// Heap profiles: the heap keeps growing through the run.
    MemoryGrowth,
    /// The run changes what it does over time (start-up, then the work...).
    Phases,
}

impl FindingKind {
    /// The name used in JSON and text.
    pub fn name(self) -> &'static str {
        match self {
            FindingKind::SingleHotspot => "single_hotspot",
            FindingKind::DistributedCost => "distributed_cost",
            FindingKind::FrameworkOverhead => "framework_overhead",
            FindingKind::LockContention => "lock_contention",
            FindingKind::ExcessiveAllocation => "excessive_allocation",
            FindingKind::MemoryCopy => "memory_copy",
            FindingKind::KernelDominated => "kernel_dominated",
            FindingKind::SmallTaskOverhead => "small_task_overhead",
            FindingKind::StringFormatting => "string_formatting",
            FindingKind::Serialization => "serialization",
            FindingKind::SharedInlinedHelper => "shared_inlined_helper",
            FindingKind::MemoryLeak => "memory_leak",
            FindingKind::TemporaryAllocations => "temporary_allocations",
            FindingKind::PeakDominated => "peak_dominated",
            FindingKind::MemoryGrowth => "memory_growth",
            FindingKind::Phases => "phases",
        }
    }
}

/// One item of evidence: something and its share of the busy time.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    /// What: a function, a caller, a file:line, a category.
    pub what: String,
    /// Its share of the busy (non-idle) weight, 0-1.
    pub share: f64,
}

/// A pattern found in the profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// The kind of pattern.
    pub kind: FindingKind,
    /// How strongly it holds, 0-1; findings are sorted by it.
    pub score: f64,
    /// One line with the numbers.
    pub summary: String,
    /// The functions involved.
    pub functions: Vec<String>,
    /// The shares that triggered it.
    pub evidence: Vec<Evidence>,
    /// What to try.
    pub advice: Vec<String>,
}

/// Where the busy time goes, by category, with the user frames that led there.
#[derive(Debug, Clone, Default)]
pub struct Breakdown {
    /// Weight of samples outside the idle loop.
    pub busy: f64,
    /// Weight of samples in the idle loop.
    pub idle: f64,
    /// Weight per category (idle excluded).
    pub categories: HashMap<Category, f64>,
    /// Weight per (category, calling user function).
    pub callers: HashMap<(Category, GroupIndex), f64>,
    /// Weight per runtime family (rayon, tokio, ...).
    pub runtimes: HashMap<&'static str, f64>,
    /// Weight of samples in thread or task creation (below the first user frame).
    pub spawn: f64,
    /// Self weight per function group (idle included).
    pub self_weight: Vec<f64>,
    /// The part of each group's self weight spent in user code: not in the inlined
    /// allocator, lock, runtime, ... code that the group holds.
    pub own_weight: Vec<f64>,
    /// How each function group was classified where it was met (kernel-aware).
    pub class: Vec<Option<FrameClass>>,
}

impl Breakdown {
    /// Attribute every sample of `weights`.
    pub fn new(profile: &Profile, weights: &StackWeights, groups: &FunctionGroups) -> Self {
        let classes = FrameClasses::new(profile);
        let mut b = Breakdown {
            self_weight: vec![0.0; groups.len()],
            own_weight: vec![0.0; groups.len()],
            class: vec![None; groups.len()],
            ..Breakdown::default()
        };
        // Folded stacks from inferno start with the command name: not code, so not a caller.
        let skip_root = profile.meta.root_frame_is_thread;
        // Whether a kernel entry point (syscall, interrupt, exception) is at or above each
        // node: computed once per node, so that a walk stops at the first user frame instead
        // of reading the whole stack.
        let nodes = profile.stacks();
        let mut entry_above: Vec<bool> = Vec::with_capacity(nodes.len());
        for node in nodes {
            let counted = node.parent.is_some() || !skip_root;
            let own = counted && classes.entry[node.frame.index()];
            entry_above.push(own || node.parent.is_some_and(|p| entry_above[p.index()]));
        }
        for (stack, w) in weights.nonzero() {
            let walk = b.attribute(profile, &classes, groups, (stack, skip_root), &entry_above);
            // Self time belongs to the function that holds the instruction, inlined code
            // included (perf report's Symbol column).
            let holder = groups.of(profile.stack(groups.self_stack(profile, stack)).frame);
            b.self_weight[holder as usize] += w;
            if walk.category == Category::User {
                b.own_weight[holder as usize] += w;
            }
            if walk.category == Category::Idle {
                b.idle += w;
                continue;
            }
            b.busy += w;
            *b.categories.entry(walk.category).or_default() += w;
            if let Some(caller) = walk.caller {
                *b.callers.entry((walk.category, caller)).or_default() += w;
            }
            if let Some(r) = walk.runtime {
                *b.runtimes.entry(r).or_default() += w;
            }
            if walk.spawn {
                b.spawn += w;
            }
        }
        b
    }

    /// Walk one stack from the leaf to the first user frame (the root frame left out when
    /// `skip_root`).
    fn attribute(
        &mut self,
        profile: &Profile,
        classes: &FrameClasses,
        groups: &FunctionGroups,
        (stack, skip_root): (StackId, bool),
        entry_above: &[bool],
    ) -> Walk {
        let mut outermost: Option<(Category, FrameId)> = None;
        let mut walk = Walk {
            category: Category::User,
            caller: None,
            runtime: None,
            spawn: false,
        };
        let mut at = Some(stack);
        while let Some(node) = at {
            let n = profile.stack(node);
            if skip_root && n.parent.is_none() {
                break;
            }
            at = n.parent;
            let frame = n.frame;
            let f = frame.index();
            // Folded stacks do not mark kernel frames: everything leafward of a kernel entry
            // point (syscall, interrupt, exception) is kernel code.
            let in_kernel = classes.kernel_kind[f] || entry_above[node.index()];
            let class = if in_kernel {
                classes.as_kernel[f]
            } else {
                classes.as_user[f]
            };
            self.class[groups.of(frame) as usize] = Some(class);
            walk.spawn |= !in_kernel && classes.spawn[f];
            match class {
                FrameClass::In(c) => outermost = Some((c, frame)),
                FrameClass::Transparent => {}
                FrameClass::User => {
                    walk.caller = Some(groups.of(frame));
                    break;
                }
            }
        }
        if let Some((c, frame)) = outermost {
            walk.category = c;
            walk.runtime = classes.runtime[frame.index()];
        }
        walk
    }

    /// Share of the busy time in `category`, 0-1.
    pub fn share(&self, category: Category) -> f64 {
        self.fraction(self.categories.get(&category).copied().unwrap_or(0.0))
    }

    /// `weight` as a fraction of the busy time.
    pub fn fraction(&self, weight: f64) -> f64 {
        if self.busy > 0.0 {
            weight / self.busy
        } else {
            0.0
        }
    }
}

/// What the walk of one stack found.
struct Walk {
    category: Category,
    caller: Option<GroupIndex>,
    runtime: Option<&'static str>,
    spawn: bool,
}

/// The classes of every frame, computed once.
pub(crate) struct FrameClasses {
    /// The class as user-space code.
    pub(crate) as_user: Vec<FrameClass>,
    /// The class as kernel code.
    as_kernel: Vec<FrameClass>,
    /// Known to be kernel code (perf.data, annotated folded stacks).
    kernel_kind: Vec<bool>,
    /// A kernel entry point (syscall, interrupt, exception).
    entry: Vec<bool>,
    spawn: Vec<bool>,
    runtime: Vec<Option<&'static str>>,
}

impl FrameClasses {
    pub(crate) fn new(profile: &Profile) -> Self {
        let n = profile.frames().len();
        let mut c = FrameClasses {
            as_user: Vec::with_capacity(n),
            as_kernel: Vec::with_capacity(n),
            kernel_kind: Vec::with_capacity(n),
            entry: Vec::with_capacity(n),
            spawn: Vec::with_capacity(n),
            runtime: Vec::with_capacity(n),
        };
        for i in 0..n {
            let frame = FrameId::from_index(i);
            // The name as the file gave it: a group's name may carry where a bare name is from.
            let label = profile.frame_label(frame);
            let qualified = qualified_name(profile, frame, &label);
            let name = qualified.as_deref().unwrap_or(&label);
            let module = profile.frame_module(frame).map(|m| profile.module_name(m));
            let user = match profile.frame(frame) {
                // An address outside every mapping: a damaged frame-pointer chain, or JIT code.
                Frame::Unresolved(u) if u.module.is_none() => FrameClass::Transparent,
                _ => classify(name, module, false),
            };
            c.as_user.push(user);
            c.as_kernel.push(classify(name, module, true));
            c.kernel_kind
                .push(profile.frame(frame).kind() == profview_model::FrameKind::Kernel);
            c.entry.push(is_kernel_entry(name));
            c.spawn.push(is_spawn(name));
            c.runtime.push(
                (user == FrameClass::In(Category::Runtime)).then(|| runtime_family(name, module)),
            );
        }
        c
    }
}

/// The name of an inlined frame qualified by the crate and module of its source file, when the
/// debug info gave only the bare name (`execute` from `.cargo/registry/src/.../rayon-core-1.12.1/
/// src/job.rs` -> `rayon_core::job::execute`), as it does for dependencies built with
/// line-tables-only debug info.
fn qualified_name(profile: &Profile, frame: FrameId, name: &str) -> Option<String> {
    // `wait_until<rayon_core::latch::OnceLatch>` is bare too: only its generics have paths.
    let head = name.split(['<', '(']).next().unwrap_or(name);
    if head.contains("::") || name.starts_with('<') {
        return None;
    }
    let Frame::Resolved(f) = profile.frame(frame) else {
        return None;
    };
    let path = profile.string(f.file?);
    let prefix = crate::category::module_path_of_source(path)?;
    Some(format!("{prefix}::{name}"))
}

/// The languages whose interpreters [`runtime_family`] names (`Python interpreter`).
const INTERPRETER_LANGUAGES: &[&str] = &["Python", "Ruby", "Perl", "JavaScript", "PHP", "Lua"];

/// How to see the interpreted code of a profile whose time is in `language`'s interpreter.
fn interpreter_advice(language: &str) -> Vec<String> {
    let specific = match language {
        "Python" => "Python 3.12+ names Python functions for perf: run it with `python -X perf` (or PYTHONPERFSUPPORT=1), or use py-spy.",
        "JavaScript" => "Node names JavaScript functions for perf with `node --perf-basic-prof`.",
        "Ruby" => "Use a Ruby profiler (stackprof, rbspy) to see which Ruby methods run.",
        _ => "Use the language's own profiler to see which of its functions run.",
    };
    vec![
        format!("This is the {language} interpreter running the program: its C functions say how it runs, not which {language} code it runs."),
        specific.to_owned(),
    ]
}

/// The runtime a frame of [`Category::Runtime`] belongs to.
fn runtime_family(name: &str, module: Option<&str>) -> &'static str {
    if let Some(language) = module.and_then(interpreter_of_module) {
        return match language {
            "Python" => "Python interpreter",
            "Ruby" => "Ruby interpreter",
            "Perl" => "Perl interpreter",
            "JavaScript" => "JavaScript interpreter",
            "PHP" => "PHP interpreter",
            _ => "Lua interpreter",
        };
    }
    let name = name.trim_start_matches('<');
    if name.starts_with("rayon") {
        "rayon"
    } else if name.starts_with("crossbeam") {
        "crossbeam"
    } else if name.starts_with("tokio") || name.starts_with("mio") {
        "tokio"
    } else {
        "async runtime"
    }
}

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
        let breakdown = Breakdown::new(profile, weights, groups);
        let samples = profile.sample_count(kind);
        let diagnostics = crate::diagnostics::diagnose(profile, kind, weights, &breakdown);
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

struct Context<'a> {
    profile: &'a Profile,
    /// The language of the program's code, for advice in its idioms.
    language: Language,
    weights: &'a StackWeights,
    groups: &'a FunctionGroups,
    breakdown: &'a Breakdown,
}

/// `share` (0-1) as a percentage with one decimal.
fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

impl Context<'_> {
    /// Functions by self time, idle-loop functions left out, with their class and busy share.
    fn busy_top(&self) -> Vec<(GroupIndex, FrameClass, f64)> {
        let b = self.breakdown;
        let mut top: Vec<_> = (0..self.groups.len())
            .filter(|&g| b.self_weight[g] > 0.0)
            .map(|g| {
                let class = b.class[g].unwrap_or(FrameClass::User);
                (g as GroupIndex, class, b.fraction(b.self_weight[g]))
            })
            .filter(|(_, class, _)| *class != FrameClass::In(Category::Idle))
            .collect();
        top.sort_by(|a, b| {
            b.2.total_cmp(&a.2)
                .then_with(|| self.groups.name(a.0).cmp(self.groups.name(b.0)))
        });
        top
    }

    fn name(&self, g: GroupIndex) -> String {
        self.groups.name(g).to_owned()
    }

    fn hotspot(&self) -> Option<Finding> {
        // Hot allocator, lock, runtime or kernel functions are the category findings' evidence;
        // a hotspot is code the program's authors can change directly. So is a user function
        // whose time is mostly such code inlined into it (std's Mutex::lock, Vec growth).
        let b = self.breakdown;
        let top: Vec<_> = self
            .busy_top()
            .into_iter()
            .filter(|(_, class, _)| !matches!(class, FrameClass::In(_)))
            .filter(|(g, _, _)| {
                let g = *g as usize;
                b.own_weight[g] >= HOTSPOT_MIN_OWN_SHARE * b.self_weight[g]
            })
            .collect();
        let (hottest, _, s1) = *top.first()?;
        let first = self.name(hottest);
        let s2 = top.get(1).map_or(0.0, |t| t.2);
        if s1 < HOTSPOT_MIN_SHARE || s1 < HOTSPOT_MIN_LEAD * s2 {
            return None;
        }
        let mut evidence = vec![Evidence {
            what: format!("{first} (self)"),
            share: s1,
        }];
        if let Some((next, _, _)) = top.get(1) {
            evidence.push(Evidence {
                what: format!("{} (next hottest, self)", self.name(*next)),
                share: s2,
            });
        }
        let lines = self.hottest_lines(hottest);
        evidence.extend(lines.iter().take(3).cloned());
        let inlined = self.hottest_inlined(hottest);
        evidence.extend(inlined.iter().take(3).map(InlinedCallee::evidence));
        evidence.extend(self.callers_of(hottest).into_iter().take(3));
        if let Some(module) = self.unnamed_module(hottest) {
            return Some(self.unnamed_hotspot(module, first, s1, s2, evidence));
        }
        let mut advice = vec![format!(
            "Optimize {}: it alone is {} of the time, so halving it saves {}.",
            first,
            pct(s1),
            pct(s1 / 2.0)
        )];
        if let Some(line) = lines.first() {
            advice.push(format!(
                "Start at {} ({} of the time).",
                line.what,
                pct(line.share)
            ));
        }
        advice.push(
            "Check the algorithm first (work done per call, calls made), then the loop itself."
                .to_owned(),
        );
        Some(Finding {
            kind: FindingKind::SingleHotspot,
            score: s1.min(1.0),
            summary: format!(
                "{} takes {} of the time by itself{}; the next function takes {}",
                first,
                pct(s1),
                inlined_note(s1, &inlined, &lines),
                pct(s2)
            ),
            functions: vec![first],
            evidence,
            advice,
        })
    }

    /// The module of group `g` when `g` is that module's code without names.
    fn unnamed_module(&self, g: GroupIndex) -> Option<ModuleId> {
        self.groups.module(g).filter(|_| self.groups.is_unnamed(g))
    }

    /// A hotspot in a module without symbols: which of its functions is unknown, so the
    /// advice is how to learn it, and that the lever of library code is how it is called.
    fn unnamed_hotspot(
        &self,
        module: ModuleId,
        first: String,
        s1: f64,
        s2: f64,
        evidence: Vec<Evidence>,
    ) -> Finding {
        let module_name = self.profile.module_name(module);
        Finding {
            kind: FindingKind::SingleHotspot,
            score: s1.min(1.0),
            summary: format!(
                "{module_name}, whose functions have no names here, takes {} of the time by itself; the next function takes {}",
                pct(s1),
                pct(s2)
            ),
            functions: vec![first],
            evidence,
            advice: vec![
                format!(
                    "To see which of its functions: {}.",
                    crate::diagnostics::symbol_advice(self.profile, module)
                ),
                "If it is a library you did not write, the lever is how it is called: how often, on how much data, with which settings.".to_owned(),
            ],
        }
    }

    /// One helper of the program's own code, inlined into several hot functions, where each
    /// spends most of its self time: one change to the helper speeds up all of them, and no
    /// function table shows it (its time is counted in each caller).
    fn shared_helper(&self) -> Option<Finding> {
        // helper group -> (holder group -> weight), and the helper's weight per own line.
        type PerHolder = HashMap<GroupIndex, f64>;
        let mut uses: HashMap<GroupIndex, PerHolder> = HashMap::new();
        let mut lines: HashMap<GroupIndex, HashMap<(String, u32), f64>> = HashMap::new();
        for (stack, w) in self.weights.nonzero() {
            let holder = self.holder_stack(stack);
            let Some(helper) = self.outermost_user_helper(stack, holder) else {
                continue;
            };
            let g = self.groups.of(helper);
            let holder_group = self.groups.of(self.profile.stack(holder).frame);
            *uses.entry(g).or_default().entry(holder_group).or_default() += w;
            if let Some(at) = self.file_line(helper) {
                *lines.entry(g).or_default().entry(at).or_default() += w;
            }
        }
        let b = self.breakdown;
        let (helper, holders, share) = uses
            .into_iter()
            .map(|(helper, per_holder)| {
                let mut holders: Vec<(GroupIndex, f64)> = per_holder
                    .into_iter()
                    .filter(|&(h, w)| w >= SHARED_HELPER_MIN_PART * b.self_weight[h as usize])
                    .collect();
                holders.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                let share = b.fraction(holders.iter().map(|(_, w)| w).sum());
                (helper, holders, share)
            })
            .filter(|(_, holders, share)| {
                holders.len() >= SHARED_HELPER_MIN_FUNCTIONS && *share >= SHARED_HELPER_MIN_SHARE
            })
            .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)))?;
        let name = self.name(helper);
        let mut hottest: Vec<_> = lines
            .remove(&helper)
            .unwrap_or_default()
            .into_iter()
            .collect();
        hottest.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let at = hottest
            .first()
            .map(|((file, line), _)| format!("{file}:{line}"));
        let mut evidence = vec![Evidence {
            what: format!("{name} (inlined, in {} functions)", holders.len()),
            share,
        }];
        evidence.extend(holders.iter().take(EVIDENCE_ITEMS).map(|&(h, w)| Evidence {
            what: format!("inlined into {}", self.name(h)),
            share: b.fraction(w),
        }));
        evidence.extend(hottest.iter().take(3).map(|((file, line), w)| Evidence {
            what: format!("{file}:{line}"),
            share: b.fraction(*w),
        }));
        let callers: Vec<String> = holders.iter().take(3).map(|&(h, _)| self.name(h)).collect();
        let more = holders.len().saturating_sub(callers.len());
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        Some(Finding {
            kind: FindingKind::SharedInlinedHelper,
            score: share.min(1.0),
            summary: format!(
                "{name} is inlined into {} hot functions ({}{more}) and is most of each one's time: \
                 {} of the time in all",
                holders.len(),
                callers.join(", "),
                pct(share)
            ),
            functions: std::iter::once(name.clone())
                .chain(holders.iter().map(|&(h, _)| self.name(h)))
                .collect(),
            evidence,
            advice: vec![
                format!(
                    "Optimize {name}{}: one change speeds up every function it is inlined into.",
                    at.map(|at| format!(" (hottest at {at})")).unwrap_or_default()
                ),
                "Function tables count it in each caller, so no single row shows its cost; \
                 `--inlined-rows` shows it as one row."
                    .to_owned(),
            ],
        })
    }

    /// The outermost inlined frame of the program's own code between `holder` and the leaf of
    /// `stack`: the helper call the holder makes (library code inlined into it, std or a
    /// registry crate or system headers, is not the program's to change).
    fn outermost_user_helper(&self, stack: StackId, holder: StackId) -> Option<FrameId> {
        let mut found = None;
        let mut at = stack;
        while at != holder {
            let node = self.profile.stack(at);
            let g = self.groups.of(node.frame);
            if self.groups.is_inlined(g)
                && self.breakdown.class[g as usize] == Some(FrameClass::User)
                && self.is_program_source(node.frame)
            {
                found = Some(node.frame);
            }
            at = node.parent?;
        }
        found
    }

    /// True when a frame's source file is the program's own: not the Rust toolchain, a
    /// registry crate or a system header.
    fn is_program_source(&self, frame: FrameId) -> bool {
        let Frame::Resolved(f) = self.profile.frame(frame) else {
            return false;
        };
        let Some(file) = f.file.map(|file| self.profile.string(file)) else {
            return false;
        };
        crate::category::module_path_of_source(file).is_none()
            && !file.starts_with("/usr/include/")
            && !file.starts_with("/usr/lib/")
            && !file.contains("/rustc/")
    }

    fn distributed(&self) -> Option<Finding> {
        let top = self.busy_top();
        let s1 = top.first()?.2;
        let user = self.breakdown.share(Category::User);
        let mut covered = 0.0;
        let half: Vec<_> = top
            .iter()
            .take_while(|(_, _, s)| {
                let before = covered;
                covered += s;
                before < 0.5
            })
            .collect();
        if s1 >= DISTRIBUTED_MAX_TOP_SHARE
            || half.len() < DISTRIBUTED_MIN_FUNCTIONS
            || user < DISTRIBUTED_MIN_USER_SHARE
            || covered < 0.5
        {
            return None;
        }
        let members: Vec<GroupIndex> = half.iter().map(|(g, _, _)| *g).collect();
        let names: Vec<String> = members.iter().map(|g| self.name(*g)).collect();
        let mut evidence: Vec<Evidence> = half
            .iter()
            .map(|(g, _, s)| Evidence {
                what: format!("{} (self)", self.name(*g)),
                share: *s,
            })
            .collect();
        let mut advice = Vec::new();
        if let Some((caller, share)) = self.common_caller(&members) {
            let caller = self.name(caller);
            evidence.push(Evidence {
                what: format!("{caller} (common caller, total)"),
                share,
            });
            advice.push(format!(
                "Look at {caller}, which all of them run under: doing less work there (fewer calls, fewer passes over the data) helps every one."
            ));
        }
        advice.push(
            "No single function to fix: consider an algorithmic change, or profile deeper (per line, with inlining) to find a common cost."
                .to_owned(),
        );
        Some(Finding {
            kind: FindingKind::DistributedCost,
            score: (user * (1.0 - s1)).clamp(0.0, 1.0),
            summary: format!(
                "no function stands out: the top one takes {}, and {} functions are needed to cover half of the time",
                pct(s1),
                half.len()
            ),
            functions: names,
            evidence,
            advice,
        })
    }

    fn categories(&self) -> Vec<Finding> {
        CATEGORY_RULES
            .iter()
            .filter_map(|rule| self.category(rule))
            .collect()
    }

    fn category(&self, rule: &CategoryRule) -> Option<Finding> {
        let share = self.breakdown.share(rule.category);
        if share < rule.min_share {
            return None;
        }
        let callers = self.top_callers(rule.category);
        let functions_in = self.top_functions_in(rule.category);
        let user = self.breakdown.share(Category::User);
        let mut summary = format!("{} of the time is {}", pct(share), rule.category.label());
        if rule.category == Category::Runtime {
            let mut runtimes: Vec<_> = self.breakdown.runtimes.iter().collect();
            runtimes.sort_by(|a, b| b.1.total_cmp(a.1).then_with(|| a.0.cmp(b.0)));
            let names: Vec<String> = runtimes
                .iter()
                .map(|(r, w)| format!("{r} {}", pct(self.breakdown.fraction(**w))))
                .collect();
            summary = format!(
                "{} of the time is in runtime code ({}), {} in user code",
                pct(share),
                names.join(", "),
                pct(user)
            );
        }
        if let Some(c) = callers.first() {
            summary.push_str(&format!(", most of it called from {}", c.what));
        }
        let mut evidence = vec![Evidence {
            what: rule.category.label().to_owned(),
            share,
        }];
        evidence.extend(functions_in.iter().cloned());
        evidence.extend(callers.iter().map(|c| Evidence {
            what: format!("called from {}", c.what),
            share: c.share,
        }));
        if rule.category == Category::Runtime {
            evidence.push(Evidence {
                what: "user code".to_owned(),
                share: user,
            });
        }
        Some(Finding {
            kind: rule.kind,
            score: share.min(1.0),
            summary,
            functions: functions_in.iter().map(|e| e.what.clone()).collect(),
            evidence,
            advice: self.advice(rule),
        })
    }

    /// The rule's advice for this profile's language; for an interpreter's runtime, how to
    /// see the interpreted code instead.
    fn advice(&self, rule: &CategoryRule) -> Vec<String> {
        if rule.category == Category::Runtime {
            if let Some(language) = self.dominant_interpreter() {
                return interpreter_advice(language);
            }
        }
        rule.advice
            .iter()
            .filter(|(who, _)| who.fits(self.language))
            .map(|(_, line)| (*line).to_owned())
            .collect()
    }

    /// The interpreter that has the largest part of the runtime time, if one does.
    fn dominant_interpreter(&self) -> Option<&'static str> {
        let (family, _) = self
            .breakdown
            .runtimes
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1).then_with(|| b.0.cmp(a.0)))?;
        INTERPRETER_LANGUAGES
            .iter()
            .find(|l| family.starts_with(**l))
            .copied()
    }

    fn small_tasks(&self) -> Option<Finding> {
        let share = self.breakdown.fraction(self.breakdown.spawn);
        if share < SPAWN_MIN_SHARE {
            return None;
        }
        Some(Finding {
            kind: FindingKind::SmallTaskOverhead,
            score: share.min(1.0),
            summary: format!(
                "{} of the time is spent creating threads or tasks (spawn calls, job-queue pushes)",
                pct(share)
            ),
            functions: Vec::new(),
            evidence: vec![Evidence {
                what: "spawn calls and job-queue pushes, with what they call".to_owned(),
                share,
            }],
            advice: vec![
                "Spawn fewer, larger tasks: give each task more work (chunk the input, with_min_len in rayon).".to_owned(),
                "Reuse threads (a pool) instead of creating them per job.".to_owned(),
            ],
        })
    }

    /// The user functions that called into `category` most, as evidence.
    fn top_callers(&self, category: Category) -> Vec<Evidence> {
        let mut callers: Vec<_> = self
            .breakdown
            .callers
            .iter()
            .filter(|((c, _), _)| *c == category)
            .map(|((_, g), w)| (*g, *w))
            .collect();
        callers.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.groups.name(a.0).cmp(self.groups.name(b.0)))
        });
        callers
            .into_iter()
            .take(EVIDENCE_ITEMS)
            .map(|(g, w)| Evidence {
                what: self.groups.name(g).to_owned(),
                share: self.breakdown.fraction(w),
            })
            .collect()
    }

    /// The functions of `category` with the most self time.
    fn top_functions_in(&self, category: Category) -> Vec<Evidence> {
        self.busy_top()
            .into_iter()
            .filter(|(_, class, _)| *class == FrameClass::In(category))
            .take(EVIDENCE_ITEMS)
            .map(|(g, _, share)| Evidence {
                what: self.name(g),
                share,
            })
            .collect()
    }

    /// The stack of the function that holds the sampled instruction of `stack`.
    fn holder_stack(&self, stack: StackId) -> StackId {
        self.groups.self_stack(self.profile, stack)
    }

    /// The file:line positions in function `g` where its self time is spent (for inlined
    /// code, the line of `g` it was inlined at), heaviest first.
    fn hottest_lines(&self, g: GroupIndex) -> Vec<Evidence> {
        let mut lines: HashMap<(String, u32), f64> = HashMap::new();
        for (stack, w) in self.weights.nonzero() {
            let leaf = self.profile.stack(self.holder_stack(stack)).frame;
            if self.groups.of(leaf) != g {
                continue;
            }
            if let Some(at) = self.file_line(leaf) {
                *lines.entry(at).or_default() += w;
            }
        }
        let mut lines: Vec<_> = lines.into_iter().collect();
        lines.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        lines
            .into_iter()
            .map(|((file, line), w)| Evidence {
                what: format!("{file}:{line}"),
                share: self.breakdown.fraction(w),
            })
            .collect()
    }

    /// The inlined functions in which `g`'s self time is spent (the innermost inlined frame
    /// of each sample, with its hottest own source line), heaviest first.
    fn hottest_inlined(&self, g: GroupIndex) -> Vec<InlinedCallee> {
        // Per inlined callee: its weight, and its weight per (file, line).
        type Lines = HashMap<(String, u32), f64>;
        let mut inlined: HashMap<GroupIndex, (f64, Lines)> = HashMap::new();
        for (stack, w) in self.weights.nonzero() {
            let holder = self.holder_stack(stack);
            if holder == stack || self.groups.of(self.profile.stack(holder).frame) != g {
                continue;
            }
            let leaf = self.profile.stack(stack).frame;
            let entry = inlined.entry(self.groups.of(leaf)).or_default();
            entry.0 += w;
            if let Some(at) = self.file_line(leaf) {
                *entry.1.entry(at).or_default() += w;
            }
        }
        let mut inlined: Vec<InlinedCallee> = inlined
            .into_iter()
            .map(|(callee, (w, lines))| InlinedCallee {
                name: self.name(callee),
                at: lines
                    .into_iter()
                    .max_by(|a, b| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
                    .map(|((file, line), _)| format!("{file}:{line}")),
                share: self.breakdown.fraction(w),
            })
            .collect();
        inlined.sort_by(|a, b| {
            b.share
                .total_cmp(&a.share)
                .then_with(|| a.name.cmp(&b.name))
        });
        inlined
    }

    /// (file without its folders, line) of a resolved frame.
    fn file_line(&self, frame: FrameId) -> Option<(String, u32)> {
        let Frame::Resolved(f) = self.profile.frame(frame) else {
            return None;
        };
        let (file, line) = f.file.zip(f.line)?;
        let file = self.profile.string(file);
        Some((file.rsplit('/').next().unwrap_or(file).to_owned(), line))
    }

    /// The direct callers of function `g` by weight of its self time.
    fn callers_of(&self, g: GroupIndex) -> Vec<Evidence> {
        let mut callers: HashMap<GroupIndex, f64> = HashMap::new();
        for (stack, w) in self.weights.nonzero() {
            let holder = self.holder_stack(stack);
            if self.groups.of(self.profile.stack(holder).frame) != g {
                continue;
            }
            let caller = self
                .profile
                .stack_frames(holder)
                .map(|f| self.groups.of(f))
                .find(|caller| *caller != g);
            // An address outside every module is a broken stack, not a caller.
            let known =
                |c: &GroupIndex| !self.groups.is_unnamed(*c) || self.groups.module(*c).is_some();
            if let Some(caller) = caller.filter(known) {
                *callers.entry(caller).or_default() += w;
            }
        }
        let mut callers: Vec<_> = callers.into_iter().collect();
        callers.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.groups.name(a.0).cmp(self.groups.name(b.0)))
        });
        callers
            .into_iter()
            .map(|(g, w)| Evidence {
                what: format!("called from {}", self.groups.name(g)),
                share: self.breakdown.fraction(w),
            })
            .collect()
    }

    /// The most specific function that is on the stack of (nearly) all samples whose leaf is
    /// one of `leaves`, with its total share.
    fn common_caller(&self, leaves: &[GroupIndex]) -> Option<(GroupIndex, f64)> {
        // Per function: weight of those samples it is on, and weighted distance from the leaf.
        let mut under: HashMap<GroupIndex, (f64, f64)> = HashMap::new();
        let mut leaf_weight = 0.0;
        for (stack, w) in self.weights.nonzero() {
            let holder = self.holder_stack(stack);
            if !leaves.contains(&self.groups.of(self.profile.stack(holder).frame)) {
                continue;
            }
            leaf_weight += w;
            let mut seen = Vec::new();
            for (depth, f) in self.profile.stack_frames(holder).enumerate().skip(1) {
                let g = self.groups.of(f);
                if !seen.contains(&g) {
                    seen.push(g);
                    let entry = under.entry(g).or_default();
                    entry.0 += w;
                    entry.1 += w * depth as f64;
                }
            }
        }
        let candidates: Vec<(GroupIndex, f64)> = under
            .into_iter()
            .filter(|(g, (w, _))| *w >= 0.9 * leaf_weight && !leaves.contains(g))
            .map(|(g, (w, depths))| (g, depths / w))
            .collect();
        let totals = self.total_weights(candidates.iter().map(|(g, _)| *g).collect());
        // The most specific: least total weight, then closest to the leaves.
        candidates
            .into_iter()
            .map(|(g, depth)| (g, totals[&g], depth))
            .min_by(|a, b| {
                a.1.total_cmp(&b.1)
                    .then_with(|| a.2.total_cmp(&b.2))
                    .then_with(|| self.groups.name(a.0).cmp(self.groups.name(b.0)))
            })
            .map(|(g, total, _)| (g, self.breakdown.fraction(total)))
    }

    /// The total (inclusive, recursion counted once) weight of each of `wanted`.
    fn total_weights(&self, wanted: Vec<GroupIndex>) -> HashMap<GroupIndex, f64> {
        let mut wanted = wanted;
        wanted.sort_unstable();
        wanted.dedup();
        let sums = crate::paths::PathSums::new(self.profile, self.weights).once_per_stack(
            wanted.len(),
            |f| {
                let g = self.groups.of(f);
                wanted.iter().position(|w| *w == g)
            },
        );
        wanted.into_iter().zip(sums).collect()
    }
}

/// Inlined code in which a hot function spends its self time.
struct InlinedCallee {
    name: String,
    /// Its hottest `file:line`, in its own source.
    at: Option<String>,
    /// Share of the busy time.
    share: f64,
}

impl InlinedCallee {
    fn evidence(&self) -> Evidence {
        let at = self
            .at
            .as_ref()
            .map(|at| format!(" at {at}"))
            .unwrap_or_default();
        Evidence {
            what: format!("inlined {}{at}", self.name),
            share: self.share,
        }
    }
}

/// ", most of it in inlined `a` / `b` at file:line" when inlined code holds more than half of
/// a hot function's self share `total`, so a reader knows where inside to look.
fn inlined_note(total: f64, inlined: &[InlinedCallee], lines: &[Evidence]) -> String {
    let share: f64 = inlined.iter().map(|c| c.share).sum();
    if inlined.is_empty() || share <= 0.5 * total {
        return String::new();
    }
    let names: Vec<&str> = inlined.iter().take(2).map(|c| c.name.as_str()).collect();
    let at = lines
        .first()
        .map(|l| format!(" at {}", l.what))
        .unwrap_or_default();
    format!(
        ", {} of it in inlined {}{at}",
        if share >= 0.9 * total { "most" } else { "much" },
        names.join(" / ")
    )
}

/// Which programs a line of advice is for: idioms differ by language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum For {
    All,
    /// Rust, C++ and C: code whose allocator can be swapped, unlike Go's.
    Native,
    Rust,
    Cpp,
    C,
    Go,
}

impl For {
    fn fits(self, language: Language) -> bool {
        match self {
            For::All => true,
            For::Native => language != Language::Go,
            For::Rust => language == Language::Rust,
            For::Cpp => language == Language::Cpp,
            For::C => language == Language::C,
            For::Go => language == Language::Go,
        }
    }
}

struct CategoryRule {
    category: Category,
    kind: FindingKind,
    min_share: f64,
    advice: &'static [(For, &'static str)],
}

const CATEGORY_RULES: &[CategoryRule] = &[
    CategoryRule {
        category: Category::Lock,
        kind: FindingKind::LockContention,
        min_share: LOCK_MIN_SHARE,
        advice: &[
            (For::All, "Shorten the critical sections: compute outside the lock, hold it only to publish."),
            (For::All, "Replace a hot counter or flag with an atomic; shard a shared structure per thread or per key."),
            (For::All, "Check the thread count: more threads than cores on one lock only adds waiting."),
        ],
    },
    CategoryRule {
        category: Category::Allocation,
        kind: FindingKind::ExcessiveAllocation,
        min_share: ALLOCATION_MIN_SHARE,
        advice: &[
            (For::All, "Reuse buffers across iterations instead of allocating per item (clear and refill)."),
            (For::Rust, "Reserve up front: Vec::with_capacity / reserve, String::with_capacity."),
            (For::Cpp, "Reserve up front (std::vector::reserve, std::string::reserve); avoid temporaries in loops, move instead of copy."),
            (For::C, "Allocate in bulk: one malloc for an array instead of one per item, or a pool / free list for fixed-size objects."),
            (For::Go, "Preallocate: make([]T, 0, n) and strings.Builder.Grow; append into reused buffers (strconv.AppendInt instead of Itoa); keep short-lived objects in a sync.Pool."),
            (For::Native, "Consider an arena or a faster allocator (jemalloc, mimalloc) if allocation is inherent."),
        ],
    },
    CategoryRule {
        category: Category::Runtime,
        kind: FindingKind::FrameworkOverhead,
        min_share: RUNTIME_MIN_SHARE,
        advice: &[
            (For::Rust, "Make tasks bigger: batch small items (with_min_len / chunks in rayon), so scheduling costs less than the work."),
            (For::Rust, "Use plain sequential code for work too small to split; keep CPU-bound work off async executors."),
            (For::Rust, "Idle workers spinning or stealing means there is not enough parallel work: fewer threads may be faster."),
        ],
    },
    CategoryRule {
        category: Category::MemoryCopy,
        kind: FindingKind::MemoryCopy,
        min_share: MEMORY_COPY_MIN_SHARE,
        advice: &[
            (For::Rust, "Avoid copies: pass references or slices, move instead of clone, reuse output buffers."),
            (For::Cpp, "Avoid copies: pass const references or spans, std::move instead of copying, reuse output buffers."),
            (For::C, "Avoid copies: pass pointers to the data instead of copying it, reuse output buffers."),
            (For::Go, "Avoid copies: pass slices and pointers to large structs, and reuse output buffers."),
            (For::All, "Look at the callers for clones of large values and growing buffers (realloc copies)."),
        ],
    },
    CategoryRule {
        category: Category::Kernel,
        kind: FindingKind::KernelDominated,
        min_share: KERNEL_MIN_SHARE,
        advice: &[
            (For::Rust, "Make fewer system calls: buffer I/O (BufReader/BufWriter), batch reads and writes."),
            (For::Cpp, "Make fewer system calls: read and write in large blocks (a larger stream buffer, or read()/write() of whole buffers)."),
            (For::C, "Make fewer system calls: read and write in large blocks (stdio with setvbuf, or read()/write() of whole buffers)."),
            (For::All, "Page faults: reuse memory instead of mapping fresh pages; pre-fault or use huge pages for large buffers."),
        ],
    },
    CategoryRule {
        category: Category::Formatting,
        kind: FindingKind::StringFormatting,
        min_share: FORMATTING_MIN_SHARE,
        advice: &[
            (For::Rust, "Format less on hot paths: write! into a reused String, or defer formatting until output."),
            (For::Cpp, "Format less on hot paths: reuse one buffer (std::format_to), or defer formatting until output."),
            (For::C, "Format less on hot paths: snprintf into a reused buffer, or defer formatting until output."),
            (For::Go, "Format less on hot paths: strconv.Append* into a reused []byte instead of fmt.Sprintf."),
            (For::All, "Skip logging and Debug formatting in hot loops, or check the log level before formatting."),
        ],
    },
    CategoryRule {
        category: Category::Serialization,
        kind: FindingKind::Serialization,
        min_share: SERIALIZATION_MIN_SHARE,
        advice: &[
            (For::Rust, "Serialize less: borrow instead of owning (&str fields), skip fields you do not need."),
            (For::Cpp, "Serialize less: skip fields you do not need, parse into views instead of owned strings."),
            (For::C, "Serialize less: skip fields you do not need, parse in place instead of copying strings."),
            (For::All, "Consider a binary format or a faster (de)serializer for the hot path."),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::{FrameKind, ModuleId, Sample, WeightUnit};

    fn kernel_module(p: &mut Profile) -> ModuleId {
        let path = p.intern_string("[kernel.kallsyms]");
        p.intern_module(profview_model::Module {
            path,
            build_id: None,
            address_range: None,
            relative_addresses: false,
        })
    }

    /// A profile with `count` samples of each stack (root first; `k:` marks kernel frames).
    fn profile(stacks: &[(&[&str], u32)]) -> (Profile, WeightKindId) {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        let kernel = kernel_module(&mut p);
        for (names, count) in stacks {
            let frames: Vec<_> = names
                .iter()
                .map(|n| match n.strip_prefix("k:") {
                    Some(k) => p.resolved_frame(k, Some(kernel), FrameKind::Kernel),
                    None => p.resolved_frame(n, None::<ModuleId>, FrameKind::User),
                })
                .collect();
            let stack = p.intern_stack_path(&frames);
            for _ in 0..*count {
                p.add_sample(Sample {
                    thread,
                    time: None,
                    stack,
                    kind,
                    weight: 1.0,
                });
            }
        }
        (p, kind)
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
            let frames: Vec<_> = names
                .iter()
                .map(|n| match n.strip_prefix("k:") {
                    Some(k) => p.resolved_frame(k, Some(kernel), FrameKind::Kernel),
                    None => p.resolved_frame(n, None::<ModuleId>, FrameKind::User),
                })
                .collect();
            let stack = p.intern_stack_path(&frames);
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
        for _ in 0..100 {
            p.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight: 1.0,
            });
        }
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
