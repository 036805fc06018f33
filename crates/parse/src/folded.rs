//! Folded (collapsed) stacks, the inferno / FlameGraph format.
//!
//! One line per stack: `root;caller;leaf COUNT`, root first. Counts may be fractional. inferno's
//! annotations `_[k]` (kernel), `_[j]` (JIT) and `_[i]` (inlined) become frame kinds. A line
//! with two counts (`stack BEFORE AFTER`, from `inferno-diff-folded`) makes the file
//! differential, read as two profiles.
//!
//! inferno puts the command name (or `comm-pid/tid` with `--pid`/`--tid`) first. That frame is
//! kept as a frame, so the stacks stay exactly as written, and each distinct first frame also
//! becomes a thread (with its process, when a pid is given).

use std::collections::HashMap;

use profview_model::{
    Frame, FrameId, FrameKind, Function, Profile, ResolvedFrame, Sample, SourceFormat, StackId,
    ThreadId, WarningKind, WeightKindId, WeightUnit,
};

use crate::ParseError;

/// The weight kind of a folded profile whose counts are sample counts.
pub const FOLDED_WEIGHT_NAME: &str = "samples";

/// The weight kind of a folded profile whose counts are summed periods (see
/// [`MIN_DETECTED_PERIOD`]).
pub const FOLDED_PERIOD_WEIGHT_NAME: &str = "period";

/// inferno-collapse-perf sums perf's sample period, so a stack seen 449 times at `-F 999`
/// (period 1001001 ns) has count 449449449. When every count is a multiple of one number at
/// least this large, the counts are taken as periods of that size: real sample counts have a
/// greatest common divisor far below it.
pub const MIN_DETECTED_PERIOD: u64 = 1000;

/// A folded file: one profile, or two for a differential file.
// Made once per input and unpacked at once: boxing would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum FoldedProfiles {
    /// An ordinary folded file.
    Single(Profile),
    /// A differential file: the first count column is `before`, the second `after`.
    Differential {
        /// Profile of the first count column.
        before: Profile,
        /// Profile of the second count column.
        after: Profile,
    },
}

/// Parse folded stacks from `text`. `name` is used in messages and metadata.
///
/// Malformed lines are skipped and counted in the profile's warnings; an input with more
/// malformed lines than valid ones is an error.
pub fn parse_folded(name: &str, text: &str) -> Result<FoldedProfiles, ParseError> {
    let lines = scan_lines(text);
    let valid = lines.valid.len() as u64;
    if valid == 0 {
        return Err(match lines.first_bad {
            Some((first_line, first_problem)) => ParseError::NoValidFoldedLines {
                name: name.to_owned(),
                skipped: lines.bad_count,
                first_line,
                first_problem,
            },
            None => ParseError::Empty {
                name: name.to_owned(),
            },
        });
    }
    // A few bad lines in a real folded file are skipped; a file that is mostly not folded
    // stacks is some other file, whose few lines ending in a number are not samples.
    if lines.bad_count > valid {
        let (first_line, first_problem) = lines.first_bad.clone().expect("bad lines counted");
        return Err(ParseError::MostlyMalformedFolded {
            name: name.to_owned(),
            skipped: lines.bad_count,
            lines: lines.bad_count + valid,
            first_line,
            first_problem,
        });
    }
    let differential = lines.valid.iter().all(|l| l.before_count.is_some());
    let mut first = FoldedBuilder::new(name);
    if !differential {
        for line in &lines.valid {
            first.add(line.stack, line.count);
        }
        let mut profile = first.finish();
        record_bad_lines(&mut profile, &lines);
        return Ok(FoldedProfiles::Single(profile));
    }
    let mut second = FoldedBuilder::new(name);
    for line in &lines.valid {
        let (stack, before) = line.before_count.expect("checked above");
        first.add(stack, before);
        second.add(stack, line.count);
    }
    let (mut before, mut after) = (first.finish(), second.finish());
    record_bad_lines(&mut before, &lines);
    record_bad_lines(&mut after, &lines);
    Ok(FoldedProfiles::Differential { before, after })
}

fn record_bad_lines(profile: &mut Profile, lines: &ScannedLines<'_>) {
    if let Some((line, problem)) = &lines.first_bad {
        profile
            .meta
            .warnings
            .add_many(WarningKind::MalformedLine, lines.bad_count, || {
                format!("skipped malformed folded line(s); the first at line {line}: {problem}")
            });
    }
}

