//! Moving an Order's Serving between its Preparations: follow, promote, rollback.
//!
//! Every decision is core's ([`kokumi_core::promotion`]); this module reads the records, asks,
//! and writes back what core decided: the approval label on the chosen Preparation and the
//! Serving (spec and status). Nothing here renders: rolling back re-uses the artifact that is
//! already in the store.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kokumi_core::api::condition::{self, ConditionStatus, Conditions as _};
use kokumi_core::api::{Menu, Order, Preparation, Serving, ServingSpec, ServingStatus};
use kokumi_core::promotion::{self, Decision};
use kube::ResourceExt as _;

use crate::error::{Error, Result};
use crate::pipeline::Clock;
use crate::record::RecordStore;

/// What happened to an Order's Serving.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServingChange {
    /// The Serving was created and points at `to`.
    Created {
        /// The served Preparation.
        to: String,
    },
    /// The Serving moved.
    Moved {
        /// The Preparation served before.
        from: String,
        /// The Preparation served now.
        to: String,
    },
    /// Nothing changed; `reason` says why (core's words).
    Unchanged {
        /// Why.
        reason: String,
    },
}

impl std::fmt::Display for ServingChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Created { to } => write!(f, "serving created: {to}"),
            Self::Moved { from, to } => write!(f, "serving moved: {from} → {to}"),
            Self::Unchanged { reason } => f.write_str(reason),
        }
    }
}

/// The Preparations of `order`, sorted by name ([`RecordStore::preparations_of`]).
pub async fn preparations_of<R: RecordStore>(records: &R, order: &str) -> Result<Vec<Preparation>> {
    records.preparations_of(order).await
}

async fn order_named<R: RecordStore>(records: &R, name: &str) -> Result<Order> {
    let order = records.get::<Order>(name).await?.ok_or(Error::NotFound {
        kind: crate::record::Kind::Order,
        name: name.to_owned(),
    })?;
    with_menu_defaults(records, &order).await
}

/// `order` with its Menu's defaults applied (`autoDeploy`), as core's promotion functions need
/// it. A Menu that is missing contributes nothing: the resolve stage reports it.
pub async fn with_menu_defaults<R: RecordStore>(records: &R, order: &Order) -> Result<Order> {
    let menu = match (&order.spec.auto_deploy, &order.spec.menu_ref) {
        (None, Some(menu_ref)) => records.get::<Menu>(&menu_ref.name).await?,
        _ => None,
    };
    Ok(order.with_menu_defaults(menu.as_ref()))
}

/// Applies core's decision for `order` as it stands (after a render, or an approval). An Order
/// without `autoDeploy` follows its Menu's `defaults.autoDeploy`.
pub async fn follow<R: RecordStore>(
    records: &R,
    order: &Order,
    clock: &dyn Clock,
) -> Result<ServingChange> {
    let preparations = preparations_of(records, &order.name_any()).await?;
    follow_listed(records, order, preparations, clock).await
}

/// [`follow`] with the Order's Preparations already listed (sorted by name), so a caller that
/// just read them — [`crate::pipeline::Pipeline::prepare`] — does not read them again.
pub async fn follow_listed<R: RecordStore>(
    records: &R,
    order: &Order,
    preparations: Vec<Preparation>,
    clock: &dyn Clock,
) -> Result<ServingChange> {
    let order = &with_menu_defaults(records, order).await?;
    let serving = records.get::<Serving>(&order.name_any()).await?;
    let decision = promotion::decide(order, &preparations, serving.as_ref());
    apply(
        records,
        order,
        &preparations,
        serving,
        &decision,
        &clock.now(),
    )
    .await
}

