//! Reading pprof: the top-level split, the shape check, and the samples' flat tables checked
//! against profiles made here, message by message.

use profview_model::{Profile, WarningKind, WeightKindId};
use prost::Message;

use super::proto;
use super::read::{looks_like_pprof, parse_pprof};
use super::samples::split;

/// A profile of `stacks` (location ids from the root, each with its values), one function and
/// one location per id, a thread label on each sample.
fn profile_of(stacks: &[(&[u64], &[i64])]) -> proto::Profile {
    let mut ids: Vec<u64> = stacks.iter().flat_map(|(s, _)| s.iter().copied()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut strings = vec![
        String::new(),
        "cpu".into(),
        "nanoseconds".into(),
        "tid".into(),
    ];
    let mut function = Vec::new();
    let mut location = Vec::new();
    for (i, &id) in ids.iter().enumerate() {
        strings.push(format!("fn_{id}"));
        function.push(proto::Function {
            id: i as u64 + 1,
            name: strings.len() as i64 - 1,
            ..Default::default()
        });
        location.push(proto::Location {
            id,
            line: vec![proto::Line {
                function_id: i as u64 + 1,
                line: 0,
                column: 0,
            }],
            ..Default::default()
        });
    }
    let sample = stacks
        .iter()
        .enumerate()
        .map(|(i, (stack, values))| proto::Sample {
            location_id: stack.iter().rev().copied().collect(),
            value: values.to_vec(),
            label: vec![proto::Label {
                key: 3,
                num: 100 + (i % 2) as i64,
                ..Default::default()
            }],
        })
        .collect();
    proto::Profile {
        sample_type: vec![proto::ValueType { r#type: 1, unit: 2 }],
        sample,
        location,
        function,
        string_table: strings,
        ..Default::default()
    }
}

/// The folded lines of the first weight kind, sorted, without the thread each starts with
/// (a label with a number and no name: `[unknown]`).
fn folded(profile: &Profile) -> Vec<(String, f64)> {
    let lines = crate::folded_lines(profile, WeightKindId::from_index(0));
    sorted(lines.into_iter().map(|(stack, w)| {
        let (thread, stack) = stack.split_once(';').expect("a thread and a stack");
        assert_eq!(thread, "[unknown]");
        (stack.to_owned(), w)
    }))
}

fn sorted(lines: impl Iterator<Item = (String, f64)>) -> Vec<(String, f64)> {
    let mut lines: Vec<(String, f64)> = lines.collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
}

fn read(message: &proto::Profile) -> Profile {
    parse_pprof("test", &message.encode_to_vec()).expect("reads")
}

#[test]
fn the_split_keeps_every_other_field_and_hands_over_each_sample() {
    let message = profile_of(&[(&[1, 2, 3], &[5]), (&[1, 4], &[7]), (&[2], &[1])]);
    let bytes = message.encode_to_vec();
    let split = split(&bytes).expect("splits");
    let head = proto::Profile::decode(split.head.as_slice()).expect("head decodes");
    let without_samples = proto::Profile {
        sample: Vec::new(),
        ..message.clone()
    };
    assert_eq!(head, without_samples);
    let samples: Vec<proto::Sample> = split
        .samples
        .iter()
        .map(|s| proto::Sample::decode(*s).expect("sample decodes"))
        .collect();
    assert_eq!(samples, message.sample);
}

#[test]
fn a_cut_file_is_an_error_that_says_at_which_byte() {
    let bytes = profile_of(&[(&[1, 2, 3], &[5])]).encode_to_vec();
    let cut = &bytes[..bytes.len() - 3];
    let error = split(cut).err().expect("a cut file does not split");
    assert!(error.contains("at byte"), "{error}");
    let error = parse_pprof("cut.pb", cut).expect_err("a cut file is an error");
    assert!(error.to_string().contains("at byte"), "{error}");
}

#[test]
fn the_shape_tells_pprof_from_text_and_other_messages() {
    let bytes = profile_of(&[(&[1, 2], &[5])]).encode_to_vec();
    assert!(looks_like_pprof(&bytes));
    assert!(!looks_like_pprof(b"\nmain;work 3\nmain;idle 5\n"));
    assert!(!looks_like_pprof(b"xmain;work 3\n"));
    assert!(!looks_like_pprof(&bytes[..bytes.len() - 1]));
    let no_types = proto::Profile {
        sample_type: Vec::new(),
        ..profile_of(&[(&[1], &[1])])
    };
    assert!(!looks_like_pprof(&no_types.encode_to_vec()));
    let mut first_string_not_empty = profile_of(&[(&[1], &[1])]);
    first_string_not_empty.string_table[0] = "x".into();
    assert!(!looks_like_pprof(&first_string_not_empty.encode_to_vec()));
}

#[test]
fn location_ids_past_32_bits_read_as_small_ones_do() {
    // The wide id comes after some samples were keyed narrow: those are widened on the way.
    const BIG: u64 = 1 << 40;
    let small = profile_of(&[
        (&[1, 2, 3], &[5]),
        (&[1, 2, 4], &[7]),
        (&[1, 9, 3], &[2]),
        (&[1, 2], &[1]),
        (&[4, 3], &[3]),
    ]);
    let big = profile_of(&[
        (&[1, 2, 3], &[5]),
        (&[1, 2, 4], &[7]),
        (&[1, BIG + 9, 3], &[2]),
        (&[1, 2], &[1]),
        (&[4, 3], &[3]),
    ]);
    let (small, big) = (folded(&read(&small)), folded(&read(&big)));
    let renamed = sorted(
        big.into_iter()
            .map(|(stack, w)| (stack.replace(&format!("fn_{}", BIG + 9), "fn_9"), w)),
    );
    assert_eq!(renamed, small);
}

#[test]
fn a_damaged_sample_between_two_does_not_lend_its_callers_to_the_next() {
    // In stack order [1,2,3,7] < [1,2,8,6] (damaged: two values) < [1,2,8,7]: the third
    // shares three ids with the damaged one but only two with the last stack made.
    let with = profile_of(&[
        (&[1, 2, 3, 7], &[5]),
        (&[1, 2, 8, 7], &[4]),
        (&[1, 2, 8, 6], &[2, 2]),
    ]);
    let without = profile_of(&[(&[1, 2, 3, 7], &[5]), (&[1, 2, 8, 7], &[4])]);
    let (with, without) = (read(&with), read(&without));
    assert_eq!(with.meta.warnings.count(WarningKind::DamagedRecord), 1);
    assert_eq!(folded(&with), folded(&without));
    let stacks: Vec<String> = folded(&with).into_iter().map(|(s, _)| s).collect();
    assert!(
        stacks.contains(&"fn_1;fn_2;fn_8;fn_7".to_owned()),
        "{stacks:?}"
    );
}

#[test]
fn samples_share_callers_however_the_file_orders_them() {
    // Stacks of a small recursion, written in an order unlike theirs: each stack must come
    // out whole, with its own weight.
    let mut stacks: Vec<(Vec<u64>, i64)> = Vec::new();
    for leaf in 0..40u64 {
        let depth = 1 + (leaf * 7 % 9) as usize;
        let mut stack: Vec<u64> = (0..depth).map(|d| 1 + ((leaf >> (d % 3)) % 3)).collect();
        stack.push(10 + leaf % 5);
        stacks.push((stack, leaf as i64 + 1));
    }
    stacks.reverse();
    let refs: Vec<(&[u64], Vec<i64>)> = stacks.iter().map(|(s, w)| (&s[..], vec![*w])).collect();
    let refs: Vec<(&[u64], &[i64])> = refs.iter().map(|(s, w)| (*s, &w[..])).collect();
    let profile = read(&profile_of(&refs));
    let mut expected: Vec<(String, f64)> = Vec::new();
    for (stack, weight) in &stacks {
        let names: Vec<String> = stack.iter().map(|id| format!("fn_{id}")).collect();
        let line = names.join(";");
        match expected.iter_mut().find(|(l, _)| *l == line) {
            Some((_, w)) => *w += *weight as f64,
            None => expected.push((line, *weight as f64)),
        }
    }
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(folded(&profile), expected);
}

#[test]
fn a_profile_without_weight_is_written_with_its_sample_types() {
    // Every value zero: nothing to weigh, but the file written must still be a profile.
    let read_once = read(&profile_of(&[(&[1, 2], &[0]), (&[1, 3], &[0])]));
    let written = super::to_pprof(&read_once);
    let again = parse_pprof("written", &written).expect("a written profile reads back");
    let names: Vec<&str> = again
        .weight_kinds()
        .iter()
        .map(|k| again.string(k.name))
        .collect();
    assert_eq!(names, ["cpu"]);
    let empty = super::to_pprof(&Profile::new());
    parse_pprof("empty", &empty).expect("a profile of nothing reads back");
}
