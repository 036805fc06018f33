//! The `.syms.json` sidecar that `samply record --unstable-presymbolicate` writes next to a
//! profile: per library (by `code_id`), function address ranges and their names.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use profview_model::{Frame, FrameId, Function, Profile, ResolvedFrame};

use serde_json::Value;

use super::json::{bad, Columns};
use crate::ParseError;
use profview_files::hex;

/// Function names by library and relative address.
#[derive(Debug, Clone, Default)]
pub struct Sidecar {
    /// Per lower-case code id: `(start, end, name)` sorted by start.
    libs: HashMap<String, Vec<(u64, u64, String)>>,
}

impl Sidecar {
    /// Parse a sidecar file's bytes.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<Self, ParseError> {
        let root: Value =
            serde_json::from_slice(bytes).map_err(|e| super::json::json_error(name, &e))?;
        let strings = root.column("string_table");
        let libs = root
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| bad(name, "no `data` array: not a samply .syms.json file"))?;
        let mut out = Sidecar::default();
        for lib in libs {
            let Some(code_id) = lib.get("code_id").and_then(Value::as_str) else {
                continue;
            };
            let mut ranges: Vec<(u64, u64, String)> = lib
                .column("symbol_table")
                .iter()
                .filter_map(|e| {
                    let start = e.get("rva")?.as_u64()?;
                    let size = e.get("size")?.as_u64()?;
                    let name = strings.get(usize::try_from(e.get("symbol")?.as_u64()?).ok()?)?;
                    Some((start, start.saturating_add(size), name.as_str()?.to_owned()))
                })
                .collect();
            ranges.sort_by_key(|r| r.0);
            out.libs.insert(code_id.to_lowercase(), ranges);
        }
        Ok(out)
    }

    /// The name of the function at `address` in the library with `code_id`.
    pub fn lookup(&self, code_id: &str, address: u64) -> Option<&str> {
        let ranges = self.libs.get(code_id)?;
        let at = ranges.partition_point(|r| r.0 <= address).checked_sub(1)?;
        let (start, end, name) = &ranges[at];
        (address >= *start && address < *end).then_some(name.as_str())
    }
}

impl Sidecar {
    /// Name the frames still unresolved in modules the sidecar covers (matched by build-id):
    /// what the symbolizer could not find a binary for. Returns how many frames were named.
    pub fn name_frames(&self, profile: &mut Profile) -> usize {
        let mut replacement: Vec<Option<Vec<FrameId>>> = vec![None; profile.frames().len()];
        let mut named = 0;
        for (i, slot) in replacement.iter_mut().enumerate() {
            let Frame::Unresolved(f) = *profile.frame(FrameId::from_index(i)) else {
                continue;
            };
            let Some(module) = f.module else { continue };
            let Some(code_id) = profile.module(module).build_id.as_deref().map(hex) else {
                continue;
            };
            let Some(name) = self.lookup(&code_id, f.address.lookup_address()) else {
                continue;
            };
            let name = name.to_owned();
            let name = profile.intern_string(&name);
            let function = profile.intern_function(Function {
                name,
                module: Some(module),
            });
            let frame = profile.intern_frame(Frame::Resolved(ResolvedFrame {
                function,
                file: None,
                line: None,
                inline_depth: 0,
                kind: f.kind,
                address: Some(f.address),
            }));
            *slot = Some(vec![frame]);
            named += 1;
        }
        if named > 0 {
            profile.expand_frames(&replacement);
        }
        named
    }
}

/// samply's sidecar for the profile at `path`: `profile.json.syms.json` beside
/// `profile.json.gz` or `profile.json`.
pub fn find_sidecar(path: &Path) -> Option<PathBuf> {
    let text = path.to_str()?;
    let stem = text.strip_suffix(".gz").unwrap_or(text);
    let candidate = PathBuf::from(format!("{stem}.syms.json"));
    candidate.is_file().then_some(candidate)
}
