//! `profview tree` (the top-down or bottom-up call tree) and `profview callers` (the callers
//! and callees of one function), as text or JSON.

use std::io::Write;

use anyhow::bail;
use profview::analyze::view::time_bounds;
use profview::analyze::{CallTree, CallerCallee, Explorer, NodeId, Transform, View, WeightedTree};
use profview::model::{Profile, WeightKindId};
use serde::Serialize;

use super::args::{CallersArgs, OutputFormat, TreeArgs};
use super::view::checked_view;
use super::{load, output};

/// Run `profview tree`.
pub fn run_tree(args: &TreeArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input, args.view.time.is_some())?;
    let transforms = args.view.transforms(&profile)?;
    let explorer = Explorer::with_options(&profile, args.view.grouping(), args.view.inlined());
    let view = checked_view(&explorer, kind, &transforms)?;
    let header = Header::new(&profile, kind, &transforms, view.tree());
    if args.inverted {
        write_tree(args, header, &view, &mut view.bottom_up())
    } else {
        write_tree(args, header, &view, &mut view.tree())
    }
}

fn write_tree(
    args: &TreeArgs,
    header: Header,
    view: &View,
    tree: &mut impl WeightedTree,
) -> anyhow::Result<()> {
    let limits = Limits {
        depth: args.depth.unwrap_or(usize::MAX),
        min_weight: tree.total() * args.min_percent / 100.0,
    };
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => {
            let what = if args.inverted {
                "bottom-up"
            } else {
                "top-down"
            };
            header.write_text(&mut out, what)?;
            writeln!(out, "#    Total      Self  Function")?;
            writeln!(out, "#")?;
            write_nodes(&mut out, view, tree, &limits)?;
        }
        OutputFormat::Json => {
            // Nesting is bounded (building, writing and reading nested JSON all recurse).
            let mut cut = false;
            let roots = json_nodes(view, tree, CallTree::ROOT, &limits, 1, &mut cut);
            let doc = TreeJson {
                header,
                inverted: args.inverted,
                depth_limit: cut.then_some(MAX_JSON_DEPTH),
                roots,
            };
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// Run `profview callers`.
pub fn run_callers(args: &CallersArgs) -> anyhow::Result<()> {
    let (profile, kind) = load(&args.input.to_input(), args.view.time.is_some())?;
    let transforms = args.view.transforms(&profile)?;
    let explorer = Explorer::with_options(&profile, args.view.grouping(), args.view.inlined());
    let view = checked_view(&explorer, kind, &transforms)?;
    let Some(found) = view.caller_callee(&args.function) else {
        let closest = view.groups().closest_names(&args.function, 3);
        let hint = if closest.is_empty() {
            String::new()
        } else {
            format!("; did you mean: {}", closest.join(", "))
        };
        bail!(
            "{}: no samples in a function named {:?} (names as `profview report` prints them){hint}",
            args.input.profile.display(),
            args.function
        );
    };
    let header = Header::new(&profile, kind, &transforms, view.tree());
    let mut out = output::open_output(None)?;
    match args.format {
        OutputFormat::Text => {
            header.write_text(&mut out, "callers and callees")?;
            write_callers(&mut out, &found, view.tree().total())?;
        }
        OutputFormat::Json => {
            serde_json::to_writer_pretty(
                &mut out,
                &CallersJson {
                    header,
                    function: &found,
                },
            )?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

/// What both commands say about the input.
#[derive(Debug, Serialize)]
struct Header {
    source: String,
    event: String,
    weight_unit: &'static str,
    sample_count: u64,
    /// The weight of the samples the view keeps (after filters and drops).
    total_weight: f64,
    transforms: Vec<String>,
}

impl Header {
    fn new(
        profile: &Profile,
        kind: WeightKindId,
        transforms: &[Transform],
        tree: &CallTree,
    ) -> Self {
        let weight_kind = profile.weight_kind(kind);
        let time_origin = time_bounds(profile).map(|(first, _)| first);
        Self {
            source: profile.meta.source_name.clone().unwrap_or_default(),
            event: profile.string(weight_kind.name).to_owned(),
            weight_unit: weight_kind.unit.name(),
            sample_count: profile.sample_count(kind),
            total_weight: tree.total(),
            transforms: transforms
                .iter()
                .map(|t| describe(t, time_origin))
                .collect(),
        }
    }

    fn write_text(&self, out: &mut dyn Write, what: &str) -> std::io::Result<()> {
        writeln!(out, "# profview {what}: {}", self.source)?;
        writeln!(
            out,
            "# Samples: {} of event '{}'",
            self.sample_count, self.event
        )?;
        if !self.transforms.is_empty() {
            writeln!(out, "# Transforms: {}", self.transforms.join(", "))?;
            writeln!(
                out,
                "# Weight kept: {} ({})",
                profview::parse::format_weight(self.total_weight),
                self.weight_unit
            )?;
        }
        writeln!(out, "#")
    }
}

/// A transform as the user wrote it: times relative to the first sample.
fn describe(t: &Transform, origin: Option<u64>) -> String {
    match (t, origin) {
        (Transform::TimeRange { start, end }, Some(origin)) => format!(
            "time {:.3}..{:.3} s",
            start.saturating_sub(origin) as f64 / 1e9,
            end.saturating_sub(origin) as f64 / 1e9
        ),
        _ => t.to_string(),
    }
}

/// Which nodes are printed.
struct Limits {
    depth: usize,
    min_weight: f64,
}

impl Limits {
    fn shows(&self, tree: &impl WeightedTree, node: NodeId, depth: usize) -> bool {
        depth <= self.depth && tree.total_weight(node) >= self.min_weight
    }
}

fn percent(weight: f64, total: f64) -> f64 {
    if total > 0.0 {
        100.0 * weight / total
    } else {
        0.0
    }
}

fn write_nodes(
    out: &mut dyn Write,
    view: &View,
    tree: &mut impl WeightedTree,
    limits: &Limits,
) -> std::io::Result<()> {
    let total = tree.total();
    let mut todo: Vec<(NodeId, usize)> = tree
        .child_nodes(CallTree::ROOT)
        .iter()
        .rev()
        .map(|&n| (n, 1))
        .collect();
    while let Some((node, depth)) = todo.pop() {
        if !limits.shows(tree, node, depth) {
            continue;
        }
        writeln!(
            out,
            "{:>9.2}% {:>8.2}%  {}{}",
            percent(tree.total_weight(node), total),
            percent(tree.self_weight(node), total),
            "  ".repeat(depth - 1),
            view.label(&*tree, node)
        )?;
        todo.extend(tree.child_nodes(node).iter().rev().map(|&c| (c, depth + 1)));
    }
    Ok(())
}

/// The deepest a JSON tree nests: JSON readers recurse (Python's limit is about 1000 levels),
/// and so does writing it. Deeper call paths are cut there, and the document says so.
const MAX_JSON_DEPTH: usize = 256;

#[derive(Debug, Serialize)]
struct TreeJson {
    #[serde(flatten)]
    header: Header,
    inverted: bool,
    /// Set when the tree is deeper than [`MAX_JSON_DEPTH`]: nodes below it are left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    depth_limit: Option<usize>,
    roots: Vec<NodeJson>,
}

#[derive(Debug, Serialize)]
struct NodeJson {
    name: String,
    total_weight: f64,
    self_weight: f64,
    total_percent: f64,
    self_percent: f64,
    children: Vec<NodeJson>,
}

fn json_nodes(
    view: &View,
    tree: &mut impl WeightedTree,
    parent: NodeId,
    limits: &Limits,
    depth: usize,
    cut: &mut bool,
) -> Vec<NodeJson> {
    if depth > MAX_JSON_DEPTH {
        *cut |= !tree.child_nodes(parent).is_empty();
        return Vec::new();
    }
    let total = tree.total();
    let round = |p: f64| (p * 10_000.0).round() / 10_000.0;
    let shown: Vec<NodeId> = tree
        .child_nodes(parent)
        .into_iter()
        .filter(|&n| limits.shows(tree, n, depth))
        .collect();
    shown
        .into_iter()
        .map(|n| NodeJson {
            name: view.label(&*tree, n),
            total_weight: tree.total_weight(n),
            self_weight: tree.self_weight(n),
            total_percent: round(percent(tree.total_weight(n), total)),
            self_percent: round(percent(tree.self_weight(n), total)),
            children: json_nodes(view, tree, n, limits, depth + 1, cut),
        })
        .collect()
}

fn write_callers(out: &mut dyn Write, f: &CallerCallee, total: f64) -> std::io::Result<()> {
    writeln!(
        out,
        "{}: total {:.2}%, self {:.2}%",
        f.function,
        percent(f.total_weight, total),
        percent(f.self_weight, total)
    )?;
    writeln!(out)?;
    writeln!(out, "Callers (share of all samples, through each caller):")?;
    for c in &f.callers {
        writeln!(out, "{:>9.2}%  {}", percent(c.weight, total), c.name)?;
    }
    if f.from_root > 0.0 {
        writeln!(
            out,
            "{:>9.2}%  [no caller: root of the stack]",
            percent(f.from_root, total)
        )?;
    }
    writeln!(out)?;
    writeln!(out, "Callees (share of all samples, below each callee):")?;
    for c in &f.callees {
        writeln!(out, "{:>9.2}%  {}", percent(c.weight, total), c.name)?;
    }
    if f.self_weight > 0.0 {
        writeln!(out, "{:>9.2}%  [self]", percent(f.self_weight, total))?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
struct CallersJson<'a> {
    #[serde(flatten)]
    header: Header,
    function: &'a CallerCallee,
}
