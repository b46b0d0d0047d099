//! Safe reading of tar and tar+gzip layers.
//!
//! Layers come from registries we don't control, so reading one never trusts it:
//! - only regular files and directories are accepted; symlinks, hard links, devices, FIFOs and
//!   sparse files are refused ([`Error::UnsafeEntry`]), as are absolute paths, `..` components,
//!   backslashes, NUL bytes, non-UTF-8 names and duplicate paths;
//! - the extracted size is capped (default 1 GiB, like Argo CD) by counting the bytes actually
//!   read, never the sizes the headers claim; the decompressed stream as a whole (headers,
//!   padding, skipped data) is capped too, so a gzip bomb stops at the cap instead of
//!   inflating; the entry count and the layer count are capped as well.
//!
//! A [`Budget`] carries the limits across the layers of one artifact. Everything streams: the
//! archive is read through [`std::io::Read`], and [`read_blob_archive`] bridges a [`Store`]'s
//! async blob reader to it without collecting the blob.
//!
//! ```
//! use kokumi_oci::extract::{read_archive, Compression, Limits};
//! let mut tar = tar::Builder::new(Vec::new());
//! let mut header = tar::Header::new_ustar();
//! header.set_size(3);
//! header.set_mode(0o644);
//! tar.append_data(&mut header, "a.yaml", &b"a: 1"[..3]).unwrap();
//! let bytes = tar.into_inner().unwrap();
//! let files = read_archive(&bytes[..], Compression::Detect, &mut Limits::default().budget()).unwrap();
//! assert_eq!(files[0].path, "a.yaml");
//! assert_eq!(files[0].bytes, b"a: ");
//! ```

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use tar::EntryType;

use crate::error::{Error, Result};
use crate::store::{BlobReader, Digest, Store, stream_error};

/// Limits for reading an artifact's layers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Total bytes of file content extracted, across all layers (default 1 GiB).
    pub max_extracted_size: u64,
    /// Total decompressed archive bytes read, headers and padding included (default 1 GiB +
    /// 64 MiB): stops a gzip bomb of skipped or padding data.
    pub max_stream_size: u64,
    /// Total archive entries, across all layers (default 100 000).
    pub max_entries: u64,
    /// Layers per artifact (default 10, like Argo CD).
    pub max_layers: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_extracted_size: 1 << 30,
            max_stream_size: (1 << 30) + (64 << 20),
            max_entries: 100_000,
            max_layers: 10,
        }
    }
}

impl Limits {
    /// Limits with a different extracted-size cap (the stream cap follows: cap + 64 MiB).
    pub fn with_max_extracted_size(mut self, bytes: u64) -> Self {
        self.max_extracted_size = bytes;
        self.max_stream_size = bytes.saturating_add(64 << 20);
        self
    }

    /// Limits with a different decompressed-stream cap.
    pub fn with_max_stream_size(mut self, bytes: u64) -> Self {
        self.max_stream_size = bytes;
        self
    }

    /// Limits with a different layer-count cap.
    pub fn with_max_layers(mut self, layers: usize) -> Self {
        self.max_layers = layers;
        self
    }

    /// Limits with a different entry-count cap.
    pub fn with_max_entries(mut self, entries: u64) -> Self {
        self.max_entries = entries;
        self
    }

    /// A fresh budget spending these limits.
    pub fn budget(&self) -> Budget {
        Budget {
            limits: *self,
            extracted: 0,
            streamed: 0,
            entries: 0,
        }
    }

    /// Fails with [`Error::UnsupportedArtifact`] when an artifact has more than `max_layers`
    /// layers.
    pub fn check_layers(&self, count: usize, what: &str) -> Result<()> {
        if count > self.max_layers {
            return Err(Error::UnsupportedArtifact {
                reason: format!(
                    "{what} has {count} layers, more than the limit of {}",
                    self.max_layers
                ),
            });
        }
        Ok(())
    }
}

/// What has been spent of a [`Limits`] so far (shared by the layers of one artifact).
#[derive(Debug, Clone)]
pub struct Budget {
    limits: Limits,
    extracted: u64,
    streamed: u64,
    entries: u64,
}

