//! Controller scenarios on the fake API server, with a real registry (`docker-registry`) as
//! source and destination: the operator runs in-process, exactly as the binary runs it.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::events::v1::Event;
use kokumi_core::api::condition::Conditions as _;
use kokumi_core::api::{Order, Preparation, Serving};
use kokumi_oci::registry::{RegistryConfig, RegistryStore};
use kokumi_oci::source::{HelmPushOptions, push_helm_chart};
use kokumi_operator::config::Config;
use kokumi_operator::context::Context;
use kokumi_operator::controller::serving::application_resource;
use kokumi_operator::metrics::Metrics;
use kokumi_operator::run::{self, ShutdownTrigger};
use kokumi_operator::testing::FakeApiServer;
use kube::ResourceExt as _;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::support::registry::TestRegistry;
use crate::support::{eventually, fake, hello_chart_tgz};

const NS: &str = "shop";
const WAIT: Duration = Duration::from_secs(60);

/// One operator instance running against the fake.
struct Operator {
    trigger: ShutdownTrigger,
    task: tokio::task::JoinHandle<()>,
    ctx: Arc<Context>,
}

impl Operator {
    fn start(server: &FakeApiServer, registry: &TestRegistry) -> Self {
        let config = Config {
            registry: registry.url("kokumi"),
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(1),
            ..Config::default()
        };
        Self::with(Context::new(
            server.client(),
            config,
            Arc::new(Metrics::new()),
        ))
    }

    fn with(ctx: Context) -> Self {
        // `RUST_LOG=kokumi_operator=debug` shows what the controllers do.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let ctx = Arc::new(ctx);
        let (trigger, shutdown) = run::shutdown();
        let task = tokio::spawn(run::controllers(ctx.clone(), shutdown));
        Self { trigger, task, ctx }
    }

    async fn stop(self) {
        self.trigger.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// A registry holding the example chart as `charts/hello:0.1.0`.
async fn registry_with_chart() -> Option<TestRegistry> {
    let registry = TestRegistry::start()?;
    let store =
        RegistryStore::new(&registry.host, "charts/hello", RegistryConfig::default()).unwrap();
    push_helm_chart(
        &store,
        hello_chart_tgz(),
        Some("0.1.0"),
        &HelmPushOptions::default(),
    )
    .await
    .unwrap();
    Some(registry)
}

fn order(registry: &TestRegistry, name: &str, auto: bool, message: &str) -> Order {
    serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1",
        "kind": "Order",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "source": {"oci": registry.url("charts/hello"), "version": "0.1.0"},
            "render": {"helm": {"values": {"greeting": {"message": message}}}},
            "autoDeploy": if auto { "Enabled" } else { "Disabled" },
        },
    }))
    .unwrap()
}

fn apps(server: &FakeApiServer) -> Api<DynamicObject> {
    Api::namespaced_with(server.client(), "argocd", &application_resource())
}

async fn ready_preparations(server: &FakeApiServer, order: &str) -> Vec<Preparation> {
    let preps: Api<Preparation> = Api::namespaced(server.client(), NS);
    let mut list: Vec<Preparation> = preps
        .list(&ListParams::default().labels(&format!("delivery.kokumi.dev/order={order}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(Preparation::is_ready)
        .collect();
    list.sort_by_key(|p| p.metadata.creation_timestamp.clone());
    list
}

async fn wait_preparations(server: &FakeApiServer, order: &str, n: usize) -> Vec<Preparation> {
    eventually(
        &format!("{n} ready preparation(s) of {order}"),
        WAIT,
        || async {
            let list = ready_preparations(server, order).await;
            (list.len() >= n).then_some(list)
        },
    )
    .await
}

async fn serving_at(server: &FakeApiServer, name: &str, preparation: &str) -> Serving {
    let servings: Api<Serving> = Api::namespaced(server.client(), NS);
    eventually(&format!("serving {name} → {preparation}"), WAIT, || async {
        servings
            .get_opt(name)
            .await
            .unwrap()
            .filter(|s| s.spec.preparation == preparation)
    })
    .await
}

async fn application_at(server: &FakeApiServer, name: &str, digest: &str) -> Value {
    let apps = apps(server);
    eventually(&format!("application {name} at {digest}"), WAIT, || async {
        apps.get_opt(name)
            .await
            .unwrap()
            .map(|a| serde_json::to_value(a).unwrap())
            .filter(|a| a["spec"]["source"]["targetRevision"] == digest)
    })
    .await
}

/// Plays Argo CD: reports a sync to `revision` with `health`.
async fn argo_reports(server: &FakeApiServer, app: &str, revision: &str, sync: &str, health: &str) {
    apps(server)
        .patch(
            app,
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {
                "sync": {"status": sync, "revision": revision},
                "health": {"status": health},
            }})),
        )
        .await
        .unwrap();
}

