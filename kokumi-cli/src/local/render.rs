//! `kokumi render -f ORDER`: a dry run — the manifests and the digest they would get.
//!
//! Nothing is pushed or recorded. Where `kokumi apply` would push the Preparation
//! (`spec.destination`, by the same rule and with the same errors) is reported, not contacted. Menus, Recipes and Pantries come from the same files or, when
//! a state directory exists, from it.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kokumi_core::api::{Menu, Order, Pantry, Recipe};
use kokumi_core::digest::preparation_name;
use kokumi_pipeline::destination::{self, Remote};
use kokumi_pipeline::pipeline::{BASE_DIR_ANNOTATION, Output, Pipeline};
use kokumi_pipeline::record::{MemoryRecords, RecordStore as _};
use kokumi_pipeline::render::HelmRenderer;
use kokumi_pipeline::source::Sources;
use kokumi_pipeline::state::{LocalState, LockMode};
use kube::ResourceExt as _;

use super::files::{self, Object};
use super::show::as_stream;
use super::stages::StageLine;
use super::{CmdResult, Context, Failure, StateArgs, exit};
use crate::progress::Progress;

/// Output of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RenderOutput {
    /// The manifests (default).
    Yaml,
    /// `{order, preparation, digest, configHash, sourceDigest, destination, files}` for scripts
    /// (`destination`: the registry repository apply would also push to, or null).
    Json,
}

/// `kokumi render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The Order's file (may also hold its Menu, Recipe, Pantry), or a directory.
    #[arg(
        short = 'f',
        long = "filename",
        required = true,
        value_name = "FILE|DIR"
    )]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "yaml")]
    pub output: RenderOutput,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// Loads `files` plus the state's Menus/Recipes/Pantries into memory; returns the Orders.
pub(crate) fn load_with_refs(
    ctx: &Context,
    paths: &[PathBuf],
) -> Result<(MemoryRecords, Vec<Order>), Failure> {
    let paths: Vec<PathBuf> = paths.iter().map(|p| ctx.path(p)).collect();
    let loaded = files::load(&paths)?;
    let records = MemoryRecords::new();
    let runtime = ctx.runtime()?;
    if ctx.home.is_dir() {
        let state = LocalState::open(&ctx.home)?;
        let _lock = state.lock(LockMode::Shared)?;
        runtime.block_on(async {
            for m in state.read_all::<Menu>()? {
                records.put(&m).await?;
            }
            for r in state.read_all::<Recipe>()? {
                records.put(&r).await?;
            }
            for p in state.read_all::<Pantry>()? {
                records.put(&p).await?;
            }
            Ok::<(), kokumi_pipeline::Error>(())
        })?;
    }
    let mut orders = Vec::new();
    runtime.block_on(async {
        for item in &loaded {
            match &item.object {
                Object::Menu(m) => {
                    let mut menu = (**m).clone();
                    if let Some(dir) = item.path.parent() {
                        menu.annotations_mut()
                            .insert(BASE_DIR_ANNOTATION.into(), dir.display().to_string());
                    }
                    records.put(&menu).await?;
                }
                Object::Recipe(r) => records.put(&**r).await?,
                Object::Pantry(p) => records.put(&**p).await?,
                Object::Order(o) => {
                    let mut order = (**o).clone();
                    if let Some(dir) = item.path.parent() {
                        order
                            .annotations_mut()
                            .insert(BASE_DIR_ANNOTATION.into(), dir.display().to_string());
                    }
                    if order.metadata.namespace.is_none() {
                        order.metadata.namespace = Some("default".into());
                    }
                    orders.push(order);
                }
            }
        }
        Ok::<(), kokumi_pipeline::Error>(())
    })?;
    if orders.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "no Order found in the given files",
        ));
    }
    Ok((records, orders))
}

/// What a dry run gives for one Order: the rendered output and where `kokumi apply` would push
/// it besides the state's own layout (`spec.destination`, by the same rule as apply).
pub(crate) struct DryRun {
    pub(crate) output: Output,
    pub(crate) destination: Option<Remote>,
}

/// Renders `orders` without pushing, with a stage line per Order on `progress`. A destination
/// apply would refuse (a tagged URL, a missing Pantry) fails here too, before rendering.
pub(crate) fn dry_run(
    ctx: &Context,
    records: &MemoryRecords,
    orders: &[Order],
    progress: &Progress,
) -> Result<Vec<DryRun>, Failure> {
    let runtime = ctx.runtime()?;
    let sources = Sources::default();
    let helm = HelmRenderer::new();
    let pipeline = Pipeline {
        records,
        sources: &sources,
        renderer: &helm,
        destination: None,
        clock: &*ctx.clock,
    };
    let mut runs = Vec::new();
    for order in orders {
        let destination = runtime.block_on(destination::remote_in(records, order, None))?;
        let line = StageLine::start(progress);
        let output =
            runtime.block_on(pipeline.render_observed(order, StageLine::observer(line.as_ref())));
        drop(line);
        runs.push(DryRun {
            output: output?,
            destination,
        });
    }
    Ok(runs)
}

/// Runs `kokumi render`.
pub(crate) fn run(
    args: &RenderArgs,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let (records, orders) = load_with_refs(ctx, &args.files)?;
    // Output for scripts comes without progress noise.
    let progress = ctx
        .progress
        .clone()
        .unless(args.output == RenderOutput::Json);
    let runs = dry_run(ctx, &records, &orders, &progress)?;
    match args.output {
        RenderOutput::Yaml => {
            for DryRun {
                output,
                destination,
            } in &runs
            {
                for warning in &output.warnings {
                    writeln!(err, "warning: {warning}")?;
                }
                out.write_all(as_stream(&output.files).as_bytes())?;
                let name = preparation_name(&output.resolved.order, &output.packed.digest);
                let digest = output.packed.digest;
                match destination {
                    Some(remote) => writeln!(
                        err,
                        "would create preparation {name} ({digest}) and push it to {}",
                        remote.url()
                    )?,
                    None => writeln!(err, "would create preparation {name} ({digest})")?,
                }
            }
        }
        RenderOutput::Json => {
            let items: Vec<serde_json::Value> = runs
                .iter()
                .map(|DryRun { output: o, destination }| {
                    serde_json::json!({
                        "order": o.resolved.order,
                        "preparation": preparation_name(&o.resolved.order, &o.packed.digest),
                        "digest": o.packed.digest,
                        "configHash": o.config_hash,
                        "sourceDigest": o.source_digest,
                        "destination": destination.as_ref().map(Remote::url),
                        "files": o.files.iter().map(|(k, v)| (k.clone(), String::from_utf8_lossy(v).into_owned())).collect::<std::collections::BTreeMap<_, _>>(),
                    })
                })
                .collect();
            let value = if items.len() == 1 {
                items[0].clone()
            } else {
                serde_json::Value::Array(items)
            };
            writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&value).unwrap_or_default()
            )?;
        }
    }
    Ok(())
}
