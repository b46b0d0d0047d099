//! The shared helm corpus, for the benches that load one chart of it by name.

use std::path::{Path, PathBuf};

use kokumi_render::chart::Chart;
use kokumi_render::chart::load::{LoadOptions, load_path};

/// `$KOKUMI_SHARED`, else the `shared` directory beside the workspace.
pub(crate) fn shared_dir() -> PathBuf {
    match std::env::var_os("KOKUMI_SHARED") {
        Some(p) => PathBuf::from(p),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
    }
}

/// Corpus chart `name`, loaded; the error says which directory failed.
pub(crate) fn load_chart(name: &str) -> Result<Chart, String> {
    let dir = shared_dir().join("helm-corpus/charts").join(name);
    load_path(&dir, &LoadOptions::default())
        .map_err(|e| format!("cannot load {}: {e}", dir.display()))
}
