//! profview's analyses of a [`profview_model::Profile`]: top functions (self and total), and
//! (in later versions) call trees, transforms and findings.
//!
//! No I/O: the CLI, the TUI and library users all call into this crate and render the results
//! their own way.

mod functions;
mod stack_weights;

pub use functions::{FunctionGroups, FunctionStats, GroupIndex, SortBy, TopFunctions};
pub use stack_weights::StackWeights;
