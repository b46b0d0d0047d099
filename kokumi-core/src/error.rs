//! The crate's error type.

/// Everything that can go wrong in `kokumi-core`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Serialising something to YAML failed.
    #[error("cannot write {what} as yaml: {message}")]
    Yaml {
        /// What was being written, e.g. `CRD orders.delivery.kokumi.dev`.
        what: String,
        /// The serialiser's message.
        message: String,
    },
    /// A promotion request cannot be carried out.
    #[error(transparent)]
    Promotion(#[from] crate::promotion::PromotionError),
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
