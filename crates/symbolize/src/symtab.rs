//! ELF symbol tables, with perf's rules for picking one name among aliases, and the
//! program-header translation from file offsets to addresses.

use object::{Object, ObjectSection, ObjectSegment, ObjectSymbol, ObjectSymbolTable, SymbolKind};

use profview_demangle::demangle;
use profview_files::is_executable;

/// One function symbol.
#[derive(Debug, Clone)]
struct Symbol {
    start: u64,
    end: u64,
    name: String,
    weak: bool,
    global: bool,
}

/// The function symbols of one ELF file, sorted, one name per address.
#[derive(Debug, Clone, Default)]
pub struct SymbolTable {
    symbols: Vec<Symbol>,
}

impl SymbolTable {
    /// Read `file`'s `.symtab`, or `.dynsym` when there is no `.symtab` (stripped binaries),
    /// and name the PLT stubs from `binary`'s relocations (a debug file's are empty).
    pub fn from_object(file: &object::File<'_>, binary: &object::File<'_>) -> Self {
        let mut symbols: Vec<Symbol> = collect(file, file.symbols());
        if symbols.is_empty() {
            symbols = collect(file, file.dynamic_symbols());
        }
        let mut plt = plt_symbols(binary);
        if plt.is_empty() {
            plt = plt_symbols(file);
        }
        symbols.extend(plt);
        symbols.sort_by_key(|s| s.start);
        let symbols = dedup_aliases(symbols);
        Self {
            symbols: fix_up_ends(symbols),
        }
    }

    /// The symbol containing `svma`.
    pub fn lookup(&self, svma: u64) -> Option<&str> {
        let i = self.symbols.partition_point(|s| s.start <= svma);
        let s = self.symbols.get(i.checked_sub(1)?)?;
        (svma < s.end).then_some(s.name.as_str())
    }

    /// True if the file had no function symbols.
    pub fn is_empty(&self) -> bool {
        self.symbols.is_empty()
    }
}

fn collect<'a>(
    file: &object::File<'a>,
    symbols: impl Iterator<Item = object::Symbol<'a, 'a>>,
) -> Vec<Symbol> {
    symbols
        .filter(|s| (s.kind() == SymbolKind::Text || is_code_label(file, s)) && s.address() != 0)
        .filter(|s| s.is_definition() || is_code_label(file, s))
        .filter_map(|s| {
            let name = s.name().ok()?;
            (!name.is_empty()).then(|| Symbol {
                start: s.address(),
                end: s.address() + s.size(),
                name: name.to_owned(),
                weak: s.is_weak(),
                global: s.is_global(),
            })
        })
        .collect()
}

/// An untyped symbol in a code section (`_dl_start_user` in ld.so, assembly entry points):
/// perf's `elf_sym__is_label` takes these as functions, so return addresses into them get
/// the name perf gives.
fn is_code_label(file: &object::File<'_>, s: &object::Symbol<'_, '_>) -> bool {
    let object::SymbolFlags::Elf { st_info, st_other } = s.flags() else {
        return false;
    };
    let visibility = st_other.visibility();
    st_info.st_type() == object::elf::STT_NOTYPE
        && visibility != object::elf::STV_HIDDEN
        && visibility != object::elf::STV_INTERNAL
        && s.section_index()
            .and_then(|i| file.section_by_index(i).ok())
            // By flag: in a debug file the code sections are NOBITS, of kind "uninitialized".
            .is_some_and(|section| {
                matches!(section.flags(), object::SectionFlags::Elf { sh_flags, .. }
                    if sh_flags.0 & object::elf::SHF_EXECINSTR.0 != 0)
            })
}

/// Size of one x86_64 PLT entry.
const PLT_ENTRY_SIZE: u64 = 16;
/// Size of one `Elf64_Rela`.
const RELA_SIZE: usize = 24;

