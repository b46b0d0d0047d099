//! Test support: the fake API server with our CRDs and Argo CD's, a real registry, the example
//! chart, and polling helpers.
#![allow(dead_code)]

pub mod registry;

use std::future::Future;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use kokumi_operator::testing::FakeApiServer;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Argo CD's CRDs (`argocd/application-crd.yaml`), from the shared directory:
/// `$KOKUMI_SHARED`, else `../shared` next to the workspace.
pub fn argocd_crd_yaml() -> String {
    let shared = std::env::var_os("KOKUMI_SHARED")
        .filter(|s| !s.is_empty())
        .map_or_else(|| workspace().join("../shared"), PathBuf::from);
    let path = shared.join("argocd/application-crd.yaml");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read Argo CD's CRD at {}: {e}", path.display()))
}

/// A fake API server knowing Kokumi's CRDs and Argo CD's Application.
pub fn fake() -> FakeApiServer {
    let server = FakeApiServer::new().with_kokumi_crds();
    server
        .register_crd_yaml(&argocd_crd_yaml())
        .expect("Argo CD's CRD registers");
    server
}

/// Polls `check` until it returns `Some`, or panics after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The example chart `examples/charts/hello` as a `.tgz` (entries under `hello/`).
pub fn hello_chart_tgz() -> Vec<u8> {
    hello_chart_tgz_with(|_, bytes| bytes)
}

/// The example chart with its files passed through `edit(path, bytes)`.
pub fn hello_chart_tgz_with(edit: impl Fn(&str, Vec<u8>) -> Vec<u8>) -> Vec<u8> {
    let root = workspace().join("examples/charts/hello");
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut tar = tar::Builder::new(Vec::new());
    for path in files {
        let rel = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let bytes = edit(&rel, std::fs::read(&path).unwrap());
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_cksum();
        tar.append_data(&mut header, format!("hello/{rel}"), bytes.as_slice())
            .unwrap();
    }
    let tar = tar.into_inner().unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    std::io::Write::write_all(&mut gz, &tar).unwrap();
    gz.finish().unwrap()
}
