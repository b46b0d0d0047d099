//! `kokumi apply -f FILE|DIR`: store objects, render the Orders they affect.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use kokumi_core::api::{Menu, Order, Pantry, Recipe};
use kokumi_pipeline::lifecycle::ServingChange;
use kokumi_pipeline::pipeline::{BASE_DIR_ANNOTATION, MESSAGE_ANNOTATION, Outcome, Prepared};
use kokumi_pipeline::record::Record;
use kokumi_pipeline::state::{LocalState, LockMode};
use kube::ResourceExt as _;

use kokumi_oci::auth::DockerConfig;
use kokumi_oci::registry::RegistryStore;
use kokumi_pipeline::Error as PipelineError;

use super::destination::{self, DestinationArgs, Mirrored};
use super::env::Env;
use super::files::{self, Object};
use super::stages::StageLine;
use super::{CmdResult, Context, Failure, StateArgs, exit};

/// `kokumi apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A YAML file or a directory of them (repeatable).
    #[arg(
        short = 'f',
        long = "filename",
        required = true,
        value_name = "FILE|DIR"
    )]
    pub files: Vec<PathBuf>,
    /// The commit message of the Preparations this apply creates.
    #[arg(short = 'm', long = "message")]
    pub message: Option<String>,
    /// How to reach the registries Orders name in `spec.destination`.
    #[command(flatten)]
    pub destination: DestinationArgs,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// What storing an object did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stored {
    Created,
    Configured,
    Unchanged,
}

impl Stored {
    fn word(self) -> &'static str {
        match self {
            Stored::Created => "created",
            Stored::Configured => "configured",
            Stored::Unchanged => "unchanged",
        }
    }
}

/// `kind.group/name`, as kubectl prints it.
pub(crate) fn qualified<R: Record>(name: &str) -> String {
    format!(
        "{}.{}/{name}",
        R::KIND.as_str().to_ascii_lowercase(),
        kokumi_core::api::GROUP
    )
}

/// Stores `incoming` over what is there, keeping status and creation time, bumping the
/// generation when the spec changes.
fn store<R, S>(
    state: &LocalState,
    ctx: &Context,
    mut incoming: R,
    spec: impl Fn(&R) -> &S,
    status: impl Fn(&mut R, &R),
) -> Result<(Stored, R), Failure>
where
    R: Record + kube::Resource,
    S: PartialEq,
{
    let name = incoming.name_any();
    let existing: Option<R> = state.read(&name)?;
    if incoming.meta().namespace.is_none()
        && R::KIND != kokumi_pipeline::record::Kind::Menu
        && R::KIND != kokumi_pipeline::record::Kind::Recipe
    {
        incoming.meta_mut().namespace = Some("default".into());
    }
    let outcome = match &existing {
        None => {
            incoming.meta_mut().generation = Some(1);
            incoming.meta_mut().creation_timestamp = Some(ctx.clock.now());
            Stored::Created
        }
        Some(old) => {
            let same_spec = spec(old) == spec(&incoming);
            let same_meta = old.meta().labels == incoming.meta().labels
                && old.meta().annotations == incoming.meta().annotations;
            let generation = old.meta().generation.unwrap_or(1);
            incoming.meta_mut().generation = Some(if same_spec {
                generation
            } else {
                generation + 1
            });
            incoming.meta_mut().creation_timestamp = old.meta().creation_timestamp.clone();
            status(&mut incoming, old);
            if same_spec && same_meta {
                return Ok((Stored::Unchanged, existing.unwrap_or(incoming)));
            }
            Stored::Configured
        }
    };
    state.write(&incoming)?;
    Ok((outcome, incoming))
}

