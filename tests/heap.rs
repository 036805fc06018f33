//! Heap profiles (testdata/heap, made by its record.sh): DHAT read with every total as a
//! weight, checked against the file's own program points summed as dh_view sums them; massif's
//! peak snapshot against its heap tree as ms_print shows it; heaptrack's totals and sites
//! against heaptrack_print's, and the file cut short as a killed program leaves it.

mod common;

use std::collections::HashMap;

use common::{profview, stdout_of};
use serde_json::Value;

const DHAT: &str = "testdata/heap/heap.dhat.json";
/// The same program in Rust, profiled by the `dhat` crate.
const DHAT_RS: &str = "testdata/heap/rust.dhat-heap.json";

/// The file's totals per DHAT field, summed over its program points.
fn dhat_sums(path: &str) -> HashMap<&'static str, f64> {
    let text = std::fs::read_to_string(common::root().join(path)).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let pps = file["pps"].as_array().unwrap();
    ["tb", "tbk", "gb", "eb"]
        .into_iter()
        .map(|field| {
            let sum = pps.iter().map(|pp| pp[field].as_f64().unwrap()).sum();
            (field, sum)
        })
        .collect()
}

fn report_of(path: &str, event: &str) -> Value {
    let out = stdout_of(&["report", path, "--event", event, "--format", "json"]);
    serde_json::from_str(&out).unwrap()
}

fn report(event: &str) -> Value {
    report_of(DHAT, event)
}

#[test]
fn dhat_totals_equal_the_sums_of_its_program_points() {
    for path in [DHAT, DHAT_RS] {
        let sums = dhat_sums(path);
        for (event, field, unit) in [
            ("peak", "gb", "bytes"),
            ("leaked", "eb", "bytes"),
            ("allocated-bytes", "tb", "bytes"),
            ("allocations", "tbk", "count"),
        ] {
            let r = report_of(path, event);
            assert_eq!(
                r["total_weight"].as_f64(),
                Some(sums[field]),
                "{path} {event}"
            );
            assert_eq!(r["weight_unit"], unit, "{event}");
            assert_eq!(r["format"], "DHAT heap profile");
        }
    }
}

#[test]
fn dhat_rs_sites_are_the_callers_of_its_allocator() {
    // dhat-rs's own `alloc` frame is not a site; the leak is leak_config's.
    let leaked = report_of(DHAT_RS, "leaked");
    assert_eq!(leaked["functions"][0]["name"], "leak_config", "{leaked}");
    let out = stdout_of(&["collapse", DHAT_RS, "--event", "leaked"]);
    assert!(!out.contains(";alloc "), "{out}");
    // Its times are in µs and its threshold 10: format!'s strings live ~0.1 µs.
    let short = report_of(DHAT_RS, "short-lived");
    assert_eq!(short["total_weight"].as_f64(), Some(20000.0), "{short}");
    // Inlined frames (the same address as their caller) are marked as inlined.
    let folded = stdout_of(&["collapse", DHAT_RS, "--event", "allocations"]);
    assert!(
        folded.contains(";leak_config;from_elem<u8>_[i];"),
        "{folded}"
    );
}

#[test]
fn each_weight_ranks_the_site_that_shows_it_first() {
    // heap.c: grow_cache holds the peak, leak_config leaks, format_line churns.
    for (event, site) in [
        ("peak", "grow_cache"),
        ("leaked", "leak_config"),
        ("allocations", "format_line"),
    ] {
        let r = report(event);
        assert_eq!(r["functions"][0]["name"], site, "{event}: {r}");
    }
    // The default weight is the peak.
    let out = stdout_of(&["report", DHAT]);
    assert!(
        out.contains("# Allocation sites: 3 with weight 'peak'"),
        "{out}"
    );
    assert!(out.contains("(bytes, 4.1 MiB)"), "{out}");
    // The allocator's own frame is not a site.
    assert!(!out.contains("malloc"), "{out}");
    // format_line's blocks live ~800 instructions on average, over DHAT's threshold of 500:
    // nothing is short-lived, and an empty table is not the answer.
    let out = profview()
        .args(["report", DHAT, "--event", "short-lived"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing in the profile has weight of event \"short-lived\""),
        "{err}"
    );
}

#[test]
fn dhat_stacks_collapse_into_weighted_folded_lines() {
    let out = stdout_of(&["collapse", DHAT, "--event", "allocations"]);
    assert!(out.contains("heap;main;format_line 20000\n"), "{out}");
    assert!(out.contains("heap;main;leak_config 100\n"), "{out}");
}

