//! A custom report on a heap profile: the stacks that leave the most memory live at exit,
//! each with its allocation site and the callers above it.
//!
//! ```sh
//! heaptrack ./myprog                     # or valgrind --tool=dhat, or the dhat crate
//! cargo run --example leaks -- heaptrack.myprog.1234.zst
//! cargo run --example leaks -- testdata/heap/heap.heaptrack.zst
//! ```

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use profview::model::{format_bytes, StackId};
use profview::Profile;

/// Stacks listed, and callers shown under each.
const STACKS: usize = 5;
const CALLERS: usize = 4;

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: leaks HEAP_PROFILE (heaptrack, DHAT or dhat-rs JSON)");
        return ExitCode::from(2);
    };
    match report(&path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("leaks: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(path: &std::path::Path) -> Result<(), profview::Error> {
    let profile = profview::open(path)?;
    // The same weight names in every heap format that has the quantity.
    let kind = profview::weight_kind(&profile, Some("leaked"))?;
    let total = profile.total_weight(kind);
    println!("{} still live at exit", format_bytes(total));
    if total == 0.0 {
        return Ok(());
    }
    for (stack, bytes) in heaviest_stacks(&profile, kind).into_iter().take(STACKS) {
        println!(
            "\n{:>10}  {:5.1}%",
            format_bytes(bytes),
            100.0 * bytes / total
        );
        // Innermost first: the allocation site, then who called it.
        for frame in profile.stack_frames(stack).take(CALLERS) {
            println!("            {}", profile.frame_label(frame));
        }
    }
    // The finding says the same in words, and names the program's own site.
    if let Some(leak) = profview::analyze(&profile, kind)
        .findings
        .iter()
        .find(|f| f.kind.name() == "memory_leak")
    {
        println!("\n{}", leak.summary);
    }
    Ok(())
}

/// Every stack's weight of `kind`, heaviest first.
fn heaviest_stacks(profile: &Profile, kind: profview::WeightKindId) -> Vec<(StackId, f64)> {
    let mut per_stack: HashMap<StackId, f64> = HashMap::new();
    for sample in profile.samples().iter().filter(|s| s.kind == kind) {
        *per_stack.entry(sample.stack).or_default() += sample.weight;
    }
    let mut stacks: Vec<_> = per_stack.into_iter().collect();
    stacks.sort_by(|a, b| b.1.total_cmp(&a.1));
    stacks
}
