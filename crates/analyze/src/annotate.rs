//! Which lines of a function its time went to: `profview annotate`'s numbers.
//!
//! A sample is in function F when F holds the sampled instruction (the innermost real frame,
//! as `report` counts self time). Its line is the innermost frame's: the line of F itself, or
//! of the code inlined into F at that address (another function's, in its own file), which is
//! kept with the line of F that called it. A line of F on the stack of a sample F does not
//! hold (a call out of F) counts in the line's total, not its self weight.

use std::collections::HashMap;

use profview_model::{FrameId, Profile, StackId, WeightKindId};
use serde::Serialize;

/// No function, or more than one, matches what was asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnotateError {
    /// Nothing matches.
    #[error("no function matches {wanted:?}{}", hint(closest))]
    NotFound {
        /// What was asked for.
        wanted: String,
        /// Names close to it.
        closest: Vec<String>,
    },
    /// Several functions match a substring.
    #[error("{wanted:?} matches {} functions: {}; give the whole name", matches.len(), matches.join(", "))]
    Ambiguous {
        /// What was asked for.
        wanted: String,
        /// The functions it matches (the heaviest first, at most ten).
        matches: Vec<String>,
    },
}

fn hint(closest: &[String]) -> String {
    if closest.is_empty() {
        String::new()
    } else {
        format!(" (closest: {})", closest.join(", "))
    }
}

/// One source line of an annotated function.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LineWeight {
    /// The source file (the inlined function's own file for inlined code).
    pub file: String,
    /// The line.
    pub line: u32,
    /// Weight of the samples taken on this line, as a percentage of the function's self weight.
    pub self_percent: f64,
    /// Weight of the samples on this line or in what it calls, as a percentage of the
    /// function's self weight (above 100 for a line that calls out a lot).
    pub total_percent: f64,
    /// For code inlined into the function: the inlined function's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inlined_from: Option<String>,
    /// For code inlined into the function: the function's own line that it came in from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call_site: Option<u32>,
}

/// A function's weight by source line.
#[derive(Debug, Clone, Serialize)]
pub struct Annotation {
    /// The function.
    pub function: String,
    /// Its module, when known.
    pub module: Option<String>,
    /// Its self weight (what the percentages are of).
    pub self_weight: f64,
    /// Its total weight.
    pub total_weight: f64,
    /// Its self weight on frames without a line (no debug info there).
    pub unknown_line_percent: f64,
    /// Lines, heaviest first by self weight (then by total).
    pub lines: Vec<LineWeight>,
    /// The sampled addresses in the function (as recorded: file offsets in its module for
    /// perf.data), with their share of its self weight, heaviest first.
    #[serde(skip)]
    pub addresses: Vec<(u64, f64)>,
    /// The module the function's code is in.
    #[serde(skip)]
    pub module_id: Option<profview_model::ModuleId>,
}

/// One instruction of an annotated function, with its share of the function's self weight.
///
/// The analysis does no I/O: whoever reads the program file (the `profview` crate's
/// `code::instructions`) fills these in from [`Annotation::addresses`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstructionWeight {
    /// Its address in the program file's own address space (what `perf annotate` prints).
    pub address: u64,
    /// The instruction, in AT&T syntax.
    pub text: String,
    /// The share of the function's self weight sampled on it, 0-100.
    pub self_percent: f64,
    /// Where it jumps to, when that is in the function.
    pub jump_target: Option<u64>,
    /// The source line it was compiled from (the innermost, for inlined code).
    pub source: Option<(String, u32)>,
}

/// Key of a line: (file, line, inlined function, call site).
type LineKey = (String, u32, Option<String>, Option<u32>);

