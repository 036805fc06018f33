//! Inputs shaped to break tools: call stacks tens of thousands of frames deep go through every
//! command without a stack overflow, and a closed pipe ends output quietly.

mod common;

use common::profview;

fn deep_folded(dir: &std::path::Path) -> std::path::PathBuf {
    let mut text = String::new();
    let frames: Vec<String> = (0..20_000).map(|i| format!("f{i}")).collect();
    text.push_str(&format!("{} 5\n", frames.join(";")));
    let recursive: Vec<String> = (0..20_000).map(|i| format!("g{}", i % 3)).collect();
    text.push_str(&format!("{} 7\n", recursive.join(";")));
    let path = dir.join("deep.folded");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn stacks_twenty_thousand_frames_deep_go_through_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let input = deep_folded(dir.path());
    let input = input.to_str().unwrap();
    let svg = dir.path().join("deep.svg");
    let json = dir.path().join("deep.json");
    let commands: Vec<Vec<&str>> = vec![
        vec!["report", input],
        vec!["report", input, "--format", "json"],
        vec!["analyze", input, "--format", "json"],
        vec!["tree", input],
        vec!["tree", input, "--format", "json"],
        vec!["tree", input, "--inverted", "--format", "json"],
        vec!["callers", input, "g1", "--format", "json"],
        vec!["collapse", input],
        vec!["flamegraph", input, "-o", svg.to_str().unwrap()],
        vec![
            "convert",
            input,
            "--to",
            "firefox",
            "-o",
            json.to_str().unwrap(),
        ],
        vec!["report", json.to_str().unwrap()],
        vec!["diff", input, input, "--format", "json"],
    ];
    for args in commands {
        let out = profview().args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {stderr}");
        assert!(
            !stderr.contains("panicked") && !stderr.contains("overflow"),
            "{args:?}: {stderr}"
        );
    }
}

#[test]
fn a_deep_json_tree_is_cut_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let input = deep_folded(dir.path());
    let out = profview()
        .args(["tree", input.to_str().unwrap(), "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"depth_limit\": 256"), "not marked as cut");
    // 256 nodes of `{"children": [...]}`: two JSON levels per node, and no deeper.
    let mut level = 0i32;
    let mut deepest = 0;
    for b in text.bytes() {
        match b {
            b'{' | b'[' => level += 1,
            b'}' | b']' => level -= 1,
            _ => {}
        }
        deepest = deepest.max(level);
    }
    assert!(deepest <= 2 * 256 + 2, "nested {deepest} levels");
    assert!(deepest > 2 * 200, "cut too early: {deepest} levels");
}
