//! The fake API server, exercised with kube's typed `Api` calls.

use std::time::Duration;

use futures_util::{StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::Secret;
use kokumi_core::api::{Order, Preparation};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch,
    PatchParams, PostParams, WatchEvent, WatchParams,
};
use kube::core::Status;
use kube::runtime::watcher;
use serde_json::json;

use crate::support::{eventually, fake};

fn order(name: &str) -> Order {
    serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1",
        "kind": "Order",
        "metadata": {"name": name},
        "spec": {"source": {"oci": "oci://registry.example/charts/hello", "version": "0.1.0"}},
    }))
    .unwrap()
}

fn api_error(e: kube::Error) -> Status {
    match e {
        kube::Error::Api(s) => *s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn create_get_update_conflict_and_generation() {
    let server = fake();
    let orders: Api<Order> = Api::namespaced(server.client(), "shop");
    let created = orders
        .create(&PostParams::default(), &order("web"))
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    assert_eq!(created.metadata.namespace.as_deref(), Some("shop"));
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());

    let dup = orders
        .create(&PostParams::default(), &order("web"))
        .await
        .unwrap_err();
    assert_eq!(api_error(dup).code, 409);

    // A spec change bumps the generation.
    let mut changed = created.clone();
    changed.spec.source.as_mut().unwrap().version = "0.2.0".into();
    let updated = orders
        .replace("web", &PostParams::default(), &changed)
        .await
        .unwrap();
    assert_eq!(updated.metadata.generation, Some(2));
    assert_ne!(
        updated.metadata.resource_version,
        created.metadata.resource_version
    );

    // The old resourceVersion is stale now.
    let stale = orders
        .replace("web", &PostParams::default(), &changed)
        .await
        .unwrap_err();
    let stale = api_error(stale);
    assert_eq!((stale.code, stale.reason.as_str()), (409, "Conflict"));

    // Status through the main resource is ignored; through /status it is written, and the
    // generation stays.
    let mut with_status = updated.clone();
    with_status.status =
        Some(serde_json::from_value(json!({"latestPreparation": "web-1"})).unwrap());
    let ignored = orders
        .replace("web", &PostParams::default(), &with_status)
        .await
        .unwrap();
    assert_eq!(ignored.status, None);
    assert_eq!(
        ignored.metadata.resource_version, updated.metadata.resource_version,
        "a no-op write keeps the version"
    );
    let status = orders
        .patch_status(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"latestPreparation": "web-1"}})),
        )
        .await
        .unwrap();
    assert_eq!(
        status.status.unwrap().latest_preparation.as_deref(),
        Some("web-1")
    );
    assert_eq!(status.metadata.generation, Some(2));

    let missing = orders.get("nope").await.unwrap_err();
    assert_eq!(api_error(missing).code, 404);
}

