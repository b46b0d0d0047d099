//! HTTP transport to one registry host: TLS/plain-HTTP choice, timeouts, authentication and
//! retries with backoff.
//!
//! Authentication is delegated to `oci-client` (it answers the `WWW-Authenticate` challenge of
//! `/v2/`: anonymous, basic, or a bearer token from the realm); identity (refresh) tokens are
//! exchanged here, since `oci-client` does not. Requests themselves go through `reqwest` so that
//! blob bodies stream and status codes, headers and retries are under our control. Neither
//! crate's types appear in the public API.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use oci_client::RegistryOperation;
use oci_client::secrets::RegistryAuth;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use tokio::sync::Mutex;

use crate::auth::Credential;
use crate::error::{Error, Result};

/// How to talk to one registry host.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RegistryConfig {
    /// Use plain HTTP. `None` (the default) means: plain HTTP for loopback hosts (`localhost`,
    /// `127.0.0.0/8`, `::1`) unless [`RegistryConfig::insecure_skip_tls_verify`] is set (which
    /// asks for TLS), HTTPS for everything else.
    pub plain_http: Option<bool>,
    /// Accept any TLS certificate (self-signed, wrong host). Only for registries you name.
    pub insecure_skip_tls_verify: bool,
    /// Credentials for this registry.
    pub credential: Credential,
    /// Time allowed to establish a connection.
    pub connect_timeout: Duration,
    /// Time allowed between two reads of a response (a stalled server fails after this long).
    pub read_timeout: Duration,
    /// How many times a failed idempotent request (5xx, 429, connection reset, timeout) is
    /// retried.
    pub retries: u32,
    /// The first retry waits this long; each further retry waits twice as long (capped at 10 s).
    pub backoff: Duration,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            plain_http: None,
            insecure_skip_tls_verify: false,
            credential: Credential::Anonymous,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            retries: 3,
            backoff: Duration::from_millis(200),
        }
    }
}

impl RegistryConfig {
    /// The default configuration with `credential`.
    pub fn with_credential(credential: Credential) -> Self {
        Self {
            credential,
            ..Self::default()
        }
    }

    /// Sets [`RegistryConfig::plain_http`].
    pub fn plain_http(mut self, plain: bool) -> Self {
        self.plain_http = Some(plain);
        self
    }

    /// Sets [`RegistryConfig::insecure_skip_tls_verify`].
    pub fn insecure(mut self, insecure: bool) -> Self {
        self.insecure_skip_tls_verify = insecure;
        self
    }

    /// Sets the read timeout.
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// Sets the retry count and first backoff.
    pub fn retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }
}

/// Whether `host` (`name[:port]`, `[v6]:port`) is a loopback address.
pub fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    };
    name.eq_ignore_ascii_case("localhost")
        || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host that serves the registry API for `host`: Docker Hub's names map to
/// `registry-1.docker.io`, everything else is itself.
pub(crate) fn api_host(host: &str) -> &str {
    match host.to_ascii_lowercase().as_str() {
        "docker.io" | "index.docker.io" | "registry.hub.docker.com" => "registry-1.docker.io",
        _ => host,
    }
}

/// The repository name Docker Hub expects: official images live under `library/`.
pub(crate) fn api_repository(host: &str, repository: &str) -> String {
    if api_host(host) == "registry-1.docker.io" && !repository.contains('/') {
        format!("library/{repository}")
    } else {
        repository.to_owned()
    }
}

/// The operation a token is scoped for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Access {
    Pull,
    Push,
}

/// A request that can be sent again (its body, if any, is in memory).
pub(crate) struct Req {
    pub(crate) method: Method,
    pub(crate) url: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<bytes::Bytes>,
}

