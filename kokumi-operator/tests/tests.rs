//! Integration tests: the fake API server itself, then the controllers' scenarios on it.

// Helpers in test files are not `#[test]` fns, so clippy's in-test allowances miss them; a
// failed setup step should panic loudly here, and skip notices go to stderr.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    unreachable_pub
)]

mod application;
mod e2e;
mod fake_api;
mod leader;
mod scenarios;
mod support;
