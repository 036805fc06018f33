//! `cargo profview`: cargo runs this as `cargo-profview profview ARGS`; it runs
//! `profview cargo ARGS` from the same folder (where `cargo install` put both), or from PATH.

use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    if args.first().is_some_and(|a| a == "profview") {
        args.remove(0);
    }
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("profview")))
        .filter(|p| p.is_file());
    let profview = beside.unwrap_or_else(|| "profview".into());
    match Command::new(&profview).arg("cargo").args(args).status() {
        Ok(status) => ExitCode::from(status.code().map_or(1, |c| c.clamp(0, 255) as u8)),
        Err(e) => {
            eprintln!(
                "cargo-profview: cannot run {}: {e} (install profview: cargo install profview)",
                profview.display()
            );
            ExitCode::FAILURE
        }
    }
}
