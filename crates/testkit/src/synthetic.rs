//! Profiles built in code, for tests and benchmarks (of the analyses and of the terminal
//! browser): small ones from lists of stacks, and large ones shaped like real profiles (deep,
//! shared prefixes, skewed weights), deterministic, of any size.

use profview_model::{FrameKind, Profile, Sample, StackId, ThreadId, WeightKindId, WeightUnit};

/// A profile of one thread and one weight kind in `unit`: one sample per `(stack, weight)`,
/// each stack root first, every frame a user function of that name.
pub fn profile_of(unit: WeightUnit, stacks: &[(&[&str], f64)]) -> (Profile, WeightKindId) {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", unit);
    let thread = p.add_thread(None, None, None);
    for (names, weight) in stacks {
        add_stack(&mut p, thread, kind, names, *weight);
    }
    (p, kind)
}

/// Add one sample of `weight` on `thread` whose stack is `names` (root first, user functions).
pub fn add_stack(
    p: &mut Profile,
    thread: ThreadId,
    kind: WeightKindId,
    names: &[&str],
    weight: f64,
) {
    let frames: Vec<_> = names
        .iter()
        .map(|n| p.resolved_frame(n, None, FrameKind::User))
        .collect();
    let stack = p.intern_stack_path(&frames);
    p.add_sample(Sample {
        thread,
        time: None,
        stack,
        kind,
        weight,
    });
}

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

/// A profile of `samples` samples over `stacks` distinct sampled stacks and `functions`
/// functions, on 8 threads, 1 µs apart.
pub fn synthetic_profile(
    stacks: usize,
    samples: usize,
    functions: usize,
) -> (Profile, WeightKindId) {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("cpu-clock", WeightUnit::Nanoseconds);
    let threads: Vec<_> = (0..8).map(|t| p.add_thread(None, Some(t), None)).collect();
    let frames: Vec<_> = (0..functions)
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
    let mut leaves: Vec<StackId> = Vec::with_capacity(stacks);
    let root = p.intern_stack_path(&[frames[0], frames[1]]);
    leaves.push(root);
    while leaves.len() < stacks {
        let mut stack = leaves[rng.below(leaves.len())];
        for _ in 0..1 + rng.below(8) {
            // Low function numbers are common (runtime, std), high ones rare (user code).
            let f = (rng.below(functions) * rng.below(functions)) / functions;
            stack = p.intern_stack(Some(stack), frames[f]);
        }
        leaves.push(stack);
    }
    for i in 0..samples {
        // Skewed: a few stacks take most samples.
        let r = rng.below(1 << 20) as f64 / f64::from(1 << 20);
        let stack = leaves[((r * r * r) * stacks as f64) as usize];
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
