//! [`RegistryStore`]: a repository in a remote OCI registry, as a [`Store`].
//!
//! Blobs stream both ways (a blob is never held in memory): uploads are `POST` then one
//! streaming `PUT ?digest=` (CNCF distribution rejects the single-request monolithic `POST`),
//! downloads are verified against size and digest as they are read. Manifests are verified
//! against their digest on every pull. Idempotent requests are retried with backoff on 5xx, 429,
//! connection resets and timeouts; a streaming upload is not replayable, so [`crate::copy`]
//! retries it by reading the source again.
//!
//! ```no_run
//! # async fn demo() -> kokumi_oci::Result<()> {
//! use kokumi_oci::registry::{RegistryConfig, RegistryStore};
//! use kokumi_oci::Store as _;
//!
//! let store = RegistryStore::new("127.0.0.1:5000", "team/app", RegistryConfig::default())?;
//! let descriptor = store.resolve("v1").await?;
//! println!("{}", descriptor.digest());
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use futures_util::TryStreamExt as _;
use oci_spec::image::{Descriptor, MediaType};
use reqwest::{Method, StatusCode};
use tokio::io::AsyncReadExt as _;

use crate::auth::{Credential, CredentialHelper, DockerConfig, NoHelpers};
use crate::error::{Error, Result};
use crate::media_types;
use crate::store::{
    BlobReader, Digest, DigestExt, Manifest, Store, StoreLocation, VerifyingReader,
};
use crate::transport::{Access, Req, Transport, registry_error, status_error, truncate};
pub use crate::transport::{RegistryConfig, is_loopback};

/// The largest manifest we accept (the limit CNCF distribution applies too).
pub const MAX_MANIFEST_SIZE: u64 = 4 * 1024 * 1024;

/// Every manifest media type we can read.
const ACCEPT_MANIFESTS: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";

/// Size of the pieces a blob is read and sent in.
const CHUNK: usize = 256 * 1024;

/// A repository in a remote registry.
///
/// Cheap to clone; [`RegistryStore::repository`] gives a store for another repository on the
/// same host that shares connections and tokens.
#[derive(Debug, Clone)]
pub struct RegistryStore {
    transport: Arc<Transport>,
    repository: String,
}

impl RegistryStore {
    /// A store for `repository` on `host` (`name[:port]`).
    pub fn new(host: &str, repository: &str, config: RegistryConfig) -> Result<Self> {
        crate::store::validate_repository(repository).map_err(|reason| {
            Error::InvalidReference {
                input: format!("oci://{host}/{repository}"),
                reason,
            }
        })?;
        Ok(Self {
            transport: Arc::new(Transport::new(host, config)?),
            repository: crate::transport::api_repository(host, repository),
        })
    }

    /// A store for the registry repository named by `location`.
    pub fn from_location(location: &StoreLocation, config: RegistryConfig) -> Result<Self> {
        match location {
            StoreLocation::Registry { host, repository } => Self::new(host, repository, config),
            other => Err(Error::InvalidReference {
                input: other.to_string(),
                reason: "not a registry location (`oci://HOST/REPO`)".into(),
            }),
        }
    }

    /// Another repository on the same registry, sharing connections and credentials.
    pub fn repository(&self, repository: &str) -> Result<Self> {
        crate::store::validate_repository(repository).map_err(|reason| {
            Error::InvalidReference {
                input: format!("oci://{}/{repository}", self.transport.host),
                reason,
            }
        })?;
        Ok(Self {
            transport: Arc::clone(&self.transport),
            repository: crate::transport::api_repository(&self.transport.host, repository),
        })
    }

    /// The registry host (`name[:port]`).
    pub fn host(&self) -> &str {
        &self.transport.host
    }

    /// The repository name.
    pub fn repository_name(&self) -> &str {
        &self.repository
    }

    fn loc(&self) -> String {
        format!("oci://{}/{}", self.transport.host, self.repository)
    }

    fn url(&self, rest: &str) -> String {
        self.transport.url(&self.repository, rest)
    }

    async fn send(&self, access: Access, req: Req, op: &str) -> Result<reqwest::Response> {
        self.transport.send(&self.repository, access, req, op).await
    }

