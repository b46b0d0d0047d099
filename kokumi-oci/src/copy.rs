//! Copying manifests and their blobs between any two [`Store`]s (registry ↔ registry, registry ↔
//! layout, layout ↔ layout).
//!
//! - Image manifests with their config and layers; image indexes with every child (the index's
//!   bytes, hence its digest, are preserved); or one platform of an index, tagged through a new
//!   one-entry index that records the original index digest in the
//!   [`ANNOTATION_SOURCE_INDEX`] annotation.
//! - Foreign (non-distributable) layers are left out, as skopeo does.
//! - Blobs already at the destination are skipped, a blob shared by several manifests is moved
//!   once per run, and blobs stream (never held in memory) with a bounded number in flight.
//! - Between two repositories of one registry, blobs are mounted ([`Store::mount_blob`], the OCI
//!   cross-repository mount) instead of being downloaded and uploaded again; when the registry
//!   declines, the blob is uploaded.
//! - With [`CopyOptions::referrers`] (`kokumi copy -r`, like `oras copy -r`), the referrers of
//!   every copied manifest (signatures, SBOMs, attestations) are copied too, recursively (the
//!   referrers of a referrer as well), read with the referrers API or the `sha256-<hex>`
//!   tag-schema index and made listable at the destination the same way (see [`crate::referrers`]).
//! - Resumable: a manifest already at the destination is skipped with everything under it, and
//!   blobs that arrived before an interruption are skipped, so re-running finishes the job.
//! - A failed blob transfer (5xx, reset, timeout) is retried by reading the source again.
//! - Progress is reported through a callback: bytes done / total per blob.
//!
//! ```
//! use kokumi_oci::copy::{CopyOptions, Platform};
//! let options = CopyOptions { platform: Some("linux/arm64/v8".parse()?), ..CopyOptions::default() };
//! assert_eq!(options.platform.unwrap().to_string(), "linux/arm64/v8");
//! # Ok::<(), kokumi_oci::Error>(())
//! ```

use std::collections::BTreeSet;
use std::fmt;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::StreamExt as _;
use futures_util::future::BoxFuture;
use oci_spec::image::Descriptor;
use tokio::io::{AsyncRead, ReadBuf};

use crate::error::{Error, Result};
use crate::media_types;
use crate::store::{BlobReader, Digest, DigestExt, Manifest, Store, StoreLocation};

/// Annotation on the one-entry index written by a single-platform copy: the digest of the
/// original (multi-platform) index.
pub const ANNOTATION_SOURCE_INDEX: &str = "dev.kokumi.copy.source-index";

/// An `os/architecture[/variant]` platform.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Platform {
    /// e.g. `linux`.
    pub os: String,
    /// e.g. `amd64`, `arm64`.
    pub architecture: String,
    /// e.g. `v8`; when `None`, any variant matches.
    pub variant: Option<String>,
}

impl FromStr for Platform {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let parts: Vec<&str> = s.split('/').collect();
        let bad = || Error::InvalidReference {
            input: s.to_owned(),
            reason: "expected a platform `os/architecture[/variant]`".into(),
        };
        match parts.as_slice() {
            [os, arch] if !os.is_empty() && !arch.is_empty() => Ok(Self {
                os: (*os).to_owned(),
                architecture: (*arch).to_owned(),
                variant: None,
            }),
            [os, arch, variant] if !os.is_empty() && !arch.is_empty() && !variant.is_empty() => {
                Ok(Self {
                    os: (*os).to_owned(),
                    architecture: (*arch).to_owned(),
                    variant: Some((*variant).to_owned()),
                })
            }
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(v) = &self.variant {
            write!(f, "/{v}")?;
        }
        Ok(())
    }
}

impl Platform {
    fn matches(&self, descriptor: &Descriptor) -> bool {
        let Some(p) = descriptor.platform() else {
            return false;
        };
        p.os().to_string() == self.os
            && p.architecture().to_string() == self.architecture
            && self
                .variant
                .as_ref()
                .is_none_or(|v| p.variant().as_deref() == Some(v.as_str()))
    }
}

/// What happened to one blob or manifest, for progress displays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProgressKind {
    /// A blob transfer began (`done` is 0).
    Started,
    /// More bytes of a blob were transferred.
    Transferring,
    /// A blob transfer finished (`done == total`).
    Finished,
    /// The blob was already at the destination (or moved earlier in this run).
    Skipped,
    /// The blob was mounted from another repository of the same registry.
    Mounted,
    /// A failed transfer is being retried from the start.
    Retrying,
    /// A manifest was written to the destination (`total` is its size).
    Manifest,
}

