//! Scale bench: N Orders (default 1,000) reconciled to Ready against the fake API server, with
//! a real `docker-registry` as source and destination.
//!
//! `cargo run --release -p kokumi-operator --features testing --example scale -- 1000`
//!
//! Prints the wall time until every Order is `Ready=True` and the peak RSS of the process
//! (operator *and* fake API server, which share it).
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::unwrap_used,
    clippy::panic,
    unreachable_pub,
    missing_docs
)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use kokumi_core::api::Order;
use kokumi_core::api::condition::Conditions as _;
use kokumi_oci::registry::{RegistryConfig, RegistryStore};
use kokumi_oci::source::{HelmPushOptions, push_helm_chart};
use kokumi_operator::config::Config;
use kokumi_operator::context::Context;
use kokumi_operator::metrics::Metrics;
use kokumi_operator::run;
use kube::api::{Api, ListParams, PostParams};
use serde_json::json;

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let Some(registry) = support::registry::TestRegistry::start() else {
        return;
    };
    let store =
        RegistryStore::new(&registry.host, "charts/hello", RegistryConfig::default()).unwrap();
    push_helm_chart(
        &store,
        support::hello_chart_tgz(),
        Some("0.1.0"),
        &HelmPushOptions::default(),
    )
    .await
    .unwrap();
    let server = support::fake();
    let config = Config {
        registry: registry.url("kokumi"),
        concurrency: 16,
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        ..Config::default()
    };
    let ctx = Arc::new(Context::new(
        server.client(),
        config,
        Arc::new(Metrics::new()),
    ));
    let orders: Api<Order> = Api::namespaced(server.client(), "bench");
    for i in 0..n {
        let order: Order = serde_json::from_value(json!({
            "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Order",
            "metadata": {"name": format!("o{i:04}")},
            "spec": {
                "source": {"oci": registry.url("charts/hello"), "version": "0.1.0"},
                "render": {"helm": {"values": {"greeting": {"message": format!("hello {i}")}}}},
                "autoDeploy": "Enabled",
            },
        }))
        .unwrap();
        orders.create(&PostParams::default(), &order).await.unwrap();
    }
    let started = Instant::now();
    let (trigger, shutdown) = run::shutdown();
    let task = tokio::spawn(run::controllers(ctx, shutdown));
    loop {
        let ready = orders
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .filter(|o| {
                o.status
                    .as_ref()
                    .is_some_and(|s| s.conditions.is_true("Ready"))
            })
            .count();
        if ready == n {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "only {ready}/{n} ready after 30 min"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "{n} orders ready in {:.1} s ({:.1} orders/s); peak RSS {:.0} MiB (operator + fake API server); {} API requests",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        peak_rss_mib(),
        server.request_count()
    );
    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
}
