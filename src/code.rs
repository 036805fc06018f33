//! The code behind an [`Annotation`]: the function's instructions with their shares and
//! source lines (read from the program file the symbolizer finds), and source files read
//! from where the debug info says they were, or where `--source-path OLD=NEW` moves them.
//!
//! `profview annotate` prints these; the browser gets them through its `CodeSource`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use profview_analyze::{Annotation, InstructionWeight};
use profview_model::Profile;
use profview_symbolize::{ModuleJob, SymbolPaths};

/// Why a function's instructions cannot be shown.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodeError {
    /// The profile holds no sampled address in the function (folded stacks keep none).
    #[error("{function}: the profile has no addresses for it (folded stacks keep none): no instructions to show")]
    NoAddresses {
        /// The function.
        function: String,
    },
    /// The program file is not where it was recorded nor under a symbol path.
    #[error("{path}: not found")]
    BinaryNotFound {
        /// The path the profile recorded.
        path: String,
    },
    /// The program file could not be disassembled.
    #[error(transparent)]
    Disassembly(#[from] profview_symbolize::DisasmError),
}

/// A function's instructions, each with its share of the function's self weight.
#[derive(Debug, Clone)]
pub struct Instructions {
    /// The symbol they belong to, demangled.
    pub symbol: String,
    /// In address order.
    pub instructions: Vec<InstructionWeight>,
    /// The share of the function's self weight sampled outside this symbol (another copy of
    /// the same code, such as a second instance of a generic function), 0-100.
    pub outside_percent: f64,
}

/// The instructions of the function `annotation` describes, from the program file found as
/// the symbolizer finds it (recorded path, build-id, `symbol_paths`), with each
/// instruction's share and source line.
pub fn instructions(
    profile: &Profile,
    annotation: &Annotation,
    symbol_paths: &[PathBuf],
) -> Result<Instructions, CodeError> {
    let (Some(module), Some(&(hottest, _))) = (annotation.module_id, annotation.addresses.first())
    else {
        return Err(CodeError::NoAddresses {
            function: annotation.function.clone(),
        });
    };
    let m = profile.module(module);
    let path = profile.string(m.path);
    let paths = SymbolPaths::new(symbol_paths.to_vec());
    let binary = paths
        .locate(path, m.build_id.as_deref())
        .binary
        .ok_or_else(|| CodeError::BinaryNotFound {
            path: path.to_owned(),
        })?;
    let asm = profview_symbolize::disassemble(&binary, hottest, m.relative_addresses)?;
    let address_of = |offset: u64| (offset as i64).wrapping_add(asm.offset_to_address) as u64;
    let mut share: HashMap<u64, f64> = HashMap::new();
    for &(offset, percent) in &annotation.addresses {
        *share.entry(address_of(offset)).or_default() += percent;
    }
    let offset_of = |address: u64| (address as i64).wrapping_sub(asm.offset_to_address) as u64;
    let job = ModuleJob {
        path: path.to_owned(),
        build_id: m.build_id.clone(),
        offsets: asm
            .instructions
            .iter()
            .map(|i| offset_of(i.address))
            .collect(),
        relative: false,
    };
    let lines = profview_symbolize::resolve_module(&job, &paths, true);
    let instructions: Vec<InstructionWeight> = asm
        .instructions
        .into_iter()
        .map(|i| {
            let innermost = lines
                .frames
                .get(&offset_of(i.address))
                .and_then(|frames| frames.last());
            InstructionWeight {
                self_percent: share.get(&i.address).copied().unwrap_or(0.0),
                source: innermost.and_then(|f| Some((f.file.clone()?, f.line?))),
                address: i.address,
                text: i.text,
                jump_target: i.jump_target,
            }
        })
        .collect();
    let inside: f64 = instructions.iter().map(|i| i.self_percent).sum();
    Ok(Instructions {
        symbol: asm.function,
        instructions,
        outside_percent: (100.0 - inside).max(0.0),
    })
}

