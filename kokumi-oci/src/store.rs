//! The one store abstraction: a repository-scoped content store.
//!
//! Both the remote registry and the on-disk OCI image layout implement [`Store`]; `copy` and the
//! artifact/source functions are written against the trait only. The module also holds the small
//! value types every store shares: [`Manifest`], [`StoreLocation`], [`Reference`], and
//! [`VerifyingReader`], which checks size and digest of a streamed blob at EOF. Digests are
//! kokumi-core's [`Digest`]; [`DigestExt`] converts them to and from `oci-spec`'s.

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};

use oci_spec::image::{Descriptor, MediaType};
use sha2::{Digest as _, Sha256};
use tokio::io::{AsyncRead, AsyncReadExt, ReadBuf};

use crate::error::{Error, Result};
use crate::media_types;

/// A streamed blob. Readers returned by [`Store::get_blob`] verify size and digest at EOF.
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

pub use kokumi_core::digest::{Digest, DigestError};

/// Conversions between [`Digest`] (kokumi-core's, the one digest type of the workspace) and
/// `oci-spec`'s digest, which this crate's descriptors carry.
///
/// A descriptor may name a digest with another algorithm (the OCI spec allows `sha512:`); that
/// is an [`Error::InvalidDigest`] naming the digest, not a silent mismatch (see
/// [`kokumi_core::digest`] for why only sha256 is supported).
///
/// ```
/// use kokumi_oci::{Digest, DigestExt};
/// let d = Digest::of_bytes(b"");
/// assert_eq!(Digest::from_oci(&d.to_oci()).unwrap(), d);
/// let sha512: oci_spec::image::Digest = format!("sha512:{}", "0".repeat(128)).parse().unwrap();
/// assert!(Digest::from_oci(&sha512).unwrap_err().to_string().contains("sha512:000"));
/// ```
pub trait DigestExt: Sized {
    /// Converts to the `oci-spec` digest type.
    fn to_oci(&self) -> oci_spec::image::Digest;
    /// Converts from the `oci-spec` digest type (an error for algorithms other than sha256).
    fn from_oci(digest: &oci_spec::image::Digest) -> Result<Self>;
    /// The digest of a descriptor (an error for algorithms other than sha256).
    fn of(descriptor: &Descriptor) -> Result<Self>;
    /// The digest a finished SHA-256 hasher computed.
    fn from_hasher(hasher: Sha256) -> Self;
}

impl DigestExt for Digest {
    fn to_oci(&self) -> oci_spec::image::Digest {
        // A sha256 digest: 64 lowercase hex digits, always valid in oci-spec's (looser) grammar.
        oci_spec::image::Digest::from_str(&self.to_string())
            .unwrap_or_else(|_| unreachable!("sha256 digest rejected by oci-spec"))
    }

    fn from_oci(digest: &oci_spec::image::Digest) -> Result<Self> {
        Ok(Self::parse(digest.as_ref())?)
    }

    fn of(descriptor: &Descriptor) -> Result<Self> {
        Self::from_oci(descriptor.digest())
    }

    fn from_hasher(hasher: Sha256) -> Self {
        Self::from_bytes(hasher.finalize().into())
    }
}

/// A manifest as stored: its media type and its exact bytes (the digest is over these bytes).
#[derive(Clone, PartialEq, Eq)]
pub struct Manifest {
    /// `application/vnd.oci.image.manifest.v1+json`, `…index.v1+json`, or a Docker v2 type.
    pub media_type: String,
    /// The serialized manifest, byte for byte.
    pub bytes: Vec<u8>,
}

impl fmt::Debug for Manifest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Manifest")
            .field("media_type", &self.media_type)
            .field("len", &self.bytes.len())
            .field("digest", &self.digest())
            .finish()
    }
}

