//! What kind of code a frame is: user code, a runtime, an allocator, a lock, the kernel, ...
//!
//! Classification works on the names profview shows (demangled, glibc's `__GI_` aliases and
//! `@GLIBC_2.2.5` versions included) and on module file names, so it works the same for
//! perf.data, folded stacks and samply profiles. The tables are the knowledge; the rules
//! using them are in [`Analysis`](crate::Analysis) (rules and thresholds: docs/findings.md).

use serde::Serialize;

/// A kind of non-user code a sample's time can be spent in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Code of the program itself (everything not recognized below).
    User,
    /// malloc / free and friends, Rust's allocator shims and `Vec` growth.
    Allocation,
    /// Mutexes, condition variables, futexes.
    Lock,
    /// Task runtimes and work-stealing pools: rayon, crossbeam, tokio, async executors.
    Runtime,
    /// memcpy / memmove.
    MemoryCopy,
    /// String formatting (`core::fmt`, printf).
    Formatting,
    /// serde and other (de)serializers.
    Serialization,
    /// The kernel, outside the categories above (syscalls, page faults, interrupts).
    Kernel,
    /// The idle loop of the kernel.
    Idle,
}

impl Category {
    /// Lower-case name for messages.
    pub fn label(self) -> &'static str {
        match self {
            Category::User => "user code",
            Category::Allocation => "memory allocation",
            Category::Lock => "locking",
            Category::Runtime => "runtime / framework",
            Category::MemoryCopy => "memory copies",
            Category::Formatting => "string formatting",
            Category::Serialization => "serialization",
            Category::Kernel => "the kernel",
            Category::Idle => "the idle loop",
        }
    }
}

/// How the walk from a sample's leaf towards its root treats a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameClass {
    /// Code of a known kind: the sample's time goes to the outermost such frame below the
    /// first user frame.
    In(Category),
    /// Glue that says nothing by itself (std / core internals, thread start, libc outside the
    /// categories): the walk goes on through it.
    Transparent,
    /// Code of the program: the walk stops here, and this frame is the one that called into
    /// whatever category was found below it.
    User,
}

/// Classify a frame by its shown name, its module's file name, and whether it is kernel code.
pub fn classify(name: &str, module: Option<&str>, kernel: bool) -> FrameClass {
    let plain = plain_c_name(name);
    if kernel {
        return if is_kernel_lock(plain) {
            FrameClass::In(Category::Lock)
        } else if is_idle(plain) {
            FrameClass::In(Category::Idle)
        } else {
            FrameClass::In(Category::Kernel)
        };
    }
    if let Some(category) = category_of_name(name, plain) {
        return FrameClass::In(category);
    }
    if let Some(category) = module.and_then(category_of_module) {
        return FrameClass::In(category);
    }
    // `[unknown]` (perf, inferno) and bare hex addresses: a frame nothing is known about.
    if name == "[unknown]" || name.starts_with("0x") || is_transparent(name, plain, module) {
        FrameClass::Transparent
    } else {
        FrameClass::User
    }
}

/// Whether a frame creates threads or tasks (for small-task overhead): the spawn call and the
/// queue push, not the running of the task.
pub fn is_spawn(name: &str) -> bool {
    let plain = plain_c_name(name);
    SPAWN_C.iter().any(|p| plain.starts_with(p)) || SPAWN_RUST.iter().any(|p| name.contains(p))
}

