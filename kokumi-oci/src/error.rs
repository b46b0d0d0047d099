//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong in `kokumi-oci`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reference string (`oci://…`, `oci-layout:…`) could not be parsed.
    #[error("invalid reference `{input}`: {reason}")]
    InvalidReference {
        /// The text as given.
        input: String,
        /// Which part is wrong, and why.
        reason: String,
    },
    /// A digest string is not a valid `sha256:<64 lowercase hex>` digest: malformed, or another
    /// algorithm such as `sha512:` (which Kokumi does not support; the message names the digest).
    #[error(transparent)]
    InvalidDigest(#[from] kokumi_core::digest::DigestError),
    /// Content did not hash to the digest it was fetched or stored under.
    #[error("digest mismatch for {what}: expected {expected}, got {actual}")]
    DigestMismatch {
        /// What was being verified (a blob, a manifest, a path).
        what: String,
        /// The digest that was asked for.
        expected: String,
        /// The digest of the bytes actually received.
        actual: String,
    },
    /// Content did not have the size it was announced with.
    #[error("size mismatch for {what}: expected {expected} bytes, got {actual}")]
    SizeMismatch {
        /// What was being verified.
        what: String,
        /// The announced size.
        expected: u64,
        /// The number of bytes actually received (a lower bound when reading stopped early).
        actual: u64,
    },
    /// Content was larger than a configured limit.
    #[error("{what} exceeds the limit of {limit} bytes")]
    TooLarge {
        /// What grew too large (a blob, an extracted layer, a manifest).
        what: String,
        /// The limit in bytes.
        limit: u64,
    },
    /// A tag, digest, manifest or blob does not exist in the store.
    #[error("{what} not found in {location}")]
    NotFound {
        /// What was looked up (e.g. `tag v1`, `blob sha256:…`).
        what: String,
        /// The store that was searched.
        location: String,
    },
    /// A filesystem operation failed.
    #[error("{op} {path}")]
    Io {
        /// What was being done (`reading`, `writing`, `renaming`, `locking`, …).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An I/O error on a stream that has no path (a blob being copied, a pipe).
    #[error("{what}")]
    Stream {
        /// What was being read or written.
        what: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A JSON document (index.json, a manifest, a config) is malformed.
    #[error("invalid JSON in {what}")]
    Json {
        /// Which document, and where it came from.
        what: String,
        /// The parser's error (it carries line and column).
        #[source]
        source: serde_json::Error,
    },
    /// A document is valid JSON but not what the OCI specifications (or we) require.
    #[error("invalid {what}: {reason}")]
    Invalid {
        /// Which document or field.
        what: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A directory is not an OCI image layout (missing or wrong `oci-layout` file).
    #[error("{path} is not an OCI image layout: {reason}")]
    NotALayout {
        /// The directory.
        path: PathBuf,
        /// Why it is not accepted.
        reason: String,
    },
    /// An archive entry is unsafe or unsupported (absolute path, `..`, link, device, …).
    #[error("unsafe archive entry `{entry}`: {reason}")]
    UnsafeEntry {
        /// The entry's path as written in the archive.
        entry: String,
        /// Why it was refused.
        reason: String,
    },
    /// An artifact does not have the shape we expected (media types, layer count, files).
    #[error("unsupported artifact: {reason}")]
    UnsupportedArtifact {
        /// What did not match.
        reason: String,
    },
    /// The operation is not supported by this kind of store.
    #[error("{op} is not supported by {location}")]
    Unsupported {
        /// The operation.
        op: &'static str,
        /// The store.
        location: String,
    },
    /// A docker `config.json`, a `.dockerconfigjson` Secret or a credential helper's answer is
    /// malformed.
    #[error("invalid credentials in {what}: {reason}")]
    Credentials {
        /// Where the credentials came from (a file path, a Secret, a helper name).
        what: String,
        /// What is wrong, and where in the document.
        reason: String,
    },
    /// A `docker-credential-<name>` helper could not be run or failed.
    #[error("credential helper `docker-credential-{helper}` failed for {server}: {reason}")]
    CredentialHelper {
        /// The helper's name (the part after `docker-credential-`).
        helper: String,
        /// The registry host asked about.
        server: String,
        /// What went wrong (exit status and stderr, or the spawn error).
        reason: String,
    },
    /// The registry refused our credentials (or asked for some we do not have).
    #[error("{op} on {location}: unauthorized ({reason})")]
    Unauthorized {
        /// What was being done.
        op: String,
        /// The registry repository (`oci://host/repo`).
        location: String,
        /// The registry's answer.
        reason: String,
    },
    /// A registry request failed: an unexpected status, a protocol violation, a timeout or a
    /// broken connection (after the configured retries).
    #[error("{op} on {location} failed")]
    Registry {
        /// What was being done (`pushing blob sha256:…`, `resolving tag v1`, …).
        op: String,
        /// The registry repository (`oci://host/repo`).
        location: String,
        /// The underlying transport or protocol error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// Builds an [`Error::Io`] for `op` on `path`.
    pub fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
