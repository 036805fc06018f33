//! Two profiles compared: per function and per call path, with the sampling noise and the
//! shift of shares taken into account (the method is in docs/diff.md).
//!
//! ```
//! use profview_analyze::diff::{diff, DiffOptions, DiffSide};
//! use profview_model::{FrameKind, Profile, Sample, WeightUnit};
//!
//! fn profile(fast: f64, slow: f64) -> Profile {
//!     let mut p = Profile::new();
//!     let kind = p.add_weight_kind("samples", WeightUnit::Samples);
//!     let thread = p.add_thread(None, None, None);
//!     for (name, weight) in [("fast", fast), ("slow", slow), ("other", 300.0), ("more", 300.0)] {
//!         let frame = p.resolved_frame(name, None, FrameKind::User);
//!         let stack = p.intern_stack_path(&[frame]);
//!         p.add_sample(Sample { thread, time: None, stack, kind, weight });
//!     }
//!     p
//! }
//! let (before, after) = (profile(400.0, 200.0), profile(400.0, 100.0));
//! let kind = before.find_weight_kind("samples").unwrap();
//! let (b, a) = (DiffSide::new(&before, kind, "before"), DiffSide::new(&after, kind, "after"));
//! let d = diff(b, a, &DiffOptions::default()).unwrap();
//! let slow = d.functions.iter().find(|f| f.name == "slow").unwrap();
//! assert!(slow.significant && slow.adjusted_delta_percent < 0.0);
//! assert!(d.functions.iter().filter(|f| f.name != "slow").all(|f| !f.significant));
//! ```

mod noise;
mod normalize;
mod sums;
#[cfg(test)]
mod tests;

use profview_model::{Profile, WeightKindId, WeightUnit};
use serde::Serialize;

pub use noise::{
    estimate_dispersion, inverse_normal_cdf, z_critical, SHIFT_MIN_FUNCTIONS, SHIFT_MIN_SAMPLES,
};
pub use normalize::{frame_key, normalize_name};

use noise::{estimate_shift, Comparison, Judged, SideScale};
use sums::{PathNode, PathTrie, Sums, ROOT};

use crate::{NodeId, StackWeights};

/// Why two profiles cannot be compared as asked.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum DiffError {
    /// One side has no weight of the compared event: every share would be zero.
    #[error("{name}: no samples of event {event}; nothing to compare")]
    NoSamples {
        /// The profile's name.
        name: String,
        /// The event compared.
        event: String,
    },
    /// Absolute weights asked for, of different units.
    #[error("cannot compare absolute weights: {before} counts {before_unit}, {after} counts {after_unit}; compare shares instead")]
    UnitsDiffer {
        /// The before profile's name.
        before: String,
        /// What its weights count.
        before_unit: &'static str,
        /// The after profile's name.
        after: String,
        /// What its weights count.
        after_unit: &'static str,
    },
}

/// One of the two profiles to compare.
#[derive(Debug, Clone, Copy)]
pub struct DiffSide<'a> {
    /// The profile.
    pub profile: &'a Profile,
    /// The weight kind to compare.
    pub kind: WeightKindId,
    /// What to call the profile in output (its file name, say).
    pub name: &'a str,
}

impl<'a> DiffSide<'a> {
    /// Compare `kind` of `profile`, called `name`.
    pub fn new(profile: &'a Profile, kind: WeightKindId, name: &'a str) -> Self {
        Self {
            profile,
            kind,
            name,
        }
    }
}

/// How to compare.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub struct DiffOptions {
    /// Compare raw weights (both as percentages of the before total) instead of each profile's
    /// shares. Needs the same unit on both sides.
    pub absolute: bool,
    /// Judge share changes against the shift of the unchanged code (see [`Shift`]); off, a
    /// share is compared with the same share before.
    pub shift: bool,
    /// Family-wise error rate of the noise bands: the chance that any unchanged function is
    /// marked significant by sampling noise alone.
    pub alpha: f64,
    /// How many changed call paths to report.
    pub max_paths: usize,
}

impl Default for DiffOptions {
    fn default() -> Self {
        Self {
            absolute: false,
            shift: true,
            alpha: 0.05,
            max_paths: 10,
        }
    }
}

/// What is compared: shares of each profile's total, or weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffMode {
    /// Each function's share of its own profile's total (the default: runs of different
    /// lengths compare).
    Shares,
    /// Weights themselves, as shares of the before total (`--absolute`).
    Absolute,
}