/// The Rust module path of a source file, from where cargo and rustup put sources:
/// `~/.cargo/registry/src/index.crates.io-6f17d22bba15001f/rayon-core-1.12.1/src/job.rs` ->
/// `rayon_core::job`, `/rustc/<hash>/library/alloc/src/raw_vec/mod.rs` -> `alloc::raw_vec`.
pub fn module_path_of_source(path: &str) -> Option<String> {
    let toolchain = path.contains("/rustc/") || path.contains("/rustlib/");
    let (krate, rest) = if let (true, Some(at)) = (toolchain, path.find("/library/")) {
        let rest = &path[at + "/library/".len()..];
        let (krate, rest) = rest.split_once("/src/")?;
        (krate.to_owned(), rest)
    } else {
        let at = path.find("/registry/src/")?;
        let rest = &path[at + "/registry/src/".len()..];
        let (_index, rest) = rest.split_once('/')?;
        let (dir, rest) = rest.split_once("/src/")?;
        // `rayon-core-1.12.1` -> `rayon_core`: drop the version after the last '-'.
        let name = match dir.rfind('-') {
            Some(dash) if dir[dash + 1..].starts_with(|c: char| c.is_ascii_digit()) => &dir[..dash],
            _ => dir,
        };
        (name.replace('-', "_"), rest)
    };
    let module = rest.trim_end_matches(".rs");
    let module = if module == "lib" {
        ""
    } else {
        module.trim_end_matches("/mod")
    };
    let mut out = krate;
    for part in module.split('/').filter(|p| !p.is_empty()) {
        out.push_str("::");
        out.push_str(part);
    }
    Some(out)
}

/// Whether a frame is where user space enters the kernel (syscall, interrupt, exception, or a
/// kernel thread's start): every frame leafward of it is kernel code.
pub fn is_kernel_entry(name: &str) -> bool {
    KERNEL_ENTRY.iter().any(|p| name.starts_with(p))
}

const KERNEL_ENTRY: &[&str] = &[
    "entry_SYSCALL",
    "entry_INT80",
    "do_syscall_64",
    "asm_exc_",
    "asm_sysvec_",
    "asm_common_interrupt",
    "ret_from_fork",
];

/// A C-level name without glibc's decorations: `__GI___lll_lock_wait` -> `lll_lock_wait`,
/// `pthread_mutex_lock@@GLIBC_2.2.5` -> `pthread_mutex_lock`, `unlink_chunk.constprop.0` ->
/// `unlink_chunk`.
fn plain_c_name(name: &str) -> &str {
    let name = name.split('@').next().unwrap_or(name);
    let name = name.strip_prefix("__GI_").unwrap_or(name);
    let name = name.trim_start_matches('_');
    match name.find('.') {
        Some(dot) if !name.contains("::") => &name[..dot],
        _ => name,
    }
}

/// The crate (first path segment) of a Rust or C++ name: `<rayon_core::latch::CountLatch as
/// rayon_core::latch::Latch>::set` -> `rayon_core`.
fn first_segment(name: &str) -> &str {
    let name = name.trim_start_matches('<').trim_start_matches('&');
    let name = name.strip_prefix("mut ").unwrap_or(name);
    let end = name.find("::").unwrap_or(name.len());
    &name[..end]
}

fn category_of_name(name: &str, plain: &str) -> Option<Category> {
    let krate = first_segment(name);
    let is_rust_path = name.contains("::");
    if is_rust_path {
        if let Some(c) = CRATES.iter().find(|(k, _)| *k == krate).map(|(_, c)| *c) {
            return Some(c);
        }
        // The function's own path decides, not its generic arguments:
        // `lock<HashMap<u64, u64, alloc::alloc::Global>>` is a lock, not allocation.
        let path = without_generic_args(name);
        if let Some(c) = RUST_PATHS
            .iter()
            .find(|(p, _)| path.contains(p))
            .map(|(_, c)| *c)
        {
            return Some(c);
        }
    }
    if let Some(c) = go_category(name) {
        return Some(c);
    }
    if ALLOC_EXACT.contains(&plain)
        || ALLOC_PREFIX.iter().any(|p| plain.starts_with(p))
        || RUST_ALLOC_SHIMS.iter().any(|s| name.ends_with(s))
    {
        return Some(Category::Allocation);
    }
    if LOCK_PREFIX.iter().any(|p| plain.starts_with(p)) {
        return Some(Category::Lock);
    }
    if COPY_PREFIX.iter().any(|p| plain.starts_with(p)) {
        return Some(Category::MemoryCopy);
    }
    if FORMAT_PREFIX.iter().any(|p| plain.starts_with(p)) {
        return Some(Category::Formatting);
    }
    if PARSE_PREFIX.iter().any(|p| plain.starts_with(p)) {
        return Some(Category::Serialization);
    }
    None
}

