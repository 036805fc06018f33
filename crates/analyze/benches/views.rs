//! How long the TUI waits when a view changes: recomputing views on a profile of 2M samples and
//! 250k distinct stacks (synthetic, shaped like a real one: deep, shared prefixes, skewed
//! weights).
//!
//! `cargo bench -p profview-analyze --bench views` prints the median of 5 runs per operation.

use std::time::{Duration, Instant};

use profview_analyze::{Explorer, Grouping, SortBy, Transform};
use profview_model::{Profile, WeightKindId};

const STACKS: usize = 250_000;
const SAMPLES: usize = 2_000_000;
const FUNCTIONS: usize = 20_000;

fn synthetic_profile() -> (Profile, WeightKindId) {
    profview_testkit::synthetic::synthetic_profile(STACKS, SAMPLES, FUNCTIONS)
}

fn median<T>(label: &str, mut run: impl FnMut() -> T) -> T {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let start = Instant::now();
        last = Some(run());
        times.push(start.elapsed());
    }
    times.sort();
    let m: Duration = times[times.len() / 2];
    println!("{label:<48} {:>9.1} ms", m.as_secs_f64() * 1000.0);
    last.expect("ran")
}

fn main() {
    let start = Instant::now();
    let (profile, kind) = synthetic_profile();
    println!(
        "synthetic profile: {} samples, {} stack nodes, {} distinct sampled stacks, built in {:.1} s",
        profile.samples().len(),
        profile.stacks().len(),
        STACKS,
        start.elapsed().as_secs_f64()
    );
    let explorer = median("Explorer::new (groups + paths, once per file)", || {
        Explorer::new(&profile, Grouping::Function)
    });
    let hot = {
        let v = explorer.view(&[kind], &[]);
        let top = v.functions(&profile, SortBy::SelfWeight);
        top.functions[3].name.clone()
    };
    let view = median("view, no transform", || explorer.view(&[kind], &[]));
    median("view, focus + merge + drop", || {
        explorer.view(
            &[kind],
            &[
                Transform::FocusFunction("crate::module0::function0".into()),
                Transform::MergeFunction(hot.clone()),
                Transform::DropFunction("crate::module5::function5".into()),
            ],
        )
    });
    median("view, collapse crate + recursion", || {
        explorer.view(
            &[kind],
            &[
                Transform::CollapseCrate("std".into()),
                Transform::CollapseRecursion(hot.clone()),
            ],
        )
    });
    median("view, thread + time filter", || {
        explorer.view(
            &[kind],
            &[
                Transform::Threads(vec![profview_model::ThreadId::from_index(2)]),
                Transform::TimeRange {
                    start: 0,
                    end: SAMPLES as u64 * 500,
                },
            ],
        )
    });
    median("bottom-up tree: roots, then the hottest 3 levels", || {
        let mut up = view.bottom_up();
        let mut node = profview_analyze::BottomUp::ROOT;
        for _ in 0..4 {
            match up.children(node).first() {
                Some(&child) => node = child,
                None => break,
            }
        }
        up.total_weight(node)
    });
    median("top functions from the view", || {
        view.functions(&profile, SortBy::SelfWeight)
    });
    median("caller / callee of one function", || {
        view.caller_callee(&hot)
    });
    median("Explorer::new, grouped by line", || {
        Explorer::new(&profile, Grouping::FunctionAndLine)
    });
}