/// One progress report: bytes `done` of `total` for the blob or manifest `digest`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    /// The blob or manifest.
    pub digest: Digest,
    /// What happened.
    pub kind: ProgressKind,
    /// Bytes transferred so far.
    pub done: u64,
    /// The blob's size.
    pub total: u64,
}

/// Where progress goes. Called from the copying task; keep it quick.
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// A [`ProgressFn`] that ignores everything.
pub fn no_progress() -> ProgressFn {
    Arc::new(|_| {})
}

/// How to copy.
#[derive(Clone, Debug)]
pub struct CopyOptions {
    /// Copy only this platform of an index (see the module docs).
    pub platform: Option<Platform>,
    /// Tag the result at the destination. `None`: reuse the source tag when the reference is a
    /// tag, no tag when it is a digest.
    pub tag: Option<String>,
    /// Blobs in flight at once (at least 1).
    pub concurrency: usize,
    /// How many times a failed blob transfer is restarted.
    pub retries: u32,
    /// The first restart waits this long, each further one twice as long.
    pub backoff: Duration,
    /// Also copy the referrers of every copied manifest, recursively (see the module docs).
    /// With [`CopyOptions::platform`], those of the chosen platform's manifest: the original
    /// index is not copied, so its own referrers have no subject at the destination.
    pub referrers: bool,
}

impl Default for CopyOptions {
    fn default() -> Self {
        Self {
            platform: None,
            tag: None,
            concurrency: 4,
            retries: 2,
            backoff: Duration::from_millis(200),
            referrers: false,
        }
    }
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
#[non_exhaustive]
pub struct CopyReport {
    /// The digest of what the destination tag (if any) points at: the source's root digest, or
    /// the new one-entry index of a single-platform copy.
    pub digest: Option<Digest>,
    /// The source root digest (for a single-platform copy: the original index).
    pub source_digest: Option<Digest>,
    /// The tag written at the destination.
    pub tag: Option<String>,
    /// Manifests written.
    pub manifests_copied: usize,
    /// Manifests already present (skipped with their blobs).
    pub manifests_skipped: usize,
    /// Blobs transferred.
    pub blobs_copied: usize,
    /// Blobs already present, or moved earlier in the same run.
    pub blobs_skipped: usize,
    /// Blobs mounted from another repository.
    pub blobs_mounted: usize,
    /// Bytes of blobs transferred (excluding skipped and mounted blobs).
    pub bytes_copied: u64,
    /// Referrer manifests found at the source and made listable at the destination (with
    /// [`CopyOptions::referrers`]; they are counted in the manifest counts too).
    pub referrers: usize,
}

struct Run<'a> {
    src: &'a dyn Store,
    dst: &'a dyn Store,
    options: &'a CopyOptions,
    progress: ProgressFn,
    /// The source, for [`Store::mount_blob`] at the destination.
    mount_from: StoreLocation,
    seen: std::sync::Mutex<BTreeSet<Digest>>,
    manifests_copied: AtomicUsize,
    manifests_skipped: AtomicUsize,
    blobs_copied: AtomicUsize,
    blobs_skipped: AtomicUsize,
    blobs_mounted: AtomicUsize,
    bytes_copied: AtomicU64,
    referrers: AtomicUsize,
}

