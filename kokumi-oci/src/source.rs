//! Sources in OCI: Helm charts and manifest bundles, read from any [`Store`]; and Helm-chart
//! artifacts built the way `helm push` builds them, so tests and tools can publish charts.
//!
//! - **Helm chart**: config `application/vnd.cncf.helm.config.v1+json`, one content layer
//!   `application/vnd.cncf.helm.chart.content.v1.tar+gzip` (or the legacy `application/tar+gzip`
//!   of Helm 3.0–3.7), optionally a provenance layer. [`fetch`] returns the chart `.tgz` bytes
//!   (what the renderer loads), after checking the archive is safe within the limits.
//! - **Manifest bundle**: one or more tar or tar+gzip layers (OCI, Docker or Flux
//!   `application/vnd.cncf.flux.content.v1.tar+gzip` types) holding `manifest.yaml` or several
//!   YAML files; [`fetch`] returns the files. Kokumi Preparations are bundles too.
//!
//! These functions do not render anything and never touch the network themselves: they work
//! through the [`Store`] they are given, whose reads are digest-verified.
//!
//! ```
//! use kokumi_oci::source::{classify, SourceKind};
//! let manifest: oci_spec::image::ImageManifest = serde_json::from_str(r#"{
//!   "schemaVersion": 2,
//!   "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json",
//!              "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size": 0},
//!   "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
//!               "digest": "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "size": 0}]
//! }"#).unwrap();
//! assert_eq!(classify(&manifest).unwrap().0, SourceKind::HelmChart);
//! ```

use std::collections::BTreeMap;

use oci_spec::image::{Descriptor, ImageManifest};
use serde_json::{Value, json};

use crate::artifact::Blob;
use crate::error::{Error, Result};
use crate::extract::{ArchiveFile, Compression, Limits, read_archive, read_blob_archive};
use crate::media_types as mt;
use crate::store::{Digest, DigestExt, Manifest, Store, read_capped};

/// What kind of source an artifact is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceKind {
    /// A Helm chart (`helm push` layout).
    HelmChart,
    /// A bundle of manifests in tar layers.
    Bundle,
}

/// A source read from a store.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Source {
    /// A Helm chart.
    HelmChart(HelmChart),
    /// A manifest bundle: its files, in layer then archive order.
    Bundle(Vec<ArchiveFile>),
}

/// A Helm chart read from a store.
#[derive(Clone, PartialEq)]
#[non_exhaustive]
pub struct HelmChart {
    /// The chart archive (`.tgz`), byte for byte as pushed.
    pub archive: Vec<u8>,
    /// The chart name (from Chart.yaml inside the archive).
    pub name: String,
    /// The chart version.
    pub version: String,
    /// The config blob as JSON (helm's copy of Chart.yaml).
    pub config: Value,
    /// The provenance file, when the artifact has one.
    pub provenance: Option<Vec<u8>>,
}

impl std::fmt::Debug for HelmChart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HelmChart")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("archive_len", &self.archive.len())
            .field("provenance", &self.provenance.is_some())
            .finish()
    }
}

/// A source together with the manifest it came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct FetchedSource {
    /// The manifest digest (what an Order pins).
    pub digest: Digest,
    /// The manifest's annotations.
    pub annotations: BTreeMap<String, String>,
    /// The content.
    pub source: Source,
}

fn is_bundle_layer(media_type: &str) -> bool {
    matches!(
        media_type,
        mt::OCI_LAYER_TAR
            | mt::OCI_LAYER_TAR_GZIP
            | mt::DOCKER_LAYER_TAR_GZIP
            | mt::FLUX_CONTENT
            | "application/vnd.docker.image.rootfs.diff.tar"
    )
}

