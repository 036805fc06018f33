//! Golden-file tests: `report` (text, JSON, --children), `collapse`, `analyze` (text, JSON),
//! `tree`, `callers` of the hottest function and `convert --to firefox`, on every folded
//! fixture, one test per command and fixture so that every difference shows. Regenerate with
//! `PROFVIEW_BLESS=1 cargo test --test golden` and review the diff.

mod common;

use common::{assert_golden, stdout_of, FOLDED_CASES};

fn fixture(case: &str) -> String {
    format!("testdata/{case}/fp.folded")
}

/// `profview ARGS FIXTURE` against `testdata/golden/CASE.NAME`.
fn check(case: &str, name: &str, args: &[&str]) {
    let input = fixture(case);
    let mut all: Vec<&str> = args.to_vec();
    all.push(&input);
    assert_golden(&format!("{case}.{name}"), &stdout_of(&all));
}

/// The function with the most self time in `case`.
fn hottest(case: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_str(&stdout_of(&["report", "--format", "json", &fixture(case)])).unwrap();
    json["functions"][0]["name"].as_str().unwrap().to_owned()
}

macro_rules! golden_cases {
    ($($case:ident),* $(,)?) => {
        $(
            mod $case {
                use super::*;

                const CASE: &str = stringify!($case);

                #[test]
                fn report_text() {
                    check(CASE, "report.txt", &["report"]);
                }

                #[test]
                fn report_children_text() {
                    check(CASE, "report-children.txt", &["report", "--children", "--top", "15"]);
                }

                #[test]
                fn report_json() {
                    check(CASE, "report.json", &["report", "--format", "json"]);
                }

                #[test]
                fn collapse() {
                    check(CASE, "collapse.folded", &["collapse"]);
                }

                #[test]
                fn analyze_text() {
                    check(CASE, "analyze.txt", &["analyze"]);
                }

                #[test]
                fn analyze_json() {
                    check(CASE, "analyze.json", &["analyze", "--format", "json"]);
                }

                #[test]
                fn tree() {
                    check(CASE, "tree.txt", &["tree", "--depth", "8"]);
                }

                #[test]
                fn callers_of_the_hottest() {
                    let function = hottest(CASE);
                    let input = fixture(CASE);
                    let out = stdout_of(&["callers", &input, &function]);
                    assert_golden(&format!("{CASE}.callers.txt"), &out);
                }

                #[test]
                fn convert_to_firefox() {
                    check(CASE, "firefox.json", &["convert", "--to", "firefox"]);
                }
            }
        )*

        #[test]
        fn every_folded_fixture_has_its_goldens() {
            let cases: Vec<&str> = vec![$(stringify!($case)),*];
            assert_eq!(cases, FOLDED_CASES);
        }
    };
}

golden_cases!(
    hotspot,
    distributed,
    alloc,
    contention,
    cpp_templates,
    inline_generics
);
