//! Patches applied to rendered documents: kokumi `set`, RFC 6902 JSON Patch, RFC 7386 merge patch.
//!
//! A [`Patch`] is one entry of `spec.patches` / `spec.edits` (and of a Menu's `spec.patches`):
//! a [`PatchTarget`] selecting documents plus exactly one operation.
//!
//! ```yaml
//! - target: {kind: Deployment, name: podinfo}
//!   set:
//!     .spec.replicas: "2"
//!     .metadata.labels["app.kubernetes.io/part-of"]: shop
//! - target: {kind: ConfigMap, name: settings}
//!   jsonPatch:
//!     - {op: remove, path: /data/debug}
//! - target: {kind: Service, labelSelector: {matchLabels: {app: web}}}
//!   mergePatch: {spec: {type: NodePort}}
//! ```
//!
//! The types live here; applying them is in [`apply`] and the `set` path syntax in [`path`].

pub mod apply;
pub mod path;

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use apply::{
    PatchContext, PatchError, PatchErrorKind, PatchOrigin, apply_patches, apply_patches_in_order,
    matches_target,
};
pub use path::{FieldPath, PathError, PathSegment, SetError};

/// One patch: which documents it targets and what it does to them.
///
/// Exactly one of `set`, `jsonPatch` and `mergePatch` is given (checked by a CEL rule on the
/// CRD and by [`Patch::operation`]).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "[has(self.set), has(self.jsonPatch), has(self.mergePatch)].filter(x, x).size() == 1",
    "message": "exactly one of set, jsonPatch or mergePatch must be given"
}]))]
pub struct Patch {
    /// Which rendered documents the patch applies to. Every patch must match at least one.
    pub target: PatchTarget,

    /// Field path → value. Paths use upstream Kokumi's syntax (`.spec.replicas`,
    /// `.spec.template.spec.containers[0].image`) plus quoted segments for keys with dots
    /// (`.metadata.labels["app.kubernetes.io/name"]`). Missing maps are created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "set_schema")]
    pub set: Option<BTreeMap<String, Value>>,

    /// RFC 6902 JSON Patch operations, applied atomically to each matched document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_patch: Option<Vec<JsonPatchOperation>>,

    /// RFC 7386 JSON Merge Patch (`null` deletes a key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_schema")]
    pub merge_patch: Option<Value>,
}

/// The one operation of a [`Patch`], borrowed.
#[derive(Clone, Copy, Debug, PartialEq)]
#[non_exhaustive]
pub enum PatchOperation<'a> {
    /// kokumi `set`: path → value.
    Set(&'a BTreeMap<String, Value>),
    /// RFC 6902 operations.
    JsonPatch(&'a [JsonPatchOperation]),
    /// RFC 7386 merge patch.
    MergePatch(&'a Value),
}

impl Patch {
    /// The patch's single operation, or `None` when it has zero or several.
    pub fn operation(&self) -> Option<PatchOperation<'_>> {
        match (&self.set, &self.json_patch, &self.merge_patch) {
            (Some(set), None, None) => Some(PatchOperation::Set(set)),
            (None, Some(ops), None) => Some(PatchOperation::JsonPatch(ops)),
            (None, None, Some(mp)) => Some(PatchOperation::MergePatch(mp)),
            _ => None,
        }
    }

    /// A `set` patch on `target` (convenience for code and tests).
    pub fn set<K: Into<String>>(
        target: PatchTarget,
        entries: impl IntoIterator<Item = (K, Value)>,
    ) -> Self {
        Self {
            target,
            set: Some(entries.into_iter().map(|(k, v)| (k.into(), v)).collect()),
            ..Self::default()
        }
    }

    /// A JSON Patch on `target`.
    pub fn json_patch(target: PatchTarget, ops: Vec<JsonPatchOperation>) -> Self {
        Self {
            target,
            json_patch: Some(ops),
            ..Self::default()
        }
    }

    /// A merge patch on `target`.
    pub fn merge_patch(target: PatchTarget, patch: Value) -> Self {
        Self {
            target,
            merge_patch: Some(patch),
            ..Self::default()
        }
    }
}

/// Selects rendered documents. Every given field must match; an empty target matches all.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PatchTarget {
    /// API group (`apps`; empty string for the core group). Matched against `apiVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// API version (`v1`), matched against the version part of `apiVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Resource kind (`Deployment`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `metadata.name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `metadata.namespace`; a document without a namespace matches only an empty string here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Kubernetes label selector over `metadata.labels`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_selector: Option<LabelSelector>,
}