/// Go's runtime (from pprof profiles of Go programs): its allocator, its locks and its
/// memmove by name; the collector and scheduler are the runtime. `sync.(*Mutex).Lock` and
/// friends are locks.
fn go_category(name: &str) -> Option<Category> {
    if let Some(function) = name.strip_prefix("runtime.") {
        const ALLOC: &[&str] = &[
            "mallocgc",
            "newobject",
            "makeslice",
            "growslice",
            "newarray",
            "rawstring",
            "rawbyteslice",
            "(*mcache).",
            "(*mcentral).",
            "(*mheap).",
            "nextFreeFast",
            "memclrNoHeapPointers",
            "slicebytetostring",
            "concatstring",
        ];
        const LOCK: &[&str] = &[
            "lock2",
            "unlock2",
            "futex",
            "semacquire",
            "semrelease",
            "lock",
            "unlock",
        ];
        if ALLOC.iter().any(|p| function.starts_with(p)) {
            return Some(Category::Allocation);
        }
        if LOCK.iter().any(|p| function.starts_with(p)) {
            return Some(Category::Lock);
        }
        if function.starts_with("memmove") {
            return Some(Category::MemoryCopy);
        }
        return Some(Category::Runtime);
    }
    let lock = [
        "sync.(*Mutex).",
        "sync.(*RWMutex).",
        "sync.(*WaitGroup).Wait",
    ];
    lock.iter()
        .any(|p| name.starts_with(p))
        .then_some(Category::Lock)
}

/// `name` without the generic arguments that follow a name (`lock<T>` -> `lock`), keeping
/// qualified types (`<alloc::raw_vec::RawVec<u8>>::grow` -> `<alloc::raw_vec::RawVec>::grow`).
fn without_generic_args(name: &str) -> std::borrow::Cow<'_, str> {
    if !name.contains('<') {
        return name.into();
    }
    let mut out = String::with_capacity(name.len());
    let mut skipping = 0usize;
    let mut previous = ' ';
    for c in name.chars() {
        if skipping > 0 {
            match c {
                '<' => skipping += 1,
                '>' => skipping -= 1,
                _ => {}
            }
        } else if c == '<' && (previous.is_alphanumeric() || previous == '_') {
            skipping = 1;
        } else {
            out.push(c);
        }
        previous = c;
    }
    out.into()
}

fn category_of_module(module: &str) -> Option<Category> {
    let file = module.rsplit('/').next().unwrap_or(module);
    if interpreter_of_module(file).is_some() {
        return Some(Category::Runtime);
    }
    ALLOCATOR_MODULES
        .iter()
        .any(|m| file.starts_with(m))
        .then_some(Category::Allocation)
}

/// The language whose interpreter module `module` (a file name) is: `Python` for
/// `libpython3.11.so.1.0` or `python3.11`. Its code is the runtime, not the user's: the
/// user's code is the script it runs, which a native profile does not see by name.
pub fn interpreter_of_module(module: &str) -> Option<&'static str> {
    let file = module.rsplit('/').next().unwrap_or(module);
    INTERPRETERS
        .iter()
        .find(|(prefix, _)| {
            file.strip_prefix(prefix).is_some_and(|rest| {
                rest.is_empty()
                    || rest.starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-')
            })
        })
        .map(|(_, language)| *language)
}

