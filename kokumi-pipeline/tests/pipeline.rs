//! The pipeline's stages and idempotency, against an in-memory record store and a layout.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use kokumi_core::api::{AutoDeploy, Menu, MenuDefaults, Order, Recipe};
use kokumi_oci::Store as _;
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::Error;
use kokumi_pipeline::lifecycle::ServingChange;
use kokumi_pipeline::pipeline::{
    BASE_DIR_ANNOTATION, Outcome, Pipeline, References, SystemClock, resolve,
};
use kokumi_pipeline::record::{MemoryRecords, RecordStore};
use kokumi_pipeline::render::{HelmOptions, HelmRenderer, RenderedChart, Renderer};
use kokumi_pipeline::source::{ChartInput, Sources};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn load<T: serde::de::DeserializeOwned>(rel: &str) -> T {
    serde_norway::from_str(&std::fs::read_to_string(examples().join(rel)).unwrap()).unwrap()
}

fn hello() -> Order {
    let mut order: Order = load("orders/hello.yaml");
    order
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            BASE_DIR_ANNOTATION.into(),
            examples().join("orders").display().to_string(),
        );
    order
}

/// Counts renders, so tests can prove an unchanged Order renders nothing.
#[derive(Default)]
struct Counting {
    inner: HelmRenderer,
    renders: AtomicUsize,
}

impl Renderer for Counting {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn version(&self) -> &str {
        self.inner.version()
    }
    fn render(
        &self,
        chart: &ChartInput,
        options: &HelmOptions,
    ) -> Result<RenderedChart, kokumi_pipeline::error::BoxError> {
        self.renders.fetch_add(1, Ordering::Relaxed);
        self.inner.render(chart, options)
    }
}

#[tokio::test]
async fn unchanged_inputs_skip_rendering_and_a_lost_artifact_is_restored() {
    let dir = tempfile::tempdir().unwrap();
    let records = MemoryRecords::new();
    records
        .put(&load::<Recipe>("recipes/strict.yaml"))
        .await
        .unwrap();
    let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
    let (sources, renderer) = (Sources::default(), Counting::default());
    let pipeline = Pipeline {
        records: &records,
        sources: &sources,
        renderer: &renderer,
        destination: Some(&layout),
        clock: &SystemClock,
    };
    let first = pipeline.prepare(&hello()).await.unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    assert_eq!(renderer.renders.load(Ordering::Relaxed), 1);
    let status = first.order.status.clone().unwrap();
    assert_eq!(
        status.latest_digest,
        Some(first.preparation.spec.artifact.digest)
    );
    assert_eq!(status.config_hash, Some(first.preparation.spec.config_hash));

    let again = pipeline.prepare(&first.order).await.unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(
        renderer.renders.load(Ordering::Relaxed),
        1,
        "an unchanged Order rendered"
    );
    assert_eq!(
        records
            .list::<kokumi_core::api::Preparation>()
            .await
            .unwrap()
            .len(),
        1
    );

    // Someone deletes the artifact: the next run renders and pushes it again, same digest.
    let digest =
        kokumi_oci::Digest::parse(&first.preparation.spec.artifact.digest.to_string()).unwrap();
    layout.delete_manifest(&digest).await.unwrap();
    let restored = pipeline.prepare(&first.order).await.unwrap();
    assert_eq!(restored.outcome, Outcome::Restored);
    assert_eq!(renderer.renders.load(Ordering::Relaxed), 2);
    assert!(layout.get_manifest(&digest).await.is_ok());
    assert_eq!(
        restored.preparation.metadata.name,
        first.preparation.metadata.name
    );
}

