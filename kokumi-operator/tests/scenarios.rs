//! The controller scenarios, each written once over a [`Cluster`]: the fake suite below runs
//! them on the fake API server, `e2e.rs` on the cluster of `KOKUMI_E2E_KUBECONFIG`. A real
//! registry (`docker-registry`) on loopback is source and destination; the operator runs
//! in-process, exactly as the binary runs it.
//!
//! Every scenario is listed once, in [`every_scenario!`]; the suites expand that list, so a
//! scenario runs on all of them or on none: `fake::*` (the in-memory fake), `rehearsal::*` (the
//! real-cluster code path against the fake behind loopback HTTP, see `stand_in.rs`) and
//! `e2e::*` (a real cluster, opt-in).
//!
//! Fake-only, and not scenarios: `fake_api.rs` tests the fake's protocol (watch bookmarks and
//! `410 Gone` after [`FakeApiServer::compact`] — only the fake expires a watch on demand —,
//! paging, conflicts, apply, finalizers and cascading delete, schema and CEL validation),
//! `leader.rs` the Lease election against it, `application.rs` our Application against Argo CD's
//! schema through its validator.
//!
//! [`FakeApiServer::compact`]: kokumi_operator::testing::FakeApiServer::compact

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::events::v1::Event;
use kokumi_core::api::condition::Conditions as _;
use kokumi_core::api::{Order, Preparation, Serving};
use kokumi_oci::registry::{RegistryConfig, RegistryStore};
use kokumi_oci::source::{HelmPushOptions, push_helm_chart};
use kokumi_operator::config::Config;
use kube::ResourceExt as _;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::cluster::{Cluster, NAMESPACE_LABEL};
use crate::support::hello_chart_tgz;
use crate::support::registry::TestRegistry;

/// Calls `$suite!` with every shared scenario, as `function => "slug"` (the slug names the
/// scenario's namespace: short, DNS-1123).
macro_rules! every_scenario {
    ($suite:ident) => {
        $suite! {
            auto_deploy_delivers_the_digest_and_detects_drift => "drift",
            manual_approval_two_approvals_and_rollback => "approval",
            menu_policy_violation_its_fix_and_menu_edits_rerender => "menu",
            registry_down_then_back => "registry-down",
            a_second_operator_started_midway_duplicates_nothing => "second-operator",
            a_foreign_application_is_not_taken_over => "foreign-app",
            rendering_then_rendered_in_one_reconcile_with_stage_metrics => "rendering",
            pantry_credentials_come_from_its_secret_and_a_new_secret_re_reconciles => "pantry",
        }
    };
}
pub(crate) use every_scenario;

/// The fake suite: each scenario on its own fresh fake API server.
mod fake {
    macro_rules! on_the_fake {
        ($($scenario:ident => $slug:literal),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                crate::cluster::Cluster::fake($slug)
                    .run(super::$scenario)
                    .await;
            }
        )*};
    }
    every_scenario!(on_the_fake);
}

/// The real-cluster suite, rehearsed on a stand-in cluster (the fake behind loopback HTTP,
/// found through a kubeconfig; one for the whole process, as a cluster is one for the whole
/// suite): exactly what `e2e.rs` runs — one scenario at a time, `Cluster::real` with its CRD
/// installation, sweep, per-run namespace, own Argo CD namespace, `cascade_delete: false`,
/// longer waits and teardown — except that the kubeconfig does not come from the environment.
/// This is what makes the e2e suite known to work up to the API server it is given.
mod rehearsal {
    macro_rules! on_a_stand_in {
        ($($scenario:ident => $slug:literal),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $scenario() {
                crate::cluster::on_cluster(crate::stand_in::shared(), $slug, super::$scenario)
                    .await;
            }
        )*};
    }
    every_scenario!(on_a_stand_in);
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

fn order(c: &Cluster, registry: &TestRegistry, name: &str, auto: bool, message: &str) -> Order {
    serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1",
        "kind": "Order",
        "metadata": {"name": name, "namespace": c.namespace},
        "spec": {
            "source": {"oci": registry.url("charts/hello"), "version": "0.1.0"},
            "render": {"helm": {"values": {"greeting": {"message": message}}}},
            "autoDeploy": if auto { "Enabled" } else { "Disabled" },
        },
    }))
    .unwrap()
}

