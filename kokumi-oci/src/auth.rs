//! Registry credentials: docker `config.json`, `kubernetes.io/dockerconfigjson` Secrets and
//! `docker-credential-<name>` helpers.
//!
//! Parsing is pure ([`DockerConfig::parse`], [`parse_helper_output`]); running a helper is
//! isolated behind [`CredentialHelper`] so lookups can be tested without processes.
//!
//! ```
//! use kokumi_oci::auth::{Credential, DockerConfig, NoHelpers};
//!
//! let config = DockerConfig::parse(
//!     br#"{"auths": {"https://registry.example:5000/v1/": {"auth": "YWxpY2U6czNjcmV0"}}}"#,
//!     "config.json",
//! )?;
//! let credential = config.credential_for("registry.example:5000", &NoHelpers)?;
//! assert_eq!(credential, Credential::Basic { username: "alice".into(), password: "s3cret".into() });
//! # Ok::<(), kokumi_oci::Error>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{Error, Result};

/// The key Docker uses for Docker Hub in `config.json`.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// How to authenticate to one registry.
#[derive(Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Credential {
    /// No credentials: anonymous access (a bearer-token registry may still hand out an anonymous
    /// token).
    #[default]
    Anonymous,
    /// A user name and password (HTTP basic, or sent to the token server of a bearer registry).
    Basic {
        /// User name.
        username: String,
        /// Password or personal access token.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken` in `config.json`, or a helper answering with user
    /// `<token>`), exchanged at the registry's token server for an access token.
    IdentityToken(String),
    /// A ready-made bearer access token (`registrytoken` in `config.json`), sent as is.
    BearerToken(String),
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print secrets.
        match self {
            Self::Anonymous => f.write_str("Anonymous"),
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
            Self::BearerToken(_) => f.write_str("BearerToken(<redacted>)"),
        }
    }
}

/// One entry of `auths` in a docker `config.json`.
#[derive(Debug, Clone, Default, Deserialize)]
struct RawAuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default, rename = "identitytoken")]
    identity_token: Option<String>,
    #[serde(default, rename = "registrytoken")]
    registry_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct RawConfig {
    #[serde(default)]
    auths: BTreeMap<String, RawAuthEntry>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
}

/// A parsed docker `config.json` (or the `.dockerconfigjson` of a Kubernetes Secret).
///
/// Registry keys are normalised to a bare `host[:port]` (`https://host/v1/` → `host`), and Docker
/// Hub's aliases (`docker.io`, `index.docker.io`, `registry-1.docker.io`) are one key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DockerConfig {
    auths: BTreeMap<String, Credential>,
    cred_helpers: BTreeMap<String, String>,
    creds_store: Option<String>,
}

/// Where a registry's credentials come from, before any helper is run.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialSource {
    /// Stored in the file itself (`auths`).
    Inline(Credential),
    /// Ask `docker-credential-<helper>` (from `credHelpers` or `credsStore`).
    Helper(String),
    /// Nothing configured: go anonymous.
    None,
}

