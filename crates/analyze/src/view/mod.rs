//! Views of a profile: the top-down and bottom-up call trees, top functions and caller /
//! callee, over the samples a filter keeps and after the stack transforms a user applied.
//!
//! An [`Explorer`] does the per-profile work once (frames to function groups, stacks to paths
//! of groups); [`Explorer::view`] then recomputes a [`View`] for any list of [`Transform`]s,
//! which is what the TUI does on every focus, merge, drop or undo.

mod bottom_up;
mod call_tree;
mod group_tree;

use std::fmt;

pub use bottom_up::BottomUp;
pub use call_tree::{CallTree, CallerCallee, NodeId, Related};
use group_tree::{is_node, GroupTree, Node, Step, ROOT};
use profview_model::{ProcessId, Profile, ThreadId, WeightKindId};

use crate::category::module_path_of_source;
use crate::{
    FunctionGroups, GroupIndex, Grouping, InlinedCode, SortBy, StackWeights, TopFunctions,
};

/// A change to what a view shows. Transforms apply in order and compose: focus on `run`, then
/// merge `drop_in_place`, then drop the samples under `log`. Undo by removing the last one
/// (see [`Transforms`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transform {
    /// Keep only samples that call this function, and start their paths at its outermost
    /// call: its subtrees become the roots.
    FocusFunction(String),
    /// Remove the function's frames: its self time goes to its callers.
    MergeFunction(String),
    /// Remove the samples that have the function on their stack.
    DropFunction(String),
    /// When the function calls itself, directly or through other functions, continue at the
    /// outer call: the frames in between disappear.
    CollapseRecursion(String),
    /// Show each run of frames of this module (file name, `libc.so.6`) as one frame
    /// `[libc.so.6]`.
    CollapseModule(String),
    /// Show each run of frames of this Rust crate or C++ namespace (`tokio`, `rayon` which
    /// also takes `rayon_core`, `std`) as one frame `[tokio]`.
    CollapseCrate(String),
    /// Keep only samples of these threads.
    Threads(Vec<ThreadId>),
    /// Keep only samples of these processes.
    Processes(Vec<ProcessId>),
    /// Keep only samples taken in `start..end` (timestamps in nanoseconds, as in the
    /// profile); samples without a timestamp are dropped.
    TimeRange {
        /// First nanosecond kept.
        start: u64,
        /// First nanosecond after the range.
        end: u64,
    },
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FocusFunction(name) => write!(f, "focus {name}"),
            Self::MergeFunction(name) => write!(f, "merge {name}"),
            Self::DropFunction(name) => write!(f, "drop {name}"),
            Self::CollapseRecursion(name) => write!(f, "collapse recursion of {name}"),
            Self::CollapseModule(name) => write!(f, "collapse module {name}"),
            Self::CollapseCrate(name) => write!(f, "collapse crate {name}"),
            Self::Threads(t) => write!(f, "{} thread(s)", t.len()),
            Self::Processes(p) => write!(f, "{} process(es)", p.len()),
            Self::TimeRange { start, end } => write!(f, "time {start}..{end} ns"),
        }
    }
}

/// A list of transforms with undo and redo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transforms {
    applied: Vec<Transform>,
    undone: Vec<Transform>,
}

impl Transforms {
    /// Apply `t` after the others (what was undone cannot be redone any more).
    pub fn push(&mut self, t: Transform) {
        self.applied.push(t);
        self.undone.clear();
    }

    /// Take back the last transform; `false` if there was none.
    pub fn undo(&mut self) -> bool {
        match self.applied.pop() {
            Some(t) => {
                self.undone.push(t);
                true
            }
            None => false,
        }
    }

    /// Apply again the last transform undone; `false` if there was none.
    pub fn redo(&mut self) -> bool {
        match self.undone.pop() {
            Some(t) => {
                self.applied.push(t);
                true
            }
            None => false,
        }
    }

    /// The transforms in force, in order.
    pub fn applied(&self) -> &[Transform] {
        &self.applied
    }
}

/// The per-profile work behind every view: frames grouped into functions, and each stack as
/// a path of groups.
#[derive(Debug, Clone)]
pub struct Explorer<'p> {
    profile: &'p Profile,
    groups: FunctionGroups,
    paths: GroupTree,
    path_of_stack: Vec<Node>,
}