/// Copies `reference` (a tag or `sha256:` digest in `src`) and everything it points at to `dst`.
pub async fn copy(
    src: &dyn Store,
    dst: &dyn Store,
    reference: &str,
    options: &CopyOptions,
    progress: ProgressFn,
) -> Result<CopyReport> {
    let run = Run {
        src,
        dst,
        options,
        progress,
        mount_from: src.location(),
        seen: std::sync::Mutex::new(BTreeSet::new()),
        manifests_copied: AtomicUsize::new(0),
        manifests_skipped: AtomicUsize::new(0),
        blobs_copied: AtomicUsize::new(0),
        blobs_skipped: AtomicUsize::new(0),
        blobs_mounted: AtomicUsize::new(0),
        bytes_copied: AtomicU64::new(0),
        referrers: AtomicUsize::new(0),
    };
    let root = src.resolve(reference).await?;
    let root_digest = Digest::of(&root)?;
    let tag = options.tag.clone().or_else(|| {
        Digest::parse(reference)
            .is_err()
            .then(|| reference.to_owned())
    });

    let digest = match &options.platform {
        Some(platform) if media_types::is_index(root.media_type().as_ref()) => {
            let index = src.get_manifest(&root_digest).await?;
            let child = index
                .index()?
                .manifests()
                .iter()
                .find(|d| platform.matches(d))
                .cloned()
                .ok_or_else(|| Error::NotFound {
                    what: format!("platform {platform} in index {root_digest}"),
                    location: src.location().to_string(),
                })?;
            run.node(child.clone(), None).await?;
            let one = one_platform_index(&child, &root_digest)?;
            let digest = dst.put_manifest(&one, tag.as_deref()).await?;
            run.manifests_copied.fetch_add(1, Ordering::Relaxed);
            digest
        }
        _ => {
            run.node(root.clone(), tag.as_deref()).await?;
            root_digest
        }
    };
    Ok(CopyReport {
        digest: Some(digest),
        source_digest: Some(root_digest),
        tag,
        manifests_copied: run.manifests_copied.load(Ordering::Relaxed),
        manifests_skipped: run.manifests_skipped.load(Ordering::Relaxed),
        blobs_copied: run.blobs_copied.load(Ordering::Relaxed),
        blobs_skipped: run.blobs_skipped.load(Ordering::Relaxed),
        blobs_mounted: run.blobs_mounted.load(Ordering::Relaxed),
        bytes_copied: run.bytes_copied.load(Ordering::Relaxed),
        referrers: run.referrers.load(Ordering::Relaxed),
    })
}

fn one_platform_index(child: &Descriptor, source_index: &Digest) -> Result<Manifest> {
    let value = serde_json::json!({
        "annotations": { ANNOTATION_SOURCE_INDEX: source_index.to_string() },
        "manifests": [child],
        "mediaType": media_types::OCI_INDEX,
        "schemaVersion": 2,
    });
    let bytes = serde_json::to_vec(&value).map_err(|source| Error::Json {
        what: "single-platform index".into(),
        source,
    })?;
    Ok(Manifest::new(media_types::OCI_INDEX, bytes))
}

/// Layers that registries are not expected to hold.
fn is_non_distributable(media_type: &str) -> bool {
    media_type.contains(".foreign.") || media_type.contains(".nondistributable.")
}

fn retryable(error: &Error) -> bool {
    matches!(
        error,
        Error::Registry { .. } | Error::Stream { .. } | Error::Io { .. }
    )
}