async fn serving_condition(
    server: &FakeApiServer,
    name: &str,
    type_: &str,
    status: &str,
    reason: &str,
) -> Serving {
    let servings: Api<Serving> = Api::namespaced(server.client(), NS);
    eventually(
        &format!("serving {name}: {type_}={status} {reason}"),
        WAIT,
        || async {
            servings.get_opt(name).await.unwrap().filter(|s| {
                s.status
                    .as_ref()
                    .and_then(|st| st.conditions.get_condition(type_))
                    .is_some_and(|c| c.status == status && c.reason == reason)
            })
        },
    )
    .await
}

async fn order_ready(server: &FakeApiServer, name: &str, status: &str, reason: &str) -> Order {
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    eventually(
        &format!("order {name}: Ready={status} {reason}"),
        WAIT,
        || async {
            orders.get_opt(name).await.unwrap().filter(|o| {
                o.status
                    .as_ref()
                    .and_then(|s| s.conditions.get_condition("Ready"))
                    .is_some_and(|c| c.status == status && c.reason == reason)
            })
        },
    )
    .await
}

async fn event_reasons(server: &FakeApiServer) -> BTreeSet<String> {
    let events: Api<Event> = Api::namespaced(server.client(), NS);
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|e| e.reason)
        .collect()
}

