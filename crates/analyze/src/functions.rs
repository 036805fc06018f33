//! Frames grouped into functions, and the top-functions table (self and total weight).

use std::collections::HashMap;

use profview_model::{Frame, FrameId, ModuleId, Profile, StackId, StringId, WeightKindId};
use serde::Serialize;

use crate::StackWeights;

/// Index of a function group in a [`FunctionGroups`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct GroupIndex(u32);

impl GroupIndex {
    /// No group: a sentinel where an index is expected.
    pub(crate) const NONE: Self = Self(u32::MAX);

    /// The group's place in the tables of its [`FunctionGroups`].
    #[inline]
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The group at `index` (a table holds fewer than 2^32 groups: one per frame at most,
    /// and frame ids are 32-bit).
    #[inline]
    pub(crate) fn new(index: usize) -> Self {
        Self(u32::try_from(index).expect("fewer than 2^32 function groups"))
    }

    /// The number, as a key of the per-path sums (`crate::paths`).
    #[inline]
    pub(crate) fn key(self) -> u32 {
        self.0
    }
}

/// How frames are grouped into rows and tree nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One group per function (name and module), as `perf report --sort symbol`.
    #[default]
    Function,
    /// One group per function and source line (`perf report --sort symbol,srcline`): frames
    /// without a line stay grouped by function.
    FunctionAndLine,
}

/// Where the time of inlined code goes in function rankings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InlinedCode {
    /// To the function that physically holds it, the one the compiler inlined it into: what
    /// `perf report --no-children` shows in its Symbol column. Inlined frames stay in call
    /// trees as their own nodes, marked as inlined, but have no rows of their own in function
    /// tables.
    #[default]
    InCaller,
    /// To the inlined function itself: every inlined function is its own row (the flat
    /// table, where `core::hint::black_box` can outrank the function that calls it).
    OwnRows,
}

/// Maps every frame to the function it belongs to, by display name and module.
///
/// Resolved frames group by function name and module; unresolved frames by their label: after
/// symbolization one `[module]` group per module without symbols (as inferno names them),
/// before it (`--no-symbolize`) `module+0xaddr`, each address its own row. With
/// [`Grouping::FunctionAndLine`] the source line is part of the key. With
/// [`InlinedCode::InCaller`] (the default) inlined frames form groups of their own, apart from
/// out-of-line copies of the same function, so that rankings can give their time to the
/// function they were inlined into.
#[derive(Debug, Clone)]
pub struct FunctionGroups {
    of_frame: Vec<GroupIndex>,
    names: Vec<String>,
    modules: Vec<Option<ModuleId>>,
    /// `file:line` of the group, for line grouping.
    locations: Vec<Option<String>>,
    /// Per group: inlined frames whose time belongs to their caller (never with
    /// [`InlinedCode::OwnRows`]).
    inlined: Vec<bool>,
    /// Per group: frames that symbolization could not name.
    unnamed: Vec<bool>,
    any_inlined: bool,
    /// Groups from this index on were added by [`Self::synthetic`].
    first_synthetic: usize,
}

impl FunctionGroups {
    /// Group the frames of `profile` by function.
    pub fn new(profile: &Profile) -> Self {
        Self::with_grouping(profile, Grouping::Function)
    }

    /// Group the frames of `profile` as `grouping` says, inlined code counted in its caller.
    pub fn with_grouping(profile: &Profile, grouping: Grouping) -> Self {
        Self::with_options(profile, grouping, InlinedCode::default())
    }

    /// Group the frames of `profile` as `grouping` says, inlined code as `inlined` says.
    pub fn with_options(profile: &Profile, grouping: Grouping, inlined: InlinedCode) -> Self {
        type Key = (String, Option<ModuleId>, Option<(StringId, u32)>, bool);
        let mut index: HashMap<Key, GroupIndex> = HashMap::new();
        let mut groups = Self {
            of_frame: Vec::with_capacity(profile.frames().len()),
            names: Vec::new(),
            modules: Vec::new(),
            locations: Vec::new(),
            inlined: Vec::new(),
            unnamed: Vec::new(),
            any_inlined: false,
            first_synthetic: 0,
        };
        let apart = inlined == InlinedCode::InCaller;
        for i in 0..profile.frames().len() {
            let frame = FrameId::from_index(i);
            let line = match (grouping, profile.frame(frame)) {
                (Grouping::FunctionAndLine, Frame::Resolved(f)) => f.file.zip(f.line),
                _ => None,
            };
            let key = (
                function_name(profile, frame),
                profile.frame_module(frame),
                line,
                apart && profile.frame(frame).is_inlined(),
            );
            let g = *index
                .entry(key)
                .or_insert_with_key(|(name, module, line, inlined)| {
                    let location = line.map(|(file, line)| {
                        let file = profile.string(file);
                        format!("{}:{line}", file.rsplit('/').next().unwrap_or(file))
                    });
                    let g = groups.push(name.clone(), *module, location, *inlined);
                    groups.unnamed[g.index()] =
                        matches!(profile.frame(frame), Frame::Unresolved(_));
                    g
                });
            groups.of_frame.push(g);
        }
        groups.any_inlined = groups.inlined.contains(&true);
        groups.first_synthetic = groups.names.len();
        groups
    }

