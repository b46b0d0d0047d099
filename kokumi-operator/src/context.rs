//! What every reconcile shares: the client, settings, metrics, the pipeline's parts.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

use kokumi_oci::registry::Registries;
use kokumi_pipeline::pipeline::{Clock, SystemClock};
use kokumi_pipeline::render::{HelmRenderer, Renderer};
use kokumi_pipeline::source::Sources;
use kokumi_pipeline::source_cache::SourceCache;
use kube::Client;
use kube::runtime::events::Reporter;

use crate::config::Config;
use crate::metrics::Metrics;

/// The shared context of the controllers.
pub struct Context {
    /// The API client.
    pub client: Client,
    /// Settings.
    pub config: Config,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Registry settings shared by every Order that names no Pantry: one connection pool per
    /// host across reconciles.
    pub registries: Arc<Registries>,
    /// How sources are fetched (through [`Context::registries`] and [`Context::source_cache`]).
    pub sources: Sources,
    /// Sources read from registries, by digest, for every reconcile (those with Pantry
    /// credentials too: each fetch still resolves the tag with the Order's own credentials).
    pub source_cache: Arc<SourceCache>,
    /// The Helm renderer.
    pub renderer: Arc<dyn Renderer>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Who the Events come from.
    pub reporter: Reporter,
    failures: Mutex<BTreeMap<String, u32>>,
    drifted: Mutex<BTreeSet<String>>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Context {
    /// A context with the system clock and the native Helm renderer.
    pub fn new(client: Client, config: Config, metrics: Arc<Metrics>) -> Self {
        let registries = Arc::new(crate::credentials::shared_registries(&config));
        let source_cache = Arc::new(SourceCache::default());
        metrics.watch_source_cache(source_cache.clone());
        Self {
            client,
            config,
            metrics,
            sources: Sources::with_registries(registries.clone()).with_cache(source_cache.clone()),
            source_cache,
            registries,
            renderer: Arc::new(
                HelmRenderer::new().with_parse_cache(HelmRenderer::DEFAULT_PARSED_CHARTS),
            ),
            clock: Arc::new(SystemClock),
            reporter: Reporter {
                controller: "kokumi-operator".into(),
                instance: std::env::var("POD_NAME").ok(),
            },
            failures: Mutex::new(BTreeMap::new()),
            drifted: Mutex::new(BTreeSet::new()),
        }
    }

    /// Counts a transient failure of `key`; returns how many in a row.
    pub fn record_failure(&self, key: &str) -> u32 {
        let mut failures = self.failures.lock().unwrap_or_else(PoisonError::into_inner);
        let n = failures.entry(key.to_owned()).or_insert(0);
        *n = n.saturating_add(1);
        *n
    }

    /// Forgets the failures of `key` (it reconciled).
    pub fn record_success(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    /// Marks a Serving drifted or not; returns `true` when that changed.
    pub fn set_drifted(&self, key: &str, drifted: bool) -> bool {
        let mut set = self.drifted.lock().unwrap_or_else(PoisonError::into_inner);
        let changed = if drifted {
            set.insert(key.to_owned())
        } else {
            set.remove(key)
        };
        self.metrics.set_drifted(set.len());
        changed
    }
}