/// Interpreter binaries and libraries, by file-name prefix (a version or `.so` follows).
const INTERPRETERS: &[(&str, &str)] = &[
    ("libpython", "Python"),
    ("python", "Python"),
    ("libruby", "Ruby"),
    ("ruby", "Ruby"),
    ("libperl", "Perl"),
    ("perl", "Perl"),
    ("libnode", "JavaScript"),
    ("node", "JavaScript"),
    ("php", "PHP"),
    ("liblua", "Lua"),
    ("lua", "Lua"),
    ("luajit", "Lua"),
];

/// The language of the code a profile's user frames are in, for advice that names its
/// idioms (`Vec::with_capacity` is no help in C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Language {
    /// Rust: its standard library's paths or symbols are on the stacks.
    Rust,
    /// C++: `std::` without Rust's markers, `operator new`, C++ sources.
    Cpp,
    /// C, or anything unrecognized.
    C,
    /// Go: its runtime's functions (`runtime.main`, `runtime.mallocgc`) are on the stacks.
    Go,
}

impl Language {
    /// Guess from function names and source files.
    pub fn of_profile(profile: &profview_model::Profile) -> Self {
        let mut cpp = false;
        for f in profile.functions() {
            let name = profile.string(f.name);
            if GO_MARKERS.contains(&name) {
                return Language::Go;
            }
            let rust = RUST_MARKERS.iter().any(|m| name.starts_with(m))
                || RUST_QUALIFIED_MARKERS.iter().any(|m| name.contains(m))
                || name.starts_with("__rust_");
            if rust {
                return Language::Rust;
            }
            cpp |=
                name.contains("std::") || name.starts_with("operator new") || name.contains("::~");
        }
        if cpp {
            Language::Cpp
        } else {
            Language::C
        }
    }
}

/// Functions only Go's runtime has.
const GO_MARKERS: &[&str] = &[
    "runtime.main",
    "runtime.goexit",
    "runtime.mallocgc",
    "runtime.mcall",
];
/// Paths only Rust's standard library has.
const RUST_MARKERS: &[&str] = &["core::", "alloc::", "std::rt::", "std::sys::"];
/// The same as the type of a trait method (`<alloc::vec::Vec<T> as Drop>::drop`).
const RUST_QUALIFIED_MARKERS: &[&str] = &["<core::", "<alloc::", "<std::rt::", "<std::sys::"];

fn is_kernel_lock(plain: &str) -> bool {
    KERNEL_LOCK_PREFIX.iter().any(|p| plain.starts_with(p))
}

fn is_idle(plain: &str) -> bool {
    IDLE.iter().any(|p| plain.starts_with(p))
}

fn is_transparent(name: &str, plain: &str, module: Option<&str>) -> bool {
    if name.contains("::") && TRANSPARENT_CRATES.contains(&first_segment(name)) {
        return true;
    }
    if TRANSPARENT_C.contains(&plain) {
        return true;
    }
    let file = module.map(|m| m.rsplit('/').next().unwrap_or(m));
    file.is_some_and(|f| SYSTEM_MODULES.iter().any(|m| f.starts_with(m)))
}

/// Crates whose frames are a category wherever they appear.
const CRATES: &[(&str, Category)] = &[
    ("rayon", Category::Runtime),
    ("rayon_core", Category::Runtime),
    ("crossbeam", Category::Runtime),
    ("crossbeam_deque", Category::Runtime),
    ("crossbeam_epoch", Category::Runtime),
    ("crossbeam_channel", Category::Runtime),
    ("crossbeam_utils", Category::Runtime),
    ("tokio", Category::Runtime),
    ("mio", Category::Runtime),
    ("async_std", Category::Runtime),
    ("async_executor", Category::Runtime),
    ("async_task", Category::Runtime),
    ("async_io", Category::Runtime),
    ("smol", Category::Runtime),
    ("futures_executor", Category::Runtime),
    ("glommio", Category::Runtime),
    ("actix_rt", Category::Runtime),
    ("parking_lot", Category::Lock),
    ("parking_lot_core", Category::Lock),
    ("lock_api", Category::Lock),
    ("spin", Category::Lock),
    ("jemallocator", Category::Allocation),
    ("tikv_jemallocator", Category::Allocation),
    ("mimalloc", Category::Allocation),
    ("serde", Category::Serialization),
    ("serde_json", Category::Serialization),
    ("serde_yaml", Category::Serialization),
    ("bincode", Category::Serialization),
    ("prost", Category::Serialization),
    ("rmp_serde", Category::Serialization),
    ("ciborium", Category::Serialization),
    ("simd_json", Category::Serialization),
    ("quick_xml", Category::Serialization),
    ("toml", Category::Serialization),
    ("nlohmann", Category::Serialization),
    ("rapidjson", Category::Serialization),
];