/// Runs `kokumi apply`.
pub(crate) fn run(
    args: &ApplyArgs,
    ctx: &Context,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> CmdResult {
    let paths: Vec<PathBuf> = args.files.iter().map(|p| ctx.path(p)).collect();
    let loaded = files::load(&paths)?;
    if loaded.is_empty() {
        return Err(Failure::new(
            exit::USAGE,
            "no objects found in the given files",
        ));
    }
    let (state, _lock) = ctx.open(LockMode::Exclusive)?;

    // Menus, Recipes and Pantries first: Orders refer to them.
    let mut changed_menus = BTreeSet::new();
    let mut changed_recipes = BTreeSet::new();
    let mut orders = Vec::new();
    for item in &loaded {
        match &item.object {
            Object::Menu(menu) => {
                let mut menu = (**menu).clone();
                menu.annotations_mut().insert(
                    BASE_DIR_ANNOTATION.into(),
                    base_dir(&item.path, ctx).display().to_string(),
                );
                let (stored, menu) = store(
                    &state,
                    ctx,
                    menu,
                    |m: &Menu| &m.spec,
                    |n, o| n.status = o.status.clone(),
                )?;
                if stored != Stored::Unchanged {
                    changed_menus.insert(menu.name_any());
                }
                writeln!(
                    out,
                    "{} {}",
                    qualified::<Menu>(&menu.name_any()),
                    stored.word()
                )?;
            }
            Object::Recipe(recipe) => {
                let (stored, recipe) = store(
                    &state,
                    ctx,
                    (**recipe).clone(),
                    |r: &Recipe| &r.spec,
                    |n, o| n.status = o.status.clone(),
                )?;
                if stored != Stored::Unchanged {
                    changed_recipes.insert(recipe.name_any());
                }
                writeln!(
                    out,
                    "{} {}",
                    qualified::<Recipe>(&recipe.name_any()),
                    stored.word()
                )?;
            }
            Object::Pantry(pantry) => {
                let (stored, pantry) = store(
                    &state,
                    ctx,
                    (**pantry).clone(),
                    |p: &Pantry| &p.spec,
                    |n, o| n.status = o.status.clone(),
                )?;
                writeln!(
                    out,
                    "{} {}",
                    qualified::<Pantry>(&pantry.name_any()),
                    stored.word()
                )?;
            }
            Object::Order(order) => {
                let mut order = (**order).clone();
                let base = base_dir(&item.path, ctx);
                let annotations = order.annotations_mut();
                annotations.insert(BASE_DIR_ANNOTATION.into(), base.display().to_string());
                match &args.message {
                    Some(m) => {
                        annotations.insert(MESSAGE_ANNOTATION.into(), m.clone());
                    }
                    None => {
                        annotations.remove(MESSAGE_ANNOTATION);
                    }
                }
                orders.push(order);
            }
        }
    }

    let mut to_render: Vec<Order> = Vec::new();
    for order in orders {
        let (stored, order) = store(
            &state,
            ctx,
            order,
            |o: &Order| &o.spec,
            |n, o| n.status = o.status.clone(),
        )?;
        writeln!(
            out,
            "{} {}",
            qualified::<Order>(&order.name_any()),
            stored.word()
        )?;
        to_render.push(order);
    }
    // Orders already in the state whose Menu or Recipe just changed render again: a Menu edit
    // reaches every Order placed from it.
    if !changed_menus.is_empty() || !changed_recipes.is_empty() {
        let applied: BTreeSet<String> = to_render.iter().map(|o| o.name_any()).collect();
        for order in state.read_all::<Order>()? {
            if applied.contains(&order.name_any()) {
                continue;
            }
            let menu = order.spec.menu_ref.as_ref().map(|m| m.name.clone());
            let recipe = order.spec.recipe_ref.as_ref().map(|r| r.name.clone());
            let affected = menu.as_ref().is_some_and(|m| changed_menus.contains(m))
                || recipe.as_ref().is_some_and(|r| changed_recipes.contains(r));
            if affected {
                writeln!(
                    out,
                    "{} re-rendering (its menu or recipe changed)",
                    qualified::<Order>(&order.name_any())
                )?;
                to_render.push(order);
            }
        }
    }
    if to_render.is_empty() {
        return Ok(());
    }

    let env = Env::open(&state, ctx)?;
    let mut docker = None;
    let mut failures: Vec<Failure> = Vec::new();
    for order in &to_render {
        let line = StageLine::start(&ctx.progress);
        let observer = StageLine::observer(line.as_ref());
        let result = env.block_on(async {
            let prepared = match mirror_of(order, &state, &args.destination, &mut docker).await {
                Ok(Some(remote)) => {
                    let mirrored = Mirrored {
                        local: &env.layout,
                        remote,
                    };
                    env.pipeline(&mirrored)
                        .prepare_observed(order, observer)
                        .await
                }
                Ok(None) => {
                    env.pipeline(&env.layout)
                        .prepare_observed(order, observer)
                        .await
                }
                Err(error) => Err(error),
            };
            if let Err(error) = &prepared {
                // The Order stays stored with Ready=False; nothing else changes.
                let _ = env.pipeline(&env.layout).record_failure(order, error).await;
            }
            prepared
        });
        drop(line);
        match result {
            Ok(prepared) => report(&prepared, out, err)?,
            Err(error) => {
                let failure = Failure::from(error);
                writeln!(
                    err,
                    "error: order {}: {}",
                    order.name_any(),
                    failure.message
                )?;
                failures.push(failure);
            }
        }
    }
    match failures.len() {
        0 => Ok(()),
        1 => Err(failures.remove(0)),
        n => Err(Failure::new(
            failures[0].code,
            format!("{n} orders failed (see above)"),
        )),
    }
}

/// The directory of the file an object came from, absolute.
fn base_dir(file: &std::path::Path, ctx: &Context) -> PathBuf {
    file.parent()
        .map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf()))
        .unwrap_or_else(|| ctx.cwd.clone())
}

