//! Small state the app, the tabs and the drawing share: the functions table's sort, the
//! search, where a list was drawn, and which weight kinds a profile has.

use profview_model::{Profile, WeightKindId};

/// How the functions table is sorted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunctionSort {
    /// By self weight, heaviest first.
    SelfWeight,
    /// By total weight, heaviest first.
    Total,
    /// By name.
    Name,
}

/// The search prompt and the highlighted text.
#[derive(Debug, Clone, Default)]
pub struct Search {
    /// The text searched for.
    pub query: String,
    /// The prompt takes the typing.
    pub typing: bool,
}

impl Search {
    /// Whether `name` matches the query (case-insensitive); never with an empty query.
    pub fn matches(&self, name: &str) -> bool {
        !self.query.is_empty() && name.to_lowercase().contains(&self.query.to_lowercase())
    }
}

/// Where the list or tree of the current view was drawn, for mouse clicks: the screen row of
/// its first line and the index of the item shown there.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListGeometry {
    /// The screen row of the first item drawn.
    pub top: u16,
    /// The index of the first item drawn.
    pub first_index: usize,
    /// How many rows the list has on screen.
    pub rows: u16,
}

impl ListGeometry {
    /// The index of the item drawn on screen row `y`, when `y` is in the list.
    pub fn index_at(&self, y: u16) -> Option<usize> {
        if y < self.top || y >= self.top + self.rows {
            return None;
        }
        Some(self.first_index + usize::from(y - self.top))
    }
}

/// The weight kinds of `profile` with any weight, in its order.
pub fn weight_kinds(profile: &Profile) -> Vec<WeightKindId> {
    (0..profile.weight_kinds().len())
        .map(WeightKindId::from_index)
        .filter(|&k| profile.total_weight(k) > 0.0)
        .collect()
}