/// True if `text` looks like folded stacks: its first non-blank line parses as one.
pub fn looks_like_folded(text: &str) -> bool {
    text.lines()
        .map(str::trim_end)
        .find(|l| !l.is_empty())
        .is_some_and(|l| parse_line(l).is_ok())
}

/// One parsed line. `stack` is the text before the count; if that text itself ends with a
/// count, `before_count` holds the stack without it and that count (a differential line).
#[derive(Debug, Clone, Copy)]
struct FoldedLine<'a> {
    stack: &'a str,
    count: f64,
    before_count: Option<(&'a str, f64)>,
}

#[derive(Debug, Default)]
struct ScannedLines<'a> {
    valid: Vec<FoldedLine<'a>>,
    bad_count: u64,
    first_bad: Option<(u64, String)>,
}

fn scan_lines(text: &str) -> ScannedLines<'_> {
    let mut out = ScannedLines::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.trim_start().is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(l) => out.valid.push(l),
            Err(problem) => {
                out.bad_count += 1;
                out.first_bad.get_or_insert_with(|| (i as u64 + 1, problem));
            }
        }
    }
    out
}

fn parse_line(line: &str) -> Result<FoldedLine<'_>, String> {
    let (stack, count) =
        split_count(line).ok_or_else(|| format!("no count at the end of {:?}", shorten(line)))?;
    if stack.is_empty() {
        return Err("a count without a stack".to_owned());
    }
    if let Some(frame) = stack.split(';').find(|f| f.is_empty()) {
        debug_assert!(frame.is_empty());
        return Err(format!("empty frame name in {:?}", shorten(stack)));
    }
    let before_count = split_count(stack).filter(|(s, _)| !s.is_empty());
    Ok(FoldedLine {
        stack,
        count,
        before_count,
    })
}

/// Split `text` into the part before its last whitespace-separated token and that token read
/// as a non-negative count.
fn split_count(text: &str) -> Option<(&str, f64)> {
    let (head, tail) = text.rsplit_once([' ', '\t'])?;
    let count = parse_count(tail)?;
    Some((head.trim_end(), count))
}

/// A count: digits with at most one decimal point. Signs, exponents, `inf` and `NaN` are not
/// counts in this format.
fn parse_count(token: &str) -> Option<f64> {
    let digits = token.bytes().filter(u8::is_ascii_digit).count();
    let dots = token.bytes().filter(|&b| b == b'.').count();
    if digits == 0 || digits + dots != token.len() || dots > 1 {
        return None;
    }
    token.parse().ok()
}

fn shorten(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        return s.to_owned();
    }
    let head: String = s.chars().take(MAX).collect();
    format!("{head}...")
}

/// Split inferno's annotation suffix off a frame name.
fn frame_kind(name: &str) -> (&str, FrameKind, bool) {
    if let Some(base) = name.strip_suffix("_[k]") {
        (base, FrameKind::Kernel, false)
    } else if let Some(base) = name.strip_suffix("_[j]") {
        (base, FrameKind::Jit, false)
    } else if let Some(base) = name.strip_suffix("_[i]") {
        (base, FrameKind::User, true)
    } else {
        (name, FrameKind::User, false)
    }
}

/// `comm-pid/tid` or `comm-pid`, as inferno writes the first frame with `--pid` / `--tid`.
fn parse_comm_pid_tid(frame: &str) -> Option<(&str, u32, Option<u32>)> {
    let (comm, ids) = frame.rsplit_once('-')?;
    let (pid, tid) = match ids.split_once('/') {
        Some((pid, tid)) => (pid.parse().ok()?, Some(tid.parse().ok()?)),
        None => (ids.parse().ok()?, None),
    };
    (!comm.is_empty()).then_some((comm, pid, tid))
}

/// Builds one profile from folded lines, caching frames and threads by their text.
struct FoldedBuilder {
    profile: Profile,
    kind: WeightKindId,
    frames: HashMap<String, FrameId>,
    threads: HashMap<String, ThreadId>,
    path: Vec<FrameId>,
}

impl FoldedBuilder {
    fn new(name: &str) -> Self {
        let mut profile = Profile::new();
        profile.meta.source_format = SourceFormat::Folded;
        profile.meta.source_name = Some(name.to_owned());
        profile.meta.root_frame_is_thread = true;
        let kind = profile.add_weight_kind(FOLDED_WEIGHT_NAME, WeightUnit::Samples);
        Self {
            profile,
            kind,
            frames: HashMap::new(),
            threads: HashMap::new(),
            path: Vec::new(),
        }
    }