impl Manifest {
    /// A manifest with an explicit media type.
    pub fn new(media_type: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            media_type: media_type.into(),
            bytes,
        }
    }

    /// A manifest whose media type is read from its own `mediaType` field (falling back to the
    /// shape: a `manifests` array means an image index, otherwise an image manifest).
    pub fn detect(bytes: Vec<u8>) -> Result<Self> {
        let media_type = detect_media_type(&bytes)?;
        Ok(Self { media_type, bytes })
    }

    /// The digest of the bytes.
    pub fn digest(&self) -> Digest {
        Digest::of_bytes(&self.bytes)
    }

    /// A descriptor (media type, digest, size) pointing at this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(
            MediaType::from(self.media_type.as_str()),
            self.bytes.len() as u64,
            self.digest().to_oci(),
        )
    }

    /// Whether this is an image index (OCI index or Docker manifest list).
    pub fn is_index(&self) -> bool {
        media_types::is_index(&self.media_type)
    }

    /// Parses the bytes as an OCI (or Docker v2 schema 2) image manifest.
    pub fn image(&self) -> Result<oci_spec::image::ImageManifest> {
        serde_json::from_slice(&self.bytes).map_err(|source| Error::Json {
            what: format!("image manifest {}", self.digest()),
            source,
        })
    }

    /// Parses the bytes as an OCI image index (or Docker manifest list).
    pub fn index(&self) -> Result<oci_spec::image::ImageIndex> {
        serde_json::from_slice(&self.bytes).map_err(|source| Error::Json {
            what: format!("image index {}", self.digest()),
            source,
        })
    }

    /// The descriptors this manifest points at: config and layers for an image manifest, the
    /// child manifests for an index. (The `subject`, if any, is not included: it is not owned.)
    pub fn children(&self) -> Result<Vec<Descriptor>> {
        if self.is_index() {
            Ok(self.index()?.manifests().clone())
        } else {
            let image = self.image()?;
            let mut out = vec![image.config().clone()];
            out.extend(image.layers().iter().cloned());
            Ok(out)
        }
    }

    /// The `subject` descriptor (OCI 1.1), when present.
    pub fn subject(&self) -> Result<Option<Descriptor>> {
        let value: serde_json::Value =
            serde_json::from_slice(&self.bytes).map_err(|source| Error::Json {
                what: format!("manifest {}", self.digest()),
                source,
            })?;
        match value.get("subject") {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(subject) => serde_json::from_value(subject.clone())
                .map(Some)
                .map_err(|source| Error::Json {
                    what: format!("subject of manifest {}", self.digest()),
                    source,
                }),
        }
    }
}

fn detect_media_type(bytes: &[u8]) -> Result<String> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Probe {
        media_type: Option<String>,
        manifests: Option<serde_json::Value>,
    }
    let probe: Probe = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: "manifest".to_owned(),
        source,
    })?;
    Ok(match (probe.media_type, probe.manifests) {
        (Some(mt), _) => mt,
        (None, Some(_)) => media_types::OCI_INDEX.to_owned(),
        (None, None) => media_types::OCI_MANIFEST.to_owned(),
    })
}

/// Where a store lives.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum StoreLocation {
    /// A repository in a registry: `oci://HOST[:PORT]/REPO`.
    Registry {
        /// `host` or `host:port`.
        host: String,
        /// The repository path, e.g. `team/app`.
        repository: String,
    },
    /// An on-disk OCI image layout directory: `oci-layout:PATH`.
    Layout {
        /// The layout's root directory.
        path: PathBuf,
    },
}

impl fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Registry { host, repository } => write!(f, "oci://{host}/{repository}"),
            Self::Layout { path } => write!(f, "oci-layout:{}", path.display()),
        }
    }
}

/// What a reference points at inside its store.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Target {
    /// A tag, e.g. `v1.2.3`.
    Tag(String),
    /// A manifest digest.
    Digest(Digest),
}

impl fmt::Display for Target {
    /// The text to hand to [`Store::resolve`]: the tag, or the digest as `sha256:<hex>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tag(t) => f.write_str(t),
            Self::Digest(d) => d.fmt(f),
        }
    }
}