/// The lines of the function named `wanted` (its whole name, or a part of one name only).
pub fn annotate(
    profile: &Profile,
    kind: WeightKindId,
    wanted: &str,
) -> Result<Annotation, AnnotateError> {
    let weights = profile.weights_per_stack(kind);
    let name = find_function(profile, &weights, wanted)?;
    let mut self_lines: HashMap<LineKey, f64> = HashMap::new();
    let mut addresses: HashMap<u64, f64> = HashMap::new();
    let mut total_lines: HashMap<LineKey, f64> = HashMap::new();
    let (mut self_weight, mut total_weight, mut unknown) = (0.0, 0.0, 0.0);
    let mut module = None;
    for (i, &w) in weights.iter().enumerate() {
        if w == 0.0 {
            continue;
        }
        let stack = StackId::from_index(i);
        let frames: Vec<FrameId> = profile.stack_frames(stack).collect();
        let holder = profile.stack(profile.physical_stack(stack)).frame;
        if function_name(profile, holder).as_deref() == Some(name.as_str()) {
            self_weight += w;
            module = module.or_else(|| profile.frame_module(holder));
            if let Some(address) = sampled_address(profile, &frames) {
                *addresses.entry(address).or_default() += w;
            }
            match line_key(profile, &frames, holder) {
                Some(key) => {
                    *self_lines.entry(key.clone()).or_default() += w;
                    *total_lines.entry(key).or_default() += w;
                }
                None => unknown += w,
            }
            total_weight += w;
            continue;
        }
        // Called out of the function: the outermost real frame of it on the stack, at its line.
        let caller = frames.iter().rev().find(|&&f| {
            !profile.frame(f).is_inlined()
                && function_name(profile, f).as_deref() == Some(name.as_str())
        });
        if let Some(&f) = caller {
            total_weight += w;
            if let Some(key) = own_line(profile, f) {
                *total_lines.entry(key).or_default() += w;
            }
        }
    }
    let percent = |w: f64| {
        if self_weight > 0.0 {
            100.0 * w / self_weight
        } else {
            0.0
        }
    };
    let mut lines: Vec<LineWeight> = total_lines
        .into_iter()
        .map(|(key, total)| {
            let own = self_lines.get(&key).copied().unwrap_or(0.0);
            let (file, line, inlined_from, call_site) = key;
            LineWeight {
                file,
                line,
                self_percent: percent(own),
                total_percent: percent(total),
                inlined_from,
                call_site,
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        b.self_percent
            .total_cmp(&a.self_percent)
            .then(b.total_percent.total_cmp(&a.total_percent))
            .then(a.line.cmp(&b.line))
    });
    let mut addresses: Vec<(u64, f64)> = addresses
        .into_iter()
        .map(|(a, w)| (a, percent(w)))
        .collect();
    addresses.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(Annotation {
        function: name,
        module: module.map(|m| profile.module_name(m).to_owned()),
        module_id: module,
        addresses,
        self_weight,
        total_weight,
        unknown_line_percent: percent(unknown),
        lines,
    })
}

/// The sampled instruction's address: the leaf frame's.
fn sampled_address(profile: &Profile, frames: &[FrameId]) -> Option<u64> {
    let address = match profile.frame(*frames.first()?) {
        profview_model::Frame::Resolved(f) => f.address?,
        profview_model::Frame::Unresolved(f) => f.address,
    };
    match address {
        profview_model::CodeAddress::InstructionPointer(a) => Some(a),
        // A leaf that is a return address (a caller's frame cut short) names no instruction.
        profview_model::CodeAddress::ReturnAddress(_) => None,
    }
}

fn function_name(profile: &Profile, frame: FrameId) -> Option<String> {
    let f = profile.frame(frame).function()?;
    Some(profile.string(profile.function(f).name).to_owned())
}

/// The line a sample held by `holder` was taken on: the innermost frame's (inlined code's own
/// line, with the holder's line as its call site).
fn line_key(profile: &Profile, frames: &[FrameId], holder: FrameId) -> Option<LineKey> {
    let leaf = *frames.first()?;
    if leaf == holder {
        return own_line(profile, holder);
    }
    let (file, line) = file_line(profile, leaf)?;
    let call_site = file_line(profile, holder).map(|(_, l)| l);
    Some((file, line, function_name(profile, leaf), call_site))
}

fn own_line(profile: &Profile, frame: FrameId) -> Option<LineKey> {
    let (file, line) = file_line(profile, frame)?;
    Some((file, line, None, None))
}

fn file_line(profile: &Profile, frame: FrameId) -> Option<(String, u32)> {
    match profile.frame(frame) {
        profview_model::Frame::Resolved(f) => Some((profile.string(f.file?).to_owned(), f.line?)),
        profview_model::Frame::Unresolved(_) => None,
    }
}

/// The function `wanted` names: exactly, or as the only name containing it (ignoring case).
fn find_function(
    profile: &Profile,
    weights: &[f64],
    wanted: &str,
) -> Result<String, AnnotateError> {
    let mut holders: HashMap<String, f64> = HashMap::new();
    for (i, &w) in weights.iter().enumerate() {
        if w == 0.0 {
            continue;
        }
        for frame in profile.stack_frames(StackId::from_index(i)) {
            if let Some(name) = function_name(profile, frame) {
                *holders.entry(name).or_default() += w;
            }
        }
    }
    if holders.contains_key(wanted) {
        return Ok(wanted.to_owned());
    }
    let lower = wanted.to_lowercase();
    let mut matches: Vec<(&String, f64)> = holders
        .iter()
        .filter(|(n, _)| n.to_lowercase().contains(&lower))
        .map(|(n, w)| (n, *w))
        .collect();
    matches.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    match matches.as_slice() {
        [(only, _)] => Ok((*only).clone()),
        [] => {
            let mut names: Vec<&String> = holders.keys().collect();
            names.sort_by_key(|n| std::cmp::Reverse((strsim_score(n, wanted) * 1000.0) as i64));
            Err(AnnotateError::NotFound {
                wanted: wanted.to_owned(),
                closest: names.into_iter().take(3).cloned().collect(),
            })
        }
        many => Err(AnnotateError::Ambiguous {
            wanted: wanted.to_owned(),
            matches: many.iter().take(10).map(|(n, _)| (*n).clone()).collect(),
        }),
    }
}

/// Similarity of two names, 0-1 (shared characters, in order, over the longer length).
fn strsim_score(a: &str, b: &str) -> f64 {
    let (a, b) = (a.to_lowercase(), b.to_lowercase());
    let mut rest = b.chars().peekable();
    let mut shared = 0;
    for c in a.chars() {
        if rest.peek() == Some(&c) {
            shared += 1;
            rest.next();
        }
    }
    shared as f64 / a.len().max(b.len()).max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use profview_model::{Frame, FrameKind, Function, ResolvedFrame, Sample, WeightUnit};

    fn frame(p: &mut Profile, name: &str, file: &str, line: u32, depth: u16) -> FrameId {
        let name = p.intern_string(name);
        let function = p.intern_function(Function { name, module: None });
        let file = Some(p.intern_string(file));
        p.intern_frame(Frame::Resolved(ResolvedFrame {
            function,
            file,
            line: Some(line),
            inline_depth: depth,
            kind: FrameKind::User,
            address: None,
        }))
    }

    /// `main → work` where work spends 6 on line 10, 3 in `min` inlined at its line 12, and
    /// calls `helper` from line 14 for 1.
    fn profile() -> Profile {
        let mut p = Profile::new();
        let kind = p.add_weight_kind("samples", WeightUnit::Samples);
        let thread = p.add_thread(None, None, None);
        let main = frame(&mut p, "main", "main.c", 3, 0);
        let work10 = frame(&mut p, "work", "work.c", 10, 0);
        let work12 = frame(&mut p, "work", "work.c", 12, 0);
        let min = frame(&mut p, "min", "cmp.h", 5, 1);
        let work14 = frame(&mut p, "work", "work.c", 14, 0);
        let helper = frame(&mut p, "helper", "work.c", 30, 0);
        for (path, weight) in [
            (vec![main, work10], 6.0),
            (vec![main, work12, min], 3.0),
            (vec![main, work14, helper], 1.0),
        ] {
            let stack = p.intern_stack_path(&path);
            p.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight,
            });
        }
        p
    }

    #[test]
    fn lines_get_their_self_and_total_and_inlined_code_its_call_site() {
        let p = profile();
        let a = annotate(&p, WeightKindId::from_index(0), "work").unwrap();
        assert_eq!(a.self_weight, 9.0);
        assert_eq!(a.total_weight, 10.0);
        let row = |line: u32| a.lines.iter().find(|l| l.line == line).unwrap();
        assert!((row(10).self_percent - 66.666).abs() < 0.01);
        assert_eq!(row(5).inlined_from.as_deref(), Some("min"));
        assert_eq!(row(5).call_site, Some(12));
        assert_eq!(row(5).file, "cmp.h");
        assert_eq!(row(14).self_percent, 0.0);
        assert!((row(14).total_percent - 11.111).abs() < 0.01);
        assert_eq!(a.lines[0].line, 10, "heaviest first");
    }

    #[test]
    fn a_part_of_one_name_finds_it_and_of_several_lists_them() {
        let p = profile();
        let kind = WeightKindId::from_index(0);
        assert_eq!(annotate(&p, kind, "wor").unwrap().function, "work");
        let err = annotate(&p, kind, "m").unwrap_err();
        assert!(matches!(err, AnnotateError::Ambiguous { .. }), "{err}");
        let err = annotate(&p, kind, "nosuch").unwrap_err();
        assert!(err.to_string().starts_with("no function matches"), "{err}");
    }
}