async fn approve(server: &FakeApiServer, preparation: &str, at: &str) {
    let preps: Api<Preparation> = Api::namespaced(server.client(), NS);
    preps
        .patch(
            preparation,
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {
                "labels": {"delivery.kokumi.dev/approve-deploy": "true"},
                "annotations": {"delivery.kokumi.dev/approved-at": at},
            }})),
        )
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_deploy_delivers_the_digest_and_detects_drift() {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    let operator = Operator::start(&server, &registry);
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    orders
        .create(&PostParams::default(), &order(&registry, "web", true, "hi"))
        .await
        .unwrap();

    let prep = wait_preparations(&server, "web", 1).await.remove(0);
    let digest = prep.spec.artifact.digest.to_string();
    assert!(
        prep.name_any().starts_with("web-") && digest.contains(&prep.name_any()[4..]),
        "named from the digest: {}",
        prep.name_any()
    );
    assert_eq!(prep.owner_references()[0].name, "web", "owned by the order");
    serving_at(&server, "web", &prep.name_any()).await;
    let app = application_at(&server, "shop-web", &digest).await;
    assert_eq!(
        app["spec"]["source"]["repoURL"],
        registry.url("kokumi/shop/web")
    );
    assert_eq!(app["spec"]["source"]["path"], ".");
    assert_eq!(app["spec"]["destination"]["namespace"], NS);
    assert_eq!(app["spec"]["project"], "default");
    let managers: Vec<&str> = app["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, ["kokumi"]);
    let o = order_ready(&server, "web", "True", "Rendered").await;
    let status = o.status.unwrap();
    assert_eq!(
        status.latest_preparation.as_deref(),
        Some(prep.name_any().as_str())
    );
    assert_eq!(status.latest_digest, Some(prep.spec.artifact.digest));
    assert_eq!(status.observed_generation, Some(1));

    // Argo CD syncs the digest: a concrete "in sync".
    argo_reports(&server, "shop-web", &digest, "Synced", "Healthy").await;
    let s = serving_condition(&server, "web", "Ready", "True", "Deployed").await;
    assert_eq!(
        s.status.as_ref().unwrap().deployed_digest,
        Some(prep.spec.artifact.digest)
    );
    serving_condition(&server, "web", "Drifted", "False", "InSync").await;

    // Someone syncs another revision: drift, with both digests, an Event and the metric.
    let other = format!("sha256:{}", "e".repeat(64));
    argo_reports(&server, "shop-web", &other, "Synced", "Healthy").await;
    let s = serving_condition(&server, "web", "Drifted", "True", "DigestMismatch").await;
    let drift = s
        .status
        .unwrap()
        .conditions
        .get_condition("Drifted")
        .unwrap()
        .message
        .clone();
    assert!(drift.contains(&other) && drift.contains(&digest), "{drift}");
    eventually("a Drifted event", WAIT, || async {
        event_reasons(&server)
            .await
            .contains("Drifted")
            .then_some(())
    })
    .await;
    assert_eq!(operator.ctx.metrics.drifted(), 1);
    // Health Degraded is reported too.
    argo_reports(&server, "shop-web", &digest, "Synced", "Degraded").await;
    serving_condition(&server, "web", "Healthy", "False", "Degraded").await;
    serving_condition(&server, "web", "Drifted", "False", "InSync").await;
    assert_eq!(operator.ctx.metrics.drifted(), 0);

    let reasons = event_reasons(&server).await;
    for r in ["Rendered", "Promoted", "Delivering", "Drifted", "InSync"] {
        assert!(reasons.contains(r), "event {r} missing: {reasons:?}");
    }

    // Deleting the Serving deletes its Application first (finalizer).
    let servings: Api<Serving> = Api::namespaced(server.client(), NS);
    servings.delete("web", &Default::default()).await.unwrap();
    eventually("the application is deleted", WAIT, || async {
        let app = apps(&server).get_opt("shop-web").await.unwrap();
        // Argo CD's own finalizer keeps it until Argo CD removed the resources.
        app.is_none_or(|a| a.metadata.deletion_timestamp.is_some())
            .then_some(())
    })
    .await;
    operator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn manual_approval_two_approvals_and_rollback() {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    let operator = Operator::start(&server, &registry);
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    orders
        .create(
            &PostParams::default(),
            &order(&registry, "api", false, "one"),
        )
        .await
        .unwrap();
    let first = wait_preparations(&server, "api", 1).await.remove(0);
    // Not approved: no Serving.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let servings: Api<Serving> = Api::namespaced(server.client(), NS);
    assert!(servings.get_opt("api").await.unwrap().is_none());

    approve(&server, &first.name_any(), "2026-01-01T10:00:00Z").await;
    serving_at(&server, "api", &first.name_any()).await;
    application_at(&server, "shop-api", &first.spec.artifact.digest.to_string()).await;

    // A new generation renders a second Preparation; it waits for approval.
    orders
        .patch(
            "api",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"render": {"helm": {"values": {"greeting": {"message": "two"}}}}}}),
            ),
        )
        .await
        .unwrap();
    let both = wait_preparations(&server, "api", 2).await;
    let second = both
        .iter()
        .find(|p| p.name_any() != first.name_any())
        .unwrap()
        .clone();
    assert_ne!(second.spec.artifact.digest, first.spec.artifact.digest);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        servings.get("api").await.unwrap().spec.preparation,
        first.name_any()
    );

    // Two approvals: the later approval wins, whatever the list order.
    approve(&server, &second.name_any(), "2026-01-01T11:00:00Z").await;
    serving_at(&server, "api", &second.name_any()).await;
    application_at(
        &server,
        "shop-api",
        &second.spec.artifact.digest.to_string(),
    )
    .await;

    // Rollback: approve the older one again, later.
    approve(&server, &first.name_any(), "2026-01-01T12:00:00Z").await;
    serving_at(&server, "api", &first.name_any()).await;
    application_at(&server, "shop-api", &first.spec.artifact.digest.to_string()).await;
    // Nothing re-rendered.
    assert_eq!(ready_preparations(&server, "api").await.len(), 2);
    operator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn menu_policy_violation_its_fix_and_menu_edits_rerender() {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    let operator = Operator::start(&server, &registry);
    let menus: Api<kokumi_core::api::Menu> = Api::all(server.client());
    let menu: kokumi_core::api::Menu = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Menu", "metadata": {"name": "hello"},
        "spec": {
            "source": {"oci": registry.url("charts/hello"), "version": "0.1.0"},
            "render": {"helm": {"values": {"greeting": {"color": "red"}}}},
            "overrides": {"values": {"policy": "Restricted", "allowed": ["greeting.message"]}},
        },
    }))
    .unwrap();
    menus.create(&PostParams::default(), &menu).await.unwrap();
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    let o: Order = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order", "metadata": {"name": "team"},
        "spec": {"menuRef": {"name": "hello"}, "render": {"helm": {"values": {"replicaCount": 5}}}, "autoDeploy": "Enabled"},
    }))
    .unwrap();
    orders.create(&PostParams::default(), &o).await.unwrap();
    let violated = order_ready(&server, "team", "False", "PolicyViolation").await;
    let message = violated
        .status
        .unwrap()
        .conditions
        .get_condition("Ready")
        .unwrap()
        .message
        .clone();
    assert!(
        message.contains("replicaCount"),
        "the message names the field: {message}"
    );
    assert!(ready_preparations(&server, "team").await.is_empty());

    // The fix: only allowed overrides.
    orders
        .patch("team", &PatchParams::default(), &Patch::Merge(json!({"spec": {"render": {"helm": {"values": {"replicaCount": null, "greeting": {"message": "ok"}}}}}})))
        .await
        .unwrap();
    let first = wait_preparations(&server, "team", 1).await.remove(0);
    order_ready(&server, "team", "True", "Rendered").await;

    // Editing the Menu re-renders the Order (no change to the Order itself).
    menus
        .patch(
            "hello",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"render": {"helm": {"values": {"greeting": {"color": "blue"}}}}}}),
            ),
        )
        .await
        .unwrap();
    let both = wait_preparations(&server, "team", 2).await;
    let second = both
        .iter()
        .find(|p| p.name_any() != first.name_any())
        .unwrap();
    serving_at(&server, "team", &second.name_any()).await;
    operator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registry_down_then_back() {
    let Some(mut registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    let operator = Operator::start(&server, &registry);
    registry.stop();
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    orders
        .create(&PostParams::default(), &order(&registry, "db", true, "x"))
        .await
        .unwrap();
    let down = order_ready(&server, "db", "False", "SourceUnavailable").await;
    let message = down
        .status
        .unwrap()
        .conditions
        .get_condition("Ready")
        .unwrap()
        .message
        .clone();
    assert!(
        message.contains(&registry.host),
        "the message says which registry: {message}"
    );
    eventually("a SourceUnavailable event", WAIT, || async {
        event_reasons(&server)
            .await
            .contains("SourceUnavailable")
            .then_some(())
    })
    .await;

    registry.resume();
    let prep = wait_preparations(&server, "db", 1).await.remove(0);
    order_ready(&server, "db", "True", "Rendered").await;
    serving_at(&server, "db", &prep.name_any()).await;
    operator.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_operator_started_midway_duplicates_nothing() {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    let first = Operator::start(&server, &registry);
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    for i in 0..6 {
        orders
            .create(
                &PostParams::default(),
                &order(&registry, &format!("o{i}"), true, &format!("m{i}")),
            )
            .await
            .unwrap();
    }
    wait_preparations(&server, "o0", 1).await;
    // Mid-way: a second instance (no leader election: the worst case, both reconcile).
    let second = Operator::start(&server, &registry);
    for i in 0..6 {
        let name = format!("o{i}");
        let preps = wait_preparations(&server, &name, 1).await;
        order_ready(&server, &name, "True", "Rendered").await;
        serving_at(&server, &name, &preps[0].name_any()).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for i in 0..6 {
        let name = format!("o{i}");
        let preps = ready_preparations(&server, &name).await;
        assert_eq!(preps.len(), 1, "exactly one preparation for {name}");
        let o = orders.get(&name).await.unwrap();
        assert_eq!(
            o.status.unwrap().latest_preparation,
            Some(preps[0].name_any()),
            "status kept for {name}"
        );
    }
    first.stop().await;
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_application_is_not_taken_over() {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    // A person made an Application with the name the Serving would use.
    let theirs: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": "shop-web", "namespace": "argocd"},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://github.com/example/repo", "targetRevision": "main", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": "shop"},
        },
    }))
    .unwrap();
    apps(&server)
        .patch(
            "shop-web",
            &PatchParams::apply("kubectl"),
            &Patch::Apply(&theirs),
        )
        .await
        .unwrap();
    let operator = Operator::start(&server, &registry);
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    orders
        .create(&PostParams::default(), &order(&registry, "web", true, "hi"))
        .await
        .unwrap();
    let s = serving_condition(&server, "web", "Ready", "False", "ApplicationNotOwned").await;
    let message = s
        .status
        .unwrap()
        .conditions
        .get_condition("Ready")
        .unwrap()
        .message
        .clone();
    assert!(message.contains("kubectl"), "{message}");
    let app = serde_json::to_value(apps(&server).get("shop-web").await.unwrap()).unwrap();
    assert_eq!(app["spec"]["source"]["targetRevision"], "main", "untouched");
    operator.stop().await;
}

