//! perf.data against perf itself: every recording in the shared fixtures is read by profview
//! and compared with what `perf report`, `perf script | inferno-collapse-perf` and binutils
//! `addr2line` said about the same file.
//!
//! Normalizations, and why:
//! - perf names a frame it cannot symbolize by its address (`0000000000000000`), inferno by
//!   `[unknown]`; profview by `module+0xOFFSET`. All become `[unknown]`.
//! - inferno removes top-level parameter lists from names (`operator()` → `operator`); the same
//!   rule is applied to profview's names.
//! - profview marks kernel and inlined frames as inferno's `--all` does (`_[k]`, `_[i]`);
//!   inferno's default output has no marks, so they are removed.
//! - perf ends some truncated DWARF stacks with a `0xffffffffffffffff` frame (`[unknown]` under
//!   the command name); profview keeps the frames it found and adds none.
//! - For DWARF recordings the *names* of inlined frames come, in perf, from binutils addr2line,
//!   which names and orders Rust and C++ inline chains differently from DWARF (the generic
//!   parameters it prints, which frame is the "real" one). So DWARF stacks are compared by
//!   address (what the unwinder found), and inline names are compared with binutils addr2line
//!   itself in `inlined_frames_match_binutils_addr2line`.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use common::{
    differing_share, folded_map, parse_perf_report, perf_recordings, profview_on_recording,
    shared_fixtures,
};

/// Acceptance bounds, in percentage points and in share of total weight.
const SELF_PERCENT_TOLERANCE: f64 = 1.0;
const MAX_DIFFERING_SHARE: f64 = 0.01;

/// The default table (inlined code counted in the function that holds it) and the one
/// without inlined frames are both perf report's.
#[test]
fn self_percentages_match_perf_report() {
    let modes: [&[&str]; 2] = [&["--format", "json"], &["--no-inline", "--format", "json"]];
    for ((case, rec), mode) in perf_recordings()
        .into_iter()
        .flat_map(|r| modes.map(|m| (r.clone(), m)))
    {
        let json = profview_on_recording("report", &case, &rec, mode);
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        let ours: HashMap<&str, f64> = report["functions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap(),
                    f["self_percent"].as_f64().unwrap(),
                )
            })
            .collect();
        let perf = parse_perf_report(&case.join(format!("{rec}.report-self.txt")));
        let rows = perf.iter().filter(|r| !is_address(&r.symbol)).take(10);
        for row in rows {
            let got = ours.get(row.symbol.as_str()).copied().unwrap_or(0.0);
            assert!(
                (got - row.percents[0]).abs() <= SELF_PERCENT_TOLERANCE,
                "{}/{rec} {mode:?}: {}: profview {got:.2}% vs perf report {:.2}%",
                case.display(),
                row.symbol,
                row.percents[0]
            );
        }
    }
}

