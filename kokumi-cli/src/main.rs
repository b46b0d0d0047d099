//! The `kokumi` command.
//!
//! `main` parses the command line and hands each subcommand to its module's `run`; every
//! command is a function that a test can call without a process (it writes to the given
//! streams).

mod template;

// A `kokumi template` process makes tens of thousands of short-lived allocations (template
// trees, values, output pieces); mimalloc serves them in about a third of glibc's instructions.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::io::Write;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Structured, immutable release management for Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "kokumi", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Locally render a Helm chart, exactly like `helm template`.
    Template(template::TemplateArgs),
    /// The local lifecycle: apply, get, describe, show, diff, promote, rollback, ...
    #[command(flatten)]
    Local(kokumi_cli::local::Command),
    /// Registries and OCI layouts: push, pull, copy.
    #[command(flatten)]
    Oci(kokumi_cli::oci::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let result = match &cli.command {
        Command::Template(args) => template::run(args, &mut stdout.lock(), &mut stderr.lock()),
        Command::Local(command) => {
            return kokumi_cli::local::main(command, <Cli as clap::CommandFactory>::command);
        }
        Command::Oci(command) => return kokumi_cli::oci::main(command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let _ = writeln!(stderr.lock(), "Error: {message}");
            ExitCode::FAILURE
        }
    }
}