/// A renderer that takes its time (so the `Rendering` condition can be seen) and counts calls.
struct SlowRenderer {
    inner: kokumi_pipeline::render::HelmRenderer,
    delay: Duration,
    calls: std::sync::atomic::AtomicUsize,
}

impl kokumi_pipeline::render::Renderer for SlowRenderer {
    fn name(&self) -> &str {
        self.inner.name()
    }
    fn version(&self) -> &str {
        self.inner.version()
    }
    fn render(
        &self,
        chart: &kokumi_pipeline::source::ChartInput,
        options: &kokumi_pipeline::render::HelmOptions,
    ) -> Result<kokumi_pipeline::render::RenderedChart, kokumi_pipeline::error::BoxError> {
        self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(self.delay);
        self.inner.render(chart, options)
    }
}

fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rendering_then_rendered_in_one_reconcile_with_stage_metrics() {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let server = fake();
    let renderer = Arc::new(SlowRenderer {
        inner: kokumi_pipeline::render::HelmRenderer::new(),
        delay: Duration::from_millis(1500),
        calls: 0.into(),
    });
    let config = Config {
        registry: registry.url("kokumi"),
        ..Config::default()
    };
    let mut ctx = Context::new(server.client(), config, Arc::new(Metrics::new()));
    ctx.renderer = renderer.clone();
    let operator = Operator::with(ctx);
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    orders
        .create(&PostParams::default(), &order(&registry, "web", true, "hi"))
        .await
        .unwrap();

    // While the renderer works: Ready=Unknown, reason Rendering, naming the config hash.
    let rendering = order_ready(&server, "web", "Unknown", "Rendering").await;
    let condition = rendering
        .status
        .as_ref()
        .and_then(|s| s.conditions.get_condition("Ready"))
        .unwrap()
        .clone();
    assert!(
        condition
            .message
            .starts_with("rendering a new preparation (config hash "),
        "{}",
        condition.message
    );
    assert!(ready_preparations(&server, "web").await.is_empty());

    let done = order_ready(&server, "web", "True", "Rendered").await;
    let prep = wait_preparations(&server, "web", 1).await.remove(0);
    assert_eq!(
        done.status.unwrap().latest_preparation,
        Some(prep.name_any())
    );
    serving_at(&server, "web", &prep.name_any()).await;

    // The status writes (Rendering, Rendered) and the new Preparation woke no second reconcile:
    // one reconcile, one render.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let text = operator.ctx.metrics.encode();
    assert_eq!(
        metric(&text, "kokumi_reconciles_total{kind=\"Order\"}"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(renderer.calls.load(std::sync::atomic::Ordering::SeqCst), 1);

    // Stage timings reported by the pipeline: one render (≥ the renderer's delay), one push.
    assert_eq!(
        metric(&text, "kokumi_render_duration_seconds_count"),
        Some(1.0),
        "{text}"
    );
    assert!(
        metric(&text, "kokumi_render_duration_seconds_sum").unwrap() >= 1.5,
        "{text}"
    );
    assert_eq!(
        metric(&text, "kokumi_push_duration_seconds_count"),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        metric(&text, "kokumi_drifted_servings"),
        Some(0.0),
        "{text}"
    );

    // An edit renders again: Rendering is written for the new config hash, then Rendered.
    orders
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"render": {"helm": {"values": {"greeting": {"message": "bye"}}}}}}),
            ),
        )
        .await
        .unwrap();
    order_ready(&server, "web", "Unknown", "Rendering").await;
    wait_preparations(&server, "web", 2).await;
    order_ready(&server, "web", "True", "Rendered").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(renderer.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    operator.stop().await;
}

