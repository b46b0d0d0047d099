//! Integration tests of kokumi-render (one binary; topic files below).

mod chart_fixtures;
mod chart_metadata;
mod conformance;
mod differential;
mod funcs;
mod go_semantics;
mod helm_errors;
mod manifest_heads;
mod string_funcs;
mod template_corpus;
mod template_fuzz;
mod template_helm;
mod yaml_emit;
mod yaml_errors;
mod yaml_head;
mod yaml_scalars;

/// Writes a chart `name` (version 0.1.0) whose one template `templates/<file>` is `text`, under a
/// fresh temporary directory named after `tag`, and returns that directory.
fn one_template_chart(tag: &str, name: &str, file: &str, text: &str) -> std::path::PathBuf {
    let base = std::env::temp_dir().join(format!("kokumi-{name}-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let dir = base.join(name);
    std::fs::create_dir_all(dir.join("templates")).expect("create chart dir");
    let chart_yaml = format!("apiVersion: v2\nname: {name}\nversion: 0.1.0\n");
    std::fs::write(dir.join("Chart.yaml"), chart_yaml).expect("write Chart.yaml");
    std::fs::write(dir.join("templates").join(file), text).expect("write template");
    base
}