    /// Checks that the registry answers `GET /v2/` (with our credentials).
    pub async fn ping(&self) -> Result<()> {
        let req = Req::new(Method::GET, format!("{}/v2/", self.transport.base));
        let response = self.send(Access::Pull, req, "pinging /v2/").await?;
        if response.status().is_success() {
            Ok(())
        } else {
            let req = Req::new(Method::GET, format!("{}/v2/", self.transport.base));
            Err(status_error("pinging /v2/", &self.loc(), &req, response).await)
        }
    }

    /// Mounts `digest` from another repository of the same registry (`POST ?mount=&from=`).
    /// Returns `false` when the registry did not mount it (the blob must then be uploaded).
    /// [`Store::mount_blob`] calls this when the source is on this registry.
    pub async fn mount_blob_from(&self, digest: &Digest, from_repository: &str) -> Result<bool> {
        let op = format!("mounting blob {digest} from {from_repository}");
        let url = format!(
            "{}?mount={}&from={}",
            self.url("blobs/uploads/"),
            crate::transport::url_encode(&digest.to_string()),
            crate::transport::url_encode(from_repository)
        );
        let req = Req::new(Method::POST, url).header("Content-Length", "0");
        let response = self.send(Access::Push, req, &op).await?;
        match response.status() {
            StatusCode::CREATED => Ok(true),
            // 202: the registry opened an ordinary upload instead; leave it to expire.
            StatusCode::ACCEPTED => Ok(false),
            StatusCode::NOT_FOUND | StatusCode::FORBIDDEN => Ok(false),
            _ => {
                let req = Req::new(Method::POST, self.url("blobs/uploads/"));
                Err(status_error(&op, &self.loc(), &req, response).await)
            }
        }
    }

    /// Opens an upload session and returns its absolute URL.
    async fn start_upload(&self, op: &str) -> Result<String> {
        let req = Req::new(Method::POST, self.url("blobs/uploads/")).header("Content-Length", "0");
        let response = self.send(Access::Push, req, op).await?;
        if response.status() != StatusCode::ACCEPTED {
            let req = Req::new(Method::POST, self.url("blobs/uploads/"));
            return Err(status_error(op, &self.loc(), &req, response).await);
        }
        let location = header(&response, "location").ok_or_else(|| {
            registry_error(op, self.loc(), "the upload answer has no Location header")
        })?;
        Ok(self.transport.absolute(&location))
    }

    /// Completes the upload session `upload` with one streaming `PUT ?digest=`.
    async fn finish_upload(
        &self,
        upload: &str,
        digest: &Digest,
        size: u64,
        data: BlobReader,
        op: &str,
    ) -> Result<()> {
        let separator = if upload.contains('?') { '&' } else { '?' };
        let url = format!(
            "{upload}{separator}digest={}",
            crate::transport::url_encode(&digest.to_string())
        );
        let what = format!("blob {digest} for {}", self.loc());
        let verified: BlobReader =
            Box::pin(VerifyingReader::new(data, *digest, size, what.clone()));
        let error_slot = Arc::new(std::sync::Mutex::new(None));
        let body = reqwest::Body::wrap_stream(body_stream(verified, Arc::clone(&error_slot)));
        let req = Req::new(Method::PUT, url.clone())
            .header("Content-Type", "application/octet-stream")
            .header("Content-Length", size.to_string());
        let result = self
            .transport
            .send_streaming(&self.repository, req, body, op)
            .await;
        // A failure of our own reader (digest/size mismatch, a broken source) wins over the
        // transport error it caused.
        let local = error_slot.lock().ok().and_then(|mut slot| slot.take());
        if let Some(local) = local {
            return Err(crate::store::stream_error(&what, local));
        }
        let response = result.map_err(|e| self.transport.transport_error(op, self.loc(), e))?;
        match response.status() {
            StatusCode::CREATED => Ok(()),
            StatusCode::BAD_REQUEST => {
                let body = response.text().await.unwrap_or_default();
                if body.contains("DIGEST_INVALID") {
                    Err(Error::DigestMismatch {
                        what,
                        expected: digest.to_string(),
                        actual: format!("something else (registry: {})", truncate(&body)),
                    })
                } else {
                    Err(registry_error(
                        op,
                        self.loc(),
                        crate::transport::HttpStatusError {
                            status: 400,
                            method: "PUT".into(),
                            url,
                            body: truncate(&body),
                        },
                    ))
                }
            }
            _ => {
                let req = Req::new(Method::PUT, url);
                Err(status_error(op, &self.loc(), &req, response).await)
            }
        }
    }

