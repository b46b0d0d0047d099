//! `Pantry`: a registry entry — where artifacts live and how to reach them.
//!
//! Orders, Menus and destinations refer to a Pantry by name (`pantryRef`) instead of writing the
//! URL and credentials out. The credentials are a `kubernetes.io/dockerconfigjson` Secret in the
//! Pantry's namespace; core only names it, the operator reads it.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::NameRef;

/// Reference to a Secret in the Pantry's namespace.
pub type SecretRef = NameRef;

/// A registry (or repository) entry: URL, credentials, transport flags.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Pantry",
    plural = "pantries",
    namespaced,
    status = "PantryStatus",
    derive = "PartialEq",
    shortname = "pan",
    category = "kokumi",
    doc = "A Pantry: an OCI registry or repository entry (URL, credentials Secret, transport flags) that Orders and Menus refer to by name.",
    printcolumn(name = "URL", type_ = "string", json_path = ".spec.url"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Description",
        type_ = "string",
        json_path = ".spec.description",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct PantrySpec {
    /// `oci://<registry>[/<repository>]`.
    #[schemars(length(min = 7, max = 2048), regex(pattern = r"^oci://.+"))]
    pub url: String,

    /// What this entry is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 1024))]
    pub description: Option<String>,

    /// A `kubernetes.io/dockerconfigjson` Secret holding the credentials. Absent: anonymous.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_ref: Option<SecretRef>,

    /// Talk plain HTTP instead of HTTPS (in-cluster registries without TLS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "plainHTTP")]
    pub plain_http: Option<bool>,

    /// Use HTTPS but do not verify the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub insecure: Option<bool>,
}

impl PantrySpec {
    /// `true` when the registry is spoken to over plain HTTP.
    pub fn is_plain_http(&self) -> bool {
        self.plain_http.unwrap_or(false)
    }

    /// `true` when TLS certificates are not verified.
    pub fn is_insecure(&self) -> bool {
        self.insecure.unwrap_or(false)
    }
}

/// What the Pantry controller last observed.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PantryStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// `Ready`, `Reachable` (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,
}
