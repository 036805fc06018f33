//! Interned strings.

use rustc_hash::FxHashMap;
use std::sync::Arc;

use crate::StringId;

/// Every name in a profile (functions, files, modules, threads) is stored here once.
///
/// The map and the table share one allocation per string (`Arc<str>`).
#[derive(Debug, Clone, Default)]
pub struct StringTable {
    strings: Vec<Arc<str>>,
    index: FxHashMap<Arc<str>, StringId>,
}

impl StringTable {
    /// The id of `s`, adding it if it is new.
    pub fn intern(&mut self, s: &str) -> StringId {
        if let Some(&id) = self.index.get(s) {
            return id;
        }
        let id = StringId::from_index(self.strings.len());
        let shared: Arc<str> = Arc::from(s);
        self.strings.push(Arc::clone(&shared));
        self.index.insert(shared, id);
        id
    }

    /// The id of `s` if it was interned before.
    pub fn lookup(&self, s: &str) -> Option<StringId> {
        self.index.get(s).copied()
    }

    /// The string behind `id`.
    ///
    /// # Panics
    /// If `id` comes from another table.
    pub fn get(&self, id: StringId) -> &str {
        &self.strings[id.index()]
    }

    /// Number of distinct strings.
    pub fn len(&self) -> usize {
        self.strings.len()
    }

    /// True if no string was interned.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty()
    }
}
