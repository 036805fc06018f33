//! Finding the files behind a recorded module: the binary and its debug info, by build-id
//! first, then by the recorded path, then by `.gnu_debuglink`.

use crate::hex::hex;
use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use memmap2::Mmap;
use object::Object;

/// The name perf records for the vDSO mapping.
const VDSO: &str = "[vdso]";

/// Directories are searched this deep for files named like a module.
const MAX_SEARCH_DEPTH: usize = 6;
/// At most this many directory entries are indexed per search path, so pointing
/// `--symbol-path` at `/` costs seconds, not hours.
const MAX_INDEXED_ENTRIES: usize = 200_000;

/// Where to look for binaries and debug files.
#[derive(Debug, Default)]
pub struct SymbolPaths {
    dirs: Vec<PathBuf>,
    system_debug_dirs: Vec<PathBuf>,
    build_id_caches: Vec<PathBuf>,
    index: OnceLock<HashMap<OsString, Vec<PathBuf>>>,
    build_ids: Mutex<HashMap<PathBuf, Option<Vec<u8>>>>,
    /// Do not look at the paths the recording names.
    skip_recorded: bool,
}

/// A file that was found by name but not used, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The file.
    pub path: PathBuf,
    /// Its build-id (hex), if it has one.
    pub build_id: Option<String>,
}

/// The files found for one module.
#[derive(Debug, Clone, Default)]
pub struct ModuleFiles {
    /// The binary itself (code, `.eh_frame`, program headers, symbols).
    pub binary: Option<PathBuf>,
    /// A separate file with DWARF and a full symbol table, when there is one.
    pub debug: Option<PathBuf>,
    /// Files with the module's name whose build-id differs: never used, always reported.
    pub rejected: Vec<Rejected>,
}

impl ModuleFiles {
    /// The file to read symbols and DWARF from: the debug file, else the binary.
    pub fn symbol_file(&self) -> Option<&Path> {
        self.debug.as_deref().or(self.binary.as_deref())
    }
}

impl SymbolPaths {
    /// Search `dirs` (from `--symbol-path`), then the system places: `~/.debug` (perf's
    /// build-id cache) and `/usr/lib/debug` (Debian's `-dbg` / `-dbgsym` packages).
    pub fn new(dirs: Vec<PathBuf>) -> Self {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        Self {
            dirs,
            system_debug_dirs: vec![PathBuf::from("/usr/lib/debug")],
            build_id_caches: home.map(|h| h.join(".debug")).into_iter().collect(),
            ..Self::default()
        }
    }

    /// Search only `dirs` and the recorded paths: for tests that must not depend on the machine.
    pub fn only(dirs: Vec<PathBuf>) -> Self {
        Self {
            dirs,
            ..Self::default()
        }
    }

    /// Look nowhere: no file is read, whatever the profile names (for fuzzing, and for reading
    /// profiles from untrusted sources without touching the file system).
    pub fn none() -> Self {
        Self {
            skip_recorded: true,
            ..Self::default()
        }
    }

    /// Find the binary and debug file of the module recorded at `recorded_path` with
    /// `build_id` (when the recording gave one).
    pub fn locate(&self, recorded_path: &str, build_id: Option<&[u8]>) -> ModuleFiles {
        let mut files = ModuleFiles::default();
        if self.skip_recorded {
            return files;
        }
        files.binary = self.find_binary(recorded_path, build_id, &mut files.rejected);
        // Without a recorded build-id (perf writes them only for some modules), the binary's
        // own one finds its debug file.
        let own_id = match (build_id, &files.binary) {
            (None, Some(binary)) => self.build_id_of(binary),
            _ => None,
        };
        files.debug = self.find_debug_file(files.binary.as_deref(), build_id.or(own_id.as_deref()));
        files
    }

    fn find_binary(
        &self,
        recorded_path: &str,
        build_id: Option<&[u8]>,
        rejected: &mut Vec<Rejected>,
    ) -> Option<PathBuf> {
        if recorded_path == VDSO {
            return self.find_vdso(build_id?);
        }
        let recorded = Path::new(recorded_path);
        let name = recorded.file_name()?;
        if let Some(id) = build_id {
            let by_id = self
                .dirs
                .iter()
                .flat_map(|d| {
                    let (dir, rest) = build_id_parts(id);
                    let base = d.join(".build-id").join(dir);
                    [base.join(&rest), base.join(&rest).join("elf")]
                })
                .chain(self.build_id_caches.iter().map(|c| {
                    let (dir, rest) = build_id_parts(id);
                    c.join(".build-id").join(dir).join(rest).join("elf")
                }));
            for candidate in by_id {
                if self.matches(&candidate, Some(id)) {
                    return Some(candidate);
                }
            }
        }
        let by_name = self.files_named(name).into_iter();
        for candidate in by_name.chain(std::iter::once(recorded.to_owned())) {
            if !candidate.is_file() {
                continue;
            }
            if self.matches(&candidate, build_id) {
                return Some(candidate);
            }
            let found = self.build_id_of(&candidate);
            if !rejected.iter().any(|r| r.path == candidate) {
                rejected.push(Rejected {
                    path: candidate,
                    build_id: found.as_deref().map(hex),
                });
            }
        }
        None
    }