impl Budget {
    /// Bytes of file content extracted so far.
    pub fn extracted(&self) -> u64 {
        self.extracted
    }

    /// The limits being spent.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

/// How a layer is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// A plain tar.
    None,
    /// tar+gzip.
    Gzip,
    /// Look at the first bytes (gzip magic `1f 8b`).
    Detect,
}

impl Compression {
    /// The compression a layer media type declares (`+gzip`, `.gzip`, `tar.gz` → gzip; `tar` →
    /// none; anything else → detect from the bytes).
    pub fn for_media_type(media_type: &str) -> Self {
        if media_type.ends_with("+gzip") || media_type.ends_with(".gzip") {
            Self::Gzip
        } else if media_type.ends_with(".tar") || media_type.ends_with("+tar") {
            Self::None
        } else {
            Self::Detect
        }
    }
}

/// One regular file read from an archive.
#[derive(Clone, PartialEq, Eq)]
pub struct ArchiveFile {
    /// The normalised relative path (`/`-separated, no `.` or `..`, no leading `./`).
    pub path: String,
    /// The content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for ArchiveFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveFile")
            .field("path", &self.path)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Normalises an archive entry name, refusing anything that could escape the target
/// directory. Returns `None` for the archive root (`.`, `./`).
pub fn normalize_entry_path(raw: &[u8]) -> Result<Option<String>> {
    let shown = String::from_utf8_lossy(raw).into_owned();
    let bad = |reason: &str| Error::UnsafeEntry {
        entry: shown.clone(),
        reason: reason.to_owned(),
    };
    let text = std::str::from_utf8(raw).map_err(|_| bad("the name is not UTF-8"))?;
    if text.contains('\0') {
        return Err(bad("the name contains a NUL byte"));
    }
    if text.contains('\\') {
        return Err(bad("the name contains a backslash"));
    }
    if text.starts_with('/') {
        return Err(bad("absolute path"));
    }
    let mut parts = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err(bad("the path contains `..`")),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Ok(None);
    }
    if parts[0].len() == 2 && parts[0].ends_with(':') {
        return Err(bad("drive-letter path"));
    }
    Ok(Some(parts.join("/")))
}

fn kind_name(kind: EntryType) -> &'static str {
    match kind {
        EntryType::Symlink => "symbolic link",
        EntryType::Link => "hard link",
        EntryType::Char => "character device",
        EntryType::Block => "block device",
        EntryType::Fifo => "FIFO",
        EntryType::GNUSparse => "sparse file",
        _ => "unsupported entry type",
    }
}

/// Counts and caps the decompressed bytes flowing into the tar parser.
struct Capped<R> {
    inner: R,
    read: u64,
    limit: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.read > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                Error::TooLarge {
                    what: "the decompressed archive stream".into(),
                    limit: self.limit,
                },
            ));
        }
        Ok(n)
    }
}

fn archive_error(error: std::io::Error) -> Error {
    stream_error("reading the archive", error)
}

/// What to do with each accepted entry.
enum Sink<'a> {
    Memory(Vec<ArchiveFile>),
    Dir {
        root: &'a Path,
        written: Vec<String>,
    },
}

fn walk(
    reader: impl Read,
    compression: Compression,
    budget: &mut Budget,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let mut buffered = BufReader::with_capacity(64 * 1024, reader);
    let gzip = match compression {
        Compression::Gzip => true,
        Compression::None => false,
        Compression::Detect => {
            let head = buffered.fill_buf().map_err(archive_error)?;
            head.starts_with(&[0x1f, 0x8b])
        }
    };
    let remaining_stream = budget
        .limits
        .max_stream_size
        .saturating_sub(budget.streamed);
    let stream: Box<dyn Read + '_> = if gzip {
        Box::new(flate2::read::MultiGzDecoder::new(buffered))
    } else {
        Box::new(buffered)
    };
    let mut capped = Capped {
        inner: stream,
        read: 0,
        limit: remaining_stream,
    };
    let result = walk_tar(&mut capped, budget, sink);
    budget.streamed += capped.read;
    result
}

