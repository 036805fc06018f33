//! The crate map of docs/ARCHITECTURE.md, checked: which profview crates each crate may use
//! (its normal dependencies; tests and benchmarks may use more), and that the test helpers
//! are in no product crate's dependencies.

use std::collections::BTreeMap;

use serde_json::Value;

/// Each crate's allowed profview dependencies.
const ALLOWED: &[(&str, &[&str])] = &[
    ("profview-model", &[]),
    ("profview-files", &[]),
    ("profview-demangle", &[]),
    (
        "profview-symbolize",
        &["profview-model", "profview-files", "profview-demangle"],
    ),
    (
        "profview-parse",
        &["profview-model", "profview-files", "profview-demangle"],
    ),
    ("profview-analyze", &["profview-model"]),
    ("profview-tui", &["profview-model", "profview-analyze"]),
    (
        "profview",
        &[
            "profview-model",
            "profview-parse",
            "profview-symbolize",
            "profview-analyze",
            "profview-tui",
        ],
    ),
    (
        "profview-testkit",
        &[
            "profview-model",
            "profview-parse",
            "profview-symbolize",
            "profview-analyze",
        ],
    ),
];

fn metadata() -> Value {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn crates_depend_only_on_what_the_crate_map_allows() {
    let meta = metadata();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for package in meta["packages"].as_array().unwrap() {
        let name = package["name"].as_str().unwrap().to_owned();
        let deps = package["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            // Normal dependencies: `kind` is null (dev and build ones say so).
            .filter(|d| d["kind"].is_null())
            .filter_map(|d| d["name"].as_str())
            .filter(|d| d.starts_with("profview"))
            .map(str::to_owned)
            .collect();
        found.insert(name, deps);
    }
    let allowed: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
    for (name, deps) in &found {
        let Some(ok) = allowed.get(name.as_str()) else {
            panic!("{name} is not in the crate map (tests/architecture.rs, docs/ARCHITECTURE.md)");
        };
        for d in deps {
            assert!(
                ok.contains(&d.as_str()),
                "{name} depends on {d}, which the crate map does not allow"
            );
        }
    }
    assert_eq!(found.len(), ALLOWED.len(), "crates: {:?}", found.keys());
}

#[test]
fn the_test_helpers_are_not_published() {
    let meta = metadata();
    let testkit = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "profview-testkit")
        .unwrap();
    assert_eq!(testkit["publish"], serde_json::json!([]), "publish = false");
}
