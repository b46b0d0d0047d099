//! An on-disk OCI image layout as a [`Store`].
//!
//! The directory follows the OCI image-layout specification (v1.0/1.1): an `oci-layout` file
//! (`{"imageLayoutVersion":"1.0.0"}`), an `index.json` image index listing the stored manifests,
//! and content-addressed blobs under `blobs/sha256/<hex>`. Tags are the
//! `org.opencontainers.image.ref.name` annotation on `index.json` entries, which is what skopeo
//! (`oci:DIR:TAG`), oras and Helm read and write, so a layout written here can be copied by
//! `skopeo copy oci:DIR:TAG …` and a layout skopeo wrote is read here.
//!
//! # Durability and concurrency
//! - Every file is written to a temporary file in the same directory, `fsync`ed, renamed into
//!   place, and the directory is `fsync`ed: a crash leaves either the old or the new file, never
//!   a torn one. Leftover temporary files start with `.tmp-` and are removed by [`LayoutStore::gc`].
//! - Blobs are verified (size and digest) while they stream to disk; a mismatch leaves nothing
//!   behind. Two writers of the same blob race harmlessly: both rename identical content. A
//!   blob already present with the announced size is not rewritten (it was verified when
//!   written; reads verify it again).
//! - `index.json` is read-modify-written under an exclusive advisory lock (`flock`, via
//!   [`std::fs::File::lock`]) held on the `oci-layout` file. That file is never replaced, so
//!   every process locks the same inode and no update is lost; readers need no lock because
//!   `index.json` only ever changes by an atomic rename. (Tools that don't take the lock, like
//!   skopeo, are as safe as they always were: one writer at a time.)
//!
//! # Referrers
//! [`Store::referrers`] scans the manifests listed in `index.json` and returns those whose
//! `subject` is the asked digest. [`LayoutStore::put_manifest`] lists every manifest it stores
//! there (untagged when no tag is given), as oras does, so attached artifacts are found. The
//! `sha256-<hex>` tag-schema fallback is a registry workaround and is not used in layouts:
//! scanning is exact and a layout has few entries. Index entries of manifests with a `subject`
//! carry `artifactType` and the manifest's annotations, as the image-layout spec recommends.
//!
//! # Deletion
//! [`Store::delete_manifest`] removes the manifest's `index.json` entries (every tag pointing at
//! it). Blobs stay until [`LayoutStore::gc`] removes those no longer reachable from `index.json`.
//!
//! # Why not the `ocidir` crate
//! `ocidir` (containers/ocidir-rs, 0.8) was evaluated and not used: its API is synchronous
//! (cap-std `Dir`), it hashes through `openssl` (a C library and a system dependency we
//! otherwise avoid), and its `index.json` update is an unlocked read-then-replace, so two
//! processes tagging at once lose one entry — the property this store must guarantee. Its
//! strengths (layer builders for container images, zstd) are not what we need. The format
//! itself is small; we implement it directly on `tokio::fs` with streaming verification.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use kokumi_oci::layout::LayoutStore;
//! use kokumi_oci::{Manifest, Store};
//! let dir = tempfile::tempdir().unwrap();
//! let store = LayoutStore::create(dir.path()).await.unwrap();
//! let config = store.put_blob_bytes(b"{}".to_vec()).await.unwrap();
//! let manifest = Manifest::new(
//!     "application/vnd.oci.image.manifest.v1+json",
//!     format!(
//!         r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{config}","size":2}},"layers":[]}}"#
//!     )
//!     .into_bytes(),
//! );
//! let digest = store.put_manifest(&manifest, Some("v1")).await.unwrap();
//! assert_eq!(store.list_tags().await.unwrap(), ["v1"]);
//! assert_eq!(store.resolve("v1").await.unwrap().digest().to_string(), digest.to_string());
//! # });
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use oci_spec::image::{Descriptor, MediaType};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncWriteExt as _, BufReader};

use crate::error::{Error, Result};
use crate::media_types;
use crate::store::{
    BlobReader, Digest, DigestExt, Manifest, Store, StoreLocation, VerifyingReader, read_capped,
    stream_error, validate_tag,
};

/// Manifests larger than this are refused (registries commonly cap them at 4 MiB).
pub const MAX_MANIFEST_SIZE: u64 = 8 * 1024 * 1024;

