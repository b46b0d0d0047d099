//! The Order controller: Order (+ Menu, Recipe, Pantry) → Preparation, and the Serving follows.
//!
//! Each reconcile runs the one pipeline ([`kokumi_pipeline::pipeline::Pipeline::prepare`]) with
//! [`KubeRecords`] as its record store: same inputs ⇒ same digest ⇒ same Preparation name, so a
//! retry (or a second operator instance) never duplicates. Then core's promotion decision moves
//! the Serving ([`kokumi_pipeline::lifecycle::follow`]) — also after a failed render, so an
//! approval works while a registry is down.
//!
//! Watched: Orders, their Preparations (approval labels), Menus and Recipes (an edit re-renders
//! every Order that uses them) and Pantries.

use std::sync::Arc;
use std::time::Instant;

use futures_util::StreamExt as _;
use kokumi_core::api::{
    APPROVE_DEPLOY_LABEL, APPROVED_AT_ANNOTATION, Menu, Order, Pantry, Preparation, Recipe,
};
use kokumi_pipeline::lifecycle::{self, ServingChange};
use kokumi_pipeline::pipeline::{
    Observer, Outcome, Pipeline, RENDERING, Stage, error_chain, failure_reason,
};
use kokumi_pipeline::record::RecordStore as _;
use kube::api::Api;
use kube::runtime::controller::{Action, Controller};
use kube::runtime::events::{Event, EventType, Recorder};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::{
    Predicate as _, PredicateConfig, WatchStreamExt as _, predicates, reflector, watcher,
};
use kube::{Resource as _, ResourceExt as _};

use crate::context::Context;
use crate::error::{Error, Result};
use crate::metrics::StageTimer;
use crate::records::KubeRecords;

/// The kind label of this controller's metrics.
pub const KIND: &str = "Order";

/// What the operator does with the pipeline's reports: it times the stages for the render and
/// push metrics ([`StageTimer`]), and writes `Ready=Unknown` with reason `Rendering` when the
/// pipeline starts rendering a new Preparation. The status write wakes no second reconcile: the
/// Order trigger ignores status-only changes (see [`controller`]).
struct RunObserver<'a> {
    records: &'a KubeRecords,
    clock: &'a dyn kokumi_pipeline::pipeline::Clock,
    timer: StageTimer<'a>,
}

#[async_trait::async_trait]
impl Observer for RunObserver<'_> {
    async fn stage(&self, _order: &Order, stage: Stage) {
        self.timer.enter(stage);
    }

    async fn rendering(&self, order: &Order, config_hash: kokumi_core::digest::Digest) {
        use kokumi_core::api::condition::{self, ConditionStatus, Conditions as _};
        let mut order = order.clone();
        let generation = order.metadata.generation;
        let status = order
            .status
            .get_or_insert_with(kokumi_core::api::OrderStatus::default);
        status.observed_generation = generation;
        status.conditions.set(condition::new(
            condition::READY,
            ConditionStatus::Unknown,
            RENDERING,
            &format!(
                "rendering a new preparation (config hash {})",
                config_hash.short_hex(12)
            ),
            generation,
            self.clock.now(),
        ));
        if let Err(e) = self.records.put(&order).await {
            tracing::warn!(order = %order.name_any(), "cannot write the Rendering condition: {}", error_chain(&e));
        }
    }
}

async fn publish(ctx: &Context, order: &Order, type_: EventType, reason: &str, note: String) {
    let recorder = Recorder::new(ctx.client.clone(), ctx.reporter.clone());
    let event = Event {
        type_,
        reason: reason.into(),
        note: Some(note.chars().take(1024).collect()),
        action: "Reconcile".into(),
        secondary: None,
    };
    if let Err(e) = recorder.publish(&event, &order.object_ref(&())).await {
        tracing::warn!(order = %order.name_any(), "cannot publish event: {e}");
    }
}

/// Reconciles one Order.
pub async fn reconcile(order: Arc<Order>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let result = reconcile_inner(&order, &ctx).await;
    ctx.metrics.reconciled(KIND, started.elapsed());
    result
}

