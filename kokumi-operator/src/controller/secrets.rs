//! Watching the credentials Secrets that Pantries name, and only those.
//!
//! The operator may not list or watch every Secret in the cluster (see `deploy/rbac.yaml`).
//! Kubernetes authorizes a `list`/`watch` by `resourceNames` when the request selects that one
//! name (`fieldSelector=metadata.name=<name>`), so [`triggers`] keeps one such watch per Secret
//! that some Pantry names — started when a Pantry starts naming it, stopped when none does —
//! and turns every change of such a Secret (created, rotated, deleted) into a reconcile of the
//! Orders using those Pantries.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{Stream, StreamExt as _};
use k8s_openapi::api::core::v1::Secret;
use kokumi_core::api::{Order, Pantry};
use kube::api::Api;
use kube::runtime::reflector::{self, ObjectRef, Store};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Client, ResourceExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::order::orders_of_pantry;

/// `(namespace, secret name)`.
type SecretKey = (String, String);

/// The Secrets the Pantries in `pantries` name.
pub fn referenced_secrets(pantries: &Store<Pantry>) -> BTreeSet<SecretKey> {
    pantries
        .state()
        .iter()
        .filter_map(|p| {
            let secret = p.spec.secret_ref.as_ref()?;
            Some((p.namespace().unwrap_or_default(), secret.name.clone()))
        })
        .collect()
}

/// Watches one Secret by name; sends the Orders to re-check on each change.
fn watch_secret(
    client: Client,
    key: SecretKey,
    pantries: Store<Pantry>,
    orders: Store<Order>,
    tx: mpsc::Sender<ObjectRef<Order>>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (namespace, name) = key;
        let api: Api<Secret> = Api::namespaced(client, &namespace);
        let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
        let mut changes = watcher(api, config)
            .default_backoff()
            .touched_objects()
            .boxed();
        while let Some(change) = changes.next().await {
            if let Err(e) = change {
                tracing::debug!(secret = %format!("{namespace}/{name}"), "secret watch: {e}");
                continue;
            }
            let using: Vec<Pantry> = pantries
                .state()
                .iter()
                .filter(|p| {
                    p.namespace().as_deref() == Some(namespace.as_str())
                        && p.spec.secret_ref.as_ref().is_some_and(|s| s.name == name)
                })
                .map(|p| (**p).clone())
                .collect();
            for pantry in &using {
                for order in orders_of_pantry(&orders, pantry) {
                    if tx.send(order).await.is_err() {
                        return;
                    }
                }
            }
        }
    })
}

/// Reconcile triggers for the Orders whose Pantry's credentials Secret changed; `orders` is
/// the Order controller's store. The watches stop when the returned stream is dropped.
pub fn triggers(
    client: Client,
    orders: Store<Order>,
) -> impl Stream<Item = ObjectRef<Order>> + Send + 'static {
    let (tx, rx) = mpsc::channel::<ObjectRef<Order>>(1024);
    tokio::spawn(async move {
        let (reader, writer) = reflector::store();
        let mut pantries = watcher(
            Api::<Pantry>::all(client.clone()),
            watcher::Config::default(),
        )
        .default_backoff()
        .reflect(writer)
        .boxed();
        let mut watches: BTreeMap<SecretKey, JoinHandle<()>> = BTreeMap::new();
        loop {
            tokio::select! {
                () = tx.closed() => break,
                event = pantries.next() => {
                    match event {
                        None => break,
                        Some(Err(e)) => {
                            tracing::debug!("pantry watch for secrets: {e}");
                            continue;
                        }
                        Some(Ok(_)) => {}
                    }
                    let wanted = referenced_secrets(&reader);
                    watches.retain(|key, task| {
                        let keep = wanted.contains(key);
                        if !keep {
                            task.abort();
                        }
                        keep
                    });
                    for key in wanted {
                        if let std::collections::btree_map::Entry::Vacant(slot) =
                            watches.entry(key)
                        {
                            let task = watch_secret(
                                client.clone(),
                                slot.key().clone(),
                                reader.clone(),
                                orders.clone(),
                                tx.clone(),
                            );
                            slot.insert(task);
                        }
                    }
                }
            }
        }
        for task in watches.values() {
            task.abort();
        }
    });
    futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|o| (o, rx)) })
}
