//! Function names made comparable across builds.
//!
//! Two builds of one program name the same source function differently: Rust legacy symbols
//! carry a hash of the crate's contents, v0 symbols a crate disambiguator, closures and C++
//! lambdas are numbered in source order, compilers clone functions under numbered suffixes,
//! and unresolved code is named by an address that moves with every change. The diff matches
//! functions by the name with all of that removed (docs/diff.md lists the rules).

use std::borrow::Cow;
use std::sync::LazyLock;

use profview_model::{Frame, FrameId, Profile};
use regex::Regex;

/// Each rule is a pattern and its replacement, applied in this order.
static RULES: LazyLock<Vec<(Regex, &'static str)>> = LazyLock::new(|| {
    [
        // Compiler clone suffixes on plain symbols: `update_sd_lb_stats.constprop.0`,
        // `foo.isra.0.part.0`, `bar.cold`, ThinLTO's `baz.llvm.1234567890`, clang's
        // `qux.__uniq.1234` and `f.specialized.1`. First, since they follow a Rust hash.
        (
            r"(\.(constprop|isra|part|cold|lto_priv|llvm|localalias|clone|specialized|__uniq)(\.[0-9]+)?)+$",
            "",
        ),
        // Demangled C++ clones: `foo(int) [clone .constprop.0]`.
        (r" \[clone \.[^\]]*\]", ""),
        // Rust legacy mangling's hash: `core::fmt::write::h0123456789abcdef`.
        (r"::h[0-9a-f]{16}$", ""),
        // Rust v0 crate disambiguators, as rustc-demangle prints them without `{:#}`:
        // `std[8f2a9c1d0b3e4f56]::io`. C++ `[abi:cxx11]` has no such hex run.
        (r"([A-Za-z0-9_])\[[0-9a-f]{5,16}\]", "$1"),
        // Numbered anonymous items: `{closure#0}`, `{impl#3}`, `{shim:vtable#0}`, C++
        // `{lambda(int)#2}`, `{unnamed type#1}`.
        (r"#[0-9]+\}", "}"),
        // Legacy Rust closures, so that they match v0's `{closure}`.
        (r"\{\{closure\}\}", "{closure}"),
        // JIT maps are named after the process id: `[perf-1234.map]`, `/tmp/perf-1234.map`.
        (r"perf-[0-9]+\.map", "perf-PID.map"),
        // Unresolved code named by address in folded input: `libc.so.6+0x9a2b1` → `[libc.so.6]`
        // (a file: a path, a shared object, or a bracketed pseudo-module).
        (r"^(\[[^\]]*\]|[^\s;]*(/|\.so)[^\s;]*)\+0x[0-9a-fA-F]+$", "[$1]"),
        // A symbol with an offset (`perf script --symoff`): `parse+0x1f` → `parse`.
        (r"^([^\s;]+)\+0x[0-9a-fA-F]+$", "$1"),
        // Bracketed twice by the rule above (`[kernel.kallsyms]+0x1`).
        (r"^\[\[(.*)\]\]$", "[$1]"),
        // A bare address.
        (r"^0x[0-9a-fA-F]+$", "[unknown]"),
    ]
    .into_iter()
    .map(|(pattern, replacement)| {
        let re = Regex::new(pattern).expect("the normalization patterns are valid");
        (re, replacement)
    })
    .collect()
});

/// `name` without the parts that change from build to build.
pub fn normalize_name(name: &str) -> Cow<'_, str> {
    let mut name = Cow::Borrowed(name);
    for (re, replacement) in RULES.iter() {
        if let Cow::Owned(replaced) = re.replace_all(&name, *replacement) {
            name = Cow::Owned(replaced);
        }
    }
    name
}

/// The comparable name of `frame`: its normalized function name, or `[module]` for code no
/// symbol was found for (its address means nothing in another build).
pub fn frame_key(profile: &Profile, frame: FrameId) -> String {
    match profile.frame(frame) {
        Frame::Resolved(f) => {
            normalize_name(profile.string(profile.function(f.function).name)).into_owned()
        }
        Frame::Unresolved(f) => match f.module.map(|m| profile.module_name(m)) {
            // `[kernel.kallsyms]`, `[vdso]` are bracketed already.
            Some(name) if name.starts_with('[') && name.ends_with(']') => name.to_owned(),
            Some(name) => format!("[{name}]"),
            None => "[unknown]".to_owned(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_name;

    #[track_caller]
    fn check(raw: &str, normalized: &str) {
        assert_eq!(normalize_name(raw), normalized, "{raw}");
    }

    #[test]
    fn rust_hashes_and_disambiguators() {
        check("core::fmt::write::h0123456789abcdef", "core::fmt::write");
        check(
            "<std[8f2a9c1d0b3e4f56]::io::Stdout as core[1a2b3c4d5e]::fmt::Write>::write_str",
            "<std::io::Stdout as core::fmt::Write>::write_str",
        );
        // Not a hash: too short, or not at the end.
        check("foo::h0123", "foo::h0123");
        check(
            "hash::h0123456789abcdef::inner",
            "hash::h0123456789abcdef::inner",
        );
    }

    #[test]
    fn closures_and_lambdas() {
        check("app::run::{closure#3}", "app::run::{closure}");
        check("app::run::{{closure}}", "app::run::{closure}");
        check(
            "<app::Foo as app::Bar>::{shim:vtable#0}",
            "<app::Foo as app::Bar>::{shim:vtable}",
        );
        check(
            "main::{lambda(int)#2}::operator()",
            "main::{lambda(int)}::operator()",
        );
    }

    #[test]
    fn compiler_clones() {
        check("update_sd_lb_stats.constprop.0", "update_sd_lb_stats");
        check("foo.isra.0.part.0", "foo");
        check("bar.cold", "bar");
        check("baz.llvm.1234567890", "baz");
        check("geom::dot(int) [clone .constprop.0]", "geom::dot(int)");
        // A dot inside a name is kept.
        check(
            "std::__cxx11::basic_string<char>::_M_create",
            "std::__cxx11::basic_string<char>::_M_create",
        );
    }

    #[test]
    fn suffixes_after_a_rust_hash() {
        check("app::run::h0123456789abcdef.cold", "app::run");
        check("scan.__uniq.40514375424547276", "scan");
        check("f.specialized.1", "f");
    }

    #[test]
    fn jit_maps() {
        check("[perf-31337.map]", "[perf-PID.map]");
    }

    #[test]
    fn addresses() {
        check("libc.so.6+0x9a2b1", "[libc.so.6]");
        check("/usr/lib/libfoo.so.1.2+0x10", "[/usr/lib/libfoo.so.1.2]");
        check("[kernel.kallsyms]+0xffffffff81000000", "[kernel.kallsyms]");
        check("parse_input+0x1f", "parse_input");
        check("0x7f12deadbeef", "[unknown]");
        check("[unknown]", "[unknown]");
        check("std::string::operator+", "std::string::operator+");
    }

    #[test]
    fn cxx_tags_and_arrays_are_kept() {
        check(
            "std::__cxx11::to_string[abi:cxx11](int)",
            "std::__cxx11::to_string[abi:cxx11](int)",
        );
        check("sum(int (&) [4])", "sum(int (&) [4])");
    }
}