async fn reconcile_inner(order: &Order, ctx: &Context) -> Result<Action> {
    if order.metadata.deletion_timestamp.is_some() {
        // Preparations and the Serving are owned by the Order: the garbage collector removes
        // them.
        return Ok(Action::await_change());
    }
    let name = order.name_any();
    let namespace = order.namespace().unwrap_or_else(|| "default".into());
    let key = format!("{namespace}/{name}");
    let owner = order
        .controller_owner_ref(&())
        .ok_or_else(|| Error::Missing(format!("order {key} has no uid")))?;
    let records = KubeRecords::new(ctx.client.clone(), &namespace).for_order(&name, owner);
    let started = Instant::now();
    let result = match crate::credentials::access_for(order, ctx).await {
        Ok(access) => {
            let pipeline = Pipeline {
                records: &records,
                sources: &access.sources,
                renderer: ctx.renderer.as_ref(),
                destination: Some(&access.destination),
                clock: ctx.clock.as_ref(),
            };
            let observer = RunObserver {
                records: &records,
                clock: ctx.clock.as_ref(),
                timer: ctx.metrics.stage_timer(),
            };
            pipeline.prepare_observed(order, &observer).await
        }
        Err(Error::Pipeline(e)) => Err(e),
        Err(e) => return Err(e),
    };
    // Recording a failure and following approvals need no registry.
    let pipeline = Pipeline {
        records: &records,
        sources: &ctx.sources,
        renderer: ctx.renderer.as_ref(),
        destination: None,
        clock: ctx.clock.as_ref(),
    };
    match result {
        Ok(prepared) => {
            let created = prepared.outcome == Outcome::Created;
            ctx.metrics.pipeline_ran(started.elapsed(), created);
            ctx.record_success(&key);
            let prep = &prepared.preparation;
            if created {
                publish(
                    ctx,
                    order,
                    EventType::Normal,
                    "Rendered",
                    format!(
                        "preparation {} rendered and pushed as {}",
                        prep.name_any(),
                        prep.oci_ref()
                    ),
                )
                .await;
            }
            if prepared.outcome == Outcome::Restored {
                publish(
                    ctx,
                    order,
                    EventType::Warning,
                    "ArtifactRestored",
                    format!(
                        "the artifact of preparation {} was missing from the registry and has been pushed again",
                        prep.name_any()
                    ),
                )
                .await;
            }
            serving_event(ctx, order, &prepared.serving).await;
            tracing::info!(order = %key, preparation = %prep.name_any(), outcome = ?prepared.outcome, serving = %prepared.serving, "reconciled");
            Ok(Action::requeue(ctx.config.resync))
        }
        Err(error) => {
            ctx.metrics.pipeline_ran(started.elapsed(), false);
            let reason = failure_reason(&error);
            let message = error_chain(&error);
            tracing::warn!(order = %key, reason, "pipeline failed: {message}");
            let previous = order.status.as_ref().and_then(|s| {
                use kokumi_core::api::condition::Conditions as _;
                s.conditions
                    .get_condition("Ready")
                    .map(|c| (c.reason.clone(), c.message.clone()))
            });
            if let Err(e) = pipeline.record_failure(order, &error).await {
                tracing::warn!(order = %key, "cannot record the failure in the status: {}", error_chain(&e));
            }
            if previous.as_ref() != Some(&(reason.to_owned(), message.clone())) {
                publish(ctx, order, EventType::Warning, reason, message).await;
            }
            // Approvals still move the Serving when rendering fails.
            match lifecycle::follow(&records, order, ctx.clock.as_ref()).await {
                Ok(change) => serving_event(ctx, order, &change).await,
                Err(e) => {
                    tracing::warn!(order = %key, "cannot update the serving: {}", error_chain(&e));
                }
            }
            Err(Error::Pipeline(error))
        }
    }
}

async fn serving_event(ctx: &Context, order: &Order, change: &ServingChange) {
    match change {
        ServingChange::Created { to } => {
            publish(
                ctx,
                order,
                EventType::Normal,
                "Promoted",
                format!("serving created for preparation {to}"),
            )
            .await;
        }
        ServingChange::Moved { from, to } => {
            publish(
                ctx,
                order,
                EventType::Normal,
                "Promoted",
                format!("serving moved from {from} to {to}"),
            )
            .await;
        }
        _ => {}
    }
}

/// Retry policy: permanent errors wait for a change; others back off exponentially.
// The signature is kube-runtime's `error_policy` shape.
#[allow(clippy::needless_pass_by_value)]
pub fn error_policy(order: Arc<Order>, error: &Error, ctx: Arc<Context>) -> Action {
    let reason = match error {
        Error::Pipeline(e) => failure_reason(e),
        _ => "Failed",
    };
    ctx.metrics.failed(KIND, reason);
    if error.is_permanent() {
        return Action::await_change();
    }
    let key = format!(
        "{}/{}",
        order.namespace().unwrap_or_default(),
        order.name_any()
    );
    let failures = ctx.record_failure(&key);
    Action::requeue(ctx.config.backoff(failures))
}

fn orders_using(store: &Store<Order>, matches: impl Fn(&Order) -> bool) -> Vec<ObjectRef<Order>> {
    store
        .state()
        .iter()
        .filter(|o| matches(o))
        .map(|o| ObjectRef::from_obj(o.as_ref()))
        .collect()
}

