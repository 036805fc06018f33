//! Profiles built in code, for the unit tests.

use profview_model::{FrameKind, Profile, Sample, WeightKindId, WeightUnit};

/// A profile of one thread and one weight kind in `unit`: one sample per `(stack, weight)`,
/// each stack root first, every frame a user function of that name.
pub fn profile_of(unit: WeightUnit, stacks: &[(&[&str], f64)]) -> (Profile, WeightKindId) {
    let mut p = Profile::new();
    let kind = p.add_weight_kind("samples", unit);
    let thread = p.add_thread(None, None, None);
    for (names, weight) in stacks {
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
            weight: *weight,
        });
    }
    (p, kind)
}
