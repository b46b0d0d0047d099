//! End-to-end tests of the `kokumi` CLI's local mode.

// Tests may unwrap and panic (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::panic)]

mod binary;
mod destination;
mod errors;
mod helm_stderr;
mod lifecycle;
mod oci;
mod output;
mod progress;
mod schema_refs;
mod support;
