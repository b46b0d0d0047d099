//! The pack and push stages: a Preparation's files as a reproducible OCI artifact in a Store.
//!
//! Format (ARCHITECTURE.md): an OCI image manifest with one
//! `application/vnd.oci.image.layer.v1.tar+gzip` content layer holding `manifest.yaml` (or the
//! files of a Multi layout), a config blob describing the Preparation, an `artifactType`, and
//! the `org.opencontainers.image.*` and kokumi annotations; no timestamps. Tar entries are sorted
//! with fixed mode, owner and mtime, the gzip header carries no name or time, and JSON is
//! canonical — so the same files give the same digest in any process.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};

use kokumi_core::digest::{Digest, canonical_json};
use kokumi_oci::media_types as mt;
use kokumi_oci::{Manifest, Store};
use serde_json::{Value, json};

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
    /// The manifest.
    pub manifest: Vec<u8>,
    /// The config blob.
    pub config: Vec<u8>,
    /// The content layer (tar+gzip).
    pub layer: Vec<u8>,
}

/// Largest artifact layer read back (compressed and extracted), like Argo CD's default.
pub const MAX_EXTRACTED: u64 = 1 << 30;

fn descriptor(media_type: &str, bytes: &[u8]) -> Value {
    json!({
        "mediaType": media_type,
        "digest": Digest::of_bytes(bytes).to_string(),
        "size": bytes.len(),
    })
}

/// Packs `files` (path → bytes) reproducibly.
pub fn pack(files: &BTreeMap<String, Vec<u8>>, meta: &ArtifactMeta) -> Result<Packed, BoxError> {
    let mut tar = tar::Builder::new(Vec::new());
    tar.mode(tar::HeaderMode::Deterministic);
    for (path, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut header, path, bytes.as_slice())?;
    }
    let tar_bytes = tar.into_inner()?;
    let mut gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar_bytes)?;
    let layer = gz.finish()?;

    let config = canonical_json(&json!({
        "order": meta.order,
        "source": {"ref": meta.source, "version": meta.version, "digest": meta.source_digest.to_string()},
        "configHash": meta.config_hash.to_string(),
        "renderer": meta.renderer,
        "parentDigest": meta.parent.map(|d| d.to_string()),
        "files": files.keys().collect::<Vec<_>>(),
    }))
    .into_bytes();

    let mut annotations = serde_json::Map::new();
    annotations.insert(mt::ANNOTATION_SOURCE.into(), json!(meta.source));
    annotations.insert(mt::ANNOTATION_VERSION.into(), json!(meta.version));
    annotations.insert(
        mt::ANNOTATION_REVISION.into(),
        json!(meta.source_digest.to_string()),
    );
    annotations.insert(mt::ANNOTATION_KOKUMI_ORDER.into(), json!(meta.order));
    if let Some(parent) = meta.parent {
        annotations.insert(
            mt::ANNOTATION_KOKUMI_PARENT.into(),
            json!(parent.to_string()),
        );
    }
    if let Some(description) = &meta.description {
        annotations.insert(mt::ANNOTATION_DESCRIPTION.into(), json!(description));
    }
    let mut layer_desc = descriptor(mt::OCI_LAYER_TAR_GZIP, &layer);
    if let (Some(obj), true, Some(name)) = (
        layer_desc.as_object_mut(),
        files.len() == 1,
        files.keys().next(),
    ) {
        obj.insert("annotations".into(), json!({ mt::ANNOTATION_TITLE: name }));
    }
    let manifest = canonical_json(&json!({
        "schemaVersion": 2,
        "mediaType": mt::OCI_MANIFEST,
        "artifactType": mt::PREPARATION_ARTIFACT,
        "config": descriptor(mt::PREPARATION_CONFIG, &config),
        "layers": [layer_desc],
        "annotations": annotations,
    }))
    .into_bytes();
    Ok(Packed {
        digest: Digest::of_bytes(&manifest),
        manifest,
        config,
        layer,
    })
}

fn oci_digest(digest: &Digest) -> Result<kokumi_oci::Digest, BoxError> {
    Ok(kokumi_oci::Digest::parse(&digest.to_string())?)
}

/// Pushes blobs then the manifest, tagged `tag`. Blobs already present are not sent again.
pub async fn push(store: &dyn Store, packed: &Packed, tag: &str) -> Result<(), BoxError> {
    for blob in [&packed.config, &packed.layer] {
        let digest = oci_digest(&Digest::of_bytes(blob))?;
        if !store.has_blob(&digest).await? {
            store.put_blob_bytes(blob.clone()).await?;
        }
    }
    let manifest = Manifest::new(mt::OCI_MANIFEST, packed.manifest.clone());
    let pushed = store.put_manifest(&manifest, Some(tag)).await?;
    if pushed.as_str() != packed.digest.to_string() {
        return Err(format!(
            "the store recorded manifest {pushed}, expected {}",
            packed.digest
        )
        .into());
    }
    Ok(())
}

/// Whether the artifact's manifest is in the store (tags don't matter).
pub async fn exists(store: &dyn Store, digest: &Digest) -> Result<bool, BoxError> {
    match store.resolve(&digest.to_string()).await {
        Ok(_) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(Box::new(e)),
    }
}

fn is_not_found(e: &kokumi_oci::Error) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    text.contains("not found") || text.contains("unknown") || text.contains("no such")
}

/// Reads an artifact back: its files (path → bytes), verified by digest on the way.
pub async fn read_files(
    store: &dyn Store,
    digest: &Digest,
) -> Result<BTreeMap<String, Vec<u8>>, BoxError> {
    let manifest = store.get_manifest(&oci_digest(digest)?).await?;
    let image = manifest.image()?;
    let mut files = BTreeMap::new();
    for layer in image.layers() {
        let layer_digest = kokumi_oci::Digest::of(layer)?;
        let bytes = store.get_blob_bytes(&layer_digest, MAX_EXTRACTED).await?;
        let mut decoder = flate2::read::GzDecoder::new(bytes.as_slice()).take(MAX_EXTRACTED);
        let mut tar_bytes = Vec::new();
        decoder.read_to_end(&mut tar_bytes)?;
        let mut archive = tar::Archive::new(tar_bytes.as_slice());
        for entry in archive.entries()? {
            let mut entry = entry?;
            if entry.header().entry_type() != tar::EntryType::Regular {
                return Err("artifact layer holds something other than regular files".into());
            }
            let path = entry.path()?.to_string_lossy().into_owned();
            if path.starts_with('/') || path.split('/').any(|c| c == "..") {
                return Err(format!("artifact layer holds an unsafe path {path:?}").into());
            }
            let mut content = Vec::new();
            entry.read_to_end(&mut content)?;
            files.insert(path, content);
        }
    }
    Ok(files)
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
        assert_eq!(a.digest, Digest::of_bytes(&a.manifest));
    }
}
