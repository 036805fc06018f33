//! A generic interner: a `Vec` of values plus a map from value to its index.

use std::collections::HashMap;
use std::hash::Hash;

/// Stores each distinct value once and hands out its index.
#[derive(Debug, Clone)]
pub(crate) struct Interner<T> {
    values: Vec<T>,
    index: HashMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T: Hash + Eq + Clone> Interner<T> {
    /// The index of `value`, adding it if it is new.
    pub(crate) fn intern(&mut self, value: T) -> usize {
        if let Some(&i) = self.index.get(&value) {
            return i as usize;
        }
        let i = self.values.len();
        let i32 = u32::try_from(i).expect("interner larger than u32::MAX entries");
        self.values.push(value.clone());
        self.index.insert(value, i32);
        i
    }

    pub(crate) fn get(&self, value: &T) -> Option<usize> {
        self.index.get(value).map(|&i| i as usize)
    }
}

impl<T> Interner<T> {
    pub(crate) fn values(&self) -> &[T] {
        &self.values
    }
}
