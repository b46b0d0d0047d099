//! The one release pipeline, shared by the `kokumi` CLI and the operator.
//!
//! [`pipeline::Pipeline::prepare`] takes an Order (with the Menu, Recipe and Pantry it names)
//! through every stage — resolve (policy check, values layering, patches; core) → fetch and
//! verify the source → render (Helm, Recipe options) → patches and edits → the Recipe's image
//! policy → pack (reproducible) → push → record an immutable Preparation named
//! `<order>-<12 hex of its digest>` → move the Serving when the Order auto-deploys. Each stage
//! fails with its own [`Error`] variant. It is idempotent: the same inputs give the same digest
//! and so the same Preparation, and an unchanged config hash skips rendering once the artifact is
//! confirmed present. [`lifecycle`] promotes, approves and rolls back without re-rendering.
//!
//! I/O sits behind seams: records go through [`record::RecordStore`] (the CLI's files in
//! [`state::LocalState`], the operator's custom resources, or [`record::MemoryRecords`]),
//! artifacts through a `kokumi_oci::Store` (registry or on-disk layout), rendering through
//! [`render::Renderer`], time through [`pipeline::Clock`].
//!
//! With the feature `testing`, the module `testing` holds the example-based fixture the tests and
//! benches share.
//!
//! It does not print, parse command lines, talk to a Kubernetes API server or Argo CD: callers
//! do. The decisions (policy, merge, patches, digests, promotion) are `kokumi-core`'s.
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use kokumi_core::api::Order;
//! use kokumi_oci::layout::LayoutStore;
//! use kokumi_pipeline::pipeline::{Outcome, Pipeline, SystemClock};
//! use kokumi_pipeline::record::{MemoryRecords, RecordStore};
//! use kokumi_pipeline::render::HelmRenderer;
//! use kokumi_pipeline::source::Sources;
//!
//! // A manifest file as the source: no chart, no registry needed.
//! let dir = tempfile::tempdir().unwrap();
//! let manifest = dir.path().join("cm.yaml");
//! std::fs::write(&manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo\ndata:\n  a: \"1\"\n").unwrap();
//! let order: Order = serde_norway::from_str(&format!(
//!     "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata: {{name: demo, namespace: default}}\nspec:\n  source: {{oci: {:?}, version: '1'}}\n  autoDeploy: Enabled\n",
//!     manifest.display().to_string(),
//! )).unwrap();
//!
//! let records = MemoryRecords::new();
//! records.put(&order).await.unwrap();
//! let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
//! let (sources, renderer) = (Sources::default(), HelmRenderer::new());
//! let pipeline = Pipeline {
//!     records: &records,
//!     sources: &sources,
//!     renderer: &renderer,
//!     destination: Some(&layout),
//!     clock: &SystemClock,
//! };
//!
//! let first = pipeline.prepare(&order).await.unwrap();
//! assert_eq!(first.outcome, Outcome::Created);
//! let name = first.preparation.metadata.name.clone().unwrap();
//! assert_eq!(name, format!("demo-{}", first.preparation.spec.artifact.digest.short_hex(12)));
//!
//! // The same inputs again: nothing renders, nothing new is recorded.
//! let again = pipeline.prepare(&first.order).await.unwrap();
//! assert_eq!(again.outcome, Outcome::Unchanged);
//! assert_eq!(again.preparation.metadata.name.unwrap(), name);
//! # });
//! ```

pub mod artifact;
pub mod destination;
pub mod error;
pub mod lifecycle;
mod oci_source;
pub mod pipeline;
pub mod policy;
pub mod record;
pub mod render;
pub mod schema_fetch;
pub mod source;
pub mod source_cache;
pub mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, Result};
