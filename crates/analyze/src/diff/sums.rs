//! Both profiles summed over one set of comparable names: self and total weight per function,
//! and self weight per call path (a prefix tree shared by both sides).

use profview_model::{FrameId, Profile};
use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;

use super::normalize::frame_key;
use crate::StackWeights;

/// Index of a comparable function name.
pub type Key = u32;

/// Index of a node of the [`PathTrie`].
pub type PathNode = u32;

/// The node above every root frame.
pub const ROOT: PathNode = 0;

/// Which profile: 0 before, 1 after.
pub type SideIndex = usize;

/// Comparable function names, shared by both profiles.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    index: FxHashMap<String, Key>,
    names: Vec<String>,
    /// The module the name was first seen in.
    modules: Vec<Option<String>>,
}

impl Keys {
    fn intern(&mut self, name: String, module: Option<&str>) -> Key {
        if let Some(&key) = self.index.get(&name) {
            return key;
        }
        let key = self.names.len() as Key;
        self.names.push(name.clone());
        self.modules.push(module.map(str::to_owned));
        self.index.insert(name, key);
        key
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, key: Key) -> &str {
        &self.names[key as usize]
    }

    pub fn module(&self, key: Key) -> Option<&str> {
        self.modules[key as usize].as_deref()
    }
}

/// Call paths of both profiles by comparable name, with self weight per side.
///
/// A call from a function to itself (or to a clone that normalizes to the same name) adds no
/// level, so that a build which split `foo` into `foo` and `foo.part.0` still has the paths
/// of the build which did not.
#[derive(Debug, Clone)]
pub struct PathTrie {
    parent: Vec<PathNode>,
    key: Vec<Key>,
    /// Each node's first two children and their keys, by the node's index ([`ROOT`] for none
    /// yet): most paths continue one way or two, so most lookups read one place (the stack
    /// table of the model does the same).
    first_children: Vec<[(PathNode, Key); 2]>,
    /// The children after their parent's first two.
    index: FxHashMap<(PathNode, Key), PathNode>,
    pub self_weight: [Vec<f64>; 2],
}

impl Default for PathTrie {
    fn default() -> Self {
        Self {
            parent: vec![ROOT],
            key: vec![Key::MAX],
            first_children: vec![[(ROOT, Key::MAX); 2]],
            index: FxHashMap::default(),
            self_weight: [vec![0.0], vec![0.0]],
        }
    }
}

impl PathTrie {
    fn child(&mut self, parent: PathNode, key: Key) -> PathNode {
        if parent != ROOT && self.key[parent as usize] == key {
            return parent;
        }
        let node = self.parent.len() as PathNode;
        let mut free = None;
        for (slot, (child, child_key)) in self.first_children[parent as usize].iter().enumerate() {
            if *child == ROOT {
                free = Some(slot);
                break;
            }
            if *child_key == key {
                return *child;
            }
        }
        match free {
            Some(slot) => self.first_children[parent as usize][slot] = (node, key),
            None => match self.index.entry((parent, key)) {
                Entry::Occupied(e) => return *e.get(),
                Entry::Vacant(e) => {
                    e.insert(node);
                }
            },
        }
        self.parent.push(parent);
        self.key.push(key);
        self.first_children.push([(ROOT, Key::MAX); 2]);
        self.self_weight[0].push(0.0);
        self.self_weight[1].push(0.0);
        node
    }

    /// Number of nodes, the root included.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    pub fn parent(&self, node: PathNode) -> PathNode {
        self.parent[node as usize]
    }

    pub fn key(&self, node: PathNode) -> Key {
        self.key[node as usize]
    }

    /// The names from the root frame down to `node`.
    pub fn path<'k>(&self, node: PathNode, keys: &'k Keys) -> Vec<&'k str> {
        let mut path = Vec::new();
        let mut at = node;
        while at != ROOT {
            path.push(keys.name(self.key(at)));
            at = self.parent(at);
        }
        path.reverse();
        path
    }

    /// Total (inclusive) weight of every node for `side`: its self weight plus its subtree's.
    pub fn totals(&self, side: SideIndex) -> Vec<f64> {
        let mut totals = self.self_weight[side].clone();
        // Children always come after their parent, so one backward pass sums every subtree.
        for node in (1..self.len()).rev() {
            let parent = self.parent[node] as usize;
            totals[parent] += totals[node];
        }
        totals
    }
}

