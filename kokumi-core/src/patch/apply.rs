//! Applying [`Patch`]es to rendered documents.
//!
//! Order: Menu patches → Order patches → edits ([`apply_patches_in_order`]). Every patch must
//! match at least one document and every operation must succeed; otherwise the error names the
//! patch (list and index), its target, the document and the path. Nothing is skipped silently.

use std::fmt;

use serde_json::Value;

use super::path::{FieldPath, PathError, SetError, type_name};
use super::{
    JsonPatchOperation, LabelSelector, LabelSelectorOperator, Patch, PatchOperation, PatchTarget,
};
use crate::document::ResourceId;

/// Which list a patch came from (used in error messages).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PatchOrigin {
    /// The Menu's `spec.patches`.
    Menu,
    /// The Order's `spec.patches`.
    Order,
    /// The Order's `spec.edits` (UI edits).
    Edit,
}

impl fmt::Display for PatchOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Menu => "menu spec.patches",
            Self::Order => "order spec.patches",
            Self::Edit => "order spec.edits",
        })
    }
}

/// Context for matching targets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PatchContext {
    /// The namespace documents without `metadata.namespace` are rendered into (the Helm release
    /// namespace). A target's `namespace` matches such documents when it equals this.
    pub default_namespace: Option<String>,
}

/// A patch that could not be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{origin}[{index}] (target {target}){}: {kind}", self.document.as_ref().map(|d| format!(" on {d}")).unwrap_or_default())]
pub struct PatchError {
    /// The list the patch is in.
    pub origin: PatchOrigin,
    /// Its index in that list (0-based, as in `spec.patches[0]`).
    pub index: usize,
    /// The patch's target, as written.
    pub target: Box<PatchTarget>,
    /// The document being patched, when the failure is about one.
    pub document: Option<Box<ResourceId>>,
    /// What went wrong.
    pub kind: Box<PatchErrorKind>,
}

/// What went wrong with a patch.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PatchErrorKind {
    /// The patch has none or several of `set`, `jsonPatch`, `mergePatch`.
    #[error("exactly one of set, jsonPatch or mergePatch must be given")]
    Operation,
    /// The target selects no document.
    #[error("the target matches no rendered document")]
    NoMatch,
    /// A `set` path does not parse.
    #[error("set {path:?}: {source}")]
    Path {
        /// The path as written.
        path: String,
        /// The parse error.
        source: PathError,
    },
    /// A `set` entry could not be applied.
    #[error("set {path}: {source}")]
    Set {
        /// The path as written.
        path: String,
        /// Why.
        source: SetError,
    },
    /// A JSON Patch operation is malformed or failed.
    #[error("jsonPatch operation {operation} ({op} {path}): {message}")]
    JsonPatch {
        /// The index of the failing operation.
        operation: usize,
        /// The op name.
        op: String,
        /// The op's path.
        path: String,
        /// The json-patch crate's message.
        message: String,
    },
    /// A merge patch must be a map (a scalar would replace the whole document).
    #[error("mergePatch must be a map, found {found}")]
    MergePatchNotAMap {
        /// The type that was given.
        found: &'static str,
    },
}

/// Does `target` select `doc`?
pub fn matches_target(target: &PatchTarget, doc: &Value, ctx: &PatchContext) -> bool {
    let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let (group, version) = match api_version.rsplit_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    };
    let meta = doc.get("metadata");
    let field = |name: &str| meta.and_then(|m| m.get(name)).and_then(Value::as_str);
    if target.group.as_deref().is_some_and(|g| g != group) {
        return false;
    }
    if target.version.as_deref().is_some_and(|v| v != version) {
        return false;
    }
    if let Some(kind) = &target.kind
        && doc.get("kind").and_then(Value::as_str) != Some(kind.as_str())
    {
        return false;
    }
    if let Some(name) = &target.name
        && field("name") != Some(name.as_str())
    {
        return false;
    }
    if let Some(ns) = &target.namespace {
        let doc_ns = field("namespace")
            .or(ctx.default_namespace.as_deref())
            .unwrap_or("");
        if doc_ns != ns {
            return false;
        }
    }
    if let Some(sel) = &target.label_selector {
        let labels = meta.and_then(|m| m.get("labels"));
        if !selector_matches(sel, labels) {
            return false;
        }
    }
    true
}

fn selector_matches(sel: &LabelSelector, labels: Option<&Value>) -> bool {
    let label = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    sel.match_labels
        .iter()
        .all(|(k, v)| label(k) == Some(v.as_str()))
        && sel.match_expressions.iter().all(|e| {
            let value = label(&e.key);
            match e.operator {
                LabelSelectorOperator::In => value.is_some_and(|v| e.values.iter().any(|x| x == v)),
                LabelSelectorOperator::NotIn => {
                    value.is_none_or(|v| !e.values.iter().any(|x| x == v))
                }
                LabelSelectorOperator::Exists => value.is_some(),
                LabelSelectorOperator::DoesNotExist => value.is_none(),
            }
        })
}

