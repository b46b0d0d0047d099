//! Integration tests of `kokumi-core`, one binary; each topic is a module.

// Test helpers outside `#[test]` functions may unwrap and panic: a failure is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod crd;
mod digest;
mod document;
mod merge;
mod no_io;
mod patch;
mod policy;
mod samples;
