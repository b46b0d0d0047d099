//! `kokumi describe order NAME`: conditions, Preparation history, what is served.

use std::io::Write;

use clap::Args;
use kokumi_core::api::{Menu, Order, Preparation, Serving};
use kokumi_pipeline::record::Kind;
use kokumi_pipeline::state::LockMode;
use kube::ResourceExt as _;

use super::get::{parse_kind, short, sort_by_creation};
use super::table::Table;
use super::{CmdResult, Context, Failure, StateArgs, exit};

/// `kokumi describe`.
#[derive(Debug, Args)]
pub struct DescribeArgs {
    /// The kind (only `order` for now).
    pub kind: String,
    /// The object.
    pub name: String,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// Runs `kokumi describe`.
pub(crate) fn run(args: &DescribeArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    if parse_kind(&args.kind)? != Kind::Order {
        return Err(Failure::new(
            exit::USAGE,
            "describe supports orders only: kokumi describe order NAME",
        ));
    }
    let (state, _lock) = ctx.open(LockMode::Shared)?;
    let order: Order = state
        .read(&args.name)?
        .ok_or_else(|| Failure::new(exit::NOT_FOUND, format!("order {:?} not found", args.name)))?;
    let mut preps: Vec<Preparation> = state.read_preparations_of(&args.name)?;
    sort_by_creation(&mut preps);
    let serving: Option<Serving> = state.read(&args.name)?;
    let now = ctx.clock.now();

    let spec = &order.spec;
    let mut text = String::new();
    let mut field = |k: &str, v: String| text.push_str(&format!("{:<14}{v}\n", format!("{k}:")));
    field("Name", order.name_any());
    field(
        "Namespace",
        order.namespace().unwrap_or_else(|| "default".into()),
    );
    field(
        "Generation",
        order
            .metadata
            .generation
            .map_or("<none>".into(), |g| g.to_string()),
    );
    match (&spec.source, &spec.menu_ref) {
        (Some(source), _) => {
            let from = source
                .oci
                .clone()
                .or(source
                    .pantry_ref
                    .as_ref()
                    .map(|p| format!("pantry {}", p.name)))
                .unwrap_or_default();
            field("Source", format!("{from} (version {})", source.version));
        }
        (None, Some(menu)) => field("Menu", menu.name.clone()),
        (None, None) => field("Source", "<none>".into()),
    }
    field(
        "Recipe",
        spec.recipe_ref
            .as_ref()
            .map_or("<none>".into(), |r| r.name.clone()),
    );
    let menu: Option<Menu> = match &spec.menu_ref {
        Some(m) if spec.auto_deploy.is_none() => state.read(&m.name)?,
        _ => None,
    };
    let effective = order
        .with_menu_defaults(menu.as_ref())
        .spec
        .auto_deploy
        .unwrap_or_default();
    field(
        "Auto deploy",
        match (
            &spec.auto_deploy,
            menu.as_ref().and_then(|m| m.spec.default_auto_deploy()),
        ) {
            (Some(_), _) => format!("{effective:?}"),
            (None, Some(_)) => format!(
                "{effective:?} (menu default of {})",
                menu.as_ref()
                    .map(kube::ResourceExt::name_any)
                    .unwrap_or_default()
            ),
            (None, None) => format!("{effective:?} (default)"),
        },
    );
    field(
        "Patches",
        format!("{} patches, {} edits", spec.patches.len(), spec.edits.len()),
    );
    let status = order.status.clone().unwrap_or_default();
    field(
        "Config hash",
        status
            .config_hash
            .map_or("<none>".into(), |d| d.to_string()),
    );
    let served = serving.as_ref().map(|s| s.spec.preparation.clone());
    field(
        "Serving",
        match (
            &served,
            serving
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .and_then(|s| s.deployed_digest),
        ) {
            (Some(p), Some(d)) => format!("{p} ({d})"),
            (Some(p), None) => p.clone(),
            _ => "<none>".into(),
        },
    );

    text.push_str("Conditions:\n");
    if status.conditions.is_empty() {
        text.push_str("  <none>\n");
    } else {
        let mut t = Table::new(["TYPE", "STATUS", "REASON", "MESSAGE"]);
        for c in &status.conditions {
            t.row([
                c.type_.clone(),
                c.status.clone(),
                c.reason.clone(),
                first_line(&c.message),
            ]);
        }
        indent(&mut text, &t.render());
    }

    text.push_str("Preparations:\n");
    if preps.is_empty() {
        text.push_str("  <none>\n");
    } else {
        let mut t = Table::new(["", "NAME", "DIGEST", "APPROVED", "AGE", "MESSAGE"]);
        for p in &preps {
            let marker = if served.as_deref() == Some(&p.name_any()) {
                "*"
            } else {
                ""
            };
            t.row([
                marker.to_owned(),
                p.name_any(),
                short(&p.spec.artifact.digest),
                if p.is_approved() {
                    "true".into()
                } else {
                    String::new()
                },
                ctx.age(&now, p.metadata.creation_timestamp.as_ref()),
                p.spec.commit_message.clone().unwrap_or_default(),
            ]);
        }
        indent(&mut text, &t.render());
        text.push_str("  (* = served)\n");
    }
    out.write_all(text.as_bytes())?;
    Ok(())
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if s.lines().count() > 1 {
        format!("{line} …")
    } else {
        line.to_owned()
    }
}

fn indent(out: &mut String, text: &str) {
    for line in text.lines() {
        out.push_str("  ");
        out.push_str(line);
        out.push('\n');
    }
}
