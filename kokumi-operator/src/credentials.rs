//! Registry access for one Order: the Pantries it names and the credentials in their Secrets.
//!
//! An Order that names no Pantry uses the operator's shared [`Registries`] (one connection pool
//! per host for every reconcile). An Order whose source (directly or through its Menu) or
//! destination is a Pantry gets registries of its own: the Pantry's `plainHTTP` / `insecure`
//! flags for its host, and the credentials of the `kubernetes.io/dockerconfigjson` Secret the
//! Pantry names (in the Pantry's namespace), parsed by `kokumi-oci`
//! ([`DockerConfig::from_dockerconfigjson`]). The pipeline sees only a
//! [`Sources`] and a destination store, as in the CLI.
//!
//! A Secret that is missing, of the wrong type or unreadable fails the Order with
//! `SourceUnavailable` (source Pantry) or `PushFailed` (destination Pantry) and a message that
//! says which Secret to create; [`crate::controller::secrets`] re-reconciles the Order when
//! that Secret appears or changes.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kokumi_core::api::{Menu, Order, Pantry};
use kokumi_oci::auth::{DockerConfig, NoHelpers};
use kokumi_oci::registry::{Registries, RegistryConfig, RegistryStore};
use kokumi_pipeline::destination::{Remote, destination_pantry, remote_of};
use kokumi_pipeline::source::Sources;
use kube::ResourceExt as _;
use kube::api::Api;

use crate::context::Context;
use crate::error::{Error, Result};

/// The Secret type registry credentials must have.
pub const DOCKER_CONFIG_JSON: &str = "kubernetes.io/dockerconfigjson";

/// The legacy Secret type (`.dockercfg`), accepted too.
pub const DOCKER_CFG: &str = "kubernetes.io/dockercfg";

/// How one reconcile of an Order reaches registries.
#[derive(Debug)]
pub struct Access {
    /// How the source is fetched.
    pub sources: Sources,
    /// Where the Preparations are pushed.
    pub destination: RegistryStore,
}

/// Which Pantry the source of `order` comes from: its own `source.pantryRef`, else its Menu's.
pub fn source_pantry(order: &Order, menu: Option<&Menu>) -> Option<String> {
    match &order.spec.source {
        Some(source) => source.pantry_ref.as_ref().map(|p| p.name.clone()),
        None => menu
            .and_then(|m| m.spec.source.pantry_ref.as_ref())
            .map(|p| p.name.clone()),
    }
}

/// The `host[:port]` of an `oci://HOST[/REPO]` URL.
pub fn host_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("oci://")?;
    let host = rest.split('/').next().unwrap_or_default();
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

fn base_config(ctx: &Context) -> RegistryConfig {
    let mut config = RegistryConfig::default();
    config.plain_http = ctx.config.plain_http;
    config
}

/// The operator's shared registries (no Pantry involved).
pub fn shared_registries(config: &crate::config::Config) -> Registries {
    let mut defaults = RegistryConfig::default();
    defaults.plain_http = config.plain_http;
    Registries::new(defaults)
}

/// Where Preparations of `order` go, by the pipeline's one rule
/// ([`kokumi_pipeline::destination::remote_of`]): its `spec.destination`, else
/// `<registry>/<namespace>/<order>` of the operator's default registry. `pantry` is the
/// destination Pantry, when the Order names one and it exists.
pub fn destination_of(order: &Order, pantry: Option<&Pantry>, ctx: &Context) -> Result<Remote> {
    remote_of(order, pantry, Some(&ctx.config.registry))
        .map_err(Error::Pipeline)?
        .ok_or_else(|| Error::Config(format!("order {} has no destination", order.name_any())))
}

fn store_for(registries: &Registries, remote: &Remote) -> Result<RegistryStore> {
    registries
        .store_for(&remote.location())
        .map_err(|e| Error::Config(format!("destination {}: {e}", remote.url())))
}

/// Reads the credentials Secret `name` in `namespace` that Pantry `pantry` names; `Err` holds a
/// message for the Order's condition.
async fn read_secret(
    ctx: &Context,
    namespace: &str,
    pantry: &str,
    name: &str,
    host: &str,
) -> std::result::Result<DockerConfig, String> {
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let create_hint = format!(
        "create it with `kubectl create secret docker-registry {name} -n {namespace} --docker-server={host} --docker-username=… --docker-password=…`"
    );
    let secret = match api.get_opt(name).await {
        Ok(Some(secret)) => secret,
        Ok(None) => {
            return Err(format!(
                "pantry {pantry} names the credentials secret {namespace}/{name}, which does not exist: {create_hint}"
            ));
        }
        Err(e) => {
            return Err(format!(
                "cannot read the credentials secret {namespace}/{name} of pantry {pantry} (the operator may only read the Secrets Pantries name, see deploy/examples/pantry-credentials.yaml): {e}"
            ));
        }
    };
    let type_ = secret.type_.as_deref().unwrap_or("Opaque");
    let key = match type_ {
        DOCKER_CONFIG_JSON => ".dockerconfigjson",
        DOCKER_CFG => ".dockercfg",
        other => {
            return Err(format!(
                "the credentials secret {namespace}/{name} of pantry {pantry} has type {other}, not {DOCKER_CONFIG_JSON}: {create_hint}"
            ));
        }
    };
    let Some(bytes) = secret.data.as_ref().and_then(|d| d.get(key)) else {
        return Err(format!(
            "the credentials secret {namespace}/{name} of pantry {pantry} has no {key} key"
        ));
    };
    DockerConfig::from_dockerconfigjson(&bytes.0, &format!("{namespace}/{name}"))
        .map_err(|e| kokumi_pipeline::pipeline::error_chain(&e))
}

