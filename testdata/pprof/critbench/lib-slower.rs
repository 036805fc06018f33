//! Two pieces of work for criterion to measure: parsing numbers and hashing bytes.

#[inline(never)]
pub fn parse_numbers(n: u64) -> u64 {
    (0..n)
        .map(|i| (i * 7).to_string().parse::<u64>().unwrap_or(0))
        .sum()
}

#[inline(never)]
pub fn checksum(data: &[u8], rounds: u32) -> u64 {
    let mut sum = 0xcbf29ce484222325u64;
    for _ in 0..rounds {
        for &b in data {
            sum = (sum ^ u64::from(b)).wrapping_mul(0x100000001b3);
        }
        sum = validate(data, sum);
    }
    sum
}

/// The slower version's extra pass over the data (the "after" of the diff tests).
#[inline(never)]
pub fn validate(data: &[u8], seed: u64) -> u64 {
    let mut x = seed;
    for &b in data {
        x = x.rotate_left(5) ^ u64::from(b).wrapping_mul(0x9e3779b97f4a7c15);
    }
    x
}
