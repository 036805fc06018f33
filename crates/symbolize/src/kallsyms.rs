//! Kernel symbols from a `/proc/kallsyms` listing.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::SymbolizeError;

/// Sorted kernel text symbols.
#[derive(Debug, Clone, Default)]
pub struct KernelSymbols {
    addresses: Vec<u64>,
    /// The names end to end, symbol `i`'s ending at `name_ends[i]` (one allocation, not one
    /// per symbol: a listing has over 100,000).
    names: String,
    name_ends: Vec<u32>,
    /// Where the listing puts the symbols perf relocates the kernel by (`_text`, `_stext`),
    /// kept apart because an alias at a shared address loses its name in `names`.
    reloc: Vec<(String, u64)>,
    /// Each module's lowest and highest text symbol (`addr t name [module]` lines).
    modules: Vec<(String, u64, u64)>,
}

/// The symbols perf names in its kernel MMAP record (`[kernel.kallsyms]_text`).
const RELOC_SYMBOLS: [&str; 2] = ["_text", "_stext"];

impl KernelSymbols {
    /// Read a kallsyms listing (`addr type name [module]` per line), plain or gzipped.
    pub fn from_path(path: &Path) -> Result<Self, SymbolizeError> {
        let io_err = |source| SymbolizeError::Io {
            path: path.to_owned(),
            source,
        };
        // Mapped, not read, when it is a file: a listing is a few MB, parsed once, its names
        // copied out. `/proc/kallsyms` itself cannot be mapped (and says its size is 0).
        let mapped = profview_files::map_file(path)
            .ok()
            .filter(|m| !m.is_empty());
        let read;
        let bytes: &[u8] = match &mapped {
            Some(map) => map,
            None => {
                read = std::fs::read(path).map_err(io_err)?;
                &read
            }
        };
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = String::new();
            flate2::read::MultiGzDecoder::new(bytes)
                .read_to_string(&mut out)
                .map_err(io_err)?;
            std::borrow::Cow::Owned(out)
        } else {
            String::from_utf8_lossy(bytes)
        };
        let symbols = Self::parse(&text);
        if symbols.addresses.is_empty() {
            return Err(SymbolizeError::BadKallsyms {
                path: path.to_owned(),
            });
        }
        Ok(symbols)
    }

    /// Parse a kallsyms listing; lines that are not text symbols are ignored. All-zero
    /// addresses (what an unprivileged reader sees) give an empty table.
    pub fn parse(text: &str) -> Self {
        let mut modules: HashMap<&str, (u64, u64)> = HashMap::new();
        let mut entries: Vec<(u64, &str)> = text
            .lines()
            .filter_map(|line| {
                let (addr, name, module) = text_symbol(line)?;
                if let Some(module) = module {
                    let range = modules.entry(module).or_insert((addr, addr));
                    *range = (range.0.min(addr), range.1.max(addr));
                }
                Some((addr, name))
            })
            .collect();
        let reloc = entries
            .iter()
            .filter(|(_, name)| RELOC_SYMBOLS.contains(name))
            .map(|&(addr, name)| (name.to_owned(), addr))
            .collect();
        entries.sort_by_key(|&(addr, _)| addr);
        // Aliases share an address; keep the first name, as perf does after sorting.
        entries.dedup_by_key(|&mut (addr, _)| addr);
        let mut names = String::with_capacity(entries.iter().map(|e| e.1.len()).sum());
        let name_ends = entries
            .iter()
            .map(|(_, name)| {
                names.push_str(name);
                u32::try_from(names.len()).unwrap_or(u32::MAX)
            })
            .collect();
        let mut modules: Vec<_> = modules
            .into_iter()
            .map(|(name, (low, high))| (name.to_owned(), low, high))
            .collect();
        modules.sort();
        Self {
            addresses: entries.iter().map(|e| e.0).collect(),
            names,
            name_ends,
            reloc,
            modules,
        }
    }

    /// The running kernel's symbols: a listing `perf record` saved of this very boot, when
    /// one of `copies` is (reading a file is far cheaper than `/proc/kallsyms`, which the
    /// kernel formats symbol by symbol: ~65 ms of system time for 120,000 symbols, most of
    /// the time of a report on a small recording), else `/proc/kallsyms`. `None` when neither
    /// shows addresses (an unprivileged reader sees zeros).
    pub fn of_running_kernel(copies: &[PathBuf]) -> Option<Self> {
        let saved = (!copies.is_empty())
            .then(|| {
                let head = read_head("/proc/kallsyms", HEAD_BYTES)?;
                let modules = std::fs::read_to_string("/proc/modules").ok();
                copies
                    .iter()
                    .filter_map(|path| Self::from_path(path).ok())
                    .find(|k| k.is_of_this_boot(&head, modules.as_deref()))
            })
            .flatten();
        saved.or_else(|| {
            std::fs::read_to_string("/proc/kallsyms")
                .ok()
                .map(|text| Self::parse(&text))
                .filter(|symbols| !symbols.is_empty())
        })
    }

    /// Whether this listing is of the running boot, as `/proc/kallsyms` would list it: the
    /// kernel's text where `kallsyms_head` (the first lines of `/proc/kallsyms`) puts it
    /// (KASLR moves it at every boot), and the same modules at the same places as
    /// `proc_modules` (`/proc/modules`; `None` for a kernel without modules). perf checks a
    /// saved copy against `/proc/modules` the same way before using it.
    fn is_of_this_boot(&self, kallsyms_head: &str, proc_modules: Option<&str>) -> bool {
        let running = kallsyms_head
            .lines()
            .filter_map(text_symbol)
            .find(|(_, name, _)| RELOC_SYMBOLS.contains(name));
        let Some((address, name, _)) = running else {
            return false;
        };
        if !self.reloc.iter().any(|(n, a)| n == name && *a == address) {
            return false;
        }
        let loaded = proc_modules.map(loaded_modules).unwrap_or_default();
        // Pseudo-modules (`[bpf]` programs, `[__builtin__ftrace]` trampolines) come and go
        // without a line in /proc/modules: their frames are few, and never checked here.
        let real = self
            .modules
            .iter()
            .filter(|(name, ..)| name != "bpf" && !name.starts_with("__builtin"));
        real.clone().count() == loaded.len()
            && real
                .zip(&loaded)
                .all(|((name, low, high), (n, base, size))| {
                    name == n && *low >= *base && *high < base.saturating_add(*size)
                })
    }

    /// How far this listing's addresses are from the recording's: `recorded` is where the
    /// recording's kernel had the symbol `name` (perf's kernel MMAP record says, see
    /// `Metadata::kernel_reloc`). A listing of another boot of the same kernel is shifted by
    /// its randomized base (KASLR); 0 when the listing lacks the symbol.
    pub fn shift_from(&self, (name, recorded): (&str, u64)) -> u64 {
        self.reloc
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |&(_, listed)| listed.wrapping_sub(recorded))
    }

    /// The symbol containing `address`: the last one starting at or before it.
    pub fn lookup(&self, address: u64) -> Option<&str> {
        let i = self
            .addresses
            .partition_point(|&a| a <= address)
            .checked_sub(1)?;
        let start = i.checked_sub(1).map_or(0, |j| self.name_ends[j] as usize);
        self.names.get(start..self.name_ends[i] as usize)
    }

    /// Number of symbols.
    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    /// True if there are no symbols.
    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }
}

