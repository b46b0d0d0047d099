//! What the pipeline reports back: every stage in order and the moment a new Preparation starts
//! rendering (what the CLI's progress line and the operator's stage metrics listen to).

use std::sync::Mutex;

use kokumi_core::api::Order;
use kokumi_core::api::condition::Conditions as _;
use kokumi_core::digest::Digest;
use kokumi_oci::Store as _;
use kokumi_pipeline::pipeline::{Observer, Outcome, RENDERED, Stage};
use kokumi_pipeline::testing::{Fixture, hello_order as hello, values_mut};

/// Remembers every stage and every `rendering` call.
#[derive(Default)]
struct Recorder {
    stages: Mutex<Vec<(String, Stage)>>,
    rendering: Mutex<Vec<(String, Digest)>>,
}

impl Recorder {
    /// The stages heard since the last call, for the Order `hello` (any other Order fails).
    fn take(&self) -> Vec<Stage> {
        std::mem::take(&mut *self.stages.lock().unwrap())
            .into_iter()
            .map(|(order, stage)| {
                assert_eq!(order, "hello");
                stage
            })
            .collect()
    }
}

#[async_trait::async_trait]
impl Observer for Recorder {
    async fn stage(&self, order: &Order, stage: Stage) {
        let name = order.metadata.name.clone().unwrap_or_default();
        self.stages.lock().unwrap().push((name, stage));
    }

    async fn rendering(&self, order: &Order, config_hash: Digest) {
        let name = order.metadata.name.clone().unwrap_or_default();
        self.rendering.lock().unwrap().push((name, config_hash));
    }
}

#[tokio::test]
async fn stages_arrive_in_pipeline_order_and_new_preparations_are_announced() {
    use Stage::{Check, Fetch, Push, Record, Render, Resolve};
    let fixture = Fixture::new().await;
    let pipeline = fixture.pipeline();
    let observer = Recorder::default();

    // A fresh render.
    let first = pipeline
        .prepare_observed(&hello(), &observer)
        .await
        .unwrap();
    assert_eq!(first.outcome, Outcome::Created);
    assert_eq!(observer.take(), [Resolve, Fetch, Render, Push, Record]);
    assert_eq!(
        *observer.rendering.lock().unwrap(),
        [("hello".to_owned(), first.preparation.spec.config_hash)],
        "a new Preparation is announced, with the hash it records"
    );
    let ready = first.order.status.as_ref().unwrap();
    let condition = ready.conditions.get_condition("Ready").unwrap();
    assert_eq!(
        (condition.status.as_str(), condition.reason.as_str()),
        ("True", RENDERED)
    );

    // A config-hash hit: the stored artifact is checked; nothing renders or pushes.
    let again = pipeline
        .prepare_observed(&first.order, &observer)
        .await
        .unwrap();
    assert_eq!(again.outcome, Outcome::Unchanged);
    assert_eq!(observer.take(), [Resolve, Fetch, Check, Record]);
    assert_eq!(observer.rendering.lock().unwrap().len(), 1);

    // A hit whose artifact is gone: checked, then rendered and pushed again.
    let digest = first.preparation.spec.artifact.digest;
    fixture.layout.delete_manifest(&digest).await.unwrap();
    let restored = pipeline
        .prepare_observed(&first.order, &observer)
        .await
        .unwrap();
    assert_eq!(restored.outcome, Outcome::Restored);
    assert_eq!(
        observer.take(),
        [Resolve, Fetch, Check, Render, Push, Record]
    );
    assert_eq!(
        observer.rendering.lock().unwrap().len(),
        1,
        "restoring is not a new Preparation"
    );

    // A dry run stops after rendering.
    fixture
        .dry_run()
        .render_observed(&hello(), &observer)
        .await
        .unwrap();
    assert_eq!(observer.take(), [Resolve, Fetch, Render]);
}

#[tokio::test]
async fn a_failing_stage_is_the_last_one_reported() {
    use Stage::{Fetch, Render, Resolve};
    let fixture = Fixture::new().await;
    let pipeline = fixture.pipeline();
    let observer = Recorder::default();

    let mut unknown_recipe = hello();
    unknown_recipe.spec.recipe_ref.as_mut().unwrap().name = "missing".into();
    let err = pipeline
        .prepare_observed(&unknown_recipe, &observer)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("missing"), "{err}");
    assert_eq!(observer.take(), [Resolve]);

    let mut latest = hello();
    values_mut(&mut latest)["image"] = serde_json::json!({"tag": "latest"});
    pipeline
        .prepare_observed(&latest, &observer)
        .await
        .unwrap_err();
    assert_eq!(observer.take(), [Resolve, Fetch, Render]);
}
