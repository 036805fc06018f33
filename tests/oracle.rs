//! profview against perf report: the same recording, read as inferno's folded stacks, must give
//! perf report's self and total percentages.

mod common;

use common::{parse_perf_report, stdout_of, FOLDED_CASES};
use serde_json::Value;

/// The foundation's acceptance bound, in percentage points.
const TOLERANCE: f64 = 0.5;

fn report_json(case: &str) -> Value {
    let out = stdout_of(&[
        "report",
        "--format",
        "json",
        &format!("testdata/{case}/fp.folded"),
    ]);
    serde_json::from_str(&out).unwrap()
}

fn function<'a>(report: &'a Value, name: &str) -> Option<&'a Value> {
    report["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
}

#[test]
fn top_function_matches_perf_report_self() {
    for case in FOLDED_CASES {
        let perf =
            parse_perf_report(&common::root().join(format!("testdata/{case}/fp.report-self.txt")));
        let report = report_json(case);
        let ours = &report["functions"][0];
        assert_eq!(
            ours["name"],
            perf[0].symbol.as_str(),
            "{case}: top function"
        );
        let diff = (ours["self_percent"].as_f64().unwrap() - perf[0].percents[0]).abs();
        assert!(
            diff <= TOLERANCE,
            "{case}: {} vs perf {}",
            ours["self_percent"],
            perf[0].percents[0]
        );
    }
}

#[test]
fn top_ten_self_percentages_match_perf_report() {
    for case in FOLDED_CASES {
        let perf =
            parse_perf_report(&common::root().join(format!("testdata/{case}/fp.report-self.txt")));
        let report = report_json(case);
        for row in perf.iter().take(10) {
            let ours = function(&report, &row.symbol)
                .unwrap_or_else(|| panic!("{case}: {} missing", row.symbol));
            let diff = (ours["self_percent"].as_f64().unwrap() - row.percents[0]).abs();
            assert!(
                diff <= TOLERANCE,
                "{case}: {}: {} vs perf {}",
                row.symbol,
                ours["self_percent"],
                row.percents[0]
            );
        }
    }
}

/// perf report names a frame it cannot symbolize by its address (`0000000000000000`);
/// inferno-collapse-perf names it `[unknown]`. Several such addresses are one `[unknown]` row in
/// the folded file, so only perf's first (largest) address row is compared.
fn inferno_name(symbol: &str) -> &str {
    let is_address = !symbol.is_empty() && symbol.chars().all(|c| c.is_ascii_hexdigit());
    if is_address {
        "[unknown]"
    } else {
        symbol
    }
}

#[test]
fn total_percentages_match_perf_report_children() {
    for case in FOLDED_CASES {
        let perf = parse_perf_report(
            &common::root().join(format!("testdata/{case}/fp.report-children.txt")),
        );
        let report = report_json(case);
        let mut seen_unknown = false;
        for row in perf.iter().take(10) {
            let name = inferno_name(&row.symbol);
            if name == "[unknown]" {
                if seen_unknown {
                    continue;
                }
                seen_unknown = true;
            }
            let ours =
                function(&report, name).unwrap_or_else(|| panic!("{case}: {} missing", row.symbol));
            let diff = (ours["total_percent"].as_f64().unwrap() - row.percents[0]).abs();
            assert!(
                diff <= TOLERANCE,
                "{case}: {}: {} vs perf children {}",
                row.symbol,
                ours["total_percent"],
                row.percents[0]
            );
        }
    }
}