/// One profile's totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SideSummary {
    /// The profile's name, as given.
    pub name: String,
    /// The compared event (weight kind).
    pub event: String,
    /// What its weights count.
    pub unit: WeightUnit,
    /// Its total weight of the event.
    pub total_weight: f64,
    /// Its samples of the event.
    pub sample_count: u64,
}

/// The shift: when one function gets faster, every other function's share of the (smaller)
/// total grows though its code did not change. `factor` is how much the share of unchanged
/// code grew, estimated as the median share ratio of the functions with at least
/// [`SHIFT_MIN_SAMPLES`] samples on both sides; every "expected" share is the before share
/// times it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    /// After share / before share of unchanged code (1 when not estimated).
    pub factor: f64,
    /// False when shares are compared directly: in absolute mode, when turned off, or when
    /// fewer than [`SHIFT_MIN_FUNCTIONS`] functions have enough samples in both profiles.
    pub estimated: bool,
    /// How many functions the estimate is the median of.
    pub functions_used: usize,
    /// Standard error of `ln(factor)`, from the spread of the share ratios; it widens the
    /// noise bands.
    pub log_error: f64,
}

/// The noise bands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoiseModel {
    /// Family-wise confidence (1 − alpha).
    pub confidence: f64,
    /// Number of functions compared (the Bonferroni divisor of the function bands).
    pub functions_compared: usize,
    /// The normal critical value of a function's band.
    pub z: f64,
    /// How much wider than sampling noise the differences between the profiles are, judged
    /// from the functions that did not change; every band is widened by it (1: not at all,
    /// and always 1 when the shift is not estimated).
    pub dispersion: f64,
}

/// How a function or path changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Grew beyond the shift and the noise.
    Regression,
    /// Shrank beyond the shift and the noise.
    Improvement,
    /// The share moved beyond the noise, but no more than the shift explains: the code did
    /// not change, the rest of the profile did.
    Shift,
    /// Within the noise.
    Noise,
}

/// Whether a function was seen in both profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// In both profiles.
    Both,
    /// Only in the after profile.
    Appeared,
    /// Only in the before profile.
    Vanished,
}

/// One function compared (by self weight; total weight alongside).
///
/// Percentages are of each profile's own total, or, in absolute mode, both of the before
/// total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FunctionDiff {
    /// The normalized name both profiles are matched by.
    pub name: String,
    /// Module file name, when known.
    pub module: Option<String>,
    /// Its self weight in the before profile.
    pub before_weight: f64,
    /// Its self weight in the after profile.
    pub after_weight: f64,
    /// Its self weight as a percentage, before.
    pub before_percent: f64,
    /// Its self weight as a percentage, after.
    pub after_percent: f64,
    /// `after_percent − before_percent`.
    pub delta_percent: f64,
    /// `after_weight − before_weight`, in the profiles' unit (meaningful when both have one).
    pub delta_weight: f64,
    /// What `after_percent` would be had the function not changed: the before share times
    /// the shift (the before percent in absolute mode).
    pub expected_after_percent: f64,
    /// `after_percent − expected_after_percent`: the change the shift does not explain.
    pub adjusted_delta_percent: f64,
    /// The function's cost relative to unchanged code: `after / expected − 1` (−0.5 = half
    /// the time). `None` for a function absent before.
    pub relative_change: Option<f64>,
    /// Half the width of the noise band around `expected_after_percent`.
    pub noise_percent: f64,
    /// True when the adjusted change lies outside the noise band.
    pub significant: bool,
    /// The verdict.
    pub change: Change,
    /// Whether it is in both profiles.
    pub presence: Presence,
    /// Total (inclusive) weight as a percentage, before.
    pub before_total_percent: f64,
    /// Total (inclusive) weight as a percentage, after.
    pub after_total_percent: f64,
}

/// One call path whose total (inclusive) weight changed, root frame first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PathDiff {
    /// The frames' names, root first.
    pub path: Vec<String>,
    /// Its total share before and after, judged.
    #[serde(flatten)]
    pub judged: NodeDiff,
}

