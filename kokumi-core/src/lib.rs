//! Kokumi's pure domain.
//!
//! This crate holds the API types (Order, Preparation, Serving, Menu, Recipe, Pantry), the Menu
//! override policy, Helm-style values merging, patches, manifest documents, canonical hashing and
//! digest identity, the `Chart.yaml` model, and the promotion decisions. It does no I/O: it takes
//! values and returns values or plans, which the other crates execute.
//!
//! What it does **not** do: talk to a registry or an API server, read files, render charts or
//! keep time. `kokumi-oci` fetches and pushes, `kokumi-render` renders, the operator and the CLI
//! observe and apply; callers pass "now" in where a time is recorded. A test in this crate fails
//! if an async runtime, an HTTP stack or a Kubernetes client enters its dependency tree.
//!
//! The main type is [`api::Order`], the intent; [`promotion::decide`] turns an Order, its
//! [`api::Preparation`]s and its [`api::Serving`] into what the Serving should be, and
//! [`api::crds`] gives the CustomResourceDefinitions the API server needs.
//!
//! ```
//! use kokumi_core::api::{AutoDeploy, Order};
//! use kokumi_core::promotion::{self, Decision};
//!
//! // An upstream-style Order, unchanged.
//! let order: Order = serde_norway::from_str(r##"
//! apiVersion: delivery.kokumi.dev/v1alpha1
//! kind: Order
//! metadata:
//!   name: podinfo
//!   namespace: shop
//! spec:
//!   source:
//!     oci: oci://ghcr.io/stefanprodan/charts/podinfo
//!     version: "6.14.1"
//!   render:
//!     helm:
//!       namespace: default
//!       values:
//!         ui: {color: "#EF6461", message: "Hello from Kokumi"}
//!   patches:
//!     - target: {kind: Deployment, name: podinfo}
//!       set:
//!         .spec.replicas: "2"
//!   autoDeploy: Enabled
//! "##).unwrap();
//!
//! assert_eq!(order.spec.auto_deploy, Some(AutoDeploy::Enabled));
//! assert_eq!(order.spec.values().unwrap()["ui"]["message"], "Hello from Kokumi");
//! assert_eq!(order.spec.patches.len(), 1);
//!
//! // No Preparation is Ready yet, so there is nothing to serve.
//! let decision = promotion::decide(&order, &[], None);
//! assert!(matches!(decision, Decision::NoChange { .. }));
//!
//! // The CRDs an API server needs for it, as YAML for `kubectl apply -f -`.
//! let yaml = kokumi_core::api::crds_yaml().unwrap();
//! assert!(yaml.contains("name: orders.delivery.kokumi.dev"));
//! ```

pub mod api;
pub mod chart;
pub mod digest;
pub mod document;
pub mod error;
pub mod merge;
pub mod patch;
pub mod policy;
pub mod promotion;

pub use error::{Error, Result};
