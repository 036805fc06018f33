//! The rules of the findings on CPU time: each compares shares of the breakdown with the
//! thresholds (crate::findings) and gathers its evidence (hottest lines, callers, inlined
//! code) and advice in the program's language. Their reasoning is in docs/findings.md.

use std::collections::HashMap;

use profview_model::{Frame, FrameId, ModuleId, Profile, StackId};

use crate::breakdown::*;
use crate::category::{Category, FrameClass, Language};
use crate::findings::*;
use crate::{FunctionGroups, GroupIndex, StackWeights};

pub(crate) struct Context<'a> {
    pub(crate) profile: &'a Profile,
    /// The language of the program's code, for advice in its idioms.
    pub(crate) language: Language,
    pub(crate) weights: &'a StackWeights,
    pub(crate) groups: &'a FunctionGroups,
    pub(crate) breakdown: &'a Breakdown,
}

/// `share` (0-1) as a percentage with one decimal.
pub(crate) fn pct(share: f64) -> String {
    format!("{:.1}%", share * 100.0)
}

impl Context<'_> {
    /// Functions by self time, idle-loop functions left out, with their class and busy share.
    pub(crate) fn busy_top(&self) -> Vec<(GroupIndex, FrameClass, f64)> {
        let b = self.breakdown;
        let mut top: Vec<_> = (0..self.groups.len())
            .filter(|&g| b.self_weight[g] > 0.0)
            .map(|g| {
                let class = b.class[g].unwrap_or(FrameClass::User);
                (GroupIndex::new(g), class, b.fraction(b.self_weight[g]))
            })
            .filter(|(_, class, _)| *class != FrameClass::In(Category::Idle))
            .collect();
        top.sort_by(|a, b| {
            b.2.total_cmp(&a.2)
                .then_with(|| self.groups.name(a.0).cmp(self.groups.name(b.0)))
        });
        top
    }

    pub(crate) fn name(&self, g: GroupIndex) -> String {
        self.groups.name(g).to_owned()
    }

    pub(crate) fn hotspot(&self) -> Option<Finding> {
        // Hot allocator, lock, runtime or kernel functions are the category findings' evidence;
        // a hotspot is code the program's authors can change directly. So is a user function
        // whose time is mostly such code inlined into it (std's Mutex::lock, Vec growth).
        let b = self.breakdown;
        let top: Vec<_> = self
            .busy_top()
            .into_iter()
            .filter(|(_, class, _)| !matches!(class, FrameClass::In(_)))
            .filter(|(g, _, _)| {
                let g = g.index();
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
        // Glue holding the program's code (a thread's closure inlined into std's thread
        // start) is not what to optimize: the code inside it is.
        let subject = match inlined.first() {
            Some(own) if own.own_in_glue => format!("{} (inlined into {first})", own.name),
            _ => first.clone(),
        };
        let mut advice = vec![format!(
            "Optimize {}: it alone is {} of the time, so halving it saves {}.",
            subject,
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
            hint: None,
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
    pub(crate) fn unnamed_module(&self, g: GroupIndex) -> Option<ModuleId> {
        self.groups.module(g).filter(|_| self.groups.is_unnamed(g))
    }

    /// A hotspot in a module without symbols: which of its functions is unknown, so the
    /// advice is how to learn it, and that the lever of library code is how it is called.
    pub(crate) fn unnamed_hotspot(
        &self,
        module: ModuleId,
        first: String,
        s1: f64,
        s2: f64,
        evidence: Vec<Evidence>,
    ) -> Finding {
        let module_name = self.profile.module_name(module);
        let (advice, hint) = crate::diagnostics::symbol_advice(self.profile, module);
        Finding {
            hint: Some(hint),
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
                format!("To see which of its functions: {advice}."),
                "If it is a library you did not write, the lever is how it is called: how often, on how much data, with which settings.".to_owned(),
            ],
        }
    }

    /// One helper of the program's own code, inlined into several hot functions, where each
    /// spends most of its self time: one change to the helper speeds up all of them, and no
    /// function table shows it (its time is counted in each caller).
    pub(crate) fn shared_helper(&self) -> Option<Finding> {
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
                    .filter(|&(h, w)| w >= SHARED_HELPER_MIN_PART * b.self_weight[h.index()])
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
            hint: None,
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
    pub(crate) fn outermost_user_helper(&self, stack: StackId, holder: StackId) -> Option<FrameId> {
        let mut found = None;
        let mut at = stack;
        while at != holder {
            let node = self.profile.stack(at);
            let g = self.groups.of(node.frame);
            if self.groups.is_inlined(g)
                && self.breakdown.class[g.index()] == Some(FrameClass::User)
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
    pub(crate) fn is_program_source(&self, frame: FrameId) -> bool {
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

    pub(crate) fn distributed(&self) -> Option<Finding> {
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
            hint: None,
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

    pub(crate) fn categories(&self) -> Vec<Finding> {
        CATEGORY_RULES
            .iter()
            .filter_map(|rule| self.category(rule))
            .collect()
    }

    pub(crate) fn category(&self, rule: &CategoryRule) -> Option<Finding> {
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
            hint: None,
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
    pub(crate) fn advice(&self, rule: &CategoryRule) -> Vec<String> {
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
    pub(crate) fn dominant_interpreter(&self) -> Option<&'static str> {
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

    pub(crate) fn small_tasks(&self) -> Option<Finding> {
        let share = self.breakdown.fraction(self.breakdown.spawn);
        if share < SPAWN_MIN_SHARE {
            return None;
        }
        Some(Finding {
            hint: None,
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
    pub(crate) fn top_callers(&self, category: Category) -> Vec<Evidence> {
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
    pub(crate) fn top_functions_in(&self, category: Category) -> Vec<Evidence> {
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
    pub(crate) fn holder_stack(&self, stack: StackId) -> StackId {
        self.groups.self_stack(self.profile, stack)
    }

    /// Whether group `g` is not the program's own code: std's glue (a thread's start, which
    /// holds the program's closure inlined into it), a runtime, a C entry point.
    fn is_glue(&self, g: GroupIndex) -> bool {
        crate::category::classify(self.groups.name(g), None, false) != FrameClass::User
    }

    /// Whether `frame` is the program's own code: by its name, and not from the toolchain's
    /// or the registry's sources (`<u64>::wrapping_add` has no crate in its name).
    fn is_own_code(&self, frame: FrameId) -> bool {
        let from_library = match self.profile.frame(frame) {
            Frame::Resolved(f) => f.file.is_some_and(|file| {
                crate::category::module_path_of_source(self.profile.string(file)).is_some()
            }),
            Frame::Unresolved(_) => false,
        };
        !from_library && !self.is_glue(self.groups.of(frame))
    }

    /// The innermost inlined frame of `stack` above its `holder` that is the program's own
    /// code.
    fn own_code_inside(&self, stack: StackId, holder: StackId) -> Option<FrameId> {
        let mut at = stack;
        while at != holder {
            let node = self.profile.stack(at);
            if self.is_own_code(node.frame) {
                return Some(node.frame);
            }
            at = node.parent?;
        }
        None
    }

    /// The file:line positions in function `g` where its self time is spent (for inlined
    /// code, the line of `g` it was inlined at), heaviest first. In glue that holds the
    /// program's code inlined (see [`Self::hottest_inlined`]), the lines of that code.
    pub(crate) fn hottest_lines(&self, g: GroupIndex) -> Vec<Evidence> {
        let mut lines: HashMap<(String, u32), f64> = HashMap::new();
        let glue = self.is_glue(g);
        for (stack, w) in self.weights.nonzero() {
            let holder = self.holder_stack(stack);
            let mut leaf = self.profile.stack(holder).frame;
            if self.groups.of(leaf) != g {
                continue;
            }
            if glue {
                leaf = self.own_code_inside(stack, holder).unwrap_or(leaf);
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
    /// of each sample, with its hottest own source line), heaviest first. When `g` is not the
    /// program's code (std's thread start `__rust_begin_short_backtrace` or `lang_start`,
    /// which hold the program's closure and everything inlined into it), the innermost
    /// inlined frame that is the program's own code is named instead: the closure's `work`,
    /// not the `wrapping_add` inlined into `work`.
    pub(crate) fn hottest_inlined(&self, g: GroupIndex) -> Vec<InlinedCallee> {
        // Per inlined callee: its weight, and its weight per (file, line).
        type Lines = HashMap<(String, u32), f64>;
        let mut inlined: HashMap<GroupIndex, (f64, Lines, bool)> = HashMap::new();
        let glue = self.is_glue(g);
        for (stack, w) in self.weights.nonzero() {
            let holder = self.holder_stack(stack);
            if holder == stack || self.groups.of(self.profile.stack(holder).frame) != g {
                continue;
            }
            let mut leaf = self.profile.stack(stack).frame;
            let own = glue.then(|| self.own_code_inside(stack, holder)).flatten();
            if let Some(own) = own {
                leaf = own;
            }
            let entry = inlined.entry(self.groups.of(leaf)).or_default();
            entry.0 += w;
            entry.2 = own.is_some();
            if let Some(at) = self.file_line(leaf) {
                *entry.1.entry(at).or_default() += w;
            }
        }
        let mut inlined: Vec<InlinedCallee> = inlined
            .into_iter()
            .map(|(callee, (w, lines, own_in_glue))| InlinedCallee {
                name: self.name(callee),
                own_in_glue,
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
    pub(crate) fn file_line(&self, frame: FrameId) -> Option<(String, u32)> {
        let Frame::Resolved(f) = self.profile.frame(frame) else {
            return None;
        };
        let (file, line) = f.file.zip(f.line)?;
        let file = self.profile.string(file);
        Some((file.rsplit('/').next().unwrap_or(file).to_owned(), line))
    }

    /// The direct callers of function `g` by weight of its self time.
    pub(crate) fn callers_of(&self, g: GroupIndex) -> Vec<Evidence> {
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
    pub(crate) fn common_caller(&self, leaves: &[GroupIndex]) -> Option<(GroupIndex, f64)> {
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
            // From the leaf itself: a hot function that calls the others (a `main` with time
            // of its own) is their common caller too.
            for (depth, f) in self.profile.stack_frames(holder).enumerate() {
                let g = self.groups.of(f);
                if !seen.contains(&g) {
                    seen.push(g);
                    let entry = under.entry(g).or_default();
                    entry.0 += w;
                    entry.1 += w * depth as f64;
                }
            }
        }
        // Only the program's own code is worth looking at: not a process's or thread's entry
        // (`__libc_start_call_main`, `start_thread`), the standard library's glue
        // (`std::rt::lang_start`) or a runtime's worker loop, which are over everything.
        let own_code = |g: &GroupIndex| {
            crate::category::classify(self.groups.name(*g), None, false) == FrameClass::User
        };
        let candidates: Vec<(GroupIndex, f64)> = under
            .into_iter()
            .filter(|(g, (w, _))| *w >= 0.9 * leaf_weight && own_code(g))
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
    pub(crate) fn total_weights(&self, wanted: Vec<GroupIndex>) -> HashMap<GroupIndex, f64> {
        let mut wanted = wanted;
        wanted.sort_unstable();
        wanted.dedup();
        let sums = self
            .weights
            .path_sums(self.profile)
            .once_per_stack(wanted.len(), |f| {
                let g = self.groups.of(f);
                wanted.iter().position(|w| *w == g)
            });
        wanted.into_iter().zip(sums).collect()
    }
}

/// Inlined code in which a hot function spends its self time.
pub(crate) struct InlinedCallee {
    pub(crate) name: String,
    /// The program's own code inlined into glue (see [`Context::hottest_inlined`]).
    pub(crate) own_in_glue: bool,
    /// Its hottest `file:line`, in its own source.
    pub(crate) at: Option<String>,
    /// Share of the busy time.
    pub(crate) share: f64,
}

impl InlinedCallee {
    pub(crate) fn evidence(&self) -> Evidence {
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
pub(crate) fn inlined_note(total: f64, inlined: &[InlinedCallee], lines: &[Evidence]) -> String {
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
pub(crate) enum For {
    All,
    /// Rust, C++ and C: code whose allocator can be swapped, unlike Go's.
    Native,
    Rust,
    Cpp,
    C,
    Go,
}

impl For {
    pub(crate) fn fits(self, language: Language) -> bool {
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

pub(crate) struct CategoryRule {
    pub(crate) category: Category,
    pub(crate) kind: FindingKind,
    pub(crate) min_share: f64,
    pub(crate) advice: &'static [(For, &'static str)],
}

pub(crate) const CATEGORY_RULES: &[CategoryRule] = &[
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
            (For::Cpp, "Parse numbers with std::from_chars on a std::string_view, not istringstream >> (each extraction builds a sentry and looks up locale facets)."),
            (For::C, "Serialize less: skip fields you do not need, parse in place instead of copying strings."),
            (For::C, "Parse numbers with strtol / strtod on the buffer in place, not sscanf (which parses its format string every call)."),
            (For::All, "Consider a binary format or a faster (de)serializer for the hot path."),
        ],
    },
];
