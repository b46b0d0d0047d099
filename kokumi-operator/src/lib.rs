//! Kokumi's Kubernetes operator.
//!
//! kube-rs controllers that turn Orders into Preparations and Servings into Argo CD
//! Applications, using the same pipeline as the CLI (`kokumi-pipeline`):
//!
//! - [`controller::order`]: Order (+ Menu, Recipe, Pantry) → Preparation (a custom resource
//!   named from the artifact digest, owned by the Order), then core's promotion decision moves
//!   the Serving;
//! - [`controller::serving`]: Serving → Argo CD `Application` (server-side apply, field manager
//!   `kokumi`, `oci://…` at `sha256:…`), drift and health from the Application's status;
//! - [`credentials`]: the Pantries an Order names and the registry credentials in their
//!   Secrets;
//! - [`records::KubeRecords`]: the pipeline's record store as custom resources;
//! - [`leader`], [`metrics`], [`server`] (`/metrics`, `/healthz`, `/readyz`) and [`run`] for the
//!   binary;
//! - `testing` (feature `testing`): an in-memory Kubernetes API server for tests.
//!
//! It does not render or push by itself (the pipeline does), nor decide which Preparation is
//! served (core does): it observes and applies.
//!
//! ```
//! use kokumi_operator::config::Config;
//!
//! let config = Config::default();
//! assert_eq!(config.argocd_namespace, "argocd");
//! assert_eq!(config.backoff(3), std::time::Duration::from_secs(4));
//! ```

pub mod application;
pub mod cli;
pub mod config;
pub mod context;
pub mod controller;
pub mod credentials;
pub mod error;
pub mod leader;
pub mod metrics;
pub mod records;
pub mod run;
pub mod server;

#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
