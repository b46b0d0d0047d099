//! A per-stage progress line for `kokumi apply` and `kokumi render` on a terminal.
//!
//! The pipeline does its I/O through seams (a [`Renderer`], a destination [`Store`]); the CLI
//! hands it decorated ones that report which stage the run has reached — fetching the source,
//! checking the stored artifact, rendering, pushing, recording — without the pipeline knowing.
//! [`StageLine`] shows the latest stage as a spinner line on stderr and clears it when done.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use kokumi_oci::store::BlobReader;
use kokumi_oci::{Digest, Manifest, Store, StoreLocation};
use kokumi_pipeline::error::BoxError;
use kokumi_pipeline::render::{HelmOptions, RenderedChart, Renderer};
use kokumi_pipeline::source::ChartInput;
use oci_spec::image::Descriptor;

use crate::progress::Progress;

/// A stage of one pipeline run, as a user sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Resolving the Order and fetching its source.
    Fetch,
    /// The config hash matched: checking the stored artifact is still there.
    Check,
    /// Rendering the chart.
    Render,
    /// Pushing the artifact's blobs.
    Push,
    /// The artifact is stored; recording the Preparation and moving the Serving.
    Record,
}

impl Stage {
    fn describe(self) -> &'static str {
        match self {
            Stage::Fetch => "resolving and fetching the source",
            Stage::Check => "checking the stored artifact",
            Stage::Render => "rendering",
            Stage::Push => "pushing the artifact",
            Stage::Record => "recording the preparation",
        }
    }
}

/// Where stage reports go.
pub(crate) type StageSink = Arc<dyn Fn(Stage) + Send + Sync>;

/// A sink that drops every report.
pub(crate) fn no_stages() -> StageSink {
    Arc::new(|_| {})
}

/// The spinner line of one Order's run; cleared when dropped.
pub(crate) struct StageLine {
    bar: indicatif::ProgressBar,
    last: Arc<Mutex<Option<Stage>>>,
    order: String,
}

impl StageLine {
    /// A line for `order`, or `None` when progress is off.
    pub(crate) fn start(progress: &Progress, order: &str) -> Option<Self> {
        let target = progress.target()?;
        let bar = indicatif::ProgressBar::with_draw_target(None, target);
        let style = indicatif::ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(80));
        let line = Self {
            bar,
            last: Arc::default(),
            order: order.to_owned(),
        };
        line.sink()(Stage::Fetch);
        Some(line)
    }

    /// A sink updating this line (repeated reports of one stage change nothing).
    pub(crate) fn sink(&self) -> StageSink {
        let (bar, last, order) = (self.bar.clone(), Arc::clone(&self.last), self.order.clone());
        Arc::new(move |stage| {
            let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
            if *last != Some(stage) {
                *last = Some(stage);
                bar.set_message(format!("order {order}: {}", stage.describe()));
            }
        })
    }
}

impl Drop for StageLine {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A [`Renderer`] that reports [`Stage::Render`] before rendering.
pub(crate) struct ObservedRenderer<'a> {
    pub(crate) inner: &'a dyn Renderer,
    pub(crate) sink: StageSink,
}

impl Renderer for ObservedRenderer<'_> {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn version(&self) -> &str {
        self.inner.version()
    }

    fn render(&self, chart: &ChartInput, options: &HelmOptions) -> Result<RenderedChart, BoxError> {
        (self.sink)(Stage::Render);
        self.inner.render(chart, options)
    }
}

/// A destination [`Store`] that reports checking, pushing and (once the manifest is stored)
/// recording.
#[derive(Clone)]
pub(crate) struct ObservedStore<'a> {
    pub(crate) inner: &'a dyn Store,
    pub(crate) sink: StageSink,
}

impl std::fmt::Debug for ObservedStore<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("ObservedStore").field(&self.inner).finish()
    }
}

