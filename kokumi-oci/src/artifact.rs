//! The Preparation artifact format: pack (reproducibly) and pull.
//!
//! A Preparation is one OCI image manifest (schemaVersion 2,
//! `application/vnd.oci.image.manifest.v1+json`) with
//! - `artifactType` [`PREPARATION_ARTIFACT`](crate::media_types::PREPARATION_ARTIFACT),
//! - a config blob of media type
//!   [`PREPARATION_CONFIG`](crate::media_types::PREPARATION_CONFIG) describing the Preparation
//!   (order, source, parent, and every file's path, size and digest),
//! - one content layer `application/vnd.oci.image.layer.v1.tar+gzip` holding `manifest.yaml` at
//!   the root (or the files of a Multi layout) — the shape Argo CD (≥ 3.3, `path: .`) and Flux
//!   (`OCIRepository`) pull and extract,
//! - annotations `org.opencontainers.image.{source,revision,version,description}` when known,
//!   `dev.kokumi.order` and `dev.kokumi.parent`, and no timestamp unless one is asked for.
//!
//! **Reproducible**: files are sorted by path; every tar entry is a ustar regular file with
//! mode 0644, uid/gid 0, empty user/group names and mtime 0 (no directory entries); the gzip
//! header has no file name, mtime 0 and OS byte 255; manifest and config are canonical JSON
//! (keys sorted, no whitespace). The same files and metadata give the same digest in any
//! process. The compressed bytes depend on the deflate implementation (flate2's default
//! miniz_oxide backend); a test pins a layer digest so a backend change cannot slip by.
//!
//! This module does not render, patch or decide anything: it turns files into an artifact and
//! back.
//!
//! ```
//! use kokumi_oci::artifact::{pack, PreparationMeta};
//! let meta = PreparationMeta::new("shop/web");
//! let a = pack(&[("manifest.yaml", b"kind: ConfigMap\n".as_slice())], &meta).unwrap();
//! let b = pack(&[("manifest.yaml", b"kind: ConfigMap\n".as_slice())], &meta).unwrap();
//! assert_eq!(a.digest(), b.digest());
//! assert_eq!(a.manifest.media_type, "application/vnd.oci.image.manifest.v1+json");
//! ```

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use crate::error::{Error, Result};
use crate::extract::{
    ArchiveFile, Compression, Limits, normalize_entry_path, prepare_empty_dir, read_blob_archive,
};
use crate::media_types as mt;
use crate::store::{Digest, DigestExt, Manifest, Store, read_capped};

/// Configs larger than this are refused when pulling.
pub const MAX_CONFIG_SIZE: u64 = 4 * 1024 * 1024;

/// What the Preparation's manifest annotations and config say about it.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct PreparationMeta {
    /// The Order it was rendered from (`namespace/name` or a local name).
    pub order: String,
    /// `org.opencontainers.image.source`: where the source came from (e.g. `oci://host/chart`).
    pub source: Option<String>,
    /// `org.opencontainers.image.revision`: the source's revision (e.g. its digest).
    pub revision: Option<String>,
    /// `org.opencontainers.image.version`: the source's version (e.g. the chart version).
    pub version: Option<String>,
    /// `org.opencontainers.image.description`.
    pub description: Option<String>,
    /// `dev.kokumi.parent`: the Preparation this one supersedes.
    pub parent: Option<Digest>,
    /// `org.opencontainers.image.created`: only when explicitly wanted (it breaks
    /// reproducibility across runs).
    pub created: Option<String>,
    /// Further manifest annotations.
    pub annotations: BTreeMap<String, String>,
    /// Further top-level config fields (e.g. the render inputs' hash). Keys the format uses
    /// itself are refused.
    pub config: BTreeMap<String, Value>,
}

impl PreparationMeta {
    /// Metadata with just the Order name.
    pub fn new(order: impl Into<String>) -> Self {
        Self {
            order: order.into(),
            ..Self::default()
        }
    }
}

/// Config keys the format owns.
const RESERVED_CONFIG_KEYS: &[&str] = &[
    "schemaVersion",
    "order",
    "source",
    "revision",
    "version",
    "description",
    "parent",
    "created",
    "files",
];

