#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

//! The domain's tests, in one test binary: one test per rule of the domain document, the
//! personal-data rules, and property tests of the lifecycle.

mod privacy;
mod rules;
mod state_machine;
mod ways_out;