async fn apply<R: RecordStore>(
    records: &R,
    order: &Order,
    preparations: &[Preparation],
    serving: Option<Serving>,
    decision: &Decision,
    now: &Time,
) -> Result<ServingChange> {
    let (spec, change) = match decision {
        Decision::Create { spec, .. } => (
            spec,
            ServingChange::Created {
                to: spec.preparation.clone(),
            },
        ),
        Decision::Update { spec, previous, .. } => (
            spec,
            ServingChange::Moved {
                from: previous.preparation.clone(),
                to: spec.preparation.clone(),
            },
        ),
        _ => {
            return Ok(ServingChange::Unchanged {
                reason: decision.to_string(),
            });
        }
    };
    let mut serving = match serving {
        Some(mut s) => {
            s.spec = spec.clone();
            s
        }
        None => {
            let mut s = promotion::serving_for(order, spec.clone());
            s.metadata.creation_timestamp = Some(now.clone());
            s
        }
    };
    set_served_status(&mut serving, spec, preparations, now);
    records.put(&serving).await?;
    Ok(change)
}

/// In local mode nothing syncs: the Serving's status records the served digest at once.
fn set_served_status(
    serving: &mut Serving,
    spec: &ServingSpec,
    preparations: &[Preparation],
    now: &Time,
) {
    let digest = preparations
        .iter()
        .find(|p| p.name_any() == spec.preparation)
        .map(|p| p.spec.artifact.digest);
    let status = serving.status.get_or_insert_with(ServingStatus::default);
    status.observed_preparation = Some(spec.preparation.clone());
    status.deployed_digest = digest;
    status.conditions.set(condition::new(
        condition::READY,
        ConditionStatus::True,
        "Selected",
        &format!("serving preparation {}", spec.preparation),
        None,
        now.clone(),
    ));
}

/// The result of [`promote`] / [`rollback`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Promoted {
    /// The Order.
    pub order: String,
    /// The Preparation that was approved.
    pub preparation: String,
    /// What happened to the Serving.
    pub serving: ServingChange,
}

/// Approves `preparation` (label + approval time) and points its Order's Serving at it.
pub async fn promote<R: RecordStore>(
    records: &R,
    preparation: &str,
    clock: &dyn Clock,
) -> Result<Promoted> {
    let prep = records
        .get::<Preparation>(preparation)
        .await?
        .ok_or(Error::NotFound {
            kind: crate::record::Kind::Preparation,
            name: preparation.to_owned(),
        })?;
    let order = order_named(records, &prep.spec.order_name).await?;
    let preparations = preparations_of(records, &order.name_any()).await?;
    let serving = records.get::<Serving>(&order.name_any()).await?;
    let now = clock.now();
    let promotion = promotion::promote(&order, &preparations, serving.as_ref(), preparation, &now)?;
    finish(records, &order, preparations, serving, promotion, &now).await
}

/// Points `order`'s Serving back at an older Preparation: `to`, or the one created before the
/// served one. Nothing re-renders.
pub async fn rollback<R: RecordStore>(
    records: &R,
    order: &str,
    to: Option<&str>,
    clock: &dyn Clock,
) -> Result<Promoted> {
    let order = order_named(records, order).await?;
    let preparations = preparations_of(records, &order.name_any()).await?;
    let serving = records.get::<Serving>(&order.name_any()).await?;
    let now = clock.now();
    let promotion = promotion::rollback(&order, &preparations, serving.as_ref(), to, &now)?;
    finish(records, &order, preparations, serving, promotion, &now).await
}

async fn finish<R: RecordStore>(
    records: &R,
    order: &Order,
    mut preparations: Vec<Preparation>,
    serving: Option<Serving>,
    promotion: promotion::Promotion,
    now: &Time,
) -> Result<Promoted> {
    let approved = promotion.approval.preparation.clone();
    if let Some(prep) = preparations.iter_mut().find(|p| p.name_any() == approved) {
        promotion.approval.apply_to(prep);
        records.put(&*prep).await?;
    }
    let serving = apply(
        records,
        order,
        &preparations,
        serving,
        &promotion.decision,
        now,
    )
    .await?;
    Ok(Promoted {
        order: order.name_any(),
        preparation: approved,
        serving,
    })
}