impl DockerConfig {
    /// Parses the bytes of a docker `config.json`; `what` names the source in errors.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self> {
        let raw: RawConfig = serde_json::from_slice(bytes).map_err(|source| Error::Json {
            what: what.to_owned(),
            source,
        })?;
        let mut auths = BTreeMap::new();
        for (key, entry) in raw.auths {
            let credential = entry_credential(&entry).map_err(|reason| Error::Credentials {
                what: what.to_owned(),
                reason: format!("auths.\"{key}\": {reason}"),
            })?;
            // Docker keeps the first entry when two keys normalise to the same host; so do we.
            auths.entry(normalize_registry(&key)).or_insert(credential);
        }
        let cred_helpers = raw
            .cred_helpers
            .into_iter()
            .map(|(k, v)| (normalize_registry(&k), v))
            .collect();
        let creds_store = raw.creds_store.filter(|s| !s.is_empty());
        Ok(Self {
            auths,
            cred_helpers,
            creds_store,
        })
    }

    /// Parses the content of a `kubernetes.io/dockerconfigjson` Secret: the (already
    /// base64-decoded) bytes of its `.dockerconfigjson` key. The legacy `kubernetes.io/dockercfg`
    /// shape (a bare map of registries, without `auths`) is accepted too.
    pub fn from_dockerconfigjson(bytes: &[u8], secret: &str) -> Result<Self> {
        let what = format!("secret {secret} (.dockerconfigjson)");
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|source| Error::Json {
                what: what.clone(),
                source,
            })?;
        let Some(object) = value.as_object() else {
            return Err(Error::Credentials {
                what,
                reason: "the document is not a JSON object".into(),
            });
        };
        let looks_modern = object.contains_key("auths")
            || object.contains_key("credHelpers")
            || object.contains_key("credsStore");
        if looks_modern || object.is_empty() {
            Self::parse(bytes, &what)
        } else {
            let wrapped = serde_json::json!({ "auths": value });
            let bytes = serde_json::to_vec(&wrapped).map_err(|source| Error::Json {
                what: what.clone(),
                source,
            })?;
            Self::parse(&bytes, &what)
        }
    }

    /// Reads `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`; `Ok(None)` when
    /// neither exists.
    pub fn load_default() -> Result<Option<Self>> {
        let Some(path) = default_config_path() else {
            return Ok(None);
        };
        Self::load(&path)
    }

    /// Reads a `config.json` from `path`; `Ok(None)` when the file does not exist.
    pub fn load(path: &Path) -> Result<Option<Self>> {
        match std::fs::read(path) {
            Ok(bytes) => Self::parse(&bytes, &path.display().to_string()).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io("reading", path, e)),
        }
    }

    /// Adds (or replaces) inline credentials for `registry`.
    pub fn insert(&mut self, registry: &str, credential: Credential) {
        self.auths.insert(normalize_registry(registry), credential);
    }

    /// Where the credentials for `registry` (`host[:port]`) come from: a per-registry helper
    /// wins over inline `auths`, which win over the global `credsStore` (Docker's order).
    pub fn source_for(&self, registry: &str) -> CredentialSource {
        let key = normalize_registry(registry);
        if let Some(helper) = self.cred_helpers.get(&key) {
            return CredentialSource::Helper(helper.clone());
        }
        if let Some(credential) = self.auths.get(&key) {
            return CredentialSource::Inline(credential.clone());
        }
        match &self.creds_store {
            Some(store) => CredentialSource::Helper(store.clone()),
            None => CredentialSource::None,
        }
    }

    /// The credential for `registry`, running a helper through `helpers` when configured.
    pub fn credential_for(
        &self,
        registry: &str,
        helpers: &dyn CredentialHelper,
    ) -> Result<Credential> {
        match self.source_for(registry) {
            CredentialSource::Inline(credential) => Ok(credential),
            CredentialSource::None => Ok(Credential::Anonymous),
            CredentialSource::Helper(helper) => {
                let server = helper_server_name(registry);
                Ok(helpers
                    .get(&helper, &server)?
                    .unwrap_or(Credential::Anonymous))
            }
        }
    }
}

fn entry_credential(entry: &RawAuthEntry) -> std::result::Result<Credential, String> {
    if let Some(token) = entry.identity_token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Credential::IdentityToken(token.to_owned()));
    }
    if let Some(token) = entry.registry_token.as_deref().filter(|t| !t.is_empty()) {
        return Ok(Credential::BearerToken(token.to_owned()));
    }
    if let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|e| format!("`auth` is not valid base64: {e}"))?;
        let text =
            String::from_utf8(decoded).map_err(|_| "`auth` does not decode to UTF-8".to_owned())?;
        let Some((username, password)) = text.split_once(':') else {
            return Err("`auth` does not decode to `username:password`".into());
        };
        return Ok(Credential::Basic {
            username: username.to_owned(),
            password: password.trim_end_matches('\n').to_owned(),
        });
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) if !u.is_empty() => Ok(Credential::Basic {
            username: u.clone(),
            password: p.clone(),
        }),
        (Some(_), None) => Err("`username` without `password`".into()),
        (None, Some(_)) => Err("`password` without `username`".into()),
        _ => Ok(Credential::Anonymous),
    }
}

/// Reduces a `config.json` key or a registry name to `host[:port]`, lowercased, with Docker
/// Hub's aliases mapped to one name.
pub fn normalize_registry(key: &str) -> String {
    let key = key.trim();
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .or_else(|| key.strip_prefix("oci://"))
        .unwrap_or(key);
    let host = without_scheme
        .split('/')
        .next()
        .unwrap_or(without_scheme)
        .to_ascii_lowercase();
    match host.as_str() {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

/// The server name a credential helper expects for a registry (Docker Hub's legacy URL).
fn helper_server_name(registry: &str) -> String {
    match normalize_registry(registry).as_str() {
        "docker.io" => DOCKER_HUB_KEY.to_owned(),
        other => other.to_owned(),
    }
}

fn default_config_path() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir).join("config.json"));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
}

