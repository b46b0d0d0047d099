//! Promotion decisions: which Preparation an Order's Serving points at.
//!
//! Pure functions over the observed objects; the operator (or the CLI's local store) observes
//! and applies what they return. Nothing here re-renders: promoting and rolling back only move
//! the Serving between existing Preparations.
//!
//! # The rule
//!
//! Only Preparations of the Order (`spec.orderName`, same namespace) that are `Ready` and not
//! being deleted are *eligible*. Each eligible Preparation can produce a selection event:
//!
//! - **approval** — it carries the label `delivery.kokumi.dev/approve-deploy: "true"`; the
//!   event time is the `delivery.kokumi.dev/approved-at` annotation (RFC 3339), or its creation
//!   time when the annotation is missing or unreadable;
//! - **auto-deploy** — the Order has `autoDeploy: Enabled` and it is the newest eligible
//!   Preparation (creation time, then name); the event time is its creation time. An Order
//!   without `autoDeploy` takes its Menu's `defaults.autoDeploy`: pass it through
//!   [`Order::with_menu_defaults`] first (the functions here see only the Order).
//!
//! The latest event wins; ties are broken by creation time, then by name (both later wins), so
//! the choice never depends on list order and approvals never fight. If there is no event, the
//! Serving stays where it is (removing an approval does not undeploy anything).
//!
//! Approving is the one way a human chooses: [`promote`] and [`rollback`] return the label and
//! annotation to set (stamped with the current time) together with the decision that results,
//! so the next [`decide`] agrees with them. With auto-deploy on, a rollback holds until a newer
//! Preparation is rendered.
//!
//! ```
//! use kokumi_core::api::{Order, Preparation};
//! use kokumi_core::promotion::{Decision, decide};
//!
//! let order: Order = serde_norway::from_str(r#"
//! apiVersion: delivery.kokumi.dev/v1alpha1
//! kind: Order
//! metadata: {name: podinfo, namespace: shop}
//! spec:
//!   source: {oci: "oci://ghcr.io/stefanprodan/charts/podinfo", version: "6.14.1"}
//!   autoDeploy: Disabled
//! "#).unwrap();
//! // No approved Preparation: nothing to deploy yet.
//! assert!(matches!(decide(&order, &[], None), Decision::NoChange { .. }));
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};

use crate::api::{
    APPROVE_DEPLOY_LABEL, APPROVED_AT_ANNOTATION, ORDER_LABEL, Order, Preparation,
    PreparationPolicy, PromotionPolicy, Serving, ServingSpec,
};

/// Why a promotion or rollback request cannot be carried out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PromotionError {
    /// No Preparation of that name was given.
    #[error("preparation {name:?} does not exist")]
    UnknownPreparation {
        /// The requested name.
        name: String,
    },
    /// The Preparation belongs to another Order (or namespace).
    #[error("preparation {name:?} belongs to order {belongs_to:?}, not {order:?}")]
    WrongOrder {
        /// The requested Preparation.
        name: String,
        /// The Order the request was made for.
        order: String,
        /// The Order the Preparation was rendered from.
        belongs_to: String,
    },
    /// The Preparation is not `Ready` (or is being deleted), so it cannot be deployed.
    #[error("preparation {name:?} is not ready")]
    NotReady {
        /// The requested Preparation.
        name: String,
    },
    /// A rollback target must be older than the Preparation being served.
    #[error("preparation {name:?} is not older than the served preparation {served:?}")]
    NotOlder {
        /// The requested Preparation.
        name: String,
        /// The Preparation the Serving points at.
        served: String,
    },
    /// A rollback was asked for but nothing is served yet.
    #[error("order {order:?} has no serving to roll back")]
    NothingServed {
        /// The Order.
        order: String,
    },
    /// No Ready Preparation older than the served one exists.
    #[error("order {order:?} has no ready preparation older than {served:?}")]
    NothingToRollBackTo {
        /// The Order.
        order: String,
        /// The Preparation the Serving points at.
        served: String,
    },
}

/// Why a Preparation was selected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Cause {
    /// It carries the approval label; `at` is the approval time used for ordering.
    Approved {
        /// The approval time (annotation, else creation time; `None` when neither is known).
        at: Option<Time>,
    },
    /// The Order auto-deploys and it is the newest eligible Preparation.
    AutoDeploy {
        /// Its creation time.
        created: Option<Time>,
    },
    /// No selection event: the Serving keeps the Preparation it points at.
    Current,
}

/// The Preparation chosen for the Serving, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Name of the chosen Preparation.
    pub preparation: String,
    /// Why it was chosen.
    pub cause: Cause,
}

/// Why the Serving does not need to change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoChangeReason {
    /// The Serving already matches the selection.
    UpToDate(Selection),
    /// No Serving exists and no Preparation of the Order is Ready.
    NoReadyPreparation,
    /// No Serving exists, Preparations are Ready but none is approved and auto-deploy is off.
    AwaitingApproval {
        /// The newest Ready Preparation, the one a human would usually approve.
        latest_ready: String,
    },
}

