use criterion::{criterion_group, criterion_main, Criterion};
use pprof::criterion::{Output, PProfProfiler};
use std::hint::black_box;

fn benches(c: &mut Criterion) {
    c.bench_function("parse", |b| b.iter(|| critbench::parse_numbers(black_box(2000))));
    let data = vec![7u8; 4096];
    c.bench_function("checksum", |b| b.iter(|| critbench::checksum(black_box(&data), 8)));
}

criterion_group! {
    name = work;
    config = Criterion::default().with_profiler(PProfProfiler::new(999, Output::Protobuf));
    targets = benches
}
criterion_main!(work);
