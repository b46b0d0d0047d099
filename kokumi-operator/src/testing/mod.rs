//! An in-memory Kubernetes API server for tests (feature `testing`).
//!
//! [`FakeApiServer`] speaks the Kubernetes REST protocol as a tower `Service`, so an unmodified
//! [`kube::Client`] (from [`FakeApiServer::client`]) talks to it exactly as to a real server —
//! typed `Api` calls, `kube-runtime` watchers and controllers included. It implements what the
//! Kokumi controllers use, with the real server's semantics:
//!
//! - create / get / list (label and field selectors, `limit` + `continue`) / replace / patch /
//!   delete / delete-collection, for the kinds registered: Secrets, ConfigMaps, Namespaces,
//!   Events (`v1` and `events.k8s.io/v1`), Leases, and any CRD given to
//!   [`FakeApiServer::register_crd`] (our six kinds, Argo CD's Application);
//! - watch from a `resourceVersion`, with bookmarks and `410 Gone` once that version has been
//!   compacted away ([`FakeApiServer::compact`]);
//! - the `status` subresource (spec and status written separately), `metadata.generation` bumped
//!   on changes outside `metadata` and `status`, no-op writes that keep the `resourceVersion`;
//! - `409 Conflict` on a stale `resourceVersion`, `409 AlreadyExists` on a duplicate name;
//! - JSON merge patch, JSON patch (RFC 6902), strategic merge patch (as a merge patch, for
//!   built-in kinds) and server-side apply (create-or-merge by field manager, with conflicts
//!   between managers and `force`);
//! - finalizers and `deletionTimestamp`; background cascading deletion through
//!   `ownerReferences`;
//! - validation of custom resources against their CRD's `openAPIV3Schema` (defaults, types,
//!   formats, enums, patterns, unknown fields, CEL `x-kubernetes-validations` with `oldSelf`).
//!
//! Not implemented: admission webhooks, RBAC, discovery, `sendInitialEvents`, label-selector
//! watches that turn a label change into a synthetic `DELETED`, field ownership of non-apply
//! writes, list-type map merging in server-side apply (lists are atomic).
//!
//! ```
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use k8s_openapi::api::core::v1::Secret;
//! use kokumi_operator::testing::FakeApiServer;
//! use kube::api::{Api, PostParams};
//!
//! let server = FakeApiServer::new().with_kokumi_crds();
//! let secrets: Api<Secret> = Api::namespaced(server.client(), "shop");
//! let mut secret = Secret::default();
//! secret.metadata.name = Some("pull".into());
//! let created = secrets.create(&PostParams::default(), &secret).await?;
//! assert!(created.metadata.resource_version.is_some());
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

mod apply;
mod schema;
mod selector;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use self::schema::SchemaValidator;
use self::selector::{FieldSelector, LabelSelector};

/// The response body type of the fake.
pub type Body = axum::body::Body;

/// A kind the fake serves.
#[derive(Debug)]
struct ResourceType {
    group: String,
    version: String,
    plural: String,
    kind: String,
    namespaced: bool,
    status_subresource: bool,
    custom: bool,
    schema: Option<SchemaValidator>,
}

impl ResourceType {
    fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The storage key of the kind (`group/plural`).
    fn key(&self) -> String {
        format!("{}/{}", self.group, self.plural)
    }
}

/// A change, as watchers see it.
#[derive(Debug)]
struct Change {
    rv: u64,
    resource: String,
    namespace: String,
    kind: &'static str,
    object: Value,
}

type ObjectKey = (String, String, String);

#[derive(Debug)]
struct State {
    rv: u64,
    uid: u64,
    resources: BTreeMap<(String, String, String), Arc<ResourceType>>,
    objects: BTreeMap<ObjectKey, Value>,
    history: VecDeque<Arc<Change>>,
    /// The oldest `resourceVersion` a watch may start from; older ones get `410 Gone`.
    floor: u64,
    history_limit: usize,
    requests: u64,
}

#[derive(Debug)]
struct Inner {
    state: Mutex<State>,
    changes: broadcast::Sender<Arc<Change>>,
    bookmark_interval: Duration,
}

/// The in-memory API server. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct FakeApiServer {
    inner: Arc<Inner>,
}

impl Default for FakeApiServer {
    fn default() -> Self {
        Self::new()
    }
}

/// A failed request, rendered as a `metav1.Status`.
#[derive(Debug)]
struct ApiError {
    code: StatusCode,
    reason: &'static str,
    message: String,
}

fn err(code: StatusCode, reason: &'static str, message: impl Into<String>) -> ApiError {
    ApiError {
        code,
        reason,
        message: message.into(),
    }
}

fn not_found(rt: &ResourceType, name: &str) -> ApiError {
    err(
        StatusCode::NOT_FOUND,
        "NotFound",
        format!("{} \"{name}\" not found", rt.plural),
    )
}

fn status_body(code: StatusCode, reason: &str, message: &str) -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    })
}

