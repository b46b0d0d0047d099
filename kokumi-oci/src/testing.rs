//! Test harness (feature `testing`): a real CNCF distribution registry (`docker-registry serve`)
//! on 127.0.0.1 with a free port and a per-run temp data dir, stopped by PID on drop. Also the
//! tool lookup every external-tool test uses: a missing tool fails with an install hint when
//! `KOKUMI_REQUIRE_TOOLS=1` (CI), and is a printed notice plus an early return otherwise.
//!
//! Shared by this crate's tests and the `kokumi` CLI's tests; not for production code (it
//! panics on setup failure, which is what a test wants).
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::print_stderr,
    reason = "a test harness: setup failures panic with a message, missing tools print a notice"
)]

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::auth::Credential;
use crate::registry::{RegistryConfig, RegistryStore};

/// Finds `name` in `PATH` (or the path in `env_override`, when set). Missing: panics with
/// `install_hint` when `KOKUMI_REQUIRE_TOOLS=1`, else prints a notice and returns `None`.
pub fn require_tool(name: &str, env_override: Option<&str>, install_hint: &str) -> Option<PathBuf> {
    if let Some(var) = env_override
        && let Some(path) = std::env::var_os(var).filter(|p| !p.is_empty())
    {
        let path = PathBuf::from(path);
        if path.is_file() {
            return Some(path);
        }
        panic!("{var}={} does not name a file", path.display());
    }
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        if std::env::var("KOKUMI_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!(
                "`{name}` is required (KOKUMI_REQUIRE_TOOLS=1) but not installed: {install_hint}"
            );
        }
        eprintln!(
            "NOTICE: skipping: `{name}` not found ({install_hint}); set KOKUMI_REQUIRE_TOOLS=1 to fail instead"
        );
    }
    found
}

const REGISTRY_HINT: &str =
    "apt-get update && apt-get install -y --no-install-recommends docker-registry";
const SKOPEO_HINT: &str = "apt-get update && apt-get install -y --no-install-recommends skopeo";

/// `skopeo`, or `None` (see [`require_tool`]).
pub fn skopeo() -> Option<PathBuf> {
    require_tool("skopeo", Some("KOKUMI_SKOPEO"), SKOPEO_HINT)
}

/// Runs skopeo and returns stdout; panics with stderr on failure.
pub fn run_skopeo(skopeo: &Path, args: &[&str]) -> Vec<u8> {
    let output = Command::new(skopeo)
        .args(args)
        .output()
        .expect("running skopeo");
    assert!(
        output.status.success(),
        "skopeo {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A running registry; stopped (by PID) and its data removed on drop.
pub struct TestRegistry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub host: String,
    /// The htpasswd user and password when auth is on.
    pub credentials: Option<(String, String)>,
    dir: tempfile::TempDir,
}

impl std::fmt::Debug for TestRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestRegistry({})", self.host)
    }
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a free port");
    listener.local_addr().expect("local addr").port()
}

/// `GET /v2/` status, or `None` when nothing answers yet.
fn v2_status(host: &str) -> Option<u16> {
    let mut stream = TcpStream::connect(host).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(stream, "GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n").ok()?;
    let mut buf = [0u8; 64];
    let n = stream.read(&mut buf).ok()?;
    let line = String::from_utf8_lossy(&buf[..n]);
    line.split_whitespace().nth(1)?.parse().ok()
}

impl TestRegistry {
    /// Starts an anonymous registry, or returns `None` when `docker-registry` is missing and not
    /// required.
    pub fn start() -> Option<Self> {
        Self::start_with(None, false)
    }

    /// Starts a registry serving HTTPS with a self-signed certificate for 127.0.0.1.
    pub fn start_tls() -> Option<Self> {
        Self::start_with(None, true)
    }

    /// Starts a registry behind htpasswd basic auth with one user.
    pub fn start_htpasswd(user: &str, password: &str) -> Option<Self> {
        Self::start_with(Some((user.to_owned(), password.to_owned())), false)
    }

    fn start_with(credentials: Option<(String, String)>, tls: bool) -> Option<Self> {
        let binary = require_tool(
            "docker-registry",
            Some("KOKUMI_DOCKER_REGISTRY"),
            REGISTRY_HINT,
        )?;
        let dir = tempfile::tempdir().expect("temp dir");
        let tls_config = if tls {
            let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
            let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
                .expect("self-signed certificate");
            std::fs::write(&cert, certified.cert.pem()).expect("cert.pem");
            std::fs::write(&key, certified.signing_key.serialize_pem()).expect("key.pem");
            format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                cert.display(),
                key.display()
            )
        } else {
            String::new()
        };
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let host = format!("127.0.0.1:{port}");
            let auth = match &credentials {
                None => String::new(),
                Some((user, password)) => {
                    let hash = bcrypt::hash(password, 4).expect("bcrypt");
                    let path = dir.path().join("htpasswd");
                    std::fs::write(&path, format!("{user}:{hash}\n")).expect("htpasswd");
                    format!(
                        "auth:\n  htpasswd:\n    realm: kokumi-test\n    path: {}\n",
                        path.display()
                    )
                }
            };
            let config = format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\n  maintenance:\n    uploadpurging:\n      enabled: false\nhttp:\n  addr: {host}\n  secret: kokumi-test-secret\n{tls_config}{auth}",
                dir.path().join("data").display()
            );
            let config_path = dir.path().join("config.yml");
            std::fs::write(&config_path, config).expect("registry config");
            let log = std::fs::File::create(dir.path().join("registry.log")).expect("log file");
            let mut child = Command::new(&binary)
                .arg("serve")
                .arg(&config_path)
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log"))
                .stderr(log)
                .spawn()
                .expect("starting docker-registry");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Some(status) = v2_status(&host)
                    // Over TLS, Go answers our plain-HTTP probe with 400: it is up.
                    && (status == 200
                        || (credentials.is_some() && status == 401)
                        || (tls && status == 400))
                {
                    return Some(Self {
                        child,
                        host,
                        credentials,
                        dir,
                    });
                }
                if let Ok(Some(status)) = child.try_wait() {
                    last_error = format!(
                        "docker-registry exited with {status}: {}",
                        std::fs::read_to_string(dir.path().join("registry.log"))
                            .unwrap_or_default()
                    );
                    break;
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_error = "docker-registry did not answer /v2/ within 10 s".into();
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("could not start docker-registry: {last_error}");
    }

    /// The registry's data directory (to inspect what is stored).
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// A store for `repository`, with the htpasswd credentials when auth is on.
    pub fn store(&self, repository: &str) -> RegistryStore {
        let credential = match &self.credentials {
            None => Credential::Anonymous,
            Some((username, password)) => Credential::Basic {
                username: username.clone(),
                password: password.clone(),
            },
        };
        RegistryStore::new(
            &self.host,
            repository,
            RegistryConfig::with_credential(credential),
        )
        .expect("registry store")
    }

    /// `docker://127.0.0.1:PORT/REPO:TAG` for skopeo.
    pub fn docker_ref(&self, repository_and_tag: &str) -> String {
        format!("docker://{}/{repository_and_tag}", self.host)
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