/// The JSON a `docker-credential-<name> get` prints.
#[derive(Debug, Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// Parses what `docker-credential-<name> get` printed. A user name of `<token>` means the
/// secret is an identity (refresh) token.
pub fn parse_helper_output(bytes: &[u8], helper: &str) -> Result<Credential> {
    let answer: HelperAnswer = serde_json::from_slice(bytes).map_err(|source| Error::Json {
        what: format!("the answer of docker-credential-{helper}"),
        source,
    })?;
    if answer.username == "<token>" {
        return Ok(Credential::IdentityToken(answer.secret));
    }
    if answer.username.is_empty() && answer.secret.is_empty() {
        return Ok(Credential::Anonymous);
    }
    Ok(Credential::Basic {
        username: answer.username,
        password: answer.secret,
    })
}

/// Runs credential helpers. The default, [`ProcessHelpers`], runs `docker-credential-<name>`;
/// tests and callers without helpers use [`NoHelpers`] or their own.
pub trait CredentialHelper: Send + Sync {
    /// The credential `helper` knows for `server`, `Ok(None)` when it has none.
    fn get(&self, helper: &str, server: &str) -> Result<Option<Credential>>;
}

/// A [`CredentialHelper`] that knows nothing: configured helpers give anonymous access.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoHelpers;

impl CredentialHelper for NoHelpers {
    fn get(&self, _helper: &str, _server: &str) -> Result<Option<Credential>> {
        Ok(None)
    }
}

/// Runs `docker-credential-<name> get` from `PATH` (or from `dir` when set), writing the server
/// name on its stdin, as Docker does.
#[derive(Debug, Clone, Default)]
pub struct ProcessHelpers {
    /// Look helpers up in this directory instead of `PATH`.
    pub dir: Option<PathBuf>,
}