/// A blob held in memory, with its media type and digest.
#[derive(Clone, PartialEq, Eq)]
pub struct Blob {
    /// The media type its descriptor carries.
    pub media_type: String,
    /// The digest of `bytes`.
    pub digest: Digest,
    /// The content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Blob")
            .field("media_type", &self.media_type)
            .field("digest", &self.digest)
            .field("len", &self.bytes.len())
            .finish()
    }
}

impl Blob {
    /// A blob of `media_type` holding `bytes`.
    pub fn new(media_type: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            media_type: media_type.into(),
            digest: Digest::of_bytes(&bytes),
            bytes,
        }
    }

    /// The descriptor as JSON (`mediaType`, `digest`, `size`).
    pub fn descriptor_json(&self) -> Value {
        json!({
            "mediaType": self.media_type,
            "digest": &self.digest.to_string(),
            "size": self.bytes.len(),
        })
    }
}

/// A packed artifact: the manifest and the blobs it references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedArtifact {
    /// The image manifest (canonical JSON).
    pub manifest: Manifest,
    /// The config blob.
    pub config: Blob,
    /// The single content layer.
    pub layer: Blob,
}

impl PackedArtifact {
    /// The manifest digest: the artifact's identity.
    pub fn digest(&self) -> Digest {
        self.manifest.digest()
    }

    /// Pushes config, layer and manifest (blobs first), tagging when `tag` is given.
    pub async fn push(&self, store: &dyn Store, tag: Option<&str>) -> Result<Digest> {
        for blob in [&self.config, &self.layer] {
            store.ensure_blob_bytes(blob.bytes.clone()).await?;
        }
        store.put_manifest(&self.manifest, tag).await
    }
}

/// Serialises `value` as canonical JSON: object keys sorted by their UTF-8 bytes, no
/// insignificant whitespace (serde_json's string escaping). Numbers are written as serde_json
/// writes them; the documents here only hold integers.
pub fn canonical_json(value: &Value) -> Vec<u8> {
    fn sort(value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_unstable_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
                let mut out = Map::new();
                for k in keys {
                    out.insert(k.clone(), sort(&map[k]));
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    // serde_json keeps insertion order (the workspace enables preserve_order), so inserting
    // in sorted order yields sorted output.
    serde_json::to_vec(&sort(value)).unwrap_or_default()
}

/// Checks and normalises the file list: relative, safe, unique paths, sorted.
fn sorted_files<P: AsRef<str>, B: AsRef<[u8]>>(files: &[(P, B)]) -> Result<Vec<(String, &[u8])>> {
    let mut out: Vec<(String, &[u8])> = Vec::with_capacity(files.len());
    for (path, bytes) in files {
        let raw = path.as_ref();
        let normal = normalize_entry_path(raw.as_bytes())?.ok_or_else(|| Error::UnsafeEntry {
            entry: raw.to_owned(),
            reason: "empty path".into(),
        })?;
        out.push((normal, bytes.as_ref()));
    }
    out.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    for pair in out.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(Error::UnsafeEntry {
                entry: pair[0].0.clone(),
                reason: "duplicate path".into(),
            });
        }
    }
    if out.is_empty() {
        return Err(Error::UnsupportedArtifact {
            reason: "a Preparation needs at least one file".into(),
        });
    }
    Ok(out)
}

/// Builds the reproducible tar+gzip layer for already sorted, normalised files.
fn build_layer(files: &[(String, &[u8])]) -> Result<Vec<u8>> {
    let stream_err = |source: std::io::Error| Error::Stream {
        what: "building the layer".into(),
        source,
    };
    let gz = flate2::GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    for (path, bytes) in files {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(bytes.len() as u64);
        header
            .set_username("")
            .and_then(|()| header.set_groupname(""))
            .map_err(stream_err)?;
        tar.append_data(&mut header, path, *bytes)
            .map_err(stream_err)?;
    }
    let mut gz = tar.into_inner().map_err(stream_err)?;
    gz.flush().map_err(stream_err)?;
    gz.finish().map_err(stream_err)
}