/// The comparison of two profiles.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileDiff {
    /// Both profiles count exactly (heap profiles): no noise bands, every change is real.
    pub exact: bool,
    /// Shares or weights.
    pub mode: DiffMode,
    /// The before profile's totals.
    pub before: SideSummary,
    /// The after profile's totals.
    pub after: SideSummary,
    /// How much unchanged code's share grew or shrank.
    pub shift: Shift,
    /// The noise model the bands come from.
    pub noise: NoiseModel,
    /// Functions with self weight in either profile, by |delta_percent|, largest first.
    pub functions: Vec<FunctionDiff>,
    /// The call paths where significant changes are concentrated, by |adjusted_delta_percent|.
    pub paths: Vec<PathDiff>,
    #[serde(skip)]
    sums: Sums,
    #[serde(skip)]
    comparison: Comparison,
    /// The critical value of the call-path bands (Bonferroni over all paths).
    #[serde(skip)]
    path_z: f64,
}

/// Compare `before` with `after`.
pub fn diff(
    before: DiffSide<'_>,
    after: DiffSide<'_>,
    options: &DiffOptions,
) -> Result<ProfileDiff, DiffError> {
    let summaries = [summary(&before), summary(&after)];
    if let Some(empty) = summaries
        .iter()
        .find(|s| !s.total_weight.is_finite() || s.total_weight <= 0.0)
    {
        return Err(DiffError::NoSamples {
            name: empty.name.clone(),
            event: empty.event.clone(),
        });
    }
    let [b, a] = &summaries;
    // Heap profiles count every allocation: their weights are exact, so they are compared
    // as they are (absolute, no shift) and every difference is real (no noise band).
    let exact = b.unit.is_memory() && b.unit == a.unit;
    let absolute = options.absolute || exact;
    if options.absolute && b.unit != a.unit {
        return Err(DiffError::UnitsDiffer {
            before: b.name.clone(),
            before_unit: b.unit.name(),
            after: a.name.clone(),
            after_unit: a.unit.name(),
        });
    }
    // Each side's stack weights and their depth-first layout, the costly part of the sums,
    // on a core each; the sums then share one table of names and one trie of paths.
    let laid_out = |side: &DiffSide<'_>| {
        let weights = StackWeights::new(side.profile, side.kind);
        weights.path_sums(side.profile);
        weights
    };
    let (before_weights, after_weights) = std::thread::scope(|scope| {
        let b = scope.spawn(|| laid_out(&before));
        let a = laid_out(&after);
        let b = b.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
        (b, a)
    });
    let mut sums = Sums::default();
    sums.add(0, before.profile, &before_weights);
    sums.add(1, after.profile, &after_weights);

    let scales = [
        SideScale::new(b.total_weight, b.sample_count),
        SideScale::new(a.total_weight, a.sample_count),
    ];
    let shift = if absolute || !options.shift {
        Shift::none()
    } else {
        Shift::estimate(&sums, &scales)
    };
    let mut comparison = comparison(&scales, absolute, &shift);
    if exact {
        comparison.dispersion = 0.0;
    }
    // Only against the shift are the unchanged functions' residuals centred on zero; compared
    // directly, the shift itself would pass for run-to-run noise.
    if shift.estimated {
        comparison.dispersion = dispersion(&sums, &comparison);
    }
    let [summary_before, summary_after] = summaries;
    let mut diff = ProfileDiff {
        exact,
        mode: if absolute {
            DiffMode::Absolute
        } else {
            DiffMode::Shares
        },
        before: summary_before,
        after: summary_after,
        shift,
        noise: NoiseModel {
            confidence: 1.0 - options.alpha,
            functions_compared: 0,
            z: 0.0,
            dispersion: comparison.dispersion,
        },
        functions: Vec::new(),
        paths: Vec::new(),
        sums,
        comparison,
        path_z: 0.0,
    };
    diff.compare_functions(options.alpha);
    diff.compare_paths(options.alpha, options.max_paths);
    Ok(diff)
}

fn summary(side: &DiffSide<'_>) -> SideSummary {
    let kind = side.profile.weight_kind(side.kind);
    SideSummary {
        name: side.name.to_owned(),
        event: side.profile.string(kind.name).to_owned(),
        unit: kind.unit,
        total_weight: side.profile.total_weight(side.kind),
        sample_count: side.profile.sample_count(side.kind),
    }
}

/// What before weights become after, and what percentages are of.
fn comparison(scales: &[SideScale; 2], absolute: bool, shift: &Shift) -> Comparison {
    let [before, after] = *scales;
    let (scale, after_base) = if absolute {
        (1.0, before.total)
    } else if before.total > 0.0 {
        (shift.factor * after.total / before.total, after.total)
    } else {
        (0.0, after.total)
    };
    Comparison {
        before,
        after,
        scale,
        scale_log_error: shift.log_error,
        dispersion: 1.0,
        before_base: before.total,
        after_base,
    }
}

