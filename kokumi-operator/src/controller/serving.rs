//! The Serving controller: Serving → Argo CD Application, and drift from what Argo CD reports.
//!
//! The Application is applied server-side with field manager [`FIELD_MANAGER`]; one that a
//! person or another Serving created is never taken over (the Serving says so in `Ready`). A
//! finalizer deletes the Application with the Serving. Application events map back to their
//! Serving by label, so a sync or health change updates `Synced`, `Drifted`, `Healthy` and
//! `Ready` at once (core's [`ServingStatus::observe`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kokumi_core::api::condition::{self, ConditionStatus, Conditions as _};
use kokumi_core::api::{Preparation, Serving, ServingStatus};
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::finalizer::{self, finalizer};
use kube::runtime::reflector::{self, ObjectRef};
use kube::runtime::{PredicateConfig, WatchStreamExt as _, watcher};
use kube::{Resource as _, ResourceExt as _};
use serde_json::json;

use crate::application::{self, SERVING_NAME_LABEL, SERVING_NAMESPACE_LABEL};
use crate::context::Context;
use crate::error::{Error, Result};
use crate::records::FIELD_MANAGER;

/// The kind label of this controller's metrics.
pub const KIND: &str = "Serving";

/// The Serving finalizer: the Application is deleted before the Serving goes.
pub const FINALIZER: &str = "delivery.kokumi.dev/application";

/// Argo CD's `Application` kind.
pub fn application_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
        "applications",
    )
}

fn applications(ctx: &Context) -> Api<DynamicObject> {
    Api::namespaced_with(
        ctx.client.clone(),
        &ctx.config.argocd_namespace,
        &application_resource(),
    )
}

async fn publish(ctx: &Context, serving: &Serving, type_: EventType, reason: &str, note: String) {
    let recorder = Recorder::new(ctx.client.clone(), ctx.reporter.clone());
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1024).collect()),
        action: "Deliver".into(),
        secondary: None,
    };
    if let Err(e) = recorder.publish(&event, &serving.object_ref(&())).await {
        tracing::warn!(serving = %serving.name_any(), "cannot publish event: {e}");
    }
}

fn now(ctx: &Context) -> Time {
    ctx.clock.now()
}

async fn write_status(ctx: &Context, serving: &Serving, status: &ServingStatus) -> Result<()> {
    let api: Api<Serving> = Api::namespaced(
        ctx.client.clone(),
        &serving.namespace().unwrap_or_else(|| "default".into()),
    );
    api.patch_status(
        &serving.name_any(),
        &PatchParams::default(),
        &Patch::Merge(json!({"status": status})),
    )
    .await
    .map_err(|e| {
        Error::kube(
            format!(
                "writing the status of serving {}",
                application::serving_key(serving)
            ),
            e,
        )
    })?;
    Ok(())
}

/// Sets `Ready=False` with `reason` and `message` (keeping the other conditions).
async fn not_ready(ctx: &Context, serving: &Serving, reason: &str, message: &str) -> Result<()> {
    let mut status = serving.status.clone().unwrap_or_default();
    let before = status.clone();
    status.observed_generation = serving.metadata.generation;
    status.conditions.set(condition::new(
        condition::READY,
        ConditionStatus::False,
        reason,
        message,
        serving.metadata.generation,
        now(ctx),
    ));
    if status != before {
        write_status(ctx, serving, &status).await?;
        publish(ctx, serving, EventType::Warning, reason, message.to_owned()).await;
    }
    Ok(())
}

/// Reconciles one Serving.
pub async fn reconcile(serving: Arc<Serving>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let namespace = serving.namespace().unwrap_or_else(|| "default".into());
    let api: Api<Serving> = Api::namespaced(ctx.client.clone(), &namespace);
    let result = finalizer(&api, FINALIZER, serving, |event| async {
        match event {
            finalizer::Event::Apply(s) => apply(&s, &ctx).await,
            finalizer::Event::Cleanup(s) => cleanup(&s, &ctx).await,
        }
    })
    .await;
    ctx.metrics.reconciled(KIND, started.elapsed());
    match result {
        Ok(action) => Ok(action),
        Err(finalizer::Error::ApplyFailed(e) | finalizer::Error::CleanupFailed(e)) => Err(e),
        Err(e) => Err(Error::Missing(format!("finalizer: {e}"))),
    }
}