/// The reproducible tar+gzip layer of `files` alone (sorted, normalised, fixed metadata).
pub fn pack_layer<P: AsRef<str>, B: AsRef<[u8]>>(files: &[(P, B)]) -> Result<Vec<u8>> {
    build_layer(&sorted_files(files)?)
}

/// Packs `files` and `meta` into a Preparation artifact (see the module docs).
pub fn pack<P: AsRef<str>, B: AsRef<[u8]>>(
    files: &[(P, B)],
    meta: &PreparationMeta,
) -> Result<PackedArtifact> {
    if meta.order.trim().is_empty() {
        return Err(Error::Invalid {
            what: "Preparation metadata".into(),
            reason: "the order name is empty".into(),
        });
    }
    let files = sorted_files(files)?;
    let layer = Blob::new(mt::OCI_LAYER_TAR_GZIP, build_layer(&files)?);

    let mut config = Map::new();
    config.insert("schemaVersion".into(), json!(1));
    config.insert("order".into(), json!(meta.order));
    let optional = [
        ("source", &meta.source),
        ("revision", &meta.revision),
        ("version", &meta.version),
        ("description", &meta.description),
        ("created", &meta.created),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            config.insert(key.into(), json!(v));
        }
    }
    if let Some(parent) = &meta.parent {
        config.insert("parent".into(), json!(parent.to_string()));
    }
    config.insert(
        "files".into(),
        Value::Array(
            files
                .iter()
                .map(|(path, bytes)| {
                    json!({"path": path, "size": bytes.len(), "digest": &Digest::of_bytes(bytes).to_string()})
                })
                .collect(),
        ),
    );
    for (key, value) in &meta.config {
        if RESERVED_CONFIG_KEYS.contains(&key.as_str()) {
            return Err(Error::Invalid {
                what: format!("Preparation config field `{key}`"),
                reason: "the key is reserved by the artifact format".into(),
            });
        }
        config.insert(key.clone(), value.clone());
    }
    let config = Blob::new(
        mt::PREPARATION_CONFIG,
        canonical_json(&Value::Object(config)),
    );

    let mut annotations: BTreeMap<String, String> = meta.annotations.clone();
    let standard = [
        (mt::ANNOTATION_SOURCE, &meta.source),
        (mt::ANNOTATION_REVISION, &meta.revision),
        (mt::ANNOTATION_VERSION, &meta.version),
        (mt::ANNOTATION_DESCRIPTION, &meta.description),
        (mt::ANNOTATION_CREATED, &meta.created),
    ];
    for (key, value) in standard {
        if let Some(v) = value {
            annotations.insert(key.to_owned(), v.clone());
        }
    }
    annotations.insert(mt::ANNOTATION_KOKUMI_ORDER.to_owned(), meta.order.clone());
    if let Some(parent) = &meta.parent {
        annotations.insert(mt::ANNOTATION_KOKUMI_PARENT.to_owned(), parent.to_string());
    }

    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": mt::OCI_MANIFEST,
        "artifactType": mt::PREPARATION_ARTIFACT,
        "config": config.descriptor_json(),
        "layers": [layer.descriptor_json()],
        "annotations": annotations,
    });
    Ok(PackedArtifact {
        manifest: Manifest::new(mt::OCI_MANIFEST, canonical_json(&manifest)),
        config,
        layer,
    })
}

/// A Preparation read back from a store.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Preparation {
    /// The manifest digest.
    pub digest: Digest,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
    /// The parsed config blob.
    pub config: Value,
    /// The files of the content layer, sorted by path, verified against the config's list.
    pub files: Vec<ArchiveFile>,
}

impl Preparation {
    /// The Order named in the config.
    pub fn order(&self) -> Option<&str> {
        self.config.get("order").and_then(Value::as_str)
    }

    /// The content of the file at `path`.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files
            .iter()
            .find(|f| f.path == path)
            .map(|f| f.bytes.as_slice())
    }

    /// Writes the files under `dir`, which must not exist or be empty (as `kokumi pull … DIR`
    /// does). Paths were normalised when extracted; files are created fresh, never through an
    /// existing path. Blocking I/O: call it from a blocking context for large Preparations.
    pub fn write_to_dir(&self, dir: &Path) -> Result<Vec<PathBuf>> {
        prepare_empty_dir(dir)?;
        let mut written = Vec::with_capacity(self.files.len());
        for file in &self.files {
            let target = dir.join(&file.path);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|e| Error::io("creating", parent, e))?;
            }
            let mut out = std::fs::File::create_new(&target)
                .map_err(|e| Error::io("creating", &target, e))?;
            out.write_all(&file.bytes)
                .map_err(|e| Error::io("writing", &target, e))?;
            written.push(target);
        }
        Ok(written)
    }
}

