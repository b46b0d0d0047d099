//! A real CNCF distribution registry (`docker-registry serve`) on 127.0.0.1, stopped by PID on
//! drop; it can be stopped and started again on the same port with the same data ("registry
//! down, then back").
//!
//! A missing `docker-registry` fails the test when `KOKUMI_REQUIRE_TOOLS=1` (CI); otherwise the
//! test prints a notice and returns early.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HINT: &str = "apt-get update && apt-get install -y --no-install-recommends docker-registry";

/// `docker-registry`, or `None` when it is missing and not required.
pub fn binary() -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("docker-registry"))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var("KOKUMI_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "`docker-registry` is required (KOKUMI_REQUIRE_TOOLS=1) but not installed: {HINT}"
        );
        eprintln!(
            "NOTICE: skipping: `docker-registry` not found ({HINT}); set KOKUMI_REQUIRE_TOOLS=1 to fail instead"
        );
    }
    found
}

/// A running (or stopped) registry.
pub struct TestRegistry {
    binary: PathBuf,
    child: Option<Child>,
    /// `127.0.0.1:PORT`.
    pub host: String,
    dir: tempfile::TempDir,
    /// Whether the registry writes its access log (one line per request) to its log file.
    access_log: bool,
}

fn up(host: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(host) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    if write!(stream, "GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 32];
    let n = stream.read(&mut buf).unwrap_or(0);
    String::from_utf8_lossy(&buf[..n]).contains(" 200")
}

impl TestRegistry {
    /// Starts a registry on a free port.
    pub fn start() -> Option<Self> {
        Self::start_with(false)
    }

    /// Starts a registry that logs every request, for [`TestRegistry::requests`].
    pub fn start_logged() -> Option<Self> {
        Self::start_with(true)
    }

    fn start_with(access_log: bool) -> Option<Self> {
        let binary = binary()?;
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut registry = Self {
            binary,
            child: None,
            host: format!("127.0.0.1:{port}"),
            dir: tempfile::tempdir().unwrap(),
            access_log,
        };
        registry.resume();
        Some(registry)
    }

    /// Starts it again (same port, same data) after [`TestRegistry::stop`].
    pub fn resume(&mut self) {
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: {}\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {}\n  secret: kokumi-test\n",
            !self.access_log,
            self.dir.path().join("data").display(),
            self.host
        );
        let path = self.dir.path().join("config.yml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("registry.log"))
            .unwrap();
        let child = Command::new(&self.binary)
            .arg("serve")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting docker-registry");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(15);
        while !up(&self.host) {
            assert!(
                Instant::now() < deadline,
                "docker-registry did not come up on {}",
                self.host
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it (by PID); the data stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The registry process's id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// CPU time (user + system) the running registry process has used, in seconds (Linux
    /// `/proc`, `USER_HZ` = 100); `None` when it is stopped or `/proc` is unreadable.
    pub fn cpu_seconds(&self) -> Option<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()?)).ok()?;
        // Fields after the `(comm)`; utime and stime are the 14th and 15th of the whole line.
        let rest = stat.rsplit_once(')')?.1;
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let utime: f64 = fields.get(11)?.parse().ok()?;
        let stime: f64 = fields.get(12)?.parse().ok()?;
        Some((utime + stime) / 100.0)
    }

    /// The requests the registry has answered, counted by kind (see [`request_kind`]); empty
    /// unless started with [`TestRegistry::start_logged`].
    pub fn requests(&self) -> BTreeMap<String, u64> {
        let log = std::fs::read_to_string(self.dir.path().join("registry.log")).unwrap_or_default();
        let mut counts = BTreeMap::new();
        for line in log.lines() {
            if let Some(kind) = request_kind(line) {
                *counts.entry(kind).or_insert(0) += 1;
            }
        }
        counts
    }

    /// `oci://127.0.0.1:PORT/<repository>`.
    pub fn url(&self, repository: &str) -> String {
        format!("oci://{}/{repository}", self.host)
    }
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The kind of request an access-log line (combined log format: `… "METHOD PATH HTTP/1.1"
/// STATUS …`) records, as `METHOD what STATUS`: `what` is `/v2/` (ping), `manifest`, `blob`,
/// `upload` (POST opening a session, or `mount` when it asks for one), `upload-session` (PATCH
/// or PUT of a session), `tags`, `referrers`. `None` for other lines.
pub fn request_kind(line: &str) -> Option<String> {
    let (_, request) = line.split_once('"')?;
    let (request, after) = request.split_once('"')?;
    let mut parts = request.split_whitespace();
    let (method, path) = (parts.next()?, parts.next()?);
    let status = after.split_whitespace().next()?;
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let what = if path == "/v2/" {
        "/v2/"
    } else if path.contains("/blobs/uploads/") {
        if path.ends_with("/blobs/uploads/") {
            if query.contains("mount=") {
                "mount"
            } else {
                "upload"
            }
        } else {
            "upload-session"
        }
    } else if path.contains("/manifests/") {
        "manifest"
    } else if path.contains("/blobs/") {
        "blob"
    } else if path.ends_with("/tags/list") {
        "tags"
    } else if path.contains("/referrers/") {
        "referrers"
    } else {
        "other"
    };
    Some(format!("{method} {what} {status}"))
}