fn json_response(code: StatusCode, value: &Value) -> Response<Body> {
    let mut response = Response::new(Body::from(value.to_string()));
    *response.status_mut() = code;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

impl From<ApiError> for Response<Body> {
    fn from(e: ApiError) -> Self {
        json_response(e.code, &status_body(e.code, e.reason, &e.message))
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn now() -> String {
    let t = k8s_openapi::jiff::Timestamp::now();
    k8s_openapi::jiff::Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

fn labels_of(object: &Value) -> BTreeMap<String, String> {
    object["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or_default()
}

/// Everything but `metadata` and `status`: what `metadata.generation` tracks.
fn spec_part(object: &Value) -> Value {
    let mut v = object.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("apiVersion");
        m.remove("kind");
    }
    v
}

fn meta_mut(object: &mut Value) -> &mut serde_json::Map<String, Value> {
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata").and_then(Value::as_object_mut) {
        Some(m) => m,
        // Unreachable: the line above made it an object.
        None => unreachable_metadata(),
    }
}

#[allow(clippy::panic)]
fn unreachable_metadata() -> ! {
    panic!("metadata was just set to an object")
}

/// Parsed query parameters.
#[derive(Debug, Default)]
struct Query(BTreeMap<String, String>);

impl Query {
    fn parse(query: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
    fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }
}

/// Which object(s) a request addresses.
#[derive(Debug)]
struct Target {
    rt: Arc<ResourceType>,
    namespace: Option<String>,
    name: Option<String>,
    status: bool,
}

impl FakeApiServer {
    /// A server knowing the built-in kinds the operator uses (no CRDs yet).
    pub fn new() -> Self {
        let (changes, _) = broadcast::channel(1 << 16);
        let server = Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    rv: 1,
                    uid: 0,
                    resources: BTreeMap::new(),
                    objects: BTreeMap::new(),
                    history: VecDeque::new(),
                    floor: 0,
                    history_limit: 100_000,
                    requests: 0,
                }),
                changes,
                bookmark_interval: Duration::from_millis(500),
            }),
        };
        for (group, version, plural, kind, namespaced) in [
            ("", "v1", "secrets", "Secret", true),
            ("", "v1", "configmaps", "ConfigMap", true),
            ("", "v1", "events", "Event", true),
            ("", "v1", "namespaces", "Namespace", false),
            ("events.k8s.io", "v1", "events", "Event", true),
            ("coordination.k8s.io", "v1", "leases", "Lease", true),
        ] {
            server.register(ResourceType {
                group: group.into(),
                version: version.into(),
                plural: plural.into(),
                kind: kind.into(),
                namespaced,
                status_subresource: false,
                custom: false,
                schema: None,
            });
        }
        server
    }

    /// Adds Kokumi's six CRDs (from `kokumi_core::api::crds()`).
    #[must_use]
    pub fn with_kokumi_crds(self) -> Self {
        for crd in kokumi_core::api::crds() {
            if let Err(e) = self.register_crd(&crd) {
                tracing::error!("cannot register {:?}: {e}", crd.metadata.name);
            }
        }
        self
    }

    fn register(&self, rt: ResourceType) {
        let mut state = self.state();
        state.resources.insert(
            (rt.group.clone(), rt.version.clone(), rt.plural.clone()),
            Arc::new(rt),
        );
    }

    /// Serves the kind a CRD defines (every served version), validating objects against its
    /// schema.
    pub fn register_crd(&self, crd: &CustomResourceDefinition) -> Result<(), String> {
        let spec = &crd.spec;
        for version in spec.versions.iter().filter(|v| v.served) {
            let schema = match version
                .schema
                .as_ref()
                .and_then(|s| s.open_api_v3_schema.as_ref())
            {
                Some(s) => Some(SchemaValidator::new(
                    serde_json::to_value(s).map_err(|e| e.to_string())?,
                )?),
                None => None,
            };
            self.register(ResourceType {
                group: spec.group.clone(),
                version: version.name.clone(),
                plural: spec.names.plural.clone(),
                kind: spec.names.kind.clone(),
                namespaced: spec.scope == "Namespaced",
                status_subresource: version
                    .subresources
                    .as_ref()
                    .is_some_and(|s| s.status.is_some()),
                custom: true,
                schema,
            });
        }
        Ok(())
    }

    /// Registers every CRD in a YAML stream (e.g. Argo CD's `application-crd.yaml`).
    pub fn register_crd_yaml(&self, yaml: &str) -> Result<(), String> {
        for doc in serde_norway::Deserializer::from_str(yaml) {
            let value: Value = serde::Deserialize::deserialize(doc).map_err(|e| e.to_string())?;
            if value.is_null() {
                continue;
            }
            let crd: CustomResourceDefinition =
                serde_json::from_value(value).map_err(|e| e.to_string())?;
            self.register_crd(&crd)?;
        }
        Ok(())
    }

    /// A `kube::Client` talking to this server (default namespace `default`). Needs a Tokio
    /// runtime.
    pub fn client(&self) -> kube::Client {
        kube::Client::new(self.clone(), "default")
    }

    /// Serves the fake over HTTP on `listener` (a loopback port), for a client in another
    /// process (`kube::Config::new("http://127.0.0.1:PORT")`); runs until the future is dropped.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let server = self.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = match body.collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(e) => {
                        return err(StatusCode::BAD_REQUEST, "BadRequest", e.to_string()).into();
                    }
                };
                let request = Request::from_parts(parts, kube::client::Body::from(bytes.to_vec()));
                server.handle(request).await
            }
        });
        axum::serve(listener, app).await
    }

    /// Forgets the watch history: a watch from any version before now gets `410 Gone`, as after
    /// an etcd compaction.
    pub fn compact(&self) {
        let mut state = self.state();
        state.history.clear();
        state.floor = state.rv;
    }

    /// How many requests the server has answered.
    pub fn request_count(&self) -> u64 {
        self.state().requests
    }

    /// The current `resourceVersion` of the whole store.
    pub fn resource_version(&self) -> u64 {
        self.state().rv
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    async fn handle(self, request: Request<kube::client::Body>) -> Response<Body> {
        let (parts, body) = request.into_parts();
        let body = match body.collect().await {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                return err(StatusCode::BAD_REQUEST, "BadRequest", e.to_string()).into();
            }
        };
        let query = Query::parse(parts.uri.query());
        let content_type = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/json")
            .to_owned();
        self.state().requests += 1;
        let target = match self.route(parts.uri.path()) {
            Ok(t) => t,
            Err(e) => return e.into(),
        };
        let result = match (&parts.method, &target.name) {
            (&Method::GET, Some(name)) => self.get(&target, name),
            (&Method::GET, None) if query.flag("watch") => return self.watch(&target, &query),
            (&Method::GET, None) => self.list(&target, &query),
            (&Method::POST, None) => self.create(&target, &body, &query),
            (&Method::PUT, Some(name)) => self.replace(&target, name, &body, &query),
            (&Method::PATCH, Some(name)) => self.patch(&target, name, &content_type, &body, &query),
            (&Method::DELETE, Some(name)) => self.delete(&target, name, &body),
            (&Method::DELETE, None) => self.delete_collection(&target, &query),
            (method, _) => Err(err(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                format!("{method} is not supported here"),
            )),
        };
        match result {
            Ok((code, value)) => json_response(code, &value),
            Err(e) => e.into(),
        }
    }

    fn route(&self, path: &str) -> ApiResult<Target> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let (group, version, rest) = match segments.as_slice() {
            ["api", version, rest @ ..] => ("", *version, rest),
            ["apis", group, version, rest @ ..] => (*group, *version, rest),
            _ => {
                return Err(err(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("the server could not find the requested resource ({path})"),
                ));
            }
        };
        let (namespace, rest) = match rest {
            ["namespaces", ns, plural, tail @ ..] => (Some((*ns).to_owned()), {
                let mut v = vec![*plural];
                v.extend_from_slice(tail);
                v
            }),
            other => (None, other.to_vec()),
        };
        let (plural, name, sub) = match rest.as_slice() {
            [plural] => (*plural, None, None),
            [plural, name] => (*plural, Some((*name).to_owned()), None),
            [plural, name, sub] => (*plural, Some((*name).to_owned()), Some(*sub)),
            _ => {
                return Err(err(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("the server could not find the requested resource ({path})"),
                ));
            }
        };
        let rt = self
            .state()
            .resources
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .cloned()
            .ok_or_else(|| {
                err(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("the server could not find the requested resource ({path})"),
                )
            })?;
        let status = match sub {
            None => false,
            Some("status") if rt.status_subresource => true,
            Some(other) => {
                return Err(err(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    format!("{} has no subresource {other:?}", rt.plural),
                ));
            }
        };
        if namespace.is_some() && !rt.namespaced {
            return Err(err(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("{} is cluster-scoped", rt.plural),
            ));
        }
        if rt.namespaced && namespace.is_none() && name.is_some() {
            return Err(err(
                StatusCode::NOT_FOUND,
                "NotFound",
                format!("{} is namespaced: name a namespace", rt.plural),
            ));
        }
        Ok(Target {
            rt,
            namespace,
            name,
            status,
        })
    }

    fn key(target: &Target, name: &str) -> ObjectKey {
        (
            target.rt.key(),
            target.namespace.clone().unwrap_or_default(),
            name.to_owned(),
        )
    }

    fn get(&self, target: &Target, name: &str) -> ApiResult<(StatusCode, Value)> {
        let state = self.state();
        state
            .objects
            .get(&Self::key(target, name))
            .cloned()
            .map(|v| (StatusCode::OK, v))
            .ok_or_else(|| not_found(&target.rt, name))
    }

    fn selectors(query: &Query) -> ApiResult<(LabelSelector, FieldSelector)> {
        let labels = LabelSelector::parse(query.get("labelSelector").unwrap_or_default())
            .map_err(|e| err(StatusCode::BAD_REQUEST, "BadRequest", e))?;
        let fields = FieldSelector::parse(query.get("fieldSelector").unwrap_or_default())
            .map_err(|e| err(StatusCode::BAD_REQUEST, "BadRequest", e))?;
        Ok((labels, fields))
    }

    fn list(&self, target: &Target, query: &Query) -> ApiResult<(StatusCode, Value)> {
        let (labels, fields) = Self::selectors(query)?;
        let state = self.state();
        let key = target.rt.key();
        // Objects are keyed (resource, namespace, name): read only this resource's range.
        let from = (key.clone(), String::new(), String::new());
        let matching: Vec<&Value> = state
            .objects
            .range(from..)
            .take_while(|((r, _, _), _)| *r == key)
            .filter(|((_, ns, _), _)| target.namespace.as_ref().is_none_or(|want| want == ns))
            .map(|(_, v)| v)
            .filter(|v| labels.matches(&labels_of(v)) && fields.matches(v))
            .collect();
        let offset: usize = query
            .get("continue")
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let limit: usize = query
            .get("limit")
            .and_then(|l| l.parse().ok())
            .filter(|l| *l > 0)
            .unwrap_or(usize::MAX);
        let page: Vec<Value> = matching
            .iter()
            .skip(offset)
            .take(limit)
            .map(|v| (*v).clone())
            .collect();
        let mut metadata = json!({"resourceVersion": state.rv.to_string()});
        let next = offset.saturating_add(page.len());
        if next < matching.len() {
            metadata["continue"] = json!(next.to_string());
            metadata["remainingItemCount"] = json!(matching.len() - next);
        }
        Ok((
            StatusCode::OK,
            json!({
                "apiVersion": target.rt.api_version(),
                "kind": format!("{}List", target.rt.kind),
                "metadata": metadata,
                "items": page,
            }),
        ))
    }

    fn parse_body(body: &Bytes) -> ApiResult<Value> {
        serde_json::from_slice(body)
            .or_else(|_| {
                std::str::from_utf8(body)
                    .map_err(|e| e.to_string())
                    .and_then(|s| serde_norway::from_str(s).map_err(|e| e.to_string()))
            })
            .map_err(|e| {
                err(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("cannot decode body: {e}"),
                )
            })
    }

    fn check_type(target: &Target, object: &mut Value) -> ApiResult<()> {
        let rt = &target.rt;
        if !object.is_object() {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "the body is not an object",
            ));
        }
        let api_version = rt.api_version();
        match object["apiVersion"].as_str() {
            None => object["apiVersion"] = json!(api_version),
            Some(v) if v == api_version => {}
            Some(v) => {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("apiVersion {v:?} does not match the URL ({api_version})"),
                ));
            }
        }
        match object["kind"].as_str() {
            None => object["kind"] = json!(rt.kind),
            Some(k) if k == rt.kind => {}
            Some(k) => {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!("kind {k:?} does not match the URL ({})", rt.kind),
                ));
            }
        }
        if let (Some(url_ns), Some(body_ns)) = (
            target.namespace.as_deref(),
            object["metadata"]["namespace"].as_str(),
        ) && url_ns != body_ns
        {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "the namespace of the object ({body_ns}) does not match the namespace on the request ({url_ns})"
                ),
            ));
        }
        Ok(())
    }

    /// Defaults and validates a custom resource; `old` on update.
    fn admit(rt: &ResourceType, object: &mut Value, old: Option<&Value>) -> ApiResult<()> {
        let name = name_of(object).to_owned();
        if let Some(message) = validate_name(&name) {
            return Err(err(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid",
                format!("{} {name:?} is invalid: metadata.name: {message}", rt.kind),
            ));
        }
        if let Some(schema) = &rt.schema {
            *object = schema.default(object);
            let errors = schema.validate(object, old);
            if !errors.is_empty() {
                return Err(err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid",
                    format!("{} {name:?} is invalid: {}", rt.kind, errors.join("; ")),
                ));
            }
        }
        Ok(())
    }

    /// Stores a change and tells the watchers.
    fn record(
        &self,
        state: &mut State,
        resource: String,
        namespace: String,
        kind: &'static str,
        object: Value,
    ) {
        let change = Arc::new(Change {
            rv: state.rv,
            resource,
            namespace,
            kind,
            object,
        });
        state.history.push_back(change.clone());
        while state.history.len() > state.history_limit {
            if let Some(old) = state.history.pop_front() {
                state.floor = old.rv;
            }
        }
        // No receivers is fine: nobody watches.
        let _ = self.inner.changes.send(change);
    }

    fn create(
        &self,
        target: &Target,
        body: &Bytes,
        query: &Query,
    ) -> ApiResult<(StatusCode, Value)> {
        let mut object = Self::parse_body(body)?;
        Self::check_type(target, &mut object)?;
        let mut state = self.state();
        let created = self.create_locked(
            &mut state,
            target,
            object,
            query.get("dryRun").is_some(),
            None,
        )?;
        Ok((StatusCode::CREATED, created))
    }

    fn create_locked(
        &self,
        state: &mut State,
        target: &Target,
        mut object: Value,
        dry_run: bool,
        managed: Option<Value>,
    ) -> ApiResult<Value> {
        let rt = &target.rt;
        if name_of(&object).is_empty() {
            let Some(prefix) = object["metadata"]["generateName"]
                .as_str()
                .map(str::to_owned)
            else {
                return Err(err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid",
                    format!(
                        "{}: metadata.name or metadata.generateName is required",
                        rt.kind
                    ),
                ));
            };
            state.uid += 1;
            let suffix: String = format!("{:05x}", state.uid.wrapping_mul(2_654_435_761) & 0xfffff)
                .chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        (b'a' + (c as u8 - b'0')) as char
                    } else {
                        c
                    }
                })
                .collect();
            meta_mut(&mut object).insert("name".into(), json!(format!("{prefix}{suffix}")));
        }
        let name = name_of(&object).to_owned();
        let key = Self::key(target, &name);
        if state.objects.contains_key(&key) {
            return Err(err(
                StatusCode::CONFLICT,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", rt.plural),
            ));
        }
        if rt.status_subresource
            && let Some(m) = object.as_object_mut()
        {
            m.remove("status");
        }
        Self::admit(rt, &mut object, None)?;
        state.uid += 1;
        state.rv += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", state.uid);
        let rv = state.rv;
        {
            let meta = meta_mut(&mut object);
            if let Some(ns) = &target.namespace {
                meta.insert("namespace".into(), json!(ns));
            }
            meta.insert("uid".into(), json!(uid));
            meta.insert("resourceVersion".into(), json!(rv.to_string()));
            meta.insert("creationTimestamp".into(), json!(now()));
            meta.remove("deletionTimestamp");
            meta.remove("deletionGracePeriodSeconds");
            meta.remove("managedFields");
            if let Some(m) = managed {
                meta.insert("managedFields".into(), m);
            }
            if rt.custom {
                meta.insert("generation".into(), json!(1));
            }
        }
        if dry_run {
            state.rv -= 1;
            return Ok(object);
        }
        state.objects.insert(key, object.clone());
        self.record(
            state,
            rt.key(),
            target.namespace.clone().unwrap_or_default(),
            "ADDED",
            object.clone(),
        );
        Ok(object)
    }

    fn replace(
        &self,
        target: &Target,
        name: &str,
        body: &Bytes,
        query: &Query,
    ) -> ApiResult<(StatusCode, Value)> {
        let mut object = Self::parse_body(body)?;
        Self::check_type(target, &mut object)?;
        if name_of(&object) != name {
            return Err(err(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                format!(
                    "the name of the object ({}) does not match the name on the URL ({name})",
                    name_of(&object)
                ),
            ));
        }
        let mut state = self.state();
        let stored = self.update_locked(
            &mut state,
            target,
            name,
            object,
            query.get("dryRun").is_some(),
            None,
        )?;
        Ok((StatusCode::OK, stored))
    }

    /// The core of every write to an existing object.
    fn update_locked(
        &self,
        state: &mut State,
        target: &Target,
        name: &str,
        mut object: Value,
        dry_run: bool,
        managed: Option<Value>,
    ) -> ApiResult<Value> {
        let rt = &target.rt;
        let key = Self::key(target, name);
        let Some(existing) = state.objects.get(&key).cloned() else {
            return Err(not_found(rt, name));
        };
        let existing_rv = existing["metadata"]["resourceVersion"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if let Some(rv) = object["metadata"]["resourceVersion"].as_str()
            && !rv.is_empty()
            && rv != existing_rv
        {
            return Err(err(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {}.{} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
                    rt.plural, rt.group
                ),
            ));
        }
        if target.status {
            // The status subresource changes only the status.
            let status = object.get("status").cloned();
            object = existing.clone();
            match status {
                Some(s) => object["status"] = s,
                None => {
                    if let Some(m) = object.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        } else if rt.status_subresource {
            match existing.get("status") {
                Some(s) => object["status"] = s.clone(),
                None => {
                    if let Some(m) = object.as_object_mut() {
                        m.remove("status");
                    }
                }
            }
        }
        // Immutable and server-owned metadata.
        {
            let old_meta = &existing["metadata"];
            let meta = meta_mut(&mut object);
            for field in [
                "uid",
                "creationTimestamp",
                "namespace",
                "name",
                "deletionTimestamp",
                "deletionGracePeriodSeconds",
                "generation",
                "managedFields",
            ] {
                match old_meta.get(field) {
                    Some(v) => meta.insert(field.into(), v.clone()),
                    None => meta.remove(field),
                };
            }
            if let Some(m) = managed {
                meta.insert("managedFields".into(), m);
            }
            meta.insert("resourceVersion".into(), json!(existing_rv));
        }
        if existing["metadata"]["deletionTimestamp"].is_string() {
            let old: BTreeSet<String> = finalizers(&existing).into_iter().collect();
            if finalizers(&object).iter().any(|f| !old.contains(f)) {
                return Err(err(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Invalid",
                    format!(
                        "{} \"{name}\" is being deleted: no new finalizers may be added",
                        rt.kind
                    ),
                ));
            }
        }
        if rt.custom && spec_part(&object) != spec_part(&existing) {
            let generation = existing["metadata"]["generation"].as_i64().unwrap_or(1) + 1;
            meta_mut(&mut object).insert("generation".into(), json!(generation));
        }
        if object == existing {
            return Ok(existing);
        }
        Self::admit(rt, &mut object, Some(&existing))?;
        if dry_run {
            return Ok(object);
        }
        state.rv += 1;
        meta_mut(&mut object).insert("resourceVersion".into(), json!(state.rv.to_string()));
        if object["metadata"]["deletionTimestamp"].is_string() && finalizers(&object).is_empty() {
            state.objects.remove(&key);
            self.record(state, rt.key(), key.1.clone(), "DELETED", object.clone());
            self.collect_garbage(state, &object);
            return Ok(object);
        }
        state.objects.insert(key.clone(), object.clone());
        self.record(state, rt.key(), key.1, "MODIFIED", object.clone());
        Ok(object)
    }

    fn patch(
        &self,
        target: &Target,
        name: &str,
        content_type: &str,
        body: &Bytes,
        query: &Query,
    ) -> ApiResult<(StatusCode, Value)> {
        let dry_run = query.get("dryRun").is_some();
        let mime = content_type.split(';').next().unwrap_or_default().trim();
        if mime == "application/apply-patch+yaml" {
            let Some(manager) = query.get("fieldManager").filter(|m| !m.is_empty()) else {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    "PATCH, application/apply-patch+yaml requires fieldManager",
                ));
            };
            let mut applied = Self::parse_body(body)?;
            Self::check_type(target, &mut applied)?;
            if name_of(&applied) != name {
                return Err(err(
                    StatusCode::BAD_REQUEST,
                    "BadRequest",
                    format!(
                        "the name of the object ({}) does not match the name on the URL ({name})",
                        name_of(&applied)
                    ),
                ));
            }
            return self.apply(
                target,
                name,
                &applied,
                manager,
                query.flag("force"),
                dry_run,
            );
        }
        let patch = Self::parse_body(body)?;
        let mut state = self.state();
        let key = Self::key(target, name);
        let Some(existing) = state.objects.get(&key).cloned() else {
            return Err(not_found(&target.rt, name));
        };
        let mut patched = existing;
        match mime {
            "application/merge-patch+json" => json_patch::merge(&mut patched, &patch),
            "application/strategic-merge-patch+json" if !target.rt.custom => {
                json_patch::merge(&mut patched, &patch);
            }
            "application/json-patch+json" => {
                // Like the API server (evanphx/json-patch), `test` of `null` passes on a
                // missing path: that is how clients check "no finalizers yet".
                let patch = match patch {
                    Value::Array(ops) => Value::Array(
                        ops.into_iter()
                            .filter(|op| {
                                !(op["op"] == "test"
                                    && op["value"].is_null()
                                    && op["path"]
                                        .as_str()
                                        .is_some_and(|p| patched.pointer(p).is_none()))
                            })
                            .collect(),
                    ),
                    other => other,
                };
                let ops: json_patch::Patch = serde_json::from_value(patch).map_err(|e| {
                    err(
                        StatusCode::BAD_REQUEST,
                        "BadRequest",
                        format!("invalid JSON patch: {e}"),
                    )
                })?;
                json_patch::patch(&mut patched, &ops).map_err(|e| {
                    err(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid",
                        format!("the JSON patch cannot be applied: {e}"),
                    )
                })?;
            }
            other => {
                return Err(err(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    "UnsupportedMediaType",
                    format!("the body of the request was in an unknown format ({other})"),
                ));
            }
        }
        let stored = self.update_locked(&mut state, target, name, patched, dry_run, None)?;
        Ok((StatusCode::OK, stored))
    }

    fn apply(
        &self,
        target: &Target,
        name: &str,
        applied: &Value,
        manager: &str,
        force: bool,
        dry_run: bool,
    ) -> ApiResult<(StatusCode, Value)> {
        let mut state = self.state();
        let key = Self::key(target, name);
        let subresource = target.status.then_some("status");
        let existing = state.objects.get(&key).cloned();
        if existing.is_none() && target.status {
            return Err(not_found(&target.rt, name));
        }
        let (mut merged, managed) = apply::apply(
            existing.as_ref(),
            applied,
            manager,
            &target.rt.api_version(),
            subresource,
            force,
            &now(),
        )
        .map_err(|conflicts| {
            err(
                StatusCode::CONFLICT,
                "Conflict",
                format!(
                    "Apply failed with {} conflict(s): {}",
                    conflicts.len(),
                    conflicts.join("; ")
                ),
            )
        })?;
        match existing {
            None => {
                let created =
                    self.create_locked(&mut state, target, merged, dry_run, Some(managed))?;
                Ok((StatusCode::CREATED, created))
            }
            Some(_) => {
                if let Some(rv) = applied["metadata"]["resourceVersion"].as_str() {
                    meta_mut(&mut merged).insert("resourceVersion".into(), json!(rv));
                }
                let stored =
                    self.update_locked(&mut state, target, name, merged, dry_run, Some(managed))?;
                Ok((StatusCode::OK, stored))
            }
        }
    }

    fn delete(&self, target: &Target, name: &str, body: &Bytes) -> ApiResult<(StatusCode, Value)> {
        let options = if body.is_empty() {
            json!({})
        } else {
            Self::parse_body(body)?
        };
        let mut state = self.state();
        let key = Self::key(target, name);
        let Some(existing) = state.objects.get(&key).cloned() else {
            return Err(not_found(&target.rt, name));
        };
        if let Some(rv) = options["preconditions"]["resourceVersion"].as_str()
            && existing["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err(err(
                StatusCode::CONFLICT,
                "Conflict",
                format!("Precondition failed: resourceVersion {rv} does not match"),
            ));
        }
        if let Some(uid) = options["preconditions"]["uid"].as_str()
            && existing["metadata"]["uid"].as_str() != Some(uid)
        {
            return Err(err(
                StatusCode::CONFLICT,
                "Conflict",
                format!("Precondition failed: uid {uid} does not match"),
            ));
        }
        let orphan = options["propagationPolicy"].as_str() == Some("Orphan");
        let deleted = self.delete_locked(&mut state, &key, !orphan);
        Ok((StatusCode::OK, deleted.unwrap_or(existing)))
    }

    /// Deletes (or marks for deletion, with finalizers) one object; returns it.
    fn delete_locked(&self, state: &mut State, key: &ObjectKey, cascade: bool) -> Option<Value> {
        let mut object = state.objects.get(key).cloned()?;
        if !finalizers(&object).is_empty() {
            if !object["metadata"]["deletionTimestamp"].is_string() {
                state.rv += 1;
                let rv = state.rv;
                let meta = meta_mut(&mut object);
                meta.insert("deletionTimestamp".into(), json!(now()));
                meta.insert("deletionGracePeriodSeconds".into(), json!(0));
                meta.insert("resourceVersion".into(), json!(rv.to_string()));
                state.objects.insert(key.clone(), object.clone());
                self.record(
                    state,
                    key.0.clone(),
                    key.1.clone(),
                    "MODIFIED",
                    object.clone(),
                );
            }
            return Some(object);
        }
        state.objects.remove(key);
        state.rv += 1;
        let rv = state.rv;
        meta_mut(&mut object).insert("resourceVersion".into(), json!(rv.to_string()));
        self.record(
            state,
            key.0.clone(),
            key.1.clone(),
            "DELETED",
            object.clone(),
        );
        if cascade {
            self.collect_garbage(state, &object);
        }
        Some(object)
    }

    /// Background cascading deletion: dependents whose owners are all gone are deleted.
    fn collect_garbage(&self, state: &mut State, owner: &Value) {
        let Some(uid) = owner["metadata"]["uid"].as_str().map(str::to_owned) else {
            return;
        };
        let live: BTreeSet<String> = state
            .objects
            .values()
            .filter_map(|v| v["metadata"]["uid"].as_str().map(str::to_owned))
            .collect();
        let dependents: Vec<ObjectKey> = state
            .objects
            .iter()
            .filter(|(_, v)| {
                let refs = v["metadata"]["ownerReferences"].as_array();
                refs.is_some_and(|refs| {
                    refs.iter().any(|r| r["uid"].as_str() == Some(uid.as_str()))
                        && refs
                            .iter()
                            .all(|r| r["uid"].as_str().is_none_or(|u| !live.contains(u)))
                })
            })
            .filter(|(_, v)| {
                !v["metadata"]["deletionTimestamp"].is_string() || finalizers(v).is_empty()
            })
            .map(|(k, _)| k.clone())
            .collect();
        for key in dependents {
            self.delete_locked(state, &key, true);
        }
    }

    fn delete_collection(&self, target: &Target, query: &Query) -> ApiResult<(StatusCode, Value)> {
        let (_, list) = self.list(target, query)?;
        let mut state = self.state();
        let mut deleted = Vec::new();
        for item in list["items"].as_array().into_iter().flatten() {
            let key = (
                target.rt.key(),
                item["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                name_of(item).to_owned(),
            );
            if let Some(v) = self.delete_locked(&mut state, &key, true) {
                deleted.push(v);
            }
        }
        Ok((
            StatusCode::OK,
            json!({
                "apiVersion": target.rt.api_version(),
                "kind": format!("{}List", target.rt.kind),
                "metadata": {"resourceVersion": state.rv.to_string()},
                "items": deleted,
            }),
        ))
    }

    fn watch(&self, target: &Target, query: &Query) -> Response<Body> {
        let (labels, fields) = match Self::selectors(query) {
            Ok(s) => s,
            Err(e) => return e.into(),
        };
        let bookmarks = query.flag("allowWatchBookmarks");
        let timeout = query
            .get("timeoutSeconds")
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or(300)
            .min(1800);
        let from = query
            .get("resourceVersion")
            .filter(|rv| !rv.is_empty() && *rv != "0");
        let resource = target.rt.key();
        let namespace = target.namespace.clone();
        let matches = {
            let resource = resource.clone();
            let namespace = namespace.clone();
            move |c: &Change| {
                c.resource == resource
                    && namespace.as_ref().is_none_or(|n| *n == c.namespace)
                    && labels.matches(&labels_of(&c.object))
                    && fields.matches(&c.object)
            }
        };

        let (tx, rx) = mpsc::channel::<Bytes>(256);
        let mut initial: Vec<Bytes> = Vec::new();
        let (mut changes, mut last_seen) = {
            let state = self.state();
            match from {
                Some(rv) => match rv.parse::<u64>() {
                    Ok(rv) if rv >= state.floor => {
                        for c in state.history.iter().filter(|c| c.rv > rv) {
                            if matches(c) {
                                initial.push(event_line(c.kind, &c.object));
                            }
                        }
                    }
                    Ok(rv) => {
                        let message = format!("too old resource version: {rv} ({})", state.floor);
                        let line = event_line(
                            "ERROR",
                            &status_body(StatusCode::GONE, "Expired", &message),
                        );
                        return json_lines_response(vec![line]);
                    }
                    Err(_) => {
                        return err(
                            StatusCode::BAD_REQUEST,
                            "BadRequest",
                            format!("invalid resourceVersion {rv:?}"),
                        )
                        .into();
                    }
                },
                None => {
                    for ((r, ns, _), v) in &state.objects {
                        if *r == resource && namespace.as_ref().is_none_or(|n| n == ns) {
                            let c = Change {
                                rv: 0,
                                resource: r.clone(),
                                namespace: ns.clone(),
                                kind: "ADDED",
                                object: v.clone(),
                            };
                            if matches(&c) {
                                initial.push(event_line("ADDED", v));
                            }
                        }
                    }
                }
            }
            (self.inner.changes.subscribe(), state.rv)
        };
        let api_version = target.rt.api_version();
        let kind = target.rt.kind.clone();
        let interval = self.inner.bookmark_interval;
        tokio::spawn(async move {
            for line in initial {
                if tx.send(line).await.is_err() {
                    return;
                }
            }
            let deadline = tokio::time::sleep(Duration::from_secs(timeout));
            tokio::pin!(deadline);
            let mut ticker = tokio::time::interval(interval);
            loop {
                tokio::select! {
                    () = &mut deadline => return,
                    () = tx.closed() => return,
                    _ = ticker.tick(), if bookmarks => {
                        let bookmark = json!({
                            "apiVersion": api_version,
                            "kind": kind,
                            "metadata": {
                                "resourceVersion": last_seen.to_string(),
                                "annotations": {"k8s.io/initial-events-end": "true"},
                            },
                        });
                        if tx.send(event_line("BOOKMARK", &bookmark)).await.is_err() {
                            return;
                        }
                    }
                    change = changes.recv() => match change {
                        Ok(c) => {
                            if c.rv <= last_seen {
                                continue;
                            }
                            last_seen = c.rv;
                            if matches(&c) && tx.send(event_line(c.kind, &c.object)).await.is_err() {
                                return;
                            }
                        }
                        Err(broadcast::error::RecvError::Lagged(_)) => {
                            let status = status_body(StatusCode::GONE, "Expired", "the watcher fell behind");
                            let _ = tx.send(event_line("ERROR", &status)).await;
                            return;
                        }
                        Err(broadcast::error::RecvError::Closed) => return,
                    },
                }
            }
        });
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
        });
        let mut response = Response::new(Body::from_stream(stream));
        response.headers_mut().insert(
            http::header::CONTENT_TYPE,
            http::HeaderValue::from_static("application/json"),
        );
        response
    }
}

fn finalizers(object: &Value) -> Vec<String> {
    object["metadata"]["finalizers"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// A DNS-1123 subdomain check (what most kinds require of `metadata.name`).
fn validate_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("Required value".into());
    }
    if name.len() > 253 {
        return Some("must be no more than 253 characters".into());
    }
    let ok = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        && name
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric);
    (!ok).then(|| format!("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (got {name:?})"))
}

fn event_line(kind: &str, object: &Value) -> Bytes {
    let mut line = json!({"type": kind, "object": object}).to_string();
    line.push('\n');
    Bytes::from(line)
}

fn json_lines_response(lines: Vec<Bytes>) -> Response<Body> {
    let stream = futures_util::stream::iter(lines.into_iter().map(Ok::<_, Infallible>));
    Response::new(Body::from_stream(stream))
}

impl tower::Service<Request<kube::client::Body>> for FakeApiServer {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<kube::client::Body>) -> Self::Future {
        let server = self.clone();
        Box::pin(async move { Ok(server.handle(request).await) })
    }
}