/// Pulls a Preparation by tag or digest: checks the manifest's shape, reads the config,
/// streams and safely extracts the layer within `limits`, and verifies every file against
/// the config's file list.
pub async fn pull(store: &dyn Store, reference: &str, limits: &Limits) -> Result<Preparation> {
    let (_, manifest) = store.fetch_manifest(reference).await?;
    let digest = manifest.digest();
    let what = format!("Preparation {digest} in {}", store.location());
    if manifest.is_index() {
        return Err(Error::UnsupportedArtifact {
            reason: format!("{what} is an image index, not a Preparation manifest"),
        });
    }
    let image = manifest.image()?;
    let artifact_type = image.artifact_type().as_ref().map(ToString::to_string);
    let config_type = image.config().media_type().to_string();
    if artifact_type.as_deref() != Some(mt::PREPARATION_ARTIFACT)
        && config_type != mt::PREPARATION_CONFIG
    {
        return Err(Error::UnsupportedArtifact {
            reason: format!(
                "{what} has artifactType {} and config {config_type}, not a Kokumi Preparation",
                artifact_type.as_deref().unwrap_or("(none)")
            ),
        });
    }
    limits.check_layers(image.layers().len(), &what)?;
    let [layer] = image.layers().as_slice() else {
        return Err(Error::UnsupportedArtifact {
            reason: format!(
                "{what} has {} layers; a Preparation has exactly one",
                image.layers().len()
            ),
        });
    };
    let config_digest = Digest::of(image.config())?;
    let config_bytes = read_capped(
        store.get_blob(&config_digest).await?,
        MAX_CONFIG_SIZE,
        &format!("config {config_digest} of {what}"),
    )
    .await?;
    let config: Value = serde_json::from_slice(&config_bytes).map_err(|source| Error::Json {
        what: format!("config {config_digest} of {what}"),
        source,
    })?;
    let layer_type = layer.media_type().to_string();
    let (files, _) = read_blob_archive(
        store,
        &Digest::of(layer)?,
        Compression::for_media_type(&layer_type),
        limits.budget(),
    )
    .await?;
    let mut files = files;
    files.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()));
    verify_file_list(&config, &files, &what)?;
    Ok(Preparation {
        digest,
        annotations: image
            .annotations()
            .clone()
            .map(|a| a.into_iter().collect())
            .unwrap_or_default(),
        config,
        files,
    })
}

/// Checks the extracted files against the config's `files` list (paths, sizes, digests).
fn verify_file_list(config: &Value, files: &[ArchiveFile], what: &str) -> Result<()> {
    let Some(listed) = config.get("files").and_then(Value::as_array) else {
        return Err(Error::Invalid {
            what: format!("config of {what}"),
            reason: "`files` is missing or not a list".into(),
        });
    };
    let mismatch = |reason: String| Error::Invalid {
        what: format!("layer of {what}"),
        reason,
    };
    if listed.len() != files.len() {
        return Err(mismatch(format!(
            "the config lists {} files, the layer holds {}",
            listed.len(),
            files.len()
        )));
    }
    for (entry, file) in listed.iter().zip(files) {
        let path = entry.get("path").and_then(Value::as_str).unwrap_or("");
        let digest = entry.get("digest").and_then(Value::as_str).unwrap_or("");
        if path != file.path {
            return Err(mismatch(format!(
                "the config lists `{path}` where the layer holds `{}`",
                file.path
            )));
        }
        let actual = Digest::of_bytes(&file.bytes);
        if digest != actual.to_string() {
            return Err(Error::DigestMismatch {
                what: format!("file `{path}` of {what}"),
                expected: digest.to_owned(),
                actual: actual.to_string(),
            });
        }
    }
    Ok(())
}