/// A `set` patch with its paths parsed once.
enum Prepared<'a> {
    Set(Vec<(FieldPath, &'a String, &'a Value)>),
    JsonPatch(json_patch::Patch, &'a [JsonPatchOperation]),
    MergePatch(&'a Value),
}

fn prepare<'a>(patch: &'a Patch) -> Result<Prepared<'a>, PatchErrorKind> {
    match patch.operation().ok_or(PatchErrorKind::Operation)? {
        PatchOperation::Set(entries) => {
            let mut parsed = Vec::with_capacity(entries.len());
            for (path, value) in entries {
                let fp = FieldPath::parse(path).map_err(|source| PatchErrorKind::Path {
                    path: path.clone(),
                    source,
                })?;
                parsed.push((fp, path, value));
            }
            Ok(Prepared::Set(parsed))
        }
        PatchOperation::JsonPatch(ops) => {
            let mut converted = Vec::with_capacity(ops.len());
            for (i, op) in ops.iter().enumerate() {
                let json = serde_json::to_value(op).unwrap_or(Value::Null);
                let parsed: json_patch::PatchOperation =
                    serde_json::from_value(json).map_err(|e| PatchErrorKind::JsonPatch {
                        operation: i,
                        op: op_name(op),
                        path: op.path.clone(),
                        message: e.to_string(),
                    })?;
                converted.push(parsed);
            }
            Ok(Prepared::JsonPatch(json_patch::Patch(converted), ops))
        }
        PatchOperation::MergePatch(mp) => {
            if !mp.is_object() {
                return Err(PatchErrorKind::MergePatchNotAMap {
                    found: type_name(mp),
                });
            }
            Ok(Prepared::MergePatch(mp))
        }
    }
}

fn op_name(op: &JsonPatchOperation) -> String {
    serde_json::to_value(op.op)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn apply_one(prepared: &Prepared<'_>, doc: &mut Value) -> Result<(), PatchErrorKind> {
    match prepared {
        Prepared::Set(entries) => {
            for (fp, path, value) in entries {
                fp.set(doc, (*value).clone())
                    .map_err(|source| PatchErrorKind::Set {
                        path: (*path).clone(),
                        source,
                    })?;
            }
            Ok(())
        }
        Prepared::JsonPatch(patch, ops) => json_patch::patch(doc, patch).map_err(|e| {
            let operation = e.operation;
            let (op, path) = ops
                .get(operation)
                .map(|o| (op_name(o), o.path.clone()))
                .unwrap_or_default();
            PatchErrorKind::JsonPatch {
                operation,
                op,
                path,
                message: e.kind.to_string(),
            }
        }),
        Prepared::MergePatch(mp) => {
            json_patch::merge(doc, mp);
            Ok(())
        }
    }
}

/// Applies `patches` (all from one list, `origin`) to `docs`, in order.
///
/// Each patch is applied to every document its target selects. On error the documents may be
/// partly patched; callers discard them (a render either fully succeeds or fails).
pub fn apply_patches(
    docs: &mut [Value],
    patches: &[Patch],
    origin: PatchOrigin,
    ctx: &PatchContext,
) -> Result<(), PatchError> {
    for (index, patch) in patches.iter().enumerate() {
        let error = |document: Option<ResourceId>, kind| PatchError {
            origin,
            index,
            target: Box::new(patch.target.clone()),
            document: document.map(Box::new),
            kind: Box::new(kind),
        };
        let prepared = prepare(patch).map_err(|kind| error(None, kind))?;
        let mut matched = false;
        for doc in docs.iter_mut() {
            if !matches_target(&patch.target, doc, ctx) {
                continue;
            }
            matched = true;
            if let Err(kind) = apply_one(&prepared, doc) {
                return Err(error(Some(ResourceId::of(doc)), kind));
            }
        }
        if !matched {
            return Err(error(None, PatchErrorKind::NoMatch));
        }
    }
    Ok(())
}

/// Applies Menu patches, then Order patches, then edits.
pub fn apply_patches_in_order(
    docs: &mut [Value],
    menu: &[Patch],
    order: &[Patch],
    edits: &[Patch],
    ctx: &PatchContext,
) -> Result<(), PatchError> {
    apply_patches(docs, menu, PatchOrigin::Menu, ctx)?;
    apply_patches(docs, order, PatchOrigin::Order, ctx)?;
    apply_patches(docs, edits, PatchOrigin::Edit, ctx)
}
