//! `kokumi menu check -f ORDER [--menu MENU]`: the full override-policy report.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand};
use kokumi_core::api::Menu;
use kokumi_pipeline::record::RecordStore as _;

use super::render::load_with_refs;
use super::{CmdResult, Context, Failure, StateArgs, exit};

/// `kokumi menu`.
#[derive(Debug, Args)]
pub struct MenuArgs {
    #[command(subcommand)]
    pub command: MenuCommand,
}

impl MenuArgs {
    /// The state flags of the subcommand.
    pub fn state(&self) -> &StateArgs {
        match &self.command {
            MenuCommand::Check(c) => &c.state,
        }
    }
}

/// Menu subcommands.
#[derive(Debug, Subcommand)]
pub enum MenuCommand {
    /// Check Orders against their Menu's override policy and print every violation.
    Check(CheckArgs),
}

/// `kokumi menu check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The Order's file (may also hold the Menu), or a directory.
    #[arg(
        short = 'f',
        long = "filename",
        required = true,
        value_name = "FILE|DIR"
    )]
    pub files: Vec<PathBuf>,
    /// Check against this Menu instead of the one the Order names.
    #[arg(long)]
    pub menu: Option<String>,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// Runs `kokumi menu …`.
pub(crate) fn run(args: &MenuArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    let MenuCommand::Check(args) = &args.command;
    let (records, orders) = load_with_refs(ctx, &args.files)?;
    let runtime = ctx.runtime()?;
    let mut violations = 0;
    for order in &orders {
        let name = order.metadata.name.clone().unwrap_or_default();
        let menu_name = args
            .menu
            .clone()
            .or(order.spec.menu_ref.as_ref().map(|m| m.name.clone()))
            .ok_or_else(|| {
                Failure::new(
                    exit::USAGE,
                    format!("order {name:?} has no menuRef: name a Menu with --menu"),
                )
            })?;
        let menu: Menu = runtime
            .block_on(records.get::<Menu>(&menu_name))?
            .ok_or_else(|| {
                Failure::from(kokumi_pipeline::Error::UnknownMenu {
                    order: name.clone(),
                    menu: menu_name.clone(),
                })
            })?;
        let report = kokumi_pipeline::policy::report(&menu, order);
        writeln!(out, "order {name} against menu {menu_name}:")?;
        out.write_all(report.render(&menu_name).as_bytes())?;
        violations += report.violations.len();
    }
    if violations > 0 {
        return Err(Failure::new(
            exit::POLICY,
            format!("{violations} policy violations"),
        ));
    }
    Ok(())
}