fn walk_tar<R: Read>(
    stream: &mut Capped<R>,
    budget: &mut Budget,
    sink: &mut Sink<'_>,
) -> Result<()> {
    let mut archive = tar::Archive::new(stream);
    let mut seen: BTreeSet<String> = BTreeSet::new();
    for entry in archive.entries().map_err(archive_error)? {
        let mut entry = entry.map_err(archive_error)?;
        budget.entries += 1;
        if budget.entries > budget.limits.max_entries {
            return Err(Error::TooLarge {
                what: "the number of archive entries".into(),
                limit: budget.limits.max_entries,
            });
        }
        let kind = entry.header().entry_type();
        let raw = entry.path_bytes().into_owned();
        if kind == EntryType::XGlobalHeader {
            continue; // pax global header (git archive): metadata only
        }
        let path = normalize_entry_path(&raw)?;
        let shown = String::from_utf8_lossy(&raw).into_owned();
        match kind {
            EntryType::Directory => {
                if let (Some(path), Sink::Dir { root, .. }) = (&path, &mut *sink) {
                    let target = root.join(path);
                    std::fs::create_dir_all(&target)
                        .map_err(|e| Error::io("creating", target, e))?;
                }
            }
            EntryType::Regular | EntryType::Continuous => {
                let Some(path) = path else {
                    return Err(Error::UnsafeEntry {
                        entry: shown,
                        reason: "a regular file named like the archive root".into(),
                    });
                };
                if !seen.insert(path.clone()) {
                    return Err(Error::UnsafeEntry {
                        entry: shown,
                        reason: "duplicate path".into(),
                    });
                }
                let remaining = budget
                    .limits
                    .max_extracted_size
                    .saturating_sub(budget.extracted);
                let too_large = || Error::TooLarge {
                    what: format!("extracted content (at `{path}`)"),
                    limit: budget.limits.max_extracted_size,
                };
                if entry.header().size().unwrap_or(0) > remaining {
                    return Err(too_large());
                }
                let mut limited = (&mut entry).take(remaining + 1);
                let written = match sink {
                    Sink::Memory(files) => {
                        let mut bytes = Vec::new();
                        limited.read_to_end(&mut bytes).map_err(archive_error)?;
                        let n = bytes.len() as u64;
                        if n <= remaining {
                            files.push(ArchiveFile {
                                path: path.clone(),
                                bytes,
                            });
                        }
                        n
                    }
                    Sink::Dir { root, written } => {
                        let target = root.join(&path);
                        if let Some(parent) = target.parent() {
                            std::fs::create_dir_all(parent)
                                .map_err(|e| Error::io("creating", parent, e))?;
                        }
                        let mut file = std::fs::File::create_new(&target)
                            .map_err(|e| Error::io("creating", &target, e))?;
                        let n = std::io::copy(&mut limited, &mut file).map_err(|e| {
                            if e.get_ref().is_some_and(|i| i.is::<Error>()) {
                                archive_error(e)
                            } else {
                                Error::io("writing", &target, e)
                            }
                        })?;
                        written.push(path.clone());
                        n
                    }
                };
                if written > remaining {
                    return Err(too_large());
                }
                budget.extracted += written;
            }
            other => {
                return Err(Error::UnsafeEntry {
                    entry: shown,
                    reason: format!("{} entries are not allowed", kind_name(other)),
                });
            }
        }
    }
    Ok(())
}

/// Reads every regular file of a tar or tar+gzip stream into memory, in archive order.
pub fn read_archive(
    reader: impl Read,
    compression: Compression,
    budget: &mut Budget,
) -> Result<Vec<ArchiveFile>> {
    let mut sink = Sink::Memory(Vec::new());
    walk(reader, compression, budget, &mut sink)?;
    match sink {
        Sink::Memory(files) => Ok(files),
        Sink::Dir { .. } => Ok(Vec::new()),
    }
}

/// Extracts a tar or tar+gzip stream into `dir`, which must not exist or be empty. Files are
/// created fresh (never through an existing path or link); returns their relative paths.
pub fn extract_to_dir(
    reader: impl Read,
    compression: Compression,
    dir: &Path,
    budget: &mut Budget,
) -> Result<Vec<String>> {
    prepare_empty_dir(dir)?;
    let mut sink = Sink::Dir {
        root: dir,
        written: Vec::new(),
    };
    walk(reader, compression, budget, &mut sink)?;
    match sink {
        Sink::Dir { written, .. } => Ok(written),
        Sink::Memory(_) => Ok(Vec::new()),
    }
}

