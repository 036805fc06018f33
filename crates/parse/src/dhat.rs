//! DHAT heap profiles: valgrind's `--tool=dhat` (`dhat.out.<pid>`, file version 2) and the
//! `dhat` crate's `dhat-heap.json`.
//!
//! A DHAT file holds one record per allocation site (a *program point*: its stack, leaf
//! first, as indices into a frame table) with totals over the run. Each total becomes a
//! weight kind, so every view works on them: `peak` (bytes live at the global peak, the
//! default), `leaked` (bytes still live at exit), `allocated-bytes`, `allocations` (blocks),
//! and `short-lived` (blocks of sites whose average lifetime is under DHAT's threshold).
//! Program points with the same stack are summed (dhat-rs trims backtraces, which makes
//! repeats that valgrind's own viewer rejects).

use profview_model::{
    CodeAddress, Frame, FrameId, FrameKind, Function, Module, Profile, ResolvedFrame, Sample,
    SourceFormat, WeightUnit,
};
use serde::Deserialize;

use crate::ParseError;

/// The file version this reader knows (valgrind 3.17 and later, and dhat-rs).
const FILE_VERSION: u32 = 2;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DhatFile {
    dhat_file_version: u32,
    mode: String,
    #[serde(default)]
    cmd: Option<String>,
    #[serde(default)]
    pid: Option<u32>,
    /// Short-lived threshold, in the file's time unit.
    #[serde(default)]
    tuth: Option<f64>,
    pps: Vec<ProgramPoint>,
    ftbl: Vec<String>,
}

/// One allocation site. The fields after `tbk` exist when the file's `bklt` flag is set
/// (heap mode), not in copy or ad-hoc mode.
#[derive(Debug, Deserialize)]
struct ProgramPoint {
    tb: f64,
    tbk: f64,
    #[serde(default)]
    tl: Option<f64>,
    #[serde(default)]
    gb: Option<f64>,
    #[serde(default)]
    eb: Option<f64>,
    fs: Vec<usize>,
}

/// True if `bytes` (JSON) look like a DHAT file: `dhatFileVersion` near the start.
pub fn looks_like_dhat(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(256)];
    head.windows(b"\"dhatFileVersion\"".len())
        .any(|w| w == b"\"dhatFileVersion\"")
}

/// Read a DHAT file; `name` is used in messages and metadata.
pub fn parse_dhat(name: &str, bytes: &[u8]) -> Result<Profile, ParseError> {
    let bad = |problem: String| ParseError::Dhat {
        name: name.to_owned(),
        problem,
    };
    let file: DhatFile = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if file.dhat_file_version != FILE_VERSION {
        return Err(bad(format!(
            "file version {} (this reader knows version {FILE_VERSION}, valgrind 3.17 or later)",
            file.dhat_file_version
        )));
    }
    let mut profile = Profile::new();
    profile.meta.source_format = SourceFormat::Dhat;
    profile.meta.source_name = Some(name.to_owned());
    profile.meta.command_line = file.cmd.clone();
    profile.meta.stacks_recorded = Some(true);
    let program = file
        .cmd
        .as_deref()
        .and_then(|c| c.split_whitespace().next())
        .map(|c| c.rsplit('/').next().unwrap_or(c).to_owned());
    let process = profile.add_process(file.pid, program.as_deref());
    let thread = profile.add_thread(Some(process), file.pid, program.as_deref());
    let frames: Vec<FrameId> = file
        .ftbl
        .iter()
        .map(|entry| intern_frame(&mut profile, entry))
        .collect();
    let kinds = Kinds::new(&mut profile, &file);
    for (index, pp) in file.pps.iter().enumerate() {
        let stack = stack_of(&mut profile, &file.ftbl, &frames, &pp.fs).ok_or_else(|| {
            bad(format!(
                "program point {index} names a frame past the frame table"
            ))
        })?;
        for (kind, weight) in kinds.weights(pp, file.tuth) {
            if weight > 0.0 && weight.is_finite() {
                profile.add_sample(Sample {
                    thread,
                    time: None,
                    stack,
                    kind,
                    weight,
                });
            }
        }
    }
    Ok(profile)
}

/// The weight kinds a file has, in the order `--event` lists them (the default first).
struct Kinds {
    peak: Option<profview_model::WeightKindId>,
    leaked: Option<profview_model::WeightKindId>,
    allocated: profview_model::WeightKindId,
    allocations: profview_model::WeightKindId,
    short_lived: Option<profview_model::WeightKindId>,
}

impl Kinds {
    fn new(profile: &mut Profile, file: &DhatFile) -> Self {
        // Only heap mode has lifetimes and the t-gmax / t-end snapshots.
        let heap = file.mode.ends_with("heap");
        let has = |field: fn(&ProgramPoint) -> bool| heap && file.pps.iter().any(field);
        let peak =
            has(|p| p.gb.is_some()).then(|| profile.add_weight_kind("peak", WeightUnit::Bytes));
        let leaked =
            has(|p| p.eb.is_some()).then(|| profile.add_weight_kind("leaked", WeightUnit::Bytes));
        let allocated = profile.add_weight_kind("allocated-bytes", WeightUnit::Bytes);
        let allocations = profile.add_weight_kind("allocations", WeightUnit::Count);
        let short_lived = (has(|p| p.tl.is_some()) && file.tuth.is_some())
            .then(|| profile.add_weight_kind("short-lived", WeightUnit::Count));
        Self {
            peak,
            leaked,
            allocated,
            allocations,
            short_lived,
        }
    }