async fn ready_preparations(c: &Cluster, order: &str) -> Vec<Preparation> {
    let preps: Api<Preparation> = c.api();
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

async fn wait_preparations(c: &Cluster, order: &str, n: usize) -> Vec<Preparation> {
    c.eventually(&format!("{n} ready preparation(s) of {order}"), || async {
        let list = ready_preparations(c, order).await;
        (list.len() >= n).then_some(list)
    })
    .await
}

async fn serving_at(c: &Cluster, name: &str, preparation: &str) -> Serving {
    let servings: Api<Serving> = c.api();
    c.eventually(&format!("serving {name} → {preparation}"), || async {
        servings
            .get_opt(name)
            .await
            .unwrap()
            .filter(|s| s.spec.preparation == preparation)
    })
    .await
}

async fn application_at(c: &Cluster, name: &str, digest: &str) -> Value {
    let apps = c.applications();
    c.eventually(&format!("application {name} at {digest}"), || async {
        apps.get_opt(name)
            .await
            .unwrap()
            .map(|a| serde_json::to_value(a).unwrap())
            .filter(|a| a["spec"]["source"]["targetRevision"] == digest)
    })
    .await
}

async fn serving_condition(
    c: &Cluster,
    name: &str,
    type_: &str,
    status: &str,
    reason: &str,
) -> Serving {
    let servings: Api<Serving> = c.api();
    c.eventually(
        &format!("serving {name}: {type_}={status} {reason}"),
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

async fn order_ready(c: &Cluster, name: &str, status: &str, reason: &str) -> Order {
    let orders: Api<Order> = c.api();
    c.eventually(
        &format!("order {name}: Ready={status} {reason}"),
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

/// Points Order `order`'s destination at Pantry `pantry`.
async fn send_to(orders: &Api<Order>, order: &str, pantry: &str) {
    let patch = json!({"spec": {"destination": {"pantryRef": {"name": pantry}}}});
    orders
        .patch(order, &PatchParams::default(), &Patch::Merge(patch))
        .await
        .unwrap();
}

async fn event_reasons(c: &Cluster) -> BTreeSet<String> {
    let events: Api<Event> = c.api();
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|e| e.reason)
        .collect()
}

async fn approve(c: &Cluster, preparation: &str, at: &str) {
    let preps: Api<Preparation> = c.api();
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

/// Order → Preparation (named from its digest, owned by the Order) → auto-deployed Serving →
/// Application at that digest; Argo CD's reports give in-sync, drift (both digests, an Event,
/// the metric) and Degraded; deleting the Serving deletes the Application.
pub async fn auto_deploy_delivers_the_digest_and_detects_drift(c: Cluster) {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let operator = c.start(c.config(registry.url("kokumi")));
    let orders: Api<Order> = c.api();
    orders
        .create(
            &PostParams::default(),
            &order(&c, &registry, "web", true, "hi"),
        )
        .await
        .unwrap();

    let prep = wait_preparations(&c, "web", 1).await.remove(0);
    let digest = prep.spec.artifact.digest.to_string();
    assert!(
        prep.name_any().starts_with("web-") && digest.contains(&prep.name_any()[4..]),
        "named from the digest: {}",
        prep.name_any()
    );
    assert_eq!(prep.owner_references()[0].name, "web", "owned by the order");
    serving_at(&c, "web", &prep.name_any()).await;
    let app_name = c.application_name("web");
    let app = application_at(&c, &app_name, &digest).await;
    assert_eq!(
        app["spec"]["source"]["repoURL"],
        registry.url(&format!("kokumi/{}/web", c.namespace))
    );
    assert_eq!(app["spec"]["source"]["path"], ".");
    assert_eq!(app["spec"]["destination"]["namespace"], c.namespace);
    assert_eq!(app["spec"]["project"], "default");
    let managers: Vec<&str> = app["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert_eq!(managers, ["kokumi"]);
    let o = order_ready(&c, "web", "True", "Rendered").await;
    let status = o.status.unwrap();
    assert_eq!(
        status.latest_preparation.as_deref(),
        Some(prep.name_any().as_str())
    );
    assert_eq!(status.latest_digest, Some(prep.spec.artifact.digest));
    assert_eq!(status.observed_generation, Some(1));

    // Argo CD syncs the digest: a concrete "in sync".
    c.argo_cd_reports(&app_name, &digest, "Synced", "Healthy")
        .await;
    let s = serving_condition(&c, "web", "Ready", "True", "Deployed").await;
    assert_eq!(
        s.status.as_ref().unwrap().deployed_digest,
        Some(prep.spec.artifact.digest)
    );
    serving_condition(&c, "web", "Drifted", "False", "InSync").await;

    // Someone syncs another revision: drift, with both digests, an Event and the metric.
    let other = format!("sha256:{}", "e".repeat(64));
    c.argo_cd_reports(&app_name, &other, "Synced", "Healthy")
        .await;
    let s = serving_condition(&c, "web", "Drifted", "True", "DigestMismatch").await;
    let drift = s
        .status
        .unwrap()
        .conditions
        .get_condition("Drifted")
        .unwrap()
        .message
        .clone();
    assert!(drift.contains(&other) && drift.contains(&digest), "{drift}");
    c.eventually("a Drifted event", || async {
        event_reasons(&c).await.contains("Drifted").then_some(())
    })
    .await;
    assert_eq!(operator.ctx.metrics.drifted(), 1);
    // Health Degraded is reported too.
    c.argo_cd_reports(&app_name, &digest, "Synced", "Degraded")
        .await;
    serving_condition(&c, "web", "Healthy", "False", "Degraded").await;
    serving_condition(&c, "web", "Drifted", "False", "InSync").await;
    assert_eq!(operator.ctx.metrics.drifted(), 0);

    let reasons = event_reasons(&c).await;
    for r in ["Rendered", "Promoted", "Delivering", "Drifted", "InSync"] {
        assert!(reasons.contains(r), "event {r} missing: {reasons:?}");
    }

    // Deleting the Serving deletes its Application first (finalizer).
    let servings: Api<Serving> = c.api();
    servings.delete("web", &Default::default()).await.unwrap();
    c.eventually("the application is deleted", || async {
        let app = c.applications().get_opt(&app_name).await.unwrap();
        // Argo CD's own finalizer keeps it until Argo CD removed the resources.
        app.is_none_or(|a| a.metadata.deletion_timestamp.is_some())
            .then_some(())
    })
    .await;
    operator.stop().await;
}

/// Without autoDeploy nothing is served until a Preparation is approved; of two approvals the
/// later wins; approving the older one again rolls back, and nothing re-renders.
pub async fn manual_approval_two_approvals_and_rollback(c: Cluster) {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let operator = c.start(c.config(registry.url("kokumi")));
    let orders: Api<Order> = c.api();
    orders
        .create(
            &PostParams::default(),
            &order(&c, &registry, "api", false, "one"),
        )
        .await
        .unwrap();
    let first = wait_preparations(&c, "api", 1).await.remove(0);
    // Not approved: no Serving.
    c.pause(Duration::from_millis(500)).await;
    let servings: Api<Serving> = c.api();
    assert!(servings.get_opt("api").await.unwrap().is_none());

    approve(&c, &first.name_any(), "2026-01-01T10:00:00Z").await;
    serving_at(&c, "api", &first.name_any()).await;
    let app_name = c.application_name("api");
    application_at(&c, &app_name, &first.spec.artifact.digest.to_string()).await;

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
    let both = wait_preparations(&c, "api", 2).await;
    let second = both
        .iter()
        .find(|p| p.name_any() != first.name_any())
        .unwrap()
        .clone();
    assert_ne!(second.spec.artifact.digest, first.spec.artifact.digest);
    c.pause(Duration::from_millis(300)).await;
    assert_eq!(
        servings.get("api").await.unwrap().spec.preparation,
        first.name_any()
    );

    // Two approvals: the later approval wins, whatever the list order.
    approve(&c, &second.name_any(), "2026-01-01T11:00:00Z").await;
    serving_at(&c, "api", &second.name_any()).await;
    application_at(&c, &app_name, &second.spec.artifact.digest.to_string()).await;

    // Rollback: approve the older one again, later.
    approve(&c, &first.name_any(), "2026-01-01T12:00:00Z").await;
    serving_at(&c, "api", &first.name_any()).await;
    application_at(&c, &app_name, &first.spec.artifact.digest.to_string()).await;
    // Nothing re-rendered.
    assert_eq!(ready_preparations(&c, "api").await.len(), 2);
    operator.stop().await;
}

/// An Order overriding what its Menu forbids is `PolicyViolation` (naming the field); the fix
/// renders; editing the Menu re-renders the Order.
pub async fn menu_policy_violation_its_fix_and_menu_edits_rerender(c: Cluster) {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let operator = c.start(c.config(registry.url("kokumi")));
    let menus: Api<kokumi_core::api::Menu> = Api::all(c.client.clone());
    // Menus are cluster-scoped: one per scenario namespace, labelled for the teardown.
    let menu_name = format!("{}-hello", c.namespace);
    let menu: kokumi_core::api::Menu = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Menu",
        "metadata": {"name": menu_name, "labels": {NAMESPACE_LABEL: c.namespace}},
        "spec": {
            "source": {"oci": registry.url("charts/hello"), "version": "0.1.0"},
            "render": {"helm": {"values": {"greeting": {"color": "red"}}}},
            "overrides": {"values": {"policy": "Restricted", "allowed": ["greeting.message"]}},
        },
    }))
    .unwrap();
    menus.create(&PostParams::default(), &menu).await.unwrap();
    let orders: Api<Order> = c.api();
    let o: Order = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order", "metadata": {"name": "team"},
        "spec": {"menuRef": {"name": menu_name}, "render": {"helm": {"values": {"replicaCount": 5}}}, "autoDeploy": "Enabled"},
    }))
    .unwrap();
    orders.create(&PostParams::default(), &o).await.unwrap();
    let violated = order_ready(&c, "team", "False", "PolicyViolation").await;
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
    assert!(ready_preparations(&c, "team").await.is_empty());

    // The fix: only allowed overrides.
    orders
        .patch("team", &PatchParams::default(), &Patch::Merge(json!({"spec": {"render": {"helm": {"values": {"replicaCount": null, "greeting": {"message": "ok"}}}}}})))
        .await
        .unwrap();
    let first = wait_preparations(&c, "team", 1).await.remove(0);
    order_ready(&c, "team", "True", "Rendered").await;

    // Editing the Menu re-renders the Order (no change to the Order itself).
    menus
        .patch(
            &menu_name,
            &PatchParams::default(),
            &Patch::Merge(
                json!({"spec": {"render": {"helm": {"values": {"greeting": {"color": "blue"}}}}}}),
            ),
        )
        .await
        .unwrap();
    let both = wait_preparations(&c, "team", 2).await;
    let second = both
        .iter()
        .find(|p| p.name_any() != first.name_any())
        .unwrap();
    serving_at(&c, "team", &second.name_any()).await;
    operator.stop().await;
}

