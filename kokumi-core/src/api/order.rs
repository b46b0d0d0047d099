//! `Order`: the intent — what to render, from where, with which values and patches.
//!
//! An Order names its source either directly (`spec.source`) or through a [`Menu`](super::Menu)
//! (`spec.menuRef`), never both. With a Menu, the source and render type come from the Menu and
//! the Order's `render.helm.values`, `patches` and `edits` are checked against the Menu's
//! override policy. Every change of an Order produces a new [`Preparation`](super::Preparation).

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::NameRef;
use crate::digest::Digest;
use crate::patch::Patch;

/// Reference to a [`Pantry`](super::Pantry) in the Order's namespace.
pub type PantryRef = NameRef;

/// Reference to a cluster-scoped [`Menu`](super::Menu).
pub type MenuRef = NameRef;

/// Reference to a cluster-scoped [`Recipe`](super::Recipe).
pub type RecipeRef = NameRef;

/// The intent to render a chart or manifest bundle into an immutable Preparation.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Order",
    namespaced,
    status = "OrderStatus",
    derive = "PartialEq",
    shortname = "ord",
    category = "kokumi",
    doc = "An Order: the intent to render a Helm chart or manifest bundle from an OCI registry (directly or through a Menu) into an immutable Preparation.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason"
    ),
    printcolumn(
        name = "Preparation",
        type_ = "string",
        json_path = ".status.latestPreparation"
    ),
    printcolumn(
        name = "Digest",
        type_ = "string",
        json_path = ".status.latestDigest",
        priority = 1
    ),
    printcolumn(
        name = "Menu",
        type_ = "string",
        json_path = ".spec.menuRef.name",
        priority = 1
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
    printcolumn(name = "AutoDeploy", type_ = "string", json_path = ".spec.autoDeploy"),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.source) != has(self.menuRef)",
    "message": "exactly one of source or menuRef must be set",
}]))]
pub struct OrderSpec {
    /// Where the chart or bundle comes from (standalone mode). Not allowed with `menuRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,

    /// The Menu this Order is ordered from (template mode). Not allowed with `source`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub menu_ref: Option<MenuRef>,

    /// The Recipe (render profile) to render with: Helm options, layout, image policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipe_ref: Option<RecipeRef>,

    /// How the source is rendered. Absent: the source is a pre-rendered manifest bundle.
    /// With `menuRef`, only `render.helm.values` is used (as overrides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render: Option<Render>,

    /// Where the rendered Preparation artifact is pushed. Absent: the in-cluster registry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<Destination>,

    /// Patches applied to the rendered documents, in order, after the Menu's patches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub patches: Vec<Patch>,

    /// Edits made in the UI, applied after `patches`. Never inherited from a Menu.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 256))]
    pub edits: Vec<Patch>,

    /// Whether a new Ready Preparation is deployed without approval. Absent: the Menu's
    /// `defaults.autoDeploy` (for an Order from a Menu), else `Disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_deploy: Option<AutoDeploy>,
}

impl Order {
    /// This Order with its Menu's defaults filled in where it sets nothing (today:
    /// `autoDeploy`). `menu` is the Menu it names, if any; a Menu of another name is ignored.
    /// The promotion functions ([`crate::promotion`]) see only the Order, so callers pass them
    /// this.
    pub fn with_menu_defaults(&self, menu: Option<&super::Menu>) -> Order {
        let mut order = self.clone();
        let named = self.spec.menu_ref.as_ref().map(|r| r.name.as_str());
        let menu_default = menu
            .filter(|m| named.is_some() && m.metadata.name.as_deref() == named)
            .and_then(|m| m.spec.default_auto_deploy());
        order.spec.auto_deploy = Some(self.spec.effective_auto_deploy(menu_default));
        order
    }
}

impl OrderSpec {
    /// The `autoDeploy` that applies: the Order's own, else `menu_default` (the Menu's
    /// `defaults.autoDeploy`), else [`AutoDeploy::Disabled`].
    ///
    /// A Menu's default is only a default: its override policy governs values and patches, not
    /// `autoDeploy`, so an Order's explicit value always wins (as in upstream Kokumi, whose
    /// Orders set `autoDeploy` next to a Menu's `defaults`).
    pub fn effective_auto_deploy(&self, menu_default: Option<AutoDeploy>) -> AutoDeploy {
        self.auto_deploy.or(menu_default).unwrap_or_default()
    }
}

/// The OCI artifact an Order (or a Menu) renders from.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.oci) != has(self.pantryRef)",
    "message": "exactly one of oci or pantryRef must be set",
}]))]
pub struct Source {
    /// The repository URL, `oci://<registry>/<repository>` (without tag). Not allowed with
    /// `pantryRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 7, max = 2048), regex(pattern = r"^oci://.+"))]
    pub oci: Option<String>,

    /// The tag (or chart version) to render; resolved to a digest before rendering.
    #[schemars(length(min = 1, max = 128))]
    pub version: String,

    /// A Pantry whose URL (and credentials) are used as the source. Not allowed with `oci`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pantry_ref: Option<PantryRef>,
}