    /// Fetches a manifest by tag or digest without knowing its digest in advance.
    async fn get_manifest_raw(&self, reference: &str) -> Result<Manifest> {
        let op = format!("fetching manifest {reference}");
        let req = Req::new(Method::GET, self.url(&format!("manifests/{reference}")))
            .header("Accept", ACCEPT_MANIFESTS);
        let response = self.send(Access::Pull, req, &op).await?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => {
                return Err(Error::NotFound {
                    what: format!("manifest {reference}"),
                    location: self.loc(),
                });
            }
            _ => {
                let req = Req::new(Method::GET, self.url(&format!("manifests/{reference}")));
                return Err(status_error(&op, &self.loc(), &req, response).await);
            }
        }
        let content_type = header(&response, "content-type");
        let bytes = read_body_capped(
            response,
            MAX_MANIFEST_SIZE,
            &format!("manifest {reference}"),
        )
        .await
        .map_err(|e| match e {
            Error::Stream { source, .. } => registry_error(&op, self.loc(), source),
            other => other,
        })?;
        manifest_from(content_type, bytes)
    }

    /// Pushes a manifest; returns its digest and whether the registry indexed its `subject`
    /// itself (the `OCI-Subject` answer header of registries with the referrers API).
    pub async fn put_manifest_detailed(
        &self,
        manifest: &Manifest,
        tag: Option<&str>,
    ) -> Result<(Digest, bool)> {
        let digest = manifest.digest();
        let reference = tag.map_or_else(|| digest.to_string(), str::to_owned);
        if let Some(tag) = tag {
            crate::store::validate_tag(tag).map_err(|reason| Error::InvalidReference {
                input: format!("{}:{tag}", self.loc()),
                reason,
            })?;
        }
        let op = format!("pushing manifest {digest}");
        let req = Req::new(Method::PUT, self.url(&format!("manifests/{reference}")))
            .header("Content-Type", manifest.media_type.clone())
            .body(manifest.bytes.clone());
        let response = self.send(Access::Push, req, &op).await?;
        if response.status() != StatusCode::CREATED && response.status() != StatusCode::OK {
            let req = Req::new(Method::PUT, self.url(&format!("manifests/{reference}")));
            return Err(status_error(&op, &self.loc(), &req, response).await);
        }
        if let Some(answer) = header(&response, "docker-content-digest")
            && answer != digest.to_string()
        {
            {
                return Err(Error::DigestMismatch {
                    what: format!("manifest pushed to {}", self.loc()),
                    expected: digest.to_string(),
                    actual: answer,
                });
            }
        }
        let indexed = header(&response, "oci-subject").is_some();
        Ok((digest, indexed))
    }

    /// The size of a blob from `HEAD`, `None` when it does not exist.
    async fn blob_size(&self, digest: &Digest) -> Result<Option<u64>> {
        let op = format!("checking blob {digest}");
        let req = Req::new(Method::HEAD, self.url(&format!("blobs/{digest}")));
        let response = self.send(Access::Pull, req, &op).await?;
        match response.status() {
            StatusCode::OK => Ok(Some(content_length(&response).unwrap_or(0))),
            StatusCode::NOT_FOUND => Ok(None),
            _ => {
                let req = Req::new(Method::HEAD, self.url(&format!("blobs/{digest}")));
                Err(status_error(&op, &self.loc(), &req, response).await)
            }
        }
    }
}

