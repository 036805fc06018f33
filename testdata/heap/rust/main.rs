//! A Rust program with the three heap behaviours of heap.c, profiled by the `dhat` crate:
//! a leak, temporary churn, and a cache that holds the peak.

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[inline(never)]
fn leak_config() {
    for i in 0..100u8 {
        // black_box: without a custom allocator, LLVM removes an allocation never used.
        std::mem::forget(std::hint::black_box(vec![i; 1000]));
    }
}

#[inline(never)]
fn format_line(i: usize) -> usize {
    format!("line {i}").len()
}

#[inline(never)]
fn grow_cache(n: usize) -> Vec<u32> {
    let mut cache = Vec::new();
    for i in 0..n {
        cache.push(i as u32);
    }
    cache
}

fn main() {
    let _profiler = dhat::Profiler::new_heap();
    leak_config();
    let total: usize = (0..20_000).map(format_line).sum();
    let cache = grow_cache(1 << 20);
    println!("{total} {}", cache[7]);
}
