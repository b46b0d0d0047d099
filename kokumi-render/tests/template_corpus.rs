//! Every template file of the shared Helm corpus (18 real charts and their vendored
//! subcharts) parses with the engine. (Rendering the corpus end to end is the chart loader's
//! conformance test.)

use std::path::{Path, PathBuf};

use kokumi_render::template::TemplateSet;

/// The corpus's charts: `$KOKUMI_SHARED/helm-corpus/charts`, else beside the repository, as
/// CI lays it out (see [`crate::conformance::corpus_dir`]).
fn corpus() -> Option<PathBuf> {
    crate::conformance::corpus_dir().map(|d| d.join("charts"))
}

fn template_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            template_files(&p, out);
        } else if p.components().any(|c| c.as_os_str() == "templates") {
            out.push(p);
        }
    }
}

#[test]
fn every_corpus_template_parses() {
    let Some(root) = corpus() else { return };
    let mut files = Vec::new();
    template_files(&root, &mut files);
    assert!(
        files.len() > 500,
        "only {} template files found",
        files.len()
    );
    let mut failures = Vec::new();
    let mut set = TemplateSet::new();
    for f in &files {
        let Ok(text) = std::fs::read_to_string(f) else {
            continue;
        };
        let name = f
            .strip_prefix(&root)
            .unwrap_or(f)
            .to_string_lossy()
            .to_string();
        if let Err(e) = set.add(&name, &text) {
            failures.push(format!("{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} templates failed to parse:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}
