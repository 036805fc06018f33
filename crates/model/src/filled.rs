//! Large tables that are added into at random places.

/// `n` copies of `value`, written out rather than left to the allocator.
///
/// `vec![0.0; n]` asks for zeroed memory, which the kernel maps to its shared zero page until
/// a page is written. A table then summed into with `+=` at random indexes reads each page
/// before writing it, and that first write copies the page and flushes it from the TLB of
/// every core running a thread of the process: an interrupt per core, a costly one in a
/// virtual machine (on a million distinct stacks, a third of the time of a `diff` after
/// loading). Written out first, each page takes one fault and no flush.
pub fn filled<T: Clone>(n: usize, value: T) -> Vec<T> {
    let mut v = Vec::with_capacity(n);
    v.resize(n, value);
    v
}

#[cfg(test)]
mod tests {
    #[test]
    fn filled_is_n_copies() {
        assert_eq!(super::filled(3, 0.5), vec![0.5; 3]);
        assert!(super::filled::<u32>(0, 7).is_empty());
    }
}