    fn add(&mut self, stack: &str, weight: f64) {
        let mut path = std::mem::take(&mut self.path);
        path.clear();
        path.extend(stack.split(';').map(|f| self.frame(f)));
        let root = stack.split(';').next().unwrap_or(stack);
        let thread = self.thread(root);
        let stack_id: StackId = self.profile.intern_stack_path(&path);
        self.profile.add_sample(Sample {
            thread,
            time: None,
            stack: stack_id,
            kind: self.kind,
            weight,
        });
        self.path = path;
    }

    fn frame(&mut self, text: &str) -> FrameId {
        if let Some(&id) = self.frames.get(text) {
            return id;
        }
        let (name, kind, inlined) = frame_kind(text);
        let name = self.profile.intern_string(name);
        let function = self
            .profile
            .intern_function(Function { name, module: None });
        let id = self.profile.intern_frame(Frame::Resolved(ResolvedFrame {
            function,
            file: None,
            line: None,
            inline_depth: u16::from(inlined),
            kind,
            address: None,
        }));
        self.frames.insert(text.to_owned(), id);
        id
    }

    fn thread(&mut self, root: &str) -> ThreadId {
        if let Some(&id) = self.threads.get(root) {
            return id;
        }
        let id = match parse_comm_pid_tid(root) {
            Some((comm, pid, tid)) => {
                let process = self.process(comm, pid);
                self.profile.add_thread(Some(process), tid, Some(comm))
            }
            None => self.profile.add_thread(None, None, Some(root)),
        };
        self.threads.insert(root.to_owned(), id);
        id
    }

    fn process(&mut self, comm: &str, pid: u32) -> profview_model::ProcessId {
        let existing = self.profile.processes().iter().position(|p| {
            p.pid == Some(pid) && p.name.map(|n| self.profile.string(n)) == Some(comm)
        });
        match existing {
            Some(i) => profview_model::ProcessId::from_index(i),
            None => self.profile.add_process(Some(pid), Some(comm)),
        }
    }

    fn finish(mut self) -> Profile {
        let weights = self.profile.samples().weights();
        if let Some(period) = common_period(weights) {
            let name = self.profile.intern_string(FOLDED_PERIOD_WEIGHT_NAME);
            let kind = self.profile.weight_kind_mut(self.kind);
            kind.name = name;
            kind.unit = WeightUnit::Period;
            kind.period = Some(period as f64);
        }
        self.profile
    }
}

