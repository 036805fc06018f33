//! Rust (legacy and v0) and C++ symbol names demangled in the form `perf report` prints
//! them, and legacy Rust names a C++ demangler left half done (heaptrack).

#![warn(missing_docs)]

use cpp_demangle::DemangleOptions;

/// Demangle a symbol the way perf shows it: Rust names without the hash (legacy `::h0123...`)
/// or crate disambiguators (v0), C++ names without parameter lists or return type. Anything
/// else is returned as it is.
pub fn demangle(name: &str) -> String {
    if let Ok(d) = rustc_demangle::try_demangle(name) {
        return format!("{d:#}");
    }
    if let Some(d) = legacy_rust_read_as_cpp(name) {
        return d;
    }
    if name.starts_with("_Z") {
        if let Some(d) = demangle_cpp(name) {
            return d;
        }
    }
    name.to_owned()
}

/// A legacy-mangled Rust name that a C++ demangler has already taken apart, as heaptrack
/// and some perf builds write it: `std::rt::lang_start::_$u7b$$u7b$closure$u7d$$u7d$::h0123…`
/// (Rust's escapes and hash left in). Mangled again, it demangles as Rust:
/// `std::rt::lang_start::{{closure}}`.
fn legacy_rust_read_as_cpp(name: &str) -> Option<String> {
    let (path, hash) = name.rsplit_once("::")?;
    let is_hash = hash.len() == 17
        && hash.starts_with('h')
        && hash[1..].bytes().all(|b| b.is_ascii_hexdigit());
    // Generics and spaces mean a C++ name, not Rust's escapes.
    if !is_hash || name.contains([' ', '<', '>', '(']) {
        return None;
    }
    let mut mangled = String::from("_ZN");
    for segment in path.split("::").chain([hash]) {
        if segment.is_empty() {
            return None;
        }
        mangled.push_str(&format!("{}{segment}", segment.len()));
    }
    mangled.push('E');
    let demangled = rustc_demangle::try_demangle(&mangled).ok()?;
    Some(format!("{demangled:#}"))
}

/// Whether `name` is still mangled (Rust, C++), or is a Rust name a C++ demangler left
/// half done: worth giving to [`demangle`].
pub fn looks_mangled(name: &str) -> bool {
    name.starts_with("_Z") || name.starts_with("_R") || legacy_rust_read_as_cpp(name).is_some()
}

fn demangle_cpp(name: &str) -> Option<String> {
    // Versioned or suffixed names (`_ZN3foo3barEv.cold`, `..@@GLIBCXX_3.4`) keep their suffix.
    let (mangled, suffix) = match name.find(['@', '.']) {
        Some(i) => name.split_at(i),
        None => (name, ""),
    };
    let symbol = cpp_demangle::Symbol::new(mangled).ok()?;
    let options = DemangleOptions::new().no_params().no_return_type();
    let mut out = literals_like_cxxfilt(&symbol.demangle_with_options(&options).ok()?);
    out.push_str(suffix);
    Some(out)
}

/// cpp_demangle writes template value arguments as casts (`(unsigned long)64`); binutils and
/// perf write literal suffixes (`64ul`). Names must match perf's to be compared and diffed.
fn literals_like_cxxfilt(name: &str) -> String {
    const SUFFIXES: &[(&str, &str)] = &[
        ("(unsigned long long)", "ull"),
        ("(long long)", "ll"),
        ("(unsigned long)", "ul"),
        ("(long)", "l"),
        ("(unsigned int)", "u"),
        ("(int)", ""),
    ];
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    'scan: while let Some(open) = rest.find('(') {
        out.push_str(&rest[..open]);
        let tail = &rest[open..];
        for (cast, suffix) in SUFFIXES {
            if let Some(after) = tail.strip_prefix(cast) {
                let digits = after
                    .bytes()
                    .take_while(|b| b.is_ascii_digit() || *b == b'-')
                    .count();
                if digits > 0 {
                    out.push_str(&after[..digits]);
                    out.push_str(suffix);
                    rest = &after[digits..];
                    continue 'scan;
                }
            }
        }
        for (cast, value) in [("(bool)0", "false"), ("(bool)1", "true")] {
            if let Some(after) = tail.strip_prefix(cast) {
                out.push_str(value);
                rest = after;
                continue 'scan;
            }
        }
        out.push('(');
        rest = &tail[1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_legacy_loses_its_hash() {
        assert_eq!(
            demangle("_ZN15crossbeam_deque5deque16Stealer$LT$T$GT$5steal17h0123456789abcdefE"),
            "crossbeam_deque::deque::Stealer<T>::steal"
        );
    }

    /// ThinLTO renames local symbols it moves between units (`.llvm.NNNN`); perf and users
    /// know the function by its name.
    #[test]
    fn rust_loses_llvm_suffixes() {
        assert_eq!(
            demangle("_ZN8rustprof12find_matches17h0123456789abcdefE.llvm.4123456789"),
            "rustprof::find_matches"
        );
        assert_eq!(
            demangle("_RNvCs1234_8rustprof12find_matches.llvm.4123456789"),
            "rustprof::find_matches"
        );
    }

    #[test]
    fn rust_names_a_cpp_demangler_left_half_done_are_finished() {
        let heaptrack = "std::rt::lang_start::_$u7b$$u7b$closure$u7d$$u7d$::hdbee5a3fa7ab6636";
        assert!(looks_mangled(heaptrack));
        assert_eq!(demangle(heaptrack), "std::rt::lang_start::{{closure}}");
        assert_eq!(
            demangle(
                "core::ptr::drop_in_place$LT$alloc..vec..Vec$LT$u8$GT$$GT$::h0123456789abcdef"
            ),
            "core::ptr::drop_in_place<alloc::vec::Vec<u8>>"
        );
        // C++ and plain names stay as they are.
        for name in ["std::vector<int>::push_back", "main", "ns::f::habc"] {
            assert!(!looks_mangled(name), "{name}");
            assert_eq!(demangle(name), name);
        }
    }

    #[test]
    fn cpp_loses_parameters() {
        assert_eq!(
            demangle("_ZN4geom3dotIdLm64EEET_RKNS_3VecIS1_XT0_EEES5_"),
            "geom::dot<double, 64ul>"
        );
    }

    #[test]
    fn template_literals_are_written_as_cxxfilt_does() {
        assert_eq!(
            literals_like_cxxfilt("f<(unsigned long)64, (int)-3, (bool)1, (long)7>(int (*)(char))"),
            "f<64ul, -3, true, 7l>(int (*)(char))"
        );
    }

    #[test]
    fn c_names_and_garbage_are_kept() {
        assert_eq!(demangle("hot_loop"), "hot_loop");
        assert_eq!(demangle("_Zgarbage"), "_Zgarbage");
        assert_eq!(
            demangle("pthread_mutex_lock@@GLIBC_2.2.5"),
            "pthread_mutex_lock@@GLIBC_2.2.5"
        );
    }
}