impl CredentialHelper for ProcessHelpers {
    fn get(&self, helper: &str, server: &str) -> Result<Option<Credential>> {
        let fail = |reason: String| Error::CredentialHelper {
            helper: helper.to_owned(),
            server: server.to_owned(),
            reason,
        };
        if helper.is_empty() || helper.contains(['/', '\\']) {
            return Err(fail("invalid helper name".into()));
        }
        let program = format!("docker-credential-{helper}");
        let program = match &self.dir {
            Some(dir) => dir.join(program),
            None => PathBuf::from(program),
        };
        let mut child = Command::new(&program)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| fail(format!("cannot run {}: {e}", program.display())))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(server.as_bytes())
                .map_err(|e| fail(format!("writing its stdin: {e}")))?;
        }
        let output = child
            .wait_with_output()
            .map_err(|e| fail(format!("waiting for it: {e}")))?;
        if !output.status.success() {
            let text = String::from_utf8_lossy(&output.stdout).trim().to_owned()
                + String::from_utf8_lossy(&output.stderr).trim();
            // The helper protocol's "not found" answer is not an error: go anonymous.
            if text.contains("credentials not found") {
                return Ok(None);
            }
            return Err(fail(format!("{}: {text}", output.status)));
        }
        parse_helper_output(&output.stdout, helper).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct FakeHelpers;
    impl CredentialHelper for FakeHelpers {
        fn get(&self, helper: &str, server: &str) -> Result<Option<Credential>> {
            Ok(Some(Credential::Basic {
                username: helper.to_owned(),
                password: server.to_owned(),
            }))
        }
    }

    #[test]
    fn auths_forms() {
        let config = DockerConfig::parse(
            br#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "dXNlcjpwYTpzcw=="},
                "http://plain.example:5000": {"username": "bob", "password": "pw"},
                "ghcr.io": {"identitytoken": "refresh-me"},
                "quay.io/some/path": {"registrytoken": "tok"},
                "empty.example": {}
            }}"#,
            "config.json",
        )
        .unwrap();
        let c = |r: &str| config.credential_for(r, &NoHelpers).unwrap();
        assert_eq!(
            c("docker.io"),
            Credential::Basic {
                username: "user".into(),
                password: "pa:ss".into()
            }
        );
        assert_eq!(c("registry-1.docker.io"), c("docker.io"));
        assert_eq!(
            c("plain.example:5000"),
            Credential::Basic {
                username: "bob".into(),
                password: "pw".into()
            }
        );
        assert_eq!(c("GHCR.io"), Credential::IdentityToken("refresh-me".into()));
        assert_eq!(c("quay.io"), Credential::BearerToken("tok".into()));
        assert_eq!(c("empty.example"), Credential::Anonymous);
        assert_eq!(c("unknown.example"), Credential::Anonymous);
    }

    #[test]
    fn helper_precedence() {
        let config = DockerConfig::parse(
            br#"{"auths": {"a.example": {"auth": "eDp5"}, "b.example": {"auth": "eDp5"}},
                 "credHelpers": {"https://a.example": "pass"},
                 "credsStore": "desktop"}"#,
            "config.json",
        )
        .unwrap();
        assert_eq!(
            config.source_for("a.example"),
            CredentialSource::Helper("pass".into())
        );
        assert_eq!(
            config.source_for("b.example"),
            CredentialSource::Inline(Credential::Basic {
                username: "x".into(),
                password: "y".into()
            })
        );
        assert_eq!(
            config.source_for("c.example"),
            CredentialSource::Helper("desktop".into())
        );
        assert_eq!(
            config.credential_for("docker.io", &FakeHelpers).unwrap(),
            Credential::Basic {
                username: "desktop".into(),
                password: DOCKER_HUB_KEY.into()
            }
        );
    }

    #[test]
    fn bad_auth_names_the_key() {
        let err = DockerConfig::parse(
            br#"{"auths": {"r.example": {"auth": "bm9jb2xvbg=="}}}"#,
            "/home/u/.docker/config.json",
        )
        .unwrap_err();
        insta::assert_snapshot!(err, @r#"invalid credentials in /home/u/.docker/config.json: auths."r.example": `auth` does not decode to `username:password`"#);
        let err = DockerConfig::parse(br#"{"auths": {"r": {"auth": "!!"}}}"#, "c.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not valid base64"), "{err}");
        let err = DockerConfig::parse(br#"{"auths": [1]}"#, "c.json").unwrap_err();
        assert!(matches!(err, Error::Json { .. }), "{err:?}");
    }

    #[test]
    fn dockerconfigjson_secret_modern_and_legacy() {
        let modern = DockerConfig::from_dockerconfigjson(
            br#"{"auths":{"reg.example":{"username":"u","password":"p","auth":"dTpw"}}}"#,
            "ns/pull",
        )
        .unwrap();
        let legacy =
            DockerConfig::from_dockerconfigjson(br#"{"reg.example":{"auth":"dTpw"}}"#, "ns/old")
                .unwrap();
        assert_eq!(modern, legacy);
        let err = DockerConfig::from_dockerconfigjson(b"[]", "ns/x").unwrap_err();
        insta::assert_snapshot!(err, @"invalid credentials in secret ns/x (.dockerconfigjson): the document is not a JSON object");
    }

    #[test]
    fn helper_output() {
        assert_eq!(
            parse_helper_output(
                br#"{"ServerURL":"r","Username":"<token>","Secret":"rt"}"#,
                "x"
            )
            .unwrap(),
            Credential::IdentityToken("rt".into())
        );
        assert_eq!(
            parse_helper_output(br#"{"Username":"u","Secret":"s"}"#, "x").unwrap(),
            Credential::Basic {
                username: "u".into(),
                password: "s".into()
            }
        );
        assert!(parse_helper_output(b"nope", "x").is_err());
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credential::Basic {
            username: "u".into(),
            password: "hunter2".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[cfg(unix)]
    #[test]
    fn process_helper_runs_a_script() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let script = dir.path().join("docker-credential-fake");
        std::fs::write(
            &script,
            "#!/bin/sh\nread server\nif [ \"$server\" = missing.example ]; then echo 'credentials not found in native keychain'; exit 1; fi\nprintf '{\"ServerURL\":\"%s\",\"Username\":\"me\",\"Secret\":\"for-%s\"}' \"$server\" \"$server\"\n",
        )
        .unwrap();
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        let helpers = ProcessHelpers {
            dir: Some(dir.path().to_owned()),
        };
        assert_eq!(
            helpers.get("fake", "r.example:5000").unwrap(),
            Some(Credential::Basic {
                username: "me".into(),
                password: "for-r.example:5000".into()
            })
        );
        assert_eq!(helpers.get("fake", "missing.example").unwrap(), None);
        let err = helpers.get("absent", "r").unwrap_err().to_string();
        assert!(err.contains("docker-credential-absent"), "{err}");
    }
}
