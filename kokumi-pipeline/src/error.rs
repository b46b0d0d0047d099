//! The crate's error type: one variant per way a stage of the pipeline can fail.

use std::path::{Path, PathBuf};

use crate::record::Kind;

/// A boxed error from another crate, kept as the `source` of ours.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong in `kokumi-pipeline`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file of the state directory (or a local source) failed.
    #[error("cannot access {path}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },

    /// A state file exists but is not a valid object; every other file is untouched.
    #[error("state file {path} is damaged: {message}")]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// The line the problem is on, when known (1-based).
        line: Option<usize>,
        /// What is wrong with it.
        message: String,
    },

    /// An object could not be serialised.
    #[error("cannot encode {what}: {message}")]
    Encode {
        /// Which object.
        what: String,
        /// Why.
        message: String,
    },

    /// A name that is not a valid Kubernetes object name.
    #[error("invalid {kind} name {name:?}: {reason}")]
    InvalidName {
        /// The kind of object named.
        kind: Kind,
        /// The rejected name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A referenced object does not exist.
    #[error("{} {name:?} not found", kind.as_str().to_ascii_lowercase())]
    NotFound {
        /// Its kind.
        kind: Kind,
        /// Its name.
        name: String,
    },

    /// The Order names a Menu that does not exist.
    #[error("order {order:?} references menu {menu:?}, which does not exist")]
    UnknownMenu {
        /// The Order.
        order: String,
        /// The missing Menu.
        menu: String,
    },

    /// The Order names a Recipe that does not exist.
    #[error("order {order:?} references recipe {recipe:?}, which does not exist")]
    UnknownRecipe {
        /// The Order.
        order: String,
        /// The missing Recipe.
        recipe: String,
    },

    /// The Order (or its Menu) names a Pantry that does not exist.
    #[error("order {order:?} references pantry {pantry:?}, which does not exist")]
    UnknownPantry {
        /// The Order.
        order: String,
        /// The missing Pantry.
        pantry: String,
    },

    /// The Order is not complete or not consistent (before anything is fetched).
    #[error("order {order:?} is invalid: {reason}")]
    InvalidOrder {
        /// The Order.
        order: String,
        /// What is wrong.
        reason: String,
    },

    /// The Order overrides something its Menu does not allow. `report` lists every violation.
    #[error("order {order:?} violates the override policy of menu {menu:?}:\n{report}")]
    PolicyViolation {
        /// The Order.
        order: String,
        /// The Menu whose policy is violated.
        menu: String,
        /// Number of violations.
        count: usize,
        /// The full, human-readable report.
        report: String,
    },

    /// The source could not be fetched (registry unreachable, tag missing, file missing…).
    #[error("source {source_ref} is unavailable")]
    SourceUnavailable {
        /// The source as written in the Order.
        source_ref: String,
        /// Why.
        #[source]
        source: BoxError,
    },

    /// The source was fetched but is not what the Order asked for (wrong kind, wrong version).
    #[error("source {source_ref} is not usable: {reason}")]
    SourceInvalid {
        /// The source as written in the Order.
        source_ref: String,
        /// What is wrong.
        reason: String,
    },

    /// Rendering failed; the source error names the template file and line.
    #[error("rendering order {order:?} failed")]
    Render {
        /// The Order.
        order: String,
        /// The renderer's error (with file and line).
        #[source]
        source: BoxError,
    },

    /// The rendered output is not valid Kubernetes YAML.
    #[error("the output rendered for order {order:?} is not valid YAML")]
    Documents {
        /// The Order.
        order: String,
        /// The parser's error (with document index and line).
        #[source]
        source: BoxError,
    },

    /// A patch or edit could not be applied (it matches nothing, or an op failed).
    #[error("patching the output of order {order:?} failed")]
    Patch {
        /// The Order.
        order: String,
        /// Which patch, target and path.
        #[source]
        source: BoxError,
    },

    /// The rendered images break the Recipe's image policy. `report` lists every violation.
    #[error(
        "the output of order {order:?} breaks the image policy of recipe {recipe:?}:\n{report}"
    )]
    ImagePolicy {
        /// The Order.
        order: String,
        /// The Recipe.
        recipe: String,
        /// The full report.
        report: String,
    },

    /// Packing the artifact failed.
    #[error("packing the artifact of order {order:?} failed")]
    Pack {
        /// The Order.
        order: String,
        /// Why.
        #[source]
        source: BoxError,
    },

    /// Pushing the artifact to its destination failed.
    #[error("pushing the artifact of order {order:?} to {destination} failed")]
    Push {
        /// The Order.
        order: String,
        /// The destination store.
        destination: String,
        /// Why.
        #[source]
        source: BoxError,
    },

    /// Reading a Preparation's artifact back failed.
    #[error("reading artifact {digest} of preparation {preparation:?} failed")]
    Artifact {
        /// The Preparation.
        preparation: String,
        /// Its artifact digest.
        digest: String,
        /// Why.
        #[source]
        source: BoxError,
    },

    /// A promotion or rollback the current state does not allow (not Ready, wrong Order,
    /// nothing to roll back to…).
    #[error(transparent)]
    Promotion(#[from] kokumi_core::promotion::PromotionError),

    /// A lifecycle request that the current state does not allow (e.g. promoting a Preparation
    /// that is not Ready, rolling back with nothing to roll back to).
    #[error("{0}")]
    Lifecycle(String),
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
