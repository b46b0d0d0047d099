//! The pipeline's stages and idempotency, against an in-memory record store and a layout.

use std::sync::atomic::{AtomicUsize, Ordering};

use kokumi_core::api::{AutoDeploy, MenuDefaults, Order, Preparation};
use kokumi_oci::Store as _;
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::Error;
use kokumi_pipeline::lifecycle::ServingChange;
use kokumi_pipeline::pipeline::{Outcome, Pipeline, References, SystemClock, resolve};
use kokumi_pipeline::record::{Kind, Record, RecordStore};
use kokumi_pipeline::render::{HelmOptions, HelmRenderer, RenderedChart, Renderer};
use kokumi_pipeline::source::ChartInput;
use kokumi_pipeline::testing::{
    Fixture, examples, hello_menu, hello_order as hello, menu_order, strict_recipe, values_mut,
};

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
    let fixture = Fixture::new().await;
    let (records, layout) = (&fixture.records, &fixture.layout);
    let renderer = Counting::default();
    let pipeline = fixture.pipeline_with(&renderer);
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
    assert_eq!(records.list::<Preparation>().await.unwrap().len(), 1);

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
    let fixture = Fixture::new().await;
    let p = fixture
        .pipeline()
        .prepare(&hello())
        .await
        .unwrap()
        .preparation;
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
    let files = kokumi_pipeline::artifact::read_files(&fixture.layout, &digest)
        .await
        .unwrap();
    let manifest = String::from_utf8(files["manifest.yaml"].clone()).unwrap();
    assert!(manifest.contains("replicas: 2"), "{manifest}");
    assert!(
        manifest.contains("message: Hello from an Order"),
        "{manifest}"
    );
    // Rendering the same inputs in a dry run gives the same digest.
    let dry = fixture.dry_run();
    assert_eq!(dry.render(&hello()).await.unwrap().packed.digest, digest);
}

