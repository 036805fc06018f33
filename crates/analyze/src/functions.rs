//! Frames grouped into functions, and the top-functions table (self and total weight).

use std::collections::HashMap;

use profview_model::{FrameId, ModuleId, Profile, WeightKindId};
use serde::Serialize;

use crate::StackWeights;

/// Index of a function group in a [`FunctionGroups`].
pub type GroupIndex = u32;

/// Maps every frame to the function it belongs to, by display name and module.
///
/// Resolved frames group by function name and module; unresolved frames by `module+0xaddr`, so
/// each unknown address is its own row, as in `perf report`.
#[derive(Debug, Clone)]
pub struct FunctionGroups {
    of_frame: Vec<GroupIndex>,
    names: Vec<String>,
    modules: Vec<Option<ModuleId>>,
}

impl FunctionGroups {
    /// Group the frames of `profile`.
    pub fn new(profile: &Profile) -> Self {
        let mut index: HashMap<(String, Option<ModuleId>), GroupIndex> = HashMap::new();
        let mut names = Vec::new();
        let mut modules = Vec::new();
        let of_frame = (0..profile.frames().len())
            .map(|i| {
                let frame = FrameId::from_index(i);
                let key = (profile.frame_label(frame), profile.frame_module(frame));
                *index.entry(key).or_insert_with_key(|(name, module)| {
                    names.push(name.clone());
                    modules.push(*module);
                    (names.len() - 1) as GroupIndex
                })
            })
            .collect();
        Self {
            of_frame,
            names,
            modules,
        }
    }

    /// The group of `frame`.
    pub fn of(&self, frame: FrameId) -> GroupIndex {
        self.of_frame[frame.index()]
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if the profile has no frames.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// Display name of group `g`.
    pub fn name(&self, g: GroupIndex) -> &str {
        &self.names[g as usize]
    }

    /// Module of group `g`, when known.
    pub fn module(&self, g: GroupIndex) -> Option<ModuleId> {
        self.modules[g as usize]
    }
}

/// Self and total weight of one function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionStats {
    /// Function name (or `module+0xaddr`).
    pub name: String,
    /// Module file name, when known.
    pub module: Option<String>,
    /// Weight of samples whose leaf frame is this function.
    pub self_weight: f64,
    /// Weight of samples with this function anywhere on the stack, counted once per sample
    /// even when the function recurses.
    pub total_weight: f64,
}

/// Which weight orders the top-functions table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortBy {
    /// Self weight (perf report --no-children).
    #[default]
    SelfWeight,
    /// Total (inclusive) weight (perf report --children).
    Total,
}

/// The top-functions table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopFunctions {
    /// The weight every percentage is a share of.
    pub total_weight: f64,
    /// Functions with a non-zero total weight, heaviest first.
    pub functions: Vec<FunctionStats>,
}

impl TopFunctions {
    /// Compute self and total weight per function for weight kind `kind`, sorted by `sort`
    /// (ties by name, so the order is deterministic).
    pub fn new(profile: &Profile, kind: WeightKindId, sort: SortBy) -> Self {
        let weights = StackWeights::new(profile, kind);
        let groups = FunctionGroups::new(profile);
        Self::from_parts(profile, &weights, &groups, sort)
    }

