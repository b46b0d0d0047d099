//! Referrers: artifacts (signatures, SBOMs, attestations) attached to a subject manifest through
//! the OCI 1.1 `subject` field.
//!
//! Listing uses the registry's referrers API (`GET /v2/<name>/referrers/<digest>`) when it has
//! one, else the *referrers tag schema*: an image index tagged `sha256-<hex>` of the subject.
//! [`attach`] pushes the referrer and, when the store did not index it by itself (a registry
//! without the API, such as CNCF distribution 2.8), maintains that tag-schema index.
//!
//! Concurrent attachments to one subject on a registry without the API race on the index tag
//! (last writer wins, as with every client that maintains the tag schema); attach one at a time
//! per subject.
//!
//! ```
//! assert_eq!(
//!     kokumi_oci::referrers::tag_schema_tag(&kokumi_oci::Digest::of_bytes(b"")),
//!     "sha256-e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
//! );
//! ```

use std::collections::BTreeMap;

use oci_spec::image::{Descriptor, MediaType};

use crate::error::{Error, Result};
use crate::media_types;
use crate::registry::RegistryStore;
use crate::store::{Digest, DigestExt, Manifest, Store};

/// The tag under which the tag-schema referrers index of `subject` lives.
pub fn tag_schema_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm(), subject.hex())
}

/// The descriptor a referrers index lists for `manifest`: its media type, digest and size, its
/// `artifactType` (or its config's media type) and its annotations.
pub fn referrer_descriptor(manifest: &Manifest) -> Result<Descriptor> {
    let value: serde_json::Value =
        serde_json::from_slice(&manifest.bytes).map_err(|source| Error::Json {
            what: format!("manifest {}", manifest.digest()),
            source,
        })?;
    let artifact_type = value
        .get("artifactType")
        .and_then(|v| v.as_str())
        .or_else(|| {
            value
                .get("config")
                .and_then(|c| c.get("mediaType"))
                .and_then(|v| v.as_str())
        });
    let mut entry = serde_json::json!({
        "mediaType": manifest.media_type,
        "digest": manifest.digest().to_string(),
        "size": manifest.bytes.len(),
    });
    if let Some(t) = artifact_type {
        entry["artifactType"] = serde_json::Value::from(t);
    }
    if let Some(annotations) = value.get("annotations").and_then(|a| a.as_object()) {
        let strings: serde_json::Map<String, serde_json::Value> = annotations
            .iter()
            .filter(|(_, v)| v.is_string())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !strings.is_empty() {
            entry["annotations"] = serde_json::Value::Object(strings);
        }
    }
    let descriptor: Descriptor = serde_json::from_value(entry).map_err(|source| Error::Json {
        what: format!("referrer descriptor of {}", manifest.digest()),
        source,
    })?;
    Ok(descriptor)
}

fn filter_sort(mut list: Vec<Descriptor>, artifact_type: Option<&str>) -> Vec<Descriptor> {
    if let Some(wanted) = artifact_type {
        list.retain(|d| {
            d.artifact_type()
                .as_ref()
                .is_some_and(|t| t.to_string() == wanted)
        });
    }
    list.sort_by_key(|d| d.digest().to_string());
    list.dedup_by(|a, b| a.digest() == b.digest());
    list
}

/// Lists referrers of `subject` in a registry repository: the referrers API, else the tag
/// schema. Sorted by digest.
pub(crate) async fn list_registry(
    store: &RegistryStore,
    subject: &Digest,
    artifact_type: Option<&str>,
) -> Result<Vec<Descriptor>> {
    if let Some(bytes) = store.referrers_api(subject, artifact_type).await? {
        let index: oci_spec::image::ImageIndex =
            serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                what: format!("referrers of {subject} from {}", store.location()),
                source,
            })?;
        return Ok(filter_sort(index.manifests().clone(), artifact_type));
    }
    let Some(manifest) = store.manifest_by_tag(&tag_schema_tag(subject)).await? else {
        return Ok(Vec::new());
    };
    if !manifest.is_index() {
        return Err(Error::Invalid {
            what: format!(
                "referrers tag {} in {}",
                tag_schema_tag(subject),
                store.location()
            ),
            reason: format!("expected an image index, found {}", manifest.media_type),
        });
    }
    Ok(filter_sort(
        manifest.index()?.manifests().clone(),
        artifact_type,
    ))
}

/// Pushes `manifest` (which must have a `subject`) and makes it listable as a referrer of that
/// subject: when the store does not list it by itself afterwards, the tag-schema index
/// `sha256-<hex>` is created or extended. Returns the referrer's digest.
pub async fn attach(store: &dyn Store, manifest: &Manifest) -> Result<Digest> {
    let subject = subject_of(manifest)?;
    let digest = store.put_manifest(manifest, None).await?;
    ensure_listed(store, manifest, &subject).await?;
    Ok(digest)
}

