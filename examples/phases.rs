//! The library's timeline and annotation: the phases of a run, then the hottest lines of the
//! function on top of each phase.
//!
//! ```sh
//! cargo run --example phases -- perf.data
//! ```

use std::process::ExitCode;

use profview::analyze::{annotate, Timeline};

fn main() -> ExitCode {
    let Some(path) = std::env::args_os().nth(1) else {
        eprintln!("usage: phases PROFILE (with sample times: perf.data, Firefox/samply JSON)");
        return ExitCode::from(2);
    };
    match report(std::path::Path::new(&path)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phases: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(path: &std::path::Path) -> Result<(), Box<dyn std::error::Error>> {
    // The default options keep every sample's time, which a timeline needs.
    let profile = profview::open(path)?;
    let kind = profview::weight_kind(&profile, None)?;
    let Some(timeline) = Timeline::new(&profile, kind, 60) else {
        return Err("the samples have no times".into());
    };
    println!(
        "{:.2} s, {} threads",
        timeline.duration_s,
        timeline.threads.len()
    );
    for phase in &timeline.phases {
        println!(
            "\n{:.2}-{:.2} s: {} ({:.0}% of the phase)",
            phase.start_s,
            phase.end_s,
            phase.top_function,
            100.0 * phase.share
        );
        let lines = annotate(&profile, kind, &phase.top_function)?;
        for line in lines.lines.iter().filter(|l| l.self_percent > 0.0).take(3) {
            println!("  {:5.1}%  {}:{}", line.self_percent, line.file, line.line);
        }
    }
    Ok(())
}
