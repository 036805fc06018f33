//! A custom report built on the profview library: self time per module, and the hottest
//! functions of each thread.
//!
//! ```sh
//! cargo run --example per_thread -- perf.data [--symbol-path DIR]
//! cargo run --example per_thread -- testdata/hotspot/fp.folded
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use profview::analyze::{Explorer, Grouping, SortBy, Transform};
use profview::model::ThreadId;
use profview::{OpenOptions, Profile, WeightKindId};

fn main() -> ExitCode {
    let mut args = std::env::args_os().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: per_thread PROFILE [--symbol-path DIR]");
        return ExitCode::from(2);
    };
    let mut options = OpenOptions::default();
    while let Some(arg) = args.next() {
        if arg == "--symbol-path" {
            options.symbol_paths.extend(args.next().map(PathBuf::from));
        }
    }
    match report(&path, &options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("per_thread: {e}");
            ExitCode::FAILURE
        }
    }
}

fn report(path: &std::path::Path, options: &OpenOptions) -> Result<(), profview::Error> {
    let profile = profview::open_with(path, options)?;
    let kind = profview::weight_kind(&profile, None)?;
    let explorer = Explorer::new(&profile, Grouping::Function);
    let whole = explorer.view(&[kind], &[]);
    let total = whole.tree().total();

    println!("Self time per module");
    for (module, weight) in self_per_module(&profile, kind, &explorer) {
        println!("  {:>6.2}%  {module}", 100.0 * weight / total);
    }

    println!("\nHottest functions per thread");
    for thread in threads_by_weight(&profile, kind) {
        // A thread filter is one more transform: the same call-tree code serves every view.
        let view = explorer.view(&[kind], &[Transform::Threads(vec![thread])]);
        let top = view.functions(&profile, SortBy::SelfWeight);
        let t = profile.thread(thread);
        let name = t.name.map_or("?", |n| profile.string(n));
        let tid = t.tid.map_or_else(|| "-".to_owned(), |tid| tid.to_string());
        println!(
            "  {name} (tid {tid}): {:.1}% of all samples",
            100.0 * top.total_weight / total
        );
        for f in top.functions.iter().filter(|f| f.self_weight > 0.0).take(3) {
            println!("    {:>6.2}%  {}", 100.0 * f.self_weight / total, f.name);
        }
    }
    Ok(())
}

/// Self weight summed per module file name, heaviest first.
fn self_per_module(
    profile: &Profile,
    kind: WeightKindId,
    explorer: &Explorer<'_>,
) -> Vec<(String, f64)> {
    let top = explorer
        .view(&[kind], &[])
        .functions(profile, SortBy::SelfWeight);
    let mut per_module: BTreeMap<String, f64> = BTreeMap::new();
    for f in &top.functions {
        let module = f.module.clone().unwrap_or_else(|| "[unknown]".to_owned());
        *per_module.entry(module).or_default() += f.self_weight;
    }
    let mut rows: Vec<(String, f64)> = per_module.into_iter().filter(|r| r.1 > 0.0).collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    rows
}

/// Threads that have samples of `kind`, heaviest first.
fn threads_by_weight(profile: &Profile, kind: WeightKindId) -> Vec<ThreadId> {
    let mut weight = vec![0.0; profile.threads().len()];
    for s in profile.samples().iter().filter(|s| s.kind == kind) {
        weight[s.thread.index()] += s.weight;
    }
    let mut threads: Vec<ThreadId> = (0..weight.len())
        .filter(|&t| weight[t] > 0.0)
        .map(ThreadId::from_index)
        .collect();
    threads.sort_by(|a, b| weight[b.index()].total_cmp(&weight[a.index()]));
    threads
}
