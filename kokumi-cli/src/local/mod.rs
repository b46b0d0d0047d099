//! The local lifecycle commands: the whole Order → Preparation → Serving loop on local disk.
//!
//! State lives in a [`LocalState`] directory (`.kokumi/` in the working directory, or `--home`
//! / `KOKUMI_HOME`). Every command takes the state lock — shared to read, exclusive to change —
//! so two commands running at once never corrupt it.
//!
//! Exit codes ([`exit`]): 0 success, 1 failure, 2 usage, 3 policy violation (Menu override
//! policy or Recipe image policy), 4 not found (object, Menu, Recipe, Pantry), 5 source
//! unavailable, 6 damaged state file, 7 render or patch failed.

pub mod application;
mod apply;
mod describe;
mod destination;
pub mod diff;
mod env;
mod files;
mod get;
mod menu;
mod promote;
mod render;
mod show;
mod stages;
pub mod table;

use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use clap::{Args, Subcommand};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kokumi_pipeline::Error as PipelineError;
use kokumi_pipeline::pipeline::{Clock, SystemClock, error_chain};
use kokumi_pipeline::state::{LocalState, LockMode, StateLock};

use crate::progress::Progress;

pub use crate::failure::{CmdResult, Failure, exit};

/// Where the state lives (shared by every local command).
#[derive(Debug, Clone, Args, Default)]
pub struct StateArgs {
    /// The state directory [default: ./.kokumi]
    #[arg(long, global = true, env = "KOKUMI_HOME", value_name = "DIR")]
    pub home: Option<PathBuf>,
}

/// The local lifecycle subcommands (flattened into `kokumi`'s own).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create or update Orders, Menus, Recipes and Pantries from YAML; render changed Orders.
    Apply(apply::ApplyArgs),
    /// List objects: orders, preparations, servings, menus, recipes, pantries.
    Get(get::GetArgs),
    /// Show an Order in detail: conditions, Preparation history, what is served.
    Describe(describe::DescribeArgs),
    /// Print the rendered manifests of a Preparation.
    Show(show::ShowArgs),
    /// Compare two Preparations resource by resource (B defaults to the served one).
    Diff(diff::DiffArgs),
    /// Deploy a Preparation: approve it and point its Order's Serving at it.
    Promote(promote::PromoteArgs),
    /// Approve a Preparation for deployment (label + approval time); the Serving follows.
    Approve(promote::PromoteArgs),
    /// Point an Order's Serving back at an older Preparation; nothing re-renders.
    Rollback(promote::RollbackArgs),
    /// Dry run: render an Order and print the manifests and the digest they would get.
    Render(render::RenderArgs),
    /// Menu tools.
    Menu(menu::MenuArgs),
    /// Print the Argo CD Application the operator would apply for an Order's Serving.
    Application(application::ApplicationArgs),
    /// Print the CustomResourceDefinitions of every Kokumi kind.
    Crds,
    /// Print a shell completion script.
    Completions(CompletionsArgs),
}

/// `kokumi completions SHELL`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

impl From<PipelineError> for Failure {
    fn from(error: PipelineError) -> Self {
        Self::new(exit_code(&error), error_chain(&error))
    }
}

/// The exit code for a pipeline error.
pub fn exit_code(error: &PipelineError) -> u8 {
    match error {
        PipelineError::PolicyViolation { .. } | PipelineError::ImagePolicy { .. } => exit::POLICY,
        PipelineError::NotFound { .. }
        | PipelineError::UnknownMenu { .. }
        | PipelineError::UnknownRecipe { .. }
        | PipelineError::UnknownPantry { .. } => exit::NOT_FOUND,
        PipelineError::SourceUnavailable { .. } => exit::SOURCE,
        PipelineError::Corrupt { .. } => exit::CORRUPT,
        PipelineError::Render { .. }
        | PipelineError::Documents { .. }
        | PipelineError::Patch { .. } => exit::RENDER,
        _ => exit::FAILURE,
    }
}

/// A clock that starts at a fixed time and advances one second per reading, so that tests
/// (and `KOKUMI_NOW`) get deterministic, strictly ordered timestamps.
#[derive(Debug)]
pub struct TickingClock {
    next: AtomicI64,
}

impl TickingClock {
    /// Starts at `start` (seconds since the Unix epoch).
    pub fn new(start: i64) -> Self {
        Self {
            next: AtomicI64::new(start),
        }
    }
}

impl Clock for TickingClock {
    fn now(&self) -> Time {
        let s = self.next.fetch_add(1, Ordering::Relaxed);
        Time(Timestamp::from_second(s).unwrap_or(Timestamp::UNIX_EPOCH))
    }
}

/// What every command runs with.
#[derive(Clone)]
pub struct Context {
    /// The state directory.
    pub home: PathBuf,
    /// The working directory (relative `-f` paths).
    pub cwd: PathBuf,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Colour diffs.
    pub color: bool,
    /// Where per-stage progress lines go (off unless stderr is a terminal).
    pub progress: Progress,
    /// The width of the completion command (the binary's clap definition), for `completions`.
    pub cli: Option<fn() -> clap::Command>,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("home", &self.home)
            .field("cwd", &self.cwd)
            .field("color", &self.color)
            .finish_non_exhaustive()
    }
}

