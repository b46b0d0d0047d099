//! `kokumi show PREPARATION`: the rendered manifests, read back from the artifact store.

use std::collections::BTreeMap;
use std::io::Write;

use clap::Args;
use kokumi_core::api::Preparation;
use kokumi_pipeline::artifact;
use kokumi_pipeline::state::{LocalState, LockMode};

use super::env::Env;
use super::{CmdResult, Context, Failure, StateArgs, exit};

/// `kokumi show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The Preparation.
    pub preparation: String,
    /// Where the state lives.
    #[command(flatten)]
    pub state: StateArgs,
}

/// Reads a Preparation record or fails with "not found".
pub(crate) fn preparation(state: &LocalState, name: &str) -> Result<Preparation, Failure> {
    state
        .read::<Preparation>(name)?
        .ok_or_else(|| Failure::new(exit::NOT_FOUND, format!("preparation {name:?} not found")))
}

/// The files of a Preparation's artifact.
pub(crate) fn files_of(
    env: &Env<'_>,
    prep: &Preparation,
) -> Result<BTreeMap<String, Vec<u8>>, Failure> {
    let digest = prep.spec.artifact.digest;
    env.block_on(artifact::read_files(&env.layout, &digest))
        .map_err(|e| {
            Failure::from(kokumi_pipeline::Error::Artifact {
                preparation: prep.metadata.name.clone().unwrap_or_default(),
                digest: digest.to_string(),
                source: e,
            })
        })
}

/// The artifact's files as one YAML stream (`# Source:` headers when there are several).
pub(crate) fn as_stream(files: &BTreeMap<String, Vec<u8>>) -> String {
    if files.len() == 1 {
        return files
            .values()
            .next()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
    }
    let mut out = String::new();
    for (path, bytes) in files {
        out.push_str("---\n# Source: ");
        out.push_str(path);
        out.push('\n');
        let text = String::from_utf8_lossy(bytes);
        out.push_str(text.strip_prefix("---\n").unwrap_or(&text));
    }
    out
}

/// Runs `kokumi show`.
pub(crate) fn run(args: &ShowArgs, ctx: &Context, out: &mut dyn Write) -> CmdResult {
    let (state, _lock) = ctx.open(LockMode::Shared)?;
    let prep = preparation(&state, &args.preparation)?;
    let env = Env::open(&state, ctx)?;
    let files = files_of(&env, &prep)?;
    out.write_all(as_stream(&files).as_bytes())?;
    Ok(())
}
