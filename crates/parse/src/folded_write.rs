//! Writing folded stacks: the inverse of [`crate::folded::parse_folded`].

use std::collections::HashMap;
use std::io::{self, Write};

use profview_model::{Frame, FrameId, FrameKind, Profile, StackId, ThreadId, WeightKindId};

/// One folded line per distinct stack: `(stack text, summed weight)`, sorted by stack text.
///
/// Frames get inferno's annotations (`_[k]`, `_[j]`, `_[i]`) so that reading the lines back
/// gives the same frame kinds. When the profile's root frames are not already the thread (as
/// they are in folded input), each line starts with the thread name, as inferno-collapse-perf
/// starts with the command name.
pub fn folded_lines(profile: &Profile, kind: WeightKindId) -> Vec<(String, f64)> {
    let folded = Folded::new(profile, kind);
    folded
        .entries
        .iter()
        .map(|e| (folded.parts(e).collect::<Vec<_>>().join(";"), e.weight))
        .collect()
}

/// The distinct stacks of a profile, sorted as their folded text sorts, without building that
/// text: for deep stacks the lines would take far more memory than the profile.
struct Folded {
    labels: Vec<String>,
    thread_names: Vec<String>,
    entries: Vec<Entry>,
}

struct Entry {
    thread: Option<ThreadId>,
    /// Root first.
    frames: Vec<FrameId>,
    weight: f64,
}

impl Folded {
    fn new(profile: &Profile, kind: WeightKindId) -> Self {
        let labels: Vec<String> = (0..profile.frames().len())
            .map(|i| annotated_label(profile, FrameId::from_index(i)))
            .collect();
        let thread_names: Vec<String> = (0..profile.threads().len())
            .map(|t| thread_label(profile, ThreadId::from_index(t)))
            .collect();
        let entry = |thread, stack: StackId, weight| {
            let mut frames: Vec<FrameId> = profile.stack_frames(stack).collect();
            frames.reverse();
            Entry {
                thread,
                frames,
                weight,
            }
        };
        let mut entries: Vec<Entry> = if profile.meta.root_frame_is_thread {
            let weights = profile.weights_per_stack(kind).into_iter().enumerate();
            weights
                .filter(|(_, w)| *w != 0.0)
                .map(|(i, w)| entry(None, StackId::from_index(i), w))
                .collect()
        } else {
            let mut per_thread: HashMap<(ThreadId, StackId), f64> = HashMap::new();
            for s in profile.samples().iter().filter(|s| s.kind == kind) {
                *per_thread.entry((s.thread, s.stack)).or_insert(0.0) += s.weight;
            }
            per_thread
                .into_iter()
                .filter(|(_, w)| *w != 0.0)
                .map(|((thread, stack), w)| entry(Some(thread), stack, w))
                .collect()
        };
        let mut folded = Folded {
            labels,
            thread_names,
            entries: Vec::new(),
        };
        entries.sort_by(|a, b| cmp_joined(folded.parts(a), folded.parts(b)));
        // Different stacks can read the same (threads of one name, addresses of one function).
        let mut merged: Vec<Entry> = Vec::with_capacity(entries.len());
        for e in entries {
            match merged.last_mut() {
                Some(last) if cmp_joined(folded.parts(last), folded.parts(&e)).is_eq() => {
                    last.weight += e.weight;
                }
                _ => merged.push(e),
            }
        }
        folded.entries = merged;
        folded
    }

    /// The frame names of `e`, thread first when there is one.
    fn parts<'a>(&'a self, e: &'a Entry) -> impl Iterator<Item = &'a str> + 'a {
        let thread = e.thread.map(|t| self.thread_names[t.index()].as_str());
        thread
            .into_iter()
            .chain(e.frames.iter().map(|f| self.labels[f.index()].as_str()))
    }
}

/// Compare two frame-name sequences as their `;`-joined texts compare, without joining them.
/// Shared outer frames (the same label, usually the same string) are skipped cheaply.
fn cmp_joined<'a>(
    a: impl Iterator<Item = &'a str>,
    b: impl Iterator<Item = &'a str>,
) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut a, mut b) = (a.peekable(), b.peekable());
    loop {
        let (x, y) = match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => (x, y),
        };
        if std::ptr::eq(x, y) || x == y {
            continue;
        }
        let (xb, yb) = (x.as_bytes(), y.as_bytes());
        if let Some(i) = xb.iter().zip(yb).position(|(p, q)| p != q) {
            return xb[i].cmp(&yb[i]);
        }
        // One is a prefix of the other: the shorter one's text goes on with ';' or ends.
        let (short_more, long_next, short_is_a) = if xb.len() < yb.len() {
            (a.peek().is_some(), yb[xb.len()], true)
        } else {
            (b.peek().is_some(), xb[yb.len()], false)
        };
        let short_vs_long = if short_more {
            b';'.cmp(&long_next)
        } else {
            Ordering::Less
        };
        return if short_is_a {
            short_vs_long
        } else {
            short_vs_long.reverse()
        };
    }
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
    let folded = Folded::new(profile, kind);
    for e in &folded.entries {
        for (i, part) in folded.parts(e).enumerate() {
            if i > 0 {
                out.write_all(b";")?;
            }
            out.write_all(part.as_bytes())?;
        }
        writeln!(out, " {}", format_weight(e.weight))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cmp_joined;

    #[test]
    fn sequences_compare_as_their_joined_text() {
        let cases: &[(&[&str], &[&str])] = &[
            (&["a", "b"], &["a", "c"]),
            (&["foo", "x"], &["foo.bar", "y"]),
            (&["foo"], &["foo.bar"]),
            (&["foo"], &["foo", "bar"]),
            (&["foo", "x"], &["foo!", "x"]),
            (&["a;b"], &["a", "b"]),
            (&["same", "same"], &["same", "same"]),
            (&[], &["a"]),
        ];
        for (a, b) in cases {
            let expected = a.join(";").cmp(&b.join(";"));
            assert_eq!(
                cmp_joined(a.iter().copied(), b.iter().copied()),
                expected,
                "{a:?} vs {b:?}"
            );
            assert_eq!(
                cmp_joined(b.iter().copied(), a.iter().copied()),
                expected.reverse(),
                "{b:?} vs {a:?}"
            );
        }
    }
}
