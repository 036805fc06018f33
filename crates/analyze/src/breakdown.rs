//! Where the busy time goes: every sample attributed to one [`Category`] (the outermost
//! categorized frame below the first user-code frame, which is the *caller* named in the
//! evidence), and the classes of every frame that decide it.

use std::collections::HashMap;

use profview_model::{Frame, FrameId, Profile, StackId};

use crate::category::{
    classify, interpreter_of_module, is_kernel_entry, is_spawn, Category, FrameClass,
};
use crate::{FunctionGroups, GroupIndex, StackWeights};

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
        let mut attribution = Attribution {
            profile,
            classes: &classes,
            groups,
            // Folded stacks from inferno start with the command name: not code, so not a
            // caller.
            skip_root: profile.meta.root_frame_is_thread,
            last_visit: vec![0; groups.len()],
        };
        // Depth first over the weighted stack tree: a stack's walk up to its first user frame
        // reads its callers from the current path, each computed once, instead of jumping
        // from node to parent across the stack table (on a million distinct stacks those
        // jumps were most of the findings' time).
        weights.path_sums(profile).depth_first(|path, node, frame| {
            let level = attribution.level(path, node, frame);
            let weight = weights.get_or_zero(node);
            if weight != 0.0 {
                attribution.add(&mut b, path, &level, weight);
            }
            level
        });
        b
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

/// One node on the path of the depth-first pass, with what its stack's walks need of it.
struct Level {
    node: StackId,
    frame: FrameId,
    class: FrameClass,
    in_kernel: bool,
    /// A kernel entry point (syscall, interrupt, exception) is at or above this node.
    entry_above: bool,
}

/// The state of [`Breakdown::new`]'s pass.
struct Attribution<'a> {
    profile: &'a Profile,
    classes: &'a FrameClasses,
    groups: &'a FunctionGroups,
    skip_root: bool,
    /// Per group, the (stack index + 1, step from the leaf) of the visit that set its
    /// class: a group's class is the one of its last visit in the order of stack index and
    /// then leaf to root (what walking the stacks one by one in index order left), whatever
    /// order the pass meets them in.
    last_visit: Vec<u64>,
}

impl Attribution<'_> {
    /// The level of `node` (of `frame`) below the levels of `path`, its callers root first.
    fn level(&self, path: &[Level], node: StackId, frame: FrameId) -> Level {
        let f = frame.index();
        let counted = !path.is_empty() || !self.skip_root;
        let entry_above =
            (counted && self.classes.entry[f]) || path.last().is_some_and(|l| l.entry_above);
        // Folded stacks do not mark kernel frames: everything leafward of a kernel entry
        // point (syscall, interrupt, exception) is kernel code.
        let in_kernel = self.classes.kernel_kind[f] || entry_above;
        let class = if in_kernel {
            self.classes.as_kernel[f]
        } else {
            self.classes.as_user[f]
        };
        Level {
            node,
            frame,
            class,
            in_kernel,
            entry_above,
        }
    }

    /// Attribute `weight`, the samples of the stack ending at `leaf` below `path`.
    fn add(&mut self, b: &mut Breakdown, path: &[Level], leaf: &Level, weight: f64) {
        let walk = self.walk(b, path, leaf);
        // Self time belongs to the function that holds the instruction, inlined code
        // included (perf report's Symbol column).
        let holder = self.groups.of(self.holder(path, leaf)).index();
        b.self_weight[holder] += weight;
        if walk.category == Category::User {
            b.own_weight[holder] += weight;
        }
        if walk.category == Category::Idle {
            b.idle += weight;
            return;
        }
        b.busy += weight;
        *b.categories.entry(walk.category).or_default() += weight;
        if let Some(caller) = walk.caller {
            *b.callers.entry((walk.category, caller)).or_default() += weight;
        }
        if let Some(r) = walk.runtime {
            *b.runtimes.entry(r).or_default() += weight;
        }
        if walk.spawn {
            b.spawn += weight;
        }
    }

    /// Walk the stack ending at `leaf` from the leaf to the first user frame (the root frame
    /// left out when `skip_root`), noting the class of each group met in `b`.
    fn walk(&mut self, b: &mut Breakdown, path: &[Level], leaf: &Level) -> Walk {
        let mut outermost: Option<(Category, FrameId)> = None;
        let mut walk = Walk {
            category: Category::User,
            caller: None,
            runtime: None,
            spawn: false,
        };
        let stack_key = (leaf.node.index() as u64 + 1) << 32;
        for (step, level) in std::iter::once(leaf).chain(path.iter().rev()).enumerate() {
            if self.skip_root && step == path.len() {
                break;
            }
            let group = self.groups.of(level.frame);
            let visit = stack_key | step as u64;
            if visit > self.last_visit[group.index()] {
                self.last_visit[group.index()] = visit;
                b.class[group.index()] = Some(level.class);
            }
            walk.spawn |= !level.in_kernel && self.classes.spawn[level.frame.index()];
            match level.class {
                FrameClass::In(c) => outermost = Some((c, level.frame)),
                FrameClass::Transparent => {}
                FrameClass::User => {
                    walk.caller = Some(group);
                    break;
                }
            }
        }
        if let Some((c, frame)) = outermost {
            walk.category = c;
            walk.runtime = self.classes.runtime[frame.index()];
        }
        walk
    }

    /// The frame of [`FunctionGroups::self_stack`] of the stack ending at `leaf`: past the
    /// inlined frames to the function that holds them, when inlined code has no rows of
    /// its own ([`Profile::physical_stack`]; a stack of only inlined frames is its own).
    fn holder(&self, path: &[Level], leaf: &Level) -> FrameId {
        if !self.groups.has_inlined() {
            return leaf.frame;
        }
        std::iter::once(leaf)
            .chain(path.iter().rev())
            .find(|l| !self.profile.frame(l.frame).is_inlined())
            .map_or(leaf.frame, |l| l.frame)
    }
}

