//! What a program file holds that decides how it can be profiled: function symbols, line
//! tables, and whether its functions keep frame pointers (so that perf can walk the stack
//! with `--call-graph fp`, the cheap mode, instead of copying stacks for DWARF unwinding).

use std::path::{Path, PathBuf};

use object::{Architecture, Object, ObjectSection, ObjectSymbol, SymbolKind};
use profview_demangle::demangle;

/// A program file that could not be inspected.
#[derive(Debug, thiserror::Error)]
#[error("{}: {problem}", path.display())]
pub struct InspectError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub problem: String,
}

/// What [`inspect_binary`] found in a program file.
#[derive(Debug, Clone, PartialEq)]
pub struct BinaryFacts {
    /// Function symbols in `.symtab` (a stripped file has none; `.dynsym` alone names only
    /// exported functions).
    pub function_symbols: usize,
    /// The file has DWARF line tables (`.debug_line`): file:line and inlined frames.
    pub line_tables: bool,
    /// The file names a separate debug file (`.gnu_debuglink`), which may hold what it lacks.
    pub debuglink: bool,
    /// Of the functions whose first instructions could be read, the share that set up a frame
    /// pointer (`push rbp; mov rbp, rsp`); `None` where that is not known (not x86-64, no
    /// function symbols). Measured on the program's own crate when it is a Rust program
    /// with functions of its own large enough to tell (see [`BinaryFacts::own_crate`]).
    pub frame_pointer_share: Option<f64>,
    /// How many functions the share was measured on.
    pub functions_checked: usize,
    /// The Rust crate whose functions the share was measured on, when it was: a Rust
    /// program's standard library comes prebuilt with frame pointers and is most of a small
    /// program's functions, while the program's own code and its dependencies are built with
    /// the program's flags (without frame pointers by default), so the share over every
    /// function says "keeps them" of a program whose stacks a frame-pointer walk cuts short.
    pub own_crate: Option<String>,
    /// The shared libraries the program is linked against (`DT_NEEDED`: `libc.so.6`).
    pub needed: Vec<String>,
}

/// A share of functions at or above which a program is taken to keep frame pointers: code
/// built with them sets one up in every function that calls another (leaf functions may go
/// without: `-momit-leaf-frame-pointer`, which perf's walk survives); code built without, in
/// almost none.
pub const FRAME_POINTER_MIN_SHARE: f64 = 0.3;

impl BinaryFacts {
    /// Whether frame-pointer call graphs will walk this program's stacks.
    pub fn keeps_frame_pointers(&self) -> bool {
        self.frame_pointer_share
            .is_some_and(|s| s >= FRAME_POINTER_MIN_SHARE)
    }
}

/// `push rbp`.
const PUSH_RBP: u8 = 0x55;
/// `mov rbp, rsp`, in either encoding.
const MOV_RBP_RSP: [[u8; 3]; 2] = [[0x48, 0x89, 0xe5], [0x48, 0x8b, 0xec]];
/// How far into a function its frame setup is looked for.
const PROLOGUE_BYTES: usize = 24;
/// `endbr64`, which CET-enabled code puts first.
const ENDBR64: [u8; 4] = [0xf3, 0x0f, 0x1e, 0xfa];
/// Functions shorter than this are left out: tiny leaf functions and thunks set up no frame
/// even in code built with frame pointers (`-momit-leaf-frame-pointer`, PLT stubs).
const MIN_FUNCTION_SIZE: u64 = 32;