impl<'p> Explorer<'p> {
    /// Prepare views of `profile` with frames grouped as `grouping` says, inlined code counted
    /// in the function it was inlined into.
    pub fn new(profile: &'p Profile, grouping: Grouping) -> Self {
        Self::with_options(profile, grouping, InlinedCode::default())
    }

    /// Prepare views of `profile` with frames grouped as `grouping` says and inlined code
    /// counted as `inlined` says.
    pub fn with_options(profile: &'p Profile, grouping: Grouping, inlined: InlinedCode) -> Self {
        let groups = FunctionGroups::with_options(profile, grouping, inlined);
        // At most a path a stack node: sized once instead of grown (on a million distinct
        // stacks, growing was 13% of the browser's time before its first screen).
        let stacks = profile.stacks();
        let mut paths = GroupTree::with_capacity(stacks.len() + 1);
        let mut path_of_stack: Vec<Node> = Vec::with_capacity(stacks.len());
        // What the nodes a little further will read, asked for ahead so that the cache
        // misses overlap (their parents are anywhere in the table): the path of a later
        // node's parent, then, for a nearer one, what interning under it reads first.
        const NEAR: usize = 8;
        let parent_at = |i: usize| stacks.get(i).and_then(|n| n.parent);
        for (i, node) in stacks.iter().enumerate() {
            if let Some(path) = parent_at(i + 2 * NEAR).and_then(|p| path_of_stack.get(p.index())) {
                profview_model::prefetch(path);
            }
            if let Some(&path) = parent_at(i + NEAR).and_then(|p| path_of_stack.get(p.index())) {
                paths.prefetch_children(path);
            }
            let parent = node.parent.map_or(ROOT, |p| path_of_stack[p.index()]);
            path_of_stack.push(paths.intern(parent, groups.of(node.frame)));
        }
        Self {
            profile,
            groups,
            paths,
            path_of_stack,
        }
    }

