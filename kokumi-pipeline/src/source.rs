//! Where an Order's chart or bundle comes from, and fetching it.
//!
//! An Order's `spec.source.oci` is normally `oci://HOST/REPO` with `spec.source.version` the tag.
//! So that people can work without a registry, the pipeline also accepts
//!
//! - `oci-layout:PATH` (an OCI image layout on disk; the version is the tag), or
//!   `oci-layout:PATH:TAG` / `oci-layout:PATH@sha256:…` (the reference wins over `version`);
//! - a chart directory (it holds `Chart.yaml`), a chart archive (`.tgz`, `.tar.gz`);
//! - a manifest file (`.yaml`, `.yml`, `.json`) or a directory of manifest files;
//!
//! written as a path (optionally prefixed `file:`), relative to the Order's own file when it was
//! applied from one. [`SourceLocation::parse`] decides which; [`Sources::resolve`] fetches and
//! identifies the content by digest (a manifest digest for OCI sources, a digest of the bytes
//! for local ones), which the config hash covers.
//!
//! It does not render; it hands [`SourceContent`] to the render stage.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kokumi_core::digest::Digest;
use kokumi_oci::registry::Registries;

use crate::error::{BoxError, Error, Result};
use crate::source_cache::SourceCache;

/// Where a source lives, as parsed from an Order.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceLocation {
    /// A repository in a registry, and the tag or digest to fetch.
    Registry {
        /// `oci://HOST/REPO`.
        repository: String,
        /// A tag, or `sha256:…`.
        reference: String,
    },
    /// An OCI image layout on disk, and the tag or digest to fetch.
    Layout {
        /// The layout directory.
        path: PathBuf,
        /// A tag, or `sha256:…`.
        reference: String,
    },
    /// A Helm chart directory (holds `Chart.yaml`).
    ChartDir(PathBuf),
    /// A Helm chart archive (`.tgz`).
    ChartArchive(PathBuf),
    /// One manifest file.
    ManifestFile(PathBuf),
    /// A directory of manifest files (`*.yaml`, `*.yml`, `*.json`, not recursive).
    ManifestDir(PathBuf),
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry {
                repository,
                reference,
            } => {
                if reference.starts_with("sha256:") {
                    write!(f, "{repository}@{reference}")
                } else {
                    write!(f, "{repository}:{reference}")
                }
            }
            Self::Layout { path, reference } => {
                let sep = if reference.starts_with("sha256:") {
                    '@'
                } else {
                    ':'
                };
                write!(f, "oci-layout:{}{sep}{reference}", path.display())
            }
            Self::ChartDir(p)
            | Self::ChartArchive(p)
            | Self::ManifestFile(p)
            | Self::ManifestDir(p) => {
                write!(f, "{}", p.display())
            }
        }
    }
}