/// What of an Order a reconcile depends on besides its spec: its annotations (the commit
/// message, the base directory). With [`predicates::generation`] this is the Order trigger's
/// filter, so status writes — ours (`Rendering`, then `Rendered`) or another instance's — wake
/// no reconcile.
fn order_inputs(order: &Order) -> Option<u64> {
    predicates::generation::<Order>
        .combine(predicates::annotations::<Order>)
        .hash_property(order)
}

/// The approval of a Preparation: its approval label and approval time (`None`s: not
/// approved). Approving an older one again (a rollback) changes only the time.
fn approval_of(preparation: &Preparation) -> (Option<String>, Option<String>) {
    (
        preparation.labels().get(APPROVE_DEPLOY_LABEL).cloned(),
        preparation
            .annotations()
            .get(APPROVED_AT_ANNOTATION)
            .cloned(),
    )
}

/// Passes the Preparations whose approval changed since last seen (unseen counts as not
/// approved): approving, re-approving or revoking moves the Serving, while the Preparations the
/// pipeline itself creates — and their status writes — wake no reconcile of their Order.
fn approval_changes(
    preparations: impl futures_util::Stream<Item = Result<Preparation, watcher::Error>> + Send + 'static,
) -> impl futures_util::Stream<Item = Result<Preparation, watcher::Error>> + Send + 'static {
    type Approval = (Option<String>, Option<String>);
    let seen = std::sync::Mutex::new(std::collections::BTreeMap::<String, Approval>::new());
    preparations.filter(move |item| {
        let pass = match item {
            Ok(p) => {
                let key = p.uid().unwrap_or_else(|| p.name_any());
                let now = approval_of(p);
                let mut seen = seen
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                seen.insert(key, now.clone()).unwrap_or_default() != now
            }
            Err(_) => true,
        };
        std::future::ready(pass)
    })
}

/// The Order controller, ready to run.
pub fn controller(ctx: &Context) -> Controller<Order> {
    let client = ctx.client.clone();
    let config = watcher::Config::default();
    let (reader, writer) = reflector::store();
    let orders = watcher(Api::<Order>::all(client.clone()), config.clone())
        .default_backoff()
        .reflect(writer)
        .applied_objects()
        .predicate_filter(order_inputs, PredicateConfig::default());
    let preparations = approval_changes(
        watcher(Api::<Preparation>::all(client.clone()), config.clone())
            .default_backoff()
            .touched_objects(),
    );
    let controller = Controller::for_stream(orders, reader).owns_stream(preparations);
    let store = controller.store();
    let menus = {
        let store = store.clone();
        move |menu: Menu| {
            let name = menu.name_any();
            orders_using(&store, |o| {
                o.spec.menu_ref.as_ref().is_some_and(|m| m.name == name)
            })
        }
    };
    let recipes = {
        let store = store.clone();
        // A Recipe can also come through a Menu: every Menu-based Order is re-checked (those
        // whose inputs did not change hash the same and render nothing).
        move |recipe: Recipe| {
            let name = recipe.name_any();
            orders_using(&store, |o| {
                o.spec.recipe_ref.as_ref().is_some_and(|r| r.name == name)
                    || o.spec.menu_ref.is_some()
            })
        }
    };
    let pantries = {
        let store = store.clone();
        move |pantry: Pantry| orders_of_pantry(&store, &pantry)
    };
    let secrets = super::secrets::triggers(client.clone(), store);
    controller
        .watches(Api::<Menu>::all(client.clone()), config.clone(), menus)
        .watches(Api::<Recipe>::all(client.clone()), config.clone(), recipes)
        .watches(Api::<Pantry>::all(client), config, pantries)
        .reconcile_on(secrets)
}

/// The Orders that name `pantry` as their source or destination (an Order from a Menu whose
/// source is a Pantry is re-checked too: the Menu is not in the store).
pub fn orders_of_pantry(store: &Store<Order>, pantry: &Pantry) -> Vec<ObjectRef<Order>> {
    let name = pantry.name_any();
    let namespace = pantry.namespace();
    orders_using(store, |o| {
        o.namespace() == namespace
            && ([
                o.spec.source.as_ref().and_then(|s| s.pantry_ref.as_ref()),
                o.spec
                    .destination
                    .as_ref()
                    .and_then(|d| d.pantry_ref.as_ref()),
            ]
            .into_iter()
            .flatten()
            .any(|p| p.name == name)
                || o.spec.source.is_none() && o.spec.menu_ref.is_some())
    })
}

/// Runs the Order controller until `shutdown` resolves.
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
                tracing::debug!("order reconcile: {e}");
            }
        })
        .await;
}
