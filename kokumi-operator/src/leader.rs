//! Leader election with a `coordination.k8s.io/v1` Lease, so that only one replica reconciles.
//!
//! The usual protocol (client-go's): the holder renews `renewTime` well within
//! `leaseDurationSeconds`; a candidate takes the Lease over once it has not been renewed for
//! that long. Every write carries the `resourceVersion` it read, so two candidates racing for
//! an expired Lease cannot both win (one gets `409 Conflict`).

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::Client;
use kube::api::{Api, PostParams};

use crate::error::{Error, Result};

/// One candidate for the leadership of one Lease.
#[derive(Clone)]
pub struct LeaderElection {
    api: Api<Lease>,
    name: String,
    identity: String,
    lease_duration: Duration,
}

impl std::fmt::Debug for LeaderElection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaderElection")
            .field("name", &self.name)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

impl LeaderElection {
    /// A candidate `identity` for Lease `namespace/name`.
    pub fn new(
        client: Client,
        namespace: &str,
        name: impl Into<String>,
        identity: impl Into<String>,
        lease_duration: Duration,
    ) -> Self {
        Self {
            api: Api::namespaced(client, namespace),
            name: name.into(),
            identity: identity.into(),
            lease_duration,
        }
    }

    /// This candidate's identity.
    pub fn identity(&self) -> &str {
        &self.identity
    }

    /// How long a Lease stays valid without renewal.
    pub fn lease_duration(&self) -> Duration {
        self.lease_duration
    }

    fn spec(&self, previous: Option<&LeaseSpec>) -> LeaseSpec {
        let now = MicroTime(Timestamp::now());
        let ours =
            previous.and_then(|p| p.holder_identity.as_deref()) == Some(self.identity.as_str());
        LeaseSpec {
            holder_identity: Some(self.identity.clone()),
            lease_duration_seconds: Some(
                i32::try_from(self.lease_duration.as_secs()).unwrap_or(i32::MAX),
            ),
            acquire_time: if ours {
                previous.and_then(|p| p.acquire_time.clone())
            } else {
                Some(now.clone())
            },
            renew_time: Some(now),
            lease_transitions: Some(
                previous.and_then(|p| p.lease_transitions).unwrap_or(0)
                    + i32::from(!ours && previous.is_some()),
            ),
            ..LeaseSpec::default()
        }
    }

    /// One attempt to acquire or renew. `Ok(true)`: this candidate holds the Lease now.
    pub async fn try_acquire(&self) -> Result<bool> {
        let existing = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| Error::kube(format!("reading lease {}", self.name), e))?;
        let Some(mut lease) = existing else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(self.spec(None)),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(Error::kube(format!("creating lease {}", self.name), e)),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.as_deref().filter(|h| !h.is_empty());
        if holder.is_some() && holder != Some(self.identity.as_str()) {
            let duration = spec
                .lease_duration_seconds
                .map_or(self.lease_duration.as_secs() as i64, i64::from);
            let valid = spec.renew_time.as_ref().is_some_and(|t| {
                t.0.saturating_add(SignedDuration::from_secs(duration))
                    .is_ok_and(|until| until > Timestamp::now())
            });
            if valid {
                return Ok(false);
            }
        }
        lease.spec = Some(self.spec(Some(&spec)));
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(Error::kube(format!("renewing lease {}", self.name), e)),
        }
    }

    /// Waits until this candidate holds the Lease, trying every `retry`.
    pub async fn acquire(&self, retry: Duration) -> Result<()> {
        loop {
            match self.try_acquire().await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                Err(e) => tracing::warn!("leader election: {e}"),
            }
            tokio::time::sleep(retry).await;
        }
    }

    /// Gives the Lease up (when held), so another replica takes over without waiting.
    pub async fn release(&self) -> Result<()> {
        let Some(mut lease) = self
            .api
            .get_opt(&self.name)
            .await
            .map_err(|e| Error::kube(format!("reading lease {}", self.name), e))?
        else {
            return Ok(());
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.identity.as_str()) {
            return Ok(());
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        match self
            .api
            .replace(&self.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) | Err(kube::Error::Api(_)) => Ok(()),
            Err(e) => Err(Error::kube(format!("releasing lease {}", self.name), e)),
        }
    }
}
