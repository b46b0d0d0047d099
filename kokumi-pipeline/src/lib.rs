//! The one release pipeline, shared by the `kokumi` CLI and the operator.
//!
//! placeholder docs
pub mod error;
pub mod record;
pub mod state;

pub use error::{Error, Result};
