//! Menu override policy: what an Order that uses a Menu may change.
//!
//! A Menu's `spec.overrides` has two independent halves, [`Overrides::values`] and
//! [`Overrides::patches`], each with an [`OverridePolicy`]: `All`, `Restricted` (only what the
//! allow-list names) or `None` (the default, as upstream).
//!
//! [`check_overrides`] evaluates an Order against them and returns a [`PolicyReport`] with
//! *every* violation (where, which path, which rule, what would be allowed);
//! [`PolicyReport::render`] prints it like a compiler diagnostic and
//! [`PolicyReport::into_result`] turns it into an error for a failed reconcile.
//!
//! ```
//! use kokumi_core::policy::{OrderOverrides, Overrides, check_overrides};
//! use serde_json::json;
//!
//! let menu: Overrides = serde_json::from_value(json!({
//!     "values": {"policy": "Restricted", "allowed": ["ui.message", "replicaCount"]},
//!     "patches": {"policy": "None"}
//! }))
//! .unwrap();
//! let values = json!({"ui": {"message": "hi", "color": "red"}});
//! let report = check_overrides(&menu, OrderOverrides { values: Some(&values), ..Default::default() });
//! assert_eq!(report.violations.len(), 1);
//! assert!(report.render("podinfo").starts_with(
//!     "error[values]: `ui.color` is not in the values allow-list\n  --> spec.render.helm.values.ui.color\n"
//! ));
//! assert!(report.into_result("podinfo").is_err());
//! ```

mod check;

pub use check::{
    OrderOverrides, PolicyError, PolicyReport, Rule, Subject, Violation, check_overrides,
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What consumers of a Menu may override (a Menu's `spec.overrides`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct Overrides {
    /// Which Helm values an Order may set.
    #[serde(default)]
    pub values: ValuesOverrides,
    /// Which patches (and UI edits) an Order may apply.
    #[serde(default)]
    pub patches: PatchOverrides,
}

/// How much a consumer may override.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum OverridePolicy {
    /// Anything may be overridden.
    All,
    /// Only what the allow-list names may be overridden.
    Restricted,
    /// Nothing may be overridden (the default).
    #[default]
    None,
}

/// The values half of [`Overrides`].
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "self.policy != 'Restricted' || (has(self.allowed) && size(self.allowed) > 0)",
    "message": "allowed must not be empty when policy is Restricted"
}]))]
pub struct ValuesOverrides {
    /// The policy for Helm values.
    #[serde(default)]
    pub policy: OverridePolicy,
    /// Dotted value paths a consumer may set when the policy is `Restricted`: `ui.message`,
    /// `*` for one segment (`ingress.*.host`), `**` for a whole subtree (`resources.**`),
    /// `[*]` for any list index (`extraEnv[*].value`), `["a.b"]` for a key with dots.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<String>,
}

/// The patches half of [`Overrides`].
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
#[schemars(extend("x-kubernetes-validations" = [{
    "rule": "self.policy != 'Restricted' || (has(self.allowed) && size(self.allowed) > 0)",
    "message": "allowed must not be empty when policy is Restricted"
}]))]
pub struct PatchOverrides {
    /// The policy for patches and edits.
    #[serde(default)]
    pub policy: OverridePolicy,
    /// The targets a consumer may patch, and which paths of each, when `Restricted`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed: Vec<AllowedPatch>,
}

/// One allow-list entry for patches: a target and the paths it may set.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AllowedPatch {
    /// The resource that may be patched.
    pub target: AllowedTarget,
    /// Field paths (kokumi `set` syntax, with `*`, `**` and `[*]` wildcards) that may be
    /// changed, e.g. `.spec.replicas`, `.spec.template.spec.containers[*].image`.
    pub paths: Vec<String>,
}

/// The resource an [`AllowedPatch`] covers. `name` may be `*` for any name of that kind.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct AllowedTarget {
    /// Resource kind, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.name`, or `*`.
    pub name: String,
    /// `metadata.namespace`; when absent any namespace is allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}
