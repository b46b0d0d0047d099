//! `kokumi push`, `kokumi pull` and `kokumi copy`: moving artifacts between a directory, OCI
//! registries (`oci://HOST/REPO[:TAG|@sha256:…]`) and on-disk OCI layouts
//! (`oci-layout:PATH[:TAG]`).
//!
//! - `push PATH REF`: a directory or file of manifests becomes a reproducible Preparation
//!   artifact ([`kokumi_oci::artifact::pack`]); a Helm chart (a directory holding `Chart.yaml`,
//!   or a `.tgz`) is pushed the way `helm push` does. Prints the pushed digest.
//! - `pull REF DIR`: a Preparation or a manifest bundle is extracted safely into `DIR` (which
//!   must be empty or missing); a Helm chart is saved as `DIR/<name>-<version>.tgz`.
//! - `copy SRC DST`: everything `SRC` points at (an index with all its children, or one
//!   `--platform`) is copied to `DST`, digests preserved; blobs are mounted when both are
//!   repositories of one registry. `-r`/`--recursive` also copies the referrers (signatures,
//!   SBOMs, attestations) of every copied manifest, like `oras copy -r`.
//!
//! Each command is a function writing to the streams it is given ([`run_line`] parses a whole
//! command line), so tests call it without a process. This module does not talk to a cluster
//! and does not render charts.
//!
//! ```no_run
//! let (code, out, err) = kokumi_cli::oci::run_line(
//!     &["push", "./manifests", "oci://127.0.0.1:5000/team/web:v1", "-o", "json"],
//!     false,
//! );
//! assert_eq!(code, 0, "{err}");
//! println!("{out}");
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::{Args, Subcommand, ValueEnum};
use kokumi_oci::artifact::{self, Blob, PreparationMeta};
use kokumi_oci::auth::{DockerConfig, ProcessHelpers};
use kokumi_oci::copy::{CopyOptions, CopyReport, Platform, Progress, ProgressFn, ProgressKind};
use kokumi_oci::extract::{Limits, prepare_empty_dir};
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::media_types as mt;
use kokumi_oci::registry::{Registries, RegistryConfig, RegistryStore};
use kokumi_oci::source::{self, HelmPushOptions, Source};
use kokumi_oci::{Digest, DigestExt, Manifest, Reference, Store, StoreLocation, Target};
use serde_json::json;

use crate::progress::Progress as Draw;

pub use crate::failure::{Failure, exit};

/// The three commands.
#[derive(Debug, Clone, Subcommand)]
#[non_exhaustive]
pub enum Command {
    /// Push a directory or file of manifests (as a Preparation) or a Helm chart to a registry
    /// or OCI layout.
    Push(PushArgs),
    /// Pull a Preparation, manifest bundle or Helm chart into a directory.
    Pull(PullArgs),
    /// Copy an artifact, image or index between registries and OCI layouts, digests preserved.
    Copy(CopyArgs),
}

/// How to reach registries (shared by the three commands).
#[derive(Debug, Clone, Args, Default)]
pub struct RegistryArgs {
    /// Talk plain HTTP to the registries named on the command line (loopback hosts use plain
    /// HTTP by default).
    #[arg(long)]
    pub plain_http: bool,
    /// Skip TLS certificate verification for the registries named on the command line.
    #[arg(long)]
    pub insecure: bool,
    /// Docker `config.json` with credentials [default: $DOCKER_CONFIG/config.json or
    /// ~/.docker/config.json].
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = Output::Text)]
    pub output: Output,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
#[non_exhaustive]
pub enum Output {
    /// Lines for people (`Pushed: …`, `Digest: …`).
    #[default]
    Text,
    /// One JSON object, for scripts.
    Json,
}