#[tokio::test]
async fn the_preparation_record_says_where_it_came_from() {
    let dir = tempfile::tempdir().unwrap();
    let records = MemoryRecords::new();
    records
        .put(&load::<Recipe>("recipes/strict.yaml"))
        .await
        .unwrap();
    let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
    let (sources, renderer) = (Sources::default(), HelmRenderer::new());
    let pipeline = Pipeline {
        records: &records,
        sources: &sources,
        renderer: &renderer,
        destination: Some(&layout),
        clock: &SystemClock,
    };
    let p = pipeline.prepare(&hello()).await.unwrap().preparation;
    let digest = p.spec.artifact.digest;
    assert_eq!(
        p.metadata.name.as_deref(),
        Some(format!("hello-{}", digest.short_hex(12)).as_str())
    );
    assert_eq!(p.spec.order_name, "hello");
    assert_eq!(p.spec.source.oci, "../charts/hello");
    assert_eq!(p.spec.source.version.as_deref(), Some("0.1.0"));
    assert_eq!(p.spec.renderer.name, "kokumi-render");
    assert!(
        p.spec.artifact.oci_ref.ends_with(&format!("@{digest}")),
        "{}",
        p.spec.artifact.oci_ref
    );
    assert!(p.spec.parent_digest.is_none());
    assert!(p.is_ready());
    // The artifact in the layout holds the patched manifests.
    let files = kokumi_pipeline::artifact::read_files(&layout, &digest)
        .await
        .unwrap();
    let manifest = String::from_utf8(files["manifest.yaml"].clone()).unwrap();
    assert!(manifest.contains("replicas: 2"), "{manifest}");
    assert!(
        manifest.contains("message: Hello from an Order"),
        "{manifest}"
    );
    // Rendering the same inputs in a dry run gives the same digest.
    let dry = Pipeline {
        destination: None,
        ..pipeline
    };
    assert_eq!(dry.render(&hello()).await.unwrap().packed.digest, digest);
}

#[test]
fn resolve_layers_menu_recipe_and_order() {
    let menu: Menu = load("menus/hello.yaml");
    let recipe: Recipe = load("recipes/strict.yaml");
    let order: Order = load("orders/hello-from-menu.yaml");
    let refs = References {
        menu: Some(menu),
        recipe: Some(recipe),
        pantry: None,
    };
    let menus = examples().join("menus");
    let r = resolve(&order, &refs, Some(&menus)).unwrap();
    assert_eq!(r.menu.as_deref(), Some("hello"));
    assert_eq!(
        r.recipe.as_deref(),
        Some("strict"),
        "the Menu's Recipe applies"
    );
    assert_eq!(
        r.helm.values["greeting"]["color"], "#10b981",
        "menu base value kept"
    );
    assert_eq!(
        r.helm.values["greeting"]["message"], "Hello, team A",
        "order value wins"
    );
    assert_eq!(r.helm.values["replicaCount"], 3);
    assert_eq!(r.helm.release_name, "hello-team-a");
    assert_eq!(r.helm.namespace, "default");
    assert_eq!(r.helm.kube_version.as_deref(), Some("v1.33.0"));
    assert!(r.helm.skip_tests);
    assert!(r.image_policy.is_some());
    assert_eq!(
        r.location,
        kokumi_pipeline::source::SourceLocation::ChartDir(menus.join("../charts/hello"))
    );
}

#[test]
fn resolve_errors_are_distinct() {
    let order: Order = load("orders/hello-from-menu.yaml");
    let err = resolve(&order, &References::default(), None).unwrap_err();
    assert!(
        matches!(err, Error::UnknownMenu { ref menu, .. } if menu == "hello"),
        "{err}"
    );

    let refs = References {
        menu: Some(load("menus/hello.yaml")),
        ..References::default()
    };
    let err = resolve(&order, &refs, None).unwrap_err();
    assert!(
        matches!(err, Error::UnknownRecipe { ref recipe, .. } if recipe == "strict"),
        "{err}"
    );

    let mut greedy = order;
    if let Some(v) = greedy
        .spec
        .render
        .as_mut()
        .and_then(|r| r.helm.as_mut())
        .and_then(|h| h.values.as_mut())
    {
        v["image"] = serde_json::json!({"tag": "latest"});
        v["service"] = serde_json::json!({"type": "NodePort"});
    }
    let refs = References {
        menu: Some(load("menus/hello.yaml")),
        recipe: Some(load("recipes/strict.yaml")),
        pantry: None,
    };
    match resolve(&greedy, &refs, None).unwrap_err() {
        Error::PolicyViolation { count, report, .. } => {
            assert_eq!(count, 2, "{report}");
            assert!(
                report.contains("image.tag") && report.contains("service.type"),
                "{report}"
            );
        }
        other => panic!("expected a policy violation, got {other}"),
    }
}