/// Self and total weight per function key, for both profiles.
#[derive(Debug, Clone, Default)]
pub struct FunctionSums {
    pub self_weight: [Vec<f64>; 2],
    pub total_weight: [Vec<f64>; 2],
}

impl FunctionSums {
    fn grow(&mut self, len: usize) {
        for side in 0..2 {
            self.self_weight[side].resize(len, 0.0);
            self.total_weight[side].resize(len, 0.0);
        }
    }
}

/// Everything both profiles contribute to a diff.
#[derive(Debug, Clone, Default)]
pub struct Sums {
    pub keys: Keys,
    pub paths: PathTrie,
    pub functions: FunctionSums,
}

impl Sums {
    /// Add the samples `weights` holds of `profile` as side `side`.
    pub fn add(&mut self, side: SideIndex, profile: &Profile, weights: &StackWeights) {
        let frame_keys: Vec<Key> = (0..profile.frames().len())
            .map(|i| {
                let frame = FrameId::from_index(i);
                let module = profile.frame_module(frame).map(|m| profile.module_name(m));
                self.keys.intern(frame_key(profile, frame), module)
            })
            .collect();
        self.functions.grow(self.keys.len());
        // The command name inferno's folded stacks start with is the thread's name, not code:
        // perf.data and Firefox stacks start with code, and a program's name may change
        // between builds (`app_v1`, `app_v2`). Only that root node is left out, not other
        // frames of the same name (GNU sort's `sort()`).
        let root_names_thread = profile.meta.root_frame_is_thread;

        // Stacks are interned parents first, so each stack's path node follows from its
        // parent's in one forward pass.
        let mut stack_paths: Vec<PathNode> = Vec::with_capacity(profile.stacks().len());
        for node in profile.stacks() {
            let frame = node.frame.index();
            let path = match node.parent {
                None if root_names_thread => ROOT,
                parent => {
                    let parent = parent.map_or(ROOT, |p| stack_paths[p.index()]);
                    self.paths.child(parent, frame_keys[frame])
                }
            };
            stack_paths.push(path);
        }

        for (stack, w) in weights.nonzero() {
            self.paths.self_weight[side][stack_paths[stack.index()] as usize] += w;
            // Function rows give inlined code's time to the function that holds it (perf
            // report's Symbol column); call paths keep the inlined frames.
            let holder = profile.physical_stack(stack);
            let leaf = profile.stack(holder).frame;
            let key = frame_keys[leaf.index()] as usize;
            self.functions.self_weight[side][key] += w;
            // A stack of inlined frames only is its own holder: its leaf counts.
            if profile.frame(leaf).is_inlined() {
                self.functions.total_weight[side][key] += w;
            }
            // A root that names the thread counts only for its own samples.
            if root_names_thread && profile.stack(stack).parent.is_none() {
                self.functions.total_weight[side][key] += w;
            }
        }
        // Totals: each stack once per function on it (recursion once), in one pass over the
        // stack tree; inlined frames count in the function that holds them, not on their own.
        let totals =
            weights
                .path_sums(profile)
                .once_per_stack_at(self.keys.len(), |node, frame| {
                    let thread_root = root_names_thread && profile.stack(node).parent.is_none();
                    let skip = thread_root || profile.frame(frame).is_inlined();
                    (!skip).then(|| frame_keys[frame.index()] as usize)
                });
        for (total, sum) in self.functions.total_weight[side].iter_mut().zip(totals) {
            *total += sum;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Children past the first two (hashed) are found like the first two, and a call of a
    /// key to itself adds no level.
    #[test]
    fn path_trie_finds_every_child_once() {
        let mut t = PathTrie::default();
        let a = t.child(ROOT, 1);
        let kids: Vec<PathNode> = (10..15).map(|k| t.child(a, k)).collect();
        let b = t.child(kids[3], 1);
        assert_eq!(t.len(), 8, "the root, a, five children of a, and b");
        assert_eq!(t.child(ROOT, 1), a);
        for (k, &node) in (10..15).zip(&kids) {
            assert_eq!(t.child(a, k), node);
            assert_eq!((t.parent(node), t.key(node)), (a, k));
        }
        assert_eq!(t.child(kids[3], 1), b);
        assert_eq!(t.child(a, 1), a, "recursion adds no level");
        assert_eq!(t.child(ROOT, 2), 8, "a new root path");
        assert_eq!(
            t.index.len(),
            3,
            "only the third to fifth children of a are hashed"
        );
    }
}