/// The registry repository `order` is also pushed to (see [`super::destination`]), opened with
/// the user's credentials (the docker config is read once, on first need).
async fn mirror_of(
    order: &Order,
    state: &LocalState,
    args: &DestinationArgs,
    docker: &mut Option<Option<DockerConfig>>,
) -> Result<Option<RegistryStore>, PipelineError> {
    let Some(remote) = kokumi_pipeline::destination::remote_in(state, order, None).await? else {
        return Ok(None);
    };
    let push_error = |message: String| PipelineError::Push {
        order: order.name_any(),
        destination: format!("oci://{}/{}", remote.host, remote.repository),
        source: message.into(),
    };
    if docker.is_none() {
        *docker = Some(destination::docker_config(args).map_err(|f| push_error(f.message))?);
    }
    let config = docker.as_ref().and_then(Option::as_ref);
    destination::open_remote(&remote, args, config)
        .map(Some)
        .map_err(|f| push_error(f.message))
}

fn report(prepared: &Prepared, out: &mut dyn Write, err: &mut dyn Write) -> CmdResult {
    for warning in &prepared.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    let prep = &prepared.preparation;
    let word = match prepared.outcome {
        Outcome::Created => "created",
        Outcome::Unchanged => "unchanged",
        Outcome::Restored => "restored (artifact pushed again)",
        Outcome::Relocated => "relocated",
        _ => "",
    };
    let name = qualified::<kokumi_core::api::Preparation>(&prep.name_any());
    let digest = prep.spec.artifact.digest;
    if prepared.outcome == Outcome::Relocated {
        // Same digest, new place: say where (the Order's destination changed).
        let place = prep
            .oci_ref()
            .rsplit_once('@')
            .map_or(prep.oci_ref(), |(place, _)| place);
        writeln!(out, "{name} {word} to {place} ({digest})")?;
    } else {
        writeln!(out, "{name} {word} ({digest})")?;
    }
    let serving = qualified::<kokumi_core::api::Serving>(&prepared.order.name_any());
    match &prepared.serving {
        ServingChange::Created { to } => writeln!(out, "{serving} created (serving {to})")?,
        ServingChange::Moved { from, to } => writeln!(out, "{serving} configured ({from} → {to})")?,
        ServingChange::Unchanged { reason } => writeln!(out, "{serving} unchanged ({reason})")?,
        _ => {}
    }
    Ok(())
}