/// How the source is rendered: exactly one of `helm` or `manifest`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "has(self.helm) != has(self.manifest)",
    "message": "exactly one of helm or manifest must be set",
}]))]
pub struct Render {
    /// Render the source as a Helm chart (`helm template`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<HelmRender>,

    /// Use the source as a manifest bundle, stored in the given layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<ManifestRender>,
}

/// Helm rendering options (the flags of `helm template`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct HelmRender {
    /// Release name (`.Release.Name`). Default: the Order's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 53))]
    pub release_name: Option<String>,

    /// Release namespace (`--namespace`). Default: the Order's namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub namespace: Option<String>,

    /// Render the chart's `crds/` too (`--include-crds`). Default: false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "includeCRDs")]
    pub include_crds: Option<bool>,

    /// Values merged over the chart's defaults (and over the Menu's and Recipe's values).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub values: Option<Value>,
}

/// Options for a manifest-bundle source.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ManifestRender {
    /// Whether the bundle's files are joined into one `manifest.yaml` or kept apart.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
}

/// How rendered documents are laid out in the Preparation artifact.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Layout {
    /// One `manifest.yaml` holding every document.
    #[default]
    Single,
    /// The source's files kept as separate files.
    Multi,
}

/// Where a rendered artifact is pushed: `oci` or `pantryRef`, or neither (in-cluster registry).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "!(has(self.oci) && has(self.pantryRef))",
    "message": "oci and pantryRef are mutually exclusive",
}]))]
pub struct Destination {
    /// The repository URL, `oci://<registry>/<repository>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 7, max = 2048), regex(pattern = r"^oci://.+"))]
    pub oci: Option<String>,

    /// A Pantry whose URL (and credentials) are used as the destination.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pantry_ref: Option<PantryRef>,
}

/// Whether new Ready Preparations are deployed without a human approving them. An Order that
/// sets none takes its Menu's `defaults.autoDeploy`, else `Disabled`.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AutoDeploy {
    /// Every new Ready Preparation is deployed.
    Enabled,
    /// A Preparation is deployed only once approved (label `delivery.kokumi.dev/approve-deploy`).
    #[default]
    Disabled,
}

impl AutoDeploy {
    /// `true` for [`AutoDeploy::Enabled`].
    pub fn is_enabled(self) -> bool {
        matches!(self, Self::Enabled)
    }
}

/// What the Order controller last observed and produced.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Name of the newest Preparation rendered from this Order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_preparation: Option<String>,

    /// Artifact digest of that Preparation (the parent of the next one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest_digest: Option<Digest>,

    /// Hash of the resolved render inputs; unchanged hash ⇒ no re-render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_hash: Option<Digest>,

    /// `Ready`, `Rendered`, `PolicyAccepted` (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,
}

impl OrderSpec {
    /// The Helm values written in the Order, if any (`render.helm.values`).
    pub fn values(&self) -> Option<&Value> {
        self.render.as_ref()?.helm.as_ref()?.values.as_ref()
    }

    /// `true` when the Order is rendered from a Menu.
    pub fn uses_menu(&self) -> bool {
        self.menu_ref.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Menu;

    fn order(yaml_auto_deploy: &str) -> Order {
        serde_norway::from_str(&format!(
            "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata: {{name: o}}\nspec:\n  menuRef: {{name: m}}\n{yaml_auto_deploy}"
        ))
        .unwrap()
    }

    fn menu(name: &str, default: &str) -> Menu {
        serde_norway::from_str(&format!(
            "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Menu\nmetadata: {{name: {name}}}\nspec:\n  source: {{oci: 'oci://r/c', version: '1'}}\n  defaults: {{autoDeploy: {default}}}\n"
        ))
        .unwrap()
    }

    #[test]
    fn absent_auto_deploy_stays_absent() {
        let o = order("");
        assert_eq!(o.spec.auto_deploy, None);
        let yaml = serde_norway::to_string(&o).unwrap();
        assert!(!yaml.contains("autoDeploy"), "{yaml}");
        assert_eq!(o.spec.effective_auto_deploy(None), AutoDeploy::Disabled);
    }

    #[test]
    fn menu_default_applies_when_the_order_sets_none() {
        let o = order("").with_menu_defaults(Some(&menu("m", "Enabled")));
        assert_eq!(o.spec.auto_deploy, Some(AutoDeploy::Enabled));
        // No Menu (or no default): Disabled.
        assert_eq!(
            order("").with_menu_defaults(None).spec.auto_deploy,
            Some(AutoDeploy::Disabled)
        );
        // A Menu of another name is not this Order's.
        assert_eq!(
            order("")
                .with_menu_defaults(Some(&menu("other", "Enabled")))
                .spec
                .auto_deploy,
            Some(AutoDeploy::Disabled)
        );
    }

    #[test]
    fn the_orders_own_value_wins_over_the_menu_default() {
        let enabled = menu("m", "Enabled");
        let o = order("  autoDeploy: Disabled\n").with_menu_defaults(Some(&enabled));
        assert_eq!(o.spec.auto_deploy, Some(AutoDeploy::Disabled));
        let disabled = menu("m", "Disabled");
        let o = order("  autoDeploy: Enabled\n").with_menu_defaults(Some(&disabled));
        assert_eq!(o.spec.auto_deploy, Some(AutoDeploy::Enabled));
    }
}