/// `name@plt` symbols for the PLT stubs, as perf synthesizes them: the n-th `.rela.plt`
/// relocation's stub is the n-th entry of `.plt.sec` when there is one, else the (n+1)-th of
/// `.plt` (the first `.plt` entry is the resolver stub).
fn plt_symbols(file: &object::File<'_>) -> Vec<Symbol> {
    use object::ObjectSection;
    if !file.is_little_endian() || !file.is_64() {
        return Vec::new();
    }
    let (Some(rela), Some(dynsym)) = (
        file.section_by_name(".rela.plt"),
        file.dynamic_symbol_table(),
    ) else {
        return Vec::new();
    };
    let (base, first) = match file.section_by_name(".plt.sec") {
        Some(sec) => (sec.address(), 0),
        None => match file.section_by_name(".plt") {
            Some(plt) => (plt.address(), 1),
            None => return Vec::new(),
        },
    };
    let Ok(data) = rela.data() else {
        return Vec::new();
    };
    data.chunks_exact(RELA_SIZE)
        .enumerate()
        .filter_map(|(i, entry)| {
            let info = u64::from_le_bytes(entry[8..16].try_into().ok()?);
            let index = object::SymbolIndex(usize::try_from(info >> 32).ok()?);
            let name = dynsym.symbol_by_index(index).ok()?.name().ok()?;
            let start = base + PLT_ENTRY_SIZE * (i as u64 + first);
            (!name.is_empty()).then(|| Symbol {
                start,
                end: start + PLT_ENTRY_SIZE,
                name: format!("{name}@plt"),
                weak: false,
                global: false,
            })
        })
        .collect()
}

/// Keep one symbol per start address, chosen as perf's `choose_best_symbol` does.
fn dedup_aliases(sorted: Vec<Symbol>) -> Vec<Symbol> {
    let mut out: Vec<Symbol> = Vec::with_capacity(sorted.len());
    for s in sorted {
        match out.last_mut() {
            Some(prev) if prev.start == s.start => {
                if prefer_second(prev, &s) {
                    *prev = s;
                }
            }
            _ => out.push(s),
        }
    }
    out
}

/// perf (util/symbol.c): prefer a non-empty symbol, then non-weak, then global, then fewer
/// leading underscores, then the longer name (demangled, as perf keeps them); on a full tie
/// keep the first.
fn prefer_second(a: &Symbol, b: &Symbol) -> bool {
    let (a_len, b_len) = (a.end - a.start, b.end - b.start);
    if (a_len == 0) != (b_len == 0) {
        return a_len == 0;
    }
    if a.weak != b.weak {
        return a.weak;
    }
    if a.global != b.global {
        return b.global;
    }
    // perf compares the names it demangled when it loaded them (`<usize>::_fmt` beats
    // `<u64>::_fmt`, whose mangled names are equally long).
    let (a_name, b_name) = (demangle(&a.name), demangle(&b.name));
    let underscores = |s: &str| s.bytes().take_while(|&c| c == b'_').count();
    if underscores(&a_name) != underscores(&b_name) {
        return underscores(&b_name) < underscores(&a_name);
    }
    b_name.len() > a_name.len()
}

/// Zero-sized symbols reach to the next symbol, as perf's `symbols__fixup_end` does.
fn fix_up_ends(mut symbols: Vec<Symbol>) -> Vec<Symbol> {
    for i in 0..symbols.len() {
        if symbols[i].end == symbols[i].start {
            symbols[i].end = symbols.get(i + 1).map_or(u64::MAX, |n| n.start);
        }
    }
    symbols
}

/// Translate a file offset in the mapped file to a static virtual address (SVMA) through the
/// ELF program headers: the address the linker gave that byte. For most C binaries the two are
/// equal; Rust binaries here have `p_vaddr = p_offset + 0x1000` in the executable segment.
///
/// Code offsets are looked up in executable segments first: a page can hold the end of one
/// segment and the start of the next.
pub fn file_offset_to_svma(file: &object::File<'_>, offset: u64) -> Option<u64> {
    let translate = |want_exec: bool| {
        file.segments().find_map(|seg| {
            let exec = is_executable(seg.flags());
            let (start, size) = seg.file_range();
            (exec == want_exec && offset >= start && offset < start + size.max(seg.size()))
                .then(|| offset - start + seg.address())
        })
    };
    translate(true).or_else(|| translate(false))
}