/// Paths inside std / core / alloc (or C++ std) that are a category.
const RUST_PATHS: &[(&str, Category)] = &[
    ("::sync::mutex::", Category::Lock),
    // std 1.84+ keeps Mutex, RwLock and Condvar under `sync::poison` / `sync::nonpoison`.
    ("::sync::poison::", Category::Lock),
    ("::sync::nonpoison::", Category::Lock),
    ("::sync::rwlock::", Category::Lock),
    ("::sync::condvar::", Category::Lock),
    ("::sync::once::", Category::Lock),
    ("::futex::", Category::Lock),
    ("std::mutex::", Category::Lock),
    ("std::condition_variable::", Category::Lock),
    ("std::shared_mutex::", Category::Lock),
    ("alloc::alloc::", Category::Allocation),
    ("alloc::raw_vec::", Category::Allocation),
    ("std::alloc::", Category::Allocation),
    ("core::fmt::", Category::Formatting),
    ("alloc::fmt::", Category::Formatting),
    ("std::fmt::", Category::Formatting),
    ("as alloc::string::ToString>", Category::Formatting),
    ("as core::fmt::", Category::Formatting),
    ("std::io::Write::write_fmt", Category::Formatting),
    ("google::protobuf::", Category::Serialization),
];

/// Rust's global-allocator entry points (`__rustc::__rust_alloc` in newer toolchains).
const RUST_ALLOC_SHIMS: &[&str] = &[
    "__rust_alloc",
    "__rust_dealloc",
    "__rust_realloc",
    "__rust_alloc_zeroed",
];

/// glibc malloc and its internals, after [`plain_c_name`].
const ALLOC_EXACT: &[&str] = &[
    "malloc",
    "free",
    "cfree",
    "realloc",
    "calloc",
    "reallocarray",
    "posix_memalign",
    "aligned_alloc",
    "memalign",
    "valloc",
    "pvalloc",
    "sysmalloc",
    "systrim",
    "unlink_chunk",
    "operator new",
    "operator delete",
    "operator new[]",
    "operator delete[]",
];

const ALLOC_PREFIX: &[&str] = &[
    "int_malloc",
    "int_free",
    "int_realloc",
    "int_memalign",
    "libc_malloc",
    "libc_free",
    "libc_calloc",
    "libc_realloc",
    "libc_memalign",
    "malloc_",
    "tcache_",
    "je_",
    "rjem_",
    "mi_",
    "tc_malloc",
    "tc_free",
    "tcmalloc",
];

/// Allocator libraries: everything in them is allocation.
const ALLOCATOR_MODULES: &[&str] = &["libjemalloc", "libmimalloc", "libtcmalloc"];

const LOCK_PREFIX: &[&str] = &[
    "pthread_mutex_",
    "pthread_rwlock_",
    "pthread_cond_",
    "pthread_spin_",
    "pthread_barrier_",
    "lll_lock",
    "lll_unlock",
    "futex",
    "sem_wait",
    "new_sem_wait",
    "sem_post",
];

/// Kernel functions of the futex path (the sleeping side of every user-space lock).
const KERNEL_LOCK_PREFIX: &[&str] = &["futex", "do_futex", "x64_sys_futex", "x86_sys_futex"];

