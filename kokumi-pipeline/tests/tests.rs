//! Integration tests of the pipeline library.

// Tests may unwrap and panic (helpers outside #[test] fns included).
#![allow(clippy::unwrap_used, clippy::panic)]

mod observe;
mod pipeline;
mod state;