    /// As [`TopFunctions::new`], from weights and groups already computed.
    pub fn from_parts(
        profile: &Profile,
        weights: &StackWeights,
        groups: &FunctionGroups,
        sort: SortBy,
    ) -> Self {
        let mut self_w = vec![0.0; groups.len()];
        let mut total_w = vec![0.0; groups.len()];
        // `seen[g] == stamp` marks g as counted for the current stack, so recursion counts once.
        let mut seen = vec![usize::MAX; groups.len()];
        for (stamp, (stack, w)) in weights.nonzero().enumerate() {
            let leaf = profile.stack(stack).frame;
            self_w[groups.of(leaf) as usize] += w;
            for frame in profile.stack_frames(stack) {
                let g = groups.of(frame) as usize;
                if seen[g] != stamp {
                    seen[g] = stamp;
                    total_w[g] += w;
                }
            }
        }
        let mut functions: Vec<FunctionStats> = (0..groups.len())
            .filter(|&g| total_w[g] != 0.0)
            .map(|g| FunctionStats {
                name: groups.name(g as GroupIndex).to_owned(),
                module: groups
                    .module(g as GroupIndex)
                    .map(|m| profile.module_name(m).to_owned()),
                self_weight: self_w[g],
                total_weight: total_w[g],
            })
            .collect();
        let key = |f: &FunctionStats| match sort {
            SortBy::SelfWeight => (f.self_weight, f.total_weight),
            SortBy::Total => (f.total_weight, f.self_weight),
        };
        functions.sort_by(|a, b| {
            key(b)
                .partial_cmp(&key(a))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| a.name.cmp(&b.name))
        });
        Self {
            total_weight: weights.total(),
            functions,
        }
    }

    /// `weight` as a percentage (0-100) of the total; 0 for an empty profile.
    pub fn percent(&self, weight: f64) -> f64 {
        if self.total_weight > 0.0 {
            100.0 * weight / self.total_weight
        } else {
            0.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::{FrameKind, Sample, WeightUnit};

    fn profile(stacks: &[(&[&str], f64)]) -> (Profile, WeightKindId) {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        for (names, weight) in stacks {
            let frames: Vec<_> = names
                .iter()
                .map(|n| p.resolved_frame(n, None, FrameKind::User))
                .collect();
            let stack = p.intern_stack_path(&frames);
            p.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight: *weight,
            });
        }
        (p, kind)
    }

    fn row<'a>(t: &'a TopFunctions, name: &str) -> &'a FunctionStats {
        t.functions.iter().find(|f| f.name == name).unwrap()
    }

    #[test]
    fn self_and_total() {
        let (p, k) = profile(&[
            (&["main", "a", "b"], 3.0),
            (&["main", "a"], 1.0),
            (&["main", "c"], 6.0),
        ]);
        let t = TopFunctions::new(&p, k, SortBy::SelfWeight);
        assert_eq!(t.total_weight, 10.0);
        let names: Vec<&str> = t.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["c", "b", "a", "main"]);
        assert_eq!(row(&t, "main").total_weight, 10.0);
        assert_eq!(row(&t, "main").self_weight, 0.0);
        assert_eq!(row(&t, "a").total_weight, 4.0);
        assert_eq!(row(&t, "a").self_weight, 1.0);
        assert_eq!(t.percent(row(&t, "c").self_weight), 60.0);
    }

    #[test]
    fn recursion_counts_total_once() {
        let (p, k) = profile(&[
            (&["main", "fib", "fib", "fib"], 5.0),
            (&["main", "other"], 5.0),
        ]);
        let t = TopFunctions::new(&p, k, SortBy::Total);
        assert_eq!(row(&t, "fib").total_weight, 5.0);
        assert_eq!(row(&t, "fib").self_weight, 5.0);
        assert_eq!(t.functions[0].name, "main");
        assert!(t.functions.iter().all(|f| f.total_weight <= t.total_weight));
    }

    #[test]
    fn samples_of_other_kinds_are_ignored() {
        let (mut p, k) = profile(&[(&["a"], 2.0)]);
        let other = p.add_weight_kind("bytes", WeightUnit::Bytes);
        let stack = p.samples().get(0).stack;
        let thread = p.samples().get(0).thread;
        p.add_sample(Sample {
            thread,
            time: None,
            stack,
            kind: other,
            weight: 100.0,
        });
        let t = TopFunctions::new(&p, k, SortBy::SelfWeight);
        assert_eq!(t.total_weight, 2.0);
        assert_eq!(
            TopFunctions::new(&p, other, SortBy::SelfWeight).total_weight,
            100.0
        );
    }

    #[test]
    fn empty_profile_has_zero_percent() {
        let mut p = Profile::new();
        let k = p.add_weight_kind("samples", WeightUnit::Samples);
        let t = TopFunctions::new(&p, k, SortBy::SelfWeight);
        assert!(t.functions.is_empty());
        assert_eq!(t.percent(5.0), 0.0);
    }
}