/// Where to read source file `file` (as the debug info names it): with the first matching
/// `OLD=NEW` prefix of `remaps` replaced.
pub fn source_path(file: &str, remaps: &[String]) -> PathBuf {
    for remap in remaps {
        if let Some((old, new)) = remap.split_once('=') {
            if let Some(rest) = file.strip_prefix(old) {
                return PathBuf::from(format!("{new}{rest}"));
            }
        }
    }
    PathBuf::from(file)
}

/// The `OLD=NEW` remap that finds the Rust standard library's sources (recorded under
/// `/rustc/<commit>/`) in the `rust-src` component of the toolchain at `sysroot`, when that
/// toolchain is the one of `commit` (other versions' lines would not match) and has it.
pub fn rust_src_remap(sysroot: &Path, commit: &str) -> Option<String> {
    let src = sysroot.join("lib/rustlib/src/rust");
    src.join("library")
        .is_dir()
        .then(|| format!("/rustc/{commit}={}", src.display()))
}

/// Where crates built in a container were read from: the registry of the official Rust
/// images' `CARGO_HOME` (`/usr/local/cargo`) and of builds with `CARGO_HOME=/cargo`.
const CONTAINER_REGISTRIES: &[&str] = &["/usr/local/cargo/registry/src", "/cargo/registry/src"];

/// `OLD=NEW` remaps that find crates' sources recorded in a container's cargo registry in
/// the local one, `cargo_home/registry/src` (the same `index.crates.io-…/crate-version/`
/// folders below), when it exists and is not that registry itself.
pub fn cargo_registry_remaps(cargo_home: &Path) -> Vec<String> {
    let local = cargo_home.join("registry/src");
    if !local.is_dir() {
        return Vec::new();
    }
    CONTAINER_REGISTRIES
        .iter()
        .filter(|old| Path::new(old) != local)
        .map(|old| format!("{old}={}", local.display()))
        .collect()
}

/// The lines of source file `file` (see [`source_path`]), or where it was looked for.
pub fn source_lines(file: &str, remaps: &[String]) -> Result<Vec<String>, PathBuf> {
    let path = source_path(file, remaps);
    read_lines(&path).ok_or(path)
}

fn read_lines(path: &Path) -> Option<Vec<String>> {
    let bytes = std::fs::read(path).ok()?;
    Some(
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crates_built_in_a_container_are_found_in_the_local_registry() {
        let home = tempfile::tempdir().unwrap();
        assert!(cargo_registry_remaps(home.path()).is_empty(), "no registry");
        let krate = home
            .path()
            .join("registry/src/index.crates.io-1949cf8c6b5b557f/memchr-2.7.4/src");
        std::fs::create_dir_all(&krate).unwrap();
        std::fs::write(krate.join("lib.rs"), "one\ntwo\n").unwrap();
        let remaps = cargo_registry_remaps(home.path());
        for recorded in [
            "/usr/local/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/memchr-2.7.4/src/lib.rs",
            "/cargo/registry/src/index.crates.io-1949cf8c6b5b557f/memchr-2.7.4/src/lib.rs",
        ] {
            assert_eq!(source_lines(recorded, &remaps).unwrap()[1], "two", "{recorded}");
        }
    }

    #[test]
    fn std_sources_are_found_in_the_toolchains_rust_src() {
        let sysroot = tempfile::tempdir().unwrap();
        let commit = "59807616e1fa2540724bfbac14d7976d7e4a3860";
        assert_eq!(rust_src_remap(sysroot.path(), commit), None, "no rust-src");
        let core = sysroot.path().join("lib/rustlib/src/rust/library/core/src");
        std::fs::create_dir_all(&core).unwrap();
        std::fs::write(core.join("hint.rs"), "line one\nline two\n").unwrap();
        let remap = rust_src_remap(sysroot.path(), commit).unwrap();
        let recorded = format!("/rustc/{commit}/library/core/src/hint.rs");
        assert_eq!(source_lines(&recorded, &[remap]).unwrap()[1], "line two");
        // Another toolchain's paths are left alone.
        let other = "/rustc/0000000000000000000000000000000000000000/library/core/src/hint.rs";
        let remap = rust_src_remap(sysroot.path(), commit).unwrap();
        assert_eq!(source_path(other, &[remap]), PathBuf::from(other));
    }
}