impl PatchTarget {
    /// A target naming a kind and a name, the common upstream shape.
    pub fn kind_name(kind: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            kind: Some(kind.into()),
            name: Some(name.into()),
            ..Self::default()
        }
    }
}

impl std::fmt::Display for PatchTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = Vec::new();
        match (&self.group, &self.version) {
            (Some(g), Some(v)) if g.is_empty() => parts.push(format!("apiVersion={v}")),
            (Some(g), Some(v)) => parts.push(format!("apiVersion={g}/{v}")),
            (Some(g), None) => parts.push(format!("group={g:?}")),
            (None, Some(v)) => parts.push(format!("version={v}")),
            (None, None) => {}
        }
        if let Some(k) = &self.kind {
            parts.push(format!("kind={k}"));
        }
        if let Some(n) = &self.name {
            parts.push(format!("name={n}"));
        }
        if let Some(ns) = &self.namespace {
            parts.push(format!("namespace={ns}"));
        }
        if let Some(sel) = &self.label_selector {
            parts.push(format!("labels({sel})"));
        }
        if parts.is_empty() {
            f.write_str("<all documents>")
        } else {
            f.write_str(&parts.join(" "))
        }
    }
}

/// A Kubernetes label selector (`matchLabels` AND `matchExpressions`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelector {
    /// Labels that must be present with exactly these values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub match_labels: BTreeMap<String, String>,
    /// Set-based requirements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl std::fmt::Display for LabelSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts: Vec<String> = self
            .match_labels
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        for e in &self.match_expressions {
            parts.push(match e.operator {
                LabelSelectorOperator::In => format!("{} in ({})", e.key, e.values.join(",")),
                LabelSelectorOperator::NotIn => {
                    format!("{} notin ({})", e.key, e.values.join(","))
                }
                LabelSelectorOperator::Exists => e.key.clone(),
                LabelSelectorOperator::DoesNotExist => format!("!{}", e.key),
            });
        }
        f.write_str(&parts.join(","))
    }
}

/// One set-based label requirement.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct LabelSelectorRequirement {
    /// The label key.
    pub key: String,
    /// How the key's value is compared with `values`.
    pub operator: LabelSelectorOperator,
    /// Values for `In` / `NotIn`; must be empty for `Exists` / `DoesNotExist`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// Operator of a [`LabelSelectorRequirement`] (Kubernetes spelling).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LabelSelectorOperator {
    /// The label's value is one of `values`.
    In,
    /// The label is absent or its value is not in `values`.
    NotIn,
    /// The label is present.
    Exists,
    /// The label is absent.
    DoesNotExist,
}

/// One RFC 6902 operation, in its JSON shape.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct JsonPatchOperation {
    /// The operation.
    pub op: JsonPatchOp,
    /// JSON Pointer (RFC 6901) of the location the operation works on.
    pub path: String,
    /// Source location for `move` and `copy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The value for `add`, `replace` and `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "preserve_unknown_schema")]
    pub value: Option<Value>,
}

/// RFC 6902 operation names.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum JsonPatchOp {
    /// Add a value (inserting into arrays, `-` appends).
    Add,
    /// Remove the value at `path`.
    Remove,
    /// Replace the existing value at `path`.
    Replace,
    /// Move the value at `from` to `path`.
    Move,
    /// Copy the value at `from` to `path`.
    Copy,
    /// Fail unless the value at `path` equals `value`.
    Test,
}

/// Schema of an arbitrary JSON value in a structural CRD.
pub(crate) fn preserve_unknown_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "x-kubernetes-preserve-unknown-fields": true
    })
}

/// Schema of `set`: an object of arbitrary values.
fn set_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "object",
        "description": "Field path → value, e.g. {\".spec.replicas\": 2}.",
        "additionalProperties": {"x-kubernetes-preserve-unknown-fields": true}
    })
}
