//! The real-cluster test: gated on `KOKUMI_E2E_KUBECONFIG` (a kubeconfig path).
//!
//! It installs our CRDs and Argo CD's Application CRD (server-side apply), runs both
//! controllers in-process against that cluster, pushes the example chart to a registry it
//! starts on loopback, and checks Order → Preparation → Serving → Application by digest. No
//! Argo CD needs to run: the Application object is the contract.

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kokumi_core::api::condition::Conditions as _;
use kokumi_core::api::{Order, Pantry, Preparation, Serving};
use kokumi_oci::registry::{RegistryConfig, RegistryStore};
use kokumi_oci::source::{HelmPushOptions, push_helm_chart};
use kokumi_operator::config::Config;
use kokumi_operator::context::Context;
use kokumi_operator::controller::serving::application_resource;
use kokumi_operator::metrics::Metrics;
use kokumi_operator::run;
use kube::ResourceExt as _;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use crate::support::registry::TestRegistry;
use crate::support::{argocd_crd_yaml, eventually, hello_chart_tgz};

async fn client() -> Option<kube::Client> {
    let Some(path) = std::env::var_os("KOKUMI_E2E_KUBECONFIG").filter(|p| !p.is_empty()) else {
        eprintln!(
            "NOTICE: skipping the real-cluster test: set KOKUMI_E2E_KUBECONFIG to a kubeconfig path to run it"
        );
        return None;
    };
    let kubeconfig = Kubeconfig::read_from(&path).expect("reading KOKUMI_E2E_KUBECONFIG");
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("a usable kubeconfig");
    Some(kube::Client::try_from(config).expect("a client"))
}