/// Decides what an image manifest holds and returns the content layers to read.
///
/// A Helm config, or a Helm chart content layer, makes a chart (its one chart layer is
/// returned); otherwise every layer must be a tar/tar+gzip content type and the artifact is a
/// bundle. Anything else is [`Error::UnsupportedArtifact`], naming the media types found.
pub fn classify(manifest: &ImageManifest) -> Result<(SourceKind, Vec<Descriptor>)> {
    let config_type = manifest.config().media_type().to_string();
    let layer_types: Vec<String> = manifest
        .layers()
        .iter()
        .map(|l| l.media_type().to_string())
        .collect();
    let chart_layers: Vec<Descriptor> = manifest
        .layers()
        .iter()
        .filter(|l| {
            let t = l.media_type().to_string();
            t == mt::HELM_CHART_CONTENT
                || (config_type == mt::HELM_CONFIG && t == mt::HELM_CHART_LEGACY)
        })
        .cloned()
        .collect();
    if config_type == mt::HELM_CONFIG || !chart_layers.is_empty() {
        return match chart_layers.as_slice() {
            [one] => Ok((SourceKind::HelmChart, vec![one.clone()])),
            [] => Err(Error::UnsupportedArtifact {
                reason: format!(
                    "Helm chart config but no chart content layer (layers: {})",
                    layer_types.join(", ")
                ),
            }),
            more => Err(Error::UnsupportedArtifact {
                reason: format!("{} chart content layers; a chart has one", more.len()),
            }),
        };
    }
    if manifest.layers().is_empty() {
        return Err(Error::UnsupportedArtifact {
            reason: format!("no layers (config {config_type})"),
        });
    }
    if let Some(bad) = layer_types.iter().find(|t| !is_bundle_layer(t)) {
        return Err(Error::UnsupportedArtifact {
            reason: format!(
                "layer media type {bad} is neither a Helm chart nor a tar/tar+gzip manifest bundle (config {config_type})"
            ),
        });
    }
    Ok((SourceKind::Bundle, manifest.layers().clone()))
}

/// Fetches the source at `reference` (tag or digest) from `store` and reads it within
/// `limits` (layer count, extracted size, entries).
pub async fn fetch(store: &dyn Store, reference: &str, limits: &Limits) -> Result<FetchedSource> {
    let (_, manifest) = store.fetch_manifest(reference).await?;
    let digest = manifest.digest();
    let what = format!("{reference} ({digest}) in {}", store.location());
    if manifest.is_index() {
        return Err(Error::UnsupportedArtifact {
            reason: format!("{what} is an image index; name one of its manifests by digest"),
        });
    }
    let image = manifest.image()?;
    limits.check_layers(image.layers().len(), &what)?;
    let (kind, layers) = classify(&image)?;
    let annotations: BTreeMap<String, String> = image
        .annotations()
        .clone()
        .map(|a| a.into_iter().collect())
        .unwrap_or_default();
    let source = match kind {
        SourceKind::HelmChart => {
            let layer = Digest::of(&layers[0])?;
            let archive = read_capped(
                store.get_blob(&layer).await?,
                limits.max_extracted_size,
                &format!("chart layer {layer} of {what}"),
            )
            .await?;
            let config_digest = Digest::of(image.config())?;
            let config_bytes = read_capped(
                store.get_blob(&config_digest).await?,
                crate::artifact::MAX_CONFIG_SIZE,
                &format!("config {config_digest} of {what}"),
            )
            .await?;
            let config: Value = if config_bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&config_bytes).map_err(|source| Error::Json {
                    what: format!("Helm config {config_digest} of {what}"),
                    source,
                })?
            };
            let provenance = match image
                .layers()
                .iter()
                .find(|l| l.media_type().to_string() == mt::HELM_PROVENANCE)
            {
                Some(p) => {
                    let d = Digest::of(p)?;
                    Some(
                        read_capped(
                            store.get_blob(&d).await?,
                            1 << 20,
                            &format!("provenance {d}"),
                        )
                        .await?,
                    )
                }
                None => None,
            };
            let limits = *limits;
            let (archive, metadata) = tokio::task::spawn_blocking(move || {
                let metadata = chart_metadata(&archive, &limits)?;
                Ok::<_, Error>((archive, metadata))
            })
            .await
            .map_err(|e| Error::Stream {
                what: format!("reading chart of {what}"),
                source: std::io::Error::other(e.to_string()),
            })??;
            Source::HelmChart(HelmChart {
                archive,
                name: metadata.name,
                version: metadata.version,
                config,
                provenance,
            })
        }
        SourceKind::Bundle => {
            let mut budget = limits.budget();
            let mut files: Vec<ArchiveFile> = Vec::new();
            for layer in &layers {
                let (more, spent) = read_blob_archive(
                    store,
                    &Digest::of(layer)?,
                    Compression::for_media_type(layer.media_type().as_ref()),
                    budget,
                )
                .await?;
                budget = spent;
                for file in more {
                    if files.iter().any(|f| f.path == file.path) {
                        return Err(Error::UnsafeEntry {
                            entry: file.path,
                            reason: "the path appears in two layers".into(),
                        });
                    }
                    files.push(file);
                }
            }
            if !files
                .iter()
                .any(|f| f.path.ends_with(".yaml") || f.path.ends_with(".yml"))
            {
                return Err(Error::UnsupportedArtifact {
                    reason: format!("{what} is a bundle without any .yaml or .yml file"),
                });
            }
            Source::Bundle(files)
        }
    };
    Ok(FetchedSource {
        digest,
        annotations,
        source,
    })
}