const IDLE: &[&str] = &[
    "default_idle",
    "cpu_idle",
    "do_idle",
    "intel_idle",
    "acpi_idle",
    "poll_idle",
    "native_safe_halt",
    "pv_native_safe_halt",
    "cpuidle_enter",
    "mwait_idle",
];

const COPY_PREFIX: &[&str] = &["memcpy", "memmove", "mempcpy", "wmemcpy", "wmemmove"];

const FORMAT_PREFIX: &[&str] = &[
    "vfprintf",
    "printf",
    "fprintf",
    "sprintf",
    "snprintf",
    "vsnprintf",
    "vsprintf",
    "vfprintf_internal",
    "printf_fp",
    "printf_positional",
    "std::ostream",
    "std::basic_ostream",
    "std::__ostream_insert",
    "std::num_put",
];

/// Text read into numbers and strings, counted with serialization: C's `strto*` and `scanf`,
/// and C++ stream extraction (each `>>` builds a sentry and looks up the locale's facets,
/// `__dynamic_cast` included, before `num_get` parses).
const PARSE_PREFIX: &[&str] = &[
    "strtod",
    "strtof",
    "strtold",
    "strtol",
    "strtoul",
    "strtoll",
    "strtoull",
    "strtoimax",
    "strtoumax",
    "sscanf",
    "vsscanf",
    "fscanf",
    "vfscanf",
    "isoc99_sscanf",
    "isoc99_fscanf",
    "isoc99_scanf",
    "std::basic_istream",
    "std::istream",
    "std::num_get",
    "std::getline",
    "std::operator>>",
];

/// Frames that create threads or tasks.
const SPAWN_C: &[&str] = &["pthread_create", "create_thread", "clone_internal"];
const SPAWN_RUST: &[&str] = &["::spawn", "inject_or_push", "std::thread::Builder::"];

/// Crates whose uncategorized frames are glue.
const TRANSPARENT_CRATES: &[&str] = &["std", "core", "alloc", "__rustc", "panic_unwind"];

/// C entry points and thread starts.
const TRANSPARENT_C: &[&str] = &[
    "start",
    "libc_start_main",
    "libc_start_call_main",
    "start_thread",
    "clone",
    "clone3",
    "thread_start",
];