#[test]
fn resolve_layers_menu_recipe_and_order() {
    let refs = References {
        menu: Some(hello_menu()),
        recipe: Some(strict_recipe()),
        pantry: None,
    };
    let order = menu_order();
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
    let order = menu_order();
    let err = resolve(&order, &References::default(), None).unwrap_err();
    assert!(
        matches!(err, Error::UnknownMenu { ref menu, .. } if menu == "hello"),
        "{err}"
    );

    let refs = References {
        menu: Some(hello_menu()),
        ..References::default()
    };
    let err = resolve(&order, &refs, None).unwrap_err();
    assert!(
        matches!(err, Error::UnknownRecipe { ref recipe, .. } if recipe == "strict"),
        "{err}"
    );

    let mut greedy = order;
    let v = values_mut(&mut greedy);
    v["image"] = serde_json::json!({"tag": "latest"});
    v["service"] = serde_json::json!({"type": "NodePort"});
    let refs = References {
        menu: Some(hello_menu()),
        recipe: Some(strict_recipe()),
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
    let fixture = Fixture::new().await;
    let pipeline = fixture.dry_run();
    let mut order = hello();
    values_mut(&mut order)["image"] = serde_json::json!({"tag": "latest"});
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
    let fixture = Fixture::new().await;
    let records = &fixture.records;
    let mut menu = hello_menu();
    menu.spec.defaults = menu_default.map(|a| MenuDefaults {
        auto_deploy: Some(a),
    });
    records.put(&menu).await.unwrap();
    let mut order = menu_order();
    order.spec.auto_deploy = order_value;
    records.put(&order).await.unwrap();
    let prepared = fixture.pipeline().prepare(&order).await.unwrap();
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
    let mut menu = hello_menu();
    menu.spec.defaults = Some(MenuDefaults {
        auto_deploy: Some(AutoDeploy::Enabled),
    });
    let refs = References {
        menu: Some(menu),
        recipe: Some(strict_recipe()),
        pantry: None,
    };
    let menus = examples().join("menus");
    let mut order = menu_order();
    order.spec.auto_deploy = None;
    let r = resolve(&order, &refs, Some(&menus)).unwrap();
    assert_eq!(r.auto_deploy, AutoDeploy::Enabled);
    order.spec.auto_deploy = Some(AutoDeploy::Disabled);
    let r = resolve(&order, &refs, Some(&menus)).unwrap();
    assert_eq!(r.auto_deploy, AutoDeploy::Disabled);
}

/// Records in memory that count how often Preparations are listed.
#[derive(Default)]
struct CountingLists {
    inner: kokumi_pipeline::record::MemoryRecords,
    preparation_lists: AtomicUsize,
}

#[async_trait::async_trait]
impl RecordStore for CountingLists {
    async fn get<R: Record>(&self, name: &str) -> kokumi_pipeline::Result<Option<R>> {
        self.inner.get(name).await
    }
    async fn list<R: Record>(&self) -> kokumi_pipeline::Result<Vec<R>> {
        if R::KIND == Kind::Preparation {
            self.preparation_lists.fetch_add(1, Ordering::Relaxed);
        }
        self.inner.list().await
    }
    async fn put<R: Record>(&self, record: &R) -> kokumi_pipeline::Result<()> {
        self.inner.put(record).await
    }
    async fn delete<R: Record>(&self, name: &str) -> kokumi_pipeline::Result<bool> {
        self.inner.delete::<R>(name).await
    }
}

#[tokio::test]
async fn each_prepare_lists_the_preparations_once() {
    let fixture = Fixture::new().await;
    let records = CountingLists::default();
    records.put(&strict_recipe()).await.unwrap();
    let pipeline = Pipeline {
        records: &records,
        sources: &fixture.sources,
        renderer: &fixture.renderer,
        destination: Some(&fixture.layout),
        clock: &SystemClock,
    };
    let lists = || records.preparation_lists.swap(0, Ordering::Relaxed);

    let first = pipeline.prepare(&hello()).await.unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    assert_eq!(lists(), 1, "a fresh render");
    // The Serving still saw the new Preparation (the Order auto-deploys).
    assert!(
        matches!(&first.serving, ServingChange::Created { to } if Some(to) == first.preparation.metadata.name.as_ref()),
        "{:?}",
        first.serving
    );

    let again = pipeline.prepare(&first.order).await.unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(lists(), 1, "a config-hash hit");

    // A second Preparation: the Serving moves to it, from the one list.
    let mut changed = first.order.clone();
    values_mut(&mut changed)["greeting"]["message"] = serde_json::json!("second");
    let second = pipeline.prepare(&changed).await.unwrap();
    assert_eq!(second.outcome, Outcome::Created);
    assert_eq!(lists(), 1);
    assert!(
        matches!(&second.serving, ServingChange::Moved { to, .. } if Some(to) == second.preparation.metadata.name.as_ref()),
        "{:?}",
        second.serving
    );
}

#[tokio::test]
async fn a_new_destination_gets_the_same_artifact_and_the_record_names_it() {
    let fixture = Fixture::new().await;
    let other = LayoutStore::create(fixture.dir.path().join("other"))
        .await
        .unwrap();
    let renderer = Counting::default();
    let to_first = fixture.pipeline_with(&renderer);
    let to_other = Pipeline {
        destination: Some(&other),
        ..fixture.pipeline_with(&renderer)
    };
    let first = to_first.prepare(&hello()).await.unwrap();
    let name = first.preparation.metadata.name.clone().unwrap();
    let digest = first.preparation.spec.artifact.digest;
    let at = |store: &LayoutStore| format!("{}@{digest}", store.location());
    assert_eq!(first.preparation.spec.artifact.oci_ref, at(&fixture.layout));

    // Same inputs, new destination: pushed there (rendered again, verified by digest), and the
    // one record — same name, same digest — now names the new place.
    let moved = to_other.prepare(&first.order).await.unwrap();
    assert_eq!(moved.outcome, Outcome::Relocated);
    assert_eq!(renderer.renders.load(Ordering::Relaxed), 2);
    assert_eq!(
        moved.preparation.metadata.name.as_deref(),
        Some(name.as_str())
    );
    assert_eq!(moved.preparation.spec.artifact.digest, digest);
    assert_eq!(moved.preparation.oci_ref(), at(&other));
    let stored: Preparation = fixture.records.get(&name).await.unwrap().unwrap();
    assert_eq!(stored.oci_ref(), at(&other));
    // The spec is never rewritten (the operator's Preparation specs are immutable): the new
    // place is in the status.
    assert_eq!(stored.spec, first.preparation.spec);
    assert_eq!(
        stored.status.as_ref().and_then(|s| s.oci_ref.as_deref()),
        Some(at(&other).as_str())
    );
    assert_eq!(
        stored.spec.parent_digest, first.preparation.spec.parent_digest,
        "history unchanged"
    );
    let ready = stored.status.unwrap().conditions;
    assert!(
        ready.iter().any(|c| c.type_ == "Ready"
            && c.status == "True"
            && c.message.contains(&other.location().to_string())),
        "{ready:?}"
    );
    assert_eq!(
        other.resolve(&name).await.unwrap().digest().to_string(),
        digest.to_string()
    );
    // The old copy stays where it was.
    assert!(fixture.layout.resolve(&name).await.is_ok());
    assert_eq!(
        fixture.records.list::<Preparation>().await.unwrap().len(),
        1
    );

    // Again at the new place: nothing to do.
    let again = to_other.prepare(&moved.order).await.unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
    // Back to the first destination, which still holds it: nothing renders, the record follows.
    let back = to_first.prepare(&again.order).await.unwrap();
    assert_eq!(back.outcome, Outcome::Relocated);
    assert_eq!(renderer.renders.load(Ordering::Relaxed), 2);
    assert_eq!(back.preparation.oci_ref(), at(&fixture.layout));
    // Back at the original place, the status no longer names another one.
    assert_eq!(back.preparation.status.as_ref().unwrap().oci_ref, None);
    assert_eq!(
        to_first.prepare(&back.order).await.unwrap().outcome,
        Outcome::Unchanged
    );
}
