//! valgrind massif output (`massif.out.<pid>`): the heap tree of the peak snapshot.
//!
//! A massif file is a series of snapshots (time, heap size), some of them *detailed*: a tree
//! of allocation sites whose root is "the heap allocation functions", whose children are the
//! functions that called them, and so on up to `main`. Each node gives the bytes allocated
//! under it that are live at the snapshot. The snapshot marked `heap_tree=peak` (else the
//! largest detailed one) becomes weight `peak`, in bytes: a node's own bytes (its total less
//! its children's) are a stack ending at the allocation site. Sites under massif's threshold
//! (`--threshold`, 1% by default) are one frame, `[N places below massif's threshold]`, as
//! the file has them.

use profview_model::{
    Frame, FrameId, FrameKind, Function, HeapTimeline, Profile, ResolvedFrame, Sample,
    SourceFormat, WeightUnit,
};

use crate::ParseError;

/// True if `text` starts like a massif file.
pub fn looks_like_massif(text: &[u8]) -> bool {
    let head = &text[..text.len().min(4096)];
    head.starts_with(b"desc:") && head.windows(10).any(|w| w == b"time_unit:")
}

/// One snapshot's heap tree, as its lines.
#[derive(Debug, Default)]
struct Snapshot<'a> {
    time: f64,
    heap_bytes: f64,
    peak: bool,
    /// `(depth, line number, bytes, description)` per node, in file order.
    nodes: Vec<(usize, usize, f64, &'a str)>,
}

/// Read a massif file; `name` is used in messages and metadata.
pub fn parse_massif(name: &str, text: &str) -> Result<Profile, ParseError> {
    let bad = |line: usize, problem: String| ParseError::Massif {
        name: name.to_owned(),
        line,
        problem,
    };
    let mut command = None;
    let mut time_unit = "instructions";
    let mut snapshots: Vec<Snapshot<'_>> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let number = i + 1;
        if let Some(cmd) = line.strip_prefix("cmd: ") {
            command = Some(cmd.to_owned());
        } else if let Some(unit) = line.strip_prefix("time_unit: ") {
            time_unit = match unit.trim() {
                "ms" => "ms",
                "B" => "bytes allocated",
                _ => "instructions",
            };
        } else if let Some(time) = line.strip_prefix("time=") {
            if let Some(s) = snapshots.last_mut() {
                s.time = time.trim().parse().unwrap_or(0.0);
            }
        } else if line.starts_with("snapshot=") {
            snapshots.push(Snapshot::default());
        } else if let Some(bytes) = line.strip_prefix("mem_heap_B=") {
            let s = snapshots
                .last_mut()
                .ok_or_else(|| bad(number, "mem_heap_B before any snapshot".to_owned()))?;
            s.heap_bytes = bytes
                .trim()
                .parse()
                .map_err(|_| bad(number, format!("mem_heap_B is not a number: {bytes:?}")))?;
        } else if line == "heap_tree=peak" {
            if let Some(s) = snapshots.last_mut() {
                s.peak = true;
            }
        } else if let Some(node) = tree_line(line) {
            let (depth, bytes, what) = node.map_err(|problem| bad(number, problem))?;
            let s = snapshots
                .last_mut()
                .ok_or_else(|| bad(number, "a heap tree line before any snapshot".to_owned()))?;
            s.nodes.push((depth, number, bytes, what));
        }
    }
    let chosen = snapshots
        .iter()
        .filter(|s| !s.nodes.is_empty())
        .max_by(|a, b| {
            (a.peak, a.heap_bytes)
                .partial_cmp(&(b.peak, b.heap_bytes))
                .unwrap_or(std::cmp::Ordering::Equal)
        })
        .ok_or_else(|| {
            bad(
                1,
                "no detailed snapshot (no heap tree) in the file".to_owned(),
            )
        })?;
    let mut profile = build(name, command, chosen)?;
    profile.meta.heap_timeline = Some(HeapTimeline {
        time_unit: time_unit.to_owned(),
        points: snapshots.iter().map(|s| (s.time, s.heap_bytes)).collect(),
        allocations: Vec::new(),
    });
    Ok(profile)
}

/// `n2: 4298400 desc`, indented one space per level: `Some(Ok((depth, bytes, desc)))`;
/// `None` for lines that are not tree lines.
fn tree_line(line: &str) -> Option<Result<(usize, f64, &str), String>> {
    let body = line.trim_start_matches(' ');
    let depth = line.len() - body.len();
    let rest = body.strip_prefix('n')?;
    let (children, rest) = rest.split_once(": ")?;
    if children.is_empty() || !children.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (bytes, what) = rest.split_once(' ').unwrap_or((rest, ""));
    Some(
        bytes
            .parse::<f64>()
            .map(|b| (depth, b, what))
            .map_err(|_| format!("a heap tree node's size is not a number: {bytes:?}")),
    )
}

