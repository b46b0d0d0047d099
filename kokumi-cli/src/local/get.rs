//! `kokumi get KIND [NAME] [-o wide|yaml|json|name]`.

use std::collections::BTreeMap;
use std::io::Write;

use clap::{Args, ValueEnum};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kokumi_core::api::condition::{self, Conditions as _};
use kokumi_core::api::{Menu, Order, Pantry, Preparation, Recipe, Serving};
use kokumi_pipeline::record::{Kind, Record};
use kokumi_pipeline::state::{LocalState, LockMode};
use kube::ResourceExt as _;
use serde::Serialize;

use super::table::Table;
use super::{CmdResult, Context, Failure, StateArgs, exit};

/// Output formats of `get`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// More columns.
    Wide,
    /// The objects as YAML (a `List` for several).
    Yaml,
    /// The objects as JSON (a `List` for several).
    Json,
    /// `kind.group/name`, one a line.
    Name,
}

/// `kokumi get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// orders, preparations, servings, menus, recipes, pantries (or their short names).
    pub kind: String,
    /// Only this object.
    pub name: Option<String>,
    /// Only Preparations or Servings of this Order.
    #[arg(long)]
    pub order: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum)]
    pub output: Option<Output>,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// Parses a kind argument, with kubectl's error for unknown ones.
pub(crate) fn parse_kind(text: &str) -> Result<Kind, Failure> {
    Kind::parse(text).ok_or_else(|| {
        Failure::new(
            exit::USAGE,
            format!(
                "the server doesn't have a resource type {text:?} (known: orders, preparations, servings, menus, recipes, pantries)"
            ),
        )
    })
}

fn select<R: Record>(state: &LocalState, name: Option<&str>) -> Result<Vec<R>, Failure> {
    match name {
        Some(name) => match state.read::<R>(name)? {
            Some(r) => Ok(vec![r]),
            None => Err(Failure::new(
                exit::NOT_FOUND,
                format!(
                    "{} {name:?} not found",
                    R::KIND.as_str().to_ascii_lowercase()
                ),
            )),
        },
        None => Ok(state.read_all::<R>()?),
    }
}

/// Runs `kokumi get`.
pub(crate) fn run(args: &GetArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    let kind = parse_kind(&args.kind)?;
    let (state, _lock) = ctx.open(LockMode::Shared)?;
    let name = args.name.as_deref();
    let now = ctx.clock.now();
    let wide = args.output == Some(Output::Wide);
    match kind {
        Kind::Order => {
            let items = select::<Order>(&state, name)?;
            // An Order without `autoDeploy` takes its Menu's default: show what applies.
            let menus: BTreeMap<String, Menu> = if items
                .iter()
                .any(|o| o.spec.auto_deploy.is_none() && o.spec.menu_ref.is_some())
            {
                state
                    .read_all::<Menu>()?
                    .into_iter()
                    .map(|m| (m.name_any(), m))
                    .collect()
            } else {
                BTreeMap::new()
            };
            emit(out, args.output, &items, || {
                orders_table(ctx, &now, &items, &menus, wide)
            })
        }
        Kind::Preparation => {
            let mut items = select::<Preparation>(&state, name)?;
            if let Some(order) = &args.order {
                items.retain(|p| &p.spec.order_name == order);
            }
            sort_by_creation(&mut items);
            let served = served(&state)?;
            emit(out, args.output, &items, || {
                preparations_table(ctx, &now, &items, &served, wide)
            })
        }
        Kind::Serving => {
            let mut items = select::<Serving>(&state, name)?;
            if let Some(order) = &args.order {
                items.retain(|s| &s.spec.order == order);
            }
            emit(out, args.output, &items, || {
                servings_table(ctx, &now, &items, wide)
            })
        }
        Kind::Menu => {
            let items = select::<Menu>(&state, name)?;
            emit(out, args.output, &items, || menus_table(ctx, &now, &items))
        }
        Kind::Recipe => {
            let items = select::<Recipe>(&state, name)?;
            emit(out, args.output, &items, || {
                recipes_table(ctx, &now, &items)
            })
        }
        Kind::Pantry => {
            let items = select::<Pantry>(&state, name)?;
            emit(out, args.output, &items, || {
                pantries_table(ctx, &now, &items)
            })
        }
        _ => Err(Failure::new(exit::USAGE, format!("cannot list {kind}"))),
    }
}