/// Creates `dir` or checks that it is an empty directory.
pub fn prepare_empty_dir(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Invalid {
                    what: format!("extraction target {}", dir.display()),
                    reason: "the directory is not empty".into(),
                });
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(dir).map_err(|e| Error::io("creating", dir, e))
        }
        Err(e) => Err(Error::io("reading", dir, e)),
    }
}

/// A blocking [`Read`] over an async blob reader, for use on a blocking thread: a task pumps
/// chunks through a bounded channel, so the blob streams (at most a few chunks in memory).
/// Must be called within a Tokio runtime.
pub fn blocking_reader(reader: BlobReader) -> impl Read + Send + 'static {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Vec<u8>>>(4);
    tokio::spawn(async move {
        use tokio::io::AsyncReadExt as _;
        let mut reader = reader;
        loop {
            let mut chunk = vec![0u8; 256 * 1024];
            match reader.read(&mut chunk).await {
                Ok(0) => break,
                Ok(n) => {
                    chunk.truncate(n);
                    if tx.send(Ok(chunk)).await.is_err() {
                        break; // the reader was dropped
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e)).await;
                    break;
                }
            }
        }
    });
    ChannelReader {
        rx,
        current: Vec::new(),
        pos: 0,
    }
}

struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.current = chunk;
                    self.pos = 0;
                }
                Some(Err(e)) => return Err(e),
                None => return Ok(0), // the pump finished: EOF
            }
        }
        let n = buf.len().min(self.current.len() - self.pos);
        buf[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Reads the blob stream to its end so its digest is checked even when the archive ended
/// early, and lets a digest or size mismatch win over the archive's own error: a corrupted
/// blob usually fails to parse before EOF, and the mismatch is the real cause.
fn finish_verified<T>(stream: &mut impl Read, parsed: Result<T>) -> Result<T> {
    match (parsed, std::io::copy(stream, &mut std::io::sink())) {
        (Ok(value), Ok(_)) => Ok(value),
        (parsed, Err(e)) => {
            let drained = archive_error(e);
            match (&drained, parsed) {
                (Error::DigestMismatch { .. } | Error::SizeMismatch { .. }, _) => Err(drained),
                (_, Err(parse_error)) => Err(parse_error),
                (_, Ok(_)) => Err(drained),
            }
        }
        (Err(parse_error), Ok(_)) => Err(parse_error),
    }
}

/// Streams a layer blob from `store` and reads its files into memory, spending `budget`.
/// The blob's digest is verified as it streams; a mismatch fails the read.
pub async fn read_blob_archive(
    store: &dyn Store,
    digest: &Digest,
    compression: Compression,
    budget: Budget,
) -> Result<(Vec<ArchiveFile>, Budget)> {
    let reader = store.get_blob(digest).await?;
    let sync = blocking_reader(reader);
    tokio::task::spawn_blocking(move || {
        let mut budget = budget;
        let mut sync = sync;
        let files = read_archive(&mut sync, compression, &mut budget);
        finish_verified(&mut sync, files).map(|files| (files, budget))
    })
    .await
    .map_err(|e| Error::Stream {
        what: format!("reading layer {digest}"),
        source: std::io::Error::other(e.to_string()),
    })?
}

/// Streams a layer blob from `store` into `dir` (see [`extract_to_dir`]).
pub async fn extract_blob_to_dir(
    store: &dyn Store,
    digest: &Digest,
    compression: Compression,
    dir: PathBuf,
    budget: Budget,
) -> Result<(Vec<String>, Budget)> {
    let reader = store.get_blob(digest).await?;
    let sync = blocking_reader(reader);
    tokio::task::spawn_blocking(move || {
        let mut budget = budget;
        let mut sync = sync;
        let files = extract_to_dir(&mut sync, compression, &dir, &mut budget);
        finish_verified(&mut sync, files).map(|files| (files, budget))
    })
    .await
    .map_err(|e| Error::Stream {
        what: format!("extracting layer {digest}"),
        source: std::io::Error::other(e.to_string()),
    })?
}
