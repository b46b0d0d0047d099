//! `Serving`: which Preparation of an Order is deployed — exactly one per Order.
//!
//! The Serving is named after its Order and points at one Preparation; the operator turns it
//! into an Argo CD Application whose `targetRevision` is that Preparation's digest. Which
//! Preparation it points at is decided by [`crate::promotion`]; rolling back is pointing it at
//! an older one — nothing re-renders.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::digest::Digest;

/// The deployed Preparation of one Order.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Serving",
    namespaced,
    status = "ServingStatus",
    derive = "PartialEq",
    shortname = "srv",
    category = "kokumi",
    doc = "A Serving: the one Preparation of an Order that is deployed (through an Argo CD Application).",
    printcolumn(name = "Order", type_ = "string", json_path = ".spec.order"),
    printcolumn(
        name = "Preparation",
        type_ = "string",
        json_path = ".spec.preparation"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Synced",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Synced\")].status"
    ),
    printcolumn(
        name = "Healthy",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Healthy\")].status"
    ),
    printcolumn(
        name = "Drifted",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Drifted\")].status",
        priority = 1
    ),
    printcolumn(
        name = "Digest",
        type_ = "string",
        json_path = ".status.deployedDigest",
        priority = 1
    ),
    printcolumn(
        name = "Policy",
        type_ = "string",
        json_path = ".spec.preparationPolicy.type",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ServingSpec {
    /// Name of the Order served (same namespace). Cannot change: one Serving per Order.
    #[schemars(length(min = 1, max = 253))]
    #[schemars(extend("x-kubernetes-validations" = [{
        "rule": "self == oldSelf",
        "message": "order is immutable",
    }]))]
    pub order: String,

    /// Name of the Preparation to deploy (same namespace).
    #[schemars(length(min = 1, max = 253))]
    pub preparation: String,

    /// How the Preparation is chosen.
    #[serde(default)]
    pub preparation_policy: PreparationPolicy,
}

/// How a Serving's Preparation is chosen (upstream's `preparationPolicy`).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct PreparationPolicy {
    /// `Automatic`: new Ready Preparations are deployed; `Manual`: only approved ones.
    #[serde(rename = "type", default)]
    pub type_: PromotionPolicy,
}

/// `Automatic` (the Order has `autoDeploy: Enabled`) or `Manual` (approval needed).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum PromotionPolicy {
    /// Every new Ready Preparation is deployed (approvals still work, latest event wins).
    Automatic,
    /// Only approved Preparations are deployed.
    #[default]
    Manual,
}

/// What the Serving controller last observed.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ServingStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// The Preparation the controller last acted on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_preparation: Option<String>,

    /// The artifact digest Argo CD reports as deployed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployed_digest: Option<Digest>,

    /// `Ready`, `Synced`, `Healthy`, `Drifted` (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,
}

/// What Argo CD reports about the Application of a Serving, as the operator read it.
///
/// Strings are Argo CD's own: `sync` is `Synced`, `OutOfSync` or `Unknown`; `health` is
/// `Healthy`, `Progressing`, `Degraded`, `Suspended`, `Missing` or `Unknown`; `revision` is the
/// synced revision (for an OCI source, the `sha256:` digest).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObservedDeployment {
    /// `status.sync.revision` of the Application.
    pub revision: Option<String>,
    /// `status.sync.status`.
    pub sync: Option<String>,
    /// `status.health.status`.
    pub health: Option<String>,
}