/// How much of `/proc/kallsyms` to read for where the running kernel's text is: `_text`
/// comes within the first lines (after a few hundred per-CPU symbols on some kernels).
const HEAD_BYTES: u64 = 64 << 10;

/// The address, name and module of a kallsyms line's text symbol (`addr t name [module]`);
/// `None` for other symbols and for zero addresses.
fn text_symbol(line: &str) -> Option<(u64, &str, Option<&str>)> {
    match kernel_format(line) {
        Some(Some(symbol)) => Some(symbol),
        Some(None) => None,
        None => text_symbol_loosely(line),
    }
}

/// `text_symbol` for a line as the kernel writes it (`%px %c %s` then `\t[%s]` for a module):
/// the byte positions are known, so no word splitting (a listing has over 100,000 lines and
/// is read before every report of a recording with kernel frames). `None` when the line is
/// laid out otherwise (a copy edited by hand), for the loose reading to take.
#[allow(clippy::option_option)]
fn kernel_format(line: &str) -> Option<Option<(u64, &str, Option<&str>)>> {
    let bytes = line.as_bytes();
    let digits = bytes.iter().position(|&b| b == b' ')?;
    let (&kind, rest) = bytes.get(digits + 1..)?.split_first()?;
    if digits == 0 || digits > 16 || rest.first() != Some(&b' ') {
        return None;
    }
    if !matches!(kind, b't' | b'T' | b'w' | b'W') {
        return Some(None);
    }
    let addr = bytes[..digits].iter().try_fold(0u64, |a, &b| {
        let digit = char::from(b).to_digit(16)?;
        Some(a << 4 | u64::from(digit))
    })?;
    let name_and_module = &line[digits + 3..];
    let (name, module) = match name_and_module.split_once('\t') {
        Some((name, module)) => (name, Some(module.strip_prefix('[')?.strip_suffix(']')?)),
        None => (name_and_module, None),
    };
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    Some((addr != 0).then_some((addr, name, module)))
}