#[async_trait::async_trait]
impl Store for ObservedStore<'_> {
    async fn resolve(&self, reference: &str) -> kokumi_oci::Result<Descriptor> {
        (self.sink)(Stage::Check);
        self.inner.resolve(reference).await
    }

    async fn get_manifest(&self, digest: &Digest) -> kokumi_oci::Result<Manifest> {
        self.inner.get_manifest(digest).await
    }

    async fn put_manifest(
        &self,
        manifest: &Manifest,
        tag: Option<&str>,
    ) -> kokumi_oci::Result<Digest> {
        (self.sink)(Stage::Push);
        let digest = self.inner.put_manifest(manifest, tag).await?;
        (self.sink)(Stage::Record);
        Ok(digest)
    }

    async fn has_blob(&self, digest: &Digest) -> kokumi_oci::Result<bool> {
        (self.sink)(Stage::Push);
        self.inner.has_blob(digest).await
    }

    async fn get_blob(&self, digest: &Digest) -> kokumi_oci::Result<BlobReader> {
        self.inner.get_blob(digest).await
    }

    async fn put_blob(
        &self,
        digest: &Digest,
        size: u64,
        data: BlobReader,
    ) -> kokumi_oci::Result<()> {
        (self.sink)(Stage::Push);
        self.inner.put_blob(digest, size, data).await
    }

    async fn list_tags(&self) -> kokumi_oci::Result<Vec<String>> {
        self.inner.list_tags().await
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> kokumi_oci::Result<Vec<Descriptor>> {
        self.inner.referrers(subject, artifact_type).await
    }

    async fn delete_manifest(&self, digest: &Digest) -> kokumi_oci::Result<()> {
        self.inner.delete_manifest(digest).await
    }

    fn location(&self) -> StoreLocation {
        self.inner.location()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::path::Path;

    use kokumi_core::api::{Order, Recipe};
    use kokumi_oci::layout::LayoutStore;
    use kokumi_pipeline::pipeline::{BASE_DIR_ANNOTATION, Pipeline, SystemClock};
    use kokumi_pipeline::record::{MemoryRecords, RecordStore as _};
    use kokumi_pipeline::render::HelmRenderer;
    use kokumi_pipeline::source::Sources;

    use super::*;
    use crate::progress::Capture;

    fn examples() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
    }

    fn load<T: serde::de::DeserializeOwned>(rel: &str) -> T {
        serde_norway::from_str(&std::fs::read_to_string(examples().join(rel)).unwrap()).unwrap()
    }

    fn recording() -> (StageSink, Arc<Mutex<Vec<Stage>>>) {
        let seen: Arc<Mutex<Vec<Stage>>> = Arc::default();
        let sink_seen = Arc::clone(&seen);
        let sink: StageSink = Arc::new(move |stage| {
            let mut seen = sink_seen.lock().unwrap();
            if seen.last() != Some(&stage) {
                seen.push(stage);
            }
        });
        (sink, seen)
    }

    #[tokio::test]
    async fn stages_are_reported_in_pipeline_order() {
        let dir = tempfile::tempdir().unwrap();
        let records = MemoryRecords::new();
        records
            .put(&load::<Recipe>("recipes/strict.yaml"))
            .await
            .unwrap();
        let mut order: Order = load("orders/hello.yaml");
        order
            .metadata
            .annotations
            .get_or_insert_with(Default::default)
            .insert(
                BASE_DIR_ANNOTATION.into(),
                examples().join("orders").display().to_string(),
            );
        let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
        let helm = HelmRenderer::new();
        let sources = Sources::default();
        let (sink, seen) = recording();
        let renderer = ObservedRenderer {
            inner: &helm,
            sink: Arc::clone(&sink),
        };
        let store = ObservedStore {
            inner: &layout,
            sink: Arc::clone(&sink),
        };
        let pipeline = Pipeline {
            records: &records,
            sources: &sources,
            renderer: &renderer,
            destination: Some(&store),
            clock: &SystemClock,
        };
        sink(Stage::Fetch);
        let first = pipeline.prepare(&order).await.unwrap();
        assert_eq!(
            *seen.lock().unwrap(),
            [Stage::Fetch, Stage::Render, Stage::Push, Stage::Record]
        );
        // Unchanged: the stored artifact is checked, nothing renders or pushes.
        seen.lock().unwrap().clear();
        sink(Stage::Fetch);
        pipeline.prepare(&first.order).await.unwrap();
        assert_eq!(*seen.lock().unwrap(), [Stage::Fetch, Stage::Check]);
    }

    #[test]
    fn the_line_shows_the_stage_and_only_when_progress_is_on() {
        assert!(StageLine::start(&Progress::Off, "hello").is_none());
        let capture = Capture::new();
        let line = StageLine::start(&Progress::Capture(capture.clone()), "hello").unwrap();
        line.sink()(Stage::Render);
        line.bar.tick();
        drop(line);
        let text = capture.text();
        assert!(text.contains("order hello: rendering"), "{text:?}");
    }
}
