//! Integration tests: the fake API server itself, then the controllers' scenarios on it and,
//! when `KOKUMI_E2E_KUBECONFIG` names a cluster, the same scenarios on that cluster.

// Helpers in test files are not `#[test]` fns, so clippy's in-test allowances miss them; a
// failed setup step should panic loudly here, and skip notices go to stderr.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stderr,
    unreachable_pub
)]

mod application;
mod cluster;
mod e2e;
mod fake_api;
mod leader;
mod scenarios;
mod stand_in;
mod support;
