//! Reading a source out of an OCI store: a Helm chart (its `.tgz`) or a manifest bundle.
//!
//! Helm charts are recognised by their config media type
//! (`application/vnd.cncf.helm.config.v1+json`) and their chart layer (the current or legacy
//! media type); anything else with one tar or tar+gzip layer is a manifest bundle (OCI, Flux, or
//! a Kokumi Preparation), whose YAML/JSON files are used. Every blob is verified by the store.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::Path;

use kokumi_core::digest::Digest;
use kokumi_oci::media_types as mt;
use kokumi_oci::{Manifest, Store};

use crate::error::BoxError;
use crate::source::{ChartInput, MAX_SOURCE_BLOB, SourceContent};

/// Opens an on-disk OCI layout (which must exist).
pub(crate) async fn open_layout(path: &Path) -> Result<kokumi_oci::layout::LayoutStore, BoxError> {
    if !path.join("oci-layout").is_file() {
        return Err(format!(
            "{} is not an OCI image layout (no oci-layout file)",
            path.display()
        )
        .into());
    }
    Ok(kokumi_oci::layout::LayoutStore::open(path).await?)
}

/// Fetches `reference` (tag or digest) from `store`: its manifest digest and content.
pub(crate) async fn fetch(
    store: &dyn Store,
    reference: &str,
) -> Result<(Digest, SourceContent), BoxError> {
    let (descriptor, manifest): (_, Manifest) = store.fetch_manifest(reference).await?;
    let digest: Digest = descriptor.digest().to_string().parse()?;
    if manifest.is_index() {
        return Err(format!(
            "{reference} is an image index; a chart or bundle source must be a single manifest"
        )
        .into());
    }
    let image = manifest.image()?;
    let config_type = image.config().media_type().to_string();
    let layers = image.layers();
    if config_type == mt::HELM_CONFIG {
        let chart = layers
            .iter()
            .find(|l| {
                let t = l.media_type().to_string();
                t == mt::HELM_CHART_CONTENT || t == mt::HELM_CHART_LEGACY
            })
            .ok_or("the Helm chart manifest has no chart layer")?;
        let bytes = store
            .get_blob_bytes(&kokumi_oci::Digest::of(chart)?, MAX_SOURCE_BLOB)
            .await?;
        return Ok((digest, SourceContent::Chart(ChartInput::Archive(bytes))));
    }
    let mut files = BTreeMap::new();
    for layer in layers {
        let media_type = layer.media_type().to_string();
        let gzip = media_type.ends_with("gzip");
        if !(gzip || media_type.ends_with(".tar") || media_type == mt::OCI_LAYER_TAR) {
            continue;
        }
        let bytes = store
            .get_blob_bytes(&kokumi_oci::Digest::of(layer)?, MAX_SOURCE_BLOB)
            .await?;
        extract_manifests(&bytes, gzip, &mut files)?;
    }
    if files.is_empty() {
        return Err(format!("{reference} holds no chart and no manifest files").into());
    }
    Ok((digest, SourceContent::Bundle(files)))
}

fn extract_manifests(
    bytes: &[u8],
    gzip: bool,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), BoxError> {
    let reader: Box<dyn std::io::Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(bytes).take(MAX_SOURCE_BLOB))
    } else {
        Box::new(bytes)
    };
    let mut archive = tar::Archive::new(reader);
    for entry in archive.entries()? {
        let mut entry = entry?;
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if !kind.is_file() {
            return Err("the bundle layer holds a link or special file".into());
        }
        let path = entry.path()?.to_string_lossy().into_owned();
        let path = path.trim_start_matches("./").to_owned();
        if path.starts_with('/') || path.split('/').any(|c| c == "..") {
            return Err(format!("the bundle layer holds an unsafe path {path:?}").into());
        }
        let lower = path.to_ascii_lowercase();
        if !(lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")) {
            continue;
        }
        let mut content = Vec::new();
        entry.read_to_end(&mut content)?;
        files.insert(path, content);
    }
    Ok(())
}