impl SourceLocation {
    /// Parses an Order's `source.oci` and `source.version`. Relative paths are taken relative to
    /// `base_dir` (the directory of the Order's file) when given.
    pub fn parse(oci: &str, version: &str, base_dir: Option<&Path>) -> Result<Self> {
        let invalid = |reason: String| Error::SourceInvalid {
            source_ref: oci.to_owned(),
            reason,
        };
        if oci.starts_with("oci://") {
            let reference =
                kokumi_oci::Reference::parse(oci).map_err(|e| invalid(e.to_string()))?;
            let reference_text = match &reference.target {
                Some(target) => target.to_string(),
                None if version.is_empty() => {
                    return Err(invalid("no tag: set spec.source.version".into()));
                }
                None => version.to_owned(),
            };
            return Ok(Self::Registry {
                repository: reference.location.to_string(),
                reference: reference_text,
            });
        }
        if oci.starts_with("oci-layout:") {
            let reference =
                kokumi_oci::Reference::parse(oci).map_err(|e| invalid(e.to_string()))?;
            let kokumi_oci::StoreLocation::Layout { path } = &reference.location else {
                return Err(invalid("expected oci-layout:PATH[:TAG]".into()));
            };
            let reference_text = match &reference.target {
                Some(target) => target.to_string(),
                None if version.is_empty() => {
                    return Err(invalid("no tag: set spec.source.version".into()));
                }
                None => version.to_owned(),
            };
            return Ok(Self::Layout {
                path: absolutise(path, base_dir),
                reference: reference_text,
            });
        }
        let raw = oci.strip_prefix("file:").unwrap_or(oci);
        if raw.is_empty() || raw.contains("://") {
            return Err(invalid(
                "expected oci://HOST/REPO, oci-layout:PATH[:TAG], or a local chart or manifest path"
                    .into(),
            ));
        }
        let path = absolutise(Path::new(raw), base_dir);
        let meta = fs::metadata(&path).map_err(|e| Error::SourceUnavailable {
            source_ref: oci.to_owned(),
            source: Box::new(LocalError(format!("{}: {e}", path.display()))),
        })?;
        if meta.is_dir() {
            if path.join("Chart.yaml").is_file() {
                Ok(Self::ChartDir(path))
            } else {
                Ok(Self::ManifestDir(path))
            }
        } else {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
                Ok(Self::ChartArchive(path))
            } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
                Ok(Self::ManifestFile(path))
            } else {
                Err(invalid(format!(
                    "{} is neither a chart (.tgz) nor a manifest file (.yaml, .yml, .json)",
                    path.display()
                )))
            }
        }
    }

    /// Whether the source is a Helm chart (as opposed to a manifest bundle), when that is known
    /// without fetching it.
    pub fn is_local(&self) -> bool {
        !matches!(self, Self::Registry { .. } | Self::Layout { .. })
    }
}

fn absolutise(path: &Path, base_dir: Option<&Path>) -> PathBuf {
    match base_dir {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    }
}

/// A plain message used as an error source.
#[derive(Debug)]
pub(crate) struct LocalError(pub(crate) String);

impl fmt::Display for LocalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LocalError {}

/// A chart, as the renderer takes it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChartInput {
    /// A chart directory on disk.
    Dir(PathBuf),
    /// The bytes of a chart archive (`.tgz`).
    Archive(Vec<u8>),
}

/// What a source holds.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceContent {
    /// A Helm chart, to be rendered.
    Chart(ChartInput),
    /// Manifest files (relative path → bytes), used as they are.
    Bundle(BTreeMap<String, Vec<u8>>),
}

/// A fetched source: where it came from, its identity, and its content.
#[derive(Clone, Debug)]
pub struct FetchedSource {
    /// Where it came from.
    pub location: SourceLocation,
    /// Its digest: the manifest digest of an OCI source, the digest of the bytes of a local one.
    pub digest: Digest,
    /// What it holds.
    pub content: SourceContent,
}

/// Largest single file read from a local source (like Helm's per-file cap).
pub const MAX_LOCAL_FILE: u64 = 5 * 1024 * 1024;

/// Largest chart archive or bundle layer read from a store.
pub const MAX_SOURCE_BLOB: u64 = 100 * 1024 * 1024;

/// Reads the files of a chart directory, sorted, relative, skipping nothing but VCS metadata.
fn read_tree(root: &Path) -> std::io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let file_type = entry.file_type()?;
            let name = entry.file_name();
            if name == ".git" {
                continue;
            }
            if file_type.is_dir() {
                stack.push(path);
            } else if file_type.is_file() {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                out.insert(rel, read_capped(&path)?);
            }
        }
    }
    Ok(out)
}

fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let len = fs::metadata(path)?.len();
    if len > MAX_LOCAL_FILE {
        return Err(std::io::Error::other(format!(
            "{} is {len} bytes, more than the {MAX_LOCAL_FILE} allowed",
            path.display()
        )));
    }
    fs::read(path)
}

/// The digest of a set of files: their sorted paths, sizes and bytes.
pub fn digest_of_files(files: &BTreeMap<String, Vec<u8>>) -> Digest {
    let mut bytes = b"kokumi.files.v1\n".to_vec();
    for (path, content) in files {
        bytes.extend_from_slice(path.as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(content.len().to_string().as_bytes());
        bytes.push(0);
        bytes.extend_from_slice(content);
    }
    Digest::of_bytes(&bytes)
}

/// Fetches sources: local paths directly, OCI sources through `kokumi-oci` stores.
///
/// Registry credentials and transport flags come from one place: either a single
/// [`RegistryConfig`](kokumi_oci::registry::RegistryConfig) for every host ([`Sources::new`]),
/// or a [`Registries`] that knows them per host ([`Sources::with_registries`]) — the CLI fills
/// it from the user's docker `config.json`, the operator from the `kubernetes.io/dockerconfigjson`
/// Secret of the Order's Pantry. A `Registries` also keeps one connection pool per host across
/// fetches.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    registry: kokumi_oci::registry::RegistryConfig,
    registries: Option<Arc<Registries>>,
    cache: Option<Arc<SourceCache>>,
}