    /// The profile.
    pub fn profile(&self) -> &'p Profile {
        self.profile
    }

    /// The function groups (before any collapse transform adds its own).
    pub fn groups(&self) -> &FunctionGroups {
        &self.groups
    }

    /// The view of the samples of `kinds` (their weights summed; give kinds of one unit)
    /// after `transforms`.
    pub fn view(&self, kinds: &[WeightKindId], transforms: &[Transform]) -> View {
        let mut groups = self.groups.clone();
        let steps: Vec<Step> = transforms
            .iter()
            .filter_map(|t| self.step(&mut groups, t))
            .collect();
        // No copy of the base paths: the first step reads them, and without steps they are
        // the tree.
        let mut transformed: Option<GroupTree> = None;
        let mut final_of_path: Option<Vec<Node>> = None;
        for step in &steps {
            let (next, map) = step.apply(transformed.as_ref().unwrap_or(&self.paths));
            final_of_path = Some(match final_of_path {
                None => map,
                Some(mut chained) => {
                    for node in &mut chained {
                        if is_node(*node) {
                            *node = map[*node as usize];
                        }
                    }
                    chained
                }
            });
            transformed = Some(next);
        }
        let tree = transformed.as_ref().unwrap_or(&self.paths);
        let (self_weight, kept) =
            self.weigh(kinds, transforms, final_of_path.as_deref(), tree.len());
        View {
            groups,
            tree: CallTree::build(tree.parent.clone(), tree.group.clone(), self_weight).into(),
            kept: StackWeights::from_weights(kept),
        }
    }

    /// Sum the weight of the samples the filters keep into the final tree's nodes, and into
    /// their original stacks.
    fn weigh(
        &self,
        kinds: &[WeightKindId],
        transforms: &[Transform],
        final_of_path: Option<&[Node]>,
        nodes: usize,
    ) -> (Vec<f64>, Vec<f64>) {
        let filter = SampleFilter::new(self.profile, kinds, transforms);
        let samples = self.profile.samples();
        // Summed into at random places: written out first (`filled`).
        let mut self_weight = profview_model::filled(nodes, 0.0);
        let mut kept = profview_model::filled(self.path_of_stack.len(), 0.0);
        for i in 0..samples.len() {
            let s = samples.get(i);
            if !filter.keeps(s.kind, s.thread, s.time) {
                continue;
            }
            let path = self.path_of_stack[s.stack.index()];
            let node = final_of_path.map_or(path, |f| f[path as usize]);
            if is_node(node) {
                self_weight[node as usize] += s.weight;
                kept[s.stack.index()] += s.weight;
            }
        }
        (self_weight, kept)
    }

    /// The functions that `transforms` name and this profile does not have, each with the
    /// closest names it does have. A view with such a transform is empty (focus) or
    /// unchanged (drop, merge), which is never what was meant.
    pub fn unknown_functions(&self, transforms: &[Transform]) -> Vec<UnknownFunction> {
        transforms
            .iter()
            .filter_map(|t| match t {
                Transform::FocusFunction(n)
                | Transform::MergeFunction(n)
                | Transform::DropFunction(n)
                | Transform::CollapseRecursion(n) => Some((t, n)),
                _ => None,
            })
            .filter(|(_, name)| self.groups.named(name).next().is_none())
            .map(|(t, name)| UnknownFunction {
                transform: t.clone(),
                closest: self.groups.closest_names(name, 3),
            })
            .collect()
    }

    /// The stack step of a transform (filters have none), its functions resolved to groups.
    fn step(&self, groups: &mut FunctionGroups, t: &Transform) -> Option<Step> {
        let by_name = |groups: &FunctionGroups, name: &str| {
            let mut mask = vec![false; groups.len()];
            for g in groups.named(name) {
                mask[g.index()] = true;
            }
            mask
        };
        Some(match t {
            Transform::FocusFunction(n) => Step::Focus(by_name(groups, n)),
            Transform::MergeFunction(n) => Step::Merge(by_name(groups, n)),
            Transform::DropFunction(n) => Step::Drop(by_name(groups, n)),
            Transform::CollapseRecursion(n) => Step::CollapseRecursion(by_name(groups, n)),
            Transform::CollapseModule(module) => {
                let mask = (0..groups.len())
                    .map(GroupIndex::new)
                    .map(|g| {
                        groups
                            .module(g)
                            .is_some_and(|m| self.profile.module_name(m) == module)
                    })
                    .collect();
                Step::Collapse(mask, groups.synthetic(&format!("[{module}]")))
            }
            Transform::CollapseCrate(krate) => {
                let mask = self.crate_mask(groups, krate);
                Step::Collapse(mask, groups.synthetic(&format!("[{krate}]")))
            }
            Transform::Threads(_) | Transform::Processes(_) | Transform::TimeRange { .. } => {
                return None
            }
        })
    }

    /// Which groups belong to crate `krate`: by the path in the name, or for a bare inlined
    /// name, by where its source file is (cargo registry or the Rust library).
    fn crate_mask(&self, groups: &FunctionGroups, krate: &str) -> Vec<bool> {
        let mut mask: Vec<bool> = (0..groups.len())
            .map(GroupIndex::new)
            .map(|g| crate_of_name(groups.name(g)).is_some_and(|c| crate_matches(c, krate)))
            .collect();
        for (i, frame) in self.profile.frames().iter().enumerate() {
            let g = self
                .groups
                .of(profview_model::FrameId::from_index(i))
                .index();
            let profview_model::Frame::Resolved(f) = frame else {
                continue;
            };
            if mask[g] || crate_of_name(groups.name(GroupIndex::new(g))).is_some() {
                continue;
            }
            let from_source = f
                .file
                .and_then(|file| module_path_of_source(self.profile.string(file)));
            if let Some(path) = from_source {
                let c = path.split("::").next().unwrap_or(&path);
                mask[g] = crate_matches(c, krate);
            }
        }
        mask
    }
}

/// The crate of a Rust path or C++ namespace (`tokio` for `<tokio::runtime::Runtime>::block_on`).
fn crate_of_name(name: &str) -> Option<&str> {
    let name = name.trim_start_matches(['<', '&', '*']);
    let name = name.strip_prefix("dyn ").unwrap_or(name);
    let (head, _) = name.split_once("::")?;
    (!head.is_empty() && head.chars().all(|c| c.is_alphanumeric() || c == '_')).then_some(head)
}

/// `rayon` names `rayon` and `rayon_core`.
fn crate_matches(krate: &str, wanted: &str) -> bool {
    krate == wanted
        || krate
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.starts_with('_'))
}

/// Which samples the filter transforms keep.
struct SampleFilter {
    kinds: Vec<bool>,
    threads: Option<Vec<bool>>,
    times: Vec<(u64, u64)>,
}

