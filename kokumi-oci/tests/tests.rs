//! kokumi-oci integration tests (one binary; topic files below).

// Helpers in test files are not `#[test]` fns, so clippy's in-test allowances miss them; a
// failed setup step should panic loudly here.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

mod artifact;
mod artifact_extract;
mod bad_registry;
mod copy;
mod interop;
mod interop_helm;
mod layout;
mod referrers;
mod registry;
mod source;
