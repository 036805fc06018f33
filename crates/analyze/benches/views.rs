//! How long the TUI waits when a view changes: recomputing views on a profile of 2M samples and
//! 250k distinct stacks (synthetic, shaped like a real one: deep, shared prefixes, skewed
//! weights).
//!
//! `cargo bench -p profview-analyze --bench views` prints the median of 5 runs per operation.

use std::time::{Duration, Instant};

use profview_analyze::{Explorer, Grouping, SortBy, Transform};
use profview_model::{FrameKind, Profile, Sample, StackId, WeightKindId, WeightUnit};

const STACKS: usize = 250_000;
const SAMPLES: usize = 2_000_000;
const FUNCTIONS: usize = 20_000;

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn synthetic_profile() -> (Profile, WeightKindId) {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
    let threads: Vec<_> = (0..8).map(|t| p.add_thread(None, Some(t), None)).collect();
    let frames: Vec<_> = (0..FUNCTIONS)
        .map(|i| {
            p.resolved_frame(
                &format!("crate::module{}::function{i}", i % 97),
                None,
                FrameKind::User,
            )
        })
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Leaves grow from earlier stacks, so prefixes are shared as in real call trees.
    let mut leaves: Vec<StackId> = Vec::with_capacity(STACKS);
    let root = p.intern_stack_path(&[frames[0], frames[1]]);
    leaves.push(root);
    while leaves.len() < STACKS {
        let mut stack = leaves[rng.below(leaves.len())];
        for _ in 0..1 + rng.below(8) {
            // Low function numbers are common (runtime, std), high ones rare (user code).
            let f = (rng.below(FUNCTIONS) * rng.below(FUNCTIONS)) / FUNCTIONS;
            stack = p.intern_stack(Some(stack), frames[f]);
        }
        leaves.push(stack);
    }
    for i in 0..SAMPLES {
        // Skewed: a few stacks take most samples.
        let r = rng.below(1 << 20) as f64 / f64::from(1 << 20);
        let stack = leaves[((r * r * r) * STACKS as f64) as usize];
        p.add_sample(Sample {
            thread: threads[i % threads.len()],
            time: Some(i as u64 * 1000),
            stack,
            kind,
            weight: 1_000_000.0,
        });
    }
    (p, kind)
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
