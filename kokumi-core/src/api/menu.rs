//! `Menu`: a cluster-scoped template that Orders are ordered from.
//!
//! A Menu pins the source and render type, carries base values (`render.helm.values`) and base
//! patches, and says through `overrides` what an Order may change. Menu patches are applied
//! before the Order's; Menu values are the bottom layer of the values merge.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::order::{AutoDeploy, RecipeRef, Render, Source};
use crate::patch::Patch;
use crate::policy::Overrides;

/// A reusable template: source, render options, base values and patches, override policy.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Menu",
    status = "MenuStatus",
    derive = "PartialEq",
    shortname = "mnu",
    category = "kokumi",
    doc = "A Menu: a cluster-scoped template (source, render options, base values and patches) with a policy for what Orders may override.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(name = "Source", type_ = "string", json_path = ".spec.source.oci"),
    printcolumn(name = "Version", type_ = "string", json_path = ".spec.source.version"),
    printcolumn(
        name = "Values",
        type_ = "string",
        json_path = ".spec.overrides.values.policy",
        priority = 1
    ),
    printcolumn(
        name = "Patches",
        type_ = "string",
        json_path = ".spec.overrides.patches.policy",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct MenuSpec {
    /// The artifact every Order of this Menu renders; Orders cannot change it.
    pub source: Source,

    /// The render type and base options; `render.helm.values` are the base values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<Render>,

    /// The Recipe (render profile) Orders of this Menu render with, unless they name their own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe_ref: Option<RecipeRef>,

    /// Base patches, applied before the Order's patches and edits.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub patches: Vec<Patch>,

    /// What an Order may override: values and patches, each `All`, `Restricted` or `None`.
    #[serde(default)]
    pub overrides: Overrides,

    /// Defaults for Orders of this Menu: what applies when an Order leaves a field unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<MenuDefaults>,
}

/// Defaults for the Orders of a Menu (upstream's `spec.defaults`).
///
/// A default applies to an Order that leaves the field unset; an Order's own value wins. The
/// Menu's override policy (`overrides`) restricts values and patches only, not these.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MenuDefaults {
    /// The `autoDeploy` of Orders that set none (see [`super::OrderSpec::effective_auto_deploy`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_deploy: Option<AutoDeploy>,
}

/// What the Menu controller last observed.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct MenuStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// `Ready` once the Menu's source resolves (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,
}

impl MenuSpec {
    /// The base Helm values (`render.helm.values`), if any.
    pub fn values(&self) -> Option<&serde_json::Value> {
        self.render.as_ref()?.helm.as_ref()?.values.as_ref()
    }

    /// `defaults.autoDeploy`, if set.
    pub fn default_auto_deploy(&self) -> Option<AutoDeploy> {
        self.defaults.as_ref()?.auto_deploy
    }
}