    fn push(
        &mut self,
        name: String,
        module: Option<ModuleId>,
        location: Option<String>,
        inlined: bool,
    ) -> GroupIndex {
        self.names.push(name);
        self.modules.push(module);
        self.locations.push(location);
        self.inlined.push(inlined);
        self.unnamed.push(false);
        GroupIndex::new(self.names.len() - 1)
    }

    /// True when group `g` is code that could not be named: the addresses of a module
    /// without symbols (`[liblzma.so.5]`), or outside every module (`[unknown]`).
    pub fn is_unnamed(&self, g: GroupIndex) -> bool {
        self.unnamed[g.index()]
    }

    /// True when group `g` is inlined code whose time belongs to the function it was inlined
    /// into (never with [`InlinedCode::OwnRows`]).
    pub fn is_inlined(&self, g: GroupIndex) -> bool {
        self.inlined[g.index()]
    }

    /// True when some group is inlined code counted in its caller.
    pub fn has_inlined(&self) -> bool {
        self.any_inlined
    }

    /// The stack whose leaf gets the self time of a sample on `stack`: the function that
    /// physically holds the sampled instruction ([`Profile::physical_stack`]), or `stack`
    /// itself when inlined functions have their own rows.
    pub fn self_stack(&self, profile: &Profile, stack: StackId) -> StackId {
        if self.has_inlined() {
            profile.physical_stack(stack)
        } else {
            stack
        }
    }

    /// Add a group no frame maps to (a module or crate collapsed into one node), or find the
    /// one added before under the same name.
    pub fn synthetic(&mut self, name: &str) -> GroupIndex {
        let first = self.first_synthetic;
        match self.names[first..].iter().position(|n| n == name) {
            Some(i) => GroupIndex::new(first + i),
            None => self.push(name.to_owned(), None, None, false),
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

    /// Function name of group `g` (or `module+0xaddr`), without the line.
    pub fn name(&self, g: GroupIndex) -> &str {
        &self.names[g.index()]
    }

    /// `file:line` of group `g`, when grouping by line and the frames had one.
    pub fn location(&self, g: GroupIndex) -> Option<&str> {
        self.locations[g.index()].as_deref()
    }

    /// What to show for group `g`: the name, and the line when there is one
    /// (`parse (lexer.rs:42)`); inlined code says so (`black_box (inlined)`).
    pub fn label(&self, g: GroupIndex) -> String {
        match (self.location(g), self.is_inlined(g)) {
            (Some(at), false) => format!("{} ({at})", self.name(g)),
            (Some(at), true) => format!("{} (inlined, {at})", self.name(g)),
            (None, false) => self.name(g).to_owned(),
            (None, true) => format!("{} (inlined)", self.name(g)),
        }
    }

    /// Module of group `g`, when known.
    pub fn module(&self, g: GroupIndex) -> Option<ModuleId> {
        self.modules[g.index()]
    }

    /// Every group whose function name is `name`.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = GroupIndex> + 'a {
        self.names
            .iter()
            .enumerate()
            .filter(move |(_, n)| *n == name)
            .map(|(g, _)| GroupIndex::new(g))
    }

    /// Up to `n` distinct function names close to `wanted`, best first: names that contain
    /// it (ignoring case; the shortest first, as the likeliest meant), then names similar in
    /// spelling.
    pub fn closest_names(&self, wanted: &str, n: usize) -> Vec<String> {
        let lower = wanted.to_lowercase();
        let mut names: Vec<&str> = self.names.iter().map(String::as_str).collect();
        names.sort_unstable();
        names.dedup();
        let mut containing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|name| name.to_lowercase().contains(&lower))
            .collect();
        containing.sort_by_key(|name| (name.len(), *name));
        let mut similar: Vec<(f64, &str)> = names
            .iter()
            .map(|name| (strsim::jaro_winkler(&lower, &name.to_lowercase()), *name))
            .filter(|(score, _)| *score >= 0.8)
            .collect();
        similar.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut out: Vec<String> = Vec::new();
        for name in containing
            .into_iter()
            .chain(similar.into_iter().map(|(_, n)| n))
        {
            if out.len() == n {
                break;
            }
            if !out.iter().any(|o| o == name) {
                out.push(name.to_owned());
            }
        }
        out
    }
}