/// Per-host registry settings and credentials, handing out [`RegistryStore`]s that share one
/// connection pool and token cache per host.
///
/// Plain HTTP and skipped TLS verification are opt-in per host ([`Registries::plain_http`],
/// [`Registries::insecure`]); loopback hosts default to plain HTTP. Credentials come from an
/// optional docker `config.json` / `.dockerconfigjson` (helpers run through the given
/// [`CredentialHelper`]).
///
/// ```
/// use kokumi_oci::registry::{Registries, RegistryConfig};
/// use kokumi_oci::Store as _;
/// let registries = Registries::new(RegistryConfig::default()).insecure("registry.internal:5000");
/// let a = registries.store("registry.internal:5000", "team/a")?;
/// let b = registries.store("registry.internal:5000", "team/b")?;
/// assert_eq!(a.location().to_string(), "oci://registry.internal:5000/team/a");
/// assert!(a.shares_connection_with(&b));
/// # Ok::<(), kokumi_oci::Error>(())
/// ```
pub struct Registries {
    defaults: RegistryConfig,
    docker: Option<DockerConfig>,
    helpers: Arc<dyn CredentialHelper>,
    plain_http: BTreeSet<String>,
    insecure: BTreeSet<String>,
    transports: std::sync::Mutex<BTreeMap<String, Arc<Transport>>>,
}

impl std::fmt::Debug for Registries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registries")
            .field("plain_http", &self.plain_http)
            .field("insecure", &self.insecure)
            .field("docker_config", &self.docker.is_some())
            .finish_non_exhaustive()
    }
}

impl Registries {
    /// Registries configured with `defaults` (timeouts, retries; its credential is used for
    /// hosts the docker config does not know).
    pub fn new(defaults: RegistryConfig) -> Self {
        Self {
            defaults,
            docker: None,
            helpers: Arc::new(NoHelpers),
            plain_http: BTreeSet::new(),
            insecure: BTreeSet::new(),
            transports: std::sync::Mutex::new(BTreeMap::new()),
        }
    }

    /// Takes credentials from `config`, running helpers through `helpers`.
    pub fn with_docker_config(
        mut self,
        config: DockerConfig,
        helpers: Arc<dyn CredentialHelper>,
    ) -> Self {
        self.docker = Some(config);
        self.helpers = helpers;
        self
    }

    /// Talk plain HTTP to `host`.
    pub fn plain_http(mut self, host: &str) -> Self {
        self.plain_http.insert(host.to_ascii_lowercase());
        self
    }

    /// Accept any TLS certificate from `host`.
    pub fn insecure(mut self, host: &str) -> Self {
        self.insecure.insert(host.to_ascii_lowercase());
        self
    }

    /// The configuration used for `host` (credentials resolved, helpers run).
    pub fn config_for(&self, host: &str) -> Result<RegistryConfig> {
        let mut config = self.defaults.clone();
        let key = host.to_ascii_lowercase();
        if self.plain_http.contains(&key) {
            config.plain_http = Some(true);
        }
        if self.insecure.contains(&key) {
            config.insecure_skip_tls_verify = true;
        }
        if let Some(docker) = &self.docker {
            let credential = docker.credential_for(host, self.helpers.as_ref())?;
            if credential != Credential::Anonymous {
                config.credential = credential;
            }
        }
        Ok(config)
    }

    /// A store for `repository` on `host`.
    pub fn store(&self, host: &str, repository: &str) -> Result<RegistryStore> {
        crate::store::validate_repository(repository).map_err(|reason| {
            Error::InvalidReference {
                input: format!("oci://{host}/{repository}"),
                reason,
            }
        })?;
        let key = host.to_ascii_lowercase();
        let cached = self
            .transports
            .lock()
            .ok()
            .and_then(|t| t.get(&key).cloned());
        let transport = match cached {
            Some(t) => t,
            None => {
                let t = Arc::new(Transport::new(host, self.config_for(host)?)?);
                if let Ok(mut map) = self.transports.lock() {
                    map.entry(key).or_insert_with(|| Arc::clone(&t));
                }
                t
            }
        };
        Ok(RegistryStore {
            transport,
            repository: crate::transport::api_repository(host, repository),
        })
    }

    /// A store for the registry repository named by `location`.
    pub fn store_for(&self, location: &StoreLocation) -> Result<RegistryStore> {
        match location {
            StoreLocation::Registry { host, repository } => self.store(host, repository),
            other => Err(Error::InvalidReference {
                input: other.to_string(),
                reason: "not a registry location (`oci://HOST/REPO`)".into(),
            }),
        }
    }
}

impl RegistryStore {
    /// Whether both stores use one connection pool and token cache (same host, same
    /// [`Registries`] or [`RegistryStore::repository`]).
    pub fn shares_connection_with(&self, other: &RegistryStore) -> bool {
        Arc::ptr_eq(&self.transport, &other.transport)
    }
}

fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn content_length(response: &reqwest::Response) -> Option<u64> {
    header(response, "content-length").and_then(|v| v.trim().parse().ok())
}

fn manifest_from(content_type: Option<String>, bytes: Vec<u8>) -> Result<Manifest> {
    let content_type = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_owned())
        .filter(|c| {
            media_types::is_index(c)
                || media_types::is_manifest(c)
                || c.starts_with("application/vnd.")
        });
    match content_type {
        Some(media_type) => Ok(Manifest::new(media_type, bytes)),
        None => Manifest::detect(bytes),
    }
}

async fn read_body_capped(response: reqwest::Response, max: u64, what: &str) -> Result<Vec<u8>> {
    if content_length(&response).is_some_and(|n| n > max) {
        return Err(Error::TooLarge {
            what: what.to_owned(),
            limit: max,
        });
    }
    let stream = response.bytes_stream().map_err(std::io::Error::other);
    let reader: BlobReader = Box::pin(tokio_util::io::StreamReader::new(stream));
    crate::store::read_capped(reader, max, what).await
}

/// Adapts a (verifying) reader into a body stream, remembering the first error so that the
/// caller can report a digest mismatch rather than reqwest's generic body error.
fn body_stream(
    reader: BlobReader,
    error: Arc<std::sync::Mutex<Option<std::io::Error>>>,
) -> impl futures_util::Stream<Item = std::io::Result<bytes::Bytes>> + Send + 'static {
    futures_util::stream::try_unfold((reader, error), |(mut reader, error)| async move {
        let mut buf = bytes::BytesMut::with_capacity(CHUNK);
        loop {
            match reader.read_buf(&mut buf).await {
                Ok(0) => {
                    return if buf.is_empty() {
                        Ok(None)
                    } else {
                        Ok(Some((buf.freeze(), (reader, error))))
                    };
                }
                Ok(_) if buf.len() >= CHUNK / 2 => {
                    return Ok(Some((buf.freeze(), (reader, error))));
                }
                Ok(_) => {}
                Err(e) => {
                    let kind = e.kind();
                    let message = e.to_string();
                    if let Ok(mut slot) = error.lock() {
                        slot.get_or_insert(e);
                    }
                    return Err(std::io::Error::new(kind, message));
                }
            }
        }
    })
}

