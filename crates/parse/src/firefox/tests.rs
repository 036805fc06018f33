//! The processed format across the versions that moved its tables, and the Gecko format: the
//! same three samples written each way must read back as the same stacks.

use profview_model::Profile;
use serde_json::{json, Value};

use super::parse_firefox;

/// Stacks as `a;b;c weight` (weights summed per stack), sorted.
fn folded(p: &Profile) -> Vec<String> {
    let mut sums: std::collections::BTreeMap<String, f64> = Default::default();
    for s in p.samples().iter() {
        let mut names: Vec<String> = p.stack_frames(s.stack).map(|f| p.frame_label(f)).collect();
        names.reverse();
        *sums.entry(names.join(";")).or_default() += s.weight;
    }
    sums.into_iter().map(|(k, w)| format!("{k} {w}")).collect()
}

const EXPECTED: [&str; 3] = [
    "main;work 1",
    "main;work;hash 2",
    "main;work;lib.so+0x1234 1",
];

/// The sample profile's strings, its func / frame / stack / resource tables, and its samples,
/// laid out as `version` does.
fn tables(version: u64) -> (Vec<&'static str>, Value, Value) {
    let strings = vec!["main", "work", "hash", "0x1234", "lib.so"];
    let funcs = json!({"length": 4, "name": [0, 1, 2, 3], "resource": [-1, -1, -1, 0],
        "isJS": [false, false, false, false], "relevantForJS": [false, false, false, false]});
    let mut frames = json!({"length": 4, "func": [0, 1, 2, 3], "address": [-1, -1, -1, 0x1234],
        "inlineDepth": [0, 0, 0, 0], "category": [0, 0, 0, 0], "line": [null, null, null, null]});
    if version >= 70 {
        frames["lib"] = json!([null, null, null, 0]);
    }
    let mut stacks = json!({"length": 4, "frame": [0, 1, 2, 3]});
    if version >= 66 {
        stacks["prefixOffset"] = json!([0, 1, 1, 2]);
    } else {
        stacks["prefix"] = json!([null, 0, 1, 1]);
    }
    let resources = if version >= 70 {
        json!({"length": 1, "name": [4], "host": [null], "type": [1]})
    } else {
        json!({"length": 1, "lib": [0], "name": [4], "host": [null], "type": [1]})
    };
    let tables = json!({"funcTable": funcs, "frameTable": frames, "stackTable": stacks,
        "resourceTable": resources});
    let samples = json!({"length": 4, "stack": [1, 2, 3, null], "weight": [1, 2, 1, 1],
        "weightType": "samples", "timeDeltas": [0.0, 1.0, 1.0, 1.0]});
    (strings, tables, samples)
}

fn processed(version: u64) -> Value {
    let (strings, tables, samples) = tables(version);
    let mut thread = json!({"name": "main", "pid": "42", "tid": 42, "samples": samples});
    let mut shared = json!({});
    if version >= 56 {
        shared["stringArray"] = json!(strings);
    } else {
        thread["stringArray"] = json!(strings);
    }
    for key in ["funcTable", "frameTable", "stackTable", "resourceTable"] {
        if version >= 60 {
            shared[key] = tables[key].clone();
        } else {
            thread[key] = tables[key].clone();
        }
    }
    json!({
        "meta": {"version": 24, "preprocessedProfileVersion": version, "interval": 1.0,
                 "startTime": 1000.0, "categories": [{"name": "User", "color": "yellow"}]},
        "libs": [{"name": "lib.so", "path": "/lib/lib.so", "codeId": "abcd", "debugName": "lib.so"}],
        "threads": [thread],
        "shared": shared,
    })
}

fn read(v: &Value) -> Profile {
    parse_firefox("test.json", v.to_string().as_bytes()).expect("reads")
}

#[test]
fn every_processed_layout_reads_the_same_stacks() {
    for version in [48, 55, 56, 59, 60, 65, 66, 69, 70] {
        let p = read(&processed(version));
        assert_eq!(folded(&p), EXPECTED, "version {version}");
        let module = p.module(
            p.frame_module(p.stack(p.samples().get(2).stack).frame)
                .unwrap(),
        );
        assert!(module.relative_addresses, "version {version}");
        assert_eq!(module.build_id.as_deref(), Some(&[0xab, 0xcd][..]));
        assert_eq!(
            p.samples().get(1).time,
            Some(1_001_000_000),
            "ms deltas to ns"
        );
        assert_eq!(p.thread(p.samples().get(0).thread).tid, Some(42));
    }
}

#[test]
fn gecko_reads_the_same_stacks() {
    let gecko = json!({
        "meta": {"version": 27, "interval": 1.0, "startTime": 0.0},
        "libs": [{"start": 0x10000, "end": 0x20000, "offset": 0, "name": "lib.so",
                  "path": "/lib/lib.so", "breakpadId": "X"}],
        "threads": [{
            "name": "main", "pid": 42, "tid": 42,
            "stringTable": ["main", "work", "hash", "0x11234"],
            "frameTable": {"schema": {"location": 0, "line": 1}, "data": [[0, null], [1, null], [2, 7], [3, null]]},
            "stackTable": {"schema": {"prefix": 0, "frame": 1}, "data": [[null, 0], [0, 1], [1, 2], [1, 3]]},
            "samples": {"schema": {"stack": 0, "time": 1}, "data": [[1, 0.0], [2, 1.0], [2, 2.0], [3, 3.0]]},
        }],
        "processes": [],
    });
    assert_eq!(folded(&read(&gecko)), EXPECTED);
}

#[test]
fn too_new_versions_are_named() {
    let err = parse_firefox("x.json", processed(71).to_string().as_bytes()).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("version 71") && text.contains("up to 70"),
        "{text}"
    );
    let gecko = json!({"meta": {"version": 99}, "threads": []});
    let text = parse_firefox("x.json", gecko.to_string().as_bytes())
        .unwrap_err()
        .to_string();
    assert!(text.contains("version 99"), "{text}");
}

#[test]
fn malformed_json_gives_line_and_column() {
    let text = parse_firefox("x.json", b"{\n  \"meta\": {,\n}")
        .unwrap_err()
        .to_string();
    assert!(text.contains("line 2 column"), "{text}");
}

#[test]
fn out_of_range_indices_drop_samples_with_a_warning() {
    let mut v = processed(55);
    v["threads"][0]["samples"]["stack"] = json!([1, 2, 99, null]);
    v["threads"][0]["frameTable"]["func"] = json!([0, 1, 2, 77]);
    let p = read(&v);
    assert_eq!(folded(&p), ["main;work 1", "main;work;hash 2"]);
    let damaged = p
        .meta
        .warnings
        .count(profview_model::WarningKind::DamagedRecord);
    assert!(damaged >= 2, "{damaged}");
}
