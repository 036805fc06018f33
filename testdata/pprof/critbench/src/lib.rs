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
    }
    sum
}
