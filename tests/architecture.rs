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

/// A module of a library crate: its path from the crate root and its code without comments,
/// test modules and re-exports (`pub use`, which the module's own code does not depend on).
struct Module {
    path: Vec<String>,
    code: String,
    /// Names it imports or re-exports, and the absolute path each comes from (`None`: from
    /// another crate).
    reexports: Vec<(String, Option<Vec<String>>)>,
    children: Vec<String>,
}

fn module_path(src: &std::path::Path, file: &std::path::Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The code without line comments and without the `#[cfg(test)]` modules at the end.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod "))
        {
            break;
        }
        if !trimmed.starts_with("//") {
            // `pub(in crate::a)` names a module it does not use.
            let line = match (line.find("pub(in "), line.find(')')) {
                (Some(start), Some(end)) if end > start => {
                    format!("{}pub{}", &line[..start], &line[end + 1..])
                }
                _ => line.to_owned(),
            };
            code.push_str(&line);
            code.push('\n');
        }
    }
    code
}

/// The paths a `use` tree names (`a::{b, c::d}` → `a::b`, `a::c::d`), from `tree`'s text.
fn use_paths(tree: &str) -> Vec<Vec<String>> {
    fn walk(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
        let tree = tree.trim();
        if let Some(open) = tree.find('{') {
            let mut path = prefix.to_vec();
            path.extend(segments(&tree[..open]));
            let inner = &tree[open + 1..tree.rfind('}').unwrap()];
            let mut depth = 0;
            let mut start = 0;
            for (i, c) in inner.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        walk(&inner[start..i], &path, out);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            walk(&inner[start..], &path, out);
        } else if !tree.is_empty() {
            let mut path = prefix.to_vec();
            path.extend(segments(tree.split(" as ").next().unwrap()));
            out.push(path);
        }
    }
    fn segments(s: &str) -> Vec<String> {
        s.split("::")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    }
    let mut out = Vec::new();
    walk(tree, &[], &mut out);
    out
}

/// `path` as written in module `at` (`crate::`, `super::`, `self::` or a child's name first)
/// made absolute; `None` for other crates' paths.
fn absolute(at: &[String], children: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base = at.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("super") | Some("self") => {
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        base.pop();
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        Some(first) if children.iter().any(|c| c == first) => {}
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

fn read_modules(src: &std::path::Path) -> Vec<Module> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    // Binaries, and test modules kept in files of their own.
    files.retain(|f| !f.ends_with("main.rs") && !f.ends_with("tests.rs"));
    let mut modules = Vec::new();
    for file in files {
        let path = module_path(src, &file);
        let code = code_of(&std::fs::read_to_string(&file).unwrap());
        let mut children = Vec::new();
        let mut reexports = Vec::new();
        let mut own = String::new();
        // Statements end at `;` or at a block; `use` and `mod` ones are read whole.
        for statement in code.split_inclusive(';') {
            let trimmed = statement.trim_start();
            let trimmed = trimmed.strip_prefix("#[doc(hidden)]").unwrap_or(trimmed);
            let trimmed = trimmed.trim_start();
            let visible = ["pub use ", "pub(crate) use ", "pub(super) use "];
            if let Some(tree) = visible.iter().find_map(|p| trimmed.strip_prefix(p)) {
                for p in use_paths(tree.trim_end_matches(';')) {
                    reexports.push((p.last().unwrap().clone(), p));
                }
                continue;
            }
            if let Some(tree) = trimmed.strip_prefix("use ") {
                // A private import is a name other modules can reach too (`crate::name`).
                for p in use_paths(tree.trim_end_matches(';')) {
                    reexports.push((p.last().unwrap().clone(), p));
                }
            }
            for word in statement.split_whitespace().collect::<Vec<_>>().windows(2) {
                if (word[0] == "mod") && word[1].ends_with(';') {
                    children.push(word[1].trim_end_matches(';').to_owned());
                }
            }
            own.push_str(statement);
        }
        modules.push(Module {
            path,
            code: own,
            reexports: Vec::new(),
            children,
        });
        let last = modules.last_mut().unwrap();
        let (at, children) = (last.path.clone(), last.children.clone());
        last.reexports = reexports
            .into_iter()
            .map(|(name, p)| (name, absolute(&at, &children, &p)))
            .collect();
    }
    modules
}

/// The paths module `m`'s own code names: `use` trees and paths in expressions and types.
fn named_paths(m: &Module) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let code = &m.code;
    for statement in code.split_inclusive(';') {
        let t = statement.trim_start();
        let t = t.strip_prefix("pub(super) ").unwrap_or(t);
        if let Some(tree) = t.strip_prefix("use ") {
            out.extend(use_paths(tree.trim_end_matches(';')));
        }
    }
    // Paths in code: an identifier followed by `::`, not itself after `::`.
    let bytes = code.as_bytes();
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut i = 0;
    while i < bytes.len() {
        if ident(bytes[i]) && (i == 0 || (!ident(bytes[i - 1]) && bytes[i - 1] != b':')) {
            let start = i;
            while i < bytes.len() && (ident(bytes[i]) || bytes[i] == b':') {
                i += 1;
            }
            let path: Vec<String> = code[start..i]
                .split("::")
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            if path.len() > 1 {
                out.push(path);
            }
        } else {
            i += 1;
        }
    }
    out
}