/// Preparations by creation time, then name: the history order.
pub(crate) fn sort_by_creation(items: &mut [Preparation]) {
    items.sort_by(|a, b| {
        let key = |p: &Preparation| (p.metadata.creation_timestamp.clone(), p.name_any());
        key(a).cmp(&key(b))
    });
}

/// Preparation name → Order name, for every served Preparation.
pub(crate) fn served(state: &LocalState) -> Result<BTreeMap<String, String>, Failure> {
    Ok(state
        .read_all::<Serving>()?
        .into_iter()
        .map(|s| (s.spec.preparation, s.spec.order))
        .collect())
}

fn emit<R: Record + Serialize>(
    out: &mut dyn Write,
    output: Option<Output>,
    items: &[R],
    table: impl FnOnce() -> Table,
) -> CmdResult {
    match output {
        Some(Output::Yaml) => {
            let text = if items.len() == 1 {
                serde_norway::to_string(&items[0])
            } else {
                serde_norway::to_string(&list(items))
            }
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
            out.write_all(text.as_bytes())?;
        }
        Some(Output::Json) => {
            let text = if items.len() == 1 {
                serde_json::to_string_pretty(&items[0])
            } else {
                serde_json::to_string_pretty(&list(items))
            }
            .map_err(|e| Failure::new(exit::FAILURE, e.to_string()))?;
            writeln!(out, "{text}")?;
        }
        Some(Output::Name) => {
            for item in items {
                writeln!(out, "{}", super::apply::qualified::<R>(&item.name_any()))?;
            }
        }
        _ => {
            let table = table();
            if table.is_empty() {
                writeln!(out, "No resources found.")?;
            } else {
                out.write_all(table.render().as_bytes())?;
            }
        }
    }
    Ok(())
}

fn list<R: Serialize>(items: &[R]) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": items,
        "metadata": {},
    })
}

fn ready(
    conditions: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>>,
) -> (String, String) {
    match conditions.and_then(|c| c.get_condition(condition::READY)) {
        Some(c) => (c.status.clone(), c.reason.clone()),
        None => ("Unknown".into(), String::new()),
    }
}

/// `sha256:` + the first 12 hex digits.
pub(crate) fn short(digest: &kokumi_core::digest::Digest) -> String {
    format!("sha256:{}", digest.short_hex(12))
}

fn orders_table(
    ctx: &Context,
    now: &Time,
    items: &[Order],
    menus: &BTreeMap<String, Menu>,
    wide: bool,
) -> Table {
    let mut header = vec![
        "NAME",
        "READY",
        "REASON",
        "PREPARATION",
        "AUTODEPLOY",
        "AGE",
    ];
    if wide {
        header.extend(["MENU", "SOURCE", "VERSION", "DIGEST"]);
    }
    let mut t = Table::new(header);
    for o in items {
        let status = o.status.as_ref();
        let (ready, reason) = ready(status.map(|s| &s.conditions));
        let mut row = vec![
            o.name_any(),
            ready,
            reason,
            status
                .and_then(|s| s.latest_preparation.clone())
                .unwrap_or_else(|| "<none>".into()),
            format!(
                "{:?}",
                o.with_menu_defaults(o.spec.menu_ref.as_ref().and_then(|m| menus.get(&m.name)))
                    .spec
                    .auto_deploy
                    .unwrap_or_default()
            ),
            ctx.age(now, o.metadata.creation_timestamp.as_ref()),
        ];
        if wide {
            row.push(
                o.spec
                    .menu_ref
                    .as_ref()
                    .map_or("<none>".into(), |m| m.name.clone()),
            );
            let source = o.spec.source.as_ref();
            row.push(
                source
                    .and_then(|s| {
                        s.oci
                            .clone()
                            .or(s.pantry_ref.as_ref().map(|p| format!("pantry:{}", p.name)))
                    })
                    .unwrap_or_else(|| "<menu>".into()),
            );
            row.push(source.map_or("<menu>".into(), |s| s.version.clone()));
            row.push(
                status
                    .and_then(|s| s.latest_digest.as_ref())
                    .map_or("<none>".into(), short),
            );
        }
        t.row(row);
    }
    t
}