fn build(
    name: &str,
    command: Option<String>,
    snapshot: &Snapshot<'_>,
) -> Result<Profile, ParseError> {
    let mut profile = Profile::new();
    profile.meta.source_format = SourceFormat::Massif;
    profile.meta.source_name = Some(name.to_owned());
    profile.meta.stacks_recorded = Some(true);
    let program = command
        .as_deref()
        .and_then(|c| c.split_whitespace().next())
        .map(|c| c.rsplit('/').next().unwrap_or(c).to_owned());
    profile.meta.command_line = command;
    let process = profile.add_process(None, program.as_deref());
    let thread = profile.add_thread(Some(process), None, program.as_deref());
    let kind = profile.add_weight_kind("peak", WeightUnit::Bytes);
    // The path from the root's child (the allocation site) to the current node, with each
    // node's bytes and its children's bytes so far.
    let mut path: Vec<(FrameId, f64, f64)> = Vec::new();
    let emit = |profile: &mut Profile, path: &[(FrameId, f64, f64)]| {
        let Some(&(_, bytes, children)) = path.last() else {
            return;
        };
        let own = bytes - children;
        if own > 0.0 {
            // The path runs from the allocation site up to the caller: the stack is its reverse.
            let frames: Vec<FrameId> = path.iter().rev().map(|(f, _, _)| *f).collect();
            let stack = profile.intern_stack_path(&frames);
            profile.add_sample(Sample {
                thread,
                time: None,
                stack,
                kind,
                weight: own,
            });
        }
    };
    for &(depth, line, bytes, what) in &snapshot.nodes {
        if depth == 0 {
            continue; // the allocation functions themselves
        }
        if depth > path.len() + 1 {
            return Err(ParseError::Massif {
                name: name.to_owned(),
                line,
                problem: "a heap tree node is nested deeper than its parent".to_owned(),
            });
        }
        while path.len() >= depth {
            emit(&mut profile, &path);
            path.pop();
        }
        if let Some(parent) = path.last_mut() {
            parent.2 += bytes;
        }
        let frame = intern_frame(&mut profile, what);
        path.push((frame, bytes, 0.0));
    }
    while !path.is_empty() {
        emit(&mut profile, &path);
        path.pop();
    }
    Ok(profile)
}

/// A node's description as a frame: valgrind's frame form (`0x10923F: grow_cache
/// (heap.c:28)`, read as DHAT reads it), or `in 2 places, all below massif's threshold (1.00%)`.
fn intern_frame(profile: &mut Profile, what: &str) -> FrameId {
    let Some(rest) = what.strip_prefix("in ") else {
        return crate::dhat::intern_frame(profile, what);
    };
    let places = rest.split_whitespace().next().unwrap_or("some");
    let name = profile.intern_string(&format!("[{places} places below massif's threshold]"));
    let function = profile.intern_function(Function { name, module: None });
    profile.intern_frame(Frame::Resolved(ResolvedFrame {
        function,
        file: None,
        line: None,
        inline_depth: 0,
        kind: FrameKind::User,
        address: None,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "desc: (none)\ncmd: ./prog arg\ntime_unit: B\n#-----------\nsnapshot=0\n#-----------\ntime=0\nmem_heap_B=0\nmem_heap_extra_B=0\nmem_stacks_B=0\nheap_tree=empty\n#-----------\nsnapshot=1\n#-----------\ntime=10\nmem_heap_B=1300\nmem_heap_extra_B=8\nmem_stacks_B=0\nheap_tree=peak\nn3: 1300 (heap allocation functions) malloc/new/new[], --alloc-fns, etc.\n n2: 1000 0x10: make (a.c:3)\n  n0: 600 0x20: main (a.c:9)\n  n0: 300 0x30: other (a.c:12)\n n0: 200 0x40: ??? (in /lib/libz.so.1)\n n0: 100 in 2 places, all below massif's threshold (1.00%)\n";

    fn stacks(p: &Profile) -> Vec<(String, f64)> {
        let mut out: Vec<(String, f64)> = p
            .samples()
            .iter()
            .map(|s| {
                let names: Vec<String> =
                    p.stack_frames(s.stack).map(|f| p.frame_label(f)).collect();
                (names.join(" <- "), s.weight)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    #[test]
    fn the_peak_tree_becomes_stacks_ending_at_the_allocation_site() {
        let p = parse_massif("m", FILE).unwrap();
        assert_eq!(
            stacks(&p),
            [
                ("???".to_owned(), 200.0),
                ("[2 places below massif's threshold]".to_owned(), 100.0),
                // make's 1000 bytes: 600 via main, 300 via other, 100 of its own.
                ("make".to_owned(), 100.0),
                ("make <- main".to_owned(), 600.0),
                ("make <- other".to_owned(), 300.0),
            ]
        );
        assert_eq!(p.total_weight(p.find_weight_kind("peak").unwrap()), 1300.0);
        assert_eq!(p.meta.command_line.as_deref(), Some("./prog arg"));
    }

    #[test]
    fn bad_files_are_errors_with_the_line() {
        let no_tree = "desc: x\ncmd: y\ntime_unit: i\n#-----------\nsnapshot=0\nmem_heap_B=0\nheap_tree=empty\n";
        let err = parse_massif("m", no_tree).unwrap_err().to_string();
        assert!(err.contains("no detailed snapshot"), "{err}");
        let bad = FILE.replace("n2: 1000", "n2: lots");
        let err = parse_massif("m", &bad).unwrap_err().to_string();
        assert!(err.contains("line 21"), "{err}");
        let deep = FILE.replace(" n0: 200", "    n0: 200");
        assert!(parse_massif("m", &deep).is_err());
    }
}