/// `Chart.yaml` is modelled once, in kokumi-core (Helm's field order, so the `helm push` config
/// blob serialises byte for byte like Helm's); these are its names here.
pub use kokumi_core::chart::{ChartMetadata, Dependency as ChartDependency, Maintainer};

/// Reads `Chart.yaml` (at `<chart>/Chart.yaml`, the top directory of the archive) out of a
/// chart `.tgz`, safely and within `limits`, and checks name, version and apiVersion.
pub fn chart_metadata(archive: &[u8], limits: &Limits) -> Result<ChartMetadata> {
    let files = read_archive(archive, Compression::Gzip, &mut limits.budget())?;
    let chart_yaml = files
        .iter()
        .filter(|f| {
            let mut parts = f.path.split('/');
            matches!(
                (parts.next(), parts.next(), parts.next()),
                (Some(_), Some("Chart.yaml"), None)
            )
        })
        .min_by_key(|f| f.path.len())
        .ok_or_else(|| Error::Invalid {
            what: "chart archive".into(),
            reason: "no <chart>/Chart.yaml at the top of the archive".into(),
        })?;
    let metadata: ChartMetadata =
        serde_norway::from_slice(&chart_yaml.bytes).map_err(|e| Error::Invalid {
            what: format!("{} in the chart archive", chart_yaml.path),
            reason: e.to_string(),
        })?;
    let bad = |reason: &str| Error::Invalid {
        what: format!("{} in the chart archive", chart_yaml.path),
        reason: reason.to_owned(),
    };
    if metadata.api_version.is_empty() {
        return Err(bad("apiVersion is required"));
    }
    if metadata.name.is_empty() {
        return Err(bad("name is required"));
    }
    if metadata.name.contains('/') || metadata.name.contains('\\') {
        return Err(bad("name must not contain a path separator"));
    }
    if metadata.version.is_empty() {
        return Err(bad("version is required"));
    }
    Ok(metadata)
}

/// Go's `encoding/json` escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings; those
/// characters can only occur inside strings in JSON text, so replacing them is exact.
fn go_json_escape(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

/// Options for [`helm_chart_artifact`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HelmPushOptions {
    /// `org.opencontainers.image.created`. `helm push` always writes the current time; we
    /// write it only when given, so pushing the same chart twice gives the same digest.
    pub created: Option<String>,
    /// A provenance file (`.prov`) to attach as a layer.
    pub provenance: Option<Vec<u8>>,
}

impl HelmPushOptions {
    /// Sets `org.opencontainers.image.created`.
    pub fn with_created(mut self, created: impl Into<String>) -> Self {
        self.created = Some(created.into());
        self
    }

    /// Attaches a provenance file.
    pub fn with_provenance(mut self, provenance: Vec<u8>) -> Self {
        self.provenance = Some(provenance);
        self
    }
}

/// A Helm chart artifact ready to push.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct HelmChartArtifact {
    /// The manifest (Go `encoding/json` field order, as helm writes it).
    pub manifest: Manifest,
    /// The config blob (Chart.yaml as JSON).
    pub config: Blob,
    /// The layers: the chart archive and, when given, the provenance file, sorted by digest
    /// as helm sorts them.
    pub layers: Vec<Blob>,
    /// Chart name.
    pub name: String,
    /// Chart version.
    pub version: String,
}

impl HelmChartArtifact {
    /// The manifest digest.
    pub fn digest(&self) -> Digest {
        self.manifest.digest()
    }

    /// The tag `helm push` uses: the version, with `+` (not allowed in tags) as `_`.
    pub fn default_tag(&self) -> String {
        self.version.replace('+', "_")
    }

