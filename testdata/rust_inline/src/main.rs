//! Small Rust workloads for profview's inlining tests: each subcommand shows one pattern, in
//! code built the way Rust profiling guides say (release, debug info, frame pointers).
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let secs: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1.0);
    let run_for = Duration::from_secs_f64(secs);
    match args.get(1).map(String::as_str) {
        Some("hotspot") => hotspot(run_for),
        Some("diff-before") => pipeline(run_for, 40),
        Some("diff-after") => pipeline(run_for, 20),
        Some("mutex") => mutex(run_for),
        Some("alloc") => alloc(run_for),
        _ => eprintln!("usage: rustprof hotspot|diff-before|diff-after|mutex|alloc [seconds]"),
    }
}

// ---- hotspot: one function with std iterators and black_box takes ~3/4 of the time ----------

#[inline(never)]
fn find_matches(haystack: &[u8], needle: u8) -> usize {
    let mut count = 0usize;
    for (i, &b) in haystack.iter().enumerate() {
        if black_box(b).is_ascii_uppercase() && b == needle {
            count = count.wrapping_add(black_box(i));
        }
    }
    count
}

#[inline(never)]
fn checksum(data: &[u8]) -> u64 {
    data.chunks(8)
        .map(|c| c.iter().fold(0u64, |a, &b| a.rotate_left(5) ^ u64::from(b)))
        .fold(0, |a, b| a.wrapping_add(black_box(b)))
}

#[inline(never)]
fn fill(data: &mut [u8], seed: &mut u64) {
    for b in data.iter_mut() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *b = (*seed % 94 + 32) as u8;
    }
}

fn hotspot(run_for: Duration) {
    let start = Instant::now();
    let mut data = vec![0u8; 64 * 1024];
    let mut seed = 0x9e3779b97f4a7c15u64;
    let mut total = 0usize;
    while start.elapsed() < run_for {
        fill(&mut data, &mut seed);
        for _ in 0..40 {
            total = total.wrapping_add(find_matches(&data, b'Q'));
        }
        total = total.wrapping_add(checksum(&data) as usize);
    }
    println!("hotspot {total}");
}

// ---- diff pair: four stages; the "after" build does half the work in transform_records ------

// Inlined into every stage, so each stage's own symbol holds its cost (as perf reports it).
#[inline(always)]
fn spin(units: u32, salt: u64) -> u64 {
    let mut x = salt;
    for i in 0..units * 2000 {
        x = black_box(x.wrapping_mul(6364136223846793005).wrapping_add(u64::from(i)));
    }
    x
}

#[inline(never)]
fn parse_input(x: u64) -> u64 {
    spin(25, x)
}

#[inline(never)]
fn transform_records(x: u64, units: u32) -> u64 {
    spin(units, x ^ 1)
}

#[inline(never)]
fn checksum_output(x: u64) -> u64 {
    spin(20, x ^ 2)
}

#[inline(never)]
fn emit_results(x: u64) -> u64 {
    spin(15, x ^ 3)
}

fn pipeline(run_for: Duration, transform_units: u32) {
    // The same number of requests in both builds, so absolute costs compare.
    let requests = (run_for.as_secs_f64() * 2000.0) as u64;
    let mut x = 1u64;
    for _ in 0..requests {
        x = parse_input(x);
        x = transform_records(x, transform_units);
        x = checksum_output(x);
        x = emit_results(x);
    }
    println!("pipeline {x}");
}

// ---- mutex: eight threads on one std::sync::Mutex --------------------------------------------

#[inline(never)]
fn update_shared(map: &Mutex<HashMap<u64, u64>>, key: u64) {
    let mut guard = map.lock().unwrap();
    *guard.entry(key % 64).or_insert(0) += 1;
}

#[inline(never)]
fn local_work(x: u64) -> u64 {
    let mut y = x;
    for _ in 0..20 {
        y = black_box(y.rotate_left(7) ^ 0x5555);
    }
    y
}

fn mutex(run_for: Duration) {
    let map = Arc::new(Mutex::new(HashMap::new()));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let map = Arc::clone(&map);
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut x = t as u64;
                while start.elapsed() < run_for {
                    for _ in 0..100 {
                        x = local_work(x);
                        update_shared(&map, x);
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    println!("mutex {}", map.lock().unwrap().len());
}

// ---- alloc: Vec and String churn --------------------------------------------------------------

#[inline(never)]
fn build_records(n: usize, seed: u64) -> Vec<String> {
    let mut out = Vec::new();
    for i in 0..n {
        let mut s = String::new();
        s.push_str("record-");
        s.push_str(&(seed.wrapping_add(i as u64) % 1000).to_string());
        out.push(s);
    }
    out
}

#[inline(never)]
fn join_fields(records: &[String]) -> usize {
    let mut parts: Vec<Vec<u8>> = Vec::new();
    for r in records {
        let mut v = Vec::new();
        v.extend_from_slice(r.as_bytes());
        parts.push(v);
    }
    parts.iter().map(Vec::len).sum()
}

fn alloc(run_for: Duration) {
    let start = Instant::now();
    let mut total = 0usize;
    let mut seed = 7u64;
    while start.elapsed() < run_for {
        let records = build_records(black_box(200), seed);
        total = total.wrapping_add(join_fields(&records));
        seed = seed.wrapping_add(13);
    }
    println!("alloc {total}");
}