impl Sources {
    /// Fetches registries with `registry` (transport, credentials, timeouts).
    pub fn new(registry: kokumi_oci::registry::RegistryConfig) -> Self {
        Self {
            registry,
            registries: None,
            cache: None,
        }
    }

    /// Fetches registries through `registries`: per-host credentials and transport flags, one
    /// connection pool per host.
    pub fn with_registries(registries: Arc<Registries>) -> Self {
        Self {
            registry: kokumi_oci::registry::RegistryConfig::default(),
            registries: Some(registries),
            cache: None,
        }
    }

    /// Keeps what is read from OCI stores (registries, layouts) in `cache`: each fetch still
    /// resolves the tag or digest in the store, but a digest read before is not read again (see
    /// [`crate::source_cache`]).
    #[must_use]
    pub fn with_cache(mut self, cache: Arc<SourceCache>) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The source cache, when set with [`Sources::with_cache`].
    pub fn cache(&self) -> Option<&Arc<SourceCache>> {
        self.cache.as_ref()
    }

    async fn fetch_from(
        &self,
        store: &dyn kokumi_oci::Store,
        reference: &str,
    ) -> std::result::Result<(Digest, SourceContent), BoxError> {
        match &self.cache {
            Some(cache) => crate::oci_source::fetch_cached(store, reference, cache).await,
            None => crate::oci_source::fetch(store, reference).await,
        }
    }

    /// The per-host registry settings, when set with [`Sources::with_registries`].
    pub fn registries(&self) -> Option<&Arc<Registries>> {
        self.registries.as_ref()
    }

    /// A store for the registry repository `repository` (`oci://HOST/REPO`), with the
    /// credentials and transport flags these sources use for its host.
    pub fn registry_store(
        &self,
        repository: &str,
    ) -> std::result::Result<kokumi_oci::registry::RegistryStore, BoxError> {
        let parsed = kokumi_oci::Reference::parse(repository)?;
        let store = match &self.registries {
            Some(registries) => registries.store_for(&parsed.location)?,
            None => kokumi_oci::registry::RegistryStore::from_location(
                &parsed.location,
                self.registry.clone(),
            )?,
        };
        Ok(store)
    }

