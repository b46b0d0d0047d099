//! What the pipeline reports back: stage timings and the moment rendering starts.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use kokumi_core::api::condition::Conditions as _;
use kokumi_core::api::{Order, Recipe};
use kokumi_core::digest::Digest;
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::pipeline::{
    BASE_DIR_ANNOTATION, Observer, Outcome, Pipeline, RENDERED, SystemClock,
};
use kokumi_pipeline::record::{MemoryRecords, RecordStore};
use kokumi_pipeline::render::HelmRenderer;
use kokumi_pipeline::source::Sources;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn hello() -> Order {
    let text = std::fs::read_to_string(examples().join("orders/hello.yaml")).unwrap();
    let mut order: Order = serde_norway::from_str(&text).unwrap();
    order
        .metadata
        .annotations
        .get_or_insert_with(Default::default)
        .insert(
            BASE_DIR_ANNOTATION.into(),
            examples().join("orders").display().to_string(),
        );
    order
}

/// Remembers every `rendering` call.
#[derive(Default)]
struct Recorder(Mutex<Vec<(String, Digest)>>);

#[async_trait::async_trait]
impl Observer for Recorder {
    async fn rendering(&self, order: &Order, config_hash: Digest) {
        let name = order.metadata.name.clone().unwrap_or_default();
        self.0.lock().unwrap().push((name, config_hash));
    }
}

#[tokio::test]
async fn rendering_is_announced_once_per_new_config_hash_and_stages_are_timed() {
    let dir = tempfile::tempdir().unwrap();
    let records = MemoryRecords::new();
    let recipe: Recipe = serde_norway::from_str(
        &std::fs::read_to_string(examples().join("recipes/strict.yaml")).unwrap(),
    )
    .unwrap();
    records.put(&recipe).await.unwrap();
    let layout = LayoutStore::create(dir.path().join("oci")).await.unwrap();
    let (sources, renderer) = (Sources::default(), HelmRenderer::new());
    let pipeline = Pipeline {
        records: &records,
        sources: &sources,
        renderer: &renderer,
        destination: Some(&layout),
        clock: &SystemClock,
    };
    let observer = Recorder::default();

    let first = pipeline
        .prepare_observed(&hello(), &observer)
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    assert_eq!(
        *observer.0.lock().unwrap(),
        [("hello".to_owned(), first.preparation.spec.config_hash)],
        "announced before rendering, with the hash the Preparation records"
    );
    assert!(first.timings.render.is_some(), "{:?}", first.timings);
    assert!(first.timings.push.is_some(), "{:?}", first.timings);
    let ready = first.order.status.as_ref().unwrap();
    let condition = ready.conditions.get_condition("Ready").unwrap();
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("True", RENDERED)
    );

    // Unchanged inputs: nothing announced, nothing rendered or pushed.
    let again = pipeline
        .prepare_observed(&first.order, &observer)
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(observer.0.lock().unwrap().len(), 1);
    assert_eq!((again.timings.render, again.timings.push), (None, None));
}
