//! Writing folded stacks: the inverse of [`crate::folded::parse_folded`].

use std::collections::HashMap;
use std::io::{self, Write};

use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashMap;

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
    /// The distinct names (frame labels and thread names) the entries' parts number. Frames
    /// of one function at different addresses share a name, so two entries' shared outer
    /// parts compare as numbers.
    texts: Vec<String>,
    entries: Vec<Entry>,
}

struct Entry {
    /// The thread's name first when there is one, then the frames root first.
    parts: Vec<u32>,
    weight: f64,
}

impl Folded {
    fn new(profile: &Profile, kind: WeightKindId) -> Self {
        let mut texts = Texts::default();
        let frame_text: Vec<u32> = (0..profile.frames().len())
            .map(|i| texts.number(annotated_label(profile, FrameId::from_index(i))))
            .collect();
        let thread_text: Vec<u32> = (0..profile.threads().len())
            .map(|t| texts.number(thread_label(profile, ThreadId::from_index(t))))
            .collect();
        let parts_of = |thread: Option<ThreadId>, stack: StackId| {
            let mut parts: Vec<u32> = thread.map(|t| thread_text[t.index()]).into_iter().collect();
            let first_frame = parts.len();
            parts.extend(profile.stack_frames(stack).map(|f| frame_text[f.index()]));
            parts[first_frame..].reverse();
            parts
        };
        // Different stacks can read the same (threads of one name, addresses of one function):
        // one entry per distinct text, before sorting, so that fewer are sorted.
        let mut by_parts: FxHashMap<Vec<u32>, f64> = FxHashMap::default();
        if profile.meta.root_frame_is_thread {
            for (i, w) in profile.weights_per_stack(kind).into_iter().enumerate() {
                *by_parts
                    .entry(parts_of(None, StackId::from_index(i)))
                    .or_default() += w;
            }
        } else {
            let mut per_thread: FxHashMap<(ThreadId, StackId), f64> = FxHashMap::default();
            for s in profile.samples().iter().filter(|s| s.kind == kind) {
                *per_thread.entry((s.thread, s.stack)).or_default() += s.weight;
            }
            for ((thread, stack), w) in per_thread {
                *by_parts.entry(parts_of(Some(thread), stack)).or_default() += w;
            }
        }
        let mut entries: Vec<Entry> = by_parts
            .into_iter()
            .filter(|(_, w)| *w != 0.0)
            .map(|(parts, weight)| Entry { parts, weight })
            .collect();
        let texts = texts.texts;
        entries.par_sort_unstable_by(|a, b| cmp_entries(&texts, a, b));
        Folded { texts, entries }
    }

    /// The names of `e`'s parts.
    fn parts<'a>(&'a self, e: &'a Entry) -> impl Iterator<Item = &'a str> + 'a {
        names(&self.texts, &e.parts)
    }
}

/// Compare as the folded texts compare: the shared outer parts by number, the rest by name.
fn cmp_entries(texts: &[String], a: &Entry, b: &Entry) -> std::cmp::Ordering {
    let same = a
        .parts
        .iter()
        .zip(&b.parts)
        .take_while(|(x, y)| x == y)
        .count();
    cmp_joined(
        names(texts, &a.parts[same..]),
        names(texts, &b.parts[same..]),
    )
}

/// The names numbered `parts`.
fn names<'a>(texts: &'a [String], parts: &'a [u32]) -> impl Iterator<Item = &'a str> + 'a {
    parts.iter().map(|&i| texts[i as usize].as_str())
}

/// Distinct strings, numbered in the order first seen.
#[derive(Default)]
struct Texts {
    texts: Vec<String>,
    numbers: HashMap<String, u32>,
}

impl Texts {
    fn number(&mut self, text: String) -> u32 {
        if let Some(&n) = self.numbers.get(&text) {
            return n;
        }
        let n = self.texts.len() as u32;
        self.texts.push(text.clone());
        self.numbers.insert(text, n);
        n
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