/// What should happen to the Order's Serving.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// No Serving exists: create one with this spec.
    Create {
        /// The desired spec.
        spec: ServingSpec,
        /// Why this Preparation.
        selection: Selection,
    },
    /// The Serving exists and must change to this spec.
    Update {
        /// The desired spec.
        spec: ServingSpec,
        /// The Serving's current spec.
        previous: ServingSpec,
        /// Why this Preparation.
        selection: Selection,
    },
    /// Leave the Serving (or its absence) as it is.
    NoChange {
        /// Why.
        reason: NoChangeReason,
    },
}

impl Decision {
    /// The spec the Serving should have after this decision, if one should exist.
    pub fn desired(&self) -> Option<&ServingSpec> {
        match self {
            Self::Create { spec, .. } | Self::Update { spec, .. } => Some(spec),
            Self::NoChange { .. } => None,
        }
    }

    /// `true` when the Serving must be written.
    pub fn is_change(&self) -> bool {
        !matches!(self, Self::NoChange { .. })
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = &self.preparation;
        match &self.cause {
            Cause::Approved { at: Some(at) } => write!(f, "{p} (approved at {})", at.0),
            Cause::Approved { at: None } => write!(f, "{p} (approved)"),
            Cause::AutoDeploy { .. } => write!(f, "{p} (newest ready, auto-deploy)"),
            Cause::Current => write!(f, "{p} (kept)"),
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Create { selection, .. } => write!(f, "create serving for {selection}"),
            Self::Update {
                selection,
                previous,
                ..
            } => write!(
                f,
                "move serving from {} to {selection}",
                previous.preparation
            ),
            Self::NoChange {
                reason: NoChangeReason::UpToDate(selection),
            } => write!(f, "serving is up to date: {selection}"),
            Self::NoChange {
                reason: NoChangeReason::NoReadyPreparation,
            } => f.write_str("no ready preparation yet"),
            Self::NoChange {
                reason: NoChangeReason::AwaitingApproval { latest_ready },
            } => write!(
                f,
                "waiting for approval of a preparation (newest ready: {latest_ready})"
            ),
        }
    }
}

/// Whether `order` auto-deploys: its `spec.autoDeploy`, `Disabled` when absent. An Order from a
/// Menu should come with the Menu's default filled in ([`Order::with_menu_defaults`]).
fn auto_deploys(order: &Order) -> bool {
    order.spec.effective_auto_deploy(None).is_enabled()
}

/// The Serving policy an Order implies: `Automatic` for `autoDeploy: Enabled`.
pub fn policy_for(order: &Order) -> PromotionPolicy {
    if auto_deploys(order) {
        PromotionPolicy::Automatic
    } else {
        PromotionPolicy::Manual
    }
}

/// `true` when `preparation` was rendered from `order` (same name and namespace).
pub fn belongs_to(preparation: &Preparation, order: &Order) -> bool {
    preparation.spec.order_name == order.name_any() && preparation.namespace() == order.namespace()
}

/// `true` when `preparation` may be deployed: Ready and not being deleted.
pub fn is_eligible(preparation: &Preparation) -> bool {
    preparation.is_ready() && preparation.metadata.deletion_timestamp.is_none()
}

/// Creation order: creation time, then name (`None` times first).
fn creation_key(p: &Preparation) -> (Option<&Time>, &str) {
    (
        p.metadata.creation_timestamp.as_ref(),
        p.metadata.name.as_deref().unwrap_or(""),
    )
}

fn cmp_creation(a: &Preparation, b: &Preparation) -> Ordering {
    creation_key(a).cmp(&creation_key(b))
}

/// The Preparation the rule selects (see the module docs), ignoring the current Serving.
pub fn select<'a>(
    order: &Order,
    preparations: &'a [Preparation],
) -> Option<(&'a Preparation, Cause)> {
    let eligible: Vec<&Preparation> = preparations
        .iter()
        .filter(|p| belongs_to(p, order) && is_eligible(p))
        .collect();

    // (event time, preparation, cause); the max by (time, creation, name) wins.
    let mut events: Vec<(Option<Time>, &Preparation, Cause)> = eligible
        .iter()
        .filter(|p| p.is_approved())
        .map(|p| {
            let at = p.approved_at();
            (at.clone(), *p, Cause::Approved { at })
        })
        .collect();
    // Auto-deploy follows what the Order renders now: the Preparation its status names, when that
    // one is eligible; creation times have one-second resolution, so two renders within a second
    // could otherwise tie and be settled by name. Without a status, the newest by creation.
    let current = order
        .status
        .as_ref()
        .and_then(|s| s.latest_preparation.as_deref())
        .and_then(|name| eligible.iter().copied().find(|p| p.name_any() == name));
    if auto_deploys(order)
        && let Some(newest) =
            current.or_else(|| eligible.iter().copied().max_by(|a, b| cmp_creation(a, b)))
    {
        let created = newest.metadata.creation_timestamp.clone();
        events.push((created.clone(), newest, Cause::AutoDeploy { created }));
    }
    events
        .into_iter()
        .max_by(|a, b| a.0.cmp(&b.0).then_with(|| cmp_creation(a.1, b.1)))
        .map(|(_, p, cause)| (p, cause))
}