/// A parsed CLI reference: a store location plus an optional tag or digest.
///
/// Accepted forms:
/// - `oci://HOST[:PORT]/REPO[:TAG|@sha256:…]`
/// - `oci-layout:PATH[:TAG|@sha256:…]` — the tag is the part after the last `:` that follows the
///   last `/` of PATH (so `oci-layout:./a:b/c` is the directory `./a:b/c` with no tag).
///
/// `…:TAG@sha256:…` is accepted too; the digest decides, as with docker and skopeo.
///
/// ```
/// use kokumi_oci::store::{Reference, StoreLocation, Target};
/// let r: Reference = "oci://localhost:5000/team/app:v1".parse().unwrap();
/// assert_eq!(r.location, StoreLocation::Registry { host: "localhost:5000".into(), repository: "team/app".into() });
/// assert_eq!(r.target, Some(Target::Tag("v1".into())));
/// assert_eq!(r.to_string(), "oci://localhost:5000/team/app:v1");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reference {
    /// The store.
    pub location: StoreLocation,
    /// The tag or digest, when given.
    pub target: Option<Target>,
}

impl Reference {
    /// Parses one of the accepted forms (see the type docs).
    pub fn parse(input: &str) -> Result<Self> {
        let bad = |reason: String| Error::InvalidReference {
            input: input.to_owned(),
            reason,
        };
        if let Some(rest) = input.strip_prefix("oci://") {
            let (host, path) = rest.split_once('/').ok_or_else(|| {
                bad("expected `oci://HOST/REPO`: the repository is missing".into())
            })?;
            validate_host(host).map_err(|r| bad(format!("host `{host}`: {r}")))?;
            let (repository, target) = split_target(path, input)?;
            validate_repository(repository)
                .map_err(|r| bad(format!("repository `{repository}`: {r}")))?;
            Ok(Self {
                location: StoreLocation::Registry {
                    host: host.to_owned(),
                    repository: repository.to_owned(),
                },
                target,
            })
        } else if let Some(rest) = input.strip_prefix("oci-layout:") {
            let (path, target) = split_target(rest, input)?;
            if path.is_empty() {
                return Err(bad("the layout path is empty".into()));
            }
            Ok(Self {
                location: StoreLocation::Layout {
                    path: PathBuf::from(path),
                },
                target,
            })
        } else {
            Err(bad(
                "expected a scheme: `oci://HOST/REPO[:TAG|@DIGEST]` or `oci-layout:PATH[:TAG|@DIGEST]`"
                    .into(),
            ))
        }
    }
}

impl FromStr for Reference {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Self::parse(s)
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.location)?;
        match &self.target {
            None => Ok(()),
            Some(Target::Tag(t)) => write!(f, ":{t}"),
            Some(Target::Digest(d)) => write!(f, "@{d}"),
        }
    }
}

/// Splits `PATH[:TAG|@DIGEST]` (the tag colon must come after the last `/`).
fn split_target<'a>(text: &'a str, input: &str) -> Result<(&'a str, Option<Target>)> {
    let bad = |reason: String| Error::InvalidReference {
        input: input.to_owned(),
        reason,
    };
    if let Some((path, digest)) = text.rsplit_once('@') {
        let digest = Digest::parse(digest).map_err(|e| bad(e.to_string()))?;
        // `REPO:TAG@DIGEST`: the digest decides (as docker and skopeo do); the tag must
        // still be well-formed.
        let last_slash = path.rfind('/').map_or(0, |i| i + 1);
        let path = match path[last_slash..].rfind(':') {
            Some(i) => {
                let tag = &path[last_slash + i + 1..];
                validate_tag(tag).map_err(|r| bad(format!("tag `{tag}`: {r}")))?;
                &path[..last_slash + i]
            }
            None => path,
        };
        return Ok((path, Some(Target::Digest(digest))));
    }
    let last_slash = text.rfind('/').map_or(0, |i| i + 1);
    match text[last_slash..].rfind(':') {
        Some(i) => {
            let (path, tag) = (&text[..last_slash + i], &text[last_slash + i + 1..]);
            validate_tag(tag).map_err(|r| bad(format!("tag `{tag}`: {r}")))?;
            Ok((path, Some(Target::Tag(tag.to_owned()))))
        }
        None => Ok((text, None)),
    }
}

