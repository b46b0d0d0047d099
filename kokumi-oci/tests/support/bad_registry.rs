//! An in-process registry (axum on 127.0.0.1:0) that can misbehave on purpose: lie about
//! digests, truncate blobs, fail uploads half-way, stall, serve oversized layers, demand bearer
//! tokens, or fail the first requests with 503.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt as _;
use sha2::Digest as _;

/// How the registry misbehaves.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// A correct (if minimal) registry.
    #[default]
    Honest,
    /// Serves other bytes than asked for (blobs and manifests), with honest lengths.
    WrongDigest,
    /// Announces the full length of a blob, sends half, then drops the connection.
    TruncateBlob,
    /// Announces and sends only the first half of a blob (a short but "complete" answer).
    ShortBlob,
    /// Reads about this many bytes of an upload, then answers 500.
    FailUploadAfter(usize),
    /// Waits this long before answering blob and manifest requests.
    Slow(Duration),
    /// Serves blobs with this many extra bytes appended (the answer's length includes them).
    Oversized(usize),
    /// Answers the first this-many requests with 503, then behaves.
    Flaky(usize),
    /// Drops the connection without an answer for the first this-many requests.
    Reset(usize),
}

/// Whether the registry offers the OCI 1.1 referrers API (off: 404, like distribution 2.8).
pub fn referrers_api(bad: &BadRegistry, on: bool) {
    bad.inner
        .referrers_api
        .store(on, std::sync::atomic::Ordering::SeqCst);
}

/// Stored content and behaviour.
#[derive(Default)]
pub struct Inner {
    pub mode: Mutex<Mode>,
    pub blobs: Mutex<BTreeMap<String, Vec<u8>>>,
    pub manifests: Mutex<BTreeMap<String, (String, Vec<u8>)>>,
    pub tags: Mutex<BTreeMap<String, String>>,
    /// `(user, password, token)` when bearer auth is on.
    pub bearer: Mutex<Option<(String, String, String)>>,
    pub requests: AtomicUsize,
    pub token_requests: AtomicUsize,
    pub uploads: Mutex<BTreeMap<String, Vec<u8>>>,
    pub referrers_api: std::sync::atomic::AtomicBool,
}

/// A running bad registry.
#[derive(Clone)]
pub struct BadRegistry {
    /// `127.0.0.1:PORT`.
    pub host: String,
    pub inner: Arc<Inner>,
}

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

impl BadRegistry {
    /// Starts it on a free port in the current tokio runtime.
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let host = listener.local_addr().unwrap().to_string();
        let app = Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&inner));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { host, inner }
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.inner.mode.lock().unwrap() = mode;
    }

    /// Require `Authorization: Bearer <token>` from a token server at `/token` that accepts
    /// `user:password` (basic) and hands out `token`.
    pub fn require_bearer(&self, user: &str, password: &str, token: &str) {
        *self.inner.bearer.lock().unwrap() =
            Some((user.to_owned(), password.to_owned(), token.to_owned()));
    }

    /// Stores a blob directly; returns its digest.
    pub fn put_blob(&self, bytes: &[u8]) -> String {
        let digest = sha(bytes);
        self.inner
            .blobs
            .lock()
            .unwrap()
            .insert(digest.clone(), bytes.to_vec());
        digest
    }

    /// Stores a manifest directly under its digest and `tag`; returns its digest.
    pub fn put_manifest(&self, media_type: &str, bytes: &[u8], tag: &str) -> String {
        let digest = sha(bytes);
        self.inner
            .manifests
            .lock()
            .unwrap()
            .insert(digest.clone(), (media_type.to_owned(), bytes.to_vec()));
        self.inner
            .tags
            .lock()
            .unwrap()
            .insert(tag.to_owned(), digest.clone());
        digest
    }

    pub fn requests(&self) -> usize {
        self.inner.requests.load(Ordering::SeqCst)
    }
}

fn status(code: StatusCode) -> Response {
    (code, "").into_response()
}

fn corrupt(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    if let Some(b) = out.first_mut() {
        *b ^= 0xff;
    } else {
        out.push(0);
    }
    out
}