/// `text_symbol` for any whitespace between the fields.
fn text_symbol_loosely(line: &str) -> Option<(u64, &str, Option<&str>)> {
    let mut parts = line.split_ascii_whitespace();
    let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
    let kind = parts.next()?;
    let name = parts.next()?;
    let module = parts
        .next()
        .and_then(|m| m.strip_prefix('[')?.strip_suffix(']'));
    let is_text = matches!(kind, "t" | "T" | "w" | "W");
    (is_text && addr != 0).then_some((addr, name, module))
}

/// The modules `/proc/modules` lists as loaded (`name size refs deps state address`), each
/// with its address and size, sorted by name; those it shows at address 0 (an unprivileged
/// reader) are left out.
fn loaded_modules(text: &str) -> Vec<(String, u64, u64)> {
    let mut loaded: Vec<_> = text
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_ascii_whitespace().collect();
            let size = fields.get(1)?.parse().ok()?;
            let base = u64::from_str_radix(fields.get(5)?.trim_start_matches("0x"), 16).ok()?;
            (base != 0).then(|| (fields[0].to_owned(), base, size))
        })
        .collect();
    loaded.sort();
    loaded
}

/// The first lines of `path`, up to the one naming `_text` or `_stext` or `limit` bytes,
/// whole lines only. Read a page at a time: the kernel formats `/proc/kallsyms` as it is read.
fn read_head(path: &str, limit: u64) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?.take(limit);
    let mut head = Vec::new();
    let mut page = [0u8; 4096];
    let found = |head: &[u8]| {
        RELOC_SYMBOLS.iter().any(|name| {
            let line_end = format!(" {name}\n");
            head.windows(line_end.len())
                .any(|w| w == line_end.as_bytes())
        })
    };
    loop {
        let n = file.read(&mut page).ok()?;
        head.extend_from_slice(&page[..n]);
        if n == 0 || found(&head) {
            break;
        }
    }
    // A line cut short could be a longer name's prefix.
    head.truncate(
        head.iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |end| end + 1),
    );
    Some(String::from_utf8_lossy(&head).into_owned())
}