/// Checks a tag against the OCI distribution grammar `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn validate_tag(tag: &str) -> std::result::Result<(), String> {
    let mut bytes = tag.bytes();
    match bytes.next() {
        None => return Err("the tag is empty".into()),
        Some(b) if b.is_ascii_alphanumeric() || b == b'_' => {}
        Some(_) => return Err("a tag must start with a letter, digit or `_`".into()),
    }
    if tag.len() > 128 {
        return Err("a tag is at most 128 characters".into());
    }
    if !bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-')) {
        return Err("a tag may only contain letters, digits, `.`, `_` and `-`".into());
    }
    Ok(())
}

/// Checks a repository name against the OCI distribution grammar
/// (`[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`).
pub fn validate_repository(repository: &str) -> std::result::Result<(), String> {
    if repository.is_empty() {
        return Err("the repository is empty".into());
    }
    for component in repository.split('/') {
        if component.is_empty() {
            return Err("empty path component".into());
        }
        let bytes = component.as_bytes();
        if !bytes[0].is_ascii_lowercase() && !bytes[0].is_ascii_digit() {
            return Err(format!(
                "component `{component}` must start with a lowercase letter or digit"
            ));
        }
        if !bytes[bytes.len() - 1].is_ascii_lowercase() && !bytes[bytes.len() - 1].is_ascii_digit()
        {
            return Err(format!(
                "component `{component}` must end with a lowercase letter or digit"
            ));
        }
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_lowercase() || b.is_ascii_digit() {
                i += 1;
                continue;
            }
            // A separator run: `.`, `_`, `__`, or one or more `-`.
            let start = i;
            while i < bytes.len() && matches!(bytes[i], b'.' | b'_' | b'-') {
                i += 1;
            }
            let sep = &component[start..i];
            let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|c| c == b'-');
            if !ok {
                return Err(format!(
                    "component `{component}` has an invalid character or separator `{sep}` (lowercase letters, digits, `.`, `_`, `__`, `-` only)"
                ));
            }
        }
    }
    Ok(())
}

fn validate_host(host: &str) -> std::result::Result<(), String> {
    if host.is_empty() {
        return Err("the host is empty".into());
    }
    let (name, port) = match host.rsplit_once(':') {
        Some((name, port)) if !name.ends_with(']') || host.starts_with('[') => (name, Some(port)),
        _ => (host, None),
    };
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return Err(format!("port `{port}` is not a number from 0 to 65535"));
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    {
        return Err("expected a host name or IP address".into());
    }
    Ok(())
}

