//! `profview annotate`: a function's time by source line, against `perf script`'s srcline of
//! the same samples, on a C program recorded here; and a Rust function whose inlined std code
//! is shown under the line that called it.

mod common;

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use common::stdout_of;
use serde_json::Value;

fn record_hot(dir: &Path) -> String {
    let flags = ["-O2", "-g", "-fno-omit-frame-pointer"];
    let program = common::build_c(dir, "programs/hot.c", "hot", &flags);
    let data = common::perf_record(
        &dir.join("hot.data"),
        &["-F", "1999", "-g"],
        &program,
        &["0.5"],
    );
    data.display().to_string()
}

/// `perf script`'s `file:line` counts of the samples whose symbol starts with `function`.
fn perf_srclines(data: &str, function: &str) -> HashMap<String, f64> {
    let out = Command::new("perf")
        .args(["script", "-G", "-F", "ip,sym,srcline", "-i", data])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let mut counts = HashMap::new();
    let mut lines = text.lines();
    while let (Some(sample), Some(srcline)) = (lines.next(), lines.next()) {
        let sym = sample.split_whitespace().nth(1).unwrap_or("");
        if sym.starts_with(function) {
            *counts.entry(srcline.trim().to_owned()).or_insert(0.0) += 1.0;
        }
    }
    let total: f64 = counts.values().sum();
    counts.values_mut().for_each(|c| *c = 100.0 * *c / total);
    counts
}

#[test]
fn line_shares_are_perf_scripts_srclines() {
    let dir = tempfile::tempdir().unwrap();
    let data = record_hot(dir.path());
    let json: Value = serde_json::from_str(&stdout_of(&[
        "annotate", &data, "checksum", "--format", "json",
    ]))
    .unwrap();
    assert!(json["function"].as_str().unwrap().starts_with("checksum"));
    let perf = perf_srclines(&data, "checksum");
    assert!(!perf.is_empty());
    for l in json["lines"].as_array().unwrap() {
        let file = Path::new(l["file"].as_str().unwrap()).file_name().unwrap();
        let key = format!("{}:{}", file.to_string_lossy(), l["line"]);
        let ours = l["self_percent"].as_f64().unwrap();
        let theirs = perf.get(&key).copied().unwrap_or(0.0);
        assert!(
            (ours - theirs).abs() <= 1.0,
            "{key}: {ours} vs perf's {theirs}\n{json}"
        );
    }
    // The text shows the source with the shares beside its lines.
    let text = stdout_of(&["annotate", &data, "checksum"]);
    assert!(text.contains("sum = (sum ^ data[i])"), "{text}");
}