#[async_trait::async_trait]
impl Store for RegistryStore {
    async fn resolve(&self, reference: &str) -> Result<Descriptor> {
        let op = format!("resolving {reference}");
        let req = Req::new(Method::HEAD, self.url(&format!("manifests/{reference}")))
            .header("Accept", ACCEPT_MANIFESTS);
        let response = self.send(Access::Pull, req, &op).await?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => {
                return Err(Error::NotFound {
                    what: format!("manifest {reference}"),
                    location: self.loc(),
                });
            }
            // Some registries answer HEAD badly; fall back to GET below.
            StatusCode::METHOD_NOT_ALLOWED | StatusCode::BAD_REQUEST => {}
            _ => {
                let req = Req::new(Method::HEAD, self.url(&format!("manifests/{reference}")));
                return Err(status_error(&op, &self.loc(), &req, response).await);
            }
        }
        let digest =
            header(&response, "docker-content-digest").and_then(|d| Digest::parse(&d).ok());
        let media_type = header(&response, "content-type");
        let size = content_length(&response);
        let from_head = response.status() == StatusCode::OK;
        if let (true, Some(digest), Some(media_type), Some(size)) =
            (from_head, &digest, &media_type, size)
        {
            if let Ok(asked) = Digest::parse(reference)
                && &asked != digest
            {
                {
                    return Err(Error::DigestMismatch {
                        what: format!("manifest {reference} in {}", self.loc()),
                        expected: asked.to_string(),
                        actual: digest.to_string(),
                    });
                }
            }
            let media_type = manifest_from(Some(media_type.clone()), Vec::new())
                .map(|m| m.media_type)
                .unwrap_or_else(|_| media_types::OCI_MANIFEST.to_owned());
            return Ok(Descriptor::new(
                MediaType::from(media_type.as_str()),
                size,
                digest.to_oci(),
            ));
        }
        // No usable headers: fetch the manifest and compute.
        let manifest = self.get_manifest_raw(reference).await?;
        if let Ok(asked) = Digest::parse(reference)
            && asked != manifest.digest()
        {
            {
                return Err(Error::DigestMismatch {
                    what: format!("manifest {reference} in {}", self.loc()),
                    expected: asked.to_string(),
                    actual: manifest.digest().to_string(),
                });
            }
        }
        Ok(manifest.descriptor())
    }

    async fn get_manifest(&self, digest: &Digest) -> Result<Manifest> {
        let manifest = self.get_manifest_raw(&digest.to_string()).await?;
        let actual = manifest.digest();
        if &actual != digest {
            return Err(Error::DigestMismatch {
                what: format!("manifest from {}", self.loc()),
                expected: digest.to_string(),
                actual: actual.to_string(),
            });
        }
        Ok(manifest)
    }

    async fn put_manifest(&self, manifest: &Manifest, tag: Option<&str>) -> Result<Digest> {
        self.put_manifest_detailed(manifest, tag)
            .await
            .map(|(d, _)| d)
    }

    async fn has_blob(&self, digest: &Digest) -> Result<bool> {
        Ok(self.blob_size(digest).await?.is_some())
    }

    async fn get_blob(&self, digest: &Digest) -> Result<BlobReader> {
        let op = format!("fetching blob {digest}");
        let req = Req::new(Method::GET, self.url(&format!("blobs/{digest}")));
        let response = self.send(Access::Pull, req, &op).await?;
        match response.status() {
            StatusCode::OK => {}
            StatusCode::NOT_FOUND => {
                return Err(Error::NotFound {
                    what: format!("blob {digest}"),
                    location: self.loc(),
                });
            }
            _ => {
                let req = Req::new(Method::GET, self.url(&format!("blobs/{digest}")));
                return Err(status_error(&op, &self.loc(), &req, response).await);
            }
        }
        let size = match content_length(&response) {
            Some(size) => size,
            None => self
                .blob_size(digest)
                .await?
                .ok_or_else(|| Error::NotFound {
                    what: format!("blob {digest}"),
                    location: self.loc(),
                })?,
        };
        let stream = response.bytes_stream().map_err(std::io::Error::other);
        let reader = tokio_util::io::StreamReader::new(stream);
        Ok(Box::pin(VerifyingReader::new(
            reader,
            *digest,
            size,
            format!("blob {digest} from {}", self.loc()),
        )))
    }

    async fn put_blob(&self, digest: &Digest, size: u64, data: BlobReader) -> Result<()> {
        let op = format!("pushing blob {digest}");
        let upload = self.start_upload(&op).await?;
        self.finish_upload(&upload, digest, size, data, &op).await
    }

    async fn ensure_blob_bytes(&self, bytes: Vec<u8>) -> Result<bool> {
        let digest = Digest::of_bytes(&bytes);
        let size = bytes.len() as u64;
        let op = format!("pushing blob {digest}");
        // A mount from this very repository: `201` when the repository already has the blob,
        // else (`202`) the ordinary upload session the PUT completes — one request where
        // `HEAD` then `POST` took two.
        let url = format!(
            "{}?mount={}&from={}",
            self.url("blobs/uploads/"),
            crate::transport::url_encode(&digest.to_string()),
            crate::transport::url_encode(&self.repository)
        );
        let req = Req::new(Method::POST, url).header("Content-Length", "0");
        let response = self.send(Access::Push, req, &op).await?;
        let data: BlobReader = Box::pin(std::io::Cursor::new(bytes));
        match response.status() {
            StatusCode::CREATED => Ok(false),
            StatusCode::ACCEPTED => {
                let location = header(&response, "location").ok_or_else(|| {
                    registry_error(&op, self.loc(), "the upload answer has no Location header")
                })?;
                let upload = self.transport.absolute(&location);
                self.finish_upload(&upload, &digest, size, data, &op)
                    .await
                    .map(|()| true)
            }
            // A registry that refuses mount parameters: ask, then upload.
            _ => {
                if self.has_blob(&digest).await? {
                    return Ok(false);
                }
                self.put_blob(&digest, size, data).await.map(|()| true)
            }
        }
    }

    async fn list_tags(&self) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut tags = Vec::new();
        let mut next = Some(self.url("tags/list?n=1000"));
        while let Some(url) = next.take() {
            let op = "listing tags";
            let response = self
                .send(Access::Pull, Req::new(Method::GET, url.clone()), op)
                .await?;
            match response.status() {
                StatusCode::OK => {}
                // A repository that does not exist yet has no tags.
                StatusCode::NOT_FOUND => return Ok(Vec::new()),
                _ => {
                    return Err(status_error(
                        op,
                        &self.loc(),
                        &Req::new(Method::GET, url),
                        response,
                    )
                    .await);
                }
            }
            next = header(&response, "link").and_then(|link| {
                let start = link.find('<')? + 1;
                let end = link.find('>')?;
                Some(self.transport.absolute(&link[start..end]))
            });
            let bytes = read_body_capped(response, 16 * 1024 * 1024, "tag list").await?;
            let page: TagList = serde_json::from_slice(&bytes).map_err(|source| Error::Json {
                what: format!("tag list of {}", self.loc()),
                source,
            })?;
            tags.extend(page.tags.unwrap_or_default());
        }
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Vec<Descriptor>> {
        crate::referrers::list_registry(self, subject, artifact_type).await
    }

    async fn delete_manifest(&self, digest: &Digest) -> Result<()> {
        let op = format!("deleting manifest {digest}");
        let url = self.url(&format!("manifests/{digest}"));
        let response = self
            .send(Access::Push, Req::new(Method::DELETE, url.clone()), &op)
            .await?;
        match response.status() {
            StatusCode::ACCEPTED | StatusCode::OK | StatusCode::NO_CONTENT => Ok(()),
            StatusCode::NOT_FOUND => Err(Error::NotFound {
                what: format!("manifest {digest}"),
                location: self.loc(),
            }),
            StatusCode::METHOD_NOT_ALLOWED => Err(Error::Unsupported {
                op: "deleting manifests",
                location: self.loc(),
            }),
            _ => {
                Err(status_error(&op, &self.loc(), &Req::new(Method::DELETE, url), response).await)
            }
        }
    }

    fn location(&self) -> StoreLocation {
        StoreLocation::Registry {
            host: self.transport.host.clone(),
            repository: self.repository.clone(),
        }
    }

    async fn mount_blob(&self, digest: &Digest, from: &StoreLocation) -> Result<bool> {
        match from {
            StoreLocation::Registry { host, repository }
                if *host == self.transport.host && *repository != self.repository =>
            {
                self.mount_blob_from(digest, repository).await
            }
            _ => Ok(false),
        }
    }
}