/// The digest of `manifest`'s `subject` (an error when it has none).
fn subject_of(manifest: &Manifest) -> Result<Digest> {
    let subject = manifest.subject()?.ok_or_else(|| Error::Invalid {
        what: format!("referrer manifest {}", manifest.digest()),
        reason: "it has no `subject`".into(),
    })?;
    Digest::of(&subject)
}

/// Makes `manifest`, already in `store`, listable as a referrer of `subject`: nothing to do
/// when the store lists it by itself (the referrers API, an OCI layout), else the tag-schema
/// index `sha256-<hex>` is created or extended. Returns whether that index was written.
pub(crate) async fn ensure_listed(
    store: &dyn Store,
    manifest: &Manifest,
    subject: &Digest,
) -> Result<bool> {
    let digest = manifest.digest();
    let listed = store.referrers(subject, None).await?;
    if listed
        .iter()
        .any(|d| d.digest().as_ref() == digest.to_string())
    {
        return Ok(false);
    }
    let tag = tag_schema_tag(subject);
    let mut entries: Vec<Descriptor> = match store.resolve(&tag).await {
        Ok(descriptor) => {
            let existing = store.get_manifest(&Digest::of(&descriptor)?).await?;
            if existing.is_index() {
                existing.index()?.manifests().clone()
            } else {
                Vec::new()
            }
        }
        Err(Error::NotFound { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    entries.retain(|d| d.digest().as_ref() != digest.to_string());
    entries.push(referrer_descriptor(manifest)?);
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_INDEX,
        "manifests": entries,
    });
    let bytes = canonical_json(&index)?;
    store
        .put_manifest(&Manifest::new(media_types::OCI_INDEX, bytes), Some(&tag))
        .await?;
    Ok(true)
}

/// Builds, pushes and attaches a one-layer artifact to `subject`: an empty `{}` config, one
/// layer of `layer_media_type` holding `content`, `artifactType` and `annotations`.
pub async fn attach_artifact(
    store: &dyn Store,
    subject: &Descriptor,
    artifact_type: &str,
    layer_media_type: &str,
    content: Vec<u8>,
    annotations: &BTreeMap<String, String>,
) -> Result<Digest> {
    let config = b"{}".to_vec();
    let config_descriptor = Descriptor::new(
        MediaType::from(media_types::OCI_EMPTY),
        config.len() as u64,
        Digest::of_bytes(&config).to_oci(),
    );
    let layer_size = content.len() as u64;
    let layer_digest = store.put_blob_bytes(content).await?;
    store.put_blob_bytes(config).await?;
    let layer = Descriptor::new(
        MediaType::from(layer_media_type),
        layer_size,
        layer_digest.to_oci(),
    );
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": config_descriptor,
        "layers": [layer],
        "subject": {
            "mediaType": subject.media_type().to_string(),
            "digest": subject.digest().to_string(),
            "size": subject.size(),
        },
    });
    if !annotations.is_empty() {
        manifest["annotations"] =
            serde_json::to_value(annotations).map_err(|source| Error::Json {
                what: "referrer annotations".into(),
                source,
            })?;
    }
    let bytes = canonical_json(&manifest)?;
    attach(store, &Manifest::new(media_types::OCI_MANIFEST, bytes)).await
}

/// Serializes with sorted keys and no whitespace (our canonical JSON).
fn canonical_json(value: &serde_json::Value) -> Result<Vec<u8>> {
    fn sort(value: &serde_json::Value) -> serde_json::Value {
        match value {
            serde_json::Value::Object(map) => {
                let sorted: BTreeMap<&String, serde_json::Value> =
                    map.iter().map(|(k, v)| (k, sort(v))).collect();
                serde_json::Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
            }
            serde_json::Value::Array(items) => {
                serde_json::Value::Array(items.iter().map(sort).collect())
            }
            other => other.clone(),
        }
    }
    serde_json::to_vec(&sort(value)).map_err(|source| Error::Json {
        what: "a generated manifest".into(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptor_of_referrer() {
        let m = Manifest::new(
            media_types::OCI_MANIFEST,
            br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.example.sig","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[],"annotations":{"a":"b"}}"#.to_vec(),
        );
        let d = referrer_descriptor(&m).unwrap();
        assert_eq!(
            d.artifact_type()
                .as_ref()
                .map(ToString::to_string)
                .as_deref(),
            Some("application/vnd.example.sig")
        );
        assert_eq!(
            d.annotations()
                .as_ref()
                .and_then(|a| a.get("a"))
                .map(String::as_str),
            Some("b")
        );
        assert_eq!(d.size(), m.bytes.len() as u64);
    }

    #[test]
    fn canonical() {
        let v = serde_json::json!({"b": 1, "a": {"d": [ {"z":1,"y":2} ], "c": null}});
        assert_eq!(
            String::from_utf8(canonical_json(&v).unwrap()).unwrap(),
            r#"{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}"#
        );
    }
}
