//! The `delivery.kokumi.dev/v1alpha1` API types.
//!
//! One module per kind. Every kind is derived with kube's `CustomResource` (derive only, no
//! client), so each root type (`Order`, `Preparation`, …) implements `kube::Resource` and
//! `kube::CustomResourceExt`, and [`crds`] / [`crds_yaml`] turn them into the
//! `CustomResourceDefinition`s that `deploy/crds/` holds and `kokumi crds` prints.
//!
//! Field names follow upstream Kokumi wherever upstream has them, so upstream's sample Orders,
//! Menus and Pantries deserialize and validate unchanged.
//!
//! | kind | scope | role |
//! |---|---|---|
//! | [`Order`] | namespaced | intent: source or Menu, render options, values, patches, edits |
//! | [`Preparation`] | namespaced | an immutable rendered artifact, named by digest |
//! | [`Serving`] | namespaced | the one Preparation of an Order that is deployed |
//! | [`Menu`] | cluster | a template with an override policy |
//! | [`Recipe`] | cluster | a render profile: Helm options, output layout, image policy |
//! | [`Pantry`] | namespaced | a registry entry: URL, credentials, transport flags |

pub mod condition;
pub mod crd;
pub mod menu;
pub mod order;
pub mod pantry;
pub mod preparation;
pub mod recipe;
pub mod serving;

pub use condition::{ConditionStatus, Conditions};
pub use crd::{crds, crds_yaml};
pub use menu::{Menu, MenuDefaults, MenuSpec, MenuStatus};
pub use order::{
    AutoDeploy, Destination, HelmRender, Layout, ManifestRender, MenuRef, Order, OrderSpec,
    OrderStatus, PantryRef, RecipeRef, Render, Source,
};
pub use pantry::{Pantry, PantrySpec, PantryStatus, SecretRef};
pub use preparation::{
    Artifact, Preparation, PreparationSource, PreparationSpec, PreparationStatus, RenderType,
    Renderer,
};
pub use recipe::{
    ImagePolicy, ImageViolation, ImageViolationKind, Recipe, RecipeHelm, RecipeOutput, RecipeSpec,
    RecipeStatus,
};
pub use serving::{
    ObservedDeployment, PreparationPolicy, PromotionPolicy, Serving, ServingSpec, ServingStatus,
};

/// The API group of every Kokumi kind.
pub const GROUP: &str = "delivery.kokumi.dev";

/// The API version of every Kokumi kind.
pub const VERSION: &str = "v1alpha1";

/// `apiVersion` of every Kokumi object: `delivery.kokumi.dev/v1alpha1`.
pub const API_VERSION: &str = "delivery.kokumi.dev/v1alpha1";

/// Label a user sets to `"true"` on a Preparation to have it deployed (upstream's name).
pub const APPROVE_DEPLOY_LABEL: &str = "delivery.kokumi.dev/approve-deploy";

/// Annotation holding when a Preparation was approved (RFC 3339, UTC).
///
/// Upstream has only the label, so when several Preparations carry it they fight. Kokumi records
/// the approval time here; the latest approval wins (see [`crate::promotion`]). A label without
/// this annotation counts as approved at the Preparation's creation time.
pub const APPROVED_AT_ANNOTATION: &str = "delivery.kokumi.dev/approved-at";

/// Label on Preparations and Servings naming the Order they belong to.
pub const ORDER_LABEL: &str = "delivery.kokumi.dev/order";

/// Category every Kokumi kind is listed under: `kubectl get kokumi`.
pub const CATEGORY: &str = "kokumi";

/// Schema helpers used by the `#[schemars(schema_with = …)]` attributes of the API types.
pub(crate) mod schema {
    use schemars::{Schema, SchemaGenerator, json_schema};

    /// An object whose content is not described: Helm values, merge patches.
    ///
    /// The API server keeps every field (`x-kubernetes-preserve-unknown-fields`); the schema is
    /// still structural because the node has a `type`.
    pub(crate) fn preserve_unknown_object(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
        })
    }

    /// Conditions as a map-list keyed by `type`, with the field constraints of the Kubernetes
    /// `meta/v1.Condition` type (the same ones controller-gen emits).
    pub(crate) fn conditions(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Current state of the object, one entry per condition type (Kubernetes API conventions).",
            "type": "array",
            "maxItems": 32,
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["type"],
            "items": {
                "description": "One aspect of the current state of the object.",
                "type": "object",
                "required": ["type", "status", "lastTransitionTime", "reason", "message"],
                "properties": {
                    "type": {
                        "description": "Type of the condition, CamelCase (`Ready`, `Synced`…).",
                        "type": "string",
                        "maxLength": 316,
                        "pattern": "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$",
                    },
                    "status": {
                        "description": "True, False or Unknown.",
                        "type": "string",
                        "enum": ["True", "False", "Unknown"],
                    },
                    "observedGeneration": {
                        "description": "The `metadata.generation` the condition was set for.",
                        "type": "integer",
                        "format": "int64",
                        "minimum": 0,
                    },
                    "lastTransitionTime": {
                        "description": "When the status last changed.",
                        "type": "string",
                        "format": "date-time",
                    },
                    "reason": {
                        "description": "Why, as a CamelCase identifier.",
                        "type": "string",
                        "minLength": 1,
                        "maxLength": 1024,
                        "pattern": "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$",
                    },
                    "message": {
                        "description": "Details for humans; may be empty.",
                        "type": "string",
                        "maxLength": 32768,
                    },
                },
            },
        })
    }
}

/// A reference to another object by name: `{name: …}`.
#[derive(
    serde::Serialize, serde::Deserialize, schemars::JsonSchema, Clone, Debug, PartialEq, Eq,
)]
#[serde(rename_all = "camelCase")]
pub struct NameRef {
    /// Name of the referenced object.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

impl NameRef {
    /// A reference to the object called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }
}
