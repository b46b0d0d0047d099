//! Scale bench: N Orders (default 1,000) reconciled to Ready against the fake API server, with
//! a real `docker-registry` as source and destination.
//!
//! `cargo run --release -p kokumi-operator --features testing --example scale -- 1000`
//!
//! The fake API server runs in a child process (this example started with `--serve-fake-api`)
//! and is spoken to over loopback HTTP, so the peak RSS printed for the operator (`VmHWM` of
//! this process) is the operator's own: controllers, reflector caches, pipeline, HTTP clients —
//! plus this harness's few bytes. The fake server's and the registry's peaks are printed
//! separately.
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

use std::io::BufRead as _;
use std::process::{Command, Stdio};
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

/// Peak RSS (`VmHWM`) of `pid` (`self` for this process), in MiB.
fn peak_rss_mib(pid: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The 1-, 5- and 15-minute load averages, as `/proc/loadavg` says them.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Child mode: serve the fake API server on a loopback port (printed on stdout) until stdin
/// closes (the parent exited or dropped it).
async fn serve_fake_api() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("{}", listener.local_addr().unwrap().port());
    let server = support::fake();
    tokio::spawn(server.serve(listener));
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {}
    })
    .await;
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let first = args.next();
    if first.as_deref() == Some("--serve-fake-api") {
        serve_fake_api().await;
        return;
    }
    let n: usize = first.and_then(|a| a.parse().ok()).unwrap_or(1000);
    let concurrency: u16 = args.next().and_then(|a| a.parse().ok()).unwrap_or(16);
    // `KOKUMI_SCALE_ACCESS_LOG=1`: the registry logs every request, and the run ends with the
    // requests per Order by kind (the log costs the registry some CPU: time runs without it).
    let access_log = std::env::var("KOKUMI_SCALE_ACCESS_LOG").as_deref() == Ok("1");
    let registry = if access_log {
        support::registry::TestRegistry::start_logged()
    } else {
        support::registry::TestRegistry::start()
    };
    let Some(registry) = registry else {
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

    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve-fake-api")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut port)
        .unwrap();
    let url = format!("http://127.0.0.1:{}", port.trim());
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();

    let config = Config {
        registry: registry.url("kokumi"),
        concurrency,
        backoff_base: Duration::from_millis(200),
        backoff_max: Duration::from_secs(2),
        ..Config::default()
    };
    let metrics = Arc::new(Metrics::new());
    let ctx = Arc::new(Context::new(client.clone(), config, metrics.clone()));
    let orders: Api<Order> = Api::namespaced(client, "bench");
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
    let rss_before = peak_rss_mib("self");
    let requests_before = registry.requests();
    let cpu_before = registry.cpu_seconds().unwrap_or(0.0);
    let load_before = load_average();
    let started = Instant::now();
    let (trigger, shutdown) = run::shutdown();
    let task = tokio::spawn(run::controllers(ctx, shutdown));
    // The pipeline writes Ready=True before it counts a created Preparation: poll the counter
    // (cheap) rather than listing every Order, then check the Orders once.
    while metrics.preparations_created() < n as u64 {
        assert!(
            started.elapsed() < Duration::from_secs(1800),
            "only {}/{n} rendered after 30 min",
            metrics.preparations_created()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let elapsed = started.elapsed();
    let registry_cpu = registry.cpu_seconds().unwrap_or(0.0) - cpu_before;
    let listed = orders.list(&ListParams::default()).await.unwrap().items;
    let ready = listed
        .iter()
        .filter(|o| {
            o.status
                .as_ref()
                .is_some_and(|s| s.conditions.is_true("Ready"))
        })
        .count();
    let operator_rss = peak_rss_mib("self");
    // Let the Serving controller settle, then count what the whole run cost.
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "{n} orders ready in {:.1} s ({:.1} orders/s, concurrency {concurrency}); {ready}/{n} Ready=True; \
         {} preparations; operator peak RSS {operator_rss:.0} MiB ({rss_before:.0} MiB before the controllers started; fake API server in a separate process: {:.0} MiB)",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64(),
        metrics.preparations_created(),
        peak_rss_mib(&child.id().to_string()),
    );
    let text = metrics.encode();
    for line in text.lines().filter(|l| {
        l.starts_with("kokumi_reconciles_total")
            || l.starts_with("kokumi_render_duration_seconds_sum")
            || l.starts_with("kokumi_render_duration_seconds_count")
            || l.starts_with("kokumi_push_duration_seconds_sum")
            || l.starts_with("kokumi_pipeline_duration_seconds_sum")
    }) {
        println!("  {line}");
    }
    println!(
        "  registry CPU (user+system) while the Orders rendered: {registry_cpu:.1} s ({:.0} % of one core); load average {load_before} before, {} after",
        100.0 * registry_cpu / elapsed.as_secs_f64(),
        load_average(),
    );
    if access_log {
        let mut total = 0;
        println!("  registry requests per Order (whole run, setup excluded):");
        for (kind, count) in registry.requests() {
            let count = count - requests_before.get(&kind).copied().unwrap_or(0);
            if count > 0 {
                total += count;
                println!("    {kind:<28} {:>7.2}", count as f64 / n as f64);
            }
        }
        println!("    {:<28} {:>7.2}", "total", total as f64 / n as f64);
    }
    assert_eq!(ready, n, "every Order is Ready=True");
    trigger.trigger();
    let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
    drop(child.stdin.take());
    let _ = child.kill();
    let _ = child.wait();
}
