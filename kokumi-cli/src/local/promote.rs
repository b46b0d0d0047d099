//! `kokumi promote|approve PREPARATION` and `kokumi rollback ORDER [--to PREPARATION]`.

use std::io::Write;

use clap::Args;
use kokumi_core::api::{Preparation, Serving};
use kokumi_pipeline::lifecycle::{self, Promoted, ServingChange};
use kokumi_pipeline::state::LockMode;

use super::apply::qualified;
use super::{CmdResult, Context, StateArgs};

/// `kokumi promote` / `kokumi approve`.
#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The Preparation.
    pub preparation: String,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// `kokumi rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The Order.
    pub order: String,
    /// The Preparation to go back to [default: the one before the served one].
    #[arg(long)]
    pub to: Option<String>,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

fn report(promoted: &Promoted, word: &str, out: &mut dyn Write) -> CmdResult {
    writeln!(
        out,
        "{} {word}",
        qualified::<Preparation>(&promoted.preparation)
    )?;
    let serving = qualified::<Serving>(&promoted.order);
    match &promoted.serving {
        ServingChange::Created { to } => writeln!(out, "{serving} created (serving {to})")?,
        ServingChange::Moved { from, to } => writeln!(out, "{serving} configured ({from} → {to})")?,
        ServingChange::Unchanged { reason } => writeln!(out, "{serving} unchanged ({reason})")?,
        _ => {}
    }
    Ok(())
}

/// Runs `kokumi promote` (and `approve`, which records the same approval).
pub(crate) fn promote(
    args: &PromoteArgs,
    ctx: &Context,
    out: &mut dyn Write,
    word: &str,
) -> CmdResult {
    let (state, _lock) = ctx.open(LockMode::Exclusive)?;
    let runtime = ctx.runtime()?;
    let promoted = runtime.block_on(lifecycle::promote(&state, &args.preparation, &*ctx.clock))?;
    report(&promoted, word, out)
}

/// Runs `kokumi rollback`.
pub(crate) fn rollback(args: &RollbackArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    let (state, _lock) = ctx.open(LockMode::Exclusive)?;
    let runtime = ctx.runtime()?;
    let promoted = runtime.block_on(lifecycle::rollback(
        &state,
        &args.order,
        args.to.as_deref(),
        &*ctx.clock,
    ))?;
    report(&promoted, "rolled back to", out)
}