#[tokio::test]
async fn image_policy_is_enforced_after_rendering() {
    let records = MemoryRecords::new();
    records
        .put(&load::<Recipe>("recipes/strict.yaml"))
        .await
        .unwrap();
    let (sources, renderer) = (Sources::default(), HelmRenderer::new());
    let pipeline = Pipeline {
        records: &records,
        sources: &sources,
        renderer: &renderer,
        destination: None,
        clock: &SystemClock,
    };
    let mut order = hello();
    if let Some(v) = order
        .spec
        .render
        .as_mut()
        .and_then(|r| r.helm.as_mut())
        .and_then(|h| h.values.as_mut())
    {
        v["image"] = serde_json::json!({"tag": "latest"});
    }
    match pipeline.render(&order).await.unwrap_err() {
        Error::ImagePolicy { recipe, report, .. } => {
            assert_eq!(recipe, "strict");
            assert!(report.contains("latest"), "{report}");
        }
        other => panic!("expected an image policy error, got {other}"),
    }
}

/// Runs the Order placed from the example Menu, with the Menu's `defaults.autoDeploy` set to
/// `menu_default` and the Order's own `autoDeploy` to `order_value`; returns what the Serving did.
async fn serving_after_prepare(
    menu_default: Option<AutoDeploy>,
    order_value: Option<AutoDeploy>,
) -> ServingChange {
    let dir = tempfile::tempdir().unwrap();
    let records = MemoryRecords::new();
    records
        .put(&load::<Recipe>("recipes/strict.yaml"))
        .await
        .unwrap();
    let mut menu: Menu = load("menus/hello.yaml");
    menu.spec.defaults = menu_default.map(|a| MenuDefaults {
        auto_deploy: Some(a),
    });
    menu.metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            BASE_DIR_ANNOTATION.into(),
            examples().join("menus").display().to_string(),
        );
    records.put(&menu).await.unwrap();
    let mut order: Order = load("orders/hello-from-menu.yaml");
    order.spec.auto_deploy = order_value;
    records.put(&order).await.unwrap();
    let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
    let (sources, renderer) = (Sources::default(), HelmRenderer::new());
    let pipeline = Pipeline {
        records: &records,
        sources: &sources,
        renderer: &renderer,
        destination: Some(&layout),
        clock: &SystemClock,
    };
    let prepared = pipeline.prepare(&order).await.unwrap();
    // The stored Order keeps what its author wrote: the default is applied, not written back.
    let stored: Order = records.get("hello-team-a").await.unwrap().unwrap();
    assert_eq!(stored.spec.auto_deploy, order_value);
    prepared.serving
}

#[tokio::test]
async fn a_menu_default_auto_deploy_applies_and_the_orders_own_value_wins() {
    use AutoDeploy::{Disabled, Enabled};
    // The Order says nothing: the Menu's default decides.
    assert!(
        matches!(
            serving_after_prepare(Some(Enabled), None).await,
            ServingChange::Created { .. }
        ),
        "a Menu default of Enabled deploys the first Preparation"
    );
    assert!(matches!(
        serving_after_prepare(Some(Disabled), None).await,
        ServingChange::Unchanged { .. }
    ));
    // Neither says anything: Disabled.
    assert!(matches!(
        serving_after_prepare(None, None).await,
        ServingChange::Unchanged { .. }
    ));
    // The Order's explicit value wins over the Menu's default, both ways.
    assert!(matches!(
        serving_after_prepare(Some(Enabled), Some(Disabled)).await,
        ServingChange::Unchanged { .. }
    ));
    assert!(matches!(
        serving_after_prepare(Some(Disabled), Some(Enabled)).await,
        ServingChange::Created { .. }
    ));
}

#[test]
fn resolve_takes_the_menu_default_auto_deploy() {
    let mut menu: Menu = load("menus/hello.yaml");
    menu.spec.defaults = Some(MenuDefaults {
        auto_deploy: Some(AutoDeploy::Enabled),
    });
    let refs = References {
        menu: Some(menu),
        recipe: Some(load("recipes/strict.yaml")),
        pantry: None,
    };
    let menus = examples().join("menus");
    let mut order: Order = load("orders/hello-from-menu.yaml");
    order.spec.auto_deploy = None;
    let r = resolve(&order, &refs, Some(&menus)).unwrap();
    assert_eq!(r.auto_deploy, AutoDeploy::Enabled);
    order.spec.auto_deploy = Some(AutoDeploy::Disabled);
    let r = resolve(&order, &refs, Some(&menus)).unwrap();
    assert_eq!(r.auto_deploy, AutoDeploy::Disabled);
}