    /// Fetches the source and computes its digest.
    pub async fn fetch(&self, location: &SourceLocation) -> Result<FetchedSource> {
        let unavailable = |e: BoxError| Error::SourceUnavailable {
            source_ref: location.to_string(),
            source: e,
        };
        let local_io = |p: &Path, e: std::io::Error| {
            unavailable(Box::new(LocalError(format!("{}: {e}", p.display()))))
        };
        let (digest, content) = match location {
            SourceLocation::ChartDir(path) => {
                let files = read_tree(path).map_err(|e| local_io(path, e))?;
                (
                    digest_of_files(&files),
                    SourceContent::Chart(ChartInput::Dir(path.clone())),
                )
            }
            SourceLocation::ChartArchive(path) => {
                let bytes = fs::read(path).map_err(|e| local_io(path, e))?;
                (
                    Digest::of_bytes(&bytes),
                    SourceContent::Chart(ChartInput::Archive(bytes)),
                )
            }
            SourceLocation::ManifestFile(path) => {
                let bytes = read_capped(path).map_err(|e| local_io(path, e))?;
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "manifest.yaml".into());
                let files = BTreeMap::from([(name, bytes)]);
                (digest_of_files(&files), SourceContent::Bundle(files))
            }
            SourceLocation::ManifestDir(path) => {
                let mut files = BTreeMap::new();
                let entries = fs::read_dir(path).map_err(|e| local_io(path, e))?;
                for entry in entries {
                    let entry = entry.map_err(|e| local_io(path, e))?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    let lower = name.to_ascii_lowercase();
                    let is_manifest = lower.ends_with(".yaml")
                        || lower.ends_with(".yml")
                        || lower.ends_with(".json");
                    if is_manifest && entry.path().is_file() {
                        let bytes = read_capped(&entry.path()).map_err(|e| local_io(path, e))?;
                        files.insert(name, bytes);
                    }
                }
                if files.is_empty() {
                    return Err(Error::SourceInvalid {
                        source_ref: location.to_string(),
                        reason: "the directory holds no Chart.yaml and no manifest files".into(),
                    });
                }
                (digest_of_files(&files), SourceContent::Bundle(files))
            }
            SourceLocation::Registry {
                repository,
                reference,
            } => {
                let store = self.registry_store(repository).map_err(unavailable)?;
                self.fetch_from(&store, reference)
                    .await
                    .map_err(unavailable)?
            }
            SourceLocation::Layout { path, reference } => {
                let store = crate::oci_source::open_layout(path)
                    .await
                    .map_err(unavailable)?;
                self.fetch_from(&store, reference)
                    .await
                    .map_err(unavailable)?
            }
        };
        Ok(FetchedSource {
            location: location.clone(),
            digest,
            content,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_registry_and_layout_references() {
        let loc =
            SourceLocation::parse("oci://ghcr.io/stefanprodan/charts/podinfo", "6.14.1", None)
                .unwrap();
        assert_eq!(
            loc,
            SourceLocation::Registry {
                repository: "oci://ghcr.io/stefanprodan/charts/podinfo".into(),
                reference: "6.14.1".into()
            }
        );
        assert_eq!(
            loc.to_string(),
            "oci://ghcr.io/stefanprodan/charts/podinfo:6.14.1"
        );
        let loc = SourceLocation::parse("oci-layout:charts:v1", "ignored", Some(Path::new("/b")))
            .unwrap();
        assert_eq!(
            loc,
            SourceLocation::Layout {
                path: PathBuf::from("/b/charts"),
                reference: "v1".into()
            }
        );
        assert!(SourceLocation::parse("https://example.com/x", "1", None).is_err());
        assert!(SourceLocation::parse("oci://host", "1", None).is_err());
    }

    #[test]
    fn local_paths_are_classified() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("chart");
        fs::create_dir(&chart).unwrap();
        fs::write(chart.join("Chart.yaml"), "name: x\n").unwrap();
        let bundle = dir.path().join("bundle");
        fs::create_dir(&bundle).unwrap();
        fs::write(dir.path().join("m.yaml"), "kind: ConfigMap\n").unwrap();
        fs::write(dir.path().join("c.tgz"), b"x").unwrap();
        let base = Some(dir.path());
        assert_eq!(
            SourceLocation::parse("chart", "1", base).unwrap(),
            SourceLocation::ChartDir(chart)
        );
        assert_eq!(
            SourceLocation::parse("file:bundle", "1", base).unwrap(),
            SourceLocation::ManifestDir(bundle)
        );
        assert!(matches!(
            SourceLocation::parse("m.yaml", "1", base).unwrap(),
            SourceLocation::ManifestFile(_)
        ));
        assert!(matches!(
            SourceLocation::parse("c.tgz", "1", base).unwrap(),
            SourceLocation::ChartArchive(_)
        ));
        let missing = SourceLocation::parse("nope", "1", base).unwrap_err();
        assert!(
            matches!(missing, Error::SourceUnavailable { .. }),
            "{missing}"
        );
    }

    #[test]
    fn file_digest_depends_on_names_and_bytes() {
        let a = BTreeMap::from([("a.yaml".to_owned(), b"x".to_vec())]);
        let b = BTreeMap::from([("b.yaml".to_owned(), b"x".to_vec())]);
        let c = BTreeMap::from([("a.yaml".to_owned(), b"y".to_vec())]);
        assert_ne!(digest_of_files(&a), digest_of_files(&b));
        assert_ne!(digest_of_files(&a), digest_of_files(&c));
        assert_eq!(digest_of_files(&a), digest_of_files(&a.clone()));
    }
}
