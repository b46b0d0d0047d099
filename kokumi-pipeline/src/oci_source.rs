//! Reading a source out of an OCI store, through `kokumi-oci`'s source reader: a Helm chart
//! (its `.tgz`) or a manifest bundle (its YAML/JSON files). Every blob is verified by digest and
//! extraction is capped ([`kokumi_oci::extract::Limits`]).

use std::collections::BTreeMap;
use std::path::Path;

use kokumi_core::digest::Digest;
use kokumi_oci::extract::Limits;
use kokumi_oci::source::Source;
use kokumi_oci::{DigestExt as _, Store};

use crate::error::BoxError;
use crate::source::{ChartInput, SourceContent};
use crate::source_cache::SourceCache;

/// Opens an on-disk OCI layout (which must exist).
pub(crate) async fn open_layout(path: &Path) -> Result<kokumi_oci::layout::LayoutStore, BoxError> {
    Ok(kokumi_oci::layout::LayoutStore::open(path).await?)
}

/// Fetches `reference` (tag or digest) from `store`: its manifest digest and content.
pub(crate) async fn fetch(
    store: &dyn Store,
    reference: &str,
) -> Result<(Digest, SourceContent), BoxError> {
    let fetched = kokumi_oci::source::fetch(store, reference, &Limits::default()).await?;
    let digest: Digest = fetched.digest;
    let content = match fetched.source {
        Source::HelmChart(chart) => SourceContent::Chart(ChartInput::Archive(chart.archive)),
        Source::Bundle(files) => {
            let files: BTreeMap<String, Vec<u8>> = files
                .into_iter()
                .filter(|f| {
                    let lower = f.path.to_ascii_lowercase();
                    lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json")
                })
                .map(|f| (f.path, f.bytes))
                .collect();
            if files.is_empty() {
                return Err(format!("{reference} holds no manifest files").into());
            }
            SourceContent::Bundle(files)
        }
        _ => {
            return Err(
                format!("{reference} is neither a Helm chart nor a manifest bundle").into(),
            );
        }
    };
    Ok((digest, content))
}

/// [`fetch`] through `cache`: `reference` is resolved in `store` every time (one `HEAD` of a
/// registry manifest), and only a digest not in the cache is read (once, however many callers
/// ask for it at the same time).
pub(crate) async fn fetch_cached(
    store: &dyn Store,
    reference: &str,
    cache: &SourceCache,
) -> Result<(Digest, SourceContent), BoxError> {
    let digest = Digest::of(&store.resolve(reference).await?)?;
    let location = store.location().to_string();
    let content = cache
        .get_or_read(&location, digest, || async {
            fetch(store, &digest.to_string()).await.map(|(_, c)| c)
        })
        .await?;
    Ok((digest, content))
}
