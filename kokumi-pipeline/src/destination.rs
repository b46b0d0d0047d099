//! Where an Order's Preparations are pushed: one rule for the CLI and the operator.
//!
//! `spec.destination` names a registry repository, either directly (`oci`) or through a Pantry
//! (`pantryRef`). A Pantry whose URL names only a registry (`oci://HOST`) gets one repository per
//! Order, `HOST/<namespace>/<order>`, the layout the operator uses for its default registry. The
//! URL names a repository, never a tag or a digest: each Preparation is tagged with its own name.
//! Looking the Pantry up (a file in `.kokumi/`, a custom resource) is the caller's I/O
//! ([`remote_in`] does it through a [`RecordStore`]); [`remote_of`] only decides.

use kokumi_core::api::{Order, Pantry};
use kokumi_oci::{Reference, StoreLocation};
use kube::ResourceExt as _;

use crate::error::{Error, Result};
use crate::record::RecordStore;

/// A registry repository Preparations are pushed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Remote {
    /// `HOST[:PORT]`.
    pub host: String,
    /// The repository.
    pub repository: String,
    /// Plain HTTP (the Pantry's `plainHTTP`).
    pub plain_http: bool,
    /// No TLS verification (the Pantry's `insecure`).
    pub insecure: bool,
}

impl Remote {
    /// The store location of the repository.
    pub fn location(&self) -> StoreLocation {
        StoreLocation::Registry {
            host: self.host.clone(),
            repository: self.repository.clone(),
        }
    }

    /// `oci://HOST/REPOSITORY`.
    pub fn url(&self) -> String {
        format!("oci://{}/{}", self.host, self.repository)
    }
}

/// The Pantry `order`'s destination names, if any (for the caller to look up).
pub fn destination_pantry(order: &Order) -> Option<&str> {
    order
        .spec
        .destination
        .as_ref()
        .and_then(|d| d.pantry_ref.as_ref())
        .map(|p| p.name.as_str())
}

/// Where `order`'s Preparations go.
///
/// `pantry` is the Pantry [`destination_pantry`] names, as the caller found it (`None` when it
/// does not exist: [`Error::UnknownPantry`]). `default_registry` (`oci://HOST[/PREFIX]`) is used
/// when the Order names no destination, as `PREFIX/<namespace>/<order>`; with `None` (the CLI's
/// local mode) such an Order has no remote and `Ok(None)` is returned.
///
/// Fails with [`Error::InvalidOrder`] when the destination sets both `oci` and `pantryRef`, or
/// its URL is not an `oci://HOST/REPOSITORY` or names a tag or digest.
pub fn remote_of(
    order: &Order,
    pantry: Option<&Pantry>,
    default_registry: Option<&str>,
) -> Result<Option<Remote>> {
    let name = order.name_any();
    let namespace = order.namespace().unwrap_or_else(|| "default".into());
    let invalid = |reason: String| Error::InvalidOrder {
        order: name.clone(),
        reason,
    };
    let destination = order.spec.destination.as_ref();
    let per_order = |base: &str| format!("{}/{namespace}/{name}", base.trim_end_matches('/'));
    let (url, plain_http, insecure, what) = match destination.map(|d| (&d.oci, &d.pantry_ref)) {
        Some((Some(_), Some(_))) => {
            return Err(invalid(
                "spec.destination sets both oci and pantryRef; set one of them".into(),
            ));
        }
        Some((Some(url), None)) => (url.clone(), false, false, "spec.destination.oci"),
        Some((None, Some(pantry_ref))) => {
            let pantry = pantry.ok_or_else(|| Error::UnknownPantry {
                order: name.clone(),
                pantry: pantry_ref.name.clone(),
            })?;
            let mut url = pantry.spec.url.trim_end_matches('/').to_owned();
            if !url.trim_start_matches("oci://").contains('/') {
                url = per_order(&url);
            }
            (
                url,
                pantry.spec.is_plain_http(),
                pantry.spec.is_insecure(),
                "the url of its destination pantry",
            )
        }
        None | Some((None, None)) => match default_registry {
            Some(registry) => (per_order(registry), false, false, "the default registry"),
            None => return Ok(None),
        },
    };
    let bad = |reason: &str| invalid(format!("{what} {url:?} {reason}"));
    if !url.starts_with("oci://") {
        return Err(bad(
            "is not a registry repository: expected oci://HOST/REPOSITORY",
        ));
    }
    let reference = Reference::parse(&url).map_err(|e| bad(&format!("is invalid: {e}")))?;
    if reference.target.is_some() {
        return Err(bad(
            "names a tag or digest: name the repository only (each Preparation is tagged with its name)",
        ));
    }
    let StoreLocation::Registry { host, repository } = reference.location else {
        return Err(bad("is not a registry repository"));
    };
    Ok(Some(Remote {
        host,
        repository,
        plain_http,
        insecure,
    }))
}