async fn apply(serving: &Serving, ctx: &Context) -> Result<Action> {
    let key = application::serving_key(serving);
    let namespace = serving.namespace().unwrap_or_else(|| "default".into());
    let preparations: Api<Preparation> = Api::namespaced(ctx.client.clone(), &namespace);
    let Some(preparation) = preparations
        .get_opt(&serving.spec.preparation)
        .await
        .map_err(|e| {
            Error::kube(
                format!(
                    "reading preparation {namespace}/{}",
                    serving.spec.preparation
                ),
                e,
            )
        })?
    else {
        let message = format!(
            "preparation {} does not exist in namespace {namespace}",
            serving.spec.preparation
        );
        not_ready(ctx, serving, "PreparationNotFound", &message).await?;
        return Err(Error::Missing(message));
    };
    if preparation.spec.order_name != serving.spec.order {
        let message = format!(
            "preparation {} belongs to order {}, not {}",
            preparation.name_any(),
            preparation.spec.order_name,
            serving.spec.order
        );
        not_ready(ctx, serving, "WrongOrder", &message).await?;
        return Ok(Action::await_change());
    }

    let apps = applications(ctx);
    let name = application::name_for(serving);
    let existing = apps.get_opt(&name).await.map_err(|e| {
        Error::kube(
            format!("reading application {}/{name}", ctx.config.argocd_namespace),
            e,
        )
    })?;
    if let Some(existing) = &existing {
        let value = serde_json::to_value(existing).map_err(|e| Error::Serde {
            what: format!("application {name}"),
            source: e,
        })?;
        if let Some(owner) = application::foreign_owner(&value, serving) {
            let error = Error::ApplicationNotOwned {
                namespace: ctx.config.argocd_namespace.clone(),
                name: name.clone(),
                serving: key.clone(),
                owner,
            };
            not_ready(
                ctx,
                serving,
                "ApplicationNotOwned",
                &format!("{error}; delete it or rename this serving"),
            )
            .await?;
            return Err(error);
        }
    }

    let desired = application::desired(serving, &preparation, &ctx.config);
    let applied = apps
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&desired),
        )
        .await
        .map_err(|e| {
            Error::kube(
                format!(
                    "applying application {}/{name}",
                    ctx.config.argocd_namespace
                ),
                e,
            )
        })?;
    let previous_revision = existing.as_ref().and_then(|e| {
        e.data["spec"]["source"]["targetRevision"]
            .as_str()
            .map(str::to_owned)
    });
    let digest = preparation.spec.artifact.digest;
    if previous_revision.as_deref() != Some(digest.to_string().as_str()) {
        publish(
            ctx,
            serving,
            EventType::Normal,
            "Delivering",
            format!(
                "application {name} targets {} ({digest})",
                preparation.name_any()
            ),
        )
        .await;
    }

    let applied_value = serde_json::to_value(&applied).map_err(|e| Error::Serde {
        what: format!("application {name}"),
        source: e,
    })?;
    let observed = application::observed(&applied_value);
    let mut status = serving.status.clone().unwrap_or_default();
    let was_drifted = status.conditions.is_true(condition::DRIFTED);
    let changed = status.observe(
        serving.metadata.generation,
        &preparation.name_any(),
        &digest,
        &observed,
        &now(ctx),
    );
    if changed {
        write_status(ctx, serving, &status).await?;
    }
    let drifted = status.conditions.is_true(condition::DRIFTED);
    ctx.set_drifted(&key, drifted);
    if drifted && !was_drifted {
        let message = status
            .conditions
            .get_condition(condition::DRIFTED)
            .map(|c| c.message.clone())
            .unwrap_or_default();
        publish(ctx, serving, EventType::Warning, "Drifted", message).await;
    } else if was_drifted && !drifted {
        publish(
            ctx,
            serving,
            EventType::Normal,
            "InSync",
            format!("deployed digest matches {digest}"),
        )
        .await;
    }
    ctx.record_success(&key);
    Ok(Action::requeue(ctx.config.resync))
}

async fn cleanup(serving: &Serving, ctx: &Context) -> Result<Action> {
    let apps = applications(ctx);
    let name = application::name_for(serving);
    if let Some(existing) = apps
        .get_opt(&name)
        .await
        .map_err(|e| Error::kube(format!("reading application {name}"), e))?
    {
        let value = serde_json::to_value(&existing).map_err(|e| Error::Serde {
            what: format!("application {name}"),
            source: e,
        })?;
        if application::foreign_owner(&value, serving).is_none() {
            match apps.delete(&name, &Default::default()).await {
                Ok(_) => {}
                Err(kube::Error::Api(s)) if s.code == 404 => {}
                Err(e) => return Err(Error::kube(format!("deleting application {name}"), e)),
            }
        }
    }
    ctx.set_drifted(&application::serving_key(serving), false);
    Ok(Action::await_change())
}