#[test]
fn time_findings_are_not_made_on_memory_weights() {
    let out = stdout_of(&["analyze", DHAT, "--event", "allocations"]);
    assert!(!out.contains("of the time"), "{out}");
    assert!(!out.contains("samples have"), "{out}");
    assert!(!out.contains("shares are accurate"), "{out}");
}

const MASSIF: &str = "testdata/heap/heap.massif.gz";

/// The peak snapshot's allocation sites (the heap tree's depth-1 nodes) and its total, read
/// from the massif file as ms_print reads it.
fn massif_peak_sites() -> (f64, HashMap<String, f64>) {
    use std::io::Read;
    let mut text = String::new();
    let file = std::fs::File::open(common::root().join(MASSIF)).unwrap();
    flate2::read::GzDecoder::new(file)
        .read_to_string(&mut text)
        .unwrap();
    let tree = text
        .split("heap_tree=peak\n")
        .nth(1)
        .expect("a peak snapshot");
    let mut lines = tree.lines();
    let root = lines.next().unwrap();
    let total: f64 = root.split_whitespace().nth(1).unwrap().parse().unwrap();
    let mut sites = HashMap::new();
    for line in lines.take_while(|l| l.starts_with(' ')) {
        if line.starts_with("  ") || line.contains("below massif's threshold") {
            continue;
        }
        // ` n1: 4194304 0x10923F: grow_cache (heap.c:28)`
        let mut words = line.split_whitespace();
        let bytes: f64 = words.nth(1).unwrap().parse().unwrap();
        let name = words.nth(1).unwrap().to_owned();
        *sites.entry(name).or_default() += bytes;
    }
    (total, sites)
}

#[test]
fn massif_peak_sites_are_ms_prints() {
    let (total, sites) = massif_peak_sites();
    let r = report_of(MASSIF, "peak");
    assert_eq!(r["format"], "massif heap profile");
    assert_eq!(r["total_weight"].as_f64(), Some(total));
    let ours = common::self_percents(&r);
    for (site, bytes) in &sites {
        let percent = 100.0 * bytes / total;
        let got = ours.get(site.as_str()).copied().unwrap_or(0.0);
        assert!((got - percent).abs() < 0.01, "{site}: {got} vs {percent}");
    }
    assert_eq!(r["functions"][0]["name"], "grow_cache");
}

const HEAPTRACK: &str = "testdata/heap/heap.heaptrack.zst";
/// The Rust program under heaptrack, which leaves its names mangled.
const RUST_HEAPTRACK: &str = "testdata/heap/rust.heaptrack.zst";

/// heaptrack_print's summary value after `label: ` (`4.37M` is kept as text).
fn heaptrack_summary(label: &str) -> String {
    heaptrack_summary_of("testdata/heap/heap.heaptrack.print.txt", label)
}

/// The words after `label: ` in a saved heaptrack_print output.
fn heaptrack_summary_of(print: &str, label: &str) -> String {
    let text = std::fs::read_to_string(common::root().join(print)).unwrap();
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("{label} in heaptrack_print's output"));
    line.split_whitespace().next().unwrap().to_owned()
}

/// A size as heaptrack_print writes it: 1000-based, two decimals, `B` below a thousand.
fn heaptrack_size(bytes: f64) -> String {
    let units = ["B", "K", "M", "G"];
    let mut value = bytes;
    let mut i = 0;
    while value >= 1000.0 && i + 1 < units.len() {
        value /= 1000.0;
        i += 1;
    }
    if i == 0 {
        format!("{value}B")
    } else {
        format!("{value:.2}{}", units[i])
    }
}

