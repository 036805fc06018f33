//! Progress reports for long loads. Readers never print; they call back, and the front end
//! decides whether and how to show it.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};
use std::sync::Arc;

/// What a long load is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stage {
    /// Reading the input: `done` of `total` bytes.
    Reading,
    /// Naming the addresses (no byte counts).
    Symbolizing,
}

/// A callback for progress: stage, done, total (bytes while reading).
#[derive(Clone)]
pub struct Progress(Arc<dyn Fn(Stage, u64, u64) + Send + Sync>);

impl Progress {
    /// Wrap `report`, which is called from reading threads too.
    pub fn new(report: impl Fn(Stage, u64, u64) + Send + Sync + 'static) -> Self {
        Self(Arc::new(report))
    }

    /// Report `done` of `total` in `stage`.
    pub fn report(&self, stage: Stage, done: u64, total: u64) {
        (self.0)(stage, done, total);
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// Bytes read between two reports: often enough for a smooth bar, rare enough to cost nothing.
const REPORT_EVERY: u64 = 4 << 20;

/// A reader that reports its position in the input as it goes.
pub(crate) struct Tracked<R> {
    inner: R,
    position: u64,
    reported: u64,
    total: u64,
    progress: Option<Progress>,
}

impl<R> Tracked<R> {
    pub(crate) fn new(inner: R, total: u64, progress: Option<Progress>) -> Self {
        Self {
            inner,
            position: 0,
            reported: 0,
            total,
            progress,
        }
    }
}

impl<R: Read> Read for Tracked<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.position += n as u64;
        if let Some(progress) = &self.progress {
            if self.position.abs_diff(self.reported) >= REPORT_EVERY {
                self.reported = self.position;
                progress.report(Stage::Reading, self.position.min(self.total), self.total);
            }
        }
        Ok(n)
    }
}

impl<R: Seek> Seek for Tracked<R> {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.position = self.inner.seek(pos)?;
        Ok(self.position)
    }
}
