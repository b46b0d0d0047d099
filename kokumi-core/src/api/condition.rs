//! Status conditions, following the Kubernetes API conventions.
//!
//! Every Kokumi status holds `conditions: []Condition` (the standard
//! `meta/v1.Condition`: `type`, `status`, `reason`, `message`, `lastTransitionTime`,
//! `observedGeneration`), as a map-list keyed by `type`. This module names the condition types
//! and reasons Kokumi uses and gives the one correct way to update a list:
//! [`Conditions::set`] keeps `lastTransitionTime` unless the status really changes.
//!
//! Core has no clock: callers pass the current time in.
//!
//! ```
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
//! use k8s_openapi::jiff::Timestamp;
//! use kokumi_core::api::condition::{self, ConditionStatus, Conditions};
//!
//! let t0 = Time(Timestamp::from_second(1_700_000_000).unwrap());
//! let t1 = Time(Timestamp::from_second(1_700_000_600).unwrap());
//! let mut conditions: Vec<Condition> = Vec::new();
//! conditions.set(condition::new(condition::READY, ConditionStatus::False, "Rendering", "", Some(1), t0.clone()));
//! conditions.set(condition::new(condition::READY, ConditionStatus::False, "Pushing", "", Some(1), t1.clone()));
//! // Same status: the transition time stays.
//! assert_eq!(conditions.get_condition(condition::READY).unwrap().last_transition_time, t0);
//! conditions.set(condition::new(condition::READY, ConditionStatus::True, "Pushed", "", Some(1), t1.clone()));
//! assert_eq!(conditions.get_condition(condition::READY).unwrap().last_transition_time, t1);
//! assert!(conditions.is_true(condition::READY));
//! ```

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The summary condition every kind carries: the object is fully reconciled and usable.
pub const READY: &str = "Ready";
/// Order: the latest spec was rendered into a Preparation.
pub const RENDERED: &str = "Rendered";
/// Order: the overrides respect the Menu's policy (`False` lists the violations).
pub const POLICY_ACCEPTED: &str = "PolicyAccepted";
/// Serving: Argo CD reports the Application as synced to the desired digest.
pub const SYNCED: &str = "Synced";
/// Serving: Argo CD reports the Application's resources as healthy.
pub const HEALTHY: &str = "Healthy";
/// Serving: what runs differs from the selected Preparation (an abnormal-true condition).
pub const DRIFTED: &str = "Drifted";
/// Pantry: the registry answered with the configured credentials.
pub const REACHABLE: &str = "Reachable";

/// The status of a condition: `True`, `False` or `Unknown`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ConditionStatus {
    /// The condition holds.
    True,
    /// The condition does not hold.
    False,
    /// The controller cannot tell (yet).
    Unknown,
}

impl ConditionStatus {
    /// The spelling used in `Condition.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::True => "True",
            Self::False => "False",
            Self::Unknown => "Unknown",
        }
    }

    /// `True` for `true`, `False` for `false`.
    pub fn from_bool(value: bool) -> Self {
        if value { Self::True } else { Self::False }
    }

    /// Parses a `Condition.status`; anything but `True`/`False` is `Unknown`.
    pub fn parse(status: &str) -> Self {
        match status {
            "True" => Self::True,
            "False" => Self::False,
            _ => Self::Unknown,
        }
    }
}

impl fmt::Display for ConditionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A condition with every field set. `reason` must be CamelCase (API conventions); an empty
/// reason is replaced by the status (`True`/`False`/`Unknown`), since the API server requires
/// one.
pub fn new(
    type_: &str,
    status: ConditionStatus,
    reason: &str,
    message: &str,
    observed_generation: Option<i64>,
    now: Time,
) -> Condition {
    Condition {
        type_: type_.to_owned(),
        status: status.as_str().to_owned(),
        reason: if reason.is_empty() {
            status.as_str().to_owned()
        } else {
            reason.to_owned()
        },
        message: message.to_owned(),
        observed_generation,
        last_transition_time: now,
    }
}

