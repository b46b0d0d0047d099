//! The release pipeline, end to end, on the example chart; and `kokumi get preparations` over a
//! large local state.
//!
//! `cargo bench -p kokumi-benches --bench pipeline`
//!
//! - `order_to_ready_preparation/*`: an Order whose values change every iteration, so each run
//!   really resolves, reads the chart, renders, patches, checks the image policy, packs, pushes
//!   into an on-disk OCI layout and records a Ready Preparation (warm: the process, the layout
//!   and the page cache already exist). `memory_records` keeps records in memory (the
//!   operator's shape minus the API server); `local_state` is the CLI's `.kokumi/` with
//!   fsync'ed YAML files. Only `prepare` is timed; each run's record is removed afterwards so
//!   the stores (records and the layout's index) do not grow with the iteration count.
//! - `order_unchanged`: the same Order again — config hash matches, nothing renders.
//! - `get_preparations_1000`: `kokumi get preparations` (in-process) with 1,000 Preparations.
//! - `order_unchanged_1000_preparations/local_state`: an unchanged Order whose `.kokumi/` holds
//!   1,000 older Preparations of it — what reading the history costs each `apply`.
//! - `order_unchanged_1000_other_preparations/local_state`: the same, but the 1,000
//!   Preparations belong to other Orders — what they cost an `apply` of this one.

// A bench is a test harness: unwrapping on setup failure is the point.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use kokumi_cli::local::{Context, TickingClock, run_line};
use kokumi_core::api::{AutoDeploy, Order, Preparation};
use kokumi_core::digest::Digest;
use kokumi_oci::Store as _;
use kokumi_oci::layout::LayoutStore;
use kokumi_pipeline::pipeline::{Outcome, Pipeline, SystemClock};
use kokumi_pipeline::record::{MemoryRecords, RecordStore};
use kokumi_pipeline::render::HelmRenderer;
use kokumi_pipeline::source::Sources;
use kokumi_pipeline::state::LocalState;
use kokumi_pipeline::testing::{Fixture, hello_order, strict_recipe, values_mut};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn with_message(order: &Order, n: u64) -> Order {
    let mut order = order.clone();
    values_mut(&mut order)["greeting"]["message"] = serde_json::json!(format!("hello #{n}"));
    order
}

fn bench_prepare<R: RecordStore>(c: &mut Criterion, name: &str, records: &R, layout: &LayoutStore) {
    let runtime = runtime();
    let (sources, renderer) = (Sources::default(), HelmRenderer::new());
    let pipeline = Pipeline {
        records,
        sources: &sources,
        renderer: &renderer,
        destination: Some(layout),
        clock: &SystemClock,
    };
    let base = hello_order();
    let counter = AtomicU64::new(0);
    runtime.block_on(async {
        records.put(&strict_recipe()).await.unwrap();
        records.put(&base).await.unwrap();
    });
    // Each run renders new values; its Preparation record is removed afterwards (outside the
    // timing), so the store holds one Order's few Preparations throughout instead of growing
    // with the number of iterations.
    c.bench_function(&format!("order_to_ready_preparation/{name}"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let order = with_message(&base, counter.fetch_add(1, Ordering::Relaxed));
                let started = Instant::now();
                let prepared = runtime.block_on(pipeline.prepare(&order)).unwrap();
                total += started.elapsed();
                assert!(prepared.preparation.is_ready());
                let name = prepared.preparation.metadata.name.clone().unwrap();
                let digest = prepared.preparation.spec.artifact.digest.to_string();
                runtime.block_on(async {
                    records.delete::<Preparation>(&name).await.unwrap();
                    let digest = kokumi_oci::Digest::parse(&digest).unwrap();
                    layout.delete_manifest(&digest).await.unwrap();
                });
            }
            total
        });
    });
    if name == "memory_records" {
        let fixed = with_message(&base, u64::MAX);
        runtime.block_on(pipeline.prepare(&fixed)).unwrap();
        c.bench_function("order_unchanged", |b| {
            b.iter(|| runtime.block_on(pipeline.prepare(&fixed)).unwrap());
        });
    }
}