/// The module an absolute path's item is defined in, following re-exports.
fn defining_module(modules: &[Module], mut path: Vec<String>) -> Option<Vec<String>> {
    for _ in 0..8 {
        let m = (0..=path.len())
            .rev()
            .find_map(|n| modules.iter().find(|m| m.path[..] == path[..n]))?;
        let depth = m.path.len();
        let Some(name) = path.get(depth) else {
            return Some(m.path.clone());
        };
        match m.reexports.iter().find(|(n, _)| n == name) {
            Some((_, None)) => return None,
            Some((_, Some(from))) => {
                let mut next = from.clone();
                next.extend(path[depth + 1..].iter().cloned());
                path = next;
            }
            None => return Some(m.path.clone()),
        }
    }
    None
}

/// The module dependency circles of the library crate whose sources are in `src`.
fn import_circles(src: &std::path::Path) -> Vec<Vec<String>> {
    let modules = read_modules(src);
    let name = |p: &[String]| {
        if p.is_empty() {
            "lib".to_owned()
        } else {
            p.join("::")
        }
    };
    // Each module's dependencies, with a path that makes each one.
    let mut edges: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for m in &modules {
        let from = name(&m.path);
        let targets = edges.entry(from.clone()).or_default();
        for p in named_paths(m) {
            let Some(abs) = absolute(&m.path, &m.children, &p) else {
                continue;
            };
            if let Some(to) = defining_module(&modules, abs) {
                if to != m.path {
                    targets.entry(name(&to)).or_insert_with(|| p.join("::"));
                }
            }
        }
    }
    // A circle: a module that reaches itself.
    let mut circles = Vec::new();
    for start in edges.keys() {
        let mut seen = std::collections::BTreeSet::new();
        // The trail: modules, each followed by the path that leads to the next.
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((at, trail)) = stack.pop() {
            for (next, via) in edges.get(&at).into_iter().flatten() {
                let mut t = trail.clone();
                t.push(format!("({via})"));
                if next == start {
                    circles.push(t);
                } else if seen.insert(next.clone()) {
                    t.push(next.clone());
                    stack.push((next.clone(), t));
                }
            }
        }
    }
    circles
}

#[test]
fn no_library_crate_has_a_module_import_circle() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for krate in [
        "model",
        "files",
        "demangle",
        "parse",
        "symbolize",
        "analyze",
        "tui",
    ] {
        for circle in import_circles(&root.join("crates").join(krate).join("src")) {
            found.push(format!("{krate}: {} -> back", circle.join(" ")));
        }
    }
    assert!(
        found.is_empty(),
        "modules that use each other (docs/ARCHITECTURE.md):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_circle_check_finds_a_circle() {
    let dir = std::env::temp_dir().join(format!("profview-circle-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("outer")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod outer;\npub use a::A;\n").unwrap();
    std::fs::write(
        dir.join("a.rs"),
        "use crate::outer::{inner::B};\npub struct A;\n",
    )
    .unwrap();
    std::fs::write(dir.join("outer/mod.rs"), "pub mod inner;\n").unwrap();
    std::fs::write(
        dir.join("outer/inner.rs"),
        "pub struct B;\nfn f() -> super::super::A { crate::A }\n",
    )
    .unwrap();
    let circles = import_circles(&dir);
    std::fs::write(dir.join("a.rs"), "pub struct A;\n").unwrap();
    let none = import_circles(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(circles.len(), 2, "{circles:?}");
    assert!(
        circles
            .iter()
            .any(|c| c[0] == "a" && c[2] == "outer::inner" && c[3] == "(super::super::A)"),
        "{circles:?}"
    );
    assert!(none.is_empty(), "{none:?}");
}
