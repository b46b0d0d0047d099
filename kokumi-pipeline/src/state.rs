//! The local state directory: Kokumi without a cluster.
//!
//! A [`LocalState`] is a directory (by default `.kokumi/` in the working directory) holding
//!
//! ```text
//! .kokumi/
//!   lock                 advisory lock taken by every command (shared to read, exclusive to write)
//!   oci/                 an OCI image layout with every Preparation artifact (kokumi-oci's LayoutStore)
//!   orders/NAME.yaml     the API objects, as the same YAML the cluster would hold
//!   menus/ recipes/ pantries/ preparations/ servings/
//! ```
//!
//! Every write is atomic: the YAML goes to a temporary file in the same directory, is flushed to
//! disk (`fsync`), renamed over the old file, and the directory is synced. A reader therefore sees
//! the old object or the new one, never half of one, and a crash loses at most the write in
//! flight. Two commands running at once serialise on the `lock` file ([`LocalState::lock`]).
//! A file damaged by hand (or by a disk) is reported with its path and line, and touches nothing
//! else: every other object stays readable and writable.
//!
//! It does not interpret the objects: the pipeline and the CLI decide what to write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};
use crate::record::{Kind, Record, RecordStore, name_of};

/// Name of the state directory looked for in the working directory.
pub const DEFAULT_DIR: &str = ".kokumi";

/// Environment variable naming the state directory (like `--home`).
pub const HOME_ENV: &str = "KOKUMI_HOME";

/// The local state directory (see the module docs for its layout).
#[derive(Debug, Clone)]
pub struct LocalState {
    root: PathBuf,
}

/// A held lock on a [`LocalState`]; released when dropped.
#[derive(Debug)]
pub struct StateLock {
    _file: File,
}

/// Whether a lock is for reading (many at once) or writing (alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Many readers at once; no writer meanwhile.
    Shared,
    /// One writer; nobody else meanwhile.
    Exclusive,
}

impl LocalState {
    /// Opens the state directory at `root`, creating it (and its subdirectories) if missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        let state = Self { root };
        for dir in Kind::ALL.iter().map(|k| state.kind_dir(*k)) {
            fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        let oci = state.artifacts_dir();
        fs::create_dir_all(&oci).map_err(|e| Error::io(&oci, e))?;
        Ok(state)
    }

    /// Where the state lives: `home`, else `$KOKUMI_HOME`, else `.kokumi` in `cwd`.
    pub fn locate(home: Option<&Path>, env: Option<&str>, cwd: &Path) -> PathBuf {
        match (home, env) {
            (Some(home), _) => home.to_path_buf(),
            (None, Some(env)) if !env.is_empty() => PathBuf::from(env),
            _ => cwd.join(DEFAULT_DIR),
        }
    }

    /// The state directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The OCI image layout holding the Preparation artifacts.
    pub fn artifacts_dir(&self) -> PathBuf {
        self.root.join("oci")
    }

    /// Takes the state lock, waiting for other commands to finish with it.
    pub fn lock(&self, mode: LockMode) -> Result<StateLock> {
        let path = self.root.join("lock");
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        match mode {
            LockMode::Shared => file.lock_shared(),
            LockMode::Exclusive => file.lock(),
        }
        .map_err(|e| Error::io(&path, e))?;
        Ok(StateLock { _file: file })
    }

    fn kind_dir(&self, kind: Kind) -> PathBuf {
        self.root.join(kind.plural())
    }

    /// The file an object lives in.
    pub fn path_of(&self, kind: Kind, name: &str) -> Result<PathBuf> {
        let name = validate_name(kind, name)?;
        Ok(self.kind_dir(kind).join(format!("{name}.yaml")))
    }

    /// Reads one object; `None` when there is no such file.
    pub fn read<R: Record>(&self, name: &str) -> Result<Option<R>> {
        let path = self.path_of(R::KIND, name)?;
        match fs::read_to_string(&path) {
            Ok(text) => decode::<R>(&path, name, &text).map(Some),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Reads every object of a kind, sorted by name. The first damaged file is an error.
    pub fn read_all<R: Record>(&self) -> Result<Vec<R>> {
        let dir = self.kind_dir(R::KIND);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(&dir, e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(&dir, e))?;
            let file_name = entry.file_name();
            let Some(file_name) = file_name.to_str() else {
                continue;
            };
            // Temporary files of an interrupted write start with a dot; they are not objects.
            if file_name.starts_with('.') {
                continue;
            }
            if let Some(name) = file_name.strip_suffix(".yaml") {
                names.push(name.to_owned());
            }
        }
        names.sort();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let path = dir.join(format!("{name}.yaml"));
            let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            out.push(decode::<R>(&path, &name, &text)?);
        }
        Ok(out)
    }

