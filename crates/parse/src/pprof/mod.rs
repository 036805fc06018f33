//! pprof (`profile.proto`): the format of Go's profiler, pprof-rs (criterion benches),
//! jemalloc_pprof, and the fleet profilers (Pyroscope, Parca, Grafana). Read (gzipped or not,
//! detected by content) and written (`convert --to pprof`).
//!
//! Quirks of the writers, handled here: pprof-rs writes one location per function name, with
//! no mappings, addresses or lines; Go writes `runtime.` frames (its scheduler and collector)
//! and names functions `pkg.(*T).Method`; jemalloc_pprof writes addresses only, with mappings
//! and build-ids, left for the symbolizer.

mod proto;
mod read;
mod samples;
mod write;

#[cfg(test)]
mod tests;

pub use read::{looks_like_pprof, parse_pprof};
pub use write::to_pprof;
