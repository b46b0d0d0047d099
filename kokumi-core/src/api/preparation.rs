//! `Preparation`: one immutable rendered artifact of an Order.
//!
//! Created by the pipeline, never by hand; its name is `<order>-<first 12 hex of the artifact
//! digest>` ([`crate::digest::preparation_name`]), its spec can never change (the CRD enforces
//! `self == oldSelf`). Deploying it, or rolling back to it, is a matter of pointing the Order's
//! [`Serving`](super::Serving) at it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::condition::{self, Conditions};
use super::{APPROVE_DEPLOY_LABEL, APPROVED_AT_ANNOTATION};
use crate::digest::Digest;

/// What was rendered, how, and where the result lives.
///
/// Every string has a maximum length so that the API server can bound the cost of the
/// `self == oldSelf` immutability rule.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Preparation",
    namespaced,
    status = "PreparationStatus",
    derive = "PartialEq",
    shortname = "prep",
    category = "kokumi",
    doc = "A Preparation: one immutable rendered artifact of an Order, named by its digest.",
    printcolumn(name = "Order", type_ = "string", json_path = ".spec.orderName"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        priority = 1
    ),
    printcolumn(name = "Digest", type_ = "string", json_path = ".spec.artifact.digest"),
    printcolumn(
        name = "Approved",
        type_ = "string",
        json_path = ".metadata.labels.delivery\\.kokumi\\.dev/approve-deploy"
    ),
    printcolumn(
        name = "Source",
        type_ = "string",
        json_path = ".spec.source.oci",
        priority = 1
    ),
    printcolumn(
        name = "Version",
        type_ = "string",
        json_path = ".spec.source.version",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "self == oldSelf",
    "message": "Preparation spec is immutable",
}]))]
pub struct PreparationSpec {
    /// Name of the Order this Preparation was rendered from (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub order_name: String,

    /// The source as referenced and as resolved.
    pub source: PreparationSource,

    /// The renderer that produced the documents.
    pub renderer: Renderer,

    /// Hash of the resolved render inputs (`ConfigInputs::config_hash`).
    #[schemars(length(max = 71))]
    pub config_hash: Digest,

    /// The pushed artifact.
    pub artifact: Artifact,

    /// Artifact digest of the previous Preparation of the same Order; absent for the first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 71))]
    pub parent_digest: Option<Digest>,

    /// Why this Preparation was made (stored as `org.opencontainers.image.description`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 512))]
    pub commit_message: Option<String>,
}

/// The source of a Preparation: the reference as written and the digest it resolved to.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PreparationSource {
    /// Repository URL, `oci://<registry>/<repository>`.
    #[schemars(length(min = 7, max = 2048), regex(pattern = r"^oci://.+"))]
    pub oci: String,

    /// The tag or version that was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub version: Option<String>,

    /// The digest `version` resolved to when this Preparation was rendered.
    #[schemars(length(max = 71))]
    pub base_digest: Digest,
}

/// The renderer that produced a Preparation.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Renderer {
    /// Renderer name, e.g. `kokumi-render`.
    #[schemars(length(min = 1, max = 64))]
    pub name: String,

    /// Renderer version; a different version may render differently.
    #[schemars(length(min = 1, max = 64))]
    pub version: String,

    /// How the source was turned into documents.
    pub render_type: RenderType,
}

/// How the source was turned into documents.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RenderType {
    /// A Helm chart rendered like `helm template`.
    Helm,
    /// A manifest bundle used as-is (patches still apply).
    Manifest,
}

/// The pushed artifact of a Preparation.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Artifact {
    /// Full reference with digest: `oci://<registry>/<repository>@sha256:<hex>`.
    #[schemars(
        length(min = 79, max = 2048),
        regex(pattern = r"^oci://.+@sha256:[a-f0-9]{64}$")
    )]
    pub oci_ref: String,

    /// The manifest digest of the artifact (what Argo CD's `targetRevision` is set to).
    #[schemars(length(max = 71))]
    pub digest: Digest,

    /// Whether a signature has been attached to the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed: Option<bool>,
}

/// What the pipeline reports about a Preparation.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PreparationStatus {
    /// `Ready` once the artifact is pushed and verified (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,

    /// Where the artifact is now, when that is no longer `spec.artifact.ociRef`: the Order's
    /// destination changed after this Preparation was created, so the same artifact (same
    /// digest) was pushed to the new place, which is where a Serving deploys from. The spec
    /// keeps the original place (it is immutable). See `Preparation::oci_ref`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 79, max = 2048),
        regex(pattern = r"^oci://.+@sha256:[a-f0-9]{64}$")
    )]
    pub oci_ref: Option<String>,
}

impl Preparation {
    /// Where the artifact is, with its digest: `status.ociRef` when the artifact has moved,
    /// else `spec.artifact.ociRef`. What a Serving deploys from.
    pub fn oci_ref(&self) -> &str {
        self.status
            .as_ref()
            .and_then(|s| s.oci_ref.as_deref())
            .unwrap_or(&self.spec.artifact.oci_ref)
    }

    /// `true` when the `Ready` condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.status
            .as_ref()
            .is_some_and(|s| s.conditions.is_true(condition::READY))
    }

    /// `true` when the approval label is `"true"`.
    pub fn is_approved(&self) -> bool {
        self.labels()
            .get(APPROVE_DEPLOY_LABEL)
            .is_some_and(|v| v == "true")
    }

    /// When the Preparation was approved: the `delivery.kokumi.dev/approved-at` annotation if it
    /// parses as RFC 3339, else the creation time. `None` when not approved.
    pub fn approved_at(&self) -> Option<Time> {
        if !self.is_approved() {
            return None;
        }
        self.annotations()
            .get(APPROVED_AT_ANNOTATION)
            .and_then(|s| s.parse::<k8s_openapi::jiff::Timestamp>().ok())
            .map(Time)
            .or_else(|| self.metadata.creation_timestamp.clone())
    }
}
