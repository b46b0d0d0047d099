//! The `CustomResourceDefinition`s of every Kokumi kind, generated from the Rust types.
//!
//! `deploy/crds/` holds their YAML (one file per kind, checked by a test to match what the
//! types generate) and `kokumi crds` prints [`crds_yaml`].
//!
//! ```
//! let crds = kokumi_core::api::crds();
//! let names: Vec<_> = crds.iter().filter_map(|c| c.metadata.name.as_deref()).collect();
//! assert_eq!(names, [
//!     "orders.delivery.kokumi.dev",
//!     "preparations.delivery.kokumi.dev",
//!     "servings.delivery.kokumi.dev",
//!     "menus.delivery.kokumi.dev",
//!     "recipes.delivery.kokumi.dev",
//!     "pantries.delivery.kokumi.dev",
//! ]);
//! assert!(kokumi_core::api::crds_yaml().unwrap().starts_with("---\napiVersion: apiextensions.k8s.io/v1\n"));
//! ```

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

use super::{Menu, Order, Pantry, Preparation, Recipe, Serving};
use crate::error::{Error, Result};

/// The CRDs of all six kinds, in a fixed order: Order, Preparation, Serving, Menu, Recipe,
/// Pantry.
pub fn crds() -> Vec<CustomResourceDefinition> {
    vec![
        Order::crd(),
        Preparation::crd(),
        Serving::crd(),
        Menu::crd(),
        Recipe::crd(),
        Pantry::crd(),
    ]
}

/// The kind of each CRD returned by [`crds`], in the same order (used for file names).
pub const KINDS: [&str; 6] = [
    "Order",
    "Preparation",
    "Serving",
    "Menu",
    "Recipe",
    "Pantry",
];

/// One CRD as a YAML document (starting with `---`).
pub fn crd_yaml(crd: &CustomResourceDefinition) -> Result<String> {
    let body = serde_norway::to_string(crd).map_err(|e| Error::Yaml {
        what: format!(
            "CRD {}",
            crd.metadata.name.as_deref().unwrap_or("<unnamed>")
        ),
        message: e.to_string(),
    })?;
    Ok(format!("---\n{body}"))
}

/// Every CRD of [`crds`] as one multi-document YAML stream, ready for `kubectl apply -f -`.
pub fn crds_yaml() -> Result<String> {
    let mut out = String::new();
    for crd in crds() {
        out.push_str(&crd_yaml(&crd)?);
    }
    Ok(out)
}