/// `kokumi push PATH REF`.
#[derive(Debug, Clone, Args)]
pub struct PushArgs {
    /// A directory or file of manifests, a Helm chart directory, or a chart `.tgz`.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,
    /// Where to: `oci://HOST/REPO[:TAG]` or `oci-layout:PATH[:TAG]`. A chart without a tag is
    /// tagged with its version, as `helm push` does.
    #[arg(value_name = "REF")]
    pub reference: String,
    /// The Order named in a Preparation's config [default: the file or directory name].
    #[arg(long, value_name = "NAME")]
    pub order: Option<String>,
    /// Registry access and output.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `kokumi pull REF DIR`.
#[derive(Debug, Clone, Args)]
pub struct PullArgs {
    /// What: `oci://HOST/REPO[:TAG|@sha256:…]` or `oci-layout:PATH[:TAG|@sha256:…]` (no tag:
    /// `latest`).
    #[arg(value_name = "REF")]
    pub reference: String,
    /// Where to: an empty or missing directory (for a chart: any directory).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Registry access and output.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `kokumi copy SRC DST`.
#[derive(Debug, Clone, Args)]
pub struct CopyArgs {
    /// Source: `oci://HOST/REPO[:TAG|@sha256:…]` or `oci-layout:PATH[:TAG|@sha256:…]`.
    #[arg(value_name = "SRC")]
    pub source: String,
    /// Destination: `oci://HOST/REPO[:TAG]` or `oci-layout:PATH[:TAG]` (no tag: the source's).
    #[arg(value_name = "DST")]
    pub destination: String,
    /// Copy an index with all its children (the default; the index digest is preserved).
    #[arg(long, conflicts_with = "platform")]
    pub all: bool,
    /// Copy only this platform (`os/arch[/variant]`) of an index; the new one-entry index
    /// records the original's digest.
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Blobs transferred at once.
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub jobs: usize,
    /// Also copy the referrers (signatures, SBOMs, attestations) of every copied manifest,
    /// recursively, like `oras copy -r`.
    #[arg(short = 'r', long)]
    pub recursive: bool,
    /// Registry access and output.
    #[command(flatten)]
    pub registry: RegistryArgs,
}

impl From<kokumi_oci::Error> for Failure {
    fn from(error: kokumi_oci::Error) -> Self {
        use kokumi_oci::Error as E;
        let code = match &error {
            E::InvalidReference { .. } | E::InvalidDigest { .. } => exit::USAGE,
            E::NotFound { .. } => exit::NOT_FOUND,
            E::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
                exit::NOT_FOUND
            }
            E::Registry { .. }
            | E::Unauthorized { .. }
            | E::Credentials { .. }
            | E::CredentialHelper { .. } => exit::REGISTRY,
            E::DigestMismatch { .. }
            | E::SizeMismatch { .. }
            | E::TooLarge { .. }
            | E::UnsafeEntry { .. } => exit::INTEGRITY,
            _ => exit::FAILURE,
        };
        Self {
            code,
            message: chain(&error),
        }
    }
}

/// `error` and its sources, joined with `: ` (each cause once).
pub fn chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

type Outcome = Result<(), Failure>;

/// Runs one of the commands; results go to `out`, progress (when `progress`) and notes to
/// `err`.
pub fn run(command: &Command, progress: bool, out: &mut dyn Write, err: &mut dyn Write) -> Outcome {
    run_with(command, Draw::stderr_if(progress), out, err)
}

/// [`run`] drawing progress on `progress` — except with `-o json`, whose output is for scripts
/// and comes without progress.
pub fn run_with(
    command: &Command,
    progress: Draw,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Outcome {
    let registry = match command {
        Command::Push(args) => &args.registry,
        Command::Pull(args) => &args.registry,
        Command::Copy(args) => &args.registry,
    };
    let progress = progress.unless(registry.output == Output::Json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: exit::FAILURE,
            message: format!("starting the async runtime: {e}"),
        })?;
    let bars = Bars::new(&progress);
    let result = runtime.block_on(async {
        match command {
            Command::Push(args) => push(args, &bars, out).await,
            Command::Pull(args) => pull(args, &bars, out).await,
            Command::Copy(args) => copy(args, &bars, out).await,
        }
    });
    bars.clear();
    let _ = err.flush();
    result
}

/// Parses `args` (without the program name) as `push`/`pull`/`copy`, runs it, and returns the
/// exit code, stdout and stderr (`Error: …` on failure). For tests and scripts.
pub fn run_line(args: &[&str], progress: bool) -> (u8, String, String) {
    run_line_with(args, Draw::stderr_if(progress))
}

/// [`run_line`] drawing progress on `progress` (e.g. a [`crate::progress::Capture`]).
pub fn run_line_with(args: &[&str], progress: Draw) -> (u8, String, String) {
    crate::failure::run_parsed(args, |command: &Command, out, err| {
        run_with(command, progress, out, err)
    })
}

/// The binary's entry point for these commands: real streams, progress bars when stderr is a
/// terminal.
pub fn main(command: &Command) -> std::process::ExitCode {
    use std::io::IsTerminal as _;
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let progress = stderr.is_terminal();
    let mut out = stdout.lock();
    let result = {
        let mut err = stderr.lock();
        run(command, progress, &mut out, &mut err)
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(failure) => {
            let _ = out.flush();
            let _ = writeln!(stderr.lock(), "Error: {}", failure.message);
            std::process::ExitCode::from(failure.code)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Stores

fn parse_reference(input: &str) -> Result<Reference, Failure> {
    Reference::parse(input).map_err(Failure::from)
}

fn registries(args: &RegistryArgs, references: &[&Reference]) -> Result<Registries, Failure> {
    let docker = match &args.registry_config {
        Some(path) => match DockerConfig::load(path)? {
            Some(config) => Some(config),
            None => {
                return Err(Failure {
                    code: exit::NOT_FOUND,
                    message: format!("registry config {} does not exist", path.display()),
                });
            }
        },
        None => DockerConfig::load_default()?,
    };
    let mut registries = Registries::new(RegistryConfig::default());
    if let Some(docker) = docker {
        registries = registries.with_docker_config(docker, Arc::new(ProcessHelpers::default()));
    }
    for reference in references {
        if let StoreLocation::Registry { host, .. } = &reference.location {
            if args.plain_http {
                registries = registries.plain_http(host);
            }
            if args.insecure {
                registries = registries.insecure(host);
            }
        }
    }
    Ok(registries)
}

/// An opened store.
enum Opened {
    Registry(RegistryStore),
    Layout(LayoutStore),
}

impl Opened {
    fn store(&self) -> &dyn Store {
        match self {
            Self::Registry(s) => s,
            Self::Layout(s) => s,
        }
    }
}

/// Opens the store of `reference`; a layout is created when `create`, else must exist.
async fn open(
    registries: &Registries,
    reference: &Reference,
    create: bool,
) -> Result<Opened, Failure> {
    match &reference.location {
        StoreLocation::Registry { .. } => {
            Ok(Opened::Registry(registries.store_for(&reference.location)?))
        }
        StoreLocation::Layout { path } => {
            let store = if create {
                LayoutStore::create(path).await?
            } else {
                if !path.exists() {
                    return Err(Failure {
                        code: exit::NOT_FOUND,
                        message: format!("OCI layout {} does not exist", path.display()),
                    });
                }
                LayoutStore::open(path).await?
            };
            Ok(Opened::Layout(store))
        }
        _ => Err(Failure::usage(format!(
            "unsupported store location {}",
            reference.location
        ))),
    }
}

/// `HOST/REPO:TAG` (helm's form) for a registry, `oci-layout:PATH:TAG` for a layout.
fn display_target(location: &StoreLocation, target: &str) -> String {
    let sep = if target.starts_with("sha256:") {
        '@'
    } else {
        ':'
    };
    match location {
        StoreLocation::Registry { host, repository } => format!("{host}/{repository}{sep}{target}"),
        other => format!("{other}{sep}{target}"),
    }
}

fn write_out(out: &mut dyn Write, text: &str) -> Outcome {
    out.write_all(text.as_bytes()).map_err(|e| Failure {
        code: exit::FAILURE,
        message: format!("writing output: {e}"),
    })
}

fn write_json(out: &mut dyn Write, value: &serde_json::Value) -> Outcome {
    let mut text = serde_json::to_string_pretty(value).map_err(|e| Failure {
        code: exit::FAILURE,
        message: format!("writing JSON: {e}"),
    })?;
    text.push('\n');
    write_out(out, &text)
}

// ---------------------------------------------------------------------------------------------
// push

/// What `PATH` holds.
enum PushInput {
    /// A chart archive (`.tgz`), read or packaged from a chart directory.
    Chart(Vec<u8>),
    /// Manifest files: relative path → content.
    Files(Vec<(String, Vec<u8>)>),
}

fn read_push_input(path: &Path) -> Result<PushInput, Failure> {
    let meta = std::fs::metadata(path).map_err(|e| Failure::io("reading", path, &e))?;
    if meta.is_dir() {
        if path.join("Chart.yaml").is_file() {
            return package_chart(path).map(PushInput::Chart);
        }
        let mut files = Vec::new();
        collect_files(path, "", &mut files)?;
        if files.is_empty() {
            return Err(Failure::usage(format!(
                "{} holds no files to push",
                path.display()
            )));
        }
        return Ok(PushInput::Files(files));
    }
    let bytes = std::fs::read(path).map_err(|e| Failure::io("reading", path, &e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if name.ends_with(".tgz") || name.ends_with(".tar.gz") {
        return Ok(PushInput::Chart(bytes));
    }
    Ok(PushInput::Files(vec![(name, bytes)]))
}

/// Regular files under `dir` (recursively), paths relative with `/`. Links and special files
/// are refused: an artifact holds regular files only.
fn collect_files(
    dir: &Path,
    prefix: &str,
    files: &mut Vec<(String, Vec<u8>)>,
) -> Result<(), Failure> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Failure::io("reading", dir, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| Failure::io("reading", dir, &e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            return Err(Failure::usage(format!(
                "{}: file names must be UTF-8",
                path.display()
            )));
        };
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let kind = entry
            .file_type()
            .map_err(|e| Failure::io("reading", &path, &e))?;
        if kind.is_dir() {
            collect_files(&path, &rel, files)?;
        } else if kind.is_file() {
            let bytes = std::fs::read(&path).map_err(|e| Failure::io("reading", &path, &e))?;
            files.push((rel, bytes));
        } else {
            return Err(Failure::usage(format!(
                "{}: only regular files and directories can be pushed (links and special files are refused)",
                path.display()
            )));
        }
    }
    Ok(())
}

/// Packages a chart directory as `helm package` lays it out (files under `<name>/`, honouring
/// `.helmignore`), reproducibly (sorted entries, fixed metadata).
fn package_chart(dir: &Path) -> Result<Vec<u8>, Failure> {
    use kokumi_render::chart::ignore::Rules;
    let chart_yaml = dir.join("Chart.yaml");
    let text = std::fs::read_to_string(&chart_yaml)
        .map_err(|e| Failure::io("reading", &chart_yaml, &e))?;
    let doc: serde_norway::Value = serde_norway::from_str(&text)
        .map_err(|e| Failure::usage(format!("{}: invalid YAML: {e}", chart_yaml.display())))?;
    let name = doc
        .get("name")
        .and_then(serde_norway::Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| {
            Failure::usage(format!(
                "{}: `name` is missing or not a string",
                chart_yaml.display()
            ))
        })?
        .to_owned();
    let ignore_path = dir.join(".helmignore");
    let mut rules = match std::fs::read_to_string(&ignore_path) {
        Ok(text) => Rules::parse(&text)
            .map_err(|e| Failure::usage(format!("{}: {e}", ignore_path.display())))?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Rules::default(),
        Err(e) => return Err(Failure::io("reading", &ignore_path, &e)),
    };
    rules.add_defaults();
    let mut all = Vec::new();
    collect_files(dir, "", &mut all)?;
    let files: Vec<(String, Vec<u8>)> = all
        .into_iter()
        .filter(|(rel, _)| !ignored(&rules, rel))
        .map(|(rel, bytes)| (format!("{name}/{rel}"), bytes))
        .collect();
    Ok(artifact::pack_layer(&files)?)
}

/// Whether `.helmignore` drops `rel` or one of its parent directories.
fn ignored(rules: &kokumi_render::chart::ignore::Rules, rel: &str) -> bool {
    let mut prefix = String::new();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if !prefix.is_empty() {
            prefix.push('/');
        }
        prefix.push_str(part);
        if rules.ignore(&prefix, i + 1 < parts.len()) {
            return true;
        }
    }
    false
}

async fn push(args: &PushArgs, bars: &Bars, out: &mut dyn Write) -> Outcome {
    let reference = parse_reference(&args.reference)?;
    let tag = match &reference.target {
        None => None,
        Some(Target::Tag(tag)) => Some(tag.clone()),
        Some(_) => {
            return Err(Failure::usage(format!(
                "cannot push to `{}`: name a tag (`:TAG`) or none, not a digest",
                args.reference
            )));
        }
    };
    let input = {
        let path = args.path.clone();
        tokio::task::spawn_blocking(move || read_push_input(&path))
            .await
            .map_err(|e| Failure {
                code: exit::FAILURE,
                message: format!("reading the input: {e}"),
            })??
    };
    let registries = registries(&args.registry, &[&reference])?;
    let opened = open(&registries, &reference, true).await?;
    let store = opened.store();
    let progress = bars.progress_fn();
    let (kind, digest, media_type, size, tag) = match input {
        PushInput::Chart(archive) => {
            let chart = source::helm_chart_artifact(archive, &HelmPushOptions::default())?;
            let tag = tag.unwrap_or_else(|| chart.default_tag());
            let blobs: Vec<&Blob> = std::iter::once(&chart.config)
                .chain(&chart.layers)
                .collect();
            let digest = push_parts(store, &blobs, &chart.manifest, Some(&tag), &progress).await?;
            let size = chart.manifest.bytes.len();
            (
                "helm-chart",
                digest,
                chart.manifest.media_type,
                size,
                Some(tag),
            )
        }
        PushInput::Files(files) => {
            let order = match &args.order {
                Some(order) => order.clone(),
                None => order_name(&args.path),
            };
            let packed = artifact::pack(&files, &PreparationMeta::new(order))?;
            let blobs = [&packed.config, &packed.layer];
            let digest =
                push_parts(store, &blobs, &packed.manifest, tag.as_deref(), &progress).await?;
            let size = packed.manifest.bytes.len();
            ("preparation", digest, packed.manifest.media_type, size, tag)
        }
    };
    bars.clear();
    let shown = display_target(
        &reference.location,
        tag.as_deref().unwrap_or(&digest.to_string()),
    );
    match args.registry.output {
        Output::Json => write_json(
            out,
            &json!({
                "kind": kind,
                "reference": pinned(&reference.location, tag.as_deref(), &digest),
                "digest": digest,
                "mediaType": media_type,
                "size": size,
            }),
        ),
        _ => write_out(out, &format!("Pushed: {shown}\nDigest: {digest}\n")),
    }
}

/// Pushes `blobs` (skipping those the store has) with progress reports, then `manifest`.
async fn push_parts(
    store: &dyn Store,
    blobs: &[&Blob],
    manifest: &Manifest,
    tag: Option<&str>,
    progress: &ProgressFn,
) -> Result<Digest, Failure> {
    for blob in blobs {
        let total = blob.bytes.len() as u64;
        let report = |kind, done| {
            progress(&Progress {
                digest: blob.digest,
                kind,
                done,
                total,
            });
        };
        if store.has_blob(&blob.digest).await? {
            report(ProgressKind::Skipped, total);
            continue;
        }
        report(ProgressKind::Started, 0);
        let reader = Reporting {
            inner: std::io::Cursor::new(blob.bytes.clone()),
            digest: blob.digest,
            done: 0,
            total,
            progress: Arc::clone(progress),
            finish_at_eof: false,
        };
        store
            .put_blob(&blob.digest, total, Box::pin(reader))
            .await?;
        report(ProgressKind::Finished, total);
    }
    Ok(store.put_manifest(manifest, tag).await?)
}

/// A blob reader that reports how much has been read (and, when `finish_at_eof`, that the
/// blob is finished once the end is reached).
struct Reporting<R> {
    inner: R,
    digest: Digest,
    done: u64,
    total: u64,
    progress: ProgressFn,
    finish_at_eof: bool,
}

impl<R: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Reporting<R> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let this = &mut *self;
        let before = buf.filled().len();
        let polled = std::pin::Pin::new(&mut this.inner).poll_read(cx, buf);
        let read = buf.filled().len() - before;
        let kind = match &polled {
            std::task::Poll::Ready(Ok(())) if read > 0 => Some(ProgressKind::Transferring),
            std::task::Poll::Ready(Ok(())) if this.finish_at_eof && buf.remaining() > 0 => {
                this.finish_at_eof = false;
                Some(ProgressKind::Finished)
            }
            _ => None,
        };
        this.done += read as u64;
        if let Some(kind) = kind {
            (this.progress)(&Progress {
                digest: this.digest,
                kind,
                done: this.done,
                total: this.total.max(this.done),
            });
        }
        polled
    }
}

/// A store whose blob reads report progress: what `pull` reads through.
struct Watched<'a> {
    inner: &'a dyn Store,
    /// Blob sizes from the manifest (for the bars' totals).
    sizes: std::collections::BTreeMap<Digest, u64>,
    progress: ProgressFn,
}

impl std::fmt::Debug for Watched<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Watched").field(&self.inner).finish()
    }
}

