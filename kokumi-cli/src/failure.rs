//! How every `kokumi` command fails: one exit-code table and one [`Failure`].

use std::io::Write;
use std::path::Path;

/// Exit codes of every command.
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// A failure without a more specific code (I/O, ...).
    pub const FAILURE: u8 = 1;
    /// Bad command line or reference (clap's code).
    pub const USAGE: u8 = 2;
    /// A Menu override policy or Recipe image policy violation.
    pub const POLICY: u8 = 3;
    /// An object, Menu, Recipe, Pantry, tag, digest, repository or path does not exist.
    pub const NOT_FOUND: u8 = 4;
    /// A source or registry could not be reached, failed or refused (network, 5xx, unauthorized).
    pub const SOURCE: u8 = 5;
    /// [`SOURCE`], as the registry commands name it.
    pub const REGISTRY: u8 = SOURCE;
    /// Damaged content: a state file, or an artifact that is not what it claims to be
    /// (digest/size mismatch, unsafe archive, too large).
    pub const CORRUPT: u8 = 6;
    /// [`CORRUPT`], as the registry commands name it.
    pub const INTEGRITY: u8 = CORRUPT;
    /// Rendering or patching failed.
    pub const RENDER: u8 = 7;
}

/// A failed command: the exit code and the message (the whole cause chain, without `Error: `).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The exit code ([`exit`]).
    pub code: u8,
    /// The message.
    pub message: String,
}

impl Failure {
    /// A failure with a code.
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// A bad command line or reference.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(exit::USAGE, message)
    }

    /// Reading or writing `path` failed (a missing path is [`exit::NOT_FOUND`]).
    pub(crate) fn io(what: &str, path: &Path, error: &std::io::Error) -> Self {
        let code = if error.kind() == std::io::ErrorKind::NotFound {
            exit::NOT_FOUND
        } else {
            exit::FAILURE
        };
        Self::new(code, format!("{what} {}: {error}", path.display()))
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Self {
        Self::new(exit::FAILURE, error.to_string())
    }
}

/// A command's result.
pub type CmdResult = Result<(), Failure>;

/// Parses `args` (without the program name) as one of `C`'s subcommands, runs it with `run`,
/// and returns the exit code, stdout and stderr, as the binary would print them.
pub(crate) fn run_parsed<C: clap::Subcommand>(
    args: &[&str],
    run: impl FnOnce(&C, &mut dyn Write, &mut dyn Write) -> CmdResult,
) -> (u8, String, String) {
    #[derive(clap::Parser)]
    #[command(name = "kokumi")]
    struct Line<C: clap::Subcommand> {
        #[command(subcommand)]
        command: C,
    }
    use clap::Parser as _;
    let line =
        match Line::<C>::try_parse_from(std::iter::once("kokumi").chain(args.iter().copied())) {
            Ok(line) => line,
            Err(e) => return (exit::USAGE, String::new(), e.to_string()),
        };
    let mut out = Vec::new();
    let mut err = Vec::new();
    let code = match run(&line.command, &mut out, &mut err) {
        Ok(()) => exit::OK,
        Err(failure) => {
            let _ = writeln!(err, "Error: {}", failure.message);
            failure.code
        }
    };
    (
        code,
        String::from_utf8_lossy(&out).into_owned(),
        String::from_utf8_lossy(&err).into_owned(),
    )
}