/// A repository-scoped content store: a registry repository or an on-disk OCI layout.
#[async_trait::async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Resolves a tag or a `sha256:` digest to the descriptor of its manifest.
    async fn resolve(&self, reference: &str) -> Result<Descriptor>;

    /// The manifest stored under `digest`, verified against it.
    async fn get_manifest(&self, digest: &Digest) -> Result<Manifest>;

    /// Stores a manifest (tagging it when `tag` is given) and returns its digest.
    ///
    /// The blobs it references should already be in the store.
    async fn put_manifest(&self, manifest: &Manifest, tag: Option<&str>) -> Result<Digest>;

    /// Whether the blob exists.
    async fn has_blob(&self, digest: &Digest) -> Result<bool>;

    /// A streaming read of a blob. The reader verifies size and digest at EOF and fails the
    /// read if they differ (see [`VerifyingReader`]).
    async fn get_blob(&self, digest: &Digest) -> Result<BlobReader>;

    /// A streaming write of a blob of known digest and size. The store verifies both; on a
    /// mismatch nothing is stored and [`Error::DigestMismatch`] / [`Error::SizeMismatch`] is
    /// returned.
    async fn put_blob(&self, digest: &Digest, size: u64, data: BlobReader) -> Result<()>;

    /// The tags in this repository/layout, sorted.
    async fn list_tags(&self) -> Result<Vec<String>>;

    /// Descriptors of the manifests whose `subject` is `subject`, optionally filtered by
    /// `artifactType`, sorted by digest.
    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>>;

    /// Removes a manifest (and every tag pointing at it).
    async fn delete_manifest(&self, digest: &Digest) -> Result<()>;

    /// Where this store lives (for messages and cross-repository mounts).
    fn location(&self) -> StoreLocation;

    /// Makes the blob `digest` of the store at `from` available here without moving its bytes:
    /// the OCI distribution cross-repository mount (`POST /v2/<name>/blobs/uploads/?mount=
    /// <digest>&from=<repo>`) when both are repositories of one registry.
    ///
    /// `Ok(false)` means "not mounted, upload it": the store cannot mount (the default, e.g. an
    /// OCI layout), `from` is elsewhere, or the registry declined (a `202` answer).
    async fn mount_blob(&self, digest: &Digest, from: &StoreLocation) -> Result<bool> {
        let _ = (digest, from);
        Ok(false)
    }

    /// Stores an in-memory blob and returns its descriptor-ready digest.
    async fn put_blob_bytes(&self, bytes: Vec<u8>) -> Result<Digest> {
        let digest = Digest::of_bytes(&bytes);
        let size = bytes.len() as u64;
        self.put_blob(&digest, size, Box::pin(std::io::Cursor::new(bytes)))
            .await?;
        Ok(digest)
    }

    /// Stores an in-memory blob unless the store already has it; returns whether its bytes
    /// were sent. A registry does this in one request when the blob is there and two when it
    /// is not (see [`crate::registry::RegistryStore`]); the default asks [`Store::has_blob`]
    /// first.
    async fn ensure_blob_bytes(&self, bytes: Vec<u8>) -> Result<bool> {
        if self.has_blob(&Digest::of_bytes(&bytes)).await? {
            return Ok(false);
        }
        self.put_blob_bytes(bytes).await?;
        Ok(true)
    }

    /// Reads a whole blob into memory, failing with [`Error::TooLarge`] past `max` bytes.
    async fn get_blob_bytes(&self, digest: &Digest, max: u64) -> Result<Vec<u8>> {
        let reader = self.get_blob(digest).await?;
        read_capped(reader, max, &format!("blob {digest}")).await
    }

    /// Resolves `reference` and fetches its manifest.
    async fn fetch_manifest(&self, reference: &str) -> Result<(Descriptor, Manifest)> {
        let descriptor = self.resolve(reference).await?;
        let digest = Digest::of(&descriptor)?;
        let manifest = self.get_manifest(&digest).await?;
        Ok((descriptor, manifest))
    }
}

/// Reads `reader` to the end into memory, failing with [`Error::TooLarge`] past `max` bytes.
pub async fn read_capped(reader: BlobReader, max: u64, what: &str) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut limited = reader.take(max.saturating_add(1));
    limited
        .read_to_end(&mut out)
        .await
        .map_err(|e| stream_error(what, e))?;
    if out.len() as u64 > max {
        return Err(Error::TooLarge {
            what: what.to_owned(),
            limit: max,
        });
    }
    Ok(out)
}

/// Turns an I/O error from a blob stream back into our error: a [`VerifyingReader`] failure
/// carries an [`Error`] inside, which is returned as it is.
pub fn stream_error(what: &str, error: std::io::Error) -> Error {
    if error.get_ref().is_some_and(|inner| inner.is::<Error>()) {
        if let Some(inner) = error.into_inner()
            && let Ok(ours) = inner.downcast::<Error>()
        {
            return *ours;
        }
        // Unreachable in practice: `is::<Error>()` was checked above.
        return Error::Stream {
            what: what.to_owned(),
            source: std::io::Error::other("blob stream failed"),
        };
    }
    Error::Stream {
        what: what.to_owned(),
        source: error,
    }
}

