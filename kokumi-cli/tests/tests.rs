//! End-to-end tests of the `kokumi` CLI's local mode.

mod binary;
mod errors;
mod lifecycle;
mod oci;
mod output;
mod support;