struct Resolved {
    pantry: Pantry,
    host: String,
    credentials: Option<std::result::Result<DockerConfig, String>>,
}

async fn resolve_pantry(ctx: &Context, namespace: &str, name: &str) -> Result<Option<Resolved>> {
    let api: Api<Pantry> = Api::namespaced(ctx.client.clone(), namespace);
    let Some(pantry) = api
        .get_opt(name)
        .await
        .map_err(|e| Error::kube(format!("reading pantry {namespace}/{name}"), e))?
    else {
        return Ok(None);
    };
    let Some(host) = host_of(&pantry.spec.url) else {
        return Err(Error::Config(format!(
            "pantry {namespace}/{name}: url {} is not oci://HOST[/REPO]",
            pantry.spec.url
        )));
    };
    let credentials = match &pantry.spec.secret_ref {
        Some(secret) => Some(read_secret(ctx, namespace, name, &secret.name, &host).await),
        None => None,
    };
    Ok(Some(Resolved {
        pantry,
        host,
        credentials,
    }))
}

/// How `order` reaches its source and destination registries (see the module docs).
pub async fn access_for(order: &Order, ctx: &Context) -> Result<Access> {
    let namespace = order.namespace().unwrap_or_else(|| "default".into());
    let menu = match &order.spec.menu_ref {
        Some(menu_ref) if order.spec.source.is_none() => Api::<Menu>::all(ctx.client.clone())
            .get_opt(&menu_ref.name)
            .await
            .map_err(|e| Error::kube(format!("reading menu {}", menu_ref.name), e))?,
        _ => None,
    };
    let source = source_pantry(order, menu.as_ref());
    let destination = destination_pantry(order).map(str::to_owned);
    if source.is_none() && destination.is_none() {
        return Ok(Access {
            sources: ctx.sources.clone(),
            destination: store_for(&ctx.registries, &destination_of(order, None, ctx)?)?,
        });
    }

    let mut registries = Registries::new(base_config(ctx));
    let mut docker = DockerConfig::default();
    // A missing source Pantry is the pipeline's to report (UnknownPantry).
    if let Some(name) = &source
        && let Some(resolved) = resolve_pantry(ctx, &namespace, name).await?
    {
        if let Some(credentials) = resolved.credentials.clone() {
            let config = credentials.map_err(|message| {
                Error::Pipeline(kokumi_pipeline::Error::SourceUnavailable {
                    source_ref: resolved.pantry.spec.url.clone(),
                    source: message.into(),
                })
            })?;
            // In a cluster there are no credential helpers to run.
            let credential = config
                .credential_for(&resolved.host, &NoHelpers)
                .map_err(|e| {
                    Error::Pipeline(kokumi_pipeline::Error::SourceUnavailable {
                        source_ref: resolved.pantry.spec.url.clone(),
                        source: Box::new(e),
                    })
                })?;
            docker.insert(&resolved.host, credential);
        }
        registries = flags(registries, &resolved);
    }
    let remote = match &destination {
        None => destination_of(order, None, ctx)?,
        Some(name) => {
            let Some(resolved) = resolve_pantry(ctx, &namespace, name).await? else {
                return Err(Error::Pipeline(kokumi_pipeline::Error::UnknownPantry {
                    order: order.name_any(),
                    pantry: name.clone(),
                }));
            };
            let remote = destination_of(order, Some(&resolved.pantry), ctx)?;
            let url = remote.url();
            if let Some(credentials) = resolved.credentials.clone() {
                let push_failed = |source: kokumi_pipeline::error::BoxError| {
                    Error::Pipeline(kokumi_pipeline::Error::Push {
                        order: order.name_any(),
                        destination: url.clone(),
                        source,
                    })
                };
                let config = credentials.map_err(|m| push_failed(m.into()))?;
                let credential = config
                    .credential_for(&resolved.host, &NoHelpers)
                    .map_err(|e| push_failed(Box::new(e)))?;
                docker.insert(&resolved.host, credential);
            }
            registries = flags(registries, &resolved);
            remote
        }
    };
    let registries = Arc::new(registries.with_docker_config(docker, Arc::new(NoHelpers)));
    Ok(Access {
        destination: store_for(&registries, &remote)?,
        sources: Sources::with_registries(registries).with_cache(ctx.source_cache.clone()),
    })
}

fn flags(mut registries: Registries, resolved: &Resolved) -> Registries {
    if resolved.pantry.spec.is_plain_http() {
        registries = registries.plain_http(&resolved.host);
    }
    if resolved.pantry.spec.is_insecure() {
        registries = registries.insecure(&resolved.host);
    }
    registries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_of_pantry_urls() {
        assert_eq!(
            host_of("oci://Registry.example:5000/team/app").as_deref(),
            Some("registry.example:5000")
        );
        assert_eq!(host_of("oci://ghcr.io").as_deref(), Some("ghcr.io"));
        assert_eq!(host_of("https://ghcr.io/x"), None);
        assert_eq!(host_of("oci:///x"), None);
    }
}
