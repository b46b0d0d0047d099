//! `kokumi application ORDER`: the Argo CD Application the operator would apply for the
//! Order's Serving — `spec.source` is the served Preparation's artifact, by digest.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use kokumi_core::api::{ORDER_LABEL, Order, Preparation, Serving};
use kokumi_pipeline::state::LockMode;
use kube::ResourceExt as _;
use serde_json::{Value, json};

use super::{CmdResult, Context, Failure, StateArgs, exit};

/// Where Preparations go when an Order names no destination: the in-cluster registry that the
/// operator installs (upstream Kokumi's default), one repository per Order.
pub const DEFAULT_REGISTRY: &str = "kokumi-registry.kokumi.svc.cluster.local:5000";

/// `kokumi application`.
#[derive(Debug, Args)]
pub struct ApplicationArgs {
    /// The Order.
    pub order: String,
    /// The namespace Argo CD watches for Applications.
    #[arg(long, default_value = "argocd")]
    pub argocd_namespace: String,
    /// The Argo CD project.
    #[arg(long, default_value = "default")]
    pub project: String,
    /// Output as JSON instead of YAML.
    #[arg(short = 'o', long = "output", default_value = "yaml", value_parser = ["yaml", "json"])]
    pub output: String,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// The repository an Order's Preparations are pushed to in a cluster (`oci://HOST/REPO`).
pub fn repository_of(order: &Order) -> String {
    order
        .spec
        .destination
        .as_ref()
        .and_then(|d| d.oci.clone())
        .unwrap_or_else(|| format!("oci://{DEFAULT_REGISTRY}/preparation/{}", order.name_any()))
}

/// The Application for `order` serving `preparation` (pure).
pub fn application(
    order: &Order,
    preparation: &Preparation,
    argocd_namespace: &str,
    project: &str,
) -> Value {
    let namespace = order
        .spec
        .render
        .as_ref()
        .and_then(|r| r.helm.as_ref())
        .and_then(|h| h.namespace.clone())
        .or(order.namespace())
        .unwrap_or_else(|| "default".into());
    let labels = BTreeMap::from([
        (ORDER_LABEL.to_owned(), order.name_any()),
        (
            "delivery.kokumi.dev/preparation".to_owned(),
            preparation.name_any(),
        ),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "kokumi".to_owned(),
        ),
    ]);
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": order.name_any(),
            "namespace": argocd_namespace,
            "labels": labels,
        },
        "spec": {
            "project": project,
            "source": {
                "repoURL": repository_of(order),
                "targetRevision": preparation.spec.artifact.digest.to_string(),
                "path": ".",
            },
            "destination": {
                "server": "https://kubernetes.default.svc",
                "namespace": namespace,
            },
            "syncPolicy": {
                "automated": {"prune": true, "selfHeal": true},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    })
}

/// Runs `kokumi application`.
pub(crate) fn run(args: &ApplicationArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    let (state, _lock) = ctx.open(LockMode::Shared)?;
    let order: Order = state.read(&args.order)?.ok_or_else(|| {
        Failure::new(exit::NOT_FOUND, format!("order {:?} not found", args.order))
    })?;
    let serving: Serving = state.read(&args.order)?.ok_or_else(|| {
        Failure::new(
            exit::NOT_FOUND,
            format!(
                "order {:?} serves nothing yet: promote a preparation first",
                args.order
            ),
        )
    })?;
    let prep = super::show::preparation(&state, &serving.spec.preparation)?;
    let app = application(&order, &prep, &args.argocd_namespace, &args.project);
    let text = if args.output == "json" {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&app).unwrap_or_default()
        )
    } else {
        serde_norway::to_string(&app).map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?
    };
    out.write_all(text.as_bytes())?;
    Ok(())
}