fn is_address(symbol: &str) -> bool {
    let hex = symbol.strip_prefix("0x").unwrap_or(symbol);
    !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// inferno's `tidy_generic`: drop a top-level parameter list, but not Go's `.(` or C++'s
/// `(anonymous namespace)`.
fn inferno_tidy(func: &str) -> &str {
    let mut depth = 0i32;
    let mut last_dot = None;
    for (i, c) in func.char_indices() {
        match c {
            '<' | '{' | '[' => depth += 1,
            '>' | '}' | ']' | ')' => depth -= 1,
            '(' => {
                if depth == 0
                    && last_dot != Some(i)
                    && !func[i..].starts_with("(anonymous namespace)")
                {
                    return &func[..i];
                }
                depth += 1;
            }
            '.' => last_dot = Some(i + 1),
            _ => {}
        }
    }
    func
}

fn normalize_names(stack: &str) -> String {
    let mut frames: Vec<&str> = stack
        .split(';')
        .map(|f| {
            let f = f
                .strip_suffix("_[k]")
                .or_else(|| f.strip_suffix("_[i]"))
                .unwrap_or(f);
            let unknown = f.rsplit_once("+0x").is_some_and(|(_, h)| is_address(h));
            if unknown || (f.starts_with("0x") && is_address(f)) {
                "[unknown]"
            } else {
                inferno_tidy(f)
            }
        })
        .collect();
    if frames.len() > 2 && frames[1] == "[unknown]" {
        frames.remove(1);
    }
    frames.join(";")
}

/// For DWARF call graphs `perf script` names the function that holds the code from DWARF;
/// perf report, and profview everywhere, from the symbol table (its Symbol column). These are
/// the two names of the glibc functions in the shared DWARF recordings (`_init` is perf
/// script's name for the `malloc@plt` stub it falls in).
const DWARF_TO_SYMBOL_NAMES: &[(&str, &str)] = &[
    ("__GI___libc_free", "cfree@GLIBC_2.2.5"),
    ("__GI___libc_malloc", "malloc"),
    ("__GI___sbrk", "__sbrk"),
    ("__glibc_morecore", "__default_morecore@GLIBC_2.2.5"),
    ("__libc_start_main_impl", "__libc_start_main@@GLIBC_2.34"),
    ("_init", "malloc@plt"),
    ("systrim", "systrim.constprop.0"),
    ("unlink_chunk", "unlink_chunk.constprop.0"),
    ("___pthread_mutex_lock", "pthread_mutex_lock@@GLIBC_2.2.5"),
    ("_IO_new_do_write", "_IO_do_write@@GLIBC_2.2.5"),
    ("_IO_new_file_write", "_IO_file_write@@GLIBC_2.2.5"),
    ("__GI_exit", "exit"),
];

/// A perf script stack with every frame named as perf report names it.
fn symbol_table_names(stack: &str) -> String {
    stack
        .split(';')
        .map(|f| {
            DWARF_TO_SYMBOL_NAMES
                .iter()
                .find(|(dwarf, _)| *dwarf == f)
                .map_or(f, |(_, symbol)| symbol)
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// DWARF recordings whose inline chains perf named through binutils (see the module docs).
const BINUTILS_NAMED: &[&str] = &[
    "cpp_templates/dwarf",
    "inline_generics/dwarf",
    "rayon/dwarf",
];

#[test]
fn collapse_matches_inferno_collapse_perf() {
    for (case, rec) in perf_recordings() {
        let id = format!("{}/{rec}", case.file_name().unwrap().to_string_lossy());
        if BINUTILS_NAMED.contains(&id.as_str()) {
            continue;
        }
        let inline = if rec.contains("dwarf") {
            &[][..]
        } else {
            &["--no-inline"][..]
        };
        let ours = folded_map(
            &profview_on_recording("collapse", &case, &rec, inline),
            normalize_names,
        );
        let expected = std::fs::read_to_string(case.join(format!("{rec}.folded"))).unwrap();
        let theirs = folded_map(&expected, |stack| {
            normalize_names(&symbol_table_names(stack))
        });
        let share = differing_share(&ours, &theirs);
        assert!(
            share <= MAX_DIFFERING_SHARE,
            "{id}: {:.2}% of the weight is in stacks that differ from inferno's",
            share * 100.0
        );
    }
}

/// Stacks of `perf script` output as addresses (what perf's unwinder found), root first, with
/// the command name first and runs of one address (inline expansions) kept once.
fn perf_script_address_stacks(path: &Path) -> HashMap<String, f64> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let mut out = HashMap::new();
    for block in text.split("\n\n").filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let header = lines.next().unwrap();
        // "comm  pid  time:  period event:"
        let comm_end = header.find(char::is_numeric).unwrap();
        let comm = header[..comm_end].trim();
        let fields: Vec<&str> = header[comm_end..].split_whitespace().collect();
        let period: f64 = fields[2].parse().unwrap();
        let mut addresses: Vec<&str> = lines
            .filter_map(|l| l.split_whitespace().next())
            .filter(|a| *a != "ffffffffffffffff")
            .collect();
        addresses.dedup();
        addresses.reverse();
        let key = std::iter::once(comm)
            .chain(addresses)
            .collect::<Vec<_>>()
            .join(";");
        *out.entry(key).or_insert(0.0) += period;
    }
    out
}

/// profview's `--no-symbolize` stacks in perf script's terms: file offsets, return addresses
/// minus one (perf prints the looked-up address), the sampled user IP as it is.
fn profview_address_stack(stack: &str) -> String {
    let mut frames: Vec<&str> = stack.split(';').collect();
    let comm = frames.remove(0);
    let mut user_seen = false;
    let mut addresses: Vec<String> = Vec::new();
    for f in frames.iter().rev() {
        let f = f.strip_suffix("_[k]").unwrap_or(f);
        let hex = f
            .rsplit_once("+0x")
            .map_or(f.trim_start_matches("0x"), |(_, h)| h);
        let mut a = u64::from_str_radix(hex, 16).unwrap();
        let kernel = a >= 0xffff_8000_0000_0000;
        if !kernel {
            if user_seen {
                a -= 1;
            }
            user_seen = true;
        }
        addresses.push(format!("{a:x}"));
    }
    addresses.reverse();
    addresses.dedup();
    std::iter::once(comm.to_owned())
        .chain(addresses)
        .collect::<Vec<_>>()
        .join(";")
}

#[test]
fn dwarf_unwinding_finds_the_stacks_perf_found() {
    let mut checked = 0;
    for (case, rec) in perf_recordings()
        .into_iter()
        .filter(|(_, r)| r.contains("dwarf"))
    {
        let ours = folded_map(
            &profview_on_recording("collapse", &case, &rec, &["--no-symbolize"]),
            profview_address_stack,
        );
        let theirs = perf_script_address_stacks(&case.join(format!("{rec}.script.txt.gz")));
        let share = differing_share(&ours, &theirs);
        assert!(
            share <= MAX_DIFFERING_SHARE,
            "{}/{rec}: {:.2}% of the weight is in stacks that differ from perf script's",
            case.display(),
            share * 100.0
        );
        checked += 1;
    }
    assert!(checked >= 7);
}

/// One block of `fp.leaf-addr2line.txt`: the file offset and binutils' frames, innermost
/// first, as (function, file:line).
fn addr2line_reference(path: &Path) -> Vec<(u64, Vec<(String, String)>)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for block in text.split("## perf-script-offset=").skip(1) {
        let offset = u64::from_str_radix(
            block
                .split_whitespace()
                .next()
                .unwrap()
                .trim_start_matches("0x"),
            16,
        )
        .unwrap();
        let lines: Vec<&str> = block
            .lines()
            .skip(2)
            .filter(|l| !l.starts_with('#'))
            .collect();
        let frames = lines
            .chunks(2)
            .filter(|c| c.len() == 2)
            .map(|c| (c[0].to_owned(), c[1].to_owned()))
            .collect();
        out.push((offset, frames));
    }
    out
}

#[test]
fn inlined_frames_match_binutils_addr2line() {
    use profview::symbolize::{resolve_module, ModuleJob, SymbolPaths};
    for (case, binary) in [
        ("inline_generics", "inline_generics"),
        ("cpp_templates", "templates"),
    ] {
        let dir = shared_fixtures().join(case);
        let reference = addr2line_reference(&dir.join("fp.leaf-addr2line.txt"));
        assert!(reference.len() >= 5, "{case}: reference too short");
        let job = ModuleJob {
            path: dir.join(binary).display().to_string(),
            build_id: None,
            offsets: reference.iter().map(|(o, _)| *o).collect(),
            relative: false,
        };
        let paths = SymbolPaths::only(vec![dir.clone()]);
        let outcome = resolve_module(&job, &paths, true);
        // The function that holds the code is named from the symbol table, as perf report
        // names it; binutils names it from DWARF. Its name must be the one `--no-inline`
        // gives, and only the inlined frames' names are compared with binutils.
        let symbols = resolve_module(&job, &paths, false);
        for (offset, expected) in &reference {
            let ours = outcome
                .frames
                .get(offset)
                .unwrap_or_else(|| panic!("{case}: {offset:#x} unresolved"));
            // Ours are outermost first; binutils prints innermost first.
            let ours: Vec<(String, String)> = ours
                .iter()
                .rev()
                .map(|f| {
                    // binutils writes `??` and `?` for an unknown file and line.
                    let file = f.file.clone().unwrap_or_else(|| "??".to_owned());
                    let line = f.line.map_or_else(|| "?".to_owned(), |l| l.to_string());
                    (f.name.clone(), format!("{file}:{line}"))
                })
                .collect();
            assert_eq!(
                ours.len(),
                expected.len(),
                "{case} {offset:#x}: {ours:?} vs {expected:?}"
            );
            for (depth, ((name, line), (ref_name, ref_line))) in
                ours.iter().zip(expected).enumerate()
            {
                // DWARF discriminators tell basic blocks on one line apart; not shown.
                let ref_line = ref_line.split(" (discriminator").next().unwrap();
                assert_eq!(line, ref_line, "{case} {offset:#x}: {name}");
                // binutils prints C++ parameter lists, and return types of template
                // functions (`double geom::dot<double, 64ul>(...)`); profview, like perf,
                // prints neither.
                // For inlined C++ frames binutils often prints the enclosing function's linkage
                // name instead of the inlined one (a lambda's `operator()` shows as
                // `void std::__introsort_loop<...>`), so there only every file:line is
                // compared.
                let outermost = depth + 1 == expected.len();
                if outermost {
                    assert_eq!(name, &symbols.frames[offset][0].name, "{case} {offset:#x}");
                    continue;
                }
                if case == "cpp_templates" {
                    continue;
                }
                let (ours, theirs) = (inferno_tidy(name), inferno_tidy(ref_name));
                assert!(
                    ours == theirs || theirs.ends_with(&format!(" {ours}")),
                    "{case} {offset:#x} at {line}: {ours:?} vs binutils {theirs:?}"
                );
            }
        }
    }
}

/// Kernel symbols listed on another boot of the same kernel (every address moved by a
/// randomized base, KASLR) name the recording's kernel frames as its own boot's listing does:
/// perf's kernel MMAP record says where `_text` was when it recorded.
#[test]
fn kernel_symbols_of_another_boot_are_relocated() {
    let fixtures = shared_fixtures();
    let mut listing = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(fixtures.join("kallsyms.txt.gz")).unwrap())
        .read_to_string(&mut listing)
        .unwrap();
    const BASE: u64 = 0x1e00_0000;
    let moved: String = listing
        .lines()
        .map(|line| match line.split_once(' ') {
            Some((addr, rest)) => match u64::from_str_radix(addr, 16) {
                Ok(0) | Err(_) => format!("{line}\n"),
                Ok(a) => format!("{:016x} {rest}\n", a.wrapping_add(BASE)),
            },
            None => format!("{line}\n"),
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let moved_path = dir.path().join("kallsyms-another-boot");
    std::fs::write(&moved_path, moved).unwrap();
    let case = fixtures.join("contention");
    let own = profview_on_recording("collapse", &case, "fp", &[]);
    let other = common::profview_with_kallsyms("collapse", &case, "fp", &moved_path, &[]);
    assert!(own.contains("_[k]"), "the recording has kernel frames");
    assert!(
        own.contains("futex") || own.contains("syscall"),
        "kernel frames are named"
    );
    assert_eq!(own, other);
}
