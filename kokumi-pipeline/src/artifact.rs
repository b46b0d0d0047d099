//! The pack and push stages: a Preparation's files as a reproducible OCI artifact in a Store.
//!
//! The format is `kokumi-oci`'s ([`kokumi_oci::artifact`]): an OCI image manifest with one
//! `application/vnd.oci.image.layer.v1.tar+gzip` content layer holding `manifest.yaml` (or the
//! files of a Multi layout), a config blob describing the Preparation, an `artifactType`, and
//! the `org.opencontainers.image.*` and kokumi annotations; no timestamps, so the same files give
//! the same digest in any process. This module maps the pipeline's metadata onto it, records the
//! config hash and renderer in the config, and converts digests.

use std::collections::BTreeMap;

use kokumi_core::digest::Digest;
use kokumi_oci::Store;
use kokumi_oci::artifact::{PackedArtifact, PreparationMeta};
use kokumi_oci::extract::Limits;
use serde_json::json;

use crate::error::BoxError;

/// What the artifact says about itself (config blob and annotations).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactMeta {
    /// The Order.
    pub order: String,
    /// The source reference as written.
    pub source: String,
    /// The source version.
    pub version: String,
    /// The resolved source digest.
    pub source_digest: Digest,
    /// The config hash.
    pub config_hash: Digest,
    /// `name/version` of the renderer.
    pub renderer: String,
    /// The previous Preparation's artifact digest.
    pub parent: Option<Digest>,
    /// A description (the commit message), if any.
    pub description: Option<String>,
}

/// A packed artifact, ready to push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packed {
    /// The manifest digest: the Preparation's identity.
    pub digest: Digest,
    /// The manifest and blobs.
    pub artifact: PackedArtifact,
}

/// Packs `files` (path → bytes) reproducibly.
pub fn pack(files: &BTreeMap<String, Vec<u8>>, meta: &ArtifactMeta) -> Result<Packed, BoxError> {
    let mut oci_meta = PreparationMeta::new(meta.order.clone());
    oci_meta.source = Some(meta.source.clone());
    oci_meta.revision = Some(meta.source_digest.to_string());
    oci_meta.version = Some(meta.version.clone()).filter(|v| !v.is_empty());
    oci_meta.description = meta.description.clone();
    oci_meta.parent = meta.parent;
    oci_meta
        .config
        .insert("configHash".into(), json!(meta.config_hash.to_string()));
    oci_meta
        .config
        .insert("renderer".into(), json!(meta.renderer));
    let list: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_slice()))
        .collect();
    let artifact = kokumi_oci::artifact::pack(&list, &oci_meta)?;
    Ok(Packed {
        digest: artifact.digest(),
        artifact,
    })
}

/// Pushes blobs then the manifest, tagged `tag`. Blobs already present are not sent again.
pub async fn push(store: &dyn Store, packed: &Packed, tag: &str) -> Result<(), BoxError> {
    let pushed = packed.artifact.push(store, Some(tag)).await?;
    if pushed != packed.digest {
        return Err(format!(
            "the store recorded manifest {pushed}, expected {}",
            packed.digest
        )
        .into());
    }
    Ok(())
}

/// Whether the artifact is still in the store under the tag it was pushed with (`tag` resolves
/// to `digest`). A layout keeps deleted manifests' blobs until garbage collection, so the tag —
/// the index entry — is what says the artifact is stored; a registry answers the same way.
pub async fn exists(store: &dyn Store, digest: &Digest, tag: &str) -> Result<bool, BoxError> {
    match store.resolve(tag).await {
        Ok(descriptor) => Ok(descriptor.digest().to_string() == digest.to_string()),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(Box::new(e)),
    }
}

fn is_not_found(e: &kokumi_oci::Error) -> bool {
    matches!(e, kokumi_oci::Error::NotFound { .. })
}

/// Reads an artifact back: its files (path → bytes), verified by digest, extraction capped.
pub async fn read_files(
    store: &dyn Store,
    digest: &Digest,
) -> Result<BTreeMap<String, Vec<u8>>, BoxError> {
    let prep = kokumi_oci::artifact::pull(store, &digest.to_string(), &Limits::default()).await?;
    Ok(prep.files.into_iter().map(|f| (f.path, f.bytes)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> ArtifactMeta {
        ArtifactMeta {
            order: "hello".into(),
            source: "../charts/hello".into(),
            version: "0.1.0".into(),
            source_digest: Digest::of_bytes(b"src"),
            config_hash: Digest::of_bytes(b"cfg"),
            renderer: "kokumi-render/0.1.0".into(),
            parent: None,
            description: None,
        }
    }

    #[test]
    fn packing_is_reproducible_and_content_addressed() {
        let files = BTreeMap::from([("manifest.yaml".to_owned(), b"kind: A\n".to_vec())]);
        let a = pack(&files, &meta()).unwrap();
        let b = pack(&files, &meta()).unwrap();
        assert_eq!(a, b);
        let other = BTreeMap::from([("manifest.yaml".to_owned(), b"kind: B\n".to_vec())]);
        assert_ne!(pack(&other, &meta()).unwrap().digest, a.digest);
        assert_eq!(a.digest, Digest::of_bytes(&a.artifact.manifest.bytes));
    }
}