impl Req {
    pub(crate) fn new(method: Method, url: String) -> Self {
        Self {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }
    pub(crate) fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    pub(crate) fn body(mut self, body: impl Into<bytes::Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// The connection to one registry host, shared by the [`crate::registry::RegistryStore`]s of
/// its repositories.
pub(crate) struct Transport {
    pub(crate) host: String,
    pub(crate) base: String,
    http: reqwest::Client,
    oci: oci_client::Client,
    config: RegistryConfig,
    /// Authorization header values by `(repository, access)`.
    tokens: Mutex<BTreeMap<(String, Access), Option<String>>>,
    /// The host's `/v2/` answered without a bearer challenge: no repository needs a token, so
    /// a repository seen for the first time needs no ping (the operator pushes each Order to a
    /// repository of its own). A `401` still asks the host again.
    no_bearer_challenge: AtomicBool,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport")
            .field("base", &self.base)
            .field("credential", &self.config.credential)
            .finish_non_exhaustive()
    }
}

/// Boxes any error as the source of [`Error::Registry`].
pub(crate) fn registry_error(
    op: impl Into<String>,
    location: impl Into<String>,
    source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Registry {
        op: op.into(),
        location: location.into(),
        source: source.into(),
    }
}

/// An unexpected HTTP answer, kept as the source of [`Error::Registry`].
#[derive(Debug, thiserror::Error)]
#[error("HTTP {status} from {method} {url}: {body}")]
pub(crate) struct HttpStatusError {
    pub(crate) status: u16,
    pub(crate) method: String,
    pub(crate) url: String,
    pub(crate) body: String,
}

impl Transport {
    pub(crate) fn new(host: &str, config: RegistryConfig) -> Result<Self> {
        let plain = config
            .plain_http
            .unwrap_or_else(|| is_loopback(host) && !config.insecure_skip_tls_verify);
        let scheme = if plain { "http" } else { "https" };
        let base = format!("{scheme}://{}", api_host(host));
        let location = format!("oci://{host}");
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .read_timeout(config.read_timeout)
            .danger_accept_invalid_certs(config.insecure_skip_tls_verify)
            .user_agent(concat!("kokumi/", env!("CARGO_PKG_VERSION")))
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .map_err(|e| registry_error("building the HTTP client", &location, e))?;
        let oci = oci_client::Client::try_from(oci_client::client::ClientConfig {
            protocol: if plain {
                oci_client::client::ClientProtocol::Http
            } else {
                oci_client::client::ClientProtocol::Https
            },
            accept_invalid_certificates: config.insecure_skip_tls_verify,
            connect_timeout: Some(config.connect_timeout),
            read_timeout: Some(config.read_timeout),
            ..Default::default()
        })
        .map_err(|e| registry_error("building the OCI client", &location, e))?;
        Ok(Self {
            host: host.to_owned(),
            base,
            http,
            oci,
            config,
            tokens: Mutex::new(BTreeMap::new()),
            no_bearer_challenge: AtomicBool::new(false),
        })
    }

    pub(crate) fn url(&self, repository: &str, rest: &str) -> String {
        format!("{}/v2/{repository}/{rest}", self.base)
    }

    /// Resolves a `Location` header against the registry's base URL.
    pub(crate) fn absolute(&self, location: &str) -> String {
        if location.starts_with("http://") || location.starts_with("https://") {
            location.to_owned()
        } else if location.starts_with('/') {
            format!("{}{location}", self.base)
        } else {
            format!("{}/{location}", self.base)
        }
    }

    /// The `Authorization` header for `repository`, fetching a token on first use.
    async fn authorization(
        &self,
        repository: &str,
        access: Access,
        refresh: bool,
    ) -> Result<Option<String>> {
        let key = (repository.to_owned(), access);
        let mut tokens = self.tokens.lock().await;
        if !refresh && let Some(value) = tokens.get(&key) {
            return Ok(value.clone());
        }
        if !refresh
            && self.no_bearer_challenge.load(Ordering::Relaxed)
            && let Some(value) = self.without_token()
        {
            tokens.insert(key, value.clone());
            return Ok(value);
        }
        let value = self.fetch_authorization(repository, access).await?;
        tokens.insert(key, value.clone());
        Ok(value)
    }

    /// The `Authorization` value for a host that sent no bearer challenge, for the
    /// credentials that need none (anonymous: no header; basic: the basic header). `None` for
    /// credentials that always need a token exchange or carry their own.
    fn without_token(&self) -> Option<Option<String>> {
        match &self.config.credential {
            Credential::Anonymous => Some(None),
            Credential::Basic { username, password } => {
                Some(Some(basic_header(username, password)))
            }
            Credential::BearerToken(_) | Credential::IdentityToken(_) => None,
        }
    }

    async fn fetch_authorization(
        &self,
        repository: &str,
        access: Access,
    ) -> Result<Option<String>> {
        let location = format!("oci://{}/{repository}", self.host);
        let auth = match &self.config.credential {
            Credential::Anonymous => RegistryAuth::Anonymous,
            Credential::Basic { username, password } => {
                RegistryAuth::Basic(username.clone(), password.clone())
            }
            Credential::BearerToken(token) => return Ok(Some(format!("Bearer {token}"))),
            Credential::IdentityToken(token) => {
                return self
                    .exchange_identity_token(repository, access, token)
                    .await
                    .map(|t| Some(format!("Bearer {t}")));
            }
        };
        let reference = oci_client::Reference::with_tag(
            api_host(&self.host).to_owned(),
            repository.to_owned(),
            "latest".to_owned(),
        );
        let op = match access {
            Access::Pull => RegistryOperation::Pull,
            Access::Push => RegistryOperation::Push,
        };
        let token = self
            .oci
            .auth(&reference, &auth, op)
            .await
            .map_err(|e| match e {
                oci_client::errors::OciDistributionError::AuthenticationFailure(reason) => {
                    Error::Unauthorized {
                        op: "authenticating".into(),
                        location: location.clone(),
                        reason: reason.trim().to_owned(),
                    }
                }
                other => registry_error("authenticating", &location, other),
            })?;
        // The challenge of `/v2/` is the host's, the same for every repository.
        self.no_bearer_challenge
            .store(token.is_none(), Ordering::Relaxed);
        Ok(match (token, &self.config.credential) {
            (Some(token), _) => Some(format!("Bearer {token}")),
            (None, Credential::Basic { username, password }) => {
                Some(basic_header(username, password))
            }
            (None, _) => None,
        })
    }

    /// OAuth2 refresh-token grant at the realm the registry names in its challenge.
    async fn exchange_identity_token(
        &self,
        repository: &str,
        access: Access,
        refresh_token: &str,
    ) -> Result<String> {
        let location = format!("oci://{}/{repository}", self.host);
        let ping = self
            .http
            .get(format!("{}/v2/", self.base))
            .send()
            .await
            .map_err(|e| registry_error("pinging /v2/", &location, e))?;
        let challenge = ping
            .headers()
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .map(parse_bearer_challenge)
            .ok_or_else(|| Error::Unauthorized {
                op: "exchanging an identity token".into(),
                location: location.clone(),
                reason: "the registry sent no bearer challenge".into(),
            })?;
        let realm = challenge
            .get("realm")
            .cloned()
            .ok_or_else(|| Error::Unauthorized {
                op: "exchanging an identity token".into(),
                location: location.clone(),
                reason: "the bearer challenge has no realm".into(),
            })?;
        let scope = match access {
            Access::Pull => format!("repository:{repository}:pull"),
            Access::Push => format!("repository:{repository}:pull,push"),
        };
        let mut form = vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.to_owned()),
            ("client_id", "kokumi".to_owned()),
            ("scope", scope),
        ];
        if let Some(service) = challenge.get("service") {
            form.push(("service", service.clone()));
        }
        let body = form
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let response = self
            .http
            .post(&realm)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| registry_error("exchanging an identity token", &location, e))?;
        let status = response.status();
        let text = response
            .text()
            .await
            .map_err(|e| registry_error("exchanging an identity token", &location, e))?;
        if !status.is_success() {
            return Err(Error::Unauthorized {
                op: "exchanging an identity token".into(),
                location,
                reason: format!("HTTP {status}: {}", truncate(&text)),
            });
        }
        #[derive(serde::Deserialize)]
        struct TokenAnswer {
            access_token: Option<String>,
            token: Option<String>,
        }
        let answer: TokenAnswer = serde_json::from_str(&text).map_err(|source| Error::Json {
            what: format!("token answer from {realm}"),
            source,
        })?;
        answer
            .access_token
            .or(answer.token)
            .ok_or_else(|| Error::Unauthorized {
                op: "exchanging an identity token".into(),
                location,
                reason: "the token server answered without a token".into(),
            })
    }

    fn build(&self, req: &Req, authorization: Option<&str>) -> RequestBuilder {
        let mut builder = self.http.request(req.method.clone(), &req.url);
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        if let Some(value) = authorization {
            builder = builder.header(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(body) = &req.body {
            builder = builder.body(body.clone());
        }
        builder
    }

    /// Sends a replayable request with auth and retries; returns the response whatever its
    /// status (callers interpret statuses), except that 5xx/429 answers are retried first.
    pub(crate) async fn send(
        &self,
        repository: &str,
        access: Access,
        req: Req,
        op: &str,
    ) -> Result<Response> {
        let location = format!("oci://{}/{repository}", self.host);
        let mut attempt = 0u32;
        let mut refreshed = false;
        loop {
            let authorization = self.authorization(repository, access, false).await?;
            let result = self.build(&req, authorization.as_deref()).send().await;
            match result {
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED && !refreshed => {
                    // A token may have expired, or the first request was anonymous.
                    refreshed = true;
                    self.authorization(repository, access, true).await?;
                    continue;
                }
                Ok(response) if response.status() == StatusCode::UNAUTHORIZED => {
                    let body = response.text().await.unwrap_or_default();
                    return Err(Error::Unauthorized {
                        op: op.to_owned(),
                        location,
                        reason: truncate(&body),
                    });
                }
                Ok(response) if is_retryable_status(response.status()) => {
                    if attempt >= self.config.retries {
                        return Err(status_error(op, &location, &req, response).await);
                    }
                }
                Ok(response) => return Ok(response),
                Err(e) => {
                    if attempt >= self.config.retries || !is_retryable_error(&e) {
                        return Err(self.transport_error(op, location, e));
                    }
                    tracing::debug!(error = %e, op, "retrying registry request");
                }
            }
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// Sends a request with a streaming body once (it cannot be replayed): auth is applied,
    /// a 401 is not retried here.
    pub(crate) async fn send_streaming(
        &self,
        repository: &str,
        req: Req,
        body: reqwest::Body,
        op: &str,
    ) -> std::result::Result<Response, reqwest::Error> {
        let authorization = self
            .authorization(repository, Access::Push, false)
            .await
            .ok()
            .flatten();
        self.build(&req, authorization.as_deref())
            .body(body)
            .send()
            .await
            .inspect_err(|e| tracing::debug!(error = %e, op, "streaming request failed"))
    }

    /// Wraps a reqwest error, saying so plainly when it was a timeout.
    pub(crate) fn transport_error(
        &self,
        op: &str,
        location: String,
        error: reqwest::Error,
    ) -> Error {
        if error.is_timeout() {
            registry_error(
                op,
                location,
                TimeoutError {
                    after: self.config.read_timeout,
                    source: error,
                },
            )
        } else {
            registry_error(op, location, error)
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.min(16));
        self.config
            .backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(10))
    }
}

/// `Basic base64(user:password)`.
fn basic_header(username: &str, password: &str) -> String {
    use base64::Engine as _;
    let raw = format!("{username}:{password}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// A request that got no answer in time.
#[derive(Debug, thiserror::Error)]
#[error("timed out after {after:?} without data from the registry")]
pub(crate) struct TimeoutError {
    after: Duration,
    #[source]
    source: reqwest::Error,
}

/// Reads (a bounded part of) the body of an unexpected answer into an error.
pub(crate) async fn status_error(op: &str, location: &str, req: &Req, response: Response) -> Error {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    registry_error(
        op,
        location,
        HttpStatusError {
            status,
            method: req.method.to_string(),
            url: req.url.clone(),
            body: truncate(&body),
        },
    )
}

fn is_retryable_status(status: StatusCode) -> bool {
    status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS
}

fn is_retryable_error(error: &reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request() || error.is_body()
}

pub(crate) fn truncate(text: &str) -> String {
    let text = text.trim();
    if text.len() <= 300 {
        return text.to_owned();
    }
    let mut end = 300;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Parses `Bearer realm="…",service="…",scope="…"` into its parameters.
pub(crate) fn parse_bearer_challenge(header: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(rest) = header
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| header.trim().strip_prefix("bearer "))
    else {
        return out;
    };
    let mut chars = rest.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ',' || c.is_whitespace()) {
            chars.next();
        }
        let key: String = chars.by_ref().take_while(|c| *c != '=').collect();
        if key.is_empty() {
            break;
        }
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(c) = chars.peek().copied() {
                if c == ',' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        out.insert(key.trim().to_ascii_lowercase(), value);
    }
    out
}

/// Percent-encodes a query or form value.
pub(crate) fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for h in [
            "localhost:5000",
            "127.0.0.1:1234",
            "127.1.2.3",
            "[::1]:80",
            "LOCALHOST",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "ghcr.io",
            "10.0.0.1:5000",
            "[fe80::1]:5000",
            "localhost.example",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn challenge() {
        let c = parse_bearer_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example", scope="repository:a/b:pull,push""#,
        );
        assert_eq!(c["realm"], "https://auth.example/token");
        assert_eq!(c["service"], "registry.example");
        assert_eq!(c["scope"], "repository:a/b:pull,push");
        assert!(parse_bearer_challenge(r#"Basic realm="x""#).is_empty());
    }

    #[test]
    fn encoding_and_backoff() {
        assert_eq!(url_encode("a b/c:d"), "a%20b%2Fc%3Ad");
        let t = Transport::new(
            "127.0.0.1:1",
            RegistryConfig::default().retries(5, Duration::from_millis(100)),
        )
        .unwrap();
        assert_eq!(t.base, "http://127.0.0.1:1");
        assert_eq!(t.backoff(0), Duration::from_millis(100));
        assert_eq!(t.backoff(3), Duration::from_millis(800));
        assert_eq!(t.backoff(30), Duration::from_secs(10));
        let t = Transport::new("docker.io", RegistryConfig::default()).unwrap();
        assert_eq!(t.base, "https://registry-1.docker.io");
        assert_eq!(api_repository("docker.io", "nginx"), "library/nginx");
        assert_eq!(
            api_repository("docker.io", "bitnami/nginx"),
            "bitnami/nginx"
        );
        assert_eq!(api_repository("ghcr.io", "nginx"), "nginx");
        let t = Transport::new("ghcr.io", RegistryConfig::default()).unwrap();
        assert_eq!(t.base, "https://ghcr.io");
        assert_eq!(
            t.absolute("/v2/x/blobs/uploads/u?s=1"),
            "https://ghcr.io/v2/x/blobs/uploads/u?s=1"
        );
    }
}
