//! The crate's error type.
//!
//! Messages follow helm's wording so a Helm user recognises them; [`Error::helm_message`] gives
//! the exact text `helm template` prints after `Error: `.

use crate::yaml::parse::YamlError;

/// Everything that can go wrong while loading or rendering a chart.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file of the chart could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The chart (directory or archive) is malformed: a bad `Chart.yaml`, a missing file, an
    /// archive that breaks the safety rules.
    #[error("{0}")]
    Load(String),
    /// A YAML document (values file, `Chart.yaml`) does not parse.
    #[error("{context}: {source}")]
    Yaml {
        /// Which document (`cannot load values.yaml`, a `-f` file, ...).
        context: String,
        /// The parse error, with its line.
        source: YamlError,
    },
    /// `Chart.yaml` lists a dependency that `charts/` does not hold.
    #[error(
        "an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: {0}"
    )]
    MissingDependencies(String),
    /// Processing `dependencies` (conditions, tags, aliases, import-values) failed.
    #[error("chart dependencies processing failed: {0}")]
    Dependencies(String),
    /// The chart is a library chart, which cannot be rendered on its own.
    #[error("library charts are not installable")]
    LibraryChart,
    /// The chart's `kubeVersion` constraint excludes the target Kubernetes version.
    #[error(
        "chart requires kubeVersion: {constraint} which is incompatible with Kubernetes {version}"
    )]
    KubeVersion {
        /// The constraint from `Chart.yaml`.
        constraint: String,
        /// The Kubernetes version rendered for.
        version: String,
    },
    /// The values do not satisfy a chart's `values.schema.json`.
    #[error(
        "values don't meet the specifications of the schema(s) in the following chart(s):\n{0}"
    )]
    Schema(String),
    /// A `--set` style expression or a values file is malformed.
    #[error("{0}")]
    Values(String),
    /// A template failed to parse or execute (the message is helm's).
    #[error("{0}")]
    Template(#[from] crate::template::Error),
    /// A rendered document is not YAML that helm could sort.
    #[error("YAML parse error on {path}: {message}")]
    ManifestYaml {
        /// The template the document came from.
        path: String,
        /// What the YAML or JSON decoder said.
        message: String,
    },
    /// An option is invalid (for example an unparsable `--kube-version`).
    #[error("{0}")]
    Invalid(String),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Whether helm reports this error after it created the release, in which case
    /// `helm template` appends `Use --debug flag to render out invalid YAML`.
    pub fn is_render_stage(&self) -> bool {
        matches!(
            self,
            Error::KubeVersion { .. } | Error::Template(_) | Error::ManifestYaml { .. }
        )
    }

    /// The text `helm template` prints after `Error: ` for this failure.
    pub fn helm_message(&self) -> String {
        if self.is_render_stage() {
            format!("{self}\n\nUse --debug flag to render out invalid YAML")
        } else {
            self.to_string()
        }
    }
}
