//! Writing folded stacks: the inverse of [`crate::folded::parse_folded`].

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};

use profview_model::{Frame, FrameId, FrameKind, Profile, StackId, ThreadId, WeightKindId};

/// One folded line per distinct stack: `(stack text, summed weight)`, sorted by stack text.
///
/// Frames get inferno's annotations (`_[k]`, `_[j]`, `_[i]`) so that reading the lines back
/// gives the same frame kinds. When the profile's root frames are not already the thread (as
/// they are in folded input), each line starts with the thread name, as inferno-collapse-perf
/// starts with the command name.
pub fn folded_lines(profile: &Profile, kind: WeightKindId) -> Vec<(String, f64)> {
    let labels: Vec<String> = (0..profile.frames().len())
        .map(|i| annotated_label(profile, FrameId::from_index(i)))
        .collect();
    let mut lines: BTreeMap<String, f64> = BTreeMap::new();
    let mut add = |root: Option<&str>, stack: StackId, weight: f64| {
        let mut names: Vec<&str> = profile
            .stack_frames(stack)
            .map(|f| labels[f.index()].as_str())
            .collect();
        names.extend(root);
        names.reverse();
        *lines.entry(names.join(";")).or_insert(0.0) += weight;
    };
    if profile.meta.root_frame_is_thread {
        for (i, w) in profile.weights_per_stack(kind).into_iter().enumerate() {
            if w != 0.0 {
                add(None, StackId::from_index(i), w);
            }
        }
    } else {
        let mut per_thread: HashMap<(ThreadId, StackId), f64> = HashMap::new();
        for s in profile.samples().iter().filter(|s| s.kind == kind) {
            *per_thread.entry((s.thread, s.stack)).or_insert(0.0) += s.weight;
        }
        let thread_names: Vec<String> = (0..profile.threads().len())
            .map(|t| thread_label(profile, ThreadId::from_index(t)))
            .collect();
        for ((thread, stack), w) in per_thread {
            if w != 0.0 {
                add(Some(&thread_names[thread.index()]), stack, w);
            }
        }
    }
    lines.into_iter().collect()
}

fn thread_label(profile: &Profile, thread: ThreadId) -> String {
    let t = profile.thread(thread);
    let process_name = t.process.and_then(|p| profile.process(p).name);
    t.name
        .or(process_name)
        .map_or_else(|| "[unknown]".to_owned(), |n| profile.string(n).to_owned())
}

fn annotated_label(profile: &Profile, frame: FrameId) -> String {
    let mut label = profile.frame_label(frame);
    let f: &Frame = profile.frame(frame);
    // Semicolons would split the frame when read back; inferno replaces them the same way.
    if label.contains(';') {
        label = label.replace(';', ":");
    }
    if f.is_inlined() {
        label.push_str("_[i]");
    } else {
        match f.kind() {
            FrameKind::Kernel => label.push_str("_[k]"),
            FrameKind::Jit => label.push_str("_[j]"),
            FrameKind::User => {}
        }
    }
    label
}

/// Format a weight: integers without a decimal point, fractions in their shortest form.
pub fn format_weight(w: f64) -> String {
    if w.fract() == 0.0 && w.abs() < 1e18 {
        format!("{}", w as i64)
    } else {
        format!("{w}")
    }
}

/// Write [`folded_lines`] to `out`.
pub fn write_folded<W: Write>(
    profile: &Profile,
    kind: WeightKindId,
    out: &mut W,
) -> io::Result<()> {
    for (stack, weight) in folded_lines(profile, kind) {
        writeln!(out, "{stack} {}", format_weight(weight))?;
    }
    Ok(())
}
