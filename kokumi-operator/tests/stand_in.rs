//! A stand-in cluster for rehearsing the real-cluster path where no API server can be installed:
//! the fake API server behind a loopback HTTP port, reached through a kubeconfig file, plus the
//! two things a real server has, the fake lacks, and the e2e setup uses — `GET /version` and the
//! `apiextensions.k8s.io/v1` CustomResourceDefinitions (a CRD applied here is registered with
//! the fake, so its kind is served and validated from then on, and is reported `Established`).
//!
//! With it, `Cluster::real` runs exactly as on a cluster: kubeconfig → client over HTTP, CRD
//! installation by server-side apply, the sweep of leftovers, the per-run namespace, the
//! Argo CD namespace of its own, `cascade_delete: false`, the longer waits and the teardown.
//! What it cannot show is how a real API server differs from the fake.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use axum::extract::{Path as UrlPath, Request, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http_body_util::BodyExt as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kokumi_operator::testing::FakeApiServer;
use serde_json::{Value, json};

/// A running stand-in; stops when dropped.
pub struct StandIn {
    kubeconfig: tempfile::NamedTempFile,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Shared {
    server: FakeApiServer,
    crds: Arc<Mutex<BTreeMap<String, Value>>>,
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "apiVersion": "v1", "kind": "Status", "status": "Failure",
        "code": code.as_u16(), "reason": reason, "message": message,
    });
    (code, axum::Json(body)).into_response()
}

async fn version() -> Response {
    axum::Json(json!({
        "major": "1", "minor": "34", "gitVersion": "v1.34.0-kokumi-stand-in",
        "gitCommit": "", "gitTreeState": "clean", "buildDate": "1970-01-01T00:00:00Z",
        "goVersion": "", "compiler": "", "platform": "linux/amd64",
    }))
    .into_response()
}

async fn get_crd(State(shared): State<Shared>, UrlPath(name): UrlPath<String>) -> Response {
    let stored = shared
        .crds
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&name)
        .cloned();
    match stored {
        Some(crd) => axum::Json(crd).into_response(),
        None => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("customresourcedefinitions.apiextensions.k8s.io \"{name}\" not found"),
        ),
    }
}

/// Server-side apply of a CRD (the only write the e2e setup makes to CRDs).
async fn apply_crd(
    State(shared): State<Shared>,
    UrlPath(name): UrlPath<String>,
    body: axum::body::Bytes,
) -> Response {
    let crd: CustomResourceDefinition = match serde_json::from_slice(&body) {
        Ok(crd) => crd,
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
    };
    if crd.metadata.name.as_deref() != Some(name.as_str()) {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "the name in the body differs from the name in the URL",
        );
    }
    if let Err(e) = shared.server.register_crd(&crd) {
        return status(StatusCode::UNPROCESSABLE_ENTITY, "Invalid", &e);
    }
    let mut stored = serde_json::to_value(&crd).unwrap_or_default();
    stored["metadata"]["uid"] = json!(format!("stand-in-{name}"));
    stored["metadata"]["resourceVersion"] = json!("1");
    stored["status"] = json!({
        "acceptedNames": stored["spec"]["names"].clone(),
        "storedVersions": crd.spec.versions.iter().filter(|v| v.storage).map(|v| v.name.clone()).collect::<Vec<_>>(),
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "", "lastTransitionTime": "1970-01-01T00:00:00Z"},
            {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "", "lastTransitionTime": "1970-01-01T00:00:00Z"},
        ],
    });
    shared
        .crds
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(name, stored.clone());
    axum::Json(stored).into_response()
}

/// Everything else goes to the fake, through its `tower::Service`.
async fn forward(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
    };
    let request = http::Request::from_parts(parts, kube::client::Body::from(bytes.to_vec()));
    match tower::ServiceExt::oneshot(shared.server, request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

impl StandIn {
    /// A stand-in with no CRDs yet (the e2e setup installs them) on a free loopback port.
    pub async fn start() -> Self {
        let server = FakeApiServer::new();
        let shared = Shared {
            server: server.clone(),
            crds: Arc::default(),
        };
        let app = axum::Router::new()
            .route("/version", axum::routing::get(version))
            .route(
                "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}",
                axum::routing::get(get_crd).patch(apply_crd),
            )
            .fallback(forward)
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut kubeconfig = tempfile::NamedTempFile::new().unwrap();
        write!(
            kubeconfig,
            "apiVersion: v1\nkind: Config\n\
             clusters:\n- name: stand-in\n  cluster:\n    server: http://127.0.0.1:{port}\n\
             users:\n- name: nobody\n  user: {{}}\n\
             contexts:\n- name: stand-in\n  context:\n    cluster: stand-in\n    user: nobody\n\
             current-context: stand-in\n"
        )
        .unwrap();
        Self { kubeconfig, task }
    }

    /// The kubeconfig file that points at it.
    pub fn kubeconfig(&self) -> &Path {
        self.kubeconfig.path()
    }
}

/// The kubeconfig of one stand-in shared by the whole test process — as one real cluster is
/// shared by the whole e2e suite, so scenarios run one after another on the same server, and
/// whatever one leaves behind, the next one sees. It is served from a thread and runtime of its
/// own (a test's runtime ends with its test) until the process exits.
pub fn shared() -> &'static Path {
    static SHARED: OnceLock<PathBuf> = OnceLock::new();
    SHARED.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let stand_in = StandIn::start().await;
                tx.send(stand_in.kubeconfig().to_owned()).unwrap();
                std::future::pending::<()>().await;
            });
        });
        rx.recv().unwrap()
    })
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}
