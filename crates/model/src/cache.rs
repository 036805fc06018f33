//! Asking for memory ahead of its use.

/// Ask for the cache line holding `value` without waiting for it. A plain load would not do:
/// the processor retires in order, so a load of memory not yet cached holds up the work behind
/// it as surely as the access it was meant to spare.
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: a prefetch is a hint to the cache: it reads nothing into the program and
        // never faults, and the address is that of a live reference anyway.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(value).cast());
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
