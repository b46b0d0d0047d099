//! The Argo CD Application we generate: pinned by a snapshot and accepted by Argo CD's CRD
//! schema (through the fake API server's validation).

use kokumi_core::api::{Preparation, Serving};
use kokumi_operator::application::{desired, foreign_owner, observed};
use kokumi_operator::config::Config;
use kokumi_operator::controller::serving::application_resource;
use kube::api::{Api, DynamicObject, Patch, PatchParams};
use serde_json::json;

use crate::support::fake;

fn serving() -> Serving {
    serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Serving",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"order": "web", "preparation": "web-aaaaaaaaaaaa"},
    }))
    .unwrap()
}

fn preparation() -> Preparation {
    serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Preparation",
        "metadata": {"name": "web-aaaaaaaaaaaa", "namespace": "shop"},
        "spec": {
            "orderName": "web",
            "source": {"oci": "oci://registry.example/charts/hello", "version": "0.1.0", "baseDigest": format!("sha256:{}", "1".repeat(64))},
            "renderer": {"name": "kokumi", "version": "0.1.0", "renderType": "Helm"},
            "configHash": format!("sha256:{}", "2".repeat(64)),
            "artifact": {"ociRef": format!("oci://registry.example/kokumi/shop/web@sha256:{}", "a".repeat(64)), "digest": format!("sha256:{}", "a".repeat(64))},
        },
    }))
    .unwrap()
}

#[test]
fn the_application_we_apply() {
    let app = desired(&serving(), &preparation(), &Config::default());
    insta::assert_yaml_snapshot!(app, @r#"
    apiVersion: argoproj.io/v1alpha1
    kind: Application
    metadata:
      name: shop-web
      namespace: argocd
      labels:
        app.kubernetes.io/managed-by: kokumi
        delivery.kokumi.dev/serving-namespace: shop
        delivery.kokumi.dev/serving-name: web
      annotations:
        delivery.kokumi.dev/serving: shop/web
        delivery.kokumi.dev/preparation: web-aaaaaaaaaaaa
      finalizers:
        - resources-finalizer.argocd.argoproj.io
    spec:
      project: default
      source:
        repoURL: "oci://registry.example/kokumi/shop/web"
        targetRevision: "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        path: "."
      destination:
        server: "https://kubernetes.default.svc"
        namespace: shop
      syncPolicy:
        automated:
          prune: true
          selfHeal: true
        retry:
          limit: 5
          backoff:
            duration: 5s
            factor: 2
            maxDuration: 3m
    "#);
    assert_eq!(foreign_owner(&app, &serving()), None, "ours");
    let mut other = app.clone();
    other["metadata"]["annotations"]["delivery.kokumi.dev/serving"] = json!("shop/api");
    assert_eq!(
        foreign_owner(&other, &serving()).as_deref(),
        Some("it belongs to serving shop/api")
    );
    assert_eq!(observed(&app), Default::default());
}

#[tokio::test]
async fn argo_cd_accepts_it() {
    let server = fake();
    let apps: Api<DynamicObject> =
        Api::namespaced_with(server.client(), "argocd", &application_resource());
    for config in [
        Config::default(),
        Config {
            auto_sync: false,
            cascade_delete: false,
            ..Config::default()
        },
    ] {
        let app = desired(&serving(), &preparation(), &config);
        apps.patch(
            "shop-web",
            &PatchParams::apply("kokumi").force(),
            &Patch::Apply(&app),
        )
        .await
        .unwrap_or_else(|e| panic!("Argo CD's schema rejects our Application: {e}"));
    }
    // And a wrong one is rejected, so the check means something.
    let mut bad = desired(&serving(), &preparation(), &Config::default());
    bad["spec"]["syncPolicy"]["automated"]["prune"] = json!("yes");
    let e = apps
        .patch(
            "shop-web",
            &PatchParams::apply("kokumi").force(),
            &Patch::Apply(&bad),
        )
        .await
        .unwrap_err();
    assert!(e.to_string().contains("prune"), "{e}");
}
