//! Test support (feature `testing`): the workspace's example Order, Menu, Recipe and chart
//! (`examples/`), and a pipeline over them with records in memory and an OCI layout in a
//! temporary directory.
//!
//! Shared by this crate's tests and the pipeline benches, so that the setup lives in one place;
//! not for production code (it panics on setup failure, which is what a test wants). The
//! examples are found through this crate's source directory, so it only works inside the
//! workspace.
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    reason = "a test harness: setup failures panic with a message"
)]

use std::path::{Path, PathBuf};

use kokumi_core::api::{Menu, Order, OrderSpec, Recipe, Source};
use kokumi_oci::layout::LayoutStore;
use serde::de::DeserializeOwned;

use crate::pipeline::{BASE_DIR_ANNOTATION, Pipeline, SystemClock};
use crate::record::{MemoryRecords, RecordStore as _};
use crate::render::{HelmRenderer, Renderer};
use crate::source::Sources;

/// The workspace's `examples/` directory.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Reads and parses the YAML file `rel` of `examples/` (e.g. `recipes/strict.yaml`).
pub fn load<T: DeserializeOwned>(rel: &str) -> T {
    let path = examples().join(rel);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()))
}

/// `object` with the CLI's base-directory annotation set to `dir` of `examples/`, so that the
/// relative source paths in the example files resolve as `kokumi apply` resolves them.
pub fn based_in<K: kube::Resource>(mut object: K, dir: &str) -> K {
    object
        .meta_mut()
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            BASE_DIR_ANNOTATION.into(),
            examples().join(dir).display().to_string(),
        );
    object
}

/// `examples/orders/hello.yaml`: the example chart from its directory, with the `strict`
/// Recipe, values, a patch and `autoDeploy: Enabled`.
pub fn hello_order() -> Order {
    based_in(load("orders/hello.yaml"), "orders")
}

/// `examples/orders/hello-from-menu.yaml`: an Order placed from the example Menu.
pub fn menu_order() -> Order {
    load("orders/hello-from-menu.yaml")
}

/// `examples/menus/hello.yaml`, its source resolving against `examples/menus`.
pub fn hello_menu() -> Menu {
    based_in(load("menus/hello.yaml"), "menus")
}

/// `examples/recipes/strict.yaml` (the Recipe the example Orders name).
pub fn strict_recipe() -> Recipe {
    load("recipes/strict.yaml")
}

/// The Helm values of `order` (`spec.render.helm.values`), to change one for a test. Panics
/// when the Order has none (the example Orders all have some).
pub fn values_mut(order: &mut Order) -> &mut serde_json::Value {
    order
        .spec
        .render
        .as_mut()
        .and_then(|r| r.helm.as_mut())
        .and_then(|h| h.values.as_mut())
        .unwrap_or_else(|| panic!("the Order has no render.helm.values"))
}

/// A bare Order `name` in namespace `default`: `source.oci` and `version`, nothing else.
pub fn bare_order(name: &str, oci: &str, version: &str) -> Order {
    let mut order = Order::new(
        name,
        OrderSpec {
            source: Some(Source {
                oci: Some(oci.into()),
                version: version.into(),
                pantry_ref: None,
            }),
            menu_ref: None,
            recipe_ref: None,
            render: None,
            destination: None,
            patches: vec![],
            edits: vec![],
            auto_deploy: Default::default(),
        },
    );
    order.metadata.namespace = Some("default".into());
    order
}

/// Everything a pipeline run over the examples needs, owned: records in memory holding the
/// `strict` Recipe, an OCI layout in a temporary directory, default sources, the Helm renderer.
#[derive(Debug)]
pub struct Fixture {
    /// The temporary directory (the layout is `oci/` in it); removed on drop.
    pub dir: tempfile::TempDir,
    /// The records.
    pub records: MemoryRecords,
    /// The destination layout.
    pub layout: LayoutStore,
    /// How sources are fetched.
    pub sources: Sources,
    /// The renderer.
    pub renderer: HelmRenderer,
}

impl Fixture {
    /// A fresh fixture.
    pub async fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
        let records = MemoryRecords::new();
        records.put(&strict_recipe()).await.unwrap();
        Self {
            dir,
            records,
            layout,
            sources: Sources::default(),
            renderer: HelmRenderer::new(),
        }
    }

    /// The pipeline: these records, the Helm renderer, the layout as destination, the system
    /// clock.
    pub fn pipeline(&self) -> Pipeline<'_, MemoryRecords> {
        self.pipeline_with(&self.renderer)
    }

    /// [`Fixture::pipeline`] rendering with `renderer`.
    pub fn pipeline_with<'a>(&'a self, renderer: &'a dyn Renderer) -> Pipeline<'a, MemoryRecords> {
        Pipeline {
            records: &self.records,
            sources: &self.sources,
            renderer,
            destination: Some(&self.layout),
            clock: &SystemClock,
        }
    }

    /// A dry-run pipeline (no destination).
    pub fn dry_run(&self) -> Pipeline<'_, MemoryRecords> {
        Pipeline {
            destination: None,
            ..self.pipeline()
        }
    }
}