#[tokio::test]
async fn label_selectors_and_paging() {
    let server = fake();
    let secrets: Api<Secret> = Api::namespaced(server.client(), "shop");
    for (name, tier) in [("a", "web"), ("b", "db"), ("c", "web"), ("d", "cache")] {
        let s: Secret =
            serde_json::from_value(json!({"metadata": {"name": name, "labels": {"tier": tier}}}))
                .unwrap();
        secrets.create(&PostParams::default(), &s).await.unwrap();
    }
    let names = |l: kube::api::ObjectList<Secret>| {
        l.items
            .into_iter()
            .map(|s| s.metadata.name.unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(
            secrets
                .list(&ListParams::default().labels("tier=web"))
                .await
                .unwrap()
        ),
        ["a", "c"]
    );
    assert_eq!(
        names(
            secrets
                .list(&ListParams::default().labels("tier in (db,cache)"))
                .await
                .unwrap()
        ),
        ["b", "d"]
    );
    assert_eq!(
        names(
            secrets
                .list(&ListParams::default().labels("tier!=web"))
                .await
                .unwrap()
        ),
        ["b", "d"]
    );
    assert_eq!(
        names(
            secrets
                .list(&ListParams::default().fields("metadata.name=c"))
                .await
                .unwrap()
        ),
        ["c"]
    );
    let page = secrets.list(&ListParams::default().limit(3)).await.unwrap();
    assert_eq!(page.items.len(), 3);
    let token = page.metadata.continue_.clone().unwrap();
    let rest = secrets
        .list(&ListParams::default().limit(3).continue_token(&token))
        .await
        .unwrap();
    assert_eq!(names(rest), ["d"]);
    // Another namespace sees nothing; all namespaces see everything.
    let other: Api<Secret> = Api::namespaced(server.client(), "other");
    assert!(
        other
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let all: Api<Secret> = Api::all(server.client());
    assert_eq!(
        all.list(&ListParams::default()).await.unwrap().items.len(),
        4
    );
}

#[tokio::test]
async fn watch_from_a_version_bookmarks_and_gone() {
    let server = fake();
    let secrets: Api<Secret> = Api::namespaced(server.client(), "shop");
    let first: Secret = serde_json::from_value(json!({"metadata": {"name": "one"}})).unwrap();
    let first = secrets
        .create(&PostParams::default(), &first)
        .await
        .unwrap();
    let rv = first.metadata.resource_version.clone().unwrap();
    let second: Secret = serde_json::from_value(json!({"metadata": {"name": "two"}})).unwrap();
    secrets
        .create(&PostParams::default(), &second)
        .await
        .unwrap();
    secrets
        .delete("one", &DeleteParams::default())
        .await
        .unwrap();

    // From `rv`: what happened after it, in order, then bookmarks.
    let mut stream = secrets
        .watch(&WatchParams::default().timeout(5), &rv)
        .await
        .unwrap()
        .boxed();
    let mut seen = Vec::new();
    while seen.len() < 3 {
        match stream.try_next().await.unwrap().unwrap() {
            WatchEvent::Added(s) => seen.push(format!("ADDED {}", s.metadata.name.unwrap())),
            WatchEvent::Deleted(s) => seen.push(format!("DELETED {}", s.metadata.name.unwrap())),
            WatchEvent::Bookmark(b) => seen.push(format!(
                "BOOKMARK {}",
                b.metadata.resource_version.parse::<u64>().unwrap() >= server.resource_version()
            )),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(seen, ["ADDED two", "DELETED one", "BOOKMARK true"]);

    // After a compaction the old version is gone: 410.
    server.compact();
    let mut stream = secrets
        .watch(&WatchParams::default(), &rv)
        .await
        .unwrap()
        .boxed();
    match stream.try_next().await.unwrap().unwrap() {
        WatchEvent::Error(e) => assert_eq!(e.code, 410),
        other => panic!("expected 410, got {other:?}"),
    }

    // kube's watcher recovers from 410 by listing again and keeps delivering.
    let events = watcher(secrets.clone(), watcher::Config::default());
    let mut events = Box::pin(events);
    let three: Secret = serde_json::from_value(json!({"metadata": {"name": "three"}})).unwrap();
    let creator = secrets.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        creator
            .create(&PostParams::default(), &three)
            .await
            .unwrap();
    });
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(e) = events.next().await {
            if let Ok(watcher::Event::Apply(s)) = e
                && s.metadata.name.as_deref() == Some("three")
            {
                return true;
            }
        }
        false
    })
    .await
    .unwrap();
    assert!(found);
}

#[tokio::test]
async fn merge_json_patch_and_server_side_apply() {
    let server = fake();
    let secrets: Api<Secret> = Api::namespaced(server.client(), "shop");
    // Apply creates.
    let applied = secrets
        .patch("s", &PatchParams::apply("alice"), &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"a": "1", "b": "2"}}})))
        .await
        .unwrap();
    assert_eq!(
        applied.metadata.managed_fields.as_ref().unwrap()[0]
            .manager
            .as_deref(),
        Some("alice")
    );
    // Merge patch and JSON patch.
    secrets
        .patch(
            "s",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"c": "3"}}})),
        )
        .await
        .unwrap();
    let ops: json_patch4::Patch =
        serde_json::from_value(json!([{"op": "remove", "path": "/metadata/labels/c"}])).unwrap();
    let patched = secrets
        .patch("s", &PatchParams::default(), &Patch::<()>::Json(ops))
        .await
        .unwrap();
    assert_eq!(patched.metadata.labels.unwrap().len(), 2);
    // Another manager setting alice's field differently conflicts…
    let bob = PatchParams::apply("bob");
    let conflict = secrets
        .patch("s", &bob, &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"a": "9"}}})))
        .await
        .unwrap_err();
    assert_eq!(api_error(conflict).code, 409);
    // …unless forced.
    let forced = secrets
        .patch("s", &bob.clone().force(), &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "labels": {"a": "9"}}})))
        .await
        .unwrap();
    assert_eq!(forced.metadata.labels.as_ref().unwrap()["a"], "9");
    // Alice stops applying `b`: it goes; `a` now belongs to bob and stays.
    let alice = secrets
        .patch(
            "s",
            &PatchParams::apply("alice"),
            &Patch::Apply(json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}})),
        )
        .await
        .unwrap();
    let labels = alice.metadata.labels.unwrap();
    assert_eq!(
        labels.into_iter().collect::<Vec<_>>(),
        [("a".to_owned(), "9".to_owned())]
    );
}

