//! The view arguments shared by `report`, `tree` and `callers`: filters, transforms and
//! grouping, turned into the analyze crate's [`Transform`]s.

use anyhow::{bail, Context};
use clap::Args;
use profview::analyze::view::time_bounds;
use profview::analyze::{Explorer, Grouping, InlinedCode, Transform, UnknownFunction, View};
use profview::model::{ProcessId, Profile, ThreadId, WeightKindId};

/// Filters and transforms of the call tree. They apply in this order: thread, process and
/// time filters; drop; focus; merge; collapse recursion; collapse module; collapse crate.
#[derive(Debug, Args, Default, Clone)]
pub struct ViewArgs {
    /// Keep only samples of thread TID (repeatable).
    #[arg(long, value_name = "TID")]
    pub tid: Vec<u32>,
    /// Keep only samples of process PID (repeatable).
    #[arg(long, value_name = "PID")]
    pub pid: Vec<u32>,
    /// Keep only samples in START..END, seconds from the first sample (`2..`, `..0.5`).
    #[arg(long, value_name = "START..END")]
    pub time: Option<String>,
    /// Remove the samples that have FUNCTION on their stack (repeatable).
    #[arg(long, value_name = "FUNCTION")]
    pub drop: Vec<String>,
    /// Keep only samples that call FUNCTION and make its calls the roots (repeatable).
    #[arg(long, value_name = "FUNCTION")]
    pub focus: Vec<String>,
    /// Hide FUNCTION: its time goes to its callers (repeatable).
    #[arg(long, value_name = "FUNCTION")]
    pub merge: Vec<String>,
    /// Fold FUNCTION's recursive calls, and the frames between them, into the outer call.
    #[arg(long, value_name = "FUNCTION")]
    pub collapse_recursion: Vec<String>,
    /// Show each run of frames of MODULE (file name, e.g. libc.so.6) as one frame.
    #[arg(long, value_name = "MODULE")]
    pub collapse_module: Vec<String>,
    /// Show each run of frames of a Rust crate or C++ namespace (tokio, rayon, std) as one
    /// frame.
    #[arg(long, value_name = "CRATE")]
    pub collapse_crate: Vec<String>,
    /// Group by function and source line (file:line), not by function only.
    #[arg(long)]
    pub lines: bool,
    /// Give every inlined function its own row in function tables and findings (the flat
    /// table). By default the time of inlined code counts in the function it was inlined
    /// into, as in perf report's Symbol column; call trees show inlined frames either way.
    #[arg(long)]
    pub inlined_rows: bool,
}

impl ViewArgs {
    /// True if any filter or transform is asked for.
    pub fn is_set(&self) -> bool {
        self.transforms_requested() || self.lines
    }

    fn transforms_requested(&self) -> bool {
        !(self.tid.is_empty()
            && self.pid.is_empty()
            && self.time.is_none()
            && self.drop.is_empty()
            && self.focus.is_empty()
            && self.merge.is_empty()
            && self.collapse_recursion.is_empty()
            && self.collapse_module.is_empty()
            && self.collapse_crate.is_empty())
    }

    /// How frames are grouped.
    pub fn grouping(&self) -> Grouping {
        if self.lines {
            Grouping::FunctionAndLine
        } else {
            Grouping::Function
        }
    }

    /// Where the time of inlined code goes.
    pub fn inlined(&self) -> InlinedCode {
        if self.inlined_rows {
            InlinedCode::OwnRows
        } else {
            InlinedCode::InCaller
        }
    }

    /// The transforms these arguments ask for, in the documented order.
    pub fn transforms(&self, profile: &Profile) -> anyhow::Result<Vec<Transform>> {
        let mut out = Vec::new();
        if !self.tid.is_empty() {
            out.push(Transform::Threads(threads(profile, &self.tid)?));
        }
        if !self.pid.is_empty() {
            out.push(Transform::Processes(processes(profile, &self.pid)?));
        }
        if let Some(range) = &self.time {
            out.push(time_range(profile, range)?);
        }
        let named = |list: &[String], make: fn(String) -> Transform| {
            list.iter().cloned().map(make).collect::<Vec<_>>()
        };
        out.extend(named(&self.drop, Transform::DropFunction));
        out.extend(named(&self.focus, Transform::FocusFunction));
        out.extend(named(&self.merge, Transform::MergeFunction));
        out.extend(named(
            &self.collapse_recursion,
            Transform::CollapseRecursion,
        ));
        out.extend(named(&self.collapse_module, Transform::CollapseModule));
        out.extend(named(&self.collapse_crate, Transform::CollapseCrate));
        Ok(out)
    }
}