/// Reading and updating a list of conditions.
pub trait Conditions {
    /// The condition of this type, if present.
    fn get_condition(&self, type_: &str) -> Option<&Condition>;

    /// Status of the condition of this type; `Unknown` when absent.
    fn status_of(&self, type_: &str) -> ConditionStatus {
        self.get_condition(type_)
            .map_or(ConditionStatus::Unknown, |c| {
                ConditionStatus::parse(&c.status)
            })
    }

    /// `true` when the condition of this type is present with status `True`.
    fn is_true(&self, type_: &str) -> bool {
        self.status_of(type_) == ConditionStatus::True
    }

    /// Inserts or replaces the condition of `condition.type_`. When the status is unchanged the
    /// existing `lastTransitionTime` is kept. Returns `true` when anything changed. Conditions stay
    /// sorted by type, so the status serialises deterministically.
    fn set(&mut self, condition: Condition) -> bool;

    /// Removes the condition of this type; returns `true` when one was removed.
    fn remove_condition(&mut self, type_: &str) -> bool;
}

impl Conditions for Vec<Condition> {
    fn get_condition(&self, type_: &str) -> Option<&Condition> {
        self.iter().find(|c| c.type_ == type_)
    }

    fn set(&mut self, mut condition: Condition) -> bool {
        match self.iter_mut().find(|c| c.type_ == condition.type_) {
            Some(existing) => {
                if existing.status == condition.status {
                    condition.last_transition_time = existing.last_transition_time.clone();
                }
                if *existing == condition {
                    return false;
                }
                *existing = condition;
                true
            }
            None => {
                let at = self.partition_point(|c| c.type_ < condition.type_);
                self.insert(at, condition);
                true
            }
        }
    }

    fn remove_condition(&mut self, type_: &str) -> bool {
        let before = self.len();
        self.retain(|c| c.type_ != type_);
        before != self.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;

    fn at(s: i64) -> Time {
        Time(Timestamp::from_second(s).unwrap())
    }

    #[test]
    fn set_keeps_transition_time_when_status_unchanged() {
        let mut c = Vec::new();
        assert!(c.set(new(
            READY,
            ConditionStatus::False,
            "A",
            "m",
            Some(1),
            at(10)
        )));
        assert!(c.set(new(
            READY,
            ConditionStatus::False,
            "B",
            "m",
            Some(2),
            at(20)
        )));
        let got = c.get_condition(READY).unwrap();
        assert_eq!(got.last_transition_time, at(10));
        assert_eq!(got.reason, "B");
        assert_eq!(got.observed_generation, Some(2));
    }

    #[test]
    fn set_reports_no_change() {
        let mut c = Vec::new();
        c.set(new(READY, ConditionStatus::True, "Ok", "", Some(1), at(10)));
        assert!(!c.set(new(READY, ConditionStatus::True, "Ok", "", Some(1), at(99))));
    }

    #[test]
    fn set_moves_transition_time_on_status_change() {
        let mut c = Vec::new();
        c.set(new(READY, ConditionStatus::False, "A", "", None, at(10)));
        c.set(new(READY, ConditionStatus::True, "B", "", None, at(20)));
        assert_eq!(c.get_condition(READY).unwrap().last_transition_time, at(20));
        assert!(c.is_true(READY));
    }

    #[test]
    fn conditions_stay_sorted_and_removable() {
        let mut c = Vec::new();
        c.set(new(SYNCED, ConditionStatus::True, "", "", None, at(1)));
        c.set(new(HEALTHY, ConditionStatus::Unknown, "", "", None, at(1)));
        c.set(new(DRIFTED, ConditionStatus::False, "", "", None, at(1)));
        let types: Vec<_> = c.iter().map(|c| c.type_.as_str()).collect();
        assert_eq!(types, [DRIFTED, HEALTHY, SYNCED]);
        assert_eq!(c.get_condition(HEALTHY).unwrap().reason, "Unknown");
        assert!(c.remove_condition(HEALTHY));
        assert!(!c.remove_condition(HEALTHY));
        assert_eq!(c.status_of(HEALTHY), ConditionStatus::Unknown);
    }
}