/// Wraps a reader and checks, at EOF, that exactly `size` bytes hashing to `digest` were read.
///
/// A mismatch (or more bytes than announced, detected as soon as they arrive) fails the read
/// with an [`std::io::ErrorKind::InvalidData`] error carrying [`Error::DigestMismatch`] or
/// [`Error::SizeMismatch`]; [`stream_error`] turns it back into that [`Error`].
pub struct VerifyingReader<R> {
    inner: R,
    hasher: Sha256,
    read: u64,
    expected_digest: Digest,
    expected_size: u64,
    what: String,
    done: bool,
}

impl<R> fmt::Debug for VerifyingReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingReader")
            .field("what", &self.what)
            .field("read", &self.read)
            .field("expected_size", &self.expected_size)
            .finish_non_exhaustive()
    }
}

impl<R: AsyncRead + Unpin> VerifyingReader<R> {
    /// Verifies `inner` against `digest` and `size`; `what` names it in errors (e.g. `blob
    /// sha256:… from oci://host/repo`).
    pub fn new(inner: R, digest: Digest, size: u64, what: impl Into<String>) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            read: 0,
            expected_digest: digest,
            expected_size: size,
            what: what.into(),
            done: false,
        }
    }

    fn fail(&self, error: Error) -> std::io::Error {
        std::io::Error::new(std::io::ErrorKind::InvalidData, error)
    }
}

