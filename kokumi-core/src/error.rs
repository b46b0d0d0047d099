//! The crate's error type.

/// Everything that can go wrong in `kokumi-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
