//! The real-registry harness, shared with the CLI's tests: see `kokumi_oci::testing`.
#![allow(unused_imports)]

pub use kokumi_oci::testing::*;
