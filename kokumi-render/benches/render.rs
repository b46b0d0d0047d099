//! In-process rendering speed on the shared helm corpus: each chart is loaded once, then
//! `render_chart` + `output()` is measured (values coalescing, template parse and execution,
//! sorting, printing), the same work helm's engine does for `helm template`. That cold render
//! is the number to compare with helm. `render-warm/*` measures `render_chart_cached` with a
//! cache already filled by an earlier render (no lexing or parsing): what the operator pays
//! when it renders the same chart again. The global allocator is mimalloc, as in the `kokumi`
//! binary (`profile`, for instruction counts, keeps the system allocator).
//!
//! `cargo bench -p kokumi-render --bench render`. The corpus is `$KOKUMI_SHARED/helm-corpus`
//! (default `<workspace>/../shared`); without it the bench measures nothing and says so.

use std::path::{Path, PathBuf};

// The allocator the `kokumi` binary uses, so these are the times its `template` sees.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use criterion::{Criterion, criterion_group, criterion_main};
use kokumi_render::chart::load::{LoadOptions, load_path};
use kokumi_render::render::{RenderOptions, render_chart, render_chart_cached};
use kokumi_render::template::ParseCache;

fn corpus() -> Option<PathBuf> {
    let shared = match std::env::var_os("KOKUMI_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    };
    let dir = shared.join("helm-corpus/charts");
    dir.is_dir().then_some(dir)
}

/// Charts whose default render succeeds in helm with the shared tree as it is.
const CHARTS: &[&str] = &[
    "podinfo",
    "ingress-nginx",
    "argo-cd",
    "argo-rollouts",
    "cert-manager",
    "cloudnative-pg",
    "grafana",
    "kafka",
    "kube-state-metrics",
    "mysql",
    "nginx",
    "postgresql",
    "prometheus",
    "redis",
    "strimzi-kafka-operator",
];

#[allow(clippy::print_stderr)]
fn bench(c: &mut Criterion) {
    let Some(dir) = corpus() else {
        eprintln!("notice: the helm corpus is missing (set KOKUMI_SHARED); nothing to measure");
        return;
    };
    let opts = RenderOptions {
        release_name: "rel".into(),
        namespace: "ns".into(),
        ..RenderOptions::default()
    };
    let mut group = c.benchmark_group("render");
    group.sample_size(20);
    for name in CHARTS {
        let Ok(chart) = load_path(&dir.join(name), &LoadOptions::default()) else {
            eprintln!("notice: cannot load {name}");
            continue;
        };
        if let Err(e) = render_chart(&chart, &opts) {
            eprintln!("notice: {name} does not render: {e}");
            continue;
        }
        group.bench_function(*name, |b| {
            b.iter(|| render_chart(&chart, &opts).map(|r| r.output().len()));
        });
    }
    group.finish();
    let mut warm = c.benchmark_group("render-warm");
    warm.sample_size(20);
    for name in ["podinfo", "ingress-nginx", "argo-cd"] {
        let Ok(chart) = load_path(&dir.join(name), &LoadOptions::default()) else {
            continue;
        };
        let cache = ParseCache::new();
        if render_chart_cached(&chart, &opts, &cache).is_err() {
            continue;
        }
        warm.bench_function(name, |b| {
            b.iter(|| render_chart_cached(&chart, &opts, &cache).map(|r| r.output().len()));
        });
    }
    warm.finish();
    let mut load = c.benchmark_group("load");
    load.sample_size(20);
    for name in ["podinfo", "argo-cd"] {
        let path = dir.join(name);
        load.bench_function(name, |b| {
            b.iter(|| load_path(&path, &LoadOptions::default()).map(|c| c.templates.len()));
        });
    }
    load.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