/// The overdispersion of the functions with enough samples on both sides (see
/// [`estimate_dispersion`]); 1 when too few qualify.
fn dispersion(sums: &Sums, comparison: &Comparison) -> f64 {
    let self_w = &sums.functions.self_weight;
    let enough = |k: usize| {
        [comparison.before, comparison.after]
            .iter()
            .zip(self_w)
            .all(|(side, w)| side.samples(w[k]) >= SHIFT_MIN_SAMPLES)
    };
    let sampling = comparison.sampling_only();
    let residuals = (0..sums.keys.len()).filter(|&k| enough(k)).map(|k| {
        let judged = sampling.judge(self_w[0][k], self_w[1][k], 1.0);
        judged.adjusted_delta() / judged.noise_percent
    });
    estimate_dispersion(residuals).unwrap_or(1.0)
}

impl Shift {
    fn none() -> Self {
        Self {
            factor: 1.0,
            estimated: false,
            functions_used: 0,
            log_error: 0.0,
        }
    }

    fn estimate(sums: &Sums, scales: &[SideScale; 2]) -> Self {
        let self_w = &sums.functions.self_weight;
        let enough = |side: usize, w: f64| scales[side].samples(w) >= SHIFT_MIN_SAMPLES;
        let shares = (0..sums.keys.len())
            .filter(|&k| enough(0, self_w[0][k]) && enough(1, self_w[1][k]))
            .map(|k| {
                (
                    self_w[0][k] / scales[0].total,
                    self_w[1][k] / scales[1].total,
                )
            });
        match estimate_shift(shares) {
            Some(estimate) => Self {
                factor: estimate.factor,
                estimated: true,
                functions_used: estimate.functions,
                log_error: estimate.log_error,
            },
            None => Self::none(),
        }
    }
}

/// Regression, improvement, shift or noise, from the comparison with and without the shift.
fn classify(adjusted: &Judged, direct: &Judged) -> Change {
    if adjusted.significant() {
        if adjusted.adjusted_delta() > 0.0 {
            Change::Regression
        } else {
            Change::Improvement
        }
    } else if direct.significant() {
        Change::Shift
    } else {
        Change::Noise
    }
}

impl ProfileDiff {
    /// The comparison without the shift (shares against shares), with the same bands.
    fn direct(&self) -> Comparison {
        let c = &self.comparison;
        let mut direct = comparison(
            &[c.before, c.after],
            self.mode == DiffMode::Absolute,
            &Shift::none(),
        );
        direct.dispersion = c.dispersion;
        direct
    }

    fn compare_functions(&mut self, alpha: f64) {
        let f = &self.sums.functions;
        let compared: Vec<usize> = (0..self.sums.keys.len())
            .filter(|&k| f.self_weight[0][k] > 0.0 || f.self_weight[1][k] > 0.0)
            .collect();
        let z = z_critical(alpha, compared.len());
        self.noise.functions_compared = compared.len();
        self.noise.z = z;
        let direct = self.direct();
        let total_percent = |side: usize, w: f64| self.comparison.percent(side, w);
        let mut rows: Vec<FunctionDiff> = compared
            .into_iter()
            .map(|k| {
                let (before, after) = (f.self_weight[0][k], f.self_weight[1][k]);
                let judged = self.comparison.judge(before, after, z);
                let key = k as sums::Key;
                FunctionDiff {
                    name: self.sums.keys.name(key).to_owned(),
                    module: self.sums.keys.module(key).map(str::to_owned),
                    before_weight: before,
                    after_weight: after,
                    before_percent: judged.before_percent,
                    after_percent: judged.after_percent,
                    delta_percent: judged.after_percent - judged.before_percent,
                    delta_weight: after - before,
                    expected_after_percent: judged.expected_after_percent,
                    adjusted_delta_percent: judged.adjusted_delta(),
                    relative_change: (judged.expected_after_percent > 0.0)
                        .then(|| judged.after_percent / judged.expected_after_percent - 1.0),
                    noise_percent: judged.noise_percent,
                    significant: judged.significant(),
                    change: classify(&judged, &direct.judge(before, after, z)),
                    presence: presence(before, after),
                    before_total_percent: total_percent(0, f.total_weight[0][k]),
                    after_total_percent: total_percent(1, f.total_weight[1][k]),
                }
            })
            .collect();
        rows.sort_by(|a, b| {
            b.delta_percent
                .abs()
                .total_cmp(&a.delta_percent.abs())
                .then_with(|| a.name.cmp(&b.name))
        });
        self.functions = rows;
    }