/// Temporary files start with this prefix (so they are never mistaken for blobs).
const TMP_PREFIX: &str = ".tmp-";

/// A store over an OCI image layout directory (see the module docs).
#[derive(Debug, Clone)]
pub struct LayoutStore {
    root: PathBuf,
}

/// The `index.json` document. Unknown top-level fields written by other tools are kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IndexFile {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

impl Default for IndexFile {
    fn default() -> Self {
        Self {
            schema_version: 2,
            media_type: Some(media_types::OCI_INDEX.to_owned()),
            manifests: Vec::new(),
            rest: serde_json::Map::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct LayoutFile {
    image_layout_version: String,
}

/// What [`LayoutStore::gc`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct GcReport {
    /// Unreachable blobs removed.
    pub blobs_removed: Vec<Digest>,
    /// Bytes freed by removing them.
    pub bytes_freed: u64,
    /// Stale temporary files removed.
    pub temp_files_removed: usize,
}

fn tag_of(descriptor: &Descriptor) -> Option<&str> {
    descriptor
        .annotations()
        .as_ref()
        .and_then(|a| a.get(media_types::ANNOTATION_REF_NAME))
        .map(String::as_str)
}

fn digest_matches(descriptor: &Descriptor, digest: &Digest) -> bool {
    descriptor.digest().as_ref() == digest.to_string()
}

/// A unique temporary file name in `dir`.
fn temp_path(dir: &Path, hint: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    dir.join(format!(
        "{TMP_PREFIX}{hint}-{}-{n}-{nanos}",
        std::process::id()
    ))
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, fsync, rename, fsync
/// of the directory.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let hint = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let tmp = temp_path(dir, &hint);
    let result = (|| {
        let mut file =
            std::fs::File::create_new(&tmp).map_err(|e| Error::io("creating", &tmp, e))?;
        file.write_all(bytes)
            .map_err(|e| Error::io("writing", &tmp, e))?;
        file.sync_all().map_err(|e| Error::io("syncing", &tmp, e))?;
        drop(file);
        std::fs::rename(&tmp, path).map_err(|e| Error::io("renaming into place", path, e))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn sync_dir(dir: &Path) -> Result<()> {
    let d = std::fs::File::open(dir).map_err(|e| Error::io("opening directory", dir, e))?;
    d.sync_all()
        .map_err(|e| Error::io("syncing directory", dir, e))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Stream {
            what: "a blocking filesystem task".into(),
            source: std::io::Error::other(e.to_string()),
        })?
}

impl LayoutStore {
    /// Opens an existing layout; fails with [`Error::NotALayout`] when `path` is not one.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self> {
        let root = path.as_ref().to_path_buf();
        let check = root.clone();
        blocking(move || Self::check_layout(&check)).await?;
        Ok(Self { root })
    }

    /// Opens the layout at `path`, creating the directory, `oci-layout`, `index.json` and
    /// `blobs/sha256` when missing. Safe to call from several processes at once.
    pub async fn create(path: impl AsRef<Path>) -> Result<Self> {
        let root = path.as_ref().to_path_buf();
        let r = root.clone();
        blocking(move || Self::init(&r)).await?;
        Ok(Self { root })
    }

    fn init(root: &Path) -> Result<()> {
        let blobs = root.join("blobs").join("sha256");
        std::fs::create_dir_all(&blobs).map_err(|e| Error::io("creating", &blobs, e))?;
        let layout = root.join("oci-layout");
        if !layout.exists() {
            let body = serde_json::to_vec(&LayoutFile {
                image_layout_version: media_types::IMAGE_LAYOUT_VERSION.to_owned(),
            })
            .map_err(|source| Error::Json {
                what: "oci-layout".into(),
                source,
            })?;
            // create_new: the first process wins and the others keep its (identical) file, so
            // the lock inode never changes once it exists.
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&layout)
            {
                Ok(mut f) => {
                    f.write_all(&body)
                        .and_then(|()| f.sync_all())
                        .map_err(|e| Error::io("writing", &layout, e))?;
                    sync_dir(root)?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(Error::io("creating", &layout, e)),
            }
        }
        Self::check_layout(root)?;
        let _lock = Self::lock(root)?;
        let index = root.join("index.json");
        if !index.exists() {
            write_atomic(&index, &Self::encode_index(&IndexFile::default())?)?;
        }
        Ok(())
    }

    fn check_layout(root: &Path) -> Result<()> {
        let layout = root.join("oci-layout");
        let bytes = std::fs::read(&layout).map_err(|e| Error::NotALayout {
            path: root.to_path_buf(),
            reason: format!("cannot read {}: {e}", layout.display()),
        })?;
        let file: LayoutFile = serde_json::from_slice(&bytes).map_err(|e| Error::NotALayout {
            path: root.to_path_buf(),
            reason: format!("{} is not valid: {e}", layout.display()),
        })?;
        if !file.image_layout_version.starts_with("1.") {
            return Err(Error::NotALayout {
                path: root.to_path_buf(),
                reason: format!(
                    "unsupported imageLayoutVersion `{}` (expected 1.x)",
                    file.image_layout_version
                ),
            });
        }
        Ok(())
    }

    /// The exclusive `index.json` lock (see the module docs). Released when dropped.
    fn lock(root: &Path) -> Result<std::fs::File> {
        let path = root.join("oci-layout");
        let file = std::fs::File::open(&path).map_err(|e| Error::io("opening", &path, e))?;
        file.lock().map_err(|e| Error::io("locking", &path, e))?;
        Ok(file)
    }

    /// The layout's root directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join("sha256").join(digest.hex())
    }

    fn read_index_at(root: &Path) -> Result<IndexFile> {
        let path = root.join("index.json");
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotALayout {
                    path: root.to_path_buf(),
                    reason: "index.json is missing".into(),
                });
            }
            Err(e) => return Err(Error::io("reading", path, e)),
        };
        let index: IndexFile = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
            what: path.display().to_string(),
            source,
        })?;
        if index.schema_version != 2 {
            return Err(Error::Invalid {
                what: path.display().to_string(),
                reason: format!("schemaVersion is {}, expected 2", index.schema_version),
            });
        }
        Ok(index)
    }

    fn encode_index(index: &IndexFile) -> Result<Vec<u8>> {
        serde_json::to_vec(index).map_err(|source| Error::Json {
            what: "index.json".into(),
            source,
        })
    }

    /// Reads the current `index.json` entries (a consistent snapshot; no lock needed).
    pub async fn entries(&self) -> Result<Vec<Descriptor>> {
        let root = self.root.clone();
        blocking(move || Ok(Self::read_index_at(&root)?.manifests)).await
    }

    /// The one manifest of a layout named without a tag (`oci-layout:PATH`), as skopeo reads
    /// `oci:PATH`: an error when the layout lists no manifest or several.
    pub async fn sole_manifest(&self) -> Result<Descriptor> {
        let entries = self.entries().await?;
        match entries.as_slice() {
            [one] => Ok(clean(one.clone())),
            [] => Err(Error::NotFound {
                what: "any manifest".into(),
                location: self.location().to_string(),
            }),
            more => Err(Error::Invalid {
                what: format!("reference {}", self.location()),
                reason: format!(
                    "the layout lists {} manifests; name one with `:TAG` or `@sha256:…`",
                    more.len()
                ),
            }),
        }
    }

    /// Runs `f` on `index.json` under the exclusive lock and writes the result atomically.
    async fn update_index<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Vec<Descriptor>) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let root = self.root.clone();
        blocking(move || {
            let _lock = Self::lock(&root)?;
            let mut index = Self::read_index_at(&root)?;
            let before = index.manifests.clone();
            let out = f(&mut index.manifests)?;
            if !descriptors_equal(&before, &index.manifests) {
                write_atomic(&root.join("index.json"), &Self::encode_index(&index)?)?;
            }
            Ok(out)
        })
        .await
    }

    async fn read_blob_capped(&self, digest: &Digest, max: u64, what: &str) -> Result<Vec<u8>> {
        let reader = self.get_blob(digest).await?;
        read_capped(reader, max, what).await
    }

    /// The descriptor `index.json` should carry for `manifest` (artifactType and, for
    /// referrers, the manifest's annotations), plus the tag annotation when given.
    fn index_descriptor(manifest: &Manifest, tag: Option<&str>) -> Descriptor {
        let mut descriptor = manifest.descriptor();
        let mut annotations: BTreeMap<String, String> = BTreeMap::new();
        if let Ok(value) = serde_json::from_slice::<serde_json::Value>(&manifest.bytes) {
            let artifact_type = value
                .get("artifactType")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let has_subject = value.get("subject").is_some_and(|s| !s.is_null());
            let config_type = value
                .pointer("/config/mediaType")
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let effective = artifact_type.or(if has_subject { config_type } else { None });
            if let Some(t) = effective {
                descriptor.set_artifact_type(Some(MediaType::from(t.as_str())));
            }
            if has_subject && let Some(map) = value.get("annotations").and_then(|a| a.as_object()) {
                for (k, v) in map {
                    if let Some(v) = v.as_str() {
                        annotations.insert(k.clone(), v.to_owned());
                    }
                }
            }
        }
        if let Some(tag) = tag {
            annotations.insert(media_types::ANNOTATION_REF_NAME.to_owned(), tag.to_owned());
        } else {
            annotations.remove(media_types::ANNOTATION_REF_NAME);
        }
        if !annotations.is_empty() {
            descriptor.set_annotations(Some(annotations.into_iter().collect()));
        }
        descriptor
    }

    /// Removes blobs not reachable from `index.json` (manifests, their configs and layers,
    /// index children, recursively) and stale temporary files, when older than `min_age` (so
    /// a concurrent writer's blobs, uploaded before its manifest, are not taken).
    pub async fn gc(&self, min_age: Duration) -> Result<GcReport> {
        // Mark: walk from the index entries.
        let mut reachable: BTreeSet<Digest> = BTreeSet::new();
        let mut pending: Vec<Descriptor> = self.entries().await?;
        while let Some(descriptor) = pending.pop() {
            let digest = Digest::of(&descriptor)?;
            if !reachable.insert(digest) {
                continue;
            }
            let media_type = descriptor.media_type().to_string();
            if media_types::is_index(&media_type) || media_types::is_manifest(&media_type) {
                if !self.has_blob(&digest).await? {
                    continue;
                }
                let manifest = self.get_manifest(&digest).await?;
                pending.extend(manifest.children()?);
            }
        }
        let root = self.root.clone();
        blocking(move || {
            let _lock = Self::lock(&root)?;
            // Re-read under the lock: entries added meanwhile keep their manifest blobs.
            for d in Self::read_index_at(&root)?.manifests {
                reachable.insert(Digest::of(&d)?);
            }
            let dir = root.join("blobs").join("sha256");
            let now = SystemTime::now();
            let mut report = GcReport::default();
            let entries = std::fs::read_dir(&dir).map_err(|e| Error::io("listing", &dir, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("listing", &dir, e))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let meta = entry
                    .metadata()
                    .map_err(|e| Error::io("inspecting", entry.path(), e))?;
                let age = meta
                    .modified()
                    .ok()
                    .and_then(|m| now.duration_since(m).ok())
                    .unwrap_or_default();
                if age < min_age {
                    continue;
                }
                if name.starts_with(TMP_PREFIX) {
                    std::fs::remove_file(entry.path())
                        .map_err(|e| Error::io("removing", entry.path(), e))?;
                    report.temp_files_removed += 1;
                    continue;
                }
                let Ok(digest) = Digest::parse(&format!("sha256:{name}")) else {
                    continue;
                };
                if !reachable.contains(&digest) {
                    std::fs::remove_file(entry.path())
                        .map_err(|e| Error::io("removing", entry.path(), e))?;
                    report.bytes_freed += meta.len();
                    report.blobs_removed.push(digest);
                }
            }
            // Stale temporary index.json files (a writer died between create and rename).
            let entries = std::fs::read_dir(&root).map_err(|e| Error::io("listing", &root, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| Error::io("listing", &root, e))?;
                if !entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                    continue;
                }
                let old_enough = entry
                    .metadata()
                    .ok()
                    .and_then(|m| m.modified().ok())
                    .and_then(|m| now.duration_since(m).ok())
                    .is_some_and(|age| age >= min_age);
                if old_enough {
                    std::fs::remove_file(entry.path())
                        .map_err(|e| Error::io("removing", entry.path(), e))?;
                    report.temp_files_removed += 1;
                }
            }
            report.blobs_removed.sort();
            Ok(report)
        })
        .await
    }
}

