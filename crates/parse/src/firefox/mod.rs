//! Firefox Profiler JSON: the processed format (what samply writes) and the Gecko format (what
//! Firefox and `perf script report gecko` write).
//!
//! Both keep tables as columns. The processed format moved its string array to `shared` at
//! version 56 and its stack, frame, func, resource and native-symbol tables at 60, changed
//! stack parents from `prefix` to `prefixOffset` at 66, and added `frameTable.lib` at 70.
//! Frames of samply profiles are usually addresses relative to a library (`libs[]`, with the
//! GNU build-id as `codeId`): they become unresolved frames for the symbolizer, or take their
//! names from a `.syms.json` sidecar written by `samply record --unstable-presymbolicate`.

mod gecko;
mod json;
mod processed;
mod sidecar;
mod write;

use profview_model::Profile;
use serde_json::Value;

use crate::ParseError;
use json::{bad, json_error};
pub use sidecar::{find_sidecar, Sidecar};
pub use write::{to_firefox, WRITTEN_VERSION};

/// The newest processed-format version this reader knows.
pub const MAX_PROCESSED_VERSION: u64 = 70;
/// The newest Gecko-format version this reader knows.
pub const MAX_GECKO_VERSION: u64 = 36;

/// Parse Firefox Profiler JSON (either format) into a profile. Frames given as library
/// addresses stay unresolved, for the symbolizer and then [`Sidecar::name_frames`].
pub fn parse_firefox(name: &str, bytes: &[u8]) -> Result<Profile, ParseError> {
    let root: Value = serde_json::from_slice(bytes).map_err(|e| json_error(name, &e))?;
    let meta = root
        .get("meta")
        .ok_or_else(|| bad(name, "no `meta` object: not a Firefox profile"))?;
    if let Some(version) = meta
        .get("preprocessedProfileVersion")
        .and_then(Value::as_u64)
    {
        if version > MAX_PROCESSED_VERSION {
            return Err(bad(
                name,
                &format!("processed profile version {version} is newer than this profview reads (versions up to {MAX_PROCESSED_VERSION})"),
            ));
        }
        return processed::parse(name, &root, version);
    }
    match meta.get("version").and_then(Value::as_u64) {
        Some(v) if v > MAX_GECKO_VERSION => Err(bad(
            name,
            &format!("Gecko profile version {v} is newer than this profview reads (versions up to {MAX_GECKO_VERSION}; processed profiles up to {MAX_PROCESSED_VERSION})"),
        )),
        Some(_) => gecko::parse(name, &root),
        None => Err(bad(name, "`meta` has neither `preprocessedProfileVersion` nor `version`")),
    }
}

#[cfg(test)]
mod tests;