/// [`remote_of`] with the destination Pantry looked up in `records` — the CLI's rule for
/// `kokumi apply` (it pushes there) and `kokumi render` (it says it would).
pub async fn remote_in<R: RecordStore>(
    records: &R,
    order: &Order,
    default_registry: Option<&str>,
) -> Result<Option<Remote>> {
    let pantry: Option<Pantry> = match destination_pantry(order) {
        Some(name) => records.get(name).await?,
        None => None,
    };
    remote_of(order, pantry.as_ref(), default_registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(destination: &str) -> Order {
        serde_norway::from_str(&format!(
            "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata: {{name: web, namespace: team}}\nspec:\n  source: {{oci: 'oci://r.example/charts/web', version: '1'}}\n{destination}"
        ))
        .unwrap()
    }

    fn pantry(url: &str) -> Pantry {
        serde_norway::from_str(&format!(
            "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Pantry\nmetadata: {{name: releases, namespace: team}}\nspec: {{url: '{url}', plainHTTP: true}}\n"
        ))
        .unwrap()
    }

    #[test]
    fn no_destination_is_local_only_or_the_default_registry() {
        let o = order("");
        assert_eq!(remote_of(&o, None, None).unwrap(), None);
        let r = remote_of(&o, None, Some("oci://reg.svc:5000/kokumi/"))
            .unwrap()
            .unwrap();
        assert_eq!(r.url(), "oci://reg.svc:5000/kokumi/team/web");
        assert!(!r.plain_http);
    }

    #[test]
    fn an_explicit_repository_wins_over_the_default() {
        let o = order("  destination: {oci: 'oci://ghcr.io/acme/web'}\n");
        let r = remote_of(&o, None, Some("oci://reg/k")).unwrap().unwrap();
        assert_eq!(
            (r.host.as_str(), r.repository.as_str()),
            ("ghcr.io", "acme/web")
        );
    }

    #[test]
    fn a_pantry_naming_a_registry_gets_a_repository_per_order() {
        let o = order("  destination: {pantryRef: {name: releases}}\n");
        let r = remote_of(&o, Some(&pantry("oci://127.0.0.1:5000")), None)
            .unwrap()
            .unwrap();
        assert_eq!(r.url(), "oci://127.0.0.1:5000/team/web");
        assert!(r.plain_http);
        let r = remote_of(&o, Some(&pantry("oci://127.0.0.1:5000/rel/web")), None)
            .unwrap()
            .unwrap();
        assert_eq!(r.url(), "oci://127.0.0.1:5000/rel/web");
    }

    #[test]
    fn bad_destinations_say_what_is_wrong() {
        let o = order("  destination: {pantryRef: {name: releases}}\n");
        let e = remote_of(&o, None, None).unwrap_err().to_string();
        assert!(e.contains("pantry \"releases\""), "{e}");
        let o = order("  destination: {oci: 'oci://ghcr.io/acme/web:v1'}\n");
        let e = remote_of(&o, None, None).unwrap_err().to_string();
        assert!(e.contains("names a tag or digest"), "{e}");
        let o = order("  destination: {oci: 'https://ghcr.io/acme/web'}\n");
        let e = remote_of(&o, None, None).unwrap_err().to_string();
        assert!(e.contains("expected oci://HOST/REPOSITORY"), "{e}");
        let o = order("  destination: {oci: 'oci://ghcr.io/a', pantryRef: {name: releases}}\n");
        let e = remote_of(&o, None, None).unwrap_err().to_string();
        assert!(e.contains("both oci and pantryRef"), "{e}");
    }
}
