//! Renders two versions of the example Order into a layout and compares the Preparations
//! resource by resource, reading the artifacts back from the store.
//!
//! `cargo run -p kokumi-examples --example diff_preparations`
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;

use kokumi_core::document::{Limits, ResourceId, parse_documents, to_canonical_yaml};
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::artifact;
use kokumi_pipeline::pipeline::{Pipeline, SystemClock};
use kokumi_pipeline::record::{MemoryRecords, RecordStore};
use kokumi_pipeline::render::HelmRenderer;
use kokumi_pipeline::source::Sources;

type Resources = BTreeMap<ResourceId, String>;

fn resources(files: &BTreeMap<String, Vec<u8>>) -> Result<Resources, Box<dyn std::error::Error>> {
    let mut out = BTreeMap::new();
    for bytes in files.values() {
        for doc in parse_documents(&String::from_utf8_lossy(bytes), &Limits::default())? {
            if !doc.value.is_null() {
                out.insert(ResourceId::of(&doc.value), to_canonical_yaml([&doc.value]));
            }
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let work = tempfile::tempdir()?;
    kokumi_examples::runtime()?.block_on(async {
        let records = MemoryRecords::new();
        records
            .put(&kokumi_examples::load::<kokumi_core::api::Recipe>(
                "recipes/strict.yaml",
            )?)
            .await?;
        let layout = LayoutStore::create(work.path().join("oci")).await?;
        let (sources, renderer) = (Sources::default(), HelmRenderer::new());
        let pipeline = Pipeline {
            records: &records,
            sources: &sources,
            renderer: &renderer,
            destination: Some(&layout),
            clock: &SystemClock,
        };

        let order = kokumi_examples::load_order("orders/hello.yaml")?;
        let a = pipeline.prepare(&order).await?;
        let mut scaled = a.order.clone();
        scaled.spec.patches.clear();
        if let Some(values) = scaled
            .spec
            .render
            .as_mut()
            .and_then(|r| r.helm.as_mut())
            .and_then(|h| h.values.as_mut())
        {
            values["replicaCount"] = serde_json::json!(5);
            values["greeting"]["message"] = serde_json::json!("Hello, five");
        }
        let b = pipeline.prepare(&scaled).await?;

        let ra = resources(
            &artifact::read_files(&layout, &a.preparation.spec.artifact.digest)
                .await
                .map_err(|e| e.to_string())?,
        )?;
        let rb = resources(
            &artifact::read_files(&layout, &b.preparation.spec.artifact.digest)
                .await
                .map_err(|e| e.to_string())?,
        )?;
        println!(
            "{} → {}",
            a.preparation.metadata.name.as_deref().unwrap_or_default(),
            b.preparation.metadata.name.as_deref().unwrap_or_default()
        );
        let mut changed = 0;
        for (id, before) in &ra {
            match rb.get(id) {
                None => println!("  - {id}"),
                Some(after) if after != before => {
                    changed += 1;
                    println!("  ~ {id}");
                    for (x, y) in before.lines().zip(after.lines()) {
                        if x != y {
                            println!("      - {x}\n      + {y}");
                        }
                    }
                }
                Some(_) => {}
            }
        }
        for id in rb.keys().filter(|id| !ra.contains_key(id)) {
            println!("  + {id}");
        }
        assert!(changed >= 2, "the ConfigMap and the Deployment must differ");
        Ok::<(), Box<dyn std::error::Error>>(())
    })
}
