//! The `profview` binary. Everything lives in the `cli` module; this file only runs it.

mod cli;

fn main() -> std::process::ExitCode {
    map_large_blocks_apart();
    cli::main()
}

/// Have glibc give each allocation of 1 MB or more its own mapping, returned to the system when
/// freed. By default glibc raises that threshold to the largest block freed so far (up to
/// 32 MB), so once the stack and sample tables have grown a few times their old storage is
/// reused from the heap, which then stays as large as its high-water mark: reading a million
/// distinct stacks, 21 MB of a 223 MB peak held nothing. The perf reader recycles its
/// per-block buffers, so the fixed threshold costs it no mapping per block.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn map_large_blocks_apart() {
    // SAFETY: mallopt only changes the allocator's tuning; it is called before any other
    // thread exists, and an unknown parameter is refused with a return value, not undefined.
    #[allow(unsafe_code)]
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn map_large_blocks_apart() {}