#[test]
fn heaptrack_totals_are_heaptrack_prints() {
    let total = |event: &str| {
        report_of(HEAPTRACK, event)["total_weight"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(
        total("allocations").to_string(),
        heaptrack_summary("calls to allocation functions")
    );
    assert_eq!(
        total("temporary").to_string(),
        heaptrack_summary("temporary memory allocations")
    );
    assert_eq!(
        heaptrack_size(total("peak")),
        heaptrack_summary("peak heap memory consumption")
    );
    assert_eq!(
        heaptrack_size(total("leaked")),
        heaptrack_summary("total memory leaked")
    );
    assert_eq!(
        report_of(HEAPTRACK, "peak")["format"],
        "heaptrack heap profile"
    );
}

/// heaptrack_print's `-F` folded stacks of one cost type, by allocation site (the last
/// frame, `grow_cache (heap.c)` read as `grow_cache`), leaving out unnamed sites.
fn heaptrack_sites(cost: &str) -> HashMap<String, f64> {
    let path = format!("testdata/heap/heap.heaptrack.{cost}.folded");
    let text = std::fs::read_to_string(common::root().join(path)).unwrap();
    let mut sites = HashMap::new();
    for line in text.lines() {
        let (stack, weight) = line.rsplit_once(' ').unwrap();
        let leaf = stack.trim_end_matches(';').rsplit(';').next().unwrap();
        let name = leaf.split(" (").next().unwrap();
        if !name.starts_with("0x") {
            *sites.entry(name.to_owned()).or_default() += weight.parse::<f64>().unwrap();
        }
    }
    sites
}

#[test]
fn heaptrack_sites_are_heaptrack_prints_for_every_cost() {
    for cost in ["allocations", "temporary", "leaked", "peak"] {
        let ours = report_of(HEAPTRACK, cost);
        let ours: HashMap<String, f64> = ours["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_owned(),
                    f["self_weight"].as_f64().unwrap(),
                )
            })
            .collect();
        for (site, weight) in heaptrack_sites(cost) {
            let got = ours.get(&site).copied().unwrap_or(0.0);
            assert_eq!(got, weight, "{cost}: {site}");
        }
    }
}