/// Inspect the program file at `path`.
pub fn inspect_binary(path: &Path) -> Result<BinaryFacts, InspectError> {
    let error = |problem: String| InspectError {
        path: path.to_owned(),
        problem,
    };
    let data = crate::map_file(path).map_err(|e| error(e.to_string()))?;
    let file =
        object::File::parse(&*data).map_err(|e| error(format!("not a program file: {e}")))?;
    let functions: Vec<_> = file
        .symbols()
        .filter(|s| s.kind() == SymbolKind::Text && s.is_definition())
        .collect();
    let symtab_functions = functions.len();
    // A shared library's `.symtab` is usually stripped; its exported functions still say
    // whether it sets up frames. (A stripped program's few exports would not.)
    let library = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains(".so"));
    let functions = if functions.is_empty() && library {
        file.dynamic_symbols()
            .filter(|s| s.kind() == SymbolKind::Text && s.is_definition())
            .collect()
    } else {
        functions
    };
    let x86 = file.architecture() == Architecture::X86_64;
    let crate_name = crate_of_program(path);
    let own: Vec<_> = match &crate_name {
        Some(name) if x86 => functions
            .iter()
            // The crate's name is in the mangled name as it is (`_ZN7crunchy`, `7crunchy`):
            // only those are demangled, a large C++ program has hundreds of thousands.
            .filter(|s| {
                s.name()
                    .is_ok_and(|n| n.contains(name.as_str()) && mentions_crate(&demangle(n), name))
            })
            .collect(),
        _ => Vec::new(),
    };
    let (own_checked, own_with_frame) = frame_setups(&file, &own);
    let (own_crate, (checked, with_frame)) = match (x86, own_checked) {
        (false, _) => (None, (0, 0)),
        (true, 0) => (
            None,
            frame_setups(&file, &functions.iter().collect::<Vec<_>>()),
        ),
        (true, _) => (crate_name, (own_checked, own_with_frame)),
    };
    let needed = file
        .import_libraries()
        .map(|libraries| {
            libraries
                .filter_map(Result::ok)
                .map(|l| String::from_utf8_lossy(l.name()).into_owned())
                .collect()
        })
        .unwrap_or_default();
    Ok(BinaryFacts {
        function_symbols: symtab_functions,
        line_tables: file
            .section_by_name(".debug_line")
            .is_some_and(|s| s.size() > 0),
        debuglink: file.section_by_name(".gnu_debuglink").is_some(),
        frame_pointer_share: (checked > 0).then(|| with_frame as f64 / checked as f64),
        functions_checked: checked,
        own_crate,
        needed,
    })
}