/// The greatest common divisor of `weights`, when they are all whole and it is at least
/// [`MIN_DETECTED_PERIOD`].
fn common_period(weights: &[f64]) -> Option<u64> {
    let mut g = 0u64;
    for &w in weights {
        if w.fract() != 0.0 || !(0.0..1e18).contains(&w) {
            return None;
        }
        g = gcd(g, w as u64);
        if g != 0 && g < MIN_DETECTED_PERIOD {
            return None;
        }
    }
    (g >= MIN_DETECTED_PERIOD).then_some(g)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(text: &str) -> Profile {
        match parse_folded("t", text).unwrap() {
            FoldedProfiles::Single(p) => p,
            FoldedProfiles::Differential { .. } => panic!("unexpected differential"),
        }
    }

    fn stacks(p: &Profile) -> Vec<(Vec<String>, f64)> {
        p.samples()
            .iter()
            .map(|s| {
                let mut frames: Vec<String> =
                    p.stack_frames(s.stack).map(|f| p.frame_label(f)).collect();
                frames.reverse();
                (frames, s.weight)
            })
            .collect()
    }

    #[test]
    fn reads_stacks_root_first_with_counts() {
        let p = single("app;main;work 10\napp;main 2\n");
        assert_eq!(
            stacks(&p),
            vec![
                (vec!["app".into(), "main".into(), "work".into()], 10.0),
                (vec!["app".into(), "main".into()], 2.0),
            ]
        );
        let kind = p.find_weight_kind("samples").unwrap();
        assert_eq!(p.total_weight(kind), 12.0);
        assert_eq!(p.weight_kind(kind).period, None);
        assert_eq!(p.sample_count(kind), 12);
        // Shared prefixes are stored once.
        assert_eq!(p.stacks().len(), 3);
    }

    #[test]
    fn summed_periods_are_detected() {
        // inferno-collapse-perf output at -F 999: counts are multiples of 1001001 ns.
        let p = single("a;b 836836836\na;c 1001001\n");
        let kind = p.find_weight_kind("period").unwrap();
        assert_eq!(p.weight_kind(kind).period, Some(1001001.0));
        assert_eq!(p.sample_count(kind), 837);
        // Small counts with a common divisor stay sample counts.
        let p = single("a;b 500\na;c 1500\n");
        assert!(p.find_weight_kind("samples").is_some());
        assert_eq!(gcd(0, 0), 0);
        assert_eq!(common_period(&[0.0, 0.0]), None);
    }

    #[test]
    fn fractional_counts_and_blank_lines_and_crlf() {
        let p = single("\n a;b 1.5\r\n\n  \na;c 0.25\n");
        let kind = p.find_weight_kind("samples").unwrap();
        assert_eq!(p.total_weight(kind), 1.75);
        assert!(p.meta.warnings.is_empty());
    }

    #[test]
    fn frame_names_may_contain_spaces() {
        let p = single(
            "app;operator new(unsigned long);std::vector<int, std::allocator<int> >::push_back 4\n",
        );
        assert_eq!(
            stacks(&p)[0].0[2],
            "std::vector<int, std::allocator<int> >::push_back"
        );
    }

    #[test]
    fn annotations_become_frame_kinds() {
        let p = single("app;main_[j];inl_[i];sys_read_[k] 1\n");
        let leaf = p.stack(p.samples().get(0).stack).frame;
        assert_eq!(p.frame(leaf).kind(), FrameKind::Kernel);
        assert_eq!(p.frame_label(leaf), "sys_read");
        let kinds: Vec<(FrameKind, bool)> = p
            .stack_frames(p.samples().get(0).stack)
            .map(|f| (p.frame(f).kind(), p.frame(f).is_inlined()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (FrameKind::Kernel, false),
                (FrameKind::User, true),
                (FrameKind::Jit, false),
                (FrameKind::User, false),
            ]
        );
    }

    #[test]
    fn malformed_lines_are_counted_with_the_first_line_number() {
        let p = single("a;b 1\nno count here\na;c x\na;d 3\n");
        let w: Vec<_> = p.meta.warnings.iter().collect();
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].kind, WarningKind::MalformedLine);
        assert_eq!(w[0].count, 2);
        assert!(w[0].message.contains("line 2"), "{}", w[0].message);
        assert_eq!(p.samples().len(), 2);
    }

    #[test]
    fn rejects_counts_that_are_not_plain_numbers() {
        for bad in [
            "a -1", "a 1e5", "a inf", "a NaN", "a 1.2.3", "a .", "a;;b 1", " 5",
        ] {
            let err = parse_folded("t", bad).unwrap_err();
            assert!(
                matches!(err, ParseError::NoValidFoldedLines { first_line: 1, .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn empty_input_is_an_error() {
        assert!(matches!(
            parse_folded("t", "\n  \n").unwrap_err(),
            ParseError::Empty { .. }
        ));
    }

    #[test]
    fn differential_file_gives_two_profiles() {
        match parse_folded("t", "a;b 3 5\na;c 2 0\n").unwrap() {
            FoldedProfiles::Differential { before, after } => {
                let k = before.find_weight_kind("samples").unwrap();
                assert_eq!(before.total_weight(k), 5.0);
                assert_eq!(after.total_weight(k), 5.0);
                assert_eq!(stacks(&after)[0], (vec!["a".into(), "b".into()], 5.0));
            }
            FoldedProfiles::Single(_) => panic!("expected differential"),
        }
    }

    #[test]
    fn a_single_line_with_a_number_in_a_frame_is_not_differential() {
        let p = single("a;frame 2 7\na;b 3\n");
        assert_eq!(stacks(&p)[0], (vec!["a".into(), "frame 2".into()], 7.0));
    }

    #[test]
    fn first_frame_with_pid_and_tid_becomes_process_and_thread() {
        let p = single("worker-12/14;main 1\nworker-12/15;main 1\nplain;main 1\n");
        assert_eq!(p.processes().len(), 1);
        assert_eq!(p.processes()[0].pid, Some(12));
        let tids: Vec<Option<u32>> = p.threads().iter().map(|t| t.tid).collect();
        assert_eq!(tids, vec![Some(14), Some(15), None]);
        // The frame itself is kept as written.
        let root = p.stack_frames(p.samples().get(0).stack).last().unwrap();
        assert_eq!(p.frame_label(root), "worker-12/14");
    }
}
