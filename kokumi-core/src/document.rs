//! Manifest documents: multi-document YAML in, [`serde_json::Value`] documents out, and back.
//!
//! - [`parse_documents`] reads a YAML stream (what `helm template` prints, or a bundle's
//!   `manifest.yaml`) into [`Document`]s, enforcing [`Limits`]: input and document size,
//!   nesting depth, and the number of nodes a document may expand to through aliases (so a
//!   "billion laughs" alias bomb fails fast instead of eating memory). Errors carry the document
//!   index and the line. Bad input never panics.
//! - [`ResourceId`] is a document's identity: group, version, kind, namespace, name.
//! - [`to_canonical_yaml`] writes documents in one stable spelling for artifacts.
//!
//! It does not read files, render templates or validate against Kubernetes schemas.
//!
//! ## Why these crates
//! Parsing uses [`saphyr_parser`], a maintained pure-Rust YAML 1.2 event parser (the successor
//! of `yaml-rust2`) that reports a span for every event. Building values from events ourselves
//! is what makes the limits and the positioned errors possible: serde-based loaders
//! (`serde_norway`, `serde_yaml`) expand aliases before we can count them and report positions
//! only for syntax errors. Plain scalars are resolved the way Kubernetes tooling (go-yaml v2
//! behind `sigs.k8s.io/yaml`) resolves them, YAML 1.1 style: `yes`/`no`/`on`/`off` are
//! booleans, `0x1f` and `0o17` are integers, `<<` merge keys work, non-string keys become
//! strings. Writing uses our own small emitter rather than a serde serialiser so the output
//! is fully specified: sorted keys, two-space indentation, list items not indented under
//! their key (kubectl/`toYaml` style), strings quoted whenever any YAML 1.1 or 1.2 reader
//! could take them for something else.
//!
//! ```
//! use kokumi_core::document::{Limits, ResourceId, parse_documents, to_canonical_yaml};
//!
//! let docs = parse_documents(
//!     "kind: ConfigMap\napiVersion: v1\nmetadata: {name: cfg}\ndata: {on: yes}\n---\n",
//!     &Limits::default(),
//! )
//! .unwrap();
//! assert_eq!(docs.len(), 1);
//! assert_eq!(ResourceId::of(&docs[0].value).to_string(), "v1 ConfigMap cfg");
//! let yaml = to_canonical_yaml(docs.iter().map(|d| &d.value));
//! assert_eq!(
//!     yaml,
//!     "---\napiVersion: v1\ndata:\n  \"true\": true\nkind: ConfigMap\nmetadata:\n  name: cfg\n"
//! );
//! ```

mod emit;
mod parse;

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use emit::{to_canonical_yaml, write_canonical_yaml};
pub use parse::{DocumentError, DocumentErrorKind, parse_documents, resolve_plain_scalar};

/// Limits applied by [`parse_documents`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted input, in bytes.
    pub max_input_bytes: usize,
    /// Largest accepted single document, in characters of source text.
    pub max_document_chars: usize,
    /// Deepest accepted nesting of maps and lists.
    pub max_depth: usize,
    /// Most nodes (scalars, maps, lists) a document may hold once aliases are expanded.
    pub max_nodes: usize,
}

impl Default for Limits {
    /// 64 MiB input, 16 Mi characters per document, depth 128, 2 million nodes.
    fn default() -> Self {
        Self {
            max_input_bytes: 64 << 20,
            max_document_chars: 16 << 20,
            max_depth: 128,
            max_nodes: 2_000_000,
        }
    }
}

/// One parsed document.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// Position in the stream (0-based), counting empty documents too.
    pub index: usize,
    /// 1-based line where the document's content starts.
    pub line: usize,
    /// The content.
    pub value: Value,
}

/// A resource's identity. Missing fields are empty strings / `None`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ResourceId {
    /// API group; empty for the core group.
    pub group: String,
    /// API version (`v1`).
    pub version: String,
    /// Kind.
    pub kind: String,
    /// `metadata.namespace`, if set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ResourceId {
    /// The identity of a document (fields that are missing or not strings are left empty).
    pub fn of(doc: &Value) -> Self {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_owned();
        let api_version = s(doc.get("apiVersion"));
        let (group, version) = match api_version.rsplit_once('/') {
            Some((g, v)) => (g.to_owned(), v.to_owned()),
            None => (String::new(), api_version),
        };
        let meta = doc.get("metadata");
        Self {
            group,
            version,
            kind: s(doc.get("kind")),
            namespace: meta
                .and_then(|m| m.get("namespace"))
                .and_then(Value::as_str)
                .map(str::to_owned),
            name: s(meta.and_then(|m| m.get("name"))),
        }
    }

    /// `group/version`, or `version` for the core group.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ", self.api_version(), self.kind)?;
        if let Some(ns) = &self.namespace {
            write!(f, "{ns}/")?;
        }
        f.write_str(&self.name)
    }
}