/// System libraries: their uncategorized code is glue between user code and the kernel.
const SYSTEM_MODULES: &[&str] = &[
    "libc.so",
    "libc-",
    "libpthread",
    "ld-linux",
    "libgcc_s",
    "libstdc++",
    "libm.so",
    "libdl",
    "librt",
    "[vdso]",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn class(name: &str) -> FrameClass {
        classify(name, None, false)
    }

    #[test]
    fn glibc_names_are_recognized_through_their_aliases() {
        let lock = FrameClass::In(Category::Lock);
        assert_eq!(class("pthread_mutex_lock@@GLIBC_2.2.5"), lock);
        assert_eq!(class("__GI___pthread_mutex_unlock_usercnt"), lock);
        assert_eq!(class("__GI___lll_lock_wait"), lock);
        let alloc = FrameClass::In(Category::Allocation);
        assert_eq!(class("_int_malloc"), alloc);
        assert_eq!(class("cfree@GLIBC_2.2.5"), alloc);
        assert_eq!(class("unlink_chunk.constprop.0"), alloc);
        assert_eq!(class("malloc_consolidate"), alloc);
        assert_eq!(class("__rustc::__rust_alloc"), alloc);
        assert_eq!(
            class("__memmove_avx512_unaligned_erms"),
            FrameClass::In(Category::MemoryCopy)
        );
    }

    #[test]
    fn text_parsing_is_serialization() {
        let parse = FrameClass::In(Category::Serialization);
        assert_eq!(class("__GI_____strtod_l_internal"), parse);
        assert_eq!(class("__isoc99_sscanf"), parse);
        assert_eq!(
            class("std::num_get<char, std::istreambuf_iterator<char, std::char_traits<char> > >::_M_extract_float"),
            parse
        );
        assert_eq!(
            class("std::basic_istream<char, std::char_traits<char> >::sentry::sentry"),
            parse
        );
        assert_eq!(class("std::istream::operator>>(double&)"), parse);
        assert_eq!(class("strlen"), FrameClass::User);
    }

    #[test]
    fn rust_paths_are_classified_by_crate_not_by_any_mention() {
        let runtime = FrameClass::In(Category::Runtime);
        assert_eq!(
            class("<rayon_core::latch::CountLatch as rayon_core::latch::Latch>::set"),
            runtime
        );
        assert_eq!(class("crossbeam_deque::deque::Stealer<T>::steal"), runtime);
        assert_eq!(
            class("<my_app::Job as rayon::iter::ParallelIterator>::drive"),
            FrameClass::User
        );
        assert_eq!(
            class("std::sys::sync::mutex::futex::Mutex::lock_contended"),
            FrameClass::In(Category::Lock)
        );
        assert_eq!(
            class("alloc::raw_vec::RawVec<T,A>::grow_one"),
            FrameClass::In(Category::Allocation)
        );
        assert_eq!(
            class("core::fmt::write"),
            FrameClass::In(Category::Formatting)
        );
        // Generic arguments name other crates' types; the function's own path decides.
        assert_eq!(
            class("std::sync::poison::mutex::lock<std::collections::hash::map::HashMap<u64, u64, alloc::alloc::Global>>"),
            FrameClass::In(Category::Lock)
        );
        assert_eq!(
            class("<alloc::raw_vec::RawVec<u8, alloc::alloc::Global>>::grow_one"),
            FrameClass::In(Category::Allocation)
        );
        assert_eq!(
            class("core::slice::sort::unstable::quicksort"),
            FrameClass::Transparent
        );
    }

    #[test]
    fn source_paths_give_the_module_of_bare_inlined_names() {
        assert_eq!(
            module_path_of_source(
                "/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/rayon-core-1.12.1/src/job.rs"
            )
            .as_deref(),
            Some("rayon_core::job")
        );
        assert_eq!(
            module_path_of_source("/rustc/abc/library/alloc/src/raw_vec/mod.rs").as_deref(),
            Some("alloc::raw_vec")
        );
        assert_eq!(
            module_path_of_source("/rustc/abc/library/std/src/sync/mutex.rs").as_deref(),
            Some("std::sync::mutex")
        );
        assert_eq!(
            module_path_of_source("/x/crossbeam-deque-0.8.5/src/lib.rs"),
            None,
            "not under a registry"
        );
        assert_eq!(module_path_of_source("src/main.rs"), None);
    }

    #[test]
    fn kernel_frames_split_into_futex_idle_and_the_rest() {
        assert_eq!(
            classify("futex_wait_setup", None, true),
            FrameClass::In(Category::Lock)
        );
        assert_eq!(
            classify("pv_native_safe_halt", None, true),
            FrameClass::In(Category::Idle)
        );
        assert_eq!(
            classify("clear_page_erms", None, true),
            FrameClass::In(Category::Kernel)
        );
    }

    #[test]
    fn system_libraries_are_glue_and_user_code_stops_the_walk() {
        assert_eq!(
            classify("qsort", Some("/usr/lib/x86_64-linux-gnu/libc.so.6"), false),
            FrameClass::Transparent
        );
        assert_eq!(
            classify("libc.so.6+0x1234", Some("libc.so.6"), false),
            FrameClass::Transparent
        );
        assert_eq!(class("hot_loop"), FrameClass::User);
        assert_eq!(class("main"), FrameClass::User);
        assert!(is_spawn("rayon_core::registry::Registry::inject_or_push"));
        assert!(is_spawn("pthread_create@@GLIBC_2.34"));
        assert!(!is_spawn(
            "<rayon_core::job::HeapJob<BODY> as rayon_core::job::Job>::execute"
        ));
        assert!(!is_spawn("hot_loop"));
    }
}
