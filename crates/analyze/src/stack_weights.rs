//! Sample weights summed per stack: the input of every view.

use std::sync::OnceLock;

use profview_model::{Profile, StackId, WeightKindId};

use crate::paths::PathSums;

/// The weight of one kind summed per distinct stack (indexed by [`StackId::index`]).
///
/// Every view works on these sums instead of on samples: a profile has far fewer distinct
/// stacks than samples.
#[derive(Debug, Clone)]
pub struct StackWeights {
    weights: Vec<f64>,
    total: f64,
    /// The stack tree laid out for totals counted once per stack, made on first use: the
    /// function table and the findings each need it, often on two threads at once.
    sums: OnceLock<PathSums>,
}

impl StackWeights {
    /// Sum the samples of weight kind `kind`.
    pub fn new(profile: &Profile, kind: WeightKindId) -> Self {
        let weights = profile.weights_per_stack(kind);
        let total = weights.iter().sum();
        Self {
            weights,
            total,
            sums: OnceLock::new(),
        }
    }

    /// Weights already summed per stack (indexed by [`StackId::index`]).
    pub fn from_weights(weights: Vec<f64>) -> Self {
        let total = weights.iter().sum();
        Self {
            weights,
            total,
            sums: OnceLock::new(),
        }
    }

    /// The weight of samples whose stack is exactly `stack`.
    pub fn get(&self, stack: StackId) -> f64 {
        self.weights[stack.index()]
    }

    /// [`Self::get`], 0 for a stack added to the profile after these were summed.
    pub(crate) fn get_or_zero(&self, stack: StackId) -> f64 {
        self.weights.get(stack.index()).copied().unwrap_or(0.0)
    }

    /// Sum over all stacks.
    pub fn total(&self) -> f64 {
        self.total
    }

    /// The stack tree of `profile` (the profile these are the weights of) laid out with these
    /// weights, made once: a second caller, on another thread too, waits for the first.
    pub(crate) fn path_sums(&self, profile: &Profile) -> &PathSums {
        self.sums
            .get_or_init(|| PathSums::new(profile, &self.weights))
    }

    /// Stacks with a non-zero weight, with that weight.
    pub fn nonzero(&self) -> impl Iterator<Item = (StackId, f64)> + '_ {
        self.weights
            .iter()
            .enumerate()
            .filter(|(_, w)| **w != 0.0)
            .map(|(i, w)| (StackId::from_index(i), *w))
    }
}