/// The desired Serving for `order`, given its Preparations and its current Serving.
///
/// See the module docs for the rule. The desired spec also carries the policy the Order implies
/// ([`policy_for`]), so toggling `autoDeploy` updates the Serving even when the Preparation
/// stays.
pub fn decide(order: &Order, preparations: &[Preparation], serving: Option<&Serving>) -> Decision {
    let policy = PreparationPolicy {
        type_: policy_for(order),
    };
    let selection = match select(order, preparations) {
        Some((p, cause)) => Some(Selection {
            preparation: p.name_any(),
            cause,
        }),
        None => serving.map(|s| Selection {
            preparation: s.spec.preparation.clone(),
            cause: Cause::Current,
        }),
    };
    let Some(selection) = selection else {
        let latest_ready = preparations
            .iter()
            .filter(|p| belongs_to(p, order) && is_eligible(p))
            .max_by(|a, b| cmp_creation(a, b));
        let reason = match latest_ready {
            Some(p) => NoChangeReason::AwaitingApproval {
                latest_ready: p.name_any(),
            },
            None => NoChangeReason::NoReadyPreparation,
        };
        return Decision::NoChange { reason };
    };
    let spec = ServingSpec {
        order: order.name_any(),
        preparation: selection.preparation.clone(),
        preparation_policy: policy,
    };
    match serving {
        None => Decision::Create { spec, selection },
        Some(current) if current.spec == spec => Decision::NoChange {
            reason: NoChangeReason::UpToDate(selection),
        },
        Some(current) => Decision::Update {
            spec,
            previous: current.spec.clone(),
            selection,
        },
    }
}

/// The complete Serving object for `order` with `spec`: named after the Order, in its namespace,
/// labelled with [`ORDER_LABEL`] and owned by the Order (when the Order has a uid).
pub fn serving_for(order: &Order, spec: ServingSpec) -> Serving {
    let mut serving = Serving::new(&order.name_any(), spec);
    serving.metadata = ObjectMeta {
        name: Some(order.name_any()),
        namespace: order.namespace(),
        labels: Some(BTreeMap::from([(ORDER_LABEL.to_owned(), order.name_any())])),
        owner_references: order.controller_owner_ref(&()).map(|r| vec![r]),
        ..ObjectMeta::default()
    };
    serving
}

/// The metadata change that approves a Preparation at a given time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    /// Name of the Preparation to approve.
    pub preparation: String,
    /// Labels to set: the approval label.
    pub labels: BTreeMap<String, String>,
    /// Annotations to set: the approval time.
    pub annotations: BTreeMap<String, String>,
}

impl Approval {
    /// An approval of `preparation` at `now`.
    pub fn new(preparation: impl Into<String>, now: &Time) -> Self {
        Self {
            preparation: preparation.into(),
            labels: BTreeMap::from([(APPROVE_DEPLOY_LABEL.to_owned(), "true".to_owned())]),
            annotations: BTreeMap::from([(APPROVED_AT_ANNOTATION.to_owned(), now.0.to_string())]),
        }
    }

    /// The approval as an RFC 7386 merge patch of the Preparation (metadata only; the spec is
    /// immutable and untouched).
    pub fn merge_patch(&self) -> Value {
        json!({"metadata": {"labels": self.labels, "annotations": self.annotations}})
    }

    /// Applies the approval to a Preparation object (what the API server will hold afterwards).
    pub fn apply_to(&self, preparation: &mut Preparation) {
        preparation.labels_mut().extend(self.labels.clone());
        preparation
            .annotations_mut()
            .extend(self.annotations.clone());
    }
}

/// A promotion (or rollback): the approval to write and the decision that follows from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    /// Set these labels and annotations on the Preparation.
    pub approval: Approval,
    /// What happens to the Serving once the approval is in place.
    pub decision: Decision,
}

/// The time to stamp a new approval with: `now`, unless another selection event of the Order
/// (an approval, or a creation time) is not older than `now` — clocks of the CLI, the operator
/// and the API server can disagree — in which case one second after the latest such event, so
/// that a promotion always takes effect.
fn approval_time(order: &Order, preparations: &[Preparation], now: &Time) -> Time {
    let latest = preparations
        .iter()
        .filter(|p| belongs_to(p, order) && is_eligible(p))
        .flat_map(|p| [p.approved_at(), p.metadata.creation_timestamp.clone()])
        .flatten()
        .max();
    match latest {
        Some(latest) if latest >= *now => latest
            .0
            .checked_add(k8s_openapi::jiff::SignedDuration::from_secs(1))
            .map_or(latest, Time),
        _ => now.clone(),
    }
}