fn docker_config_secret(
    name: &str,
    host: &str,
    user: &str,
    password: &str,
) -> k8s_openapi::api::core::v1::Secret {
    let config = json!({"auths": {host: {"username": user, "password": password}}});
    let mut secret = k8s_openapi::api::core::v1::Secret::default();
    secret.metadata.name = Some(name.into());
    secret.metadata.namespace = Some(NS.into());
    secret.type_ = Some("kubernetes.io/dockerconfigjson".into());
    secret.data = Some(std::collections::BTreeMap::from([(
        ".dockerconfigjson".to_owned(),
        k8s_openapi::ByteString(config.to_string().into_bytes()),
    )]));
    secret
}

fn ready_message(order: &Order) -> String {
    order
        .status
        .as_ref()
        .and_then(|s| s.conditions.get_condition("Ready"))
        .map(|c| c.message.clone())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pantry_credentials_come_from_its_secret_and_a_new_secret_re_reconciles() {
    let Some(registry) = kokumi_oci::testing::TestRegistry::start_htpasswd("kokumi", "s3cret")
    else {
        return;
    };
    push_helm_chart(
        &registry.store("charts/hello"),
        hello_chart_tgz(),
        Some("0.1.0"),
        &HelmPushOptions::default(),
    )
    .await
    .unwrap();
    let host = registry.host.clone();
    let server = fake();
    // Retries are far apart: only the Secret watch can make the Order recover in time.
    let config = Config {
        registry: format!("oci://{host}/kokumi"),
        backoff_base: Duration::from_secs(600),
        backoff_max: Duration::from_secs(600),
        ..Config::default()
    };
    let operator = Operator::with(Context::new(
        server.client(),
        config,
        Arc::new(Metrics::new()),
    ));
    let pantries: Api<kokumi_core::api::Pantry> = Api::namespaced(server.client(), NS);
    for (name, url) in [
        ("private", format!("oci://{host}/charts/hello")),
        ("releases", format!("oci://{host}/releases/shop")),
    ] {
        let pantry = serde_json::from_value(json!({
            "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Pantry",
            "metadata": {"name": name, "namespace": NS},
            "spec": {"url": url, "secretRef": {"name": "regcred"}, "plainHTTP": true},
        }))
        .unwrap();
        pantries
            .create(&PostParams::default(), &pantry)
            .await
            .unwrap();
    }
    let orders: Api<Order> = Api::namespaced(server.client(), NS);
    let o: Order = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "source": {"pantryRef": {"name": "private"}, "version": "0.1.0"},
            "destination": {"pantryRef": {"name": "releases"}},
            "autoDeploy": "Enabled",
        },
    }))
    .unwrap();
    orders.create(&PostParams::default(), &o).await.unwrap();

    // No Secret yet: not Ready, and the message says which Secret to create.
    let missing = order_ready(&server, "web", "False", "SourceUnavailable").await;
    let message = ready_message(&missing);
    assert!(
        message.contains(
            "pantry private names the credentials secret shop/regcred, which does not exist"
        ) && message.contains("kubectl create secret docker-registry regcred -n shop"),
        "{message}"
    );

    // A Secret with the wrong password: the registry's refusal is the reason now.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(server.client(), NS);
    secrets
        .create(
            &PostParams::default(),
            &docker_config_secret("regcred", &host, "kokumi", "wrong"),
        )
        .await
        .unwrap();
    let refused = eventually("the order retried with the new secret", WAIT, || async {
        orders
            .get_opt("web")
            .await
            .unwrap()
            .filter(|o| !ready_message(o).contains("does not exist"))
    })
    .await;
    let message = ready_message(&refused);
    assert!(message.contains("charts/hello"), "{message}");
    assert!(ready_preparations(&server, "web").await.is_empty());

    // The right password: the changed Secret re-reconciles the Order, which becomes Ready and
    // pushes to the destination Pantry with the same credentials.
    secrets
        .replace(
            "regcred",
            &PostParams::default(),
            &docker_config_secret("regcred", &host, "kokumi", "s3cret"),
        )
        .await
        .unwrap();
    let ready = order_ready(&server, "web", "True", "Rendered").await;
    let prep = wait_preparations(&server, "web", 1).await.remove(0);
    assert_eq!(
        ready.status.unwrap().latest_preparation,
        Some(prep.name_any())
    );
    assert!(
        prep.spec
            .artifact
            .oci_ref
            .starts_with(&format!("oci://{host}/releases/shop@sha256:")),
        "{}",
        prep.spec.artifact.oci_ref
    );
    // The artifact is really there (and needs the credentials to be read).
    let store = registry.store("releases/shop");
    kokumi_oci::Store::resolve(&store, &prep.name_any())
        .await
        .unwrap();
    operator.stop().await;
}