/// The name a frame's function is shown and grouped by: its label, and for a Rust function
/// that DWARF names without its path (`debug = "line-tables-only"` gives `parse`,
/// `{closure#0}`, `reserve<Global>`) the module its source file says it is in, so that two
/// crates' `parse` are never one row: `parse [cpp_demangle::ast]`.
fn function_name(profile: &Profile, frame: FrameId) -> String {
    let label = profile.frame_label(frame);
    let Frame::Resolved(f) = profile.frame(frame) else {
        return label;
    };
    let head = label.split(['<', '(']).next().unwrap_or(&label);
    let Some(file) = f.file.map(|file| profile.string(file)) else {
        return label;
    };
    if head.contains("::") || label.starts_with('<') || !file.ends_with(".rs") {
        return label;
    }
    // Crates from the registry or the toolchain, by their module path (the program's own
    // functions keep their names: their file and line tell them apart where that matters).
    match crate::category::module_path_of_source(file) {
        Some(place) => format!("{label} [{place}]"),
        None => label,
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
        for (stack, w) in weights.nonzero() {
            let holder = groups.of(profile.stack(groups.self_stack(profile, stack)).frame);
            self_w[holder.index()] += w;
        }
        // A function's total counts each stack through it once, recursion or not.
        let mut total_w = weights
            .path_sums(profile)
            .once_per_stack(groups.len(), |f| {
                let g = groups.of(f);
                (!groups.is_inlined(g)).then_some(g.index())
            });
        // Inlined code has no row: its time is its caller's, unless nothing holds it; then it
        // holds the instruction, and its total is that self time.
        for g in 0..groups.len() {
            if groups.is_inlined(GroupIndex::new(g)) {
                total_w[g] += self_w[g];
            }
        }
        Self::from_sums(profile, groups, &self_w, &total_w, weights.total(), sort)
    }

    /// The table from self and total weight per group (groups with no total are left out).
    pub(crate) fn from_sums(
        profile: &Profile,
        groups: &FunctionGroups,
        self_w: &[f64],
        total_w: &[f64],
        total_weight: f64,
        sort: SortBy,
    ) -> Self {
        let functions: Vec<FunctionStats> = (0..groups.len())
            .filter(|&g| total_w[g] != 0.0)
            .map(|g| FunctionStats {
                name: groups.label(GroupIndex::new(g)),
                module: groups
                    .module(GroupIndex::new(g))
                    .map(|m| profile.module_name(m).to_owned()),
                self_weight: self_w[g],
                total_weight: total_w[g],
            })
            .collect();
        Self::sorted(total_weight, functions, sort)
    }

    /// The table of `functions`, sorted by `sort` (ties by name, so the order is
    /// deterministic).
    pub fn sorted(total_weight: f64, mut functions: Vec<FunctionStats>, sort: SortBy) -> Self {
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
            total_weight,
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
    use profview_model::{Sample, WeightUnit};

    fn profile(stacks: &[(&[&str], f64)]) -> (Profile, WeightKindId) {
        profview_testkit::synthetic::profile_of(WeightUnit::Samples, stacks)
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

    /// `debug = "line-tables-only"` names inlined Rust functions without their path: two
    /// crates' `parse` stay two rows, named by the module their source file is in.
    #[test]
    fn bare_inlined_names_are_told_apart_by_their_source() {
        let mut p = Profile::new();
        let frame = |p: &mut Profile, file: &str| {
            let name = p.intern_string("parse");
            let function = p.intern_function(profview_model::Function { name, module: None });
            let file = p.intern_string(file);
            p.intern_frame(Frame::Resolved(profview_model::ResolvedFrame {
                function,
                file: Some(file),
                line: Some(1),
                inline_depth: 1,
                kind: profview_model::FrameKind::User,
                address: None,
            }))
        };
        let registry = "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f";
        let a = frame(&mut p, &format!("{registry}/cpp_demangle-0.5.1/src/ast.rs"));
        let b = frame(&mut p, &format!("{registry}/toml-0.8.2/src/de.rs"));
        let local = frame(&mut p, "/home/me/app/src/main.rs");
        let groups = FunctionGroups::new(&p);
        assert_ne!(groups.of(a), groups.of(b));
        assert_eq!(groups.name(groups.of(a)), "parse [cpp_demangle::ast]");
        assert_eq!(groups.name(groups.of(b)), "parse [toml::de]");
        assert_eq!(groups.name(groups.of(local)), "parse");
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