    fn weights(
        &self,
        pp: &ProgramPoint,
        threshold: Option<f64>,
    ) -> Vec<(profview_model::WeightKindId, f64)> {
        let mut out = vec![(self.allocated, pp.tb), (self.allocations, pp.tbk)];
        out.extend(self.peak.zip(pp.gb));
        out.extend(self.leaked.zip(pp.eb));
        // dh_view's rule: a site is short-lived when its blocks' average lifetime is at most
        // the threshold.
        if let (Some(kind), Some(lifetimes), Some(threshold)) = (self.short_lived, pp.tl, threshold)
        {
            if pp.tbk > 0.0 && lifetimes / pp.tbk <= threshold {
                out.push((kind, pp.tbk));
            }
        }
        out
    }
}

/// The stack of a program point, root first; `None` if it names a frame the table lacks.
fn stack_of(
    profile: &mut Profile,
    table: &[String],
    frames: &[FrameId],
    fs: &[usize],
) -> Option<profview_model::StackId> {
    let mut path: Vec<FrameId> = Vec::with_capacity(fs.len());
    // The profiler's own allocator (valgrind's `malloc (in .../vgpreload_dhat-amd64-linux.so)`,
    // dhat-rs's `alloc (dhat-0.3.3/src/lib.rs:..)`) is the allocation itself: the site is its
    // caller, as heaptrack and massif show it.
    let own = fs
        .iter()
        .take_while(|&&f| table.get(f).is_some_and(|e| is_profilers_allocator(e)))
        .count();
    let fs = if own < fs.len() { &fs[own..] } else { fs };
    // `fs` is leaf first. An entry with the address of the entry after it (its caller) is
    // code inlined there: the same instruction, named by the inlined function.
    for (i, &f) in fs.iter().enumerate() {
        let frame = *frames.get(f)?;
        let inlined = fs
            .get(i + 1)
            .and_then(|&next| table.get(next))
            .zip(table.get(f))
            .is_some_and(|(next, this)| {
                address_of(next).is_some() && address_of(next) == address_of(this)
            });
        path.push(if inlined {
            as_inlined(profile, frame)
        } else {
            frame
        });
    }
    if path.is_empty() {
        // A site with no stack at all: valgrind writes none, but say where it went.
        path.push(frames.first().copied()?);
    }
    path.reverse();
    Some(profile.intern_stack_path(&path))
}

/// Whether a frame table entry is the heap profiler's own allocation function.
fn is_profilers_allocator(entry: &str) -> bool {
    entry.contains("/vgpreload_") || entry.contains(" (dhat-") || entry.contains("/dhat-0.")
}

/// The same frame marked as inlined into its caller.
fn as_inlined(profile: &mut Profile, frame: FrameId) -> FrameId {
    match *profile.frame(frame) {
        Frame::Resolved(mut f) => {
            f.inline_depth = 1;
            profile.intern_frame(Frame::Resolved(f))
        }
        Frame::Unresolved(_) => frame,
    }
}

/// The address at the start of a valgrind frame (`0x1091A8: ...`).
fn address_of(entry: &str) -> Option<&str> {
    let (head, _) = entry.split_once(": ")?;
    head.starts_with("0x").then_some(head)
}

