//! Prometheus metrics: reconciles, errors and durations per kind, pipeline durations, render
//! and push durations (timed from the stages the pipeline reports, [`StageTimer`]), drifted
//! Servings, and the source cache's hits, misses and size (read at each scrape).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use kokumi_pipeline::pipeline::Stage;
use kokumi_pipeline::source_cache::SourceCache;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric as _};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Labels naming the controller.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    /// `Order` or `Serving`.
    pub kind: String,
}

/// Labels of an error.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ErrorLabels {
    /// `Order` or `Serving`.
    pub kind: String,
    /// The condition reason (`PushFailed`, `PolicyViolation`…).
    pub reason: String,
}

/// Every metric the operator exports.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    reconciles: Family<KindLabels, Counter>,
    errors: Family<ErrorLabels, Counter>,
    durations: Family<KindLabels, Histogram>,
    pipeline: Histogram,
    render: Histogram,
    push: Histogram,
    drifted: Gauge,
    renders: Counter,
    source_cache: Arc<OnceLock<Arc<SourceCache>>>,
}

/// Reports the source cache's [`kokumi_pipeline::source_cache::CacheStats`] at each scrape
/// (nothing until [`Metrics::watch_source_cache`] names the cache).
#[derive(Debug)]
struct SourceCacheCollector(Arc<OnceLock<Arc<SourceCache>>>);

impl Collector for SourceCacheCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        let Some(cache) = self.0.get() else {
            return Ok(());
        };
        let stats = cache.stats();
        for (name, help, value) in [
            (
                "source_cache_hits",
                "Source fetches answered from the cache (the tag is still resolved)",
                stats.hits,
            ),
            (
                "source_cache_misses",
                "Source fetches that read the store",
                stats.misses,
            ),
        ] {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        for (name, help, value) in [
            (
                "source_cache_entries",
                "Sources held by the cache",
                stats.entries,
            ),
            (
                "source_cache_bytes",
                "Bytes of source content held by the cache",
                stats.bytes,
            ),
        ] {
            let gauge = ConstGauge::new(i64::try_from(value).unwrap_or(i64::MAX));
            gauge.encode(encoder.encode_descriptor(name, help, None, gauge.metric_type())?)?;
        }
        Ok(())
    }
}

fn seconds_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.005, 2.0, 14))
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A fresh registry with every metric registered.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("kokumi");
        let reconciles = Family::<KindLabels, Counter>::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        let durations =
            Family::<KindLabels, Histogram>::new_with_constructor(seconds_histogram as fn() -> _);
        let pipeline = seconds_histogram();
        let render = seconds_histogram();
        let push = seconds_histogram();
        let drifted = Gauge::default();
        let renders = Counter::default();
        registry.register("reconciles", "Reconciles per kind", reconciles.clone());
        registry.register(
            "reconcile_errors",
            "Failed reconciles per kind and reason",
            errors.clone(),
        );
        registry.register(
            "reconcile_duration_seconds",
            "Time per reconcile",
            durations.clone(),
        );
        registry.register(
            "pipeline_duration_seconds",
            "Time of one pipeline run (fetch, render, pack, push, record)",
            pipeline.clone(),
        );
        registry.register(
            "render_duration_seconds",
            "Time to render, patch, check and pack one Preparation (as the pipeline reports it)",
            render.clone(),
        );
        registry.register(
            "push_duration_seconds",
            "Time to push one Preparation's artifact (as the pipeline reports it)",
            push.clone(),
        );
        registry.register(
            "preparations_created",
            "Preparations rendered and pushed",
            renders.clone(),
        );
        registry.register(
            "drifted_servings",
            "Servings whose deployed digest or live state differs from the selected one",
            drifted.clone(),
        );
        let source_cache = Arc::new(OnceLock::new());
        registry.register_collector(Box::new(SourceCacheCollector(source_cache.clone())));
        Self {
            registry,
            reconciles,
            errors,
            durations,
            pipeline,
            render,
            push,
            drifted,
            renders,
            source_cache,
        }
    }

    /// Exports `cache`'s hits, misses and size from now on (the first cache named wins).
    pub fn watch_source_cache(&self, cache: Arc<SourceCache>) {
        let _ = self.source_cache.set(cache);
    }

    /// Counts one reconcile of `kind` that took `elapsed`.
    pub fn reconciled(&self, kind: &str, elapsed: Duration) {
        let labels = KindLabels { kind: kind.into() };
        self.reconciles.get_or_create(&labels).inc();
        self.durations
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one failed reconcile.
    pub fn failed(&self, kind: &str, reason: &str) {
        self.errors
            .get_or_create(&ErrorLabels {
                kind: kind.into(),
                reason: reason.into(),
            })
            .inc();
    }

    /// Records one pipeline run; `created` when it rendered a new Preparation.
    pub fn pipeline_ran(&self, elapsed: Duration, created: bool) {
        self.pipeline.observe(elapsed.as_secs_f64());
        if created {
            self.renders.inc();
        }
    }

    /// Records that `stage` of a pipeline run took `elapsed` (render and push have histograms;
    /// other stages are not measured).
    pub fn stage_took(&self, stage: Stage, elapsed: Duration) {
        let histogram = match stage {
            Stage::Render => &self.render,
            Stage::Push => &self.push,
            _ => return,
        };
        histogram.observe(elapsed.as_secs_f64());
    }

    /// Sets the number of drifted Servings.
    pub fn set_drifted(&self, count: usize) {
        self.drifted.set(i64::try_from(count).unwrap_or(i64::MAX));
    }

    /// How many Preparations were rendered and pushed so far.
    pub fn preparations_created(&self) -> u64 {
        self.renders.get()
    }

    /// The number of drifted Servings last set.
    pub fn drifted(&self) -> i64 {
        self.drifted.get()
    }

    /// A timer for one pipeline run's stages, recording into these metrics.
    pub fn stage_timer(&self) -> StageTimer<'_> {
        StageTimer {
            metrics: self,
            current: Mutex::new(None),
        }
    }

    /// The OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// Times the stages of one pipeline run from the pipeline's own reports
