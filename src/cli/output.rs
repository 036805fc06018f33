//! Where command output goes: stdout or a file, with a closed pipe treated as success.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;

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
