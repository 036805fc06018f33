//! Kernel symbols from a `/proc/kallsyms` listing.

use std::io::Read;
use std::path::Path;

use crate::SymbolizeError;

/// Sorted kernel text symbols.
#[derive(Debug, Clone, Default)]
pub struct KernelSymbols {
    addresses: Vec<u64>,
    names: Vec<String>,
    /// Where the listing puts the symbols perf relocates the kernel by (`_text`, `_stext`),
    /// kept apart because an alias at a shared address loses its name in `names`.
    reloc: Vec<(String, u64)>,
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
        let bytes = std::fs::read(path).map_err(io_err)?;
        let text = if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = String::new();
            flate2::read::MultiGzDecoder::new(bytes.as_slice())
                .read_to_string(&mut out)
                .map_err(io_err)?;
            out
        } else {
            String::from_utf8_lossy(&bytes).into_owned()
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
        let mut entries: Vec<(u64, &str)> = text
            .lines()
            .filter_map(|line| {
                let mut parts = line.split_ascii_whitespace();
                let addr = u64::from_str_radix(parts.next()?, 16).ok()?;
                let kind = parts.next()?;
                let name = parts.next()?;
                let is_text = matches!(kind, "t" | "T" | "w" | "W");
                (is_text && addr != 0).then_some((addr, name))
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
        Self {
            addresses: entries.iter().map(|e| e.0).collect(),
            names: entries.iter().map(|e| e.1.to_owned()).collect(),
            reloc,
        }
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
        let i = self.addresses.partition_point(|&a| a <= address);
        (i > 0).then(|| self.names[i - 1].as_str())
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
