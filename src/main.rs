//! The `profview` binary. Everything lives in the `cli` module; this file only runs it.

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
