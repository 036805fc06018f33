//! What a program file holds that decides how it can be profiled: function symbols, line
//! tables, and whether its functions keep frame pointers (so that perf can walk the stack
//! with `--call-graph fp`, the cheap mode, instead of copying stacks for DWARF unwinding).

use std::path::{Path, PathBuf};

use object::{Architecture, Object, ObjectSection, ObjectSymbol, SymbolKind};

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
    /// function symbols).
    pub frame_pointer_share: Option<f64>,
    /// How many functions the share was measured on.
    pub functions_checked: usize,
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
    let (checked, with_frame) = if file.architecture() == Architecture::X86_64 {
        frame_setups(&file, &functions)
    } else {
        (0, 0)
    };
    Ok(BinaryFacts {
        function_symbols: functions.len(),
        line_tables: file
            .section_by_name(".debug_line")
            .is_some_and(|s| s.size() > 0),
        debuglink: file.section_by_name(".gnu_debuglink").is_some(),
        frame_pointer_share: (checked > 0).then(|| with_frame as f64 / checked as f64),
        functions_checked: checked,
    })
}

/// How many of `functions` (large enough to tell) were read, and how many of those start by
/// setting up a frame pointer.
fn frame_setups(file: &object::File<'_>, functions: &[object::Symbol<'_, '_>]) -> (usize, usize) {
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
    fn this_test_binary_is_inspected() {
        // Rust test binaries have symbols and are x86-64 on these machines; their frame
        // pointers depend on the toolchain's flags, so only the facts that do not are checked.
        let facts = inspect_binary(&std::env::current_exe().unwrap()).unwrap();
        assert!(facts.function_symbols > 100, "{facts:?}");
        if cfg!(target_arch = "x86_64") {
            assert!(facts.functions_checked > 100, "{facts:?}");
        }
    }
}