impl RegistryStore {
    /// The raw answer of the OCI 1.1 referrers API: `Ok(None)` when the registry does not have
    /// it (404), else the index bytes.
    pub(crate) async fn referrers_api(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> Result<Option<Vec<u8>>> {
        let mut url = self.url(&format!("referrers/{subject}"));
        if let Some(t) = artifact_type {
            url.push_str("?artifactType=");
            url.push_str(&crate::transport::url_encode(t));
        }
        let op = format!("listing referrers of {subject}");
        let req = Req::new(Method::GET, url.clone()).header("Accept", media_types::OCI_INDEX);
        let response = self.send(Access::Pull, req, &op).await?;
        match response.status() {
            StatusCode::OK => {
                let is_index = header(&response, "content-type")
                    .is_some_and(|c| c.starts_with(media_types::OCI_INDEX));
                let bytes =
                    read_body_capped(response, MAX_MANIFEST_SIZE, "referrers index").await?;
                // A registry without the API may answer 200 with something else (an HTML page);
                // only an image index counts.
                if is_index || serde_json::from_slice::<oci_spec::image::ImageIndex>(&bytes).is_ok()
                {
                    Ok(Some(bytes))
                } else {
                    Ok(None)
                }
            }
            StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED => Ok(None),
            _ => Err(status_error(&op, &self.loc(), &Req::new(Method::GET, url), response).await),
        }
    }

    /// The manifest under a tag, `Ok(None)` when the tag does not exist.
    pub(crate) async fn manifest_by_tag(&self, tag: &str) -> Result<Option<Manifest>> {
        match self.get_manifest_raw(tag).await {
            Ok(m) => Ok(Some(m)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