impl<R: AsyncRead + Unpin> AsyncRead for VerifyingReader<R> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Ready(Ok(())) => {
                let new = &buf.filled()[before..];
                if new.is_empty() && buf.remaining() > 0 {
                    // EOF: check what we saw.
                    this.done = true;
                    if this.read != this.expected_size {
                        return Poll::Ready(Err(this.fail(Error::SizeMismatch {
                            what: this.what.clone(),
                            expected: this.expected_size,
                            actual: this.read,
                        })));
                    }
                    let actual = Digest::from_hasher(std::mem::take(&mut this.hasher));
                    if actual != this.expected_digest {
                        return Poll::Ready(Err(this.fail(Error::DigestMismatch {
                            what: this.what.clone(),
                            expected: this.expected_digest.to_string(),
                            actual: actual.to_string(),
                        })));
                    }
                    return Poll::Ready(Ok(()));
                }
                this.read += new.len() as u64;
                this.hasher.update(new);
                if this.read > this.expected_size {
                    this.done = true;
                    // Hand out nothing from a read that fails.
                    buf.set_filled(before);
                    return Poll::Ready(Err(this.fail(Error::SizeMismatch {
                        what: this.what.clone(),
                        expected: this.expected_size,
                        actual: this.read,
                    })));
                }
                Poll::Ready(Ok(()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_conversions() {
        let d = Digest::of_bytes(b"");
        assert_eq!(
            d.to_oci().to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(Digest::from_oci(&d.to_oci()).unwrap(), d);
        let descriptor = Descriptor::new(MediaType::ImageLayerGzip, 0, d.to_oci());
        assert_eq!(Digest::of(&descriptor).unwrap(), d);
        assert_eq!(Digest::from_hasher(Sha256::new()), d);
        // A registry may hand us a sha512 digest (the OCI spec allows it): a clear error.
        let sha512 = format!("sha512:{}", "ab".repeat(64));
        let descriptor = Descriptor::new(
            MediaType::ImageLayerGzip,
            0,
            oci_spec::image::Digest::from_str(&sha512).unwrap(),
        );
        let err = Digest::of(&descriptor).unwrap_err();
        assert!(matches!(err, Error::InvalidDigest(_)), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "digest {sha512:?} is not a sha256 digest; kokumi supports only \"sha256:<hex>\""
            )
        );
    }

    #[test]
    fn references() {
        let cases = [
            "oci://localhost:5000/team/app:v1",
            "oci://ghcr.io/a/b",
            "oci-layout:/tmp/x:v1",
            "oci-layout:rel/dir",
            "oci-layout:/a:b/c",
        ];
        for c in cases {
            assert_eq!(Reference::parse(c).unwrap().to_string(), c);
        }
        let d = Digest::of_bytes(b"x");
        let r = Reference::parse(&format!("oci://h/r@{d}")).unwrap();
        assert_eq!(r.target, Some(Target::Digest(d)));
        let r = Reference::parse(&format!("oci-layout:/p/q@{d}")).unwrap();
        assert_eq!(
            r.location,
            StoreLocation::Layout {
                path: "/p/q".into()
            }
        );
        let r = Reference::parse("oci-layout:/a:b/c").unwrap();
        assert_eq!(r.target, None);
        // Tag and digest: the digest wins.
        let r = Reference::parse(&format!("oci://h:5000/team/r:v1@{d}")).unwrap();
        assert_eq!(r.target, Some(Target::Digest(d)));
        assert_eq!(r.to_string(), format!("oci://h:5000/team/r@{d}"));
        assert!(Reference::parse(&format!("oci://h/r:-x@{d}")).is_err());
    }

    #[test]
    fn reference_errors() {
        let errs: Vec<String> = [
            "http://x/y",
            "oci://host",
            "oci://host/Upper",
            "oci://host:99999/r",
            "oci://host/r:-bad",
            "oci://host/r@sha256:123",
            "oci-layout::tag",
            "oci://host/a//b",
        ]
        .iter()
        .map(|s| Reference::parse(s).unwrap_err().to_string())
        .collect();
        insta::assert_snapshot!(errs.join("\n"), @r#"
        invalid reference `http://x/y`: expected a scheme: `oci://HOST/REPO[:TAG|@DIGEST]` or `oci-layout:PATH[:TAG|@DIGEST]`
        invalid reference `oci://host`: expected `oci://HOST/REPO`: the repository is missing
        invalid reference `oci://host/Upper`: repository `Upper`: component `Upper` must start with a lowercase letter or digit
        invalid reference `oci://host:99999/r`: host `host:99999`: port `99999` is not a number from 0 to 65535
        invalid reference `oci://host/r:-bad`: tag `-bad`: a tag must start with a letter, digit or `_`
        invalid reference `oci://host/r@sha256:123`: digest "sha256:123" has 3 hex characters, expected 64
        invalid reference `oci-layout::tag`: the layout path is empty
        invalid reference `oci://host/a//b`: repository `a//b`: empty path component
        "#);
    }

    #[tokio::test]
    async fn verifying_reader() {
        let data = b"hello".to_vec();
        let d = Digest::of_bytes(&data);
        let mut ok = VerifyingReader::new(std::io::Cursor::new(data.clone()), d, 5, "b");
        let mut out = Vec::new();
        ok.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, data);

        let mut bad = VerifyingReader::new(std::io::Cursor::new(b"hellO".to_vec()), d, 5, "b");
        let err = bad.read_to_end(&mut Vec::new()).await.unwrap_err();
        assert!(matches!(
            stream_error("b", err),
            Error::DigestMismatch { .. }
        ));

        let mut short = VerifyingReader::new(std::io::Cursor::new(b"hell".to_vec()), d, 5, "b");
        let err = short.read_to_end(&mut Vec::new()).await.unwrap_err();
        assert!(matches!(
            stream_error("b", err),
            Error::SizeMismatch { actual: 4, .. }
        ));

        let mut long = VerifyingReader::new(std::io::Cursor::new(b"hello!".to_vec()), d, 5, "b");
        let err = long.read_to_end(&mut Vec::new()).await.unwrap_err();
        assert!(matches!(stream_error("b", err), Error::SizeMismatch { .. }));
    }

    #[test]
    fn manifest_detect() {
        let m = Manifest::detect(br#"{"schemaVersion":2,"manifests":[]}"#.to_vec()).unwrap();
        assert!(m.is_index());
        let m = Manifest::detect(
            br#"{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#
                .to_vec(),
        )
        .unwrap();
        assert_eq!(m.media_type, media_types::DOCKER_MANIFEST);
    }
}