/// What the walk of one stack found.
pub(crate) struct Walk {
    pub(crate) category: Category,
    pub(crate) caller: Option<GroupIndex>,
    pub(crate) runtime: Option<&'static str>,
    pub(crate) spawn: bool,
}

/// The classes of every frame, computed once.
pub(crate) struct FrameClasses {
    /// The class as user-space code.
    pub(crate) as_user: Vec<FrameClass>,
    /// The class as kernel code.
    pub(crate) as_kernel: Vec<FrameClass>,
    /// Known to be kernel code (perf.data, annotated folded stacks).
    pub(crate) kernel_kind: Vec<bool>,
    /// A kernel entry point (syscall, interrupt, exception).
    pub(crate) entry: Vec<bool>,
    pub(crate) spawn: Vec<bool>,
    pub(crate) runtime: Vec<Option<&'static str>>,
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
pub(crate) fn qualified_name(profile: &Profile, frame: FrameId, name: &str) -> Option<String> {
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
pub(crate) const INTERPRETER_LANGUAGES: &[&str] =
    &["Python", "Ruby", "Perl", "JavaScript", "PHP", "Lua"];

/// How to see the interpreted code of a profile whose time is in `language`'s interpreter.
pub(crate) fn interpreter_advice(language: &str) -> Vec<String> {
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
pub(crate) fn runtime_family(name: &str, module: Option<&str>) -> &'static str {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::InlinedCode;
    use crate::Grouping;
    use profview_model::{FrameKind, ResolvedFrame, WeightUnit};

    /// The walk every stack got before the depth-first pass, one stack at a time in index
    /// order: the reference the pass must agree with, class of each group included.
    fn walked(profile: &Profile, weights: &StackWeights, groups: &FunctionGroups) -> Breakdown {
        let classes = FrameClasses::new(profile);
        let skip_root = profile.meta.root_frame_is_thread;
        let mut b = Breakdown {
            self_weight: vec![0.0; groups.len()],
            own_weight: vec![0.0; groups.len()],
            class: vec![None; groups.len()],
            ..Breakdown::default()
        };
        for (stack, w) in weights.nonzero() {
            let mut nodes = Vec::new();
            let mut at = Some(stack);
            while let Some(node) = at {
                nodes.push(node);
                at = profile.stack(node).parent;
            }
            let mut outermost = None;
            let mut walk = Walk {
                category: Category::User,
                caller: None,
                runtime: None,
                spawn: false,
            };
            for (i, &node) in nodes.iter().enumerate() {
                if skip_root && i == nodes.len() - 1 {
                    break;
                }
                let f = profile.stack(node).frame;
                let in_kernel = classes.kernel_kind[f.index()]
                    || nodes[i..]
                        .iter()
                        .filter(|&&n| !skip_root || profile.stack(n).parent.is_some())
                        .any(|&n| classes.entry[profile.stack(n).frame.index()]);
                let class = if in_kernel {
                    classes.as_kernel[f.index()]
                } else {
                    classes.as_user[f.index()]
                };
                b.class[groups.of(f).index()] = Some(class);
                walk.spawn |= !in_kernel && classes.spawn[f.index()];
                match class {
                    FrameClass::In(c) => outermost = Some((c, f)),
                    FrameClass::Transparent => {}
                    FrameClass::User => {
                        walk.caller = Some(groups.of(f));
                        break;
                    }
                }
            }
            if let Some((c, f)) = outermost {
                walk.category = c;
                walk.runtime = classes.runtime[f.index()];
            }
            let holder = groups.of(profile.stack(groups.self_stack(profile, stack)).frame);
            b.self_weight[holder.index()] += w;
            if walk.category == Category::User {
                b.own_weight[holder.index()] += w;
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

    /// Everything a breakdown holds, the maps sorted.
    fn summary(b: &Breakdown) -> String {
        let sorted = |mut v: Vec<String>| {
            v.sort();
            v
        };
        let categories = sorted(b.categories.iter().map(|e| format!("{e:?}")).collect());
        let callers = sorted(b.callers.iter().map(|e| format!("{e:?}")).collect());
        let runtimes = sorted(b.runtimes.iter().map(|e| format!("{e:?}")).collect());
        format!(
            "busy {} idle {} spawn {}\n{categories:?}\n{callers:?}\n{runtimes:?}\nself {:?}\nown {:?}\nclass {:?}",
            b.busy, b.idle, b.spawn, b.self_weight, b.own_weight, b.class
        )
    }

    /// Frames of every class: user code, allocator, lock, runtime, spawn, unknown, kernel
    /// (idle, lock, other), kernel entry points unmarked as kernel (folded stacks), and the
    /// same names inlined, so that one group meets different classes in different stacks.
    fn frames(p: &mut Profile) -> Vec<FrameId> {
        let user = [
            "main",
            "work",
            "parse",
            "malloc",
            "pthread_mutex_lock",
            "rayon_core::registry::WorkerThread::wait_until",
            "std::thread::Builder::spawn",
            "pthread_create",
            "[unknown]",
            "entry_SYSCALL_64",
            "do_idle",
            "_raw_spin_lock",
        ];
        let kernel = ["do_idle", "_raw_spin_lock", "schedule", "entry_SYSCALL_64"];
        let mut out = Vec::new();
        for name in user {
            out.push(p.resolved_frame(name, None, FrameKind::User));
        }
        for name in kernel {
            out.push(p.resolved_frame(name, None, FrameKind::Kernel));
        }
        for name in ["work", "malloc", "std::thread::Builder::spawn", "main"] {
            let outer = p.resolved_frame(name, None, FrameKind::User);
            let function = match p.frame(outer) {
                Frame::Resolved(f) => f.function,
                Frame::Unresolved(_) => unreachable!(),
            };
            out.push(p.intern_frame(Frame::Resolved(ResolvedFrame {
                function,
                file: None,
                line: Some(7),
                inline_depth: 1,
                kind: FrameKind::User,
                address: None,
            })));
        }
        out
    }

    /// On random stacks of frames of every class, with and without a thread-name root, with
    /// inlined code in its caller or on its own rows: the depth-first pass attributes every
    /// weight and classifies every group exactly as walking each stack did.
    #[test]
    fn the_pass_agrees_with_walking_every_stack() {
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move |n: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % n
        };
        for round in 0..40 {
            let mut p = Profile::new();
            let kind = p.add_weight_kind("samples", WeightUnit::Samples);
            let t = p.add_thread(None, None, None);
            p.meta.root_frame_is_thread = round % 2 == 1;
            let frames = frames(&mut p);
            for _ in 0..300 {
                let depth = 1 + next(9) as usize;
                let path: Vec<FrameId> = (0..depth)
                    .map(|_| frames[next(frames.len() as u64) as usize])
                    .collect();
                let stack = p.intern_stack_path(&path);
                if next(5) != 0 {
                    p.add_sample(profview_model::Sample {
                        thread: t,
                        stack,
                        kind,
                        weight: (1 + next(50)) as f64,
                        time: None,
                    });
                }
            }
            let weights = StackWeights::new(&p, kind);
            for inlined in [InlinedCode::InCaller, InlinedCode::OwnRows] {
                let groups = FunctionGroups::with_options(&p, Grouping::Function, inlined);
                let pass = Breakdown::new(&p, &weights, &groups);
                let reference = walked(&p, &weights, &groups);
                assert_eq!(summary(&pass), summary(&reference), "round {round}");
            }
        }
    }
}