/// (kind, summary) of each finding of `analyze PATH --format json`.
fn findings(path: &str) -> Vec<(String, String)> {
    let out = stdout_of(&["analyze", path, "--format", "json"]);
    let doc: Value = serde_json::from_str(&out).unwrap();
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["summary"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn memory_findings_name_the_program_site_of_each_pattern() {
    // heap.c (and rust/main.rs): format_line churns, grow_cache holds the peak, leak_config
    // leaks. heaptrack and dhat-rs see the churn (C's DHAT file has none under its 500
    // instruction threshold), every format the peak and the leak.
    let expected: [(&str, &[(&str, &str)]); 5] = [
        (
            RUST_HEAPTRACK,
            &[
                ("temporary_allocations", "format_line makes"),
                ("peak_dominated", "grow_cache holds"),
                ("memory_leak", "leak_config leaves"),
            ],
        ),
        (
            HEAPTRACK,
            &[
                ("temporary_allocations", "format_line makes"),
                ("peak_dominated", "grow_cache holds"),
                ("memory_leak", "leak_config leaves"),
            ],
        ),
        (
            DHAT_RS,
            &[
                ("temporary_allocations", "format_line makes"),
                ("peak_dominated", "grow_cache holds"),
                ("memory_leak", "leak_config leaves"),
            ],
        ),
        (
            DHAT,
            &[
                ("peak_dominated", "grow_cache holds"),
                ("memory_leak", "leak_config leaves"),
            ],
        ),
        (MASSIF, &[("peak_dominated", "grow_cache holds")]),
    ];
    for (path, wanted) in expected {
        let found = findings(path);
        let kinds: Vec<&str> = found.iter().map(|(k, _)| k.as_str()).collect();
        let wanted_kinds: Vec<&str> = wanted.iter().map(|(k, _)| *k).collect();
        assert_eq!(kinds, wanted_kinds, "{path}: {found:?}");
        for ((_, summary), (kind, words)) in found.iter().zip(wanted) {
            assert!(summary.contains(words), "{path} {kind}: {summary}");
        }
    }
}

#[test]
fn heap_diffs_are_exact_and_gate_on_a_site() {
    const LESS: &str = "testdata/heap/heap-less-churn.heaptrack.zst";
    let out = profview()
        .args(["diff", HEAPTRACK, LESS, "--event", "allocations"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("no noise bands, every difference is real"),
        "{text}"
    );
    let row = |name: &str| {
        text.lines()
            .find(|l| l.ends_with(&format!(" {name}")))
            .unwrap_or_else(|| panic!("{name} in {text}"))
            .to_owned()
    };
    // heap.c calls format_line 20,000 times, the other build 5,000: the counts themselves.
    let words =
        |name: &str| -> Vec<String> { row(name).split_whitespace().map(str::to_owned).collect() };
    assert_eq!(
        words("format_line"),
        [
            "20,000",
            "5,000",
            "-15,000",
            "-75.0%",
            "improved",
            "format_line"
        ],
        "{text}"
    );
    assert_eq!(
        words("leak_config"),
        ["100", "100", "0", "+0.0%", "unchanged", "leak_config"],
        "{text}"
    );
    assert!(
        text.contains("Improved: format_line (-15,000, -75%)"),
        "{text}"
    );
    // The reversed pair is a regression of format_line: the gate fails.
    let out = profview()
        .args([
            "diff",
            LESS,
            HEAPTRACK,
            "--event",
            "allocations",
            "--fail-on-regression",
            "1",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("format_line") && err.contains("(+15,000 allocations)"),
        "{err}"
    );
}

#[test]
fn a_growing_heap_is_memory_growth_and_a_sawtooth_is_not() {
    let growth = findings("testdata/heap/growth.heaptrack.zst");
    assert_eq!(growth[0].0, "memory_growth", "{growth:?}");
    assert!(
        growth[0].1.contains("grow_forever holds most of the peak"),
        "{growth:?}"
    );
    let sawtooth = findings("testdata/heap/sawtooth.heaptrack.zst");
    assert!(
        sawtooth.iter().all(|(kind, _)| kind != "memory_growth"),
        "{sawtooth:?}"
    );
    assert_eq!(sawtooth[0].0, "peak_dominated", "{sawtooth:?}");
}

#[test]
fn growth_is_told_linear_or_accelerating_and_a_plateau_is_no_growth() {
    let linear = findings("testdata/heap/growth.heaptrack.zst");
    assert!(linear[0].1.contains("grows linearly, about"), "{linear:?}");
    // 64 KiB a millisecond: 62.5 MiB a second less the pauses' overshoot.
    let rate: f64 = linear[0]
        .1
        .split("about ")
        .nth(1)
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!((30.0..=62.5).contains(&rate), "{linear:?}");
    let accelerating = findings("testdata/heap/accelerate.heaptrack.zst");
    assert_eq!(accelerating[0].0, "memory_growth", "{accelerating:?}");
    assert!(
        accelerating[0].1.contains("grows faster and faster")
            && accelerating[0]
                .1
                .contains("keep_snapshots holds most of the peak"),
        "{accelerating:?}"
    );
    let plateau = findings("testdata/heap/plateau.heaptrack.zst");
    assert!(
        plateau.iter().all(|(kind, _)| kind != "memory_growth"),
        "{plateau:?}"
    );
    assert!(plateau[0].1.contains("fill_table"), "{plateau:?}");
}

#[test]
fn a_million_allocations_a_second_is_excessive_allocation_at_heaptracks_rate() {
    const CHURN: &str = "testdata/heap/churn.heaptrack.zst";
    const PRINT: &str = "testdata/heap/churn.heaptrack.print.txt";
    let found = findings(CHURN);
    let (_, summary) = found
        .iter()
        .find(|(kind, _)| kind == "excessive_allocation")
        .unwrap_or_else(|| panic!("{found:?}"));
    let number = |text: &str| text.replace(',', "").parse::<f64>().unwrap();
    let calls = summary.split(' ').next().unwrap();
    let label = "calls to allocation functions";
    assert_eq!(number(calls), number(&heaptrack_summary_of(PRINT, label)));
    // heaptrack_print divides by its own run time, `(1039863/s)`; ours is the last timestamp's.
    let ours = number(
        summary
            .split(", ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap(),
    );
    let text = std::fs::read_to_string(common::root().join(PRINT)).unwrap();
    let theirs = text
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .and_then(|l| l.split('(').nth(1))
        .map(|r| number(r.trim_end_matches("/s)")))
        .unwrap();
    assert!((ours / theirs - 1.0).abs() < 0.02, "{ours} vs {theirs}");
    assert!(summary.contains("site makes 100.0% of them"), "{summary}");
    // A tenth of that rate is no finding.
    let heap = findings(HEAPTRACK);
    assert!(
        heap.iter().all(|(k, _)| k != "excessive_allocation"),
        "{heap:?}"
    );
}

#[test]
fn the_report_draws_the_heap_over_time() {
    let out = stdout_of(&["report", "testdata/heap/growth.heaptrack.zst"]);
    let chart = out
        .lines()
        .find_map(|l| l.strip_prefix("# Heap over time: "))
        .expect("a heap chart");
    // A heap that only grows: the chart starts low and ends at the top.
    assert!(
        chart.starts_with('▁') && chart.contains("█ peak"),
        "{chart}"
    );
    assert!(chart.ends_with(" ms"), "{chart}");
    let json = report_of("testdata/heap/growth.heaptrack.zst", "peak");
    assert_eq!(json["heap_timeline"]["time_unit"], "ms");
    assert!(json["heap_timeline"]["points"].as_array().unwrap().len() >= 8);
}

/// The heaptrack recording unpacked, as heaptrack writes it before compressing.
fn heaptrack_text() -> Vec<u8> {
    let packed = std::fs::read(common::root().join(HEAPTRACK)).unwrap();
    profview::parse::gunzip_if_needed(HEAPTRACK, packed).unwrap()
}

#[test]
fn a_heaptrack_file_cut_anywhere_gives_what_was_recorded_before_the_cut() {
    let text = heaptrack_text();
    let first_event = text.windows(3).position(|w| w == b"\n+ ").unwrap();
    let mut last = 0.0;
    for i in 0..=60 {
        let cut = first_event + 1 + (text.len() - first_event - 1) * i / 60;
        let options = profview::parse::ReadOptions::default();
        let parsed = profview::parse::read_bytes("cut", text[..cut].to_vec(), &options);
        let Ok(profview::parse::Parsed::Single(p)) = parsed else {
            panic!("cut at {cut}: {parsed:?}");
        };
        let calls = p.total_weight(p.find_weight_kind("allocations").unwrap());
        let whole = &text[..text[..cut].iter().rposition(|&b| b == b'\n').unwrap() + 1];
        let expected = whole
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"+ "));
        assert_eq!(calls, expected.count() as f64, "cut at {cut}");
        assert!(
            calls >= last,
            "cut at {cut}: fewer calls than a shorter cut"
        );
        last = calls;
        let cut_in_a_line = text[cut - 1] != b'\n';
        let truncated = p
            .meta
            .warnings
            .count(profview::model::WarningKind::Truncated);
        assert_eq!(truncated, u64::from(cut_in_a_line), "cut at {cut}");
    }
    assert_eq!(
        last.to_string(),
        heaptrack_summary("calls to allocation functions")
    );
}

#[test]
fn a_cut_heaptrack_file_is_reported_with_a_warning() {
    let text = heaptrack_text();
    let cut = text.len() / 2 + 1;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.heaptrack");
    std::fs::write(&path, &text[..cut]).unwrap();
    let out = profview()
        .args(["report", path.to_str().unwrap()])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("ends in the middle of line"), "{stderr}");
    let raw = dir.path().join("raw.heaptrack");
    std::fs::write(&raw, "v 10400 3\nX ./p\nm 1 /lib/x.so 0 0\n+ 10 7f00 1\n").unwrap();
    let out = profview()
        .args(["report", raw.to_str().unwrap()])
        .assert()
        .failure();
    let stderr = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(stderr.contains("heaptrack -i"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn firefox_conversion_carries_the_heap_as_a_memory_track() {
    const GROWTH: &str = "testdata/heap/growth.heaptrack.zst";
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("growth.json");
    profview()
        .args(["convert", "--to", "firefox", GROWTH, "-o"])
        .arg(&out)
        .assert()
        .success();
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let counter = &written["counters"][0];
    assert_eq!(counter["category"], "Memory");
    assert_eq!(counter["pid"], written["threads"][0]["pid"]);
    // The track's changes add up to the heap at each of heaptrack's timestamps.
    let original = report_of(GROWTH, "peak")["heap_timeline"].clone();
    let read_back = report_of(out.to_str().unwrap(), "bytes")["heap_timeline"].clone();
    assert_eq!(read_back, original);
    let calls: f64 = original["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .sum();
    assert!(calls > 300.0, "{calls}");
}

#[test]
fn heaptrack_on_a_rust_program_gives_its_totals_and_readable_names() {
    const PRINT: &str = "testdata/heap/rust.heaptrack.print.txt";
    let total = |event: &str| {
        report_of(RUST_HEAPTRACK, event)["total_weight"]
            .as_f64()
            .unwrap()
    };
    let summary = |label| heaptrack_summary_of(PRINT, label);
    assert_eq!(
        total("allocations").to_string(),
        summary("calls to allocation functions")
    );
    assert_eq!(
        total("temporary").to_string(),
        summary("temporary memory allocations")
    );
    assert_eq!(
        heaptrack_size(total("peak")),
        summary("peak heap memory consumption")
    );
    assert_eq!(
        heaptrack_size(total("leaked")),
        summary("total memory leaked")
    );
    // heaptrack_print shows `_RNvNtCs…` and `…_$u7b$$u7b$closure$u7d$$u7d$::h…`; none is left.
    let folded = stdout_of(&["collapse", RUST_HEAPTRACK, "--event", "allocations"]);
    for frame in folded
        .lines()
        .flat_map(|l| l.rsplit_once(' ').unwrap().0.split(';'))
    {
        let mangled =
            frame.starts_with("_R") || frame.starts_with("_ZN") || frame.contains("$u7b$");
        assert!(!mangled, "{frame}");
    }
    assert!(
        folded.contains("std::rt::lang_start::{{closure}}"),
        "{folded}"
    );
}