/// Environment variable fixing the clock (RFC 3339), for reproducible output.
pub const NOW_ENV: &str = "KOKUMI_NOW";

impl Context {
    /// A context for the state at `home`, with the system clock, no colour, no progress.
    pub fn new(home: PathBuf, cwd: PathBuf) -> Self {
        Self {
            home,
            cwd,
            clock: Arc::new(SystemClock),
            color: false,
            progress: Progress::Off,
            cli: None,
        }
    }

    /// Opens the state directory, creating it if needed, and takes the lock.
    pub fn open(&self, mode: LockMode) -> Result<(LocalState, StateLock), Failure> {
        let state = LocalState::open(&self.home)?;
        let lock = state.lock(mode)?;
        Ok((state, lock))
    }

    /// Resolves a path given on the command line.
    pub fn path(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.cwd.join(p)
        }
    }

    /// A tokio runtime for one command.
    pub(crate) fn runtime(&self) -> Result<tokio::runtime::Runtime, Failure> {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| {
                Failure::new(
                    exit::FAILURE,
                    format!("cannot start the async runtime: {e}"),
                )
            })
    }

    /// Seconds between `time` and now, for AGE columns (reads the clock without advancing a
    /// ticking clock more than once per table is not required; ages are approximate).
    pub(crate) fn age(&self, now: &Time, time: Option<&Time>) -> String {
        match time {
            Some(t) => table::human_duration(now.0.as_second() - t.0.as_second()),
            None => "<unknown>".into(),
        }
    }
}

/// Runs one local command, writing its output to `out` and diagnostics to `err`.
pub fn run(
    command: &Command,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    match command {
        Command::Apply(args) => apply::run(args, ctx, out, err),
        Command::Get(args) => get::run(args, ctx, out),
        Command::Describe(args) => describe::run(args, ctx, out),
        Command::Show(args) => show::run(args, ctx, out),
        Command::Diff(args) => diff::run(args, ctx, out),
        Command::Promote(args) => promote::promote(args, ctx, out, "promoted"),
        Command::Approve(args) => promote::promote(args, ctx, out, "approved"),
        Command::Rollback(args) => promote::rollback(args, ctx, out),
        Command::Render(args) => render::run(args, ctx, out, err),
        Command::Menu(args) => menu::run(args, ctx, out),
        Command::Application(args) => application::run(args, ctx, out),
        Command::Crds => {
            let yaml = kokumi_core::api::crds_yaml().map_err(|e| {
                Failure::new(exit::FAILURE, format!("cannot generate the CRDs: {e}"))
            })?;
            out.write_all(yaml.as_bytes())?;
            Ok(())
        }
        Command::Completions(args) => {
            let Some(cli) = ctx.cli else {
                return Err(Failure::new(
                    exit::FAILURE,
                    "completions need the binary's command definition",
                ));
            };
            let mut command = cli();
            let name = command.get_name().to_owned();
            clap_complete::generate(args.shell, &mut command, name, out);
            Ok(())
        }
    }
}

/// The home a command uses: the flag, `KOKUMI_HOME`, or `.kokumi` in the working directory.
pub fn home_of(command: &Command, cwd: &Path) -> PathBuf {
    let flag = match command {
        Command::Apply(a) => a.state.home.as_deref(),
        Command::Get(a) => a.state.home.as_deref(),
        Command::Describe(a) => a.state.home.as_deref(),
        Command::Show(a) => a.state.home.as_deref(),
        Command::Diff(a) => a.state.home.as_deref(),
        Command::Promote(a) | Command::Approve(a) => a.state.home.as_deref(),
        Command::Rollback(a) => a.state.home.as_deref(),
        Command::Render(a) => a.state.home.as_deref(),
        Command::Menu(a) => a.state().home.as_deref(),
        Command::Application(a) => a.state.home.as_deref(),
        Command::Crds | Command::Completions(_) => None,
    };
    // clap already folded KOKUMI_HOME into the flag.
    LocalState::locate(flag, None, cwd)
}

/// The binary's entry for the local commands: builds the context from the process
/// environment, runs, prints the failure and maps it to an exit code.
pub fn main(command: &Command, cli: fn() -> clap::Command) -> ExitCode {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut ctx = Context::new(home_of(command, &cwd), cwd);
    ctx.cli = Some(cli);
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    ctx.color = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    ctx.progress = Progress::stderr_if(stderr.is_terminal());
    if let Ok(now) = std::env::var(NOW_ENV) {
        match now.parse::<Timestamp>() {
            Ok(t) => ctx.clock = Arc::new(TickingClock::new(t.as_second())),
            Err(e) => {
                let _ = writeln!(
                    stderr.lock(),
                    "Error: {NOW_ENV}={now:?} is not an RFC 3339 time: {e}"
                );
                return ExitCode::from(exit::USAGE);
            }
        }
    }
    let mut out = stdout.lock();
    let mut err = stderr.lock();
    match run(command, &ctx, &mut out, &mut err) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let _ = out.flush();
            let _ = writeln!(err, "Error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

/// Parses `args` as a local command line (without the program name), runs it with `ctx`, and
/// returns the exit code, stdout and stderr. For tests and the crate docs.
pub fn run_line(ctx: &Context, args: &[&str]) -> (u8, String, String) {
    crate::failure::run_parsed(args, |command: &Command, out, err| {
        run(command, ctx, out, err)
    })
}
