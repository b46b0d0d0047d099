//! `kokumi diff A [B]`: what changes between two Preparations, resource by resource.
//!
//! With two names it shows the change from A to B. With one, B is the Preparation its Order
//! serves, and the diff shows what promoting A would change (served → A). Resources are matched
//! by identity (group, kind, namespace, name); each changed one gets a unified diff of its
//! canonical YAML, coloured on a terminal.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use kokumi_core::api::{Preparation, Serving};
use kokumi_core::document::{self, Limits, ResourceId};
use kokumi_pipeline::state::LockMode;
use serde_json::Value;

use super::env::Env;
use super::show::{files_of, preparation};
use super::{CmdResult, Context, Failure, StateArgs, exit};

/// `kokumi diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The Preparation to compare.
    pub a: String,
    /// The other one [default: the one A's Order serves].
    pub b: Option<String>,
    /// Exit with 1 when there are differences (like `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// A resource's identity as a diff header: `apps/v1 Deployment default/hello`.
fn label(id: &ResourceId) -> String {
    id.to_string()
}

fn resources(env: &Env<'_>, prep: &Preparation) -> Result<BTreeMap<ResourceId, Value>, Failure> {
    let files = files_of(env, prep)?;
    let mut out = BTreeMap::new();
    for (path, bytes) in files {
        let text = String::from_utf8_lossy(&bytes);
        let docs = document::parse_documents(&text, &Limits::default()).map_err(|e| {
            Failure::new(
                exit::CORRUPT,
                format!("artifact of {:?}, {path}: {e}", prep.metadata.name),
            )
        })?;
        for doc in docs {
            if !doc.value.is_null() {
                out.insert(ResourceId::of(&doc.value), doc.value);
            }
        }
    }
    Ok(out)
}

/// The per-resource diff of two sets of documents (pure; used by the command and tests).
pub fn diff_resources(
    a: &BTreeMap<ResourceId, Value>,
    b: &BTreeMap<ResourceId, Value>,
    color: bool,
) -> (String, usize) {
    let mut ids: Vec<&ResourceId> = a.keys().chain(b.keys()).collect();
    ids.sort();
    ids.dedup();
    let mut out = String::new();
    let (mut changed, mut added, mut removed) = (0, 0, 0);
    for id in ids {
        let before = a
            .get(id)
            .map(|v| document::to_canonical_yaml([v]))
            .unwrap_or_default();
        let after = b
            .get(id)
            .map(|v| document::to_canonical_yaml([v]))
            .unwrap_or_default();
        if before == after {
            continue;
        }
        match (a.contains_key(id), b.contains_key(id)) {
            (true, true) => changed += 1,
            (false, true) => added += 1,
            _ => removed += 1,
        }
        let name = label(id);
        let old = if a.contains_key(id) {
            format!("a/{name}")
        } else {
            "/dev/null".into()
        };
        let new = if b.contains_key(id) {
            format!("b/{name}")
        } else {
            "/dev/null".into()
        };
        let diff = similar::TextDiff::from_lines(&before, &after);
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&old, &new)
            .to_string();
        for line in text.lines() {
            let paint = |code: &str| format!("\x1b[{code}m{line}\x1b[0m\n");
            let styled = match line.as_bytes().first() {
                _ if !color => format!("{line}\n"),
                Some(b'+') if line.starts_with("+++") => paint("1"),
                Some(b'-') if line.starts_with("---") => paint("1"),
                Some(b'+') => paint("32"),
                Some(b'-') => paint("31"),
                Some(b'@') => paint("36"),
                _ => format!("{line}\n"),
            };
            out.push_str(&styled);
        }
    }
    let total = changed + added + removed;
    let summary = if total == 0 {
        "no differences\n".to_owned()
    } else {
        format!("{changed} changed, {added} added, {removed} removed\n")
    };
    (format!("{out}{summary}"), total)
}

/// Runs `kokumi diff`.
pub(crate) fn run(args: &DiffArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    let (state, _lock) = ctx.open(LockMode::Shared)?;
    let a = preparation(&state, &args.a)?;
    let (from, to) = match &args.b {
        Some(b) => (a, preparation(&state, b)?),
        None => {
            let serving = state.read::<Serving>(&a.spec.order_name)?.ok_or_else(|| {
                Failure::new(
                    exit::NOT_FOUND,
                    format!(
                        "order {:?} serves nothing yet: name the second preparation",
                        a.spec.order_name
                    ),
                )
            })?;
            (preparation(&state, &serving.spec.preparation)?, a)
        }
    };
    let env = Env::open(&state, ctx)?;
    let (text, count) = diff_resources(&resources(&env, &from)?, &resources(&env, &to)?, ctx.color);
    writeln!(
        out,
        "diff {} → {}",
        from.metadata.name.as_deref().unwrap_or_default(),
        to.metadata.name.as_deref().unwrap_or_default()
    )?;
    out.write_all(text.as_bytes())?;
    if args.exit_code && count > 0 {
        return Err(Failure::new(
            exit::FAILURE,
            format!("{count} resources differ"),
        ));
    }
    Ok(())
}