async fn handle(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let n = inner.requests.fetch_add(1, Ordering::SeqCst);
    let mode = inner.mode.lock().unwrap().clone();
    if let Mode::Flaky(failures) = mode
        && n < failures
    {
        return status(StatusCode::SERVICE_UNAVAILABLE);
    }
    if let Mode::Reset(failures) = mode
        && n < failures
    {
        // A body that fails before any byte: hyper drops the connection mid-answer.
        let stream = futures_util::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("reset on purpose"))
        });
        return (
            StatusCode::OK,
            [(header::CONTENT_LENGTH, "100")],
            Body::from_stream(stream),
        )
            .into_response();
    }
    let path = request.uri().path().to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let method = request.method().clone();
    let bearer = inner.bearer.lock().unwrap().clone();

    if path == "/token" {
        inner.token_requests.fetch_add(1, Ordering::SeqCst);
        let Some((user, password, token)) = bearer else {
            return status(StatusCode::NOT_FOUND);
        };
        if request.method() == Method::POST {
            // OAuth2 refresh-token grant (docker's `identitytoken`): the password is the
            // refresh token here.
            let body = axum::body::to_bytes(request.into_body(), 1 << 16)
                .await
                .unwrap();
            let form = String::from_utf8_lossy(&body).to_string();
            let field = |name: &str| {
                form.split('&')
                    .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
                    .unwrap_or("")
                    .to_owned()
            };
            if field("grant_type") != "refresh_token" || field("refresh_token") != password {
                return (StatusCode::UNAUTHORIZED, "bad refresh token").into_response();
            }
            return axum::Json(serde_json::json!({ "access_token": token })).into_response();
        }
        use base64::Engine as _;
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
        );
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if given != expected {
            return (StatusCode::UNAUTHORIZED, "bad credentials").into_response();
        }
        return axum::Json(serde_json::json!({ "token": token, "expires_in": 300 }))
            .into_response();
    }

    if let Some((_, _, token)) = &bearer {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if given != format!("Bearer {token}") {
            let realm = format!(
                "Bearer realm=\"http://{}/token\",service=\"bad-registry\"",
                request
                    .headers()
                    .get(header::HOST)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("127.0.0.1")
            );
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, realm)],
                "",
            )
                .into_response();
        }
    }

    if path == "/v2/" || path == "/v2" {
        return status(StatusCode::OK);
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return status(StatusCode::NOT_FOUND);
    };
    if let Mode::Slow(delay) = mode {
        tokio::time::sleep(delay).await;
    }

    if let Some((_name, subject)) = rest.split_once("/referrers/") {
        if !inner.referrers_api.load(Ordering::SeqCst) {
            return status(StatusCode::NOT_FOUND);
        }
        let manifests = inner.manifests.lock().unwrap().clone();
        let mut entries = Vec::new();
        for (digest, (media_type, bytes)) in manifests {
            let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
            if value["subject"]["digest"] == subject {
                entries.push(serde_json::json!({
                    "mediaType": media_type,
                    "digest": digest,
                    "size": bytes.len(),
                    "artifactType": value["artifactType"],
                }));
            }
        }
        let index = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": entries,
        });
        return (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/vnd.oci.image.index.v1+json",
            )],
            serde_json::to_vec(&index).unwrap(),
        )
            .into_response();
    }
    if let Some((_name, reference)) = rest.split_once("/manifests/") {
        return manifests(&inner, &mode, method, reference, request).await;
    }
    if let Some((_name, upload)) = rest.split_once("/blobs/uploads/") {
        return uploads(&inner, &mode, method, upload, &query, request).await;
    }
    if let Some((_name, digest)) = rest.split_once("/blobs/") {
        return blobs(&inner, &mode, &method, digest);
    }
    if rest.ends_with("/tags/list") {
        let tags: Vec<String> = inner.tags.lock().unwrap().keys().cloned().collect();
        return axum::Json(serde_json::json!({ "name": "x", "tags": tags })).into_response();
    }
    status(StatusCode::NOT_FOUND)
}

async fn manifests(
    inner: &Inner,
    mode: &Mode,
    method: Method,
    reference: &str,
    request: Request,
) -> Response {
    if method == Method::PUT {
        let media_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = axum::body::to_bytes(request.into_body(), 8 << 20)
            .await
            .unwrap();
        let digest = sha(&body);
        let subject = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["subject"]["digest"].as_str().map(str::to_owned));
        inner
            .manifests
            .lock()
            .unwrap()
            .insert(digest.clone(), (media_type, body.to_vec()));
        if !reference.starts_with("sha256:") {
            inner
                .tags
                .lock()
                .unwrap()
                .insert(reference.to_owned(), digest.clone());
        }
        let mut headers = HeaderMap::new();
        headers.insert("docker-content-digest", digest.parse().unwrap());
        if let Some(subject) = subject
            && inner.referrers_api.load(Ordering::SeqCst)
        {
            headers.insert("oci-subject", subject.parse().unwrap());
        }
        return (StatusCode::CREATED, headers, "").into_response();
    }
    let digest = if reference.starts_with("sha256:") {
        reference.to_owned()
    } else {
        match inner.tags.lock().unwrap().get(reference) {
            Some(d) => d.clone(),
            None => return status(StatusCode::NOT_FOUND),
        }
    };
    let Some((media_type, bytes)) = inner.manifests.lock().unwrap().get(&digest).cloned() else {
        return status(StatusCode::NOT_FOUND);
    };
    let bytes = if *mode == Mode::WrongDigest {
        corrupt(&bytes)
    } else {
        bytes
    };
    let mut headers = HeaderMap::new();
    headers.insert(header::CONTENT_TYPE, media_type.parse().unwrap());
    headers.insert("docker-content-digest", digest.parse().unwrap());
    headers.insert(header::CONTENT_LENGTH, bytes.len().into());
    if method == Method::HEAD {
        return (StatusCode::OK, headers).into_response();
    }
    (StatusCode::OK, headers, bytes).into_response()
}

