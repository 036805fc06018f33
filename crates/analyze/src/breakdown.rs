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

    /// Walk one stack from the leaf to the first user frame (the root frame left out when
    /// `skip_root`).
    pub(crate) fn attribute(
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
            self.class[groups.of(frame).index()] = Some(class);
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