/// Promotes the Preparation called `target`: it must belong to `order` and be Ready.
///
/// Returns the approval (stamped `now`, or just after the latest existing event when clocks
/// disagree) and the resulting decision, computed by [`decide`] over the Preparations with the
/// approval applied, so the controller's next [`decide`] agrees.
pub fn promote(
    order: &Order,
    preparations: &[Preparation],
    serving: Option<&Serving>,
    target: &str,
    now: &Time,
) -> Result<Promotion, PromotionError> {
    let index = find_deployable(order, preparations, target)?;
    let approval = Approval::new(target, &approval_time(order, preparations, now));
    let mut after = preparations.to_vec();
    if let Some(p) = after.get_mut(index) {
        approval.apply_to(p);
    }
    let decision = decide(order, &after, serving);
    Ok(Promotion { approval, decision })
}

/// Rolls the Serving back to an older Preparation: `to`, or when `None` the newest Ready
/// Preparation created before the served one. Nothing re-renders; the target is approved at
/// `now` like in [`promote`].
pub fn rollback(
    order: &Order,
    preparations: &[Preparation],
    serving: Option<&Serving>,
    to: Option<&str>,
    now: &Time,
) -> Result<Promotion, PromotionError> {
    let Some(serving) = serving else {
        return Err(PromotionError::NothingServed {
            order: order.name_any(),
        });
    };
    let served_name = serving.spec.preparation.as_str();
    let served = preparations
        .iter()
        .find(|p| belongs_to(p, order) && p.name_any() == served_name);
    let target = match to {
        Some(name) => {
            let index = find_deployable(order, preparations, name)?;
            if let (Some(served), Some(target)) = (served, preparations.get(index))
                && cmp_creation(target, served) != Ordering::Less
            {
                return Err(PromotionError::NotOlder {
                    name: name.to_owned(),
                    served: served_name.to_owned(),
                });
            }
            name.to_owned()
        }
        None => {
            let Some(served) = served else {
                return Err(PromotionError::UnknownPreparation {
                    name: served_name.to_owned(),
                });
            };
            preparations
                .iter()
                .filter(|p| belongs_to(p, order) && is_eligible(p))
                .filter(|p| cmp_creation(p, served) == Ordering::Less)
                .max_by(|a, b| cmp_creation(a, b))
                .map(ResourceExt::name_any)
                .ok_or_else(|| PromotionError::NothingToRollBackTo {
                    order: order.name_any(),
                    served: served_name.to_owned(),
                })?
        }
    };
    promote(order, preparations, Some(serving), &target, now)
}

