//! The quick start as a program: the whole pipeline into an on-disk OCI layout, no cluster and no
//! registry — render the example Order, change a value, render again, promote, roll back.
//!
//! `cargo run -p kokumi-examples --example quickstart`
#![allow(clippy::print_stdout)]

use kokumi_core::api::{Recipe, Serving};
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::lifecycle;
use kokumi_pipeline::pipeline::{Pipeline, SystemClock};
use kokumi_pipeline::record::{MemoryRecords, RecordStore};
use kokumi_pipeline::render::HelmRenderer;
use kokumi_pipeline::source::Sources;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;
    kokumi_examples::runtime()?.block_on(async {
        let records = MemoryRecords::new();
        let recipe: Recipe = kokumi_examples::load("recipes/strict.yaml")?;
        records.put(&recipe).await?;
        let order = kokumi_examples::load_order("orders/hello.yaml")?;
        records.put(&order).await?;

        let layout = LayoutStore::create(work.path().join("oci")).await?;
        let (sources, renderer) = (Sources::default(), HelmRenderer::new());
        let pipeline = Pipeline {
            records: &records,
            sources: &sources,
            renderer: &renderer,
            destination: Some(&layout),
            clock: &SystemClock,
        };

        let first = pipeline.prepare(&order).await?;
        println!(
            "{:?}: preparation {} ({})",
            first.outcome,
            first
                .preparation
                .metadata
                .name
                .as_deref()
                .unwrap_or_default(),
            first.preparation.spec.artifact.digest
        );
        println!("  {}", first.serving);

        // Same inputs: nothing new.
        let again = pipeline.prepare(&first.order).await?;
        println!("again: {:?}", again.outcome);

        // Change a value: a second Preparation whose parent is the first.
        let mut changed = first.order.clone();
        if let Some(values) = changed
            .spec
            .render
            .as_mut()
            .and_then(|r| r.helm.as_mut())
            .and_then(|h| h.values.as_mut())
        {
            values["greeting"]["message"] = serde_json::json!("Hello again");
        }
        changed.metadata.generation = Some(2);
        records.put(&changed).await?;
        let second = pipeline.prepare(&changed).await?;
        println!(
            "{:?}: preparation {} (parent {})",
            second.outcome,
            second
                .preparation
                .metadata
                .name
                .as_deref()
                .unwrap_or_default(),
            second
                .preparation
                .spec
                .parent_digest
                .map(|d| d.to_string())
                .unwrap_or_default()
        );
        println!("  {}", second.serving);

        // Roll back: the Serving points at the first again; nothing re-renders.
        let back = lifecycle::rollback(&records, "hello", None, &SystemClock).await?;
        println!("rollback: {}", back.serving);
        let serving: Serving = records.get("hello").await?.ok_or("no serving")?;
        assert_eq!(
            Some(&serving.spec.preparation),
            first.preparation.metadata.name.as_ref()
        );
        println!(
            "serving {} (artifacts in {})",
            serving.spec.preparation,
            layout.path().display()
        );
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