/// ([`kokumi_pipeline::pipeline::Observer::stage`]): a stage ends when the next one starts, and
/// its duration goes to [`Metrics::stage_took`]. A stage that fails — the last one reported —
/// has no end and is not recorded, so the histograms hold completed renders and pushes only.
#[derive(Debug)]
pub struct StageTimer<'a> {
    metrics: &'a Metrics,
    current: Mutex<Option<(Stage, Instant)>>,
}

impl StageTimer<'_> {
    /// The run enters `stage`: the stage before it is complete.
    pub fn enter(&self, stage: Stage) {
        let now = Instant::now();
        let previous = self
            .current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .replace((stage, now));
        if let Some((previous, started)) = previous {
            self.metrics.stage_took(previous, now - started);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn count(metrics: &Metrics, name: &str) -> Option<String> {
        metrics
            .encode()
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")).map(str::to_owned))
    }

    #[test]
    fn the_timer_records_completed_renders_and_pushes_only() {
        let metrics = Metrics::new();
        let timer = metrics.stage_timer();
        for stage in [Stage::Resolve, Stage::Fetch, Stage::Render] {
            timer.enter(stage);
        }
        std::thread::sleep(Duration::from_millis(20));
        timer.enter(Stage::Push);
        timer.enter(Stage::Record);
        let text = metrics.encode();
        assert_eq!(
            count(&metrics, "kokumi_render_duration_seconds_count").as_deref(),
            Some("1"),
            "{text}"
        );
        assert_eq!(
            count(&metrics, "kokumi_push_duration_seconds_count").as_deref(),
            Some("1"),
            "{text}"
        );
        let render: f64 = count(&metrics, "kokumi_render_duration_seconds_sum")
            .unwrap()
            .parse()
            .unwrap();
        assert!(render >= 0.02, "{text}");

        // A run whose render fails: the render never ends, nothing more is recorded.
        let failed = metrics.stage_timer();
        for stage in [Stage::Resolve, Stage::Fetch, Stage::Render] {
            failed.enter(stage);
        }
        // An unchanged Order checks and records: no render, no push.
        let unchanged = metrics.stage_timer();
        for stage in [Stage::Resolve, Stage::Fetch, Stage::Check, Stage::Record] {
            unchanged.enter(stage);
        }
        assert_eq!(
            count(&metrics, "kokumi_render_duration_seconds_count").as_deref(),
            Some("1")
        );
        assert_eq!(
            count(&metrics, "kokumi_push_duration_seconds_count").as_deref(),
            Some("1")
        );
    }

    #[test]
    fn the_source_cache_is_read_at_each_scrape() {
        use kokumi_pipeline::source::{ChartInput, SourceContent};

        let metrics = Metrics::new();
        assert_eq!(count(&metrics, "kokumi_source_cache_hits_total"), None);
        let cache = Arc::new(SourceCache::new(1024));
        metrics.watch_source_cache(cache.clone());
        let digest = kokumi_core::digest::Digest::of_bytes(b"chart");
        assert!(cache.get("oci://h/r", &digest).is_none());
        cache.insert(
            "oci://h/r",
            digest,
            &SourceContent::Chart(ChartInput::Archive(vec![0; 100])),
        );
        assert!(cache.get("oci://h/r", &digest).is_some());
        assert!(cache.get("oci://h/r", &digest).is_some());
        let text = metrics.encode();
        for (name, value) in [
            ("kokumi_source_cache_hits_total", "2"),
            ("kokumi_source_cache_misses_total", "1"),
            ("kokumi_source_cache_entries", "1"),
            ("kokumi_source_cache_bytes", "100"),
        ] {
            assert_eq!(
                count(&metrics, name).as_deref(),
                Some(value),
                "{name}: {text}"
            );
        }
    }
}
