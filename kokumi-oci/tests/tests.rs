//! kokumi-oci integration tests (one binary; topic files below).

mod support;

mod layout;
mod registry;