    /// The vDSO image with `build_id`: where `perf record` keeps it
    /// (`~/.debug/[vdso]/BUILDID/vdso`, or under a `--symbol-path` directory), else this
    /// process's own vDSO when it is the same build (recorded on this kernel).
    fn find_vdso(&self, build_id: &[u8]) -> Option<PathBuf> {
        let id = hex(build_id);
        let cached = self
            .dirs
            .iter()
            .chain(&self.build_id_caches)
            .map(|d| d.join(VDSO).join(&id).join("vdso"))
            .find(|candidate| self.matches(candidate, Some(build_id)));
        cached.or_else(|| {
            let copy = crate::vdso::running_vdso_copy()?;
            self.matches(&copy, Some(build_id)).then_some(copy)
        })
    }

    fn find_debug_file(&self, binary: Option<&Path>, build_id: Option<&[u8]>) -> Option<PathBuf> {
        if let Some(id) = build_id {
            let (dir, rest) = build_id_parts(id);
            let debug_name = format!("{rest}.debug");
            let candidates = self
                .dirs
                .iter()
                .chain(&self.system_debug_dirs)
                .map(|d| d.join(".build-id").join(&dir).join(&debug_name))
                .chain(
                    self.build_id_caches
                        .iter()
                        .map(|c| c.join(".build-id").join(&dir).join(&rest).join("debug")),
                );
            for candidate in candidates {
                if self.matches(&candidate, Some(id)) && has_dwarf_or_symtab(&candidate) {
                    return Some(candidate);
                }
            }
        }
        let binary = binary?;
        let link = debuglink(binary)?;
        let dir = binary.parent()?;
        let mut candidates = vec![dir.join(&link), dir.join(".debug").join(&link)];
        for system in &self.system_debug_dirs {
            let relative = dir.strip_prefix("/").unwrap_or(dir);
            candidates.push(system.join(relative).join(&link));
        }
        candidates
            .into_iter()
            .find(|c| c != binary && self.matches(c, build_id))
    }

    /// The kallsyms listings `perf record` saved for the kernel with `build_id`
    /// (`~/.debug/[kernel.kallsyms]/BUILDID/kallsyms`, or under a `--symbol-path` directory)
    /// that exist. Which boot a listing is of is for the caller to check.
    pub fn kallsyms_copies(&self, build_id: &[u8]) -> Vec<PathBuf> {
        let id = hex(build_id);
        self.dirs
            .iter()
            .chain(&self.build_id_caches)
            .map(|d| d.join("[kernel.kallsyms]").join(&id).join("kallsyms"))
            .filter(|candidate| candidate.is_file())
            .collect()
    }

    /// True if `path` is a readable ELF whose build-id is `expected` (any, when `None`).
    fn matches(&self, path: &Path, expected: Option<&[u8]>) -> bool {
        if !path.is_file() {
            return false;
        }
        match (expected, self.build_id_of(path)) {
            (None, _) => is_object(path),
            (Some(want), Some(have)) => want == have.as_slice(),
            (Some(_), None) => false,
        }
    }

    fn build_id_of(&self, path: &Path) -> Option<Vec<u8>> {
        let mut cache = self.build_ids.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(path.to_owned())
            .or_insert_with(|| read_build_id(path))
            .clone()
    }

    fn files_named(&self, name: &std::ffi::OsStr) -> Vec<PathBuf> {
        let index = self.index.get_or_init(|| {
            let mut index: HashMap<OsString, Vec<PathBuf>> = HashMap::new();
            for dir in &self.dirs {
                index_dir(dir, &mut index);
            }
            index
        });
        index.get(name).cloned().unwrap_or_default()
    }
}

/// `ab`, `cdef...` for build-id `abcdef...`, as `.build-id` directories lay it out.
fn build_id_parts(id: &[u8]) -> (String, String) {
    let h = hex(id);
    if h.len() < 3 {
        return (h, String::new());
    }
    let (a, b) = h.split_at(2);
    (a.to_owned(), b.to_owned())
}

/// Map file names under `root` to their paths, breadth first, without following symlinked
/// directories (so a symlink loop cannot trap the walk).
fn index_dir(root: &Path, index: &mut HashMap<OsString, Vec<PathBuf>>) {
    let mut queue = vec![(root.to_owned(), 0usize)];
    let mut seen = 0usize;
    if root.is_file() {
        if let Some(name) = root.file_name() {
            index
                .entry(name.to_owned())
                .or_default()
                .push(root.to_owned());
        }
        return;
    }
    while let Some((dir, depth)) = queue.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            seen += 1;
            if seen > MAX_INDEXED_ENTRIES {
                return;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                if depth < MAX_SEARCH_DEPTH {
                    queue.push((path, depth + 1));
                }
            } else {
                index.entry(entry.file_name()).or_default().push(path);
            }
        }
    }
}

fn read_file(path: &Path) -> Option<Mmap> {
    crate::mapped::map_file(path).ok()
}

fn is_object(path: &Path) -> bool {
    read_file(path).is_some_and(|d| object::File::parse(&d[..]).is_ok())
}

fn read_build_id(path: &Path) -> Option<Vec<u8>> {
    let data = read_file(path)?;
    let file = object::File::parse(&data[..]).ok()?;
    file.build_id().ok().flatten().map(<[u8]>::to_vec)
}

fn debuglink(path: &Path) -> Option<String> {
    let data = read_file(path)?;
    let file = object::File::parse(&data[..]).ok()?;
    let (name, _crc) = file.gnu_debuglink().ok().flatten()?;
    Some(String::from_utf8_lossy(name).into_owned())
}

fn has_dwarf_or_symtab(path: &Path) -> bool {
    read_file(path).is_some_and(|d| {
        object::File::parse(&d[..]).is_ok_and(|f| {
            f.section_by_name(".debug_info").is_some() || f.section_by_name(".symtab").is_some()
        })
    })
}