fn order_to_ready_preparation(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let layout = runtime
        .block_on(LayoutStore::create(dir.path().join("oci")))
        .unwrap();
    bench_prepare(c, "memory_records", &MemoryRecords::new(), &layout);
    let state = LocalState::open(dir.path().join("state")).unwrap();
    bench_prepare(c, "local_state", &state, &layout);
}

fn get_preparations_1000(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join(".kokumi");
    let state = LocalState::open(&home).unwrap();
    // 1,000 Preparation records, as the pipeline writes them (one real one, renamed).
    let runtime = runtime();
    let fixture = runtime.block_on(Fixture::new());
    let template: Preparation = runtime
        .block_on(fixture.pipeline().prepare(&hello_order()))
        .unwrap()
        .preparation;
    for i in 0..1000 {
        let mut p = template.clone();
        p.metadata.name = Some(format!("hello-{i:012x}"));
        state.write(&p).unwrap();
    }
    let mut ctx = Context::new(home, dir.path().to_path_buf());
    ctx.clock = Arc::new(TickingClock::new(1_767_225_600));
    let (code, out, err) = run_line(&ctx, &["get", "preparations"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1001);
    c.bench_function("get_preparations_1000", |b| {
        b.iter(|| {
            let (code, out, _) = run_line(&ctx, &["get", "preparations"]);
            assert_eq!(code, 0);
            out.len()
        });
    });
}

/// An unchanged Order whose `.kokumi/` also holds 1,000 Preparation records made by `other`
/// from the Order's own (as records only: their artifacts are not in the layout).
fn unchanged_with_history(
    c: &mut Criterion,
    bench: &str,
    other: impl Fn(u32, &Preparation) -> Preparation,
) {
    let dir = tempfile::tempdir().unwrap();
    let runtime = runtime();
    let state = LocalState::open(dir.path().join("state")).unwrap();
    let layout = runtime
        .block_on(LayoutStore::create(dir.path().join("oci")))
        .unwrap();
    let (sources, renderer) = (Sources::default(), HelmRenderer::new());
    let pipeline = Pipeline {
        records: &state,
        sources: &sources,
        renderer: &renderer,
        destination: Some(&layout),
        clock: &SystemClock,
    };
    let mut order = hello_order();
    order.spec.auto_deploy = Some(AutoDeploy::Disabled);
    runtime.block_on(state.put(&strict_recipe())).unwrap();
    runtime.block_on(state.put(&order)).unwrap();
    let prepared = runtime.block_on(pipeline.prepare(&order)).unwrap();
    for i in 0..1000u32 {
        state.write(&other(i, &prepared.preparation)).unwrap();
    }
    let order = prepared.order;
    c.bench_function(bench, |b| {
        b.iter(|| {
            let again = runtime.block_on(pipeline.prepare(&order)).unwrap();
            assert_eq!(again.outcome, Outcome::Unchanged);
        });
    });
}

fn order_unchanged_with_history(c: &mut Criterion) {
    // 1,000 older Preparations of the same Order (other config hashes).
    unchanged_with_history(
        c,
        "order_unchanged_1000_preparations/local_state",
        |i, own| {
            let mut p = own.clone();
            p.metadata.name = Some(format!("hello-{i:012x}"));
            p.spec.config_hash = Digest::of_bytes(&i.to_be_bytes());
            p
        },
    );
    // 1,000 Preparations of 1,000 other Orders, named `hello-<i>`: their names share the
    // Order's `hello-` prefix, the case a name-based lookup must not be fooled by.
    unchanged_with_history(
        c,
        "order_unchanged_1000_other_preparations/local_state",
        |i, own| {
            let mut p = own.clone();
            let order = format!("hello-{i}");
            p.metadata.name = Some(format!("{order}-{i:012x}"));
            p.spec.order_name = order;
            p.spec.config_hash = Digest::of_bytes(&i.to_be_bytes());
            p
        },
    );
}

criterion_group!(
    benches,
    order_to_ready_preparation,
    get_preparations_1000,
    order_unchanged_with_history
);
criterion_main!(benches);
