//! Names from tools that leave symbols mangled.

/// A name as a person reads it: Rust and C++ symbols that a tool left mangled are demangled.
pub(crate) fn demangled(name: &str) -> String {
    if profview_demangle::looks_mangled(name) {
        profview_demangle::demangle(name)
    } else {
        name.to_owned()
    }
}
