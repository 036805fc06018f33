//! A generic interner: a `Vec` of values plus a map from value to its index.

use rustc_hash::FxHashMap;
use std::collections::hash_map::Entry;
use std::hash::Hash;

/// Stores each distinct value once and hands out its index.
#[derive(Debug, Clone)]
pub(crate) struct Interner<T> {
    values: Vec<T>,
    // Keys are small ids and strings hashed millions of times: Fx beats SipHash several-fold,
    // and nothing here is exposed to adversarial collisions worth the cost.
    index: FxHashMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            index: FxHashMap::default(),
        }
    }
}

impl<T: Hash + Eq + Clone> Interner<T> {
    /// The index of `value`, adding it if it is new.
    pub(crate) fn intern(&mut self, value: T) -> usize {
        // One hash and one probe, found or not: stacks are interned millions of times.
        match self.index.entry(value) {
            Entry::Occupied(e) => *e.get() as usize,
            Entry::Vacant(e) => {
                let i = self.values.len();
                let i32 = u32::try_from(i).expect("interner larger than u32::MAX entries");
                self.values.push(e.key().clone());
                e.insert(i32);
                i
            }
        }
    }
}

impl<T> Interner<T> {
    pub(crate) fn values(&self) -> &[T] {
        &self.values
    }
}