#[async_trait::async_trait]
impl Store for Watched<'_> {
    async fn resolve(&self, reference: &str) -> kokumi_oci::Result<oci_spec::image::Descriptor> {
        self.inner.resolve(reference).await
    }

    async fn get_manifest(&self, digest: &Digest) -> kokumi_oci::Result<Manifest> {
        self.inner.get_manifest(digest).await
    }

    async fn put_manifest(
        &self,
        manifest: &Manifest,
        tag: Option<&str>,
    ) -> kokumi_oci::Result<Digest> {
        self.inner.put_manifest(manifest, tag).await
    }

    async fn has_blob(&self, digest: &Digest) -> kokumi_oci::Result<bool> {
        self.inner.has_blob(digest).await
    }

    async fn get_blob(&self, digest: &Digest) -> kokumi_oci::Result<kokumi_oci::BlobReader> {
        let reader = self.inner.get_blob(digest).await?;
        let total = self.sizes.get(digest).copied().unwrap_or(0);
        (self.progress)(&Progress {
            digest: *digest,
            kind: ProgressKind::Started,
            done: 0,
            total,
        });
        Ok(Box::pin(Reporting {
            inner: reader,
            digest: *digest,
            done: 0,
            total,
            progress: Arc::clone(&self.progress),
            finish_at_eof: true,
        }))
    }

    async fn put_blob(
        &self,
        digest: &Digest,
        size: u64,
        data: kokumi_oci::BlobReader,
    ) -> kokumi_oci::Result<()> {
        self.inner.put_blob(digest, size, data).await
    }

    async fn ensure_blob_bytes(&self, bytes: Vec<u8>) -> kokumi_oci::Result<bool> {
        self.inner.ensure_blob_bytes(bytes).await
    }

    async fn mount_blob(&self, digest: &Digest, from: &StoreLocation) -> kokumi_oci::Result<bool> {
        self.inner.mount_blob(digest, from).await
    }

    async fn list_tags(&self) -> kokumi_oci::Result<Vec<String>> {
        self.inner.list_tags().await
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> kokumi_oci::Result<Vec<oci_spec::image::Descriptor>> {
        self.inner.referrers(subject, artifact_type).await
    }

    async fn delete_manifest(&self, digest: &Digest) -> kokumi_oci::Result<()> {
        self.inner.delete_manifest(digest).await
    }

    fn location(&self) -> StoreLocation {
        self.inner.location()
    }
}