impl SampleFilter {
    fn new(profile: &Profile, kinds: &[WeightKindId], transforms: &[Transform]) -> Self {
        let mut kind_mask = vec![false; profile.weight_kinds().len()];
        for k in kinds {
            kind_mask[k.index()] = true;
        }
        let mut threads: Option<Vec<bool>> = None;
        let mut keep_threads = |keep: &dyn Fn(usize) -> bool| {
            let mask = threads.get_or_insert_with(|| vec![true; profile.threads().len()]);
            for (t, m) in mask.iter_mut().enumerate() {
                *m &= keep(t);
            }
        };
        let mut times = Vec::new();
        for t in transforms {
            match t {
                Transform::Threads(list) => {
                    keep_threads(&|t| list.iter().any(|l| l.index() == t));
                }
                Transform::Processes(list) => keep_threads(&|t| {
                    let process = profile.threads()[t].process;
                    process.is_some_and(|p| list.contains(&p))
                }),
                Transform::TimeRange { start, end } => times.push((*start, *end)),
                _ => {}
            }
        }
        Self {
            kinds: kind_mask,
            threads,
            times,
        }
    }

    fn keeps(&self, kind: WeightKindId, thread: ThreadId, time: Option<u64>) -> bool {
        self.kinds[kind.index()]
            && self.threads.as_ref().is_none_or(|m| m[thread.index()])
            && (self.times.is_empty()
                || time.is_some_and(|t| self.times.iter().all(|(s, e)| (*s..*e).contains(&t))))
    }
}

/// A transform naming a function the profile does not have.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownFunction {
    /// The transform.
    pub transform: Transform,
    /// The profile's function names closest to the one asked for, best first.
    pub closest: Vec<String>,
}

/// One view: the top-down call tree after transforms and filters, and the groups it names.
#[derive(Debug, Clone)]
pub struct View {
    groups: FunctionGroups,
    tree: std::sync::Arc<CallTree>,
    kept: StackWeights,
}

impl View {
    /// The weight of the samples this view keeps, summed per original stack (before the
    /// stack transforms): the input for findings about what the view shows.
    pub fn kept_weights(&self) -> &StackWeights {
        &self.kept
    }

    /// The function groups the tree's nodes refer to (collapsed modules and crates included).
    pub fn groups(&self) -> &FunctionGroups {
        &self.groups
    }

    /// The top-down call tree.
    pub fn tree(&self) -> &CallTree {
        &self.tree
    }

    /// The bottom-up (inverted) call tree: sampled functions at the root, their callers below.
    /// Nodes are computed as they are opened.
    pub fn bottom_up(&self) -> BottomUp {
        BottomUp::new(std::sync::Arc::clone(&self.tree))
    }

    /// Self and total weight per function in this view.
    pub fn functions(&self, profile: &Profile, sort: SortBy) -> TopFunctions {
        self.tree.functions(profile, &self.groups, sort)
    }

    /// The callers and callees of the function named `name` (every group of that name);
    /// `None` if the view has no such function.
    pub fn caller_callee(&self, name: &str) -> Option<CallerCallee> {
        let targets: Vec<GroupIndex> = self.groups.named(name).collect();
        let found = self.tree.caller_callee(&self.groups, &targets);
        (found.total_weight != 0.0).then_some(found)
    }

    /// What to show for node `node` of `tree` (this view's top-down tree or its bottom-up
    /// tree): its function, with the line when grouping by line.
    pub fn label(&self, tree: &(impl WeightedTree + ?Sized), node: NodeId) -> String {
        tree.group(node)
            .map_or_else(|| "[root]".to_owned(), |g| self.groups.label(g))
    }
}

/// What the top-down and the bottom-up tree have in common, for code that shows either.
pub trait WeightedTree {
    /// The weight of the whole view.
    fn total(&self) -> f64;
    /// The children of `node` with a non-zero total, heaviest first (computed if needed).
    fn child_nodes(&mut self, node: NodeId) -> Vec<NodeId>;
    /// The function group of `node`, `None` for the root.
    fn group(&self, node: NodeId) -> Option<GroupIndex>;
    /// Weight of the samples whose path ends at `node`.
    fn self_weight(&self, node: NodeId) -> f64;
    /// Weight of the samples whose path passes through `node`.
    fn total_weight(&self, node: NodeId) -> f64;
}

/// First and last sample timestamp of the profile, in nanoseconds.
pub fn time_bounds(profile: &Profile) -> Option<(u64, u64)> {
    profile.samples().time_bounds()
}

#[cfg(test)]
mod tests;