/// Where the dynamic loader would find shared library `name` (`libc.so.6`): the directories
/// of `LD_LIBRARY_PATH`, then the system's library directories.
pub fn find_library(name: &str) -> Option<PathBuf> {
    const SYSTEM: &[&str] = &[
        "/lib/x86_64-linux-gnu",
        "/usr/lib/x86_64-linux-gnu",
        "/lib64",
        "/usr/lib64",
        "/lib",
        "/usr/lib",
    ];
    let from_env = std::env::var_os("LD_LIBRARY_PATH")
        .map(|v| std::env::split_paths(&v).collect::<Vec<_>>())
        .unwrap_or_default();
    from_env
        .into_iter()
        .chain(SYSTEM.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The Rust crate a program file would be the binary of: its name with `-` as `_`, without
/// the `-<16 hex digits>` cargo gives test and dependency builds. `None` for names that are
/// no crate's (C programs are looked for too, and simply have no function of that crate).
fn crate_of_program(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let name = match name.rsplit_once('-') {
        Some((stem, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            stem
        }
        _ => name,
    };
    let crate_name = name.replace('-', "_");
    let is_identifier = crate_name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
        && crate_name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    is_identifier.then_some(crate_name)
}

/// Whether a demangled function name has a path in crate `name` (`crunchy::crunch`, or the
/// crate's types in a generic function instantiated by it: `drop_in_place<crunchy::Data>`):
/// code compiled with the program's own flags.
fn mentions_crate(demangled: &str, name: &str) -> bool {
    let path = format!("{name}::");
    demangled.match_indices(&path).any(|(at, _)| {
        let before = demangled[..at].chars().next_back();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// How many of `functions` (large enough to tell) were read, and how many of those start by
/// setting up a frame pointer.
fn frame_setups(file: &object::File<'_>, functions: &[&object::Symbol<'_, '_>]) -> (usize, usize) {
    let mut checked = 0;
    let mut with_frame = 0;
    for symbol in functions.iter().filter(|s| s.size() >= MIN_FUNCTION_SIZE) {
        let Some(bytes) = first_bytes(file, symbol) else {
            continue;
        };
        checked += 1;
        if sets_up_frame(bytes) {
            with_frame += 1;
        }
    }
    (checked, with_frame)
}

/// Whether code starting with `bytes` sets up a frame pointer: `push rbp` first (after an
/// `endbr64`), and `mov rbp, rsp` soon after (compilers schedule other instructions between
/// the two). Code without frame pointers may save rbp first as an ordinary register, but does
/// not then point it at the stack.
fn sets_up_frame(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(&ENDBR64[..]).unwrap_or(bytes);
    let Some(after_push) = body.strip_prefix(&[PUSH_RBP][..]) else {
        return false;
    };
    after_push
        .windows(3)
        .any(|w| MOV_RBP_RSP.iter().any(|m| w == m))
}

/// The first bytes of `symbol`'s code.
fn first_bytes<'d>(file: &object::File<'d>, symbol: &object::Symbol<'d, '_>) -> Option<&'d [u8]> {
    let index = symbol.section_index()?;
    let section = file.section_by_index(index).ok()?;
    let data = section.data().ok()?;
    let start = usize::try_from(symbol.address().checked_sub(section.address())?).ok()?;
    let end = start.checked_add(PROLOGUE_BYTES.min(symbol.size() as usize))?;
    data.get(start..end.min(data.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_that_is_not_a_program_is_an_error_naming_it() {
        let dir = std::env::temp_dir().join(format!("profview-inspect-{}", std::process::id()));
        std::fs::write(&dir, b"not an ELF file").unwrap();
        let err = inspect_binary(&dir).unwrap_err();
        std::fs::remove_file(&dir).unwrap();
        assert!(err.to_string().contains("not a program file"), "{err}");
    }

    #[test]
    fn a_program_names_its_crate() {
        let crate_of = |p: &str| crate_of_program(Path::new(p));
        assert_eq!(
            crate_of("/x/target/release/crunchy").as_deref(),
            Some("crunchy")
        );
        assert_eq!(crate_of("my-tool").as_deref(), Some("my_tool"));
        assert_eq!(
            crate_of("deps/profview_symbolize-0123456789abcdef").as_deref(),
            Some("profview_symbolize")
        );
        assert_eq!(crate_of("a.out"), None);
        assert_eq!(crate_of("7zip"), None);
    }

    #[test]
    fn own_code_is_the_crate_s_paths_and_its_types_in_generic_code() {
        assert!(mentions_crate("crunchy::crunch", "crunchy"));
        assert!(mentions_crate(
            "<crunchy::Data as core::fmt::Debug>::fmt",
            "crunchy"
        ));
        assert!(mentions_crate(
            "core::ptr::drop_in_place<alloc::vec::Vec<crunchy::Data>>",
            "crunchy"
        ));
        assert!(!mentions_crate("std::rt::lang_start_internal", "crunchy"));
        assert!(!mentions_crate("notcrunchy::crunch", "crunchy"));
        assert!(!mentions_crate("other::crunchy::crunch", "crunchy"));
    }

    #[test]
    fn this_test_binary_is_inspected() {
        // Rust test binaries have symbols and are x86-64 on these machines; their frame
        // pointers depend on the toolchain's flags, so only the facts that do not are checked.
        // Its name is cargo's `profview_symbolize-<hash>`: the share is measured on this
        // crate's own functions (these tests among them).
        let facts = inspect_binary(&std::env::current_exe().unwrap()).unwrap();
        assert!(facts.function_symbols > 100, "{facts:?}");
        if cfg!(target_arch = "x86_64") {
            assert_eq!(facts.own_crate.as_deref(), Some("profview_symbolize"));
            assert!(facts.functions_checked > 10, "{facts:?}");
        }
    }
}