/// The source registry is down: `SourceUnavailable` naming it, with an Event; once it is back
/// the Order renders and is served.
pub async fn registry_down_then_back(c: Cluster) {
    let Some(mut registry) = registry_with_chart().await else {
        return;
    };
    let operator = c.start(c.config(registry.url("kokumi")));
    registry.stop();
    let orders: Api<Order> = c.api();
    orders
        .create(
            &PostParams::default(),
            &order(&c, &registry, "db", true, "x"),
        )
        .await
        .unwrap();
    let down = order_ready(&c, "db", "False", "SourceUnavailable").await;
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
    c.eventually("a SourceUnavailable event", || async {
        event_reasons(&c)
            .await
            .contains("SourceUnavailable")
            .then_some(())
    })
    .await;

    registry.resume();
    let prep = wait_preparations(&c, "db", 1).await.remove(0);
    order_ready(&c, "db", "True", "Rendered").await;
    serving_at(&c, "db", &prep.name_any()).await;
    operator.stop().await;
}

/// A second operator instance started mid-way (no leader election): still one Preparation per
/// Order, and no status lost.
pub async fn a_second_operator_started_midway_duplicates_nothing(c: Cluster) {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let first = c.start(c.config(registry.url("kokumi")));
    let orders: Api<Order> = c.api();
    for i in 0..6 {
        orders
            .create(
                &PostParams::default(),
                &order(&c, &registry, &format!("o{i}"), true, &format!("m{i}")),
            )
            .await
            .unwrap();
    }
    wait_preparations(&c, "o0", 1).await;
    // Mid-way: a second instance (no leader election: the worst case, both reconcile).
    let second = c.start(c.config(registry.url("kokumi")));
    for i in 0..6 {
        let name = format!("o{i}");
        let preps = wait_preparations(&c, &name, 1).await;
        order_ready(&c, &name, "True", "Rendered").await;
        serving_at(&c, &name, &preps[0].name_any()).await;
    }
    c.pause(Duration::from_millis(500)).await;
    for i in 0..6 {
        let name = format!("o{i}");
        let preps = ready_preparations(&c, &name).await;
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

/// An Application someone else made under the Serving's name is left alone, and the Serving says
/// who owns it.
pub async fn a_foreign_application_is_not_taken_over(c: Cluster) {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    // A person made an Application with the name the Serving would use.
    let app_name = c.application_name("web");
    let theirs: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
        "metadata": {"name": app_name, "namespace": c.argocd_namespace},
        "spec": {
            "project": "default",
            "source": {"repoURL": "https://github.com/example/repo", "targetRevision": "main", "path": "app"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": c.namespace},
        },
    }))
    .unwrap();
    c.applications()
        .patch(
            &app_name,
            &PatchParams::apply("kubectl"),
            &Patch::Apply(&theirs),
        )
        .await
        .unwrap();
    let operator = c.start(c.config(registry.url("kokumi")));
    let orders: Api<Order> = c.api();
    orders
        .create(
            &PostParams::default(),
            &order(&c, &registry, "web", true, "hi"),
        )
        .await
        .unwrap();
    let s = serving_condition(&c, "web", "Ready", "False", "ApplicationNotOwned").await;
    let message = s
        .status
        .unwrap()
        .conditions
        .get_condition("Ready")
        .unwrap()
        .message
        .clone();
    assert!(message.contains("kubectl"), "{message}");
    let app = serde_json::to_value(c.applications().get(&app_name).await.unwrap()).unwrap();
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

/// `Rendering` while the renderer works, then `Rendered`, in one reconcile and one render, with
/// the pipeline's stage metrics; an edit goes through `Rendering` again.
pub async fn rendering_then_rendered_in_one_reconcile_with_stage_metrics(c: Cluster) {
    let Some(registry) = registry_with_chart().await else {
        return;
    };
    let renderer = Arc::new(SlowRenderer {
        inner: kokumi_pipeline::render::HelmRenderer::new(),
        delay: Duration::from_millis(1500),
        calls: 0.into(),
    });
    // The default retry delays, not the environment's quick ones.
    let config = Config {
        backoff_base: Config::default().backoff_base,
        backoff_max: Config::default().backoff_max,
        ..c.config(registry.url("kokumi"))
    };
    let mut ctx = c.context(config);
    ctx.renderer = renderer.clone();
    let operator = c.start_with(ctx);
    let orders: Api<Order> = c.api();
    orders
        .create(
            &PostParams::default(),
            &order(&c, &registry, "web", true, "hi"),
        )
        .await
        .unwrap();

    // While the renderer works: Ready=Unknown, reason Rendering, naming the config hash.
    let rendering = order_ready(&c, "web", "Unknown", "Rendering").await;
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
    assert!(ready_preparations(&c, "web").await.is_empty());

    let done = order_ready(&c, "web", "True", "Rendered").await;
    let prep = wait_preparations(&c, "web", 1).await.remove(0);
    assert_eq!(
        done.status.unwrap().latest_preparation,
        Some(prep.name_any())
    );
    serving_at(&c, "web", &prep.name_any()).await;

    // The status writes (Rendering, Rendered) and the new Preparation woke no second reconcile:
    // one reconcile, one render.
    c.pause(Duration::from_secs(1)).await;
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
    order_ready(&c, "web", "Unknown", "Rendering").await;
    wait_preparations(&c, "web", 2).await;
    order_ready(&c, "web", "True", "Rendered").await;
    c.pause(Duration::from_secs(1)).await;
    assert_eq!(renderer.calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    operator.stop().await;
}

fn docker_config_secret(
    c: &Cluster,
    name: &str,
    host: &str,
    user: &str,
    password: &str,
) -> k8s_openapi::api::core::v1::Secret {
    let config = json!({"auths": {host: {"username": user, "password": password}}});
    let mut secret = k8s_openapi::api::core::v1::Secret::default();
    secret.metadata.name = Some(name.into());
    secret.metadata.namespace = Some(c.namespace.clone());
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

/// A Pantry's credentials come from its Secret: a missing one is named (with the command to
/// create it), a wrong one is the registry's refusal, and each Secret change re-reconciles the
/// Order through the Secret watch alone.
pub async fn pantry_credentials_come_from_its_secret_and_a_new_secret_re_reconciles(c: Cluster) {
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
    // Retries are far apart: only the Secret watch can make the Order recover in time.
    let config = Config {
        backoff_base: Duration::from_secs(600),
        backoff_max: Duration::from_secs(600),
        ..c.config(format!("oci://{host}/kokumi"))
    };
    let operator = c.start(config);
    let pantries: Api<kokumi_core::api::Pantry> = c.api();
    for (name, url) in [
        ("private", format!("oci://{host}/charts/hello")),
        ("releases", format!("oci://{host}/releases/shop")),
    ] {
        let pantry = serde_json::from_value(json!({
            "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Pantry",
            "metadata": {"name": name, "namespace": c.namespace},
            "spec": {"url": url, "secretRef": {"name": "regcred"}, "plainHTTP": true},
        }))
        .unwrap();
        pantries
            .create(&PostParams::default(), &pantry)
            .await
            .unwrap();
    }
    let orders: Api<Order> = c.api();
    let o: Order = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order",
        "metadata": {"name": "web", "namespace": c.namespace},
        "spec": {
            "source": {"pantryRef": {"name": "private"}, "version": "0.1.0"},
            "destination": {"pantryRef": {"name": "releases"}},
            "autoDeploy": "Enabled",
        },
    }))
    .unwrap();
    orders.create(&PostParams::default(), &o).await.unwrap();

    // No Secret yet: not Ready, and the message says which Secret to create.
    let missing = order_ready(&c, "web", "False", "SourceUnavailable").await;
    let message = ready_message(&missing);
    let ns = &c.namespace;
    assert!(
        message.contains(&format!(
            "pantry private names the credentials secret {ns}/regcred, which does not exist"
        )) && message.contains(&format!(
            "kubectl create secret docker-registry regcred -n {ns}"
        )),
        "{message}"
    );

    // A Secret with the wrong password: the registry's refusal is the reason now.
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = c.api();
    secrets
        .create(
            &PostParams::default(),
            &docker_config_secret(&c, "regcred", &host, "kokumi", "wrong"),
        )
        .await
        .unwrap();
    let refused = c
        .eventually("the order retried with the new secret", || async {
            orders
                .get_opt("web")
                .await
                .unwrap()
                .filter(|o| !ready_message(o).contains("does not exist"))
        })
        .await;
    let message = ready_message(&refused);
    assert!(message.contains("charts/hello"), "{message}");
    assert!(ready_preparations(&c, "web").await.is_empty());

    // The right password: the changed Secret re-reconciles the Order, which becomes Ready and
    // pushes to the destination Pantry with the same credentials.
    secrets
        .replace(
            "regcred",
            &PostParams::default(),
            &docker_config_secret(&c, "regcred", &host, "kokumi", "s3cret"),
        )
        .await
        .unwrap();
    let ready = order_ready(&c, "web", "True", "Rendered").await;
    let prep = wait_preparations(&c, "web", 1).await.remove(0);
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

    // The Order moves to another destination: the same Preparation (same digest) is pushed
    // there, its status names the new place (the spec is immutable and keeps the first), and
    // the Application follows it.
    let moved_url = format!("oci://{host}/releases/moved");
    let moved_pantry = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Pantry",
        "metadata": {"name": "moved", "namespace": c.namespace},
        "spec": {"url": moved_url, "secretRef": {"name": "regcred"}, "plainHTTP": true},
    }))
    .unwrap();
    pantries
        .create(&PostParams::default(), &moved_pantry)
        .await
        .unwrap();
    send_to(&orders, "web", "moved").await;
    let preps: Api<Preparation> = c.api();
    let digest = prep.spec.artifact.digest.to_string();
    let relocated = c
        .eventually("the preparation's status names the new place", || async {
            preps
                .get_opt(&prep.name_any())
                .await
                .unwrap()
                .filter(|p| p.oci_ref() == format!("{moved_url}@{digest}"))
        })
        .await;
    assert_eq!(relocated.spec, prep.spec);
    assert_eq!(wait_preparations(&c, "web", 1).await.len(), 1);
    kokumi_oci::Store::resolve(&registry.store("releases/moved"), &prep.name_any())
        .await
        .unwrap();
    let apps = c.applications();
    let app_name = c.application_name("web");
    c.eventually("the application pulls from the new place", || async {
        apps.get_opt(&app_name)
            .await
            .unwrap()
            .map(|a| serde_json::to_value(a).unwrap())
            .filter(|a| a["spec"]["source"]["repoURL"] == moved_url.as_str())
    })
    .await;

    // And back: the status no longer names another place.
    send_to(&orders, "web", "releases").await;
    let back = c
        .eventually("the preparation is back at its first place", || async {
            preps
                .get_opt(&prep.name_any())
                .await
                .unwrap()
                .filter(|p| p.oci_ref() == prep.spec.artifact.oci_ref)
        })
        .await;
    assert_eq!(back.status.unwrap().oci_ref, None);
    operator.stop().await;
}