// The signature is kube-runtime's `error_policy` shape.
#[allow(clippy::needless_pass_by_value)]
/// Retry policy: a foreign Application is re-checked slowly; other errors back off
/// exponentially.
pub fn error_policy(serving: Arc<Serving>, error: &Error, ctx: Arc<Context>) -> Action {
    let reason = match error {
        Error::ApplicationNotOwned { .. } => "ApplicationNotOwned",
        Error::Missing(_) => "Missing",
        Error::Kube { .. } => "KubeError",
        _ => "Failed",
    };
    ctx.metrics.failed(KIND, reason);
    if error.is_permanent() {
        return Action::requeue(ctx.config.backoff_max.max(Duration::from_secs(60)));
    }
    let failures = ctx.record_failure(&application::serving_key(&serving));
    Action::requeue(ctx.config.backoff(failures))
}

/// What of a Serving its reconcile acts on: the spec (generation), the finalizers (the
/// finalizer helper waits to see its own), and whether it is being deleted. Status writes —
/// this controller's own — wake no reconcile.
fn serving_inputs(serving: &Serving) -> Option<u64> {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    serving.metadata.generation.hash(&mut hasher);
    serving.finalizers().hash(&mut hasher);
    serving
        .metadata
        .deletion_timestamp
        .is_some()
        .hash(&mut hasher);
    Some(hasher.finish())
}

fn hash_of(value: &serde_json::Value) -> u64 {
    use std::hash::{Hash as _, Hasher as _};
    let mut hasher = std::hash::DefaultHasher::new();
    value.to_string().hash(&mut hasher);
    hasher.finish()
}

/// Passes the Application changes a Serving must see: Argo CD's `status` (sync, health) or
/// the `spec` changing, and deletions. The Serving's own apply of a new Application (no status
/// yet) and no-op re-applies pass nothing.
fn application_changes(
    events: impl futures_util::Stream<Item = Result<watcher::Event<DynamicObject>, watcher::Error>>
    + Send
    + 'static,
) -> impl futures_util::Stream<Item = Result<DynamicObject, watcher::Error>> + Send + 'static {
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<String, (u64, u64)>::new());
    events.filter_map(move |event| {
        let mut seen = seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let pass = match event {
            Err(e) => Some(Err(e)),
            Ok(watcher::Event::Delete(app)) => {
                seen.remove(&app.uid().unwrap_or_else(|| app.name_any()));
                Some(Ok(app))
            }
            Ok(watcher::Event::Apply(app) | watcher::Event::InitApply(app)) => {
                let key = app.uid().unwrap_or_else(|| app.name_any());
                let status = app.data.get("status").cloned().unwrap_or_default();
                let now = (hash_of(&app.data["spec"]), hash_of(&status));
                let changed = match seen.insert(key, now) {
                    Some(before) => before != now,
                    // First sight: only when Argo CD has reported something already.
                    None => !status.is_null(),
                };
                changed.then_some(Ok(app))
            }
            Ok(watcher::Event::Init | watcher::Event::InitDone) => None,
        };
        std::future::ready(pass)
    })
}

/// The Serving controller, ready to run.
pub fn controller(ctx: &Context) -> Controller<Serving> {
    let client = ctx.client.clone();
    let config = watcher::Config::default();
    let apps = Api::<DynamicObject>::namespaced_with(
        client.clone(),
        &ctx.config.argocd_namespace,
        &application_resource(),
    );
    let (reader, writer) = reflector::store();
    let servings_stream = watcher(Api::<Serving>::all(client.clone()), config.clone())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(serving_inputs, PredicateConfig::default());
    let controller = Controller::for_stream(servings_stream, reader);
    let servings = controller.store();
    // A Serving follows its Preparation's existence and readiness; the Preparations the
    // pipeline creates are not served yet when they appear.
    let by_preparation = move |p: Preparation| {
        let name = p.name_any();
        let namespace = p.namespace();
        servings
            .state()
            .iter()
            .filter(|s| s.namespace() == namespace && s.spec.preparation == name)
            .map(|s| ObjectRef::from_obj(s.as_ref()))
            .collect::<Vec<_>>()
    };
    let app_changes = application_changes(
        watcher::watcher(apps, config.clone().labels(SERVING_NAME_LABEL)).default_backoff(),
    );
    controller
        .watches_stream_with(
            app_changes,
            |app: DynamicObject| {
                let labels = app.labels();
                match (
                    labels.get(SERVING_NAME_LABEL),
                    labels.get(SERVING_NAMESPACE_LABEL),
                ) {
                    (Some(name), Some(namespace)) => {
                        Some(ObjectRef::<Serving>::new(name).within(namespace))
                    }
                    _ => None,
                }
            },
            application_resource(),
        )
        .watches(Api::<Preparation>::all(client), config, by_preparation)
}

/// Runs the Serving controller until `shutdown` resolves.
pub async fn run(
    ctx: Arc<Context>,
    shutdown: impl std::future::Future<Output = ()> + Send + Sync + 'static,
) {
    let concurrency = ctx.config.concurrency;
    controller(&ctx)
        .with_config(kube::runtime::controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown)
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::debug!("serving reconcile: {e}");
            }
        })
        .await;
}