/// The build-id of the running kernel, from the ELF notes in `/sys/kernel/notes`.
pub fn running_kernel_build_id() -> Option<Vec<u8>> {
    let notes = std::fs::read("/sys/kernel/notes").ok()?;
    gnu_build_id_note(&notes)
}

/// Find the `NT_GNU_BUILD_ID` note (owner "GNU", type 3) in a sequence of ELF notes.
fn gnu_build_id_note(mut notes: &[u8]) -> Option<Vec<u8>> {
    const NT_GNU_BUILD_ID: u32 = 3;
    let word = |b: &[u8], i: usize| -> Option<u32> {
        Some(u32::from_ne_bytes(b.get(i..i + 4)?.try_into().ok()?))
    };
    let align4 = |n: usize| n.checked_add(3).map(|n| n & !3);
    while notes.len() >= 12 {
        let namesz = word(notes, 0)? as usize;
        let descsz = word(notes, 4)? as usize;
        let kind = word(notes, 8)?;
        let name_end = 12usize.checked_add(align4(namesz)?)?;
        let desc_end = name_end.checked_add(align4(descsz)?)?;
        let name = notes.get(12..12 + namesz)?;
        let desc = notes.get(name_end..name_end.checked_add(descsz)?)?;
        if kind == NT_GNU_BUILD_ID && name.starts_with(b"GNU") {
            return Some(desc.to_vec());
        }
        notes = notes.get(desc_end..)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shift_from_the_recording_comes_from_the_named_symbol() {
        // `_text` shares its address with `_stext`, listed first: the alias keeps no name in
        // the table, but its address is kept for relocation.
        let k = KernelSymbols::parse(
            "ffffffff9a000000 T _stext\nffffffff9a000000 T _text\nffffffff9a000100 t f\n",
        );
        assert_eq!(k.len(), 2);
        assert_eq!(k.shift_from(("_text", 0xffffffff81000000)), 0x1900_0000);
        assert_eq!(k.shift_from(("_stext", 0xffffffff9a000000)), 0);
        assert_eq!(
            k.shift_from(("_etext", 0xffffffff81000000)),
            0,
            "not listed"
        );
    }

    /// A saved listing stands for /proc/kallsyms only if it is of this boot: the kernel's
    /// text at the same place and the same modules loaded at the same places.
    #[test]
    fn a_saved_listing_is_used_only_if_it_is_of_this_boot() {
        let saved = KernelSymbols::parse(
            "ffffffff9a000000 T _stext\nffffffff9a000000 T _text\nffffffff9a000100 t f\n\
             ffffffffc0201000 t ftrace_trampoline\t[__builtin__ftrace]\n\
             ffffffffc0a00010 t ext4_init\t[ext4]\nffffffffc0a0f000 t ext4_exit\t[ext4]\n\
             ffffffffc0c00100 t bpf_prog_6deef7357e7b4530\t[bpf]\n",
        );
        let head = "0000000000000000 A fixed_percpu_data\nffffffff9a000000 T _stext\n";
        let loaded = "ext4 1003520 1 - Live 0xffffffffc0a00000\n";
        assert!(saved.is_of_this_boot(head, Some(loaded)));
        let other_boot = "ffffffff81000000 T _stext\n";
        assert!(!saved.is_of_this_boot(other_boot, Some(loaded)), "KASLR");
        let moved = "ext4 1003520 1 - Live 0xffffffffc0b00000\n";
        assert!(!saved.is_of_this_boot(head, Some(moved)), "module reloaded");
        let more = "ext4 1003520 1 - Live 0xffffffffc0a00000\nkvm 1 0 - Live 0xffffffffc0e00000\n";
        assert!(
            !saved.is_of_this_boot(head, Some(more)),
            "module loaded since"
        );
        assert!(
            !saved.is_of_this_boot(head, None),
            "a module no longer loaded"
        );
        let hidden = "ext4 1003520 1 - Live 0x0000000000000000\n";
        assert!(
            !saved.is_of_this_boot(head, Some(hidden)),
            "addresses hidden"
        );
        assert!(!saved.is_of_this_boot("0000000000000000 T _stext\n", Some(loaded)));
        let builtin = KernelSymbols::parse("ffffffff9a000000 T _stext\nffffffff9a000100 t f\n");
        assert!(
            builtin.is_of_this_boot(head, None),
            "a kernel without modules"
        );
        assert_eq!(saved.lookup(0xffffffffc0a0f010), Some("ext4_exit"));
    }

    /// `--kallsyms /proc/kallsyms` reads the kernel's own listing, which cannot be mapped:
    /// symbols, or (unprivileged, addresses hidden) "no text symbols", never a read error.
    #[test]
    fn the_running_kernels_listing_is_read_as_a_file_given() {
        let path = Path::new("/proc/kallsyms");
        if !path.exists() {
            return;
        }
        match KernelSymbols::from_path(path) {
            Ok(symbols) => assert!(!symbols.is_empty()),
            Err(err) => assert!(matches!(err, SymbolizeError::BadKallsyms { .. }), "{err}"),
        }
    }

    #[test]
    fn only_whole_lines_of_the_head_are_read() {
        let dir = std::env::temp_dir().join(format!("profview-head-{}", std::process::id()));
        let listing = "ffffffff9a000000 T _stext_and_more\nffffffff9a000000 T _text\nf\n";
        std::fs::write(&dir, listing).unwrap();
        let cut = read_head(dir.to_str().unwrap(), 50).unwrap();
        let whole = read_head(dir.to_str().unwrap(), 4096).unwrap();
        std::fs::remove_file(&dir).unwrap();
        assert_eq!(cut, "ffffffff9a000000 T _stext_and_more\n");
        assert_eq!(whole, listing);
    }

    /// The fast reading of the kernel's own layout and the loose one agree on every line.
    #[test]
    fn both_readings_of_a_line_agree() {
        let lines = [
            "ffffffff81000000 T _text",
            "ffffffff81000100 t do_work",
            "ffffffff81000200 D some_data",
            "ffffffffc0a00010 t ext4_init\t[ext4]",
            "0000000000000000 T hidden",
            "ffffffff81000300  T  spaced   [mod]",
            "ffffffff81000300 T tab_only\t",
            "ffffffff81000300 T bad\tmodule",
            "ffffffff8100030g T not_hex",
            "10000000000000000 T too_long",
            "ffffffff81000300 T",
            "",
            "ffffffff81000300",
        ];
        for line in lines {
            let fast = kernel_format(line);
            assert!(
                fast.is_none() || fast == Some(text_symbol_loosely(line)),
                "{line:?}: {fast:?}"
            );
        }
        assert_eq!(
            kernel_format("ffffffffc0a00010 t ext4_init\t[ext4]"),
            Some(Some((0xffffffffc0a00010, "ext4_init", Some("ext4"))))
        );
        assert_eq!(kernel_format("ffffffff81000200 D some_data"), Some(None));
        assert_eq!(
            text_symbol("ffffffff81000300  T  spaced   [mod]"),
            Some((0xffffffff81000300, "spaced", Some("mod")))
        );
    }

    #[test]
    fn looks_up_the_enclosing_symbol() {
        let k = KernelSymbols::parse(
            "ffffffff81000000 T _text\nffffffff81000100 t do_work\nffffffff81000200 D some_data\n\
             ffffffff81000300 T next_fn [mod]\n0000000000000000 T hidden\n",
        );
        assert_eq!(k.len(), 3);
        assert_eq!(k.lookup(0xffffffff81000150), Some("do_work"));
        assert_eq!(k.lookup(0xffffffff81000250), Some("do_work"));
        assert_eq!(k.lookup(0xffffffff81000300), Some("next_fn"));
        assert_eq!(k.lookup(0x1000), None);
    }
}