impl ServingStatus {
    /// Updates the status from what Argo CD reports for the Serving's Application.
    ///
    /// `desired` is the artifact digest of the Preparation the Serving points at. Conditions:
    /// - `Synced`: Argo CD is synced *to the desired digest*;
    /// - `Drifted` (abnormal-true): the deployed digest differs from the desired one, or Argo CD
    ///   reports the live state out of sync with it;
    /// - `Healthy`: Argo CD's health (`Progressing` is `Unknown`, not `False`);
    /// - `Ready`: synced, healthy and not drifted.
    ///
    /// Returns `true` when anything changed, so the caller writes the status only then.
    pub fn observe(
        &mut self,
        generation: Option<i64>,
        preparation: &str,
        desired: &Digest,
        observed: &ObservedDeployment,
        now: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
    ) -> bool {
        use super::condition::{self, ConditionStatus as S, Conditions};

        let before = self.clone();
        self.observed_generation = generation;
        self.observed_preparation = Some(preparation.to_owned());
        let deployed = observed
            .revision
            .as_deref()
            .and_then(|r| r.parse::<Digest>().ok());
        self.deployed_digest = deployed;
        let sync = observed.sync.as_deref().unwrap_or("Unknown");
        let on_desired = deployed.as_ref() == Some(desired);

        let (synced, synced_reason, synced_msg) = match (sync, on_desired) {
            ("Synced", true) => (S::True, "Synced", format!("synced to {desired}")),
            ("Synced", false) => (
                S::False,
                "WrongRevision",
                format!(
                    "synced to {}, want {desired}",
                    observed.revision.as_deref().unwrap_or("nothing")
                ),
            ),
            ("OutOfSync", _) => (
                S::False,
                "OutOfSync",
                "live state differs from the artifact".into(),
            ),
            _ => (
                S::Unknown,
                "SyncUnknown",
                "Argo CD has not reported a sync status".into(),
            ),
        };
        let (drifted, drift_reason, drift_msg) = match (deployed, sync) {
            (Some(d), _) if d != *desired => (
                S::True,
                "DigestMismatch",
                format!("deployed {d}, selected {desired}"),
            ),
            (Some(_), "OutOfSync") => (
                S::True,
                "LiveStateChanged",
                "the cluster differs from the deployed artifact".into(),
            ),
            (Some(_), "Synced") => (S::False, "InSync", String::new()),
            _ => (
                S::Unknown,
                "NotObserved",
                "no deployed revision reported yet".into(),
            ),
        };
        let (healthy, health_reason) = match observed.health.as_deref() {
            Some("Healthy") => (S::True, "Healthy"),
            Some("Progressing") => (S::Unknown, "Progressing"),
            Some("Degraded") => (S::False, "Degraded"),
            Some("Suspended") => (S::False, "Suspended"),
            Some("Missing") => (S::False, "Missing"),
            _ => (S::Unknown, "HealthUnknown"),
        };
        let ready = synced == S::True && healthy == S::True && drifted == S::False;
        let (ready_status, ready_reason) = if ready {
            (S::True, "Deployed")
        } else if drifted == S::True {
            (S::False, drift_reason)
        } else if synced != S::True {
            (S::False, synced_reason)
        } else {
            (S::False, health_reason)
        };

        let t = now.clone();
        let c = &mut self.conditions;
        c.set(condition::new(
            condition::SYNCED,
            synced,
            synced_reason,
            &synced_msg,
            generation,
            t.clone(),
        ));
        c.set(condition::new(
            condition::DRIFTED,
            drifted,
            drift_reason,
            &drift_msg,
            generation,
            t.clone(),
        ));
        c.set(condition::new(
            condition::HEALTHY,
            healthy,
            health_reason,
            "",
            generation,
            t.clone(),
        ));
        c.set(condition::new(
            condition::READY,
            ready_status,
            ready_reason,
            "",
            generation,
            t,
        ));
        *self != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::condition::{self, ConditionStatus, Conditions};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use k8s_openapi::jiff::Timestamp;

    fn digest(b: u8) -> Digest {
        Digest::from_bytes([b; 32])
    }

    fn observed(revision: Option<Digest>, sync: &str, health: &str) -> ObservedDeployment {
        ObservedDeployment {
            revision: revision.map(|d| d.to_string()),
            sync: Some(sync.into()),
            health: Some(health.into()),
        }
    }

    fn summary(s: &ServingStatus) -> Vec<String> {
        s.conditions
            .iter()
            .map(|c| format!("{}={} {}", c.type_, c.status, c.reason))
            .collect()
    }

    fn now() -> Time {
        Time(Timestamp::from_second(1_750_000_000).unwrap())
    }

    #[test]
    fn synced_healthy_on_the_desired_digest_is_ready() {
        let mut s = ServingStatus::default();
        assert!(s.observe(
            Some(2),
            "p-1",
            &digest(1),
            &observed(Some(digest(1)), "Synced", "Healthy"),
            &now()
        ));
        assert_eq!(
            summary(&s),
            [
                "Drifted=False InSync",
                "Healthy=True Healthy",
                "Ready=True Deployed",
                "Synced=True Synced"
            ]
        );
        assert_eq!(s.deployed_digest, Some(digest(1)));
        assert_eq!(s.observed_preparation.as_deref(), Some("p-1"));
        // Observing the same again changes nothing.
        assert!(!s.observe(
            Some(2),
            "p-1",
            &digest(1),
            &observed(Some(digest(1)), "Synced", "Healthy"),
            &now()
        ));
    }

    #[test]
    fn another_digest_deployed_is_drift() {
        let mut s = ServingStatus::default();
        s.observe(
            None,
            "p-2",
            &digest(2),
            &observed(Some(digest(1)), "Synced", "Healthy"),
            &now(),
        );
        assert_eq!(
            summary(&s),
            [
                "Drifted=True DigestMismatch",
                "Healthy=True Healthy",
                "Ready=False DigestMismatch",
                "Synced=False WrongRevision"
            ]
        );
        assert!(
            s.conditions
                .get_condition(condition::DRIFTED)
                .unwrap()
                .message
                .contains("deployed sha256:0101")
        );
    }

    #[test]
    fn live_changes_are_drift_and_progressing_is_unknown() {
        let mut s = ServingStatus::default();
        s.observe(
            None,
            "p",
            &digest(1),
            &observed(Some(digest(1)), "OutOfSync", "Progressing"),
            &now(),
        );
        assert_eq!(
            summary(&s),
            [
                "Drifted=True LiveStateChanged",
                "Healthy=Unknown Progressing",
                "Ready=False LiveStateChanged",
                "Synced=False OutOfSync"
            ]
        );
    }

    #[test]
    fn nothing_reported_yet() {
        let mut s = ServingStatus::default();
        s.observe(
            None,
            "p",
            &digest(1),
            &ObservedDeployment::default(),
            &now(),
        );
        assert_eq!(
            summary(&s),
            [
                "Drifted=Unknown NotObserved",
                "Healthy=Unknown HealthUnknown",
                "Ready=False SyncUnknown",
                "Synced=Unknown SyncUnknown"
            ]
        );
        assert_eq!(
            s.conditions.status_of(condition::READY),
            ConditionStatus::False
        );
        assert_eq!(s.deployed_digest, None);
    }
}