/// One frame as valgrind's tools (DHAT, massif) write it: `0x1091A8: leak_config (heap.c:13)`,
/// `0x48417B4: malloc (in /usr/lib/x.so)`, dhat-rs's `name (src/main.rs:10:5)`, `[root]`.
pub(crate) fn intern_frame(profile: &mut Profile, entry: &str) -> FrameId {
    let (address, rest) = match entry.split_once(": ") {
        Some((a, rest)) if a.starts_with("0x") => (u64::from_str_radix(&a[2..], 16).ok(), rest),
        _ => (None, entry),
    };
    let (name, place) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once(" (")) {
        Some((name, place)) => (name, Some(place)),
        None => (rest, None),
    };
    let mut module = None;
    let (mut file, mut line) = (None, None);
    match place {
        Some(place) if place.starts_with("in ") => {
            let path = profile.intern_string(&place[3..]);
            module = Some(profile.intern_module(Module {
                path,
                build_id: None,
                address_range: None,
                relative_addresses: false,
            }));
        }
        Some(place) => {
            let mut parts = place.split(':');
            let path = parts.next().unwrap_or(place);
            file = Some(profile.intern_string(path));
            line = parts.next().and_then(|l| l.parse().ok());
        }
        None => {}
    }
    let name = if name.is_empty() { entry } else { name };
    let name = profile.intern_string(name);
    let function = profile.intern_function(Function { name, module });
    profile.intern_frame(Frame::Resolved(ResolvedFrame {
        function,
        file,
        line,
        inline_depth: 0,
        kind: FrameKind::User,
        address: address.map(CodeAddress::InstructionPointer),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"{"dhatFileVersion":2,"mode":"heap","verb":"Allocated","bklt":true,"bkacc":false,
        "tu":"instrs","Mtu":"Minstr","tuth":500,"cmd":"./prog 1","pid":7,"te":1000,"tg":500,
        "pps":[{"tb":100,"tbk":2,"tl":100,"mb":100,"mbk":2,"gb":100,"gbk":2,"eb":100,"ebk":2,"fs":[1,2,3]},
               {"tb":64,"tbk":4,"tl":4000,"mb":16,"mbk":1,"gb":0,"gbk":0,"eb":0,"ebk":0,"fs":[1,4,4,3]},
               {"tb":10,"tbk":1,"tl":10,"mb":10,"mbk":1,"gb":10,"gbk":1,"eb":0,"ebk":0,"fs":[1,2,3]}],
        "ftbl":["[root]","0x10: malloc (in /usr/libexec/valgrind/vgpreload_dhat-amd64-linux.so)","0x20: leak (a.c:3)","0x30: main (a.c:9)",
                "0x40: helper (a.c:5)"]}"#;

    /// Weight per stack (leaf first), summed.
    fn weights(p: &Profile, kind: &str) -> Vec<(Vec<String>, f64)> {
        let k = p.find_weight_kind(kind).expect(kind);
        let mut out: std::collections::BTreeMap<Vec<String>, f64> = Default::default();
        for s in p.samples().iter().filter(|s| s.kind == k) {
            let names = p.stack_frames(s.stack).map(|f| p.frame_label(f)).collect();
            *out.entry(names).or_default() += s.weight;
        }
        out.into_iter().collect()
    }

    #[test]
    fn program_points_become_stacks_with_every_total_as_a_weight() {
        let p = parse_dhat("t.json", FILE.as_bytes()).unwrap();
        let names: Vec<&str> = p.weight_kinds().iter().map(|k| p.string(k.name)).collect();
        assert_eq!(
            names,
            [
                "peak",
                "leaked",
                "allocated-bytes",
                "allocations",
                "short-lived"
            ]
        );
        let leaf_first = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        // The two points with one stack are summed, and the allocator's own frame is not
        // the site.
        assert_eq!(
            weights(&p, "peak"),
            [(leaf_first(&["leak", "main"]), 110.0)]
        );
        assert_eq!(weights(&p, "leaked")[0].1, 100.0);
        assert_eq!(
            p.total_weight(p.find_weight_kind("allocations").unwrap()),
            7.0
        );
        // Average lifetime 50 and 10 (≤ 500) are short-lived; 1000 is not.
        assert_eq!(
            p.total_weight(p.find_weight_kind("short-lived").unwrap()),
            3.0
        );
        assert_eq!(p.meta.command_line.as_deref(), Some("./prog 1"));
    }

    #[test]
    fn frames_keep_their_file_line_and_module() {
        let p = parse_dhat("t.json", FILE.as_bytes()).unwrap();
        let leak = p
            .frames()
            .iter()
            .find_map(|f| match f {
                Frame::Resolved(r) if p.string(p.function(r.function).name) == "leak" => Some(*r),
                _ => None,
            })
            .unwrap();
        assert_eq!(leak.file.map(|f| p.string(f)), Some("a.c"));
        assert_eq!(leak.line, Some(3));
        let malloc_module = p
            .functions()
            .iter()
            .find(|f| p.string(f.name) == "malloc")
            .and_then(|f| f.module)
            .map(|m| p.module_name(m).to_owned());
        assert_eq!(
            malloc_module.as_deref(),
            Some("vgpreload_dhat-amd64-linux.so")
        );
    }

    #[test]
    fn a_repeated_address_is_an_inlined_frame() {
        let p = parse_dhat("t.json", FILE.as_bytes()).unwrap();
        let k = p.find_weight_kind("allocations").unwrap();
        let helper_stack = p
            .samples()
            .iter()
            .find(|s| s.kind == k && s.weight == 4.0)
            .unwrap()
            .stack;
        let inlined: Vec<bool> = p
            .stack_frames(helper_stack)
            .map(|f| p.frame(f).is_inlined())
            .collect();
        // leaf first: helper (inlined into the next helper), helper, main
        assert_eq!(inlined, [true, false, false]);
    }

    #[test]
    fn bad_files_are_errors() {
        let err = parse_dhat(
            "x.json",
            br#"{"dhatFileVersion":1,"mode":"heap","pps":[],"ftbl":[]}"#,
        )
        .unwrap_err();
        assert!(err.to_string().contains("file version 1"), "{err}");
        let err = parse_dhat("x.json", br#"{"dhatFileVersion":2,"mode":"heap","pps":[{"tb":1,"tbk":1,"fs":[9]}],"ftbl":["[root]"]}"#)
            .unwrap_err();
        assert!(err.to_string().contains("program point 0"), "{err}");
        assert!(parse_dhat("x.json", b"{").is_err());
    }
}