async fn install_crds(client: &kube::Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut all = kokumi_core::api::crds();
    for doc in serde_norway::Deserializer::from_str(&argocd_crd_yaml()) {
        let value: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
        if !value.is_null() {
            all.push(serde_json::from_value(value).unwrap());
        }
    }
    for crd in &all {
        let name = crd.name_any();
        let mut crd = crd.clone();
        crd.metadata.managed_fields = None;
        crds.patch(
            &name,
            &PatchParams::apply("kokumi-e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap_or_else(|e| panic!("the API server rejects CRD {name}: {e}"));
    }
    for crd in &all {
        let name = crd.name_any();
        eventually(
            &format!("CRD {name} established"),
            Duration::from_secs(60),
            || async {
                let c = crds.get(&name).await.ok()?;
                c.status?
                    .conditions?
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
                    .then_some(())
            },
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn order_to_application_on_a_real_cluster() {
    let Some(client) = client().await else { return };
    let Some(registry) = TestRegistry::start() else {
        return;
    };
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
    install_crds(&client).await;
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = format!("kokumi-e2e-{}", std::process::id());
    for name in [ns.as_str(), "argocd"] {
        let n: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        match namespaces.create(&PostParams::default(), &n).await {
            Ok(_) | Err(kube::Error::Api(_)) => {}
            Err(e) => panic!("creating namespace {name}: {e}"),
        }
    }
    let config = Config {
        registry: registry.url("kokumi"),
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        cascade_delete: false,
        ..Config::default()
    };
    let ctx = Arc::new(Context::new(
        client.clone(),
        config,
        Arc::new(Metrics::new()),
    ));
    let (trigger, shutdown) = run::shutdown();
    let task = tokio::spawn(run::controllers(ctx, shutdown));

    let orders: Api<Order> = Api::namespaced(client.clone(), &ns);
    let order: Order = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order", "metadata": {"name": "web"},
        "spec": {"source": {"oci": registry.url("charts/hello"), "version": "0.1.0"}, "render": {"helm": {}}, "autoDeploy": "Enabled"},
    }))
    .unwrap();
    orders.create(&PostParams::default(), &order).await.unwrap();
    let preps: Api<Preparation> = Api::namespaced(client.clone(), &ns);
    let prep = eventually("a ready preparation", Duration::from_secs(120), || async {
        preps
            .list(&ListParams::default())
            .await
            .ok()?
            .items
            .into_iter()
            .find(Preparation::is_ready)
    })
    .await;
    // The Order says Rendered once the Preparation is recorded.
    eventually("Ready=True Rendered", Duration::from_secs(60), || async {
        let o = orders.get("web").await.ok()?;
        let c = o.status?.conditions.get_condition("Ready").cloned()?;
        (c.status == "True" && c.reason == "Rendered").then_some(())
    })
    .await;
    let servings: Api<Serving> = Api::namespaced(client.clone(), &ns);
    eventually("the serving", Duration::from_secs(60), || async {
        servings
            .get_opt("web")
            .await
            .ok()?
            .filter(|s| s.spec.preparation == prep.name_any())
    })
    .await;
    let apps: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "argocd", &application_resource());
    let digest = prep.spec.artifact.digest.to_string();
    eventually(
        "the application at the digest",
        Duration::from_secs(60),
        || async {
            let app = apps.get_opt(&format!("{ns}-web")).await.ok()??;
            (app.data["spec"]["source"]["targetRevision"] == digest).then_some(())
        },
    )
    .await;

    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    let _ = apps
        .delete(&format!("{ns}-web"), &DeleteParams::default())
        .await;
    let _ = namespaces.delete(&ns, &DeleteParams::default()).await;
}

/// The Pantry credentials scenario on a real API server: the Order waits for its Pantry's
/// Secret (SourceUnavailable, naming it), and becomes Ready once the Secret exists — through
/// the per-name Secret watch, since retries are set far apart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pantry_secret_on_a_real_cluster() {
    let Some(client) = client().await else { return };
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
    install_crds(&client).await;
    let host = registry.host.clone();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = format!("kokumi-e2e-pantry-{}", std::process::id());
    for name in [ns.as_str(), "argocd"] {
        let n: Namespace = serde_json::from_value(json!({"metadata": {"name": name}})).unwrap();
        match namespaces.create(&PostParams::default(), &n).await {
            Ok(_) | Err(kube::Error::Api(_)) => {}
            Err(e) => panic!("creating namespace {name}: {e}"),
        }
    }
    let config = Config {
        registry: format!("oci://{host}/kokumi"),
        backoff_base: Duration::from_secs(600),
        backoff_max: Duration::from_secs(600),
        cascade_delete: false,
        ..Config::default()
    };
    let ctx = Arc::new(Context::new(
        client.clone(),
        config,
        Arc::new(Metrics::new()),
    ));
    let (trigger, shutdown) = run::shutdown();
    let task = tokio::spawn(run::controllers(ctx, shutdown));

    let pantries: Api<Pantry> = Api::namespaced(client.clone(), &ns);
    let pantry: Pantry = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Pantry",
        "metadata": {"name": "private"},
        "spec": {"url": format!("oci://{host}/charts/hello"), "secretRef": {"name": "regcred"}, "plainHTTP": true},
    }))
    .unwrap();
    pantries
        .create(&PostParams::default(), &pantry)
        .await
        .unwrap();
    let orders: Api<Order> = Api::namespaced(client.clone(), &ns);
    let order: Order = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order", "metadata": {"name": "web"},
        "spec": {"source": {"pantryRef": {"name": "private"}, "version": "0.1.0"}, "autoDeploy": "Enabled"},
    }))
    .unwrap();
    orders.create(&PostParams::default(), &order).await.unwrap();
    let reason = |o: &Order| {
        o.status
            .as_ref()
            .and_then(|s| s.conditions.get_condition("Ready"))
            .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
    };
    let (_, _, message) = eventually("SourceUnavailable", Duration::from_secs(60), || async {
        reason(&orders.get("web").await.ok()?)
            .filter(|(s, r, _)| s == "False" && r == "SourceUnavailable")
    })
    .await;
    assert!(message.contains("regcred"), "{message}");

    let mut secret = k8s_openapi::api::core::v1::Secret::default();
    secret.metadata.name = Some("regcred".into());
    secret.type_ = Some("kubernetes.io/dockerconfigjson".into());
    let docker = json!({"auths": {host.as_str(): {"username": "kokumi", "password": "s3cret"}}});
    secret.data = Some(std::collections::BTreeMap::from([(
        ".dockerconfigjson".to_owned(),
        k8s_openapi::ByteString(docker.to_string().into_bytes()),
    )]));
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(client.clone(), &ns);
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
    eventually("Ready=True Rendered", Duration::from_secs(120), || async {
        reason(&orders.get("web").await.ok()?).filter(|(s, r, _)| s == "True" && r == "Rendered")
    })
    .await;

    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    let apps: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "argocd", &application_resource());
    let _ = apps
        .delete(&format!("{ns}-web"), &DeleteParams::default())
        .await;
    let _ = namespaces.delete(&ns, &DeleteParams::default()).await;
}
