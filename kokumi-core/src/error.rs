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
    /// A digest string is malformed.
    #[error(transparent)]
    Digest(#[from] crate::digest::DigestError),
    /// A manifest document stream could not be read.
    #[error(transparent)]
    Document(#[from] crate::document::DocumentError),
    /// A patch could not be applied to the rendered documents.
    #[error(transparent)]
    Patch(#[from] crate::patch::PatchError),
    /// A field path does not parse.
    #[error(transparent)]
    Path(#[from] crate::patch::PathError),
    /// An Order overrides what its Menu's policy does not allow.
    #[error(transparent)]
    Policy(#[from] crate::policy::PolicyError),
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