fn blobs(inner: &Inner, mode: &Mode, method: &Method, digest: &str) -> Response {
    let Some(bytes) = inner.blobs.lock().unwrap().get(digest).cloned() else {
        return status(StatusCode::NOT_FOUND);
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        "application/octet-stream".parse().unwrap(),
    );
    headers.insert("docker-content-digest", digest.parse().unwrap());
    if *method == Method::HEAD {
        headers.insert(header::CONTENT_LENGTH, bytes.len().into());
        return (StatusCode::OK, headers).into_response();
    }
    match mode {
        Mode::WrongDigest => {
            let bytes = corrupt(&bytes);
            headers.insert(header::CONTENT_LENGTH, bytes.len().into());
            (StatusCode::OK, headers, bytes).into_response()
        }
        Mode::ShortBlob => {
            let half = bytes[..bytes.len() / 2].to_vec();
            headers.insert(header::CONTENT_LENGTH, half.len().into());
            (StatusCode::OK, headers, half).into_response()
        }
        Mode::TruncateBlob => {
            headers.insert(header::CONTENT_LENGTH, bytes.len().into());
            let half = Bytes::from(bytes[..bytes.len() / 2].to_vec());
            // Send half, give it time to reach the client, then drop the connection.
            let stream = futures_util::stream::unfold(0u8, move |step| {
                let half = half.clone();
                async move {
                    match step {
                        0 => Some((Ok::<Bytes, std::io::Error>(half), 1)),
                        1 => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                            Some((
                                Err(std::io::Error::other("connection dropped on purpose")),
                                2,
                            ))
                        }
                        _ => None,
                    }
                }
            });
            (StatusCode::OK, headers, Body::from_stream(stream)).into_response()
        }
        Mode::Oversized(extra) => {
            let mut bytes = bytes;
            bytes.extend(std::iter::repeat_n(b'x', *extra));
            headers.insert(header::CONTENT_LENGTH, bytes.len().into());
            (StatusCode::OK, headers, bytes).into_response()
        }
        _ => {
            headers.insert(header::CONTENT_LENGTH, bytes.len().into());
            (StatusCode::OK, headers, bytes).into_response()
        }
    }
}

async fn uploads(
    inner: &Inner,
    mode: &Mode,
    method: Method,
    upload: &str,
    query: &str,
    request: Request,
) -> Response {
    if method == Method::POST {
        let id = format!("u{}", inner.requests.load(Ordering::SeqCst));
        inner.uploads.lock().unwrap().insert(id.clone(), Vec::new());
        let location = request.uri().path().trim_end_matches('/').to_owned() + "/" + &id;
        return (StatusCode::ACCEPTED, [(header::LOCATION, location)], "").into_response();
    }
    if method == Method::PATCH || method == Method::PUT {
        let mut body = request.into_body().into_data_stream();
        let mut data = Vec::new();
        while let Some(chunk) = body.next().await {
            let Ok(chunk) = chunk else {
                return status(StatusCode::BAD_REQUEST);
            };
            data.extend_from_slice(&chunk);
            if let Mode::FailUploadAfter(limit) = mode
                && data.len() >= *limit
            {
                return (StatusCode::INTERNAL_SERVER_ERROR, "storage exploded").into_response();
            }
        }
        let mut uploads = inner.uploads.lock().unwrap();
        let Some(buffer) = uploads.get_mut(upload) else {
            return status(StatusCode::NOT_FOUND);
        };
        buffer.extend_from_slice(&data);
        if method == Method::PATCH {
            return (
                StatusCode::ACCEPTED,
                [(header::LOCATION, format!("/v2/x/blobs/uploads/{upload}"))],
                "",
            )
                .into_response();
        }
        let expected = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("digest="))
            .map(|d| d.replace("%3A", ":"))
            .unwrap_or_default();
        let content = uploads.remove(upload).unwrap_or_default();
        if sha(&content) != expected {
            return (
                StatusCode::BAD_REQUEST,
                r#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#,
            )
                .into_response();
        }
        inner
            .blobs
            .lock()
            .unwrap()
            .insert(expected.clone(), content);
        return (
            StatusCode::CREATED,
            [("docker-content-digest", expected)],
            "",
        )
            .into_response();
    }
    status(StatusCode::METHOD_NOT_ALLOWED)
}