/// The view of `kind` after `transforms`; an error rather than an empty table when a
/// transform names a function the profile does not have, or the filters keep no sample.
pub fn checked_view(
    explorer: &Explorer<'_>,
    kind: WeightKindId,
    transforms: &[Transform],
) -> anyhow::Result<View> {
    if let Some(unknown) = explorer.unknown_functions(transforms).first() {
        bail!("{}", describe_unknown(unknown));
    }
    let view = explorer.view(&[kind], transforms);
    if view.tree().total() == 0.0 && !transforms.is_empty() {
        let profile = explorer.profile();
        let listed: Vec<String> = transforms.iter().map(ToString::to_string).collect();
        bail!(
            "no samples of '{}' are left after {}",
            profile.string(profile.weight_kind(kind).name),
            listed.join(", then ")
        );
    }
    Ok(view)
}

fn describe_unknown(unknown: &UnknownFunction) -> String {
    let (flag, name) = match &unknown.transform {
        Transform::FocusFunction(n) => ("--focus", n),
        Transform::MergeFunction(n) => ("--merge", n),
        Transform::DropFunction(n) => ("--drop", n),
        Transform::CollapseRecursion(n) => ("--collapse-recursion", n),
        other => return format!("{other}: the profile has no such function"),
    };
    let hint = if unknown.closest.is_empty() {
        " (names as `profview report` prints them)".to_owned()
    } else {
        format!("; did you mean: {}", unknown.closest.join(", "))
    };
    format!("{flag} {name:?}: the profile has no function of that name{hint}")
}

fn threads(profile: &Profile, tids: &[u32]) -> anyhow::Result<Vec<ThreadId>> {
    let found: Vec<ThreadId> = (0..profile.threads().len())
        .map(ThreadId::from_index)
        .filter(|t| {
            profile
                .thread(*t)
                .tid
                .is_some_and(|tid| tids.contains(&tid))
        })
        .collect();
    if found.is_empty() {
        bail!("--tid: the profile has no thread {tids:?}");
    }
    Ok(found)
}

fn processes(profile: &Profile, pids: &[u32]) -> anyhow::Result<Vec<ProcessId>> {
    let found: Vec<ProcessId> = (0..profile.processes().len())
        .map(ProcessId::from_index)
        .filter(|p| {
            profile
                .process(*p)
                .pid
                .is_some_and(|pid| pids.contains(&pid))
        })
        .collect();
    if found.is_empty() {
        bail!("--pid: the profile has no process {pids:?}");
    }
    Ok(found)
}

/// `START..END` in seconds from the first sample, to absolute nanoseconds.
fn time_range(profile: &Profile, range: &str) -> anyhow::Result<Transform> {
    let (start, end) = range.split_once("..").with_context(|| {
        format!("--time {range:?}: expected START..END in seconds, like 1.5..3")
    })?;
    let seconds = |s: &str, default: u64| -> anyhow::Result<u64> {
        if s.trim().is_empty() {
            return Ok(default);
        }
        let secs: f64 = s
            .trim()
            .parse()
            .with_context(|| format!("--time {range:?}: {s:?} is not a number of seconds"))?;
        if !(secs >= 0.0 && secs.is_finite()) {
            bail!("--time {range:?}: seconds must be positive");
        }
        Ok((secs * 1e9) as u64)
    };
    let Some((first, last)) = time_bounds(profile) else {
        bail!("--time: this profile has no timestamps");
    };
    let start = first.saturating_add(seconds(start, 0)?);
    let end = first.saturating_add(seconds(end, last - first + 1)?);
    if start > last || end <= first || end <= start {
        bail!(
            "--time {range:?} keeps no samples: the recording spans 0..{:.3} s",
            (last - first) as f64 / 1e9
        );
    }
    Ok(Transform::TimeRange { start, end })
}