    /// Pushes blobs then the manifest, tagged `tag` or [`Self::default_tag`].
    pub async fn push(&self, store: &dyn Store, tag: Option<&str>) -> Result<Digest> {
        for blob in std::iter::once(&self.config).chain(&self.layers) {
            store.ensure_blob_bytes(blob.bytes.clone()).await?;
        }
        let tag = tag.map_or_else(|| self.default_tag(), str::to_owned);
        store.put_manifest(&self.manifest, Some(&tag)).await
    }
}

/// Builds the OCI artifact `helm push` would make from a chart `.tgz`: config = Chart.yaml as
/// JSON in Helm's field order, layer `application/vnd.cncf.helm.chart.content.v1.tar+gzip`
/// holding the archive unchanged, manifest annotations from Chart.yaml (description, title,
/// version, url, source, authors, and the chart's own annotations except title/version).
pub fn helm_chart_artifact(chart: Vec<u8>, options: &HelmPushOptions) -> Result<HelmChartArtifact> {
    let metadata = chart_metadata(&chart, &Limits::default())?;
    let config_json = serde_json::to_string(&metadata).map_err(|source| Error::Json {
        what: "chart metadata".into(),
        source,
    })?;
    let config = Blob::new(mt::HELM_CONFIG, go_json_escape(&config_json).into_bytes());
    let mut layers = vec![Blob::new(mt::HELM_CHART_CONTENT, chart)];
    if let Some(prov) = &options.provenance {
        layers.push(Blob::new(mt::HELM_PROVENANCE, prov.clone()));
    }
    layers.sort_by_key(|a| a.digest);

    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    let mut add = |key: &str, value: &str| {
        if !value.trim().is_empty() {
            annotations.insert(key.to_owned(), value.to_owned());
        }
    };
    add(mt::ANNOTATION_DESCRIPTION, &metadata.description);
    add(mt::ANNOTATION_TITLE, &metadata.name);
    add(mt::ANNOTATION_VERSION, &metadata.version);
    add("org.opencontainers.image.url", &metadata.home);
    if let Some(created) = &options.created {
        add(mt::ANNOTATION_CREATED, created);
    }
    if let Some(source) = metadata.sources.first() {
        add(mt::ANNOTATION_SOURCE, source);
    }
    if !metadata.maintainers.is_empty() {
        let authors: Vec<String> = metadata
            .maintainers
            .iter()
            .map(|m| {
                let mut s = m.name.clone();
                if !m.email.is_empty() {
                    s.push_str(&format!(" ({})", m.email));
                }
                s
            })
            .collect();
        add("org.opencontainers.image.authors", &authors.join(", "));
    }
    for (key, value) in metadata.annotations.iter().flatten() {
        if key != mt::ANNOTATION_VERSION && key != mt::ANNOTATION_TITLE {
            annotations.insert(key.clone(), value.clone());
        }
    }

    // Field order of Go's ocispec.Manifest and Descriptor (serde_json keeps insertion order).
    let descriptor = |b: &Blob| json!({"mediaType": b.media_type, "digest": &b.digest.to_string(), "size": b.bytes.len()});
    let mut manifest = serde_json::Map::new();
    // helm writes no `mediaType` field (the registry learns it from the Content-Type).
    manifest.insert("schemaVersion".into(), json!(2));
    manifest.insert("config".into(), descriptor(&config));
    manifest.insert(
        "layers".into(),
        Value::Array(layers.iter().map(descriptor).collect()),
    );
    if !annotations.is_empty() {
        manifest.insert("annotations".into(), json!(annotations));
    }
    let text = serde_json::to_string(&Value::Object(manifest)).map_err(|source| Error::Json {
        what: "chart manifest".into(),
        source,
    })?;
    Ok(HelmChartArtifact {
        manifest: Manifest::new(mt::OCI_MANIFEST, go_json_escape(&text).into_bytes()),
        config,
        layers,
        name: metadata.name,
        version: metadata.version,
    })
}

/// Builds (see [`helm_chart_artifact`]) and pushes a chart; returns the manifest digest.
pub async fn push_helm_chart(
    store: &dyn Store,
    chart: Vec<u8>,
    tag: Option<&str>,
    options: &HelmPushOptions,
) -> Result<Digest> {
    let artifact = tokio::task::spawn_blocking({
        let options = options.clone();
        move || helm_chart_artifact(chart, &options)
    })
    .await
    .map_err(|e| Error::Stream {
        what: "building the chart artifact".into(),
        source: std::io::Error::other(e.to_string()),
    })??;
    artifact.push(store, tag).await
}