    fn compare_paths(&mut self, alpha: f64, max_paths: usize) {
        let trie = &self.sums.paths;
        let totals = [trie.totals(0), trie.totals(1)];
        let weighted: Vec<PathNode> = (1..trie.len() as PathNode)
            .filter(|&n| totals[0][n as usize] > 0.0 || totals[1][n as usize] > 0.0)
            .collect();
        let z = z_critical(alpha, weighted.len());
        self.path_z = z;
        let direct = self.direct();
        let judge = |n: PathNode| {
            let (b, a) = (totals[0][n as usize], totals[1][n as usize]);
            (self.comparison.judge(b, a, z), direct.judge(b, a, z))
        };
        let judged: Vec<Option<(Judged, Judged)>> = (0..trie.len() as PathNode)
            .map(|n| (n != ROOT).then(|| judge(n)))
            .collect();
        let mut changed: Vec<PathNode> = weighted
            .into_iter()
            .filter(|&n| {
                let (adjusted, direct) = judged[n as usize].expect("only the root is unjudged");
                adjusted.significant() && direct.significant()
            })
            .collect();
        let explained = explained_by_a_child(trie, &judged, &changed);
        changed.retain(|&n| !explained[n as usize]);
        let adjusted = |n: PathNode| judged[n as usize].map_or(0.0, |(j, _)| j.adjusted_delta());
        changed.sort_by(|&a, &b| adjusted(b).abs().total_cmp(&adjusted(a).abs()));
        changed.truncate(max_paths);
        self.paths = changed
            .into_iter()
            .map(|n| {
                let (j, d) = judged[n as usize].expect("only the root is unjudged");
                PathDiff {
                    path: trie
                        .path(n, &self.sums.keys)
                        .into_iter()
                        .map(str::to_owned)
                        .collect(),
                    judged: NodeDiff::new(&j, &d),
                }
            })
            .collect();
    }

    /// Functions that grew by more than `min_points` percentage points beyond the shift and
    /// beyond the noise: what `--fail-on-regression` fails on.
    pub fn regressions(&self, min_points: f64) -> impl Iterator<Item = &FunctionDiff> {
        self.functions.iter().filter(move |f| {
            f.change == Change::Regression && f.adjusted_delta_percent > min_points
        })
    }

    /// Every call path of both profiles as a tree, each node judged like a changed path: for
    /// browsing the diff.
    pub fn tree(&self) -> DiffTree {
        let trie = &self.sums.paths;
        let totals = [trie.totals(0), trie.totals(1)];
        let mut children = vec![Vec::new(); trie.len()];
        for node in 1..trie.len() as PathNode {
            children[trie.parent(node) as usize].push(NodeId::of_node(node));
        }
        let size = |n: &NodeId| totals[0][n.index()].max(totals[1][n.index()]);
        for list in &mut children {
            list.sort_by(|a, b| size(b).total_cmp(&size(a)));
        }
        DiffTree {
            names: (0..trie.len() as PathNode)
                .map(|n| match n {
                    ROOT => String::new(),
                    n => self.sums.keys.name(trie.key(n)).to_owned(),
                })
                .collect(),
            parents: (0..trie.len() as PathNode)
                .map(|n| trie.parent(n))
                .collect(),
            children,
            totals,
            comparison: self.comparison,
            direct: self.direct(),
            z: self.path_z,
        }
    }

    /// Differential folded stacks (`path`, expected before, after): the before self weight of
    /// every call path scaled to what it would weigh after had it not changed, so a
    /// differential flame graph colours real changes and not the shift.
    pub fn flame_graph_lines(&self) -> Vec<(String, f64, f64)> {
        let trie = &self.sums.paths;
        let scale = self.comparison.scale;
        (1..trie.len() as PathNode)
            .filter_map(|n| {
                let before = trie.self_weight[0][n as usize] * scale;
                let after = trie.self_weight[1][n as usize];
                (before > 0.0 || after > 0.0)
                    .then(|| (trie.path(n, &self.sums.keys).join(";"), before, after))
            })
            .collect()
    }
}

/// The call paths of both profiles as a tree (see [`ProfileDiff::tree`]); node 0 is the root
/// above every outermost frame. Children are sorted by their larger weight in either profile.
#[derive(Debug, Clone)]
pub struct DiffTree {
    names: Vec<String>,
    parents: Vec<PathNode>,
    children: Vec<Vec<NodeId>>,
    totals: [Vec<f64>; 2],
    comparison: Comparison,
    direct: Comparison,
    z: f64,
}

