//! Golden-file tests of `report` (text, JSON, --children) and `collapse` on every folded
//! fixture. Regenerate with `PROFVIEW_BLESS=1 cargo test --test golden` and review the diff.

mod common;

use common::{assert_golden, stdout_of, FOLDED_CASES};

fn fixture(case: &str) -> String {
    format!("testdata/{case}/fp.folded")
}

#[test]
fn report_text() {
    for case in FOLDED_CASES {
        let out = stdout_of(&["report", &fixture(case)]);
        assert_golden(&format!("{case}.report.txt"), &out);
    }
}

#[test]
fn report_children_text() {
    for case in FOLDED_CASES {
        let out = stdout_of(&["report", "--children", "--top", "15", &fixture(case)]);
        assert_golden(&format!("{case}.report-children.txt"), &out);
    }
}

#[test]
fn report_json() {
    for case in FOLDED_CASES {
        let out = stdout_of(&["report", "--format", "json", &fixture(case)]);
        assert_golden(&format!("{case}.report.json"), &out);
    }
}

#[test]
fn collapse() {
    for case in FOLDED_CASES {
        let out = stdout_of(&["collapse", &fixture(case)]);
        assert_golden(&format!("{case}.collapse.folded"), &out);
    }
}
