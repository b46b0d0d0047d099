//! The one release pipeline, shared by the `kokumi` CLI and the operator.
//!
//! placeholder docs
pub mod artifact;
pub mod error;
pub mod lifecycle;
mod oci_source;
pub mod pipeline;
pub mod policy;
pub mod record;
pub mod render;
pub mod source;
pub mod state;

pub use error::{Error, Result};
