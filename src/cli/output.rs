//! Where command output goes: stdout or a file, with a closed pipe treated as success.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;

/// Warnings about the inputs, printed to stderr once the command's output is written.
static WARNINGS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Keep `line` to print after the output (see [`print_warnings`]).
pub fn warn_later(line: String) {
    WARNINGS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(line);
}

/// Print the kept warnings to stderr: after the output they concern, so that they are the
/// last thing on the terminal and not lost above a long table.
pub fn print_warnings() {
    let lines = std::mem::take(&mut *WARNINGS.lock().unwrap_or_else(|e| e.into_inner()));
    // Not eprintln!: it panics when stderr is a closed pipe (`profview ... 2>&1 | head`).
    let mut stderr = io::stderr().lock();
    for line in lines {
        let _ = writeln!(stderr, "{line}");
    }
}

/// A buffered writer to stdout, or to `path` when given.
pub fn open_output(path: Option<&Path>) -> anyhow::Result<Box<dyn Write>> {
    Ok(match path {
        Some(p) if p != Path::new("-") => {
            let file =
                File::create(p).with_context(|| format!("{}: cannot create", p.display()))?;
            Box::new(BufWriter::new(file))
        }
        _ => Box::new(BufWriter::new(io::stdout().lock())),
    })
}

/// True if `err` (or an error it wraps) is a closed pipe: `profview report x | head` is fine.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        let io_kind = cause.downcast_ref::<io::Error>().map(io::Error::kind);
        let json_kind = || {
            cause
                .downcast_ref::<serde_json::Error>()
                .and_then(serde_json::Error::io_error_kind)
        };
        io_kind.or_else(json_kind) == Some(io::ErrorKind::BrokenPipe)
    })
}
