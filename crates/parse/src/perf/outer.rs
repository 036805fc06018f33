//! The stacks of chains' outer parts by a 128-bit hash: a table of millions of entries on
//! large recordings, probed for nearly every new chain.
//!
//! Open addressing with linear probing in one array of slots, each holding its key, stack
//! and the generation it was written in: a probe is one cache line (a general hash map reads
//! a control byte and then, elsewhere, the entry: two), its place is known from the key alone
//! so it can be asked for ahead of the probe ([`OuterTable::prefetch`]), and forgetting
//! everything when the mappings change is one increment, not a pass over the table.

use profview_model::StackId;

use profview_model::prefetch;

#[derive(Clone, Copy, Default)]
struct Slot {
    key: [u64; 2],
    stack: u32,
    /// The table's generation when written; a slot of another is empty.
    generation: u32,
}

pub(super) struct OuterTable {
    slots: Vec<Slot>,
    /// Slots of the current generation.
    len: usize,
    /// Starts at 1: the zero-filled slots are empty.
    generation: u32,
}

impl Default for OuterTable {
    fn default() -> Self {
        Self {
            slots: vec![Slot::default(); 1024],
            len: 0,
            generation: 1,
        }
    }
}

impl OuterTable {
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The keys are hashes already: their low bits are the place.
    fn home(&self, key: [u64; 2]) -> usize {
        key[0] as usize & self.mask()
    }

    /// Ask for the slot `key` would be found in first.
    pub(super) fn prefetch(&self, key: [u64; 2]) {
        let slot = &self.slots[self.home(key)];
        prefetch(slot);
        // A slot of 24 bytes may end in the next cache line.
        prefetch(&slot.generation);
    }

    pub(super) fn get(&self, key: [u64; 2]) -> Option<StackId> {
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.generation != self.generation {
                return None;
            }
            if slot.key == key {
                return Some(StackId::from_index(slot.stack as usize));
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Remember `stack` for `key` (replacing what `key` had).
    pub(super) fn insert(&mut self, key: [u64; 2], stack: StackId) {
        // At most three quarters full, so that probes stay short and one always ends.
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
        }
        let mut i = self.home(key);
        loop {
            let slot = &mut self.slots[i];
            if slot.generation != self.generation {
                *slot = Slot {
                    key,
                    stack: stack.index() as u32,
                    generation: self.generation,
                };
                self.len += 1;
                return;
            }
            if slot.key == key {
                slot.stack = stack.index() as u32;
                return;
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Forget every entry.
    pub(super) fn clear(&mut self) {
        self.len = 0;
        self.generation += 1;
    }

    fn grow(&mut self) {
        let doubled = vec![Slot::default(); self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        let generation = self.generation;
        self.len = 0;
        for slot in old.into_iter().filter(|s| s.generation == generation) {
            self.insert(slot.key, StackId::from_index(slot.stack as usize));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Random inserts, lookups and clears agree with a hash map, through many growths; keys
    /// share their low bits often, so probes run long and wrap around the end.
    #[test]
    fn agrees_with_a_hash_map() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut table = OuterTable::default();
        let mut map: HashMap<[u64; 2], StackId> = HashMap::new();
        for round in 0..20_000u32 {
            let r = next();
            // Few distinct low bits: collisions on purpose.
            let key = [(r % 3000) | ((r & 0xff) << 40), r % 7];
            if round % 5000 == 4999 {
                table.clear();
                map.clear();
            }
            match r >> 60 {
                0..=7 => {
                    let stack = StackId::from_index((r >> 20) as usize % 100_000);
                    table.insert(key, stack);
                    map.insert(key, stack);
                }
                _ => assert_eq!(table.get(key), map.get(&key).copied(), "round {round}"),
            }
        }
        for (key, stack) in &map {
            assert_eq!(table.get(*key), Some(*stack));
        }
        assert_eq!(table.len, map.len());
    }
}
