//! Kokumi's pure domain.
//!
//! This crate holds the API types (Order, Preparation, Serving, Menu, Recipe, Pantry), the Menu
//! override policy, Helm-style values merging, patches, manifest documents, canonical hashing and
//! digest identity, and the promotion decisions. It does no I/O: it takes values and returns
//! values or plans, which the other crates execute.

pub mod api;
pub mod digest;
pub mod document;
pub mod error;
pub mod merge;
pub mod patch;
pub mod policy;
pub mod promotion;

pub use error::{Error, Result};
