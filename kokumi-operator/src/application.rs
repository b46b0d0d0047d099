//! The Argo CD `Application` of a Serving: what we apply, how we recognise ours, and what Argo
//! CD reports back. Pure functions; the Serving controller does the I/O.

use kokumi_core::api::{ObservedDeployment, Preparation, Serving};
use kube::ResourceExt as _;
use serde_json::{Value, json};

use crate::config::Config;

/// `apiVersion` of Argo CD Applications.
pub const API_VERSION: &str = "argoproj.io/v1alpha1";
/// Annotation on an Application naming the Serving (`namespace/name`) that manages it.
pub const SERVING_ANNOTATION: &str = "delivery.kokumi.dev/serving";
/// Label on an Application: the Serving's namespace (to map Application events back).
pub const SERVING_NAMESPACE_LABEL: &str = "delivery.kokumi.dev/serving-namespace";
/// Label on an Application: the Serving's name.
pub const SERVING_NAME_LABEL: &str = "delivery.kokumi.dev/serving-name";
/// Argo CD's finalizer that deletes the deployed resources with the Application.
pub const ARGOCD_RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// The Application's name: `<namespace>-<serving>`, cut to 253 characters.
pub fn name_for(serving: &Serving) -> String {
    let mut name = format!(
        "{}-{}",
        serving.namespace().unwrap_or_else(|| "default".into()),
        serving.name_any()
    );
    name.truncate(253);
    name.trim_end_matches(['-', '.']).to_owned()
}

/// `namespace/name` of a Serving.
pub fn serving_key(serving: &Serving) -> String {
    format!(
        "{}/{}",
        serving.namespace().unwrap_or_else(|| "default".into()),
        serving.name_any()
    )
}

/// The repository URL of a Preparation's artifact (`oci://host/repo`, without the digest).
pub fn repo_url(preparation: &Preparation) -> String {
    let oci_ref = preparation.oci_ref();
    let repo = oci_ref.split_once('@').map_or(oci_ref, |(r, _)| r);
    if repo.starts_with("oci://") {
        repo.to_owned()
    } else {
        format!("oci://{repo}")
    }
}

/// The Application to apply for `serving`, deploying `preparation` (server-side apply body).
pub fn desired(serving: &Serving, preparation: &Preparation, config: &Config) -> Value {
    let namespace = serving.namespace().unwrap_or_else(|| "default".into());
    let mut app = json!({
        "apiVersion": API_VERSION,
        "kind": "Application",
        "metadata": {
            "name": name_for(serving),
            "namespace": config.argocd_namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "kokumi",
                SERVING_NAMESPACE_LABEL: namespace,
                SERVING_NAME_LABEL: serving.name_any(),
            },
            "annotations": {
                SERVING_ANNOTATION: serving_key(serving),
                "delivery.kokumi.dev/preparation": preparation.name_any(),
            },
        },
        "spec": {
            "project": config.argocd_project,
            "source": {
                "repoURL": repo_url(preparation),
                "targetRevision": preparation.spec.artifact.digest.to_string(),
                "path": ".",
            },
            "destination": {
                "server": config.destination_server,
                "namespace": namespace,
            },
        },
    });
    if config.auto_sync {
        app["spec"]["syncPolicy"] = json!({
            "automated": {"prune": true, "selfHeal": true},
            "retry": {"limit": 5, "backoff": {"duration": "5s", "factor": 2, "maxDuration": "3m"}},
        });
    }
    if config.cascade_delete {
        app["metadata"]["finalizers"] = json!([ARGOCD_RESOURCES_FINALIZER]);
    }
    app
}

/// Who owns an existing Application, if not `serving`: `None` when it is ours.
pub fn foreign_owner(application: &Value, serving: &Serving) -> Option<String> {
    let marker = application["metadata"]["annotations"][SERVING_ANNOTATION].as_str();
    match marker {
        Some(key) if key == serving_key(serving) => None,
        Some(other) => Some(format!("it belongs to serving {other}")),
        None => {
            let managers: Vec<&str> = application["metadata"]["managedFields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|m| m["manager"].as_str())
                .collect();
            Some(if managers.is_empty() {
                "it was created by someone else (no delivery.kokumi.dev/serving annotation)".into()
            } else {
                format!(
                    "it was created by someone else ({}; no delivery.kokumi.dev/serving annotation)",
                    managers.join(", ")
                )
            })
        }
    }
}

/// What Argo CD reports in an Application's status.
pub fn observed(application: &Value) -> ObservedDeployment {
    let status = &application["status"];
    let text = |v: &Value| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned);
    ObservedDeployment {
        revision: text(&status["sync"]["revision"]),
        sync: text(&status["sync"]["status"]),
        health: text(&status["health"]["status"]),
    }
}
