//! Writing folded stacks: the inverse of [`crate::folded::parse_folded`].

use std::collections::HashMap;
use std::io::{self, Write};

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use rayon::slice::ParallelSliceMut;
use rustc_hash::FxHashMap;

use profview_model::{Frame, FrameId, FrameKind, Profile, ThreadId, WeightKindId};

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
        // Each stack node's text as a node of a tree of names, in one forward pass (parents
        // come first): stacks that read the same (addresses of one function) share a node,
        // and a line is keyed by two numbers instead of its whole list of names.
        let mut trie = TextTrie::default();
        let mut text_node: Vec<u32> = Vec::with_capacity(profile.stacks().len());
        for node in profile.stacks() {
            let parent = node.parent.map_or(NO_TEXT, |p| text_node[p.index()]);
            text_node.push(trie.child(parent, frame_text[node.frame.index()]));
        }
        // (thread name or none, text node) to weight: one entry per distinct line.
        let mut by_text: FxHashMap<(u32, u32), f64> = FxHashMap::default();
        if profile.meta.root_frame_is_thread {
            for (i, w) in profile.weights_per_stack(kind).into_iter().enumerate() {
                *by_text.entry((NO_TEXT, text_node[i])).or_default() += w;
            }
        } else {
            for s in profile.samples().iter().filter(|s| s.kind == kind) {
                let key = (thread_text[s.thread.index()], text_node[s.stack.index()]);
                *by_text.entry(key).or_default() += s.weight;
            }
        }
        let lines: Vec<((u32, u32), f64)> =
            by_text.into_iter().filter(|(_, w)| *w != 0.0).collect();
        let mut entries: Vec<Entry> = lines
            .into_par_iter()
            .map(|((thread, node), weight)| {
                let mut parts: Vec<u32> =
                    (thread != NO_TEXT).then_some(thread).into_iter().collect();
                let first_frame = parts.len();
                parts.extend(trie.parts_leaf_first(node));
                parts[first_frame..].reverse();
                Entry { parts, weight }
            })
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

/// No thread name, or no parent: the root.
const NO_TEXT: u32 = u32::MAX;

/// Paths of names: a node per distinct (parent path, name).
#[derive(Default)]
struct TextTrie {
    parent: Vec<u32>,
    part: Vec<u32>,
    index: FxHashMap<(u32, u32), u32>,
}

impl TextTrie {
    fn child(&mut self, parent: u32, part: u32) -> u32 {
        *self.index.entry((parent, part)).or_insert_with(|| {
            self.parent.push(parent);
            self.part.push(part);
            self.part.len() as u32 - 1
        })
    }

    /// The names of `node`'s path, leaf first.
    fn parts_leaf_first(&self, node: u32) -> impl Iterator<Item = u32> + '_ {
        let mut at = node;
        std::iter::from_fn(move || {
            let i = at as usize;
            let part = *self.part.get(i)?;
            at = self.parent[i];
            Some(part)
        })
    }
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