impl Run<'_> {
    fn report(&self, digest: &Digest, kind: ProgressKind, done: u64, total: u64) {
        (self.progress)(&Progress {
            digest: *digest,
            kind,
            done,
            total,
        });
    }

    /// Copies one manifest and everything under it; tags it when `tag` is given. With
    /// [`CopyOptions::referrers`], then copies its referrers.
    fn node<'s>(
        &'s self,
        descriptor: Descriptor,
        tag: Option<&'s str>,
    ) -> BoxFuture<'s, Result<()>> {
        Box::pin(async move {
            let digest = Digest::of(&descriptor)?;
            if tag.is_none() && self.dst.resolve(&digest.to_string()).await.is_ok() {
                self.manifests_skipped.fetch_add(1, Ordering::Relaxed);
            } else {
                self.manifest(&descriptor, &digest, tag).await?;
            }
            if self.options.referrers {
                self.referrers_of(&digest).await?;
            }
            Ok(())
        })
    }

    /// Copies the referrers of `subject` (already at the destination), each with everything
    /// under it and its own referrers, and makes them listable there.
    async fn referrers_of(&self, subject: &Digest) -> Result<()> {
        for referrer in self.src.referrers(subject, None).await? {
            let digest = Digest::of(&referrer)?;
            self.node(referrer, None).await?;
            let manifest = self.src.get_manifest(&digest).await?;
            crate::referrers::ensure_listed(self.dst, &manifest, subject).await?;
            self.referrers.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Copies one manifest's children (blobs, or an index's manifests), then the manifest.
    async fn manifest(
        &self,
        descriptor: &Descriptor,
        digest: &Digest,
        tag: Option<&str>,
    ) -> Result<()> {
        let manifest = self.src.get_manifest(digest).await?;
        if manifest.is_index() {
            for child in manifest.index()?.manifests() {
                self.node(child.clone(), None).await?;
            }
        } else {
            let image = manifest.image()?;
            let mut blobs = vec![image.config().clone()];
            // Foreign / non-distributable layers (Windows base layers) live at their `urls`,
            // not in the registry; like skopeo, we leave them out.
            blobs.extend(
                image
                    .layers()
                    .iter()
                    .filter(|l| !is_non_distributable(l.media_type().as_ref()))
                    .cloned(),
            );
            let mut transfers = futures_util::stream::iter(blobs)
                .map(|blob| self.blob(blob))
                .buffer_unordered(self.options.concurrency.max(1));
            while let Some(result) = transfers.next().await {
                result?;
            }
        }
        let written = self.dst.put_manifest(&manifest, tag).await?;
        if written != *digest {
            return Err(Error::DigestMismatch {
                what: format!("manifest written to {}", self.dst.location()),
                expected: digest.to_string(),
                actual: written.to_string(),
            });
        }
        self.manifests_copied.fetch_add(1, Ordering::Relaxed);
        self.report(
            digest,
            ProgressKind::Manifest,
            descriptor.size(),
            descriptor.size(),
        );
        Ok(())
    }

    async fn blob(&self, descriptor: Descriptor) -> Result<()> {
        let digest = Digest::of(&descriptor)?;
        let total = descriptor.size();
        let first = self
            .seen
            .lock()
            .map(|mut seen| seen.insert(digest))
            .unwrap_or(true);
        if !first || self.dst.has_blob(&digest).await? {
            self.blobs_skipped.fetch_add(1, Ordering::Relaxed);
            self.report(&digest, ProgressKind::Skipped, total, total);
            return Ok(());
        }
        // Same registry, another repository: mount instead of moving the bytes (a store that
        // cannot, or a registry that declines, answers `false` and the blob is uploaded).
        if self
            .dst
            .mount_blob(&digest, &self.mount_from)
            .await
            .unwrap_or(false)
        {
            self.blobs_mounted.fetch_add(1, Ordering::Relaxed);
            self.report(&digest, ProgressKind::Mounted, total, total);
            return Ok(());
        }
        let mut attempt = 0;
        loop {
            self.report(&digest, ProgressKind::Started, 0, total);
            match self.transfer(&digest, total).await {
                Ok(()) => {
                    self.blobs_copied.fetch_add(1, Ordering::Relaxed);
                    self.bytes_copied.fetch_add(total, Ordering::Relaxed);
                    self.report(&digest, ProgressKind::Finished, total, total);
                    return Ok(());
                }
                Err(e) if attempt < self.options.retries && retryable(&e) => {
                    tracing::debug!(error = %e, %digest, "retrying blob transfer");
                    self.report(&digest, ProgressKind::Retrying, 0, total);
                    let factor = 2u32.saturating_pow(attempt);
                    tokio::time::sleep(self.options.backoff.saturating_mul(factor)).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn transfer(&self, digest: &Digest, total: u64) -> Result<()> {
        let reader = self.src.get_blob(digest).await?;
        let counting = Counting {
            inner: reader,
            done: 0,
            last_report: 0,
            total,
            digest: *digest,
            progress: Arc::clone(&self.progress),
        };
        self.dst.put_blob(digest, total, Box::pin(counting)).await
    }
}

/// Reports progress about every MiB read.
struct Counting {
    inner: BlobReader,
    done: u64,
    last_report: u64,
    total: u64,
    digest: Digest,
    progress: ProgressFn,
}

impl AsyncRead for Counting {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let result = this.inner.as_mut().poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = &result {
            this.done += (buf.filled().len() - before) as u64;
            if this.done - this.last_report >= 1 << 20
                || (this.done == this.total && this.done != this.last_report)
            {
                this.last_report = this.done;
                (this.progress)(&Progress {
                    digest: this.digest,
                    kind: ProgressKind::Transferring,
                    done: this.done,
                    total: this.total,
                });
            }
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn foreign_layers() {
        assert!(is_non_distributable(
            "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
        ));
        assert!(is_non_distributable(
            "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
        ));
        assert!(!is_non_distributable(media_types::OCI_LAYER_TAR_GZIP));
    }

    #[test]
    fn platforms() {
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
        let p: Platform = "linux/arm/v7".parse().unwrap();
        assert_eq!(p.variant.as_deref(), Some("v7"));
        let d: Descriptor = serde_json::from_value(serde_json::json!({
            "mediaType": media_types::OCI_MANIFEST,
            "digest": Digest::of_bytes(b"x").to_string(),
            "size": 1,
            "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}
        }))
        .unwrap();
        assert!(p.matches(&d));
        assert!("linux/arm".parse::<Platform>().unwrap().matches(&d));
        assert!(!"linux/arm/v6".parse::<Platform>().unwrap().matches(&d));
        assert!(!"linux/amd64".parse::<Platform>().unwrap().matches(&d));
    }
}
