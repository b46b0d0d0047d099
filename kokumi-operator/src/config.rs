//! Operator settings: validated values, built from flags and environment by the binary.

use std::time::Duration;

/// How the operator runs. [`Config::default`] is what the binary uses without flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Where Preparations are pushed when an Order names no destination:
    /// `oci://HOST[:PORT]/PREFIX`; each Order gets `<PREFIX>/<namespace>/<order>`.
    pub registry: String,
    /// Use plain HTTP for the registries (`None`: plain HTTP for loopback hosts only).
    pub plain_http: Option<bool>,
    /// Namespace of Argo CD Applications.
    pub argocd_namespace: String,
    /// Argo CD project of the Applications.
    pub argocd_project: String,
    /// `spec.destination.server` of the Applications.
    pub destination_server: String,
    /// Whether Applications sync automatically (`syncPolicy.automated` with prune and
    /// self-heal).
    pub auto_sync: bool,
    /// Whether deleting an Application also deletes what Argo CD deployed (Argo CD's
    /// `resources-finalizer.argocd.argoproj.io`).
    pub cascade_delete: bool,
    /// Reconciles running at once, per controller.
    pub concurrency: u16,
    /// First retry delay after a transient error; doubles per failure.
    pub backoff_base: Duration,
    /// Longest retry delay.
    pub backoff_max: Duration,
    /// Periodic re-check of healthy objects.
    pub resync: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            registry: "oci://kokumi-registry.kokumi-system.svc:5000/kokumi".into(),
            plain_http: None,
            argocd_namespace: "argocd".into(),
            argocd_project: "default".into(),
            destination_server: "https://kubernetes.default.svc".into(),
            auto_sync: true,
            cascade_delete: true,
            concurrency: 4,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(300),
            resync: Duration::from_secs(600),
        }
    }
}

impl Config {
    /// The retry delay after `failures` consecutive transient failures (1-based).
    pub fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(20));
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let c = Config::default();
        let delays: Vec<u64> = (1..=10).map(|n| c.backoff(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]);
    }
}