    /// Writes one object atomically (temp file, fsync, rename, directory fsync).
    pub fn write<R: Record>(&self, record: &R) -> Result<()> {
        let name = name_of(record);
        let path = self.path_of(R::KIND, name)?;
        let yaml = serde_norway::to_string(record).map_err(|e| Error::Encode {
            what: format!("{} {name}", R::KIND),
            message: e.to_string(),
        })?;
        write_atomic(&path, yaml.as_bytes()).map_err(|e| Error::io(&path, e))
    }

    /// Removes one object; `false` when it did not exist.
    pub fn remove(&self, kind: Kind, name: &str) -> Result<bool> {
        let path = self.path_of(kind, name)?;
        match fs::remove_file(&path) {
            Ok(()) => {
                sync_dir(&self.kind_dir(kind));
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

fn decode<R: Record>(path: &Path, name: &str, text: &str) -> Result<R> {
    let record: R = serde_norway::from_str(text).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        line: e.location().map(|l| l.line()),
        message: e.to_string(),
    })?;
    let found = name_of(&record);
    if found != name {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            line: None,
            message: format!("metadata.name is {found:?}, but the file is named for {name:?}"),
        });
    }
    Ok(record)
}

/// Checks that `name` is a Kubernetes object name (DNS-1123 subdomain), which also makes it a
/// safe file name (no `/`, no `..`).
pub fn validate_name(kind: Kind, name: &str) -> Result<&str> {
    let bad = |reason: &str| Error::InvalidName {
        kind,
        name: name.to_owned(),
        reason: reason.to_owned(),
    };
    if name.is_empty() {
        return Err(bad("it is empty"));
    }
    if name.len() > 253 {
        return Err(bad("it is longer than 253 characters"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
    {
        return Err(bad(
            "only lowercase letters, digits, '-' and '.' are allowed",
        ));
    }
    let first_last_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    if !first_last_ok(bytes[0]) || !first_last_ok(bytes[bytes.len() - 1]) {
        return Err(bad("it must start and end with a letter or digit"));
    }
    if name.split('.').any(str::is_empty) {
        return Err(bad("it has an empty '.'-separated part"));
    }
    Ok(name)
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` so that readers see the old content or the new, never a mixture.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("object");
    let tmp = dir.join(format!(
        ".{file_name}.tmp-{}-{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir);
    Ok(())
}

/// Makes a rename durable. Best effort: not every platform can open a directory.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[async_trait::async_trait]
impl RecordStore for LocalState {
    async fn get<R: Record>(&self, name: &str) -> Result<Option<R>> {
        self.read(name)
    }

    async fn list<R: Record>(&self) -> Result<Vec<R>> {
        self.read_all()
    }

    async fn put<R: Record>(&self, record: &R) -> Result<()> {
        self.write(record)
    }

    async fn delete<R: Record>(&self, name: &str) -> Result<bool> {
        self.remove(R::KIND, name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        for good in ["a", "hello", "hello-0123456789ab", "a.b-c"] {
            assert!(validate_name(Kind::Order, good).is_ok(), "{good}");
        }
        for bad in ["", "-a", "a-", "A", "a/b", "..", "a..b", "a_b", ".a"] {
            assert!(validate_name(Kind::Order, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locate_prefers_flag_then_env_then_cwd() {
        let cwd = Path::new("/w");
        assert_eq!(
            LocalState::locate(Some(Path::new("/h")), Some("/e"), cwd),
            PathBuf::from("/h")
        );
        assert_eq!(
            LocalState::locate(None, Some("/e"), cwd),
            PathBuf::from("/e")
        );
        assert_eq!(
            LocalState::locate(None, Some(""), cwd),
            PathBuf::from("/w/.kokumi")
        );
        assert_eq!(
            LocalState::locate(None, None, cwd),
            PathBuf::from("/w/.kokumi")
        );
    }

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.yaml");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }
}
