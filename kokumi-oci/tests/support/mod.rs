//! Shared test support: the real registry harness, the in-process bad registry, test images.
#![allow(unreachable_pub, dead_code)]
pub mod bad_registry;
pub mod images;
pub mod registry;