/// One node of a [`DiffTree`], judged: total shares before and after, against the shift and
/// the noise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeDiff {
    /// Total share before, in percent.
    pub before_percent: f64,
    /// Total share after, in percent.
    pub after_percent: f64,
    /// `after_percent − before_percent`.
    pub delta_percent: f64,
    /// What `after_percent` would be had the node not changed (the shift applied).
    pub expected_after_percent: f64,
    /// `after_percent − expected_after_percent`.
    pub adjusted_delta_percent: f64,
    /// Half the width of the noise band around `expected_after_percent`.
    pub noise_percent: f64,
    /// The verdict.
    pub change: Change,
}

impl NodeDiff {
    /// The figures of a comparison against the shift (`adjusted`) and without it (`direct`).
    fn new(adjusted: &Judged, direct: &Judged) -> Self {
        Self {
            before_percent: adjusted.before_percent,
            after_percent: adjusted.after_percent,
            delta_percent: adjusted.after_percent - adjusted.before_percent,
            expected_after_percent: adjusted.expected_after_percent,
            adjusted_delta_percent: adjusted.adjusted_delta(),
            noise_percent: adjusted.noise_percent,
            change: classify(adjusted, direct),
        }
    }
}

impl DiffTree {
    /// The root node.
    pub const ROOT: NodeId = NodeId::ROOT;

    /// The function of `node` (empty for the root).
    pub fn name(&self, node: NodeId) -> &str {
        &self.names[node.index()]
    }

    /// The parent of `node`; `None` for the root.
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        (node != Self::ROOT).then(|| NodeId::of_node(self.parents[node.index()]))
    }

    /// The calls from `node`, larger first.
    pub fn children(&self, node: NodeId) -> &[NodeId] {
        &self.children[node.index()]
    }

    /// Total weight of `node` in the before (`0`) or after (`1`) profile.
    pub fn total_weight(&self, side: usize, node: NodeId) -> f64 {
        self.totals[side][node.index()]
    }

    /// `node` judged against the shift and the noise.
    pub fn judge(&self, node: NodeId) -> NodeDiff {
        let (b, a) = (self.total_weight(0, node), self.total_weight(1, node));
        NodeDiff::new(
            &self.comparison.judge(b, a, self.z),
            &self.direct.judge(b, a, self.z),
        )
    }
}

/// The diff tree weighs nodes by the after profile (for the browser's tree rows).
impl crate::WeightedTree for DiffTree {
    fn total(&self) -> f64 {
        self.total_weight(1, Self::ROOT)
    }
    fn child_nodes(&mut self, node: NodeId) -> Vec<NodeId> {
        self.children(node).to_vec()
    }
    fn group(&self, _node: NodeId) -> Option<crate::GroupIndex> {
        None
    }
    fn self_weight(&self, node: NodeId) -> f64 {
        let children: f64 = self
            .children(node)
            .iter()
            .map(|&c| self.total_weight(1, c))
            .sum();
        self.total_weight(1, node) - children
    }
    fn total_weight(&self, node: NodeId) -> f64 {
        let n = node.index();
        self.totals[1][n].max(self.totals[0][n])
    }
}

/// A changed path whose change one changed child carries (same direction, at least
/// [`CHILD_EXPLAINS`] of it) is explained by that child: the child is the more precise place.
/// Only `changed` children explain, so a path is never hidden behind one that is not listed.
fn explained_by_a_child(
    trie: &PathTrie,
    judged: &[Option<(Judged, Judged)>],
    changed: &[PathNode],
) -> Vec<bool> {
    let mut explained = vec![false; trie.len()];
    for &node in changed {
        let parent = trie.parent(node) as usize;
        let (Some((child, _)), Some((of_parent, _))) = (judged[node as usize], judged[parent])
        else {
            continue;
        };
        let (c, p) = (child.adjusted_delta(), of_parent.adjusted_delta());
        if c * p > 0.0 && c.abs() >= CHILD_EXPLAINS * p.abs() {
            explained[parent] = true;
        }
    }
    explained
}

/// See [`explained_by_a_child`].
const CHILD_EXPLAINS: f64 = 0.75;

fn presence(before: f64, after: f64) -> Presence {
    match (before > 0.0, after > 0.0) {
        (false, true) => Presence::Appeared,
        (true, false) => Presence::Vanished,
        _ => Presence::Both,
    }
}