fn preparations_table(
    ctx: &Context,
    now: &Time,
    items: &[Preparation],
    served: &BTreeMap<String, String>,
    wide: bool,
) -> Table {
    let mut header = vec![
        "NAME", "ORDER", "READY", "DIGEST", "APPROVED", "SERVED", "AGE",
    ];
    if wide {
        header.extend(["SOURCE", "VERSION", "CONFIG HASH", "MESSAGE"]);
    }
    let mut t = Table::new(header);
    for p in items {
        let (ready, _) = ready(p.status.as_ref().map(|s| &s.conditions));
        let mut row = vec![
            p.name_any(),
            p.spec.order_name.clone(),
            ready,
            short(&p.spec.artifact.digest),
            if p.is_approved() {
                "true".into()
            } else {
                String::new()
            },
            if served.contains_key(&p.name_any()) {
                "*".into()
            } else {
                String::new()
            },
            ctx.age(now, p.metadata.creation_timestamp.as_ref()),
        ];
        if wide {
            row.push(p.spec.source.oci.clone());
            row.push(p.spec.source.version.clone().unwrap_or_default());
            row.push(short(&p.spec.config_hash));
            row.push(p.spec.commit_message.clone().unwrap_or_default());
        }
        t.row(row);
    }
    t
}

fn servings_table(ctx: &Context, now: &Time, items: &[Serving], wide: bool) -> Table {
    let mut header = vec!["NAME", "ORDER", "PREPARATION", "READY", "DIGEST", "AGE"];
    if wide {
        header.push("POLICY");
    }
    let mut t = Table::new(header);
    for s in items {
        let status = s.status.as_ref();
        let (ready, _) = ready(status.map(|s| &s.conditions));
        let mut row = vec![
            s.name_any(),
            s.spec.order.clone(),
            s.spec.preparation.clone(),
            ready,
            status
                .and_then(|s| s.deployed_digest.as_ref())
                .map_or("<none>".into(), short),
            ctx.age(now, s.metadata.creation_timestamp.as_ref()),
        ];
        if wide {
            row.push(format!("{:?}", s.spec.preparation_policy.type_));
        }
        t.row(row);
    }
    t
}

fn menus_table(ctx: &Context, now: &Time, items: &[Menu]) -> Table {
    let mut t = Table::new(["NAME", "SOURCE", "VERSION", "VALUES", "PATCHES", "AGE"]);
    for m in items {
        t.row([
            m.name_any(),
            m.spec
                .source
                .oci
                .clone()
                .or(m
                    .spec
                    .source
                    .pantry_ref
                    .as_ref()
                    .map(|p| format!("pantry:{}", p.name)))
                .unwrap_or_default(),
            m.spec.source.version.clone(),
            format!("{:?}", m.spec.overrides.values.policy),
            format!("{:?}", m.spec.overrides.patches.policy),
            ctx.age(now, m.metadata.creation_timestamp.as_ref()),
        ]);
    }
    t
}

fn recipes_table(ctx: &Context, now: &Time, items: &[Recipe]) -> Table {
    let mut t = Table::new([
        "NAME",
        "KUBE VERSION",
        "LAYOUT",
        "REQUIRE DIGEST",
        "FORBID LATEST",
        "AGE",
    ]);
    for r in items {
        let policy = r.spec.image_policy.as_ref();
        t.row([
            r.name_any(),
            r.spec
                .helm
                .as_ref()
                .and_then(|h| h.kube_version.clone())
                .unwrap_or_else(|| "<default>".into()),
            r.spec
                .output
                .as_ref()
                .and_then(|o| o.layout)
                .map_or("Single".into(), |l| format!("{l:?}")),
            policy
                .and_then(|p| p.require_digest)
                .unwrap_or(false)
                .to_string(),
            policy
                .and_then(|p| p.forbid_latest)
                .unwrap_or(false)
                .to_string(),
            ctx.age(now, r.metadata.creation_timestamp.as_ref()),
        ]);
    }
    t
}

fn pantries_table(ctx: &Context, now: &Time, items: &[Pantry]) -> Table {
    let mut t = Table::new(["NAME", "URL", "AGE"]);
    for p in items {
        t.row([
            p.name_any(),
            p.spec.url.clone(),
            ctx.age(now, p.metadata.creation_timestamp.as_ref()),
        ]);
    }
    t
}
