//! A real CNCF distribution registry (`docker-registry serve`) on 127.0.0.1, stopped by PID on
//! drop; it can be stopped and started again on the same port with the same data ("registry
//! down, then back").
//!
//! A missing `docker-registry` fails the test when `KOKUMI_REQUIRE_TOOLS=1` (CI); otherwise the
//! test prints a notice and returns early.

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
        };
        registry.resume();
        Some(registry)
    }

    /// Starts it again (same port, same data) after [`TestRegistry::stop`].
    pub fn resume(&mut self) {
        let config = format!(
            "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: {}\n  secret: kokumi-test\n",
            self.dir.path().join("data").display(),
            self.host
        );
        let path = self.dir.path().join("config.yml");
        std::fs::write(&path, config).unwrap();
        let log = std::fs::File::create(self.dir.path().join("registry.log")).unwrap();
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