fn descriptors_equal(a: &[Descriptor], b: &[Descriptor]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// A descriptor as a resolve result: the index entry without the tag annotation.
fn clean(mut descriptor: Descriptor) -> Descriptor {
    if let Some(mut annotations) = descriptor.annotations().clone() {
        annotations.remove(media_types::ANNOTATION_REF_NAME);
        descriptor.set_annotations(if annotations.is_empty() {
            None
        } else {
            Some(annotations)
        });
    }
    descriptor
}

#[async_trait::async_trait]
impl Store for LayoutStore {
    async fn resolve(&self, reference: &str) -> Result<Descriptor> {
        let entries = self.entries().await?;
        if reference.starts_with("sha256:") {
            let digest = Digest::parse(reference)?;
            if let Some(d) = entries.iter().find(|d| digest_matches(d, &digest)) {
                return Ok(clean(d.clone()));
            }
            // Not listed (e.g. a child of an index): look at the blob itself.
            let manifest = self.get_manifest(&digest).await?;
            return Ok(manifest.descriptor());
        }
        validate_tag(reference).map_err(|reason| Error::InvalidReference {
            input: reference.to_owned(),
            reason: format!("tag: {reason}"),
        })?;
        entries
            .iter()
            .rev()
            .find(|d| tag_of(d) == Some(reference))
            .map(|d| clean(d.clone()))
            .ok_or_else(|| Error::NotFound {
                what: format!("tag `{reference}`"),
                location: self.location().to_string(),
            })
    }

    async fn get_manifest(&self, digest: &Digest) -> Result<Manifest> {
        let bytes = self
            .read_blob_capped(digest, MAX_MANIFEST_SIZE, &format!("manifest {digest}"))
            .await
            .map_err(|e| match e {
                Error::NotFound { location, .. } => Error::NotFound {
                    what: format!("manifest {digest}"),
                    location,
                },
                other => other,
            })?;
        let listed = self
            .entries()
            .await?
            .into_iter()
            .find(|d| digest_matches(d, digest))
            .map(|d| d.media_type().to_string());
        match listed {
            Some(media_type) => Ok(Manifest::new(media_type, bytes)),
            None => Manifest::detect(bytes),
        }
    }

    async fn put_manifest(&self, manifest: &Manifest, tag: Option<&str>) -> Result<Digest> {
        if let Some(tag) = tag {
            validate_tag(tag).map_err(|reason| Error::InvalidReference {
                input: tag.to_owned(),
                reason: format!("tag: {reason}"),
            })?;
        }
        if manifest.bytes.len() as u64 > MAX_MANIFEST_SIZE {
            return Err(Error::TooLarge {
                what: format!("manifest {}", manifest.digest()),
                limit: MAX_MANIFEST_SIZE,
            });
        }
        let digest = self.put_blob_bytes(manifest.bytes.clone()).await?;
        let descriptor = Self::index_descriptor(manifest, tag);
        let tag = tag.map(str::to_owned);
        let d = digest;
        self.update_index(move |entries| {
            match &tag {
                Some(tag) => {
                    // The tag moves here; an untagged entry for this digest becomes redundant.
                    entries.retain(|e| {
                        tag_of(e) != Some(tag.as_str())
                            && !(tag_of(e).is_none() && digest_matches(e, &d))
                    });
                    entries.push(descriptor);
                }
                None => {
                    if !entries.iter().any(|e| digest_matches(e, &d)) {
                        entries.push(descriptor);
                    }
                }
            }
            Ok(())
        })
        .await?;
        Ok(digest)
    }

    async fn has_blob(&self, digest: &Digest) -> Result<bool> {
        let path = self.blob_path(digest);
        match tokio::fs::metadata(&path).await {
            Ok(m) => Ok(m.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io("inspecting", path, e)),
        }
    }

    async fn get_blob(&self, digest: &Digest) -> Result<BlobReader> {
        let path = self.blob_path(digest);
        let file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NotFound {
                    what: format!("blob {digest}"),
                    location: self.location().to_string(),
                });
            }
            Err(e) => return Err(Error::io("opening", path, e)),
        };
        let size = file
            .metadata()
            .await
            .map_err(|e| Error::io("inspecting", &path, e))?
            .len();
        let what = format!("blob {digest} in {}", self.location());
        Ok(Box::pin(VerifyingReader::new(
            BufReader::with_capacity(256 * 1024, file),
            *digest,
            size,
            what,
        )))
    }

    async fn put_blob(&self, digest: &Digest, size: u64, data: BlobReader) -> Result<()> {
        let path = self.blob_path(digest);
        if let Ok(meta) = tokio::fs::metadata(&path).await
            && meta.is_file()
            && meta.len() == size
        {
            // Content-addressed and verified when written: already here. Refresh its mtime so
            // a concurrent `gc` (which spares young blobs) keeps it until our manifest lands.
            let touch = path.clone();
            let _ = blocking(move || {
                std::fs::OpenOptions::new()
                    .append(true)
                    .open(&touch)
                    .and_then(|f| f.set_modified(SystemTime::now()))
                    .map_err(|e| Error::io("touching", &touch, e))
            })
            .await;
            return Ok(());
        }
        let dir = self.root.join("blobs").join("sha256");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::io("creating", &dir, e))?;
        let tmp = temp_path(&dir, &digest.hex());
        let what = format!("blob {digest} written to {}", self.location());
        let result = async {
            let file = tokio::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&tmp)
                .await
                .map_err(|e| Error::io("creating", &tmp, e))?;
            let mut reader = BufReader::with_capacity(
                1024 * 1024,
                VerifyingReader::new(data, *digest, size, what.clone()),
            );
            let mut writer = tokio::io::BufWriter::with_capacity(1024 * 1024, file);
            tokio::io::copy_buf(&mut reader, &mut writer)
                .await
                .map_err(|e| stream_error(&what, e))?;
            writer
                .flush()
                .await
                .map_err(|e| Error::io("writing", &tmp, e))?;
            let file = writer.into_inner();
            file.sync_all()
                .await
                .map_err(|e| Error::io("syncing", &tmp, e))?;
            drop(file);
            tokio::fs::rename(&tmp, &path)
                .await
                .map_err(|e| Error::io("renaming into place", &path, e))?;
            let d = dir.clone();
            blocking(move || sync_dir(&d)).await
        }
        .await;
        if result.is_err() {
            let _ = tokio::fs::remove_file(&tmp).await;
        }
        result
    }

    async fn list_tags(&self) -> Result<Vec<String>> {
        let tags: BTreeSet<String> = self
            .entries()
            .await?
            .iter()
            .filter_map(|d| tag_of(d).map(str::to_owned))
            .collect();
        Ok(tags.into_iter().collect())
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        let mut found: BTreeMap<Digest, Descriptor> = BTreeMap::new();
        for entry in self.entries().await? {
            let digest = Digest::of(&entry)?;
            if found.contains_key(&digest) || !self.has_blob(&digest).await? {
                continue;
            }
            let manifest = self.get_manifest(&digest).await?;
            let Ok(Some(s)) = manifest.subject() else {
                continue;
            };
            if s.digest().as_ref() != subject.to_string() {
                continue;
            }
            let descriptor = clean(Self::index_descriptor(&manifest, None));
            if let Some(wanted) = artifact_type
                && descriptor
                    .artifact_type()
                    .as_ref()
                    .map(ToString::to_string)
                    .as_deref()
                    != Some(wanted)
            {
                continue;
            }
            found.insert(digest, descriptor);
        }
        Ok(found.into_values().collect())
    }

    async fn delete_manifest(&self, digest: &Digest) -> Result<()> {
        let d = *digest;
        let removed = self
            .update_index(move |entries| {
                let before = entries.len();
                entries.retain(|e| !digest_matches(e, &d));
                Ok(before - entries.len())
            })
            .await?;
        if removed == 0 {
            return Err(Error::NotFound {
                what: format!("manifest {digest}"),
                location: self.location().to_string(),
            });
        }
        Ok(())
    }

    fn location(&self) -> StoreLocation {
        StoreLocation::Layout {
            path: self.root.clone(),
        }
    }
}
