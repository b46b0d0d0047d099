//! Shared test support: the real registry harness, the in-process bad registry, test images.
// Test support: panicking on setup failure is the point; these helpers are not test fns, so
// clippy's in-test allowances do not reach them.
#![allow(
    unreachable_pub,
    dead_code,
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr
)]
pub mod bad_registry;
pub mod images;
pub mod registry;
