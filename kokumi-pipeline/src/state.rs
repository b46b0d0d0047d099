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
//! A file name holds at most 255 bytes, and an object name up to 253 characters: a name longer
//! than 250 characters (`.yaml` would not fit) is stored in two parts, `orders/HEAD/TAIL.yaml`,
//! split after its first 128 characters (129 when the next one is a `.`, so that `TAIL` never
//! starts with one). A Preparation of an Order with a long name is such a name.
//!
//! Every write is atomic: the YAML goes to a temporary file in the same directory, is flushed to
//! disk (`fsync`), renamed over the old file, and the directory is synced. A reader therefore sees
//! the old object or the new one, never half of one, and a crash loses at most the write in
//! flight. Two commands running at once serialise on the `lock` file ([`LocalState::lock`]).
//! A file damaged by hand (or by a disk) is reported with its path and line, and touches nothing
//! else: every other object stays readable and writable.
//!
//! Preparations are found by name: the pipeline names each `<order>-<12 hex of its digest>`
//! ([`kokumi_core::digest::preparation_name`], a long Order name shortened), and
//! [`LocalState::write`] refuses a Preparation named otherwise. So the Preparations of one Order
//! are the files named with its prefix and 12 hex digits ([`LocalState::read_preparations_of`]):
//! listing an Order's history reads that Order's files only, however many other Orders the state
//! holds. There is no index to go stale: the file names are the records' own names, and every
//! file read is still checked against its `spec.orderName`.
//!
//! It does not interpret the objects: the pipeline and the CLI decide what to write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use kokumi_core::api::Preparation;
use kokumi_core::digest::{Digest, preparation_name};

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
        Ok(self.file_of(kind, name))
    }

    /// The file of a valid name: `<name>.yaml`, or for a long name `<head>/<tail>.yaml` (see
    /// the module docs).
    fn file_of(&self, kind: Kind, name: &str) -> PathBuf {
        let dir = self.kind_dir(kind);
        match split_long(name) {
            None => dir.join(format!("{name}.yaml")),
            Some((head, tail)) => dir.join(head).join(format!("{tail}.yaml")),
        }
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
        let names = self.names(R::KIND)?;
        names.iter().map(|name| self.read_file::<R>(name)).collect()
    }

    /// Reads the Preparations of the Order `order` (by `spec.orderName`), sorted by name.
    ///
    /// Only the files named like the Order's Preparations (`<order>-<12 hex>.yaml`, see the
    /// module docs) are read: the cost grows with this Order's history, not with the state's.
    /// (The directory listing itself — names only — is still read whole.)
    pub fn read_preparations_of(&self, order: &str) -> Result<Vec<Preparation>> {
        let prefix = preparation_prefix(order);
        let mut out = Vec::new();
        for name in self.names(Kind::Preparation)? {
            if !named_with_prefix(&name, &prefix) {
                continue;
            }
            let preparation = self.read_file::<Preparation>(&name)?;
            // A shortened long Order name can be another Order's prefix too.
            if preparation.spec.order_name == order {
                out.push(preparation);
            }
        }
        Ok(out)
    }

    /// The names of every object of a kind, sorted.
    fn names(&self, kind: Kind) -> Result<Vec<String>> {
        let dir = self.kind_dir(kind);
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
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                names.extend(yaml_stem(file_name).map(str::to_owned));
                continue;
            }
            // A directory holds the tails of long names (see the module docs).
            let head = file_name;
            let sub = entry.path();
            let tails = match fs::read_dir(&sub) {
                Ok(tails) => tails,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&sub, e)),
            };
            for tail in tails {
                let tail = tail.map_err(|e| Error::io(&sub, e))?;
                let tail = tail.file_name();
                let Some(tail) = tail.to_str().and_then(yaml_stem) else {
                    continue;
                };
                let name = format!("{head}{tail}");
                // Only what `file_of` would have written: anything else is not an object.
                if split_long(&name) == Some((head, tail)) && validate_name(kind, &name).is_ok() {
                    names.push(name);
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Reads the object in the file `name` names (listed by [`LocalState::names`]).
    fn read_file<R: Record>(&self, name: &str) -> Result<R> {
        let path = self.file_of(R::KIND, name);
        let text = fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        decode::<R>(&path, name, &text)
    }

    /// Writes one object atomically (temp file, fsync, rename, directory fsync).
    ///
    /// A Preparation must be named `<order>-<12 hex>`, as the pipeline names it: the state finds
    /// an Order's Preparations by name ([`LocalState::read_preparations_of`]).
    pub fn write<R: Record>(&self, record: &R) -> Result<()> {
        let name = name_of(record);
        let path = self.path_of(R::KIND, name)?;
        if let Some(preparation) = (record as &dyn std::any::Any).downcast_ref::<Preparation>() {
            check_preparation_name(preparation)?;
        }
        let yaml = serde_norway::to_string(record).map_err(|e| Error::Encode {
            what: format!("{} {name}", R::KIND),
            message: e.to_string(),
        })?;
        if split_long(name).is_some()
            && let Some(head) = path.parent()
            && !head.is_dir()
        {
            fs::create_dir_all(head).map_err(|e| Error::io(head, e))?;
            sync_dir(&self.kind_dir(R::KIND));
        }
        write_atomic(&path, yaml.as_bytes()).map_err(|e| Error::io(&path, e))
    }

    /// Removes one object; `false` when it did not exist.
    pub fn remove(&self, kind: Kind, name: &str) -> Result<bool> {
        let path = self.path_of(kind, name)?;
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(head) = path.parent()
                    && split_long(name).is_some()
                {
                    sync_dir(head);
                    // Fails while other long names share the directory: it stays for them.
                    let _ = fs::remove_dir(head);
                }
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

/// The longest name stored as one file, `<name>.yaml` (a file name holds 255 bytes).
const FLAT_NAME_MAX: usize = 255 - ".yaml".len();

/// Where a longer name is split into a directory and a file name.
const LONG_NAME_SPLIT: usize = 128;

/// The directory and file stem a name too long for one file is stored under (see the module
/// docs), `None` for a name that fits in one. The tail never starts with `.`: names have no
/// empty `.`-separated part, so at most one split position is skipped.
fn split_long(name: &str) -> Option<(&str, &str)> {
    if name.len() <= FLAT_NAME_MAX || !name.is_ascii() {
        return None;
    }
    let at = if name.as_bytes()[LONG_NAME_SPLIT] == b'.' {
        LONG_NAME_SPLIT + 1
    } else {
        LONG_NAME_SPLIT
    };
    Some(name.split_at(at))
}

/// The name an object file `<name>.yaml` is for. Temporary files of an interrupted write
/// start with a dot; they are not objects.
fn yaml_stem(file_name: &str) -> Option<&str> {
    if file_name.starts_with('.') {
        return None;
    }
    file_name.strip_suffix(".yaml")
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

/// What every Preparation file name of `order` starts with: `order-`, or the shortened Order
/// name [`preparation_name`] uses for a long one.
fn preparation_prefix(order: &str) -> String {
    let mut probe = preparation_name(order, &Digest::of_bytes(b""));
    probe.truncate(probe.len() - 12);
    probe
}

/// Whether `name` is `prefix` followed by 12 lowercase hex digits.
fn named_with_prefix(name: &str, prefix: &str) -> bool {
    name.strip_prefix(prefix).is_some_and(|rest| {
        rest.len() == 12
            && rest
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Refuses a Preparation whose name is not `<its order>-<12 hex>`: the state could not find it
/// among its Order's.
fn check_preparation_name(preparation: &Preparation) -> Result<()> {
    let name = name_of(preparation);
    let order = &preparation.spec.order_name;
    let prefix = preparation_prefix(order);
    if named_with_prefix(name, &prefix) {
        return Ok(());
    }
    Err(Error::InvalidName {
        kind: Kind::Preparation,
        name: name.to_owned(),
        reason: format!(
            "a preparation of order {order:?} is named {prefix}<12 hex digits of its digest>"
        ),
    })
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` so that readers see the old content or the new, never a mixture.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("object");
    // Shortened: the temporary name must fit in 255 bytes whatever the file's own length.
    let mut short = file_name.len().min(64);
    while !file_name.is_char_boundary(short) {
        short -= 1;
    }
    let file_name = &file_name[..short];
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

    async fn preparations_of(&self, order: &str) -> Result<Vec<Preparation>> {
        self.read_preparations_of(order)
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

    /// A Preparation of `order` named `name` (its artifact digest from `seed`).
    fn preparation(name: &str, order: &str, seed: &[u8]) -> Preparation {
        use kokumi_core::api::{
            Artifact, PreparationSource, PreparationSpec, RenderType, Renderer,
        };
        let digest = Digest::of_bytes(seed);
        let spec = PreparationSpec {
            order_name: order.to_owned(),
            source: PreparationSource {
                oci: "oci://example.test/chart".into(),
                version: Some("1.0.0".into()),
                base_digest: digest,
            },
            renderer: Renderer {
                name: "test".into(),
                version: "1".into(),
                render_type: RenderType::Helm,
            },
            config_hash: digest,
            artifact: Artifact {
                oci_ref: format!("oci-layout:x@{digest}"),
                digest,
                signed: None,
            },
            parent_digest: None,
            commit_message: None,
        };
        let mut p = Preparation::new(name, spec);
        p.metadata.name = Some(name.to_owned());
        p
    }

    fn names(preparations: &[Preparation]) -> Vec<&str> {
        preparations.iter().map(name_of).collect()
    }

    #[test]
    fn an_orders_preparations_are_found_by_name_among_others() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::open(dir.path()).unwrap();
        for (order, seed) in [
            ("hello", &b"1"[..]),
            ("hello", b"2"),
            ("hello-a", b"3"),
            ("hello-0123", b"4"),
            ("other", b"5"),
        ] {
            let name = preparation_name(order, &Digest::of_bytes(seed));
            state.write(&preparation(&name, order, seed)).unwrap();
        }
        let hello = state.read_preparations_of("hello").unwrap();
        let mut expected = vec![
            preparation_name("hello", &Digest::of_bytes(b"1")),
            preparation_name("hello", &Digest::of_bytes(b"2")),
        ];
        expected.sort();
        assert_eq!(names(&hello), expected);
        assert_eq!(state.read_preparations_of("hello-a").unwrap().len(), 1);
        assert_eq!(state.read_preparations_of("hello-0123").unwrap().len(), 1);
        assert!(state.read_preparations_of("nobody").unwrap().is_empty());
        // The same answer as filtering every record.
        let all: Vec<Preparation> = state.read_all().unwrap();
        for order in ["hello", "hello-a", "hello-0123", "other"] {
            let filtered: Vec<_> = all.iter().filter(|p| p.spec.order_name == order).collect();
            let found = state.read_preparations_of(order).unwrap();
            assert_eq!(found.iter().collect::<Vec<_>>(), filtered, "{order}");
        }

        // Other Orders' files are not read: a damaged one does not disturb this Order.
        let other = preparation_name("other", &Digest::of_bytes(b"5"));
        fs::write(state.path_of(Kind::Preparation, &other).unwrap(), "spec: [").unwrap();
        assert_eq!(state.read_preparations_of("hello").unwrap().len(), 2);
        assert!(state.read_preparations_of("other").is_err());
    }

    #[test]
    fn long_order_names_have_the_shortened_prefix_their_preparations_get() {
        let long_a = format!("{}-a", "x".repeat(239));
        let long_b = format!("{}-b", "x".repeat(239));
        let prefix = preparation_prefix(&long_a);
        assert_eq!(prefix, format!("{}-", "x".repeat(239)));
        assert_eq!(preparation_prefix(&long_b), prefix);
        let name = preparation_name(&long_a, &Digest::of_bytes(b"a"));
        assert!(named_with_prefix(&name, &prefix), "{name}");
        assert_eq!(preparation_prefix("hello"), "hello-");
    }

    #[test]
    fn a_preparation_not_named_for_its_order_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::open(dir.path()).unwrap();
        for name in [
            "web-1",
            "hello-0123456789ab",
            "web-0123456789ag",
            "web-0123456789abc",
        ] {
            let err = state
                .write(&preparation(name, "web", b"1"))
                .unwrap_err()
                .to_string();
            assert_eq!(
                err,
                format!(
                    "invalid Preparation name {name:?}: a preparation of order \"web\" is named web-<12 hex digits of its digest>"
                )
            );
            assert!(!state.path_of(Kind::Preparation, name).unwrap().exists());
        }
        state
            .write(&preparation("web-0123456789ab", "web", b"1"))
            .unwrap();
    }

    #[test]
    fn names_too_long_for_one_file_are_stored_in_two_parts() {
        let dir = tempfile::tempdir().unwrap();
        let state = LocalState::open(dir.path()).unwrap();
        // Preparation names of 253 characters (one split after a `.`), 251, and 243 (one file).
        let orders = [
            format!("{}.{}", "a".repeat(128), "b".repeat(124)),
            "d".repeat(253),
            "f".repeat(238),
            "e".repeat(230),
        ];
        let mut written = Vec::new();
        for (i, order) in orders.iter().enumerate() {
            let seed = [u8::try_from(i).unwrap()];
            let name = preparation_name(order, &Digest::of_bytes(&seed));
            state.write(&preparation(&name, order, &seed)).unwrap();
            let path = state.path_of(Kind::Preparation, &name).unwrap();
            assert!(path.file_name().unwrap().len() <= 255, "{}", path.display());
            assert_eq!(
                path.parent().unwrap() == state.kind_dir(Kind::Preparation),
                name.len() <= 250
            );
            written.push((order, name));
        }
        assert_eq!(
            written.iter().map(|(_, n)| n.len()).collect::<Vec<_>>(),
            [253, 253, 251, 243]
        );
        assert_eq!(written[0].1.as_bytes()[128], b'.');
        for (order, name) in &written {
            let read: Preparation = state.read(name).unwrap().unwrap();
            assert_eq!(name_of(&read), name);
            let of_order = state.read_preparations_of(order).unwrap();
            assert_eq!(of_order.len(), 1, "{order}");
        }
        let mut expected: Vec<String> = written.iter().map(|(_, n)| n.clone()).collect();
        expected.sort();
        let listed: Vec<Preparation> = state.read_all().unwrap();
        let listed: Vec<&str> = listed.iter().map(name_of).collect();
        assert_eq!(listed, expected);
        for (_, name) in &written {
            assert!(state.remove(Kind::Preparation, name).unwrap());
        }
        assert!(state.read_all::<Preparation>().unwrap().is_empty());
        // The long names' directories went with their last file.
        let left = fs::read_dir(state.kind_dir(Kind::Preparation))
            .unwrap()
            .count();
        assert_eq!(left, 0);
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
