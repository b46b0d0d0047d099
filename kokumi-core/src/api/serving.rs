//! `Serving`: which Preparation of an Order is deployed — exactly one per Order.
//!
//! The Serving is named after its Order and points at one Preparation; the operator turns it
//! into an Argo CD Application whose `targetRevision` is that Preparation's digest. Which
//! Preparation it points at is decided by [`crate::promotion`]; rolling back is pointing it at
//! an older one — nothing re-renders.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// The deployed Preparation of one Order.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Serving",
    namespaced,
    status = "ServingStatus",
    derive = "PartialEq",
    shortname = "srv",
    category = "kokumi",
    doc = "A Serving: the one Preparation of an Order that is deployed (through an Argo CD Application).",
    printcolumn(name = "Order", type_ = "string", json_path = ".spec.order"),
    printcolumn(
        name = "Preparation",
        type_ = "string",
        json_path = ".spec.preparation"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Synced",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Synced\")].status"
    ),
    printcolumn(
        name = "Healthy",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Healthy\")].status"
    ),
    printcolumn(
        name = "Drifted",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Drifted\")].status",
        priority = 1
    ),
    printcolumn(
        name = "Digest",
        type_ = "string",
        json_path = ".status.deployedDigest",
        priority = 1
    ),
    printcolumn(
        name = "Policy",
        type_ = "string",
        json_path = ".spec.preparationPolicy.type",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ServingSpec {
    /// Name of the Order served (same namespace). Cannot change: one Serving per Order.
    #[schemars(length(min = 1, max = 253))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self == oldSelf",
        "message": "order is immutable",
    }]))]
    pub order: String,

    /// Name of the Preparation to deploy (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub preparation: String,

    /// How the Preparation is chosen.
    #[serde(default)]
    pub preparation_policy: PreparationPolicy,
}

/// How a Serving's Preparation is chosen (upstream's `preparationPolicy`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PreparationPolicy {
    /// `Automatic`: new Ready Preparations are deployed; `Manual`: only approved ones.
    #[serde(rename = "type", default)]
    pub type_: PromotionPolicy,
}

/// `Automatic` (the Order has `autoDeploy: Enabled`) or `Manual` (approval needed).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PromotionPolicy {
    /// Every new Ready Preparation is deployed (approvals still work, latest event wins).
    Automatic,
    /// Only approved Preparations are deployed.
    #[default]
    Manual,
}

/// What the Serving controller last observed.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServingStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// The Preparation the controller last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_preparation: Option<String>,

    /// The artifact digest Argo CD reports as deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_digest: Option<Digest>,

    /// `Ready`, `Synced`, `Healthy`, `Drifted` (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,
}
