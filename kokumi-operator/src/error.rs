//! The operator's error type.

/// Everything that can go wrong in `kokumi-operator`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A request to the Kubernetes API server failed.
    #[error("kubernetes api request failed: {context}")]
    Kube {
        /// What was being done.
        context: String,
        /// What the client or server said.
        #[source]
        source: kube::Error,
    },

    /// The release pipeline failed for an Order.
    #[error("pipeline failed")]
    Pipeline(#[from] kokumi_pipeline::Error),

    /// An object could not be encoded or decoded.
    #[error("cannot encode or decode {what}")]
    Serde {
        /// Which object.
        what: String,
        /// The serde error.
        #[source]
        source: serde_json::Error,
    },

    /// The Argo CD Application a Serving would manage belongs to someone else.
    #[error("application {namespace}/{name} is not managed by serving {serving}: {owner}")]
    ApplicationNotOwned {
        /// The Application's namespace.
        namespace: String,
        /// The Application's name.
        name: String,
        /// The Serving (`namespace/name`) that wanted it.
        serving: String,
        /// Who owns it instead.
        owner: String,
    },

    /// An object lacks something the controller needs (e.g. a Serving's Preparation).
    #[error("{0}")]
    Missing(String),

    /// The operator's configuration is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),

    /// Serving HTTP (metrics, health) failed.
    #[error("http server failed")]
    Http(#[source] std::io::Error),
}

impl Error {
    /// Wraps a kube error with what was being done.
    pub fn kube(context: impl Into<String>, source: kube::Error) -> Self {
        Self::Kube {
            context: context.into(),
            source,
        }
    }

    /// Whether retrying cannot help until something changes (policy violations, bad input,
    /// foreign Applications): such errors wait for a watch event instead of a timer.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Pipeline(e) => matches!(
                kokumi_pipeline::pipeline::failure_reason(e),
                "PolicyViolation"
                    | "InvalidOrder"
                    | "UnknownMenu"
                    | "UnknownRecipe"
                    | "UnknownPantry"
                    | "SourceInvalid"
                    | "RenderFailed"
                    | "PatchFailed"
                    | "ImagePolicyViolation"
            ),
            Self::ApplicationNotOwned { .. } | Self::Config(_) => true,
            _ => false,
        }
    }
}

/// `Result` with the operator's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