/// The sizes of the blobs an image manifest references (empty for an index).
fn blob_sizes(manifest: &Manifest) -> std::collections::BTreeMap<Digest, u64> {
    let mut sizes = std::collections::BTreeMap::new();
    if let Ok(image) = manifest.image() {
        for descriptor in std::iter::once(image.config()).chain(image.layers()) {
            if let Ok(digest) = Digest::of(descriptor) {
                sizes.insert(digest, descriptor.size());
            }
        }
    }
    sizes
}

/// `oci://HOST/REPO:TAG@sha256:…` (or without the tag): the exact thing, for scripts.
fn pinned(location: &StoreLocation, tag: Option<&str>, digest: &Digest) -> String {
    match tag {
        Some(tag) => format!("{location}:{tag}@{digest}"),
        None => format!("{location}@{digest}"),
    }
}

/// The default Order name: the file or directory name (without extension), or `push`.
fn order_name(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let name = if canonical.is_dir() {
        canonical.file_name()
    } else {
        canonical.file_stem()
    };
    name.map(|n| n.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| "push".to_owned())
}

// ---------------------------------------------------------------------------------------------
// pull

async fn pull(args: &PullArgs, bars: &Bars, out: &mut dyn Write) -> Outcome {
    let reference = parse_reference(&args.reference)?;
    let target = reference
        .target
        .as_ref()
        .map_or_else(|| "latest".to_owned(), ToString::to_string);
    let registries = registries(&args.registry, &[&reference])?;
    let opened = open(&registries, &reference, false).await?;
    let spinner = bars.spinner(&format!("pulling {}", reference.location));
    let (_, manifest) = opened.store().fetch_manifest(&target).await?;
    drop(spinner);
    // Blobs are read through a store that draws a byte bar per blob.
    let watched = Watched {
        inner: opened.store(),
        sizes: blob_sizes(&manifest),
        progress: bars.progress_fn(),
    };
    let store: &dyn Store = &watched;
    let digest = manifest.digest();
    let limits = Limits::default();
    let is_preparation = !manifest.is_index() && {
        let image = manifest.image()?;
        image
            .artifact_type()
            .as_ref()
            .map(ToString::to_string)
            .as_deref()
            == Some(mt::PREPARATION_ARTIFACT)
            || image.config().media_type().to_string() == mt::PREPARATION_CONFIG
    };
    let dir = args.dir.clone();
    let (kind, written) = if is_preparation {
        let prep = artifact::pull(store, &digest.to_string(), &limits).await?;
        let written = blocking(move || prep.write_to_dir(&dir).map_err(Failure::from)).await?;
        ("preparation", written)
    } else {
        let fetched = source::fetch(store, &digest.to_string(), &limits).await?;
        match fetched.source {
            Source::HelmChart(chart) => {
                let written = blocking(move || {
                    std::fs::create_dir_all(&dir).map_err(|e| Failure::io("creating", &dir, &e))?;
                    let file = dir.join(format!("{}-{}.tgz", chart.name, chart.version));
                    std::fs::write(&file, &chart.archive)
                        .map_err(|e| Failure::io("writing", &file, &e))?;
                    Ok(vec![file])
                })
                .await?;
                ("helm-chart", written)
            }
            Source::Bundle(files) => {
                let written = blocking(move || {
                    prepare_empty_dir(&dir)?;
                    let mut written = Vec::with_capacity(files.len());
                    for file in &files {
                        let path = dir.join(&file.path);
                        if let Some(parent) = path.parent() {
                            std::fs::create_dir_all(parent)
                                .map_err(|e| Failure::io("creating", parent, &e))?;
                        }
                        let mut f = std::fs::File::create_new(&path)
                            .map_err(|e| Failure::io("creating", &path, &e))?;
                        f.write_all(&file.bytes)
                            .map_err(|e| Failure::io("writing", &path, &e))?;
                        written.push(path);
                    }
                    Ok(written)
                })
                .await?;
                ("bundle", written)
            }
            _ => {
                return Err(Failure {
                    code: exit::FAILURE,
                    message: format!("{} holds an unsupported kind of source", args.reference),
                });
            }
        }
    };
    bars.clear();
    let shown = display_target(&reference.location, &target);
    let rel: Vec<String> = written
        .iter()
        .map(|p| {
            p.strip_prefix(&args.dir)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/")
        })
        .collect();
    match args.registry.output {
        Output::Json => write_json(
            out,
            &json!({
                "kind": kind,
                "reference": pinned(
                    &reference.location,
                    match &reference.target {
                        Some(Target::Digest(_)) => None,
                        _ => Some(target.as_str()),
                    },
                    &digest,
                ),
                "digest": digest,
                "mediaType": manifest.media_type,
                "size": manifest.bytes.len(),
                "directory": args.dir.display().to_string(),
                "files": rel,
            }),
        ),
        _ => write_out(out, &format!("Pulled: {shown}\nDigest: {digest}\n")),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(f).await.map_err(|e| Failure {
        code: exit::FAILURE,
        message: format!("writing files: {e}"),
    })?
}

// ---------------------------------------------------------------------------------------------
// copy

async fn copy(args: &CopyArgs, bars: &Bars, out: &mut dyn Write) -> Outcome {
    let src = parse_reference(&args.source)?;
    let dst = parse_reference(&args.destination)?;
    let platform = match &args.platform {
        None => None,
        Some(text) => Some(text.parse::<Platform>().map_err(|_| {
            Failure::usage(format!(
                "--platform {text:?}: expected `os/architecture[/variant]`, e.g. `linux/amd64`"
            ))
        })?),
    };
    let source_target = match &src.target {
        Some(t) => t.to_string(),
        None => "latest".to_owned(),
    };
    let tag = match &dst.target {
        Some(Target::Tag(t)) => Some(t.clone()),
        Some(_) => {
            return Err(Failure::usage(format!(
                "cannot copy to `{}`: name a tag (`:TAG`) or none, not a digest",
                args.destination
            )));
        }
        None => None,
    };
    let registries = registries(&args.registry, &[&src, &dst])?;
    let from = open(&registries, &src, false).await?;
    let to = open(&registries, &dst, true).await?;
    let options = CopyOptions {
        platform,
        tag,
        concurrency: args.jobs.max(1),
        referrers: args.recursive,
        ..CopyOptions::default()
    };
    let progress = bars.progress_fn();
    let report: CopyReport =
        kokumi_oci::copy::copy(from.store(), to.store(), &source_target, &options, progress)
            .await?;
    bars.clear();
    let digest = report
        .digest
        .as_ref()
        .map_or_else(String::new, ToString::to_string);
    match args.registry.output {
        Output::Json => write_json(
            out,
            &json!({
                "source": src.to_string(),
                "destination": match &report.tag {
                    Some(tag) => format!("{}:{tag}", dst.location),
                    None => dst.location.to_string(),
                },
                "digest": report.digest,
                "report": report,
            }),
        ),
        _ => {
            let shown = display_target(
                &dst.location,
                report.tag.as_deref().unwrap_or(digest.as_str()),
            );
            let mut text = format!(
                "Copied: {} -> {shown}\nDigest: {digest}\nBlobs: {} copied ({} bytes), {} skipped, {} mounted; manifests: {} copied, {} skipped\n",
                display_target(&src.location, &source_target),
                report.blobs_copied,
                report.bytes_copied,
                report.blobs_skipped,
                report.blobs_mounted,
                report.manifests_copied,
                report.manifests_skipped,
            );
            if args.recursive {
                text.push_str(&format!("Referrers: {} copied\n", report.referrers));
            }
            write_out(out, &text)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// progress

/// Progress bars on stderr, or nothing (not a terminal, or in tests).
struct Bars {
    multi: Option<indicatif::MultiProgress>,
    blobs: Arc<Mutex<std::collections::BTreeMap<Digest, indicatif::ProgressBar>>>,
}

impl Bars {
    fn new(progress: &Draw) -> Self {
        Self {
            multi: progress
                .target()
                .map(indicatif::MultiProgress::with_draw_target),
            blobs: Arc::default(),
        }
    }

    /// A spinner with `message` until dropped (nothing when disabled).
    fn spinner(&self, message: &str) -> Option<Spinner> {
        let multi = self.multi.as_ref()?;
        let bar = multi.add(indicatif::ProgressBar::new_spinner());
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(std::time::Duration::from_millis(100));
        Some(Spinner(bar))
    }

    /// A [`ProgressFn`] drawing one bar per blob in flight.
    fn progress_fn(&self) -> ProgressFn {
        let Some(multi) = self.multi.clone() else {
            return kokumi_oci::copy::no_progress();
        };
        let blobs = Arc::clone(&self.blobs);
        let style = indicatif::ProgressStyle::with_template(
            "{msg:14} [{bar:30}] {bytes:>10}/{total_bytes:10} {bytes_per_sec:>12}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
        .progress_chars("=> ");
        Arc::new(move |p: &Progress| {
            let Ok(mut blobs) = blobs.lock() else { return };
            let short: String = p.digest.hex().chars().take(12).collect();
            match p.kind {
                ProgressKind::Started | ProgressKind::Retrying => {
                    let bar = blobs.entry(p.digest).or_insert_with(|| {
                        let bar = multi.add(indicatif::ProgressBar::new(p.total));
                        bar.set_style(style.clone());
                        bar.set_message(short.clone());
                        bar
                    });
                    bar.set_position(p.done);
                }
                ProgressKind::Transferring => {
                    if let Some(bar) = blobs.get(&p.digest) {
                        bar.set_position(p.done);
                    }
                }
                ProgressKind::Finished => {
                    if let Some(bar) = blobs.remove(&p.digest) {
                        bar.finish_and_clear();
                    }
                    let _ = multi.println(format!("{short}: done ({} bytes)", p.total));
                }
                ProgressKind::Skipped => {
                    let _ = multi.println(format!("{short}: already present"));
                }
                ProgressKind::Mounted => {
                    let _ = multi.println(format!("{short}: mounted"));
                }
                _ => {}
            }
        })
    }

    fn clear(&self) {
        if let Ok(mut blobs) = self.blobs.lock() {
            for (_, bar) in std::mem::take(&mut *blobs) {
                bar.finish_and_clear();
            }
        }
        if let Some(multi) = &self.multi {
            let _ = multi.clear();
        }
    }
}

/// A spinner, cleared when dropped.
struct Spinner(indicatif::ProgressBar);

impl Drop for Spinner {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
