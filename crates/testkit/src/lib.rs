//! What profview's tests, benchmarks and fuzz targets share, kept out of the product crates:
//! profiles built in code ([`synthetic`]) and the fuzz harnesses ([`fuzzing`]).
//!
//! `publish = false`: nothing here is part of profview's API.

#![warn(missing_docs)]

pub mod fuzzing;
pub mod synthetic;