#[tokio::test]
async fn finalizers_and_cascading_delete() {
    let server = fake();
    let client = server.client();
    let orders: Api<Order> = Api::namespaced(client.clone(), "shop");
    let mut o = order("web");
    o.metadata.finalizers = Some(vec!["test/hold".into()]);
    let o = orders.create(&PostParams::default(), &o).await.unwrap();
    let owner = kube::Resource::controller_owner_ref(&o, &()).unwrap();
    let preps: Api<Preparation> = Api::namespaced(client.clone(), "shop");
    let prep: Preparation = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Preparation",
        "metadata": {"name": "web-0123456789ab", "ownerReferences": [owner]},
        "spec": {
            "orderName": "web",
            "source": {"oci": "oci://registry.example/charts/hello", "version": "0.1.0", "baseDigest": format!("sha256:{}", "1".repeat(64))},
            "renderer": {"name": "kokumi", "version": "0.1.0", "renderType": "Helm"},
            "configHash": format!("sha256:{}", "2".repeat(64)),
            "artifact": {"ociRef": format!("oci://registry.example/p@sha256:{}", "3".repeat(64)), "digest": format!("sha256:{}", "3".repeat(64))},
        },
    }))
    .unwrap();
    preps.create(&PostParams::default(), &prep).await.unwrap();

    // With a finalizer, delete only marks the Order.
    orders
        .delete("web", &DeleteParams::default())
        .await
        .unwrap();
    let marked = orders.get("web").await.unwrap();
    assert!(marked.metadata.deletion_timestamp.is_some());
    assert!(preps.get_opt("web-0123456789ab").await.unwrap().is_some());
    // Removing the finalizer completes the deletion, and the owned Preparation follows.
    orders
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
    assert!(orders.get_opt("web").await.unwrap().is_none());
    eventually(
        "the preparation is garbage-collected",
        Duration::from_secs(2),
        || async {
            preps
                .get_opt("web-0123456789ab")
                .await
                .unwrap()
                .is_none()
                .then_some(())
        },
    )
    .await;
}

#[tokio::test]
async fn schema_and_cel_validation() {
    let server = fake();
    let client = server.client();
    let orders: Api<Order> = Api::namespaced(client.clone(), "shop");
    // CEL: source and menuRef are exclusive.
    let mut both = order("both");
    both.spec.menu_ref = Some(kokumi_core::api::MenuRef::new("m"));
    let e = api_error(
        orders
            .create(&PostParams::default(), &both)
            .await
            .unwrap_err(),
    );
    assert_eq!((e.code, e.reason.as_str()), (422, "Invalid"));
    assert!(
        e.message.contains("exactly one of source or menuRef"),
        "{}",
        e.message
    );
    // Schema: the pattern of source.oci.
    let mut bad = order("bad");
    bad.spec.source.as_mut().unwrap().oci = Some("http://nope".into());
    let e = api_error(
        orders
            .create(&PostParams::default(), &bad)
            .await
            .unwrap_err(),
    );
    assert!(e.message.contains("spec.source.oci"), "{}", e.message);
    // Unknown fields are rejected (a real server would prune them silently).
    let raw = Api::<DynamicObject>::namespaced_with(
        client.clone(),
        "shop",
        &ApiResource::erase::<Order>(&()),
    );
    let mut unknown: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order", "metadata": {"name": "typo"},
        "spec": {"source": {"oci": "oci://r/c", "version": "1"}, "autoDeplooy": "Enabled"},
    }))
    .unwrap();
    let e = api_error(
        raw.create(&PostParams::default(), &unknown)
            .await
            .unwrap_err(),
    );
    assert!(
        e.message.contains("spec.autoDeplooy: unknown field"),
        "{}",
        e.message
    );
    unknown.data["spec"]
        .as_object_mut()
        .unwrap()
        .remove("autoDeplooy");
    raw.create(&PostParams::default(), &unknown).await.unwrap();

    // Argo CD's Application schema: `spec.destination` and `spec.project` are required.
    let apps = Api::<DynamicObject>::namespaced_with(
        client,
        "argocd",
        &ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
            "applications",
        ),
    );
    let app: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "x"},
        "spec": {"source": {"repoURL": "oci://r/x", "targetRevision": "sha256:00", "path": "."}},
    }))
    .unwrap();
    let e = api_error(apps.create(&PostParams::default(), &app).await.unwrap_err());
    assert!(
        e.message.contains("destination") && e.message.contains("project"),
        "{}",
        e.message
    );
}