#[test]
fn inlined_std_code_is_shown_under_the_line_that_called_it() {
    let case = common::laid_out("rust_inline");
    let data = case.join("hotspot.debug.fp.perf.data");
    let json: Value = serde_json::from_str(&stdout_of(&[
        "annotate",
        data.to_str().unwrap(),
        "find_matches",
        "--symbol-path",
        case.to_str().unwrap(),
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["function"], "rustprof::find_matches");
    let lines = json["lines"].as_array().unwrap();
    // black_box, inlined from core::hint into line 28 (`if black_box(b).is_ascii_uppercase()`).
    let black_box = lines
        .iter()
        .find(|l| l["inlined_from"] == "core::hint::black_box" && l["call_site"] == 28)
        .unwrap_or_else(|| panic!("{json}"));
    assert!(black_box["file"]
        .as_str()
        .unwrap()
        .ends_with("core/src/hint.rs"));
    // The function's own lines are in its own file.
    assert!(lines
        .iter()
        .any(|l| l["line"] == 27 && l["file"].as_str().unwrap().ends_with("src/main.rs")));
    // Sources recorded under another folder are found with --source-path.
    let text = stdout_of(&[
        "annotate",
        data.to_str().unwrap(),
        "find_matches",
        "--symbol-path",
        case.to_str().unwrap(),
        "--source-path",
        &format!("/work/rec/rustprof={}", case.display()),
    ]);
    assert!(
        text.contains("for (i, &b) in haystack.iter().enumerate()"),
        "{text}"
    );
    // A source that is not there is a note, not an error.
    let missing = stdout_of(&[
        "annotate",
        data.to_str().unwrap(),
        "find_matches",
        "--symbol-path",
        case.to_str().unwrap(),
        "--source-path",
        "/work/rec/rustprof=/nonexistent",
    ]);
    assert!(
        missing.contains("not found here (pass --source-path"),
        "{missing}"
    );
}

#[test]
fn an_ambiguous_name_lists_the_choices() {
    let out = common::profview()
        .args(["annotate", "testdata/hotspot/fp.folded", "_path"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(
        err.contains("matches") && err.contains("warm_path"),
        "{err}"
    );
}

/// `perf annotate --stdio --symbol=NAME`'s instructions with samples: (hex address, percent).
fn perf_annotate(data: &str, symbol: &str) -> Vec<(String, f64)> {
    let out = Command::new("perf")
        .args(["annotate", "--stdio", "-i", data])
        .arg(format!("--symbol={symbol}"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let (percent, rest) = l.split_once(" : ")?;
            let percent: f64 = percent.trim().parse().ok()?;
            let address = rest.trim().split(':').next()?.trim().to_owned();
            (percent > 0.0).then_some((address, percent))
        })
        .collect()
}

#[test]
fn instruction_shares_are_perf_annotates() {
    let dir = tempfile::tempdir().unwrap();
    let data = record_hot(dir.path());
    let json: Value = serde_json::from_str(&stdout_of(&[
        "annotate", &data, "checksum", "--asm", "--format", "json",
    ]))
    .unwrap();
    // The whole annotation comes with the instructions: lines and weights too.
    assert!(json["total_weight"].as_f64().unwrap() > 0.0, "{json}");
    assert!(!json["lines"].as_array().unwrap().is_empty(), "{json}");
    let symbol = json["function"].as_str().unwrap();
    let ours: HashMap<String, f64> = json["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["address"].as_str().unwrap().to_owned(),
                i["self_percent"].as_f64().unwrap(),
            )
        })
        .collect();
    let mut theirs = perf_annotate(&data, symbol);
    assert!(
        !theirs.is_empty(),
        "perf annotate gave no rows for {symbol}"
    );
    theirs.sort_by(|a, b| b.1.total_cmp(&a.1));
    for (address, percent) in theirs.iter().take(10) {
        let mine = ours.get(address).copied().unwrap_or(0.0);
        assert!(
            (mine - percent).abs() <= 1.0,
            "{address}: {mine} vs perf's {percent}"
        );
    }
    // Each instruction's source line: summed per line, the instructions' shares are
    // perf script's srcline shares.
    let mut per_line: HashMap<String, f64> = HashMap::new();
    for i in json["instructions"].as_array().unwrap() {
        let line = i["line"].as_str().unwrap_or("");
        let short = line.rsplit('/').next().unwrap().to_owned();
        *per_line.entry(short).or_default() += i["self_percent"].as_f64().unwrap();
    }
    for (line, percent) in perf_srclines(&data, "checksum") {
        let mine = per_line.get(&line).copied().unwrap_or(0.0);
        assert!(
            (mine - percent).abs() <= 1.0,
            "{line}: {mine} vs perf's {percent}"
        );
    }
    let text = stdout_of(&["annotate", &data, "checksum", "--asm"]);
    assert!(text.contains(" Percent |  Disassembly of "), "{text}");
    assert!(text.contains("hot.c:17  sum = (sum ^ data[i])"), "{text}");
    assert!(text.contains("imul"), "{text}");
}

/// A samply (Firefox) profile keeps addresses relative to each library's image base, not file
/// offsets: its instructions and their shares are those of the perf.data it was imported from.
#[test]
fn a_samply_profiles_instructions_are_its_perf_datas() {
    let case = common::laid_out("fixtures/inline_generics");
    let function = "inline_generics::run_accum::<inline_generics::SumAcc>";
    let shares = |input: &str| -> Vec<(String, f64)> {
        let path = case.join(input);
        let json: Value = serde_json::from_str(&stdout_of(&[
            "annotate",
            path.to_str().unwrap(),
            function,
            "--asm",
            "--symbol-path",
            case.to_str().unwrap(),
            "--format",
            "json",
        ]))
        .unwrap();
        assert_eq!(json["function"], function, "{json}");
        json["instructions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let text = i["text"].as_str().unwrap().to_owned();
                (text, i["self_percent"].as_f64().unwrap())
            })
            .collect()
    };
    let from_samply = shares("fp.samply.json.gz");
    assert_eq!(from_samply, shares("fp.perf.data"));
    let hottest = from_samply.iter().map(|(_, s)| *s).fold(0.0, f64::max);
    assert!(hottest > 20.0, "{from_samply:?}");
}

/// A Go pprof profile carries lines, not addresses: its per-line shares are
/// `go tool pprof -list`'s (kept in testdata/pprof/go-cpu.list-Atoi.txt, made with go 1.19).
#[test]
fn a_go_profiles_lines_are_go_tool_pprofs() {
    let oracle =
        std::fs::read_to_string(common::root().join("testdata/pprof/go-cpu.list-Atoi.txt"))
            .unwrap();
    // "      30ms       30ms    231:func Atoi(...": flat time per line.
    let mut theirs: HashMap<u32, f64> = HashMap::new();
    let mut flat_total = 0.0;
    for l in oracle.lines() {
        let fields: Vec<&str> = l.split_whitespace().collect();
        let (Some(flat), Some(line)) = (fields.first(), fields.get(2)) else {
            continue;
        };
        // The text follows the colon without a space on some lines ("231:func Atoi").
        let (Some(ms), Some((line, _))) = (flat.strip_suffix("ms"), line.split_once(':')) else {
            continue;
        };
        let (Ok(ms), Ok(line)) = (ms.parse::<f64>(), line.parse::<u32>()) else {
            continue;
        };
        theirs.insert(line, ms);
        flat_total += ms;
    }
    assert!(flat_total > 0.0, "{oracle}");
    let profile = common::root().join("testdata/pprof/go-cpu.pb.gz");
    let json: Value = serde_json::from_str(&stdout_of(&[
        "annotate",
        profile.to_str().unwrap(),
        "strconv.Atoi",
        "--format",
        "json",
    ]))
    .unwrap();
    let ours: HashMap<u32, f64> = json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["self_percent"].as_f64().unwrap() > 0.0)
        .map(|l| {
            (
                l["line"].as_u64().unwrap() as u32,
                l["self_percent"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ours.keys().collect::<std::collections::BTreeSet<_>>(),
        theirs.keys().collect(),
        "{json}"
    );
    for (line, ms) in theirs {
        let expected = 100.0 * ms / flat_total;
        assert!(
            (ours[&line] - expected).abs() < 0.5,
            "line {line}: {} vs {expected}",
            ours[&line]
        );
    }
}

/// A program file that is not here is a note, not a failed command: `--asm` then shows the
/// lines (here a Go profile recorded on another machine, its program gone).
#[test]
fn a_missing_program_is_a_note_and_the_lines_are_shown() {
    let profile = common::root().join("testdata/pprof/go-cpu.pb.gz");
    let profile = profile.to_str().unwrap();
    let text = stdout_of(&["annotate", profile, "strconv.Atoi", "--asm"]);
    assert!(
        text.contains("# instructions not shown: ") && text.contains("goprog: not found"),
        "{text}"
    );
    assert!(text.contains("atoi.go:252"), "{text}");
    let json: Value = serde_json::from_str(&stdout_of(&[
        "annotate",
        profile,
        "strconv.Atoi",
        "--asm",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["instructions"], serde_json::json!([]), "{json}");
    assert!(
        json["note"].as_str().unwrap().contains("not found"),
        "{json}"
    );
    assert!(!json["lines"].as_array().unwrap().is_empty(), "{json}");
}