fn find_deployable(
    order: &Order,
    preparations: &[Preparation],
    target: &str,
) -> Result<usize, PromotionError> {
    let (index, p) = preparations
        .iter()
        .enumerate()
        .find(|(_, p)| p.name_any() == target && p.namespace() == order.namespace())
        .ok_or_else(|| PromotionError::UnknownPreparation {
            name: target.to_owned(),
        })?;
    if !belongs_to(p, order) {
        return Err(PromotionError::WrongOrder {
            name: target.to_owned(),
            order: order.name_any(),
            belongs_to: p.spec.order_name.clone(),
        });
    }
    if !is_eligible(p) {
        return Err(PromotionError::NotReady {
            name: target.to_owned(),
        });
    }
    Ok(index)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::condition::{self, ConditionStatus};
    use crate::api::{
        AutoDeploy, OrderSpec, PreparationSource, PreparationSpec, PreparationStatus, RenderType,
        Renderer, Source,
    };
    use crate::digest::Digest;
    use k8s_openapi::jiff::Timestamp;

    const NS: &str = "shop";

    fn at(s: i64) -> Time {
        Time(Timestamp::from_second(1_700_000_000 + s).unwrap())
    }

    fn order(auto: AutoDeploy) -> Order {
        let mut o = Order::new(
            "podinfo",
            OrderSpec {
                source: Some(Source {
                    oci: Some("oci://ghcr.io/stefanprodan/charts/podinfo".into()),
                    version: "6.14.1".into(),
                    pantry_ref: None,
                }),
                menu_ref: None,
                recipe_ref: None,
                render: None,
                destination: None,
                patches: vec![],
                edits: vec![],
                auto_deploy: Some(auto),
            },
        );
        o.metadata.namespace = Some(NS.into());
        o.metadata.uid = Some("0000-order-uid".into());
        o
    }

    /// A Ready Preparation of `podinfo` created at `created`.
    fn prep(name: &str, created: i64) -> Preparation {
        let digest = Digest::of_bytes(name.as_bytes());
        let mut p = Preparation::new(
            name,
            PreparationSpec {
                order_name: "podinfo".into(),
                source: PreparationSource {
                    oci: "oci://ghcr.io/stefanprodan/charts/podinfo".into(),
                    version: Some("6.14.1".into()),
                    base_digest: digest,
                },
                renderer: Renderer {
                    name: "kokumi-render".into(),
                    version: "0.1.0".into(),
                    render_type: RenderType::Helm,
                },
                config_hash: digest,
                artifact: crate::api::Artifact {
                    oci_ref: format!("oci://registry/preparation/podinfo@{digest}"),
                    digest,
                    signed: None,
                },
                parent_digest: None,
                commit_message: None,
            },
        );
        p.metadata.namespace = Some(NS.into());
        p.metadata.creation_timestamp = Some(at(created));
        p.status = Some(PreparationStatus {
            conditions: vec![condition::new(
                condition::READY,
                ConditionStatus::True,
                "Pushed",
                "",
                Some(1),
                at(created),
            )],
            oci_ref: None,
        });
        p
    }

    fn not_ready(mut p: Preparation) -> Preparation {
        p.status = Some(PreparationStatus {
            conditions: vec![condition::new(
                condition::READY,
                ConditionStatus::False,
                "Rendering",
                "",
                Some(1),
                at(0),
            )],
            oci_ref: None,
        });
        p
    }

    fn approved(mut p: Preparation, when: Option<i64>) -> Preparation {
        p.labels_mut()
            .insert(APPROVE_DEPLOY_LABEL.into(), "true".into());
        if let Some(when) = when {
            p.annotations_mut()
                .insert(APPROVED_AT_ANNOTATION.into(), at(when).0.to_string());
        }
        p
    }

    fn serving(order: &Order, preparation: &str) -> Serving {
        serving_for(
            order,
            ServingSpec {
                order: "podinfo".into(),
                preparation: preparation.into(),
                preparation_policy: PreparationPolicy {
                    type_: policy_for(order),
                },
            },
        )
    }

    fn chosen(d: &Decision) -> Option<&str> {
        d.desired().map(|s| s.preparation.as_str())
    }

    #[test]
    fn nothing_ready_means_no_serving() {
        let o = order(AutoDeploy::Enabled);
        let d = decide(&o, &[], None);
        assert_eq!(
            d,
            Decision::NoChange {
                reason: NoChangeReason::NoReadyPreparation
            }
        );
        let d = decide(&o, &[not_ready(prep("a", 1))], None);
        assert_eq!(d.to_string(), "no ready preparation yet");
    }

    #[test]
    fn manual_order_waits_for_approval() {
        let o = order(AutoDeploy::Disabled);
        let d = decide(&o, &[prep("a", 1), prep("b", 2)], None);
        assert_eq!(
            d,
            Decision::NoChange {
                reason: NoChangeReason::AwaitingApproval {
                    latest_ready: "b".into()
                }
            }
        );
    }

    #[test]
    fn auto_deploy_creates_serving_for_newest_ready() {
        let o = order(AutoDeploy::Enabled);
        let preps = [
            prep("a", 1),
            prep("c", 3),
            not_ready(prep("d", 4)),
            prep("b", 2),
        ];
        let d = decide(&o, &preps, None);
        let Decision::Create { spec, selection } = &d else {
            panic!("expected create, got {d:?}");
        };
        assert_eq!(spec.preparation, "c");
        assert_eq!(spec.order, "podinfo");
        assert_eq!(spec.preparation_policy.type_, PromotionPolicy::Automatic);
        assert_eq!(
            selection.cause,
            Cause::AutoDeploy {
                created: Some(at(3))
            }
        );
        assert_eq!(
            d.to_string(),
            "create serving for c (newest ready, auto-deploy)"
        );
    }

    #[test]
    fn ineligible_preparations_are_ignored() {
        let o = order(AutoDeploy::Enabled);
        let mut deleting = prep("deleting", 9);
        deleting.metadata.deletion_timestamp = Some(at(10));
        let mut other_order = prep("other-order", 9);
        other_order.spec.order_name = "other".into();
        let mut other_ns = prep("other-ns", 9);
        other_ns.metadata.namespace = Some("elsewhere".into());
        let preps = [
            prep("ok", 1),
            deleting,
            other_order,
            other_ns,
            approved(not_ready(prep("unready", 9)), Some(20)),
        ];
        assert_eq!(chosen(&decide(&o, &preps, None)), Some("ok"));
    }

    #[test]
    fn approval_selects_on_a_manual_order() {
        let o = order(AutoDeploy::Disabled);
        let preps = [prep("a", 1), approved(prep("b", 2), Some(5)), prep("c", 3)];
        let d = decide(&o, &preps, None);
        assert_eq!(chosen(&d), Some("b"));
        assert_eq!(
            d.desired().unwrap().preparation_policy.type_,
            PromotionPolicy::Manual
        );
    }

    #[test]
    fn latest_approval_wins_whatever_the_list_order() {
        let o = order(AutoDeploy::Disabled);
        let preps = vec![
            approved(prep("a", 1), Some(30)),
            approved(prep("b", 2), Some(10)),
            approved(prep("c", 3), Some(20)),
            prep("d", 4),
        ];
        // Every permutation of the list gives the same answer.
        let mut seen = std::collections::BTreeSet::new();
        let mut preps = preps;
        permute(&mut preps, 0, &mut |list| {
            seen.insert(chosen(&decide(&o, list, None)).map(str::to_owned));
        });
        assert_eq!(seen.into_iter().collect::<Vec<_>>(), [Some("a".to_owned())]);
    }

    fn permute(list: &mut Vec<Preparation>, k: usize, f: &mut impl FnMut(&[Preparation])) {
        if k == list.len() {
            f(list);
            return;
        }
        for i in k..list.len() {
            list.swap(k, i);
            permute(list, k + 1, f);
            list.swap(k, i);
        }
    }

    #[test]
    fn approval_ties_break_by_creation_then_name() {
        let o = order(AutoDeploy::Disabled);
        let same_time = [
            approved(prep("x", 2), Some(9)),
            approved(prep("y", 1), Some(9)),
        ];
        assert_eq!(chosen(&decide(&o, &same_time, None)), Some("x"));
        let same_creation = [
            approved(prep("b", 1), Some(9)),
            approved(prep("a", 1), Some(9)),
        ];
        assert_eq!(chosen(&decide(&o, &same_creation, None)), Some("b"));
    }

    #[test]
    fn approval_without_time_counts_from_creation() {
        let o = order(AutoDeploy::Disabled);
        // "old" was approved (label only) and is older than "new"'s explicit approval time.
        let preps = [
            approved(prep("old", 5), None),
            approved(prep("new", 1), Some(3)),
        ];
        assert_eq!(chosen(&decide(&o, &preps, None)), Some("old"));
        let mut garbled = approved(prep("garbled", 1), None);
        garbled
            .annotations_mut()
            .insert(APPROVED_AT_ANNOTATION.into(), "yesterday".into());
        assert_eq!(garbled.approved_at(), Some(at(1)));
        let preps = [garbled, approved(prep("timed", 0), Some(2))];
        assert_eq!(chosen(&decide(&o, &preps, None)), Some("timed"));
    }

    #[test]
    fn approval_label_must_be_true() {
        let o = order(AutoDeploy::Disabled);
        let mut p = prep("a", 1);
        p.labels_mut()
            .insert(APPROVE_DEPLOY_LABEL.into(), "yes".into());
        assert!(!p.is_approved());
        assert!(!decide(&o, &[p], None).is_change());
    }

    #[test]
    fn approval_after_newest_overrides_auto_deploy_until_a_newer_render() {
        let o = order(AutoDeploy::Enabled);
        let mut preps = vec![approved(prep("old", 1), Some(10)), prep("mid", 5)];
        assert_eq!(chosen(&decide(&o, &preps, None)), Some("old"));
        preps.push(prep("new", 11));
        assert_eq!(chosen(&decide(&o, &preps, None)), Some("new"));
    }

    #[test]
    fn up_to_date_serving_is_left_alone() {
        let o = order(AutoDeploy::Enabled);
        let preps = [prep("a", 1), prep("b", 2)];
        let s = serving(&o, "b");
        let d = decide(&o, &preps, Some(&s));
        assert!(!d.is_change());
        assert_eq!(
            d.to_string(),
            "serving is up to date: b (newest ready, auto-deploy)"
        );
    }

    #[test]
    fn serving_moves_to_the_selection() {
        let o = order(AutoDeploy::Enabled);
        let preps = [prep("a", 1), prep("b", 2)];
        let s = serving(&o, "a");
        let d = decide(&o, &preps, Some(&s));
        let Decision::Update { spec, previous, .. } = &d else {
            panic!("expected update, got {d:?}");
        };
        assert_eq!(previous.preparation, "a");
        assert_eq!(spec.preparation, "b");
        assert_eq!(
            d.to_string(),
            "move serving from a to b (newest ready, auto-deploy)"
        );
    }

    #[test]
    fn removing_approvals_does_not_undeploy() {
        let o = order(AutoDeploy::Disabled);
        let s = serving(&o, "a");
        let d = decide(&o, &[prep("a", 1), prep("b", 2)], Some(&s));
        assert_eq!(
            d,
            Decision::NoChange {
                reason: NoChangeReason::UpToDate(Selection {
                    preparation: "a".into(),
                    cause: Cause::Current
                })
            }
        );
    }

    #[test]
    fn toggling_auto_deploy_updates_the_policy() {
        let manual = order(AutoDeploy::Disabled);
        let s = serving(&manual, "a");
        let mut auto = manual;
        auto.spec.auto_deploy = Some(AutoDeploy::Enabled);
        let d = decide(&auto, &[prep("a", 1)], Some(&s));
        let Decision::Update { spec, previous, .. } = d else {
            panic!("expected update");
        };
        assert_eq!(spec.preparation, previous.preparation);
        assert_eq!(spec.preparation_policy.type_, PromotionPolicy::Automatic);
        assert_eq!(previous.preparation_policy.type_, PromotionPolicy::Manual);
    }

    #[test]
    fn serving_object_is_named_and_owned_by_the_order() {
        let o = order(AutoDeploy::Enabled);
        let s = serving(&o, "a");
        assert_eq!(s.metadata.name.as_deref(), Some("podinfo"));
        assert_eq!(s.metadata.namespace.as_deref(), Some(NS));
        assert_eq!(
            s.labels().get(ORDER_LABEL).map(String::as_str),
            Some("podinfo")
        );
        let owners = s.metadata.owner_references.as_ref().unwrap();
        assert_eq!(owners.len(), 1);
        assert_eq!(owners[0].kind, "Order");
        assert_eq!(owners[0].uid, "0000-order-uid");
        assert_eq!(owners[0].controller, Some(true));
        assert_eq!(s.spec.preparation, "a");
    }

    #[test]
    fn promote_returns_approval_and_the_decision_it_leads_to() {
        let o = order(AutoDeploy::Disabled);
        let mut preps = vec![prep("a", 1), prep("b", 2)];
        let s = serving(&o, "b");
        let p = promote(&o, &preps, Some(&s), "a", &at(100)).unwrap();
        assert_eq!(p.approval.preparation, "a");
        assert_eq!(
            p.approval.merge_patch(),
            json!({"metadata": {
                "labels": {APPROVE_DEPLOY_LABEL: "true"},
                "annotations": {APPROVED_AT_ANNOTATION: "2023-11-14T22:15:00Z"},
            }})
        );
        assert_eq!(chosen(&p.decision), Some("a"));
        // Once the approval is written, the controller's own decision agrees.
        p.approval.apply_to(&mut preps[0]);
        assert_eq!(preps[0].approved_at(), Some(at(100)));
        assert_eq!(decide(&o, &preps, Some(&s)), p.decision);
    }

    #[test]
    fn promote_wins_even_when_clocks_disagree() {
        // The newest Preparation was created "after" the promoter's clock says it is now.
        let o = order(AutoDeploy::Enabled);
        let mut preps = vec![prep("a", 1), approved(prep("b", 200), Some(250))];
        let s = serving(&o, "b");
        let p = promote(&o, &preps, Some(&s), "a", &at(100)).unwrap();
        assert_eq!(
            p.approval.annotations[APPROVED_AT_ANNOTATION],
            at(251).0.to_string()
        );
        assert_eq!(chosen(&p.decision), Some("a"));
        p.approval.apply_to(&mut preps[0]);
        assert_eq!(chosen(&decide(&o, &preps, Some(&s))), Some("a"));
    }

    #[test]
    fn promote_refuses_what_cannot_be_deployed() {
        let o = order(AutoDeploy::Disabled);
        let mut foreign = prep("foreign", 1);
        foreign.spec.order_name = "other".into();
        let preps = [not_ready(prep("unready", 1)), foreign];
        assert_eq!(
            promote(&o, &preps, None, "missing", &at(0))
                .unwrap_err()
                .to_string(),
            "preparation \"missing\" does not exist"
        );
        assert_eq!(
            promote(&o, &preps, None, "unready", &at(0)).unwrap_err(),
            PromotionError::NotReady {
                name: "unready".into()
            }
        );
        assert_eq!(
            promote(&o, &preps, None, "foreign", &at(0))
                .unwrap_err()
                .to_string(),
            "preparation \"foreign\" belongs to order \"other\", not \"podinfo\""
        );
    }

    #[test]
    fn rollback_picks_the_newest_older_ready_preparation() {
        let o = order(AutoDeploy::Enabled);
        let preps = [
            prep("v1", 1),
            prep("v2", 2),
            not_ready(prep("v2b", 3)),
            prep("v3", 4),
        ];
        let s = serving(&o, "v3");
        let r = rollback(&o, &preps, Some(&s), None, &at(50)).unwrap();
        assert_eq!(r.approval.preparation, "v2");
        let Decision::Update {
            spec,
            previous,
            selection,
        } = &r.decision
        else {
            panic!("expected update, got {:?}", r.decision);
        };
        assert_eq!(
            (previous.preparation.as_str(), spec.preparation.as_str()),
            ("v3", "v2")
        );
        assert_eq!(selection.cause, Cause::Approved { at: Some(at(50)) });
    }

    #[test]
    fn rollback_to_a_named_older_preparation_holds_under_auto_deploy() {
        let o = order(AutoDeploy::Enabled);
        let mut preps = vec![prep("v1", 1), prep("v2", 2), prep("v3", 3)];
        let s = serving(&o, "v3");
        let r = rollback(&o, &preps, Some(&s), Some("v1"), &at(10)).unwrap();
        assert_eq!(chosen(&r.decision), Some("v1"));
        r.approval.apply_to(&mut preps[0]);
        // Re-deciding keeps v1 (no re-render happened) …
        let s = serving(&o, "v1");
        assert!(!decide(&o, &preps, Some(&s)).is_change());
        // … until a newer Preparation is rendered.
        preps.push(prep("v4", 11));
        assert_eq!(chosen(&decide(&o, &preps, Some(&s))), Some("v4"));
    }

    #[test]
    fn rollback_errors() {
        let o = order(AutoDeploy::Disabled);
        let preps = [prep("v1", 1), prep("v2", 2)];
        assert_eq!(
            rollback(&o, &preps, None, None, &at(0)).unwrap_err(),
            PromotionError::NothingServed {
                order: "podinfo".into()
            }
        );
        let s = serving(&o, "v1");
        assert_eq!(
            rollback(&o, &preps, Some(&s), None, &at(0))
                .unwrap_err()
                .to_string(),
            "order \"podinfo\" has no ready preparation older than \"v1\""
        );
        assert_eq!(
            rollback(&o, &preps, Some(&s), Some("v2"), &at(0))
                .unwrap_err()
                .to_string(),
            "preparation \"v2\" is not older than the served preparation \"v1\""
        );
        let gone = serving(&o, "v0");
        assert!(matches!(
            rollback(&o, &preps, Some(&gone), None, &at(0)),
            Err(PromotionError::UnknownPreparation { .. })
        ));
    }

    /// One generated Preparation: creation time, Ready, approval (none / label only / at time).
    type Spec = (i64, bool, Option<Option<i64>>);

    fn build(specs: &[Spec]) -> Vec<Preparation> {
        specs
            .iter()
            .enumerate()
            .map(|(i, &(created, ready, approval))| {
                let mut p = prep(&format!("p{i}"), created);
                if !ready {
                    p = not_ready(p);
                }
                match approval {
                    Some(when) => approved(p, when),
                    None => p,
                }
            })
            .collect()
    }

    fn event_key(p: &Preparation) -> (Option<Time>, Option<Time>, String) {
        (
            p.approved_at(),
            p.metadata.creation_timestamp.clone(),
            p.name_any(),
        )
    }

    proptest::proptest! {
        #[test]
        fn decision_is_independent_of_list_order(
            specs in proptest::collection::vec(
                (0i64..4, proptest::bool::weighted(0.8),
                 proptest::option::of(proptest::option::of(0i64..6))),
                0..7,
            ),
            auto in proptest::bool::ANY,
            rotate in 0usize..7,
        ) {
            let o = order(if auto { AutoDeploy::Enabled } else { AutoDeploy::Disabled });
            let preps = build(&specs);
            let base = decide(&o, &preps, None);
            let mut reversed = preps.clone();
            reversed.reverse();
            proptest::prop_assert_eq!(&decide(&o, &reversed, None), &base);
            let mut rotated = preps.clone();
            if !rotated.is_empty() {
                let k = rotate % rotated.len();
                rotated.rotate_left(k);
            }
            proptest::prop_assert_eq!(&decide(&o, &rotated, None), &base);

            let eligible: Vec<&Preparation> = preps.iter().filter(|p| is_eligible(p)).collect();
            let best_approved = eligible.iter().filter(|p| p.is_approved()).map(|p| event_key(p)).max();
            match &base {
                Decision::Create { selection, .. } => {
                    let chosen = preps.iter().find(|p| p.name_any() == selection.preparation).unwrap();
                    proptest::prop_assert!(is_eligible(chosen));
                    match &selection.cause {
                        Cause::Approved { .. } => {
                            proptest::prop_assert!(chosen.is_approved());
                            proptest::prop_assert_eq!(Some(event_key(chosen)), best_approved);
                        }
                        Cause::AutoDeploy { created } => {
                            proptest::prop_assert!(auto);
                            let newest = eligible.iter().map(|p| creation_key(p)).max().unwrap();
                            proptest::prop_assert_eq!(creation_key(chosen), newest);
                            // No approval happened after the newest render.
                            if let Some((at, _, _)) = &best_approved {
                                proptest::prop_assert!(at <= created);
                            }
                        }
                        Cause::Current => proptest::prop_assert!(false, "no serving was given"),
                    }
                }
                Decision::NoChange { .. } => {
                    proptest::prop_assert!(best_approved.is_none());
                    proptest::prop_assert!(!auto || eligible.is_empty());
                }
                Decision::Update { .. } => proptest::prop_assert!(false, "no serving was given"),
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn promoting_any_ready_preparation_selects_it(
            specs in proptest::collection::vec(
                (0i64..4, proptest::bool::weighted(0.8),
                 proptest::option::of(proptest::option::of(0i64..6))),
                1..7,
            ),
            auto in proptest::bool::ANY,
            pick in 0usize..7,
            now in 0i64..8,
        ) {
            let o = order(if auto { AutoDeploy::Enabled } else { AutoDeploy::Disabled });
            let mut preps = build(&specs);
            let target = preps[pick % preps.len()].name_any();
            match promote(&o, &preps, None, &target, &at(now)) {
                Ok(p) => {
                    proptest::prop_assert_eq!(chosen(&p.decision), Some(target.as_str()));
                    let i = preps.iter().position(|x| x.name_any() == target).unwrap();
                    p.approval.apply_to(&mut preps[i]);
                    proptest::prop_assert_eq!(decide(&o, &preps, None), p.decision);
                }
                Err(e) => {
                    proptest::prop_assert_eq!(e, PromotionError::NotReady { name: target });
                }
            }
        }
    }

    #[test]
    fn errors_fold_into_the_crate_error() {
        let e: crate::Error = PromotionError::NotReady { name: "a".into() }.into();
        assert_eq!(e.to_string(), "preparation \"a\" is not ready");
    }
}
