//! The `kokumi-operator` command line: flags (each also an environment variable) → [`Config`],
//! and [`main`], which the binary calls.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::Parser;

use crate::config::Config;
use crate::context::Context;
use crate::leader::LeaderElection;
use crate::metrics::Metrics;
use crate::run;
use crate::server::{self, Health};

/// Kokumi's Kubernetes operator: Orders → Preparations → Servings → Argo CD Applications.
#[derive(Debug, Parser)]
#[command(name = "kokumi-operator", version)]
pub struct Args {
    /// Default destination of Preparations (`oci://HOST[:PORT]/PREFIX`).
    #[arg(
        long,
        env = "KOKUMI_REGISTRY",
        default_value = "oci://kokumi-registry.kokumi-system.svc:5000/kokumi"
    )]
    pub registry: String,
    /// Talk plain HTTP to registries (default: only to loopback hosts).
    #[arg(long, env = "KOKUMI_REGISTRY_PLAIN_HTTP")]
    pub registry_plain_http: Option<bool>,
    /// Namespace of the Argo CD Applications.
    #[arg(long, env = "KOKUMI_ARGOCD_NAMESPACE", default_value = "argocd")]
    pub argocd_namespace: String,
    /// Argo CD project of the Applications.
    #[arg(long, env = "KOKUMI_ARGOCD_PROJECT", default_value = "default")]
    pub argocd_project: String,
    /// `spec.destination.server` of the Applications.
    #[arg(
        long,
        env = "KOKUMI_DESTINATION_SERVER",
        default_value = "https://kubernetes.default.svc"
    )]
    pub destination_server: String,
    /// Let Argo CD sync automatically (prune, self-heal).
    #[arg(long, env = "KOKUMI_AUTO_SYNC", default_value_t = true, action = clap::ArgAction::Set)]
    pub auto_sync: bool,
    /// Reconciles at once per controller.
    #[arg(long, env = "KOKUMI_CONCURRENCY", default_value_t = 4)]
    pub concurrency: u16,
    /// Address of /metrics, /healthz and /readyz.
    #[arg(long, env = "KOKUMI_HTTP_ADDR", default_value = "0.0.0.0:8080")]
    pub http_addr: SocketAddr,
    /// Elect a leader through a Lease (turn off only with one replica).
    #[arg(long, env = "KOKUMI_LEADER_ELECTION", default_value_t = true, action = clap::ArgAction::Set)]
    pub leader_election: bool,
    /// Namespace of the leader-election Lease.
    #[arg(long, env = "POD_NAMESPACE", default_value = "kokumi-system")]
    pub namespace: String,
    /// Log format: `json` or `text`.
    #[arg(long, env = "KOKUMI_LOG_FORMAT", default_value = "json")]
    pub log_format: String,
}

impl Args {
    /// The validated settings.
    pub fn config(&self) -> crate::Result<Config> {
        if !self.registry.starts_with("oci://") {
            return Err(crate::Error::Config(format!(
                "--registry must start with oci:// (got {:?})",
                self.registry
            )));
        }
        if self.concurrency == 0 {
            return Err(crate::Error::Config(
                "--concurrency must be at least 1".into(),
            ));
        }
        Ok(Config {
            registry: self.registry.clone(),
            plain_http: self.registry_plain_http,
            argocd_namespace: self.argocd_namespace.clone(),
            argocd_project: self.argocd_project.clone(),
            destination_server: self.destination_server.clone(),
            auto_sync: self.auto_sync,
            concurrency: self.concurrency,
            ..Config::default()
        })
    }
}

fn init_logging(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kube=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    if format == "json" {
        builder.json().flatten_event(true).init();
    } else {
        builder.init();
    }
}

async fn signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

/// Runs the operator with `args` until SIGTERM / Ctrl-C.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = args.config()?;
    let client = kube::Client::try_default().await?;
    let metrics = Arc::new(Metrics::new());
    let ready = Arc::new(AtomicBool::new(false));
    let listener = tokio::net::TcpListener::bind(args.http_addr).await?;
    let app = server::app(Health {
        metrics: metrics.clone(),
        ready: ready.clone(),
    });
    let (trigger, shutdown) = run::shutdown();
    let http = tokio::spawn({
        let shutdown = shutdown.clone();
        async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown.wait())
                .await
        }
    });

    let identity = std::env::var("POD_NAME")
        .unwrap_or_else(|_| format!("kokumi-operator-{}", std::process::id()));
    let election = LeaderElection::new(
        client.clone(),
        &args.namespace,
        "kokumi-operator",
        identity,
        Duration::from_secs(15),
    );
    let ctx = Arc::new(Context::new(client, config, metrics));
    let stop = signal();
    tokio::pin!(stop);
    if args.leader_election {
        tracing::info!(identity = election.identity(), "waiting for leadership");
        // Readiness only needs the API server to answer.
        loop {
            tokio::select! {
                () = &mut stop => { trigger.trigger(); let _ = http.await; return Ok(()); }
                acquired = election.try_acquire() => match acquired {
                    Ok(true) => { ready.store(true, Ordering::Relaxed); break; }
                    Ok(false) => ready.store(true, Ordering::Relaxed),
                    Err(e) => tracing::warn!("leader election: {e}"),
                },
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
        tracing::info!("leading");
    } else {
        ready.store(true, Ordering::Relaxed);
    }
    let controllers = tokio::spawn(run::controllers(ctx, shutdown.clone()));
    let renew_every = election.lease_duration() / 3;
    let lost = async {
        if !args.leader_election {
            return std::future::pending::<()>().await;
        }
        loop {
            tokio::time::sleep(renew_every).await;
            match election.try_acquire().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!("renewing the lease: {e}"),
            }
        }
    };
    tokio::select! {
        () = &mut stop => tracing::info!("shutting down"),
        () = lost => tracing::error!("lost the leader lease; stopping"),
    }
    trigger.trigger();
    let _ = controllers.await;
    if args.leader_election {
        let _ = election.release().await;
    }
    let _ = http.await;
    Ok(())
}

/// The binary's `main`: parse, run, report.
pub fn main() -> ExitCode {
    let args = Args::parse();
    init_logging(&args.log_format);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
