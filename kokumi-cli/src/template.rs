//! `kokumi template`: a drop-in for `helm template` (same flags, same stdout, errors on stderr
//! as `Error: ...` with a non-zero exit).

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use clap::Args;
use kokumi_pipeline::schema_fetch::HttpSchemaFetcher;
use kokumi_render::chart::load::{LoadOptions, load_path};
use kokumi_render::gofmt;
use kokumi_render::output::show_only;
use kokumi_render::render::{RenderOptions, render_chart_logged};
use kokumi_render::values::user_values;

/// The flags of `helm template` that kokumi supports.
#[derive(Debug, Clone, Args)]
pub(crate) struct TemplateArgs {
    /// Release name (with only one argument, that argument is the chart and the release is
    /// called `release-name`, as in helm).
    #[arg(value_name = "NAME")]
    name: String,
    /// The chart: a directory or a `.tgz` archive.
    #[arg(value_name = "CHART")]
    chart: Option<String>,
    /// Namespace of the release.
    #[arg(short = 'n', long, default_value = "default")]
    namespace: String,
    /// Values files (repeatable, comma-separated lists allowed; `-` reads stdin).
    #[arg(short = 'f', long = "values", value_delimiter = ',')]
    values: Vec<String>,
    /// Set values (`a.b=c`, `list[0]=x`, `a={x,y}`).
    #[arg(long = "set")]
    set: Vec<String>,
    /// Set values, always as strings.
    #[arg(long = "set-string")]
    set_string: Vec<String>,
    /// Print the chart's CRDs (`crds/`) first.
    #[arg(long = "include-crds")]
    include_crds: bool,
    /// Kubernetes version for `.Capabilities` and `kubeVersion` checks (default v1.37.0).
    #[arg(long = "kube-version")]
    kube_version: Option<String>,
    /// Extra API versions for `.Capabilities.APIVersions` (repeatable, comma-separated).
    #[arg(short = 'a', long = "api-versions", value_delimiter = ',')]
    api_versions: Vec<String>,
    /// Leave test hooks out.
    #[arg(long = "skip-tests")]
    skip_tests: bool,
    /// Leave hooks out.
    #[arg(long = "no-hooks")]
    no_hooks: bool,
    /// Only show manifests rendered from these templates (`templates/x.yaml`, globs allowed).
    #[arg(short = 's', long = "show-only")]
    show_only: Vec<String>,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[arg(long = "is-upgrade")]
    is_upgrade: bool,
    /// Do not validate values against `values.schema.json`.
    #[arg(long = "skip-schema-validation")]
    skip_schema_validation: bool,
}

fn read_values_file(name: &str) -> Result<String, String> {
    if name.trim() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("reading values from stdin: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(name).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("open {name}: no such file or directory"),
        _ => format!("open {name}: {e}"),
    })
}

/// Runs `kokumi template`; the rendered chart goes to `out`, warnings to `err`. Returns the
/// error text (without the `Error: ` prefix) on failure.
pub(crate) fn run(
    args: &TemplateArgs,
    out: &mut impl Write,
    err: &mut impl Write,
) -> Result<(), String> {
    let (release, chart_path) = match &args.chart {
        Some(chart) => (args.name.clone(), chart.clone()),
        None => ("release-name".to_string(), args.name.clone()),
    };
    let mut files = Vec::new();
    for f in &args.values {
        files.push((f.clone(), read_values_file(f)?));
    }
    let values = user_values(&files, &args.set, &args.set_string).map_err(|e| e.helm_message())?;
    let chart = load_path(locate_chart(&chart_path)?, &LoadOptions::default())
        .map_err(|e| e.helm_message())?;
    let opts = RenderOptions {
        release_name: release,
        namespace: args.namespace.clone(),
        is_upgrade: args.is_upgrade,
        values,
        kube_version: args.kube_version.clone(),
        api_versions: args.api_versions.clone(),
        include_crds: args.include_crds,
        skip_tests: args.skip_tests,
        no_hooks: args.no_hooks,
        skip_schema_validation: args.skip_schema_validation,
        schema_fetcher: Some(Arc::new(HttpSchemaFetcher::new())),
        ..RenderOptions::default()
    };
    // Helm logs a warning when it arises, so those of a render that then fails come before
    // its `Error:`.
    let mut log = Vec::new();
    let rendered = render_chart_logged(&chart, &opts, None, &mut log);
    for record in &log {
        let _ = writeln!(err, "{}", record.helm_line());
    }
    let rendered = rendered.map_err(|e| e.helm_message())?;
    let mut text = rendered.output();
    if !args.show_only.is_empty() {
        text = show_only(&text, &args.show_only).map_err(|e| e.to_string())?;
    }
    out.write_all(text.as_bytes())
        .map_err(|e| format!("writing output: {e}"))
}

/// The chart directory or archive CHART names, found as helm's `LocateChart` looks (local path
/// first), with helm's words when it is not there. What helm would go on to fetch (a chart
/// repository's `repo/chart`, an `https://` or `oci://` address) is not fetched here.
fn locate_chart(chart: &str) -> Result<&Path, String> {
    let name = chart.trim();
    let path = Path::new(name);
    if path.exists() {
        return Ok(path);
    }
    if path.is_absolute() || name.starts_with('.') {
        return Err(format!("path {} not found", gofmt::quote(name)));
    }
    if name.starts_with("oci://") {
        return Err(format!(
            "{name}: kokumi template renders a chart directory or archive; \
             fetch the chart first with `kokumi pull {name} DIR`"
        ));
    }
    if name.contains("://") {
        return Err(format!(
            "{name}: kokumi template renders a chart directory or archive; \
             download the chart first"
        ));
    }
    match name.split_once('/') {
        // helm looks the repository up in its repositories file; kokumi has none.
        Some((repo, _)) => Err(format!("repo {repo} not found")),
        None => Err(format!(
            "non-absolute URLs should be in form of repo_name/path_to_chart, got: {name}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cmd {
        #[command(flatten)]
        args: TemplateArgs,
    }

    fn fixtures() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../kokumi-render/tests/fixtures")
    }

    fn run_with(argv: &[&str]) -> (Result<(), String>, String, String) {
        let cmd = Cmd::try_parse_from(std::iter::once("template").chain(argv.iter().copied()))
            .expect("flags parse");
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let r = run(&cmd.args, &mut out, &mut err);
        (
            r,
            String::from_utf8_lossy(&out).into_owned(),
            String::from_utf8_lossy(&err).into_owned(),
        )
    }

    #[test]
    fn output_is_identical_to_helm() {
        let base = fixtures();
        let chart = base.join("charts/shop");
        let values = base.join("values/shop-all.yaml");
        let (r, out, _) = run_with(&[
            "rel",
            chart.to_str().unwrap(),
            "-n",
            "shop",
            "-f",
            values.to_str().unwrap(),
            "--set",
            "replicas=5",
            "--set-string",
            "listen=9090",
        ]);
        r.unwrap();
        let want = std::fs::read_to_string(base.join("expected/shop-all.yaml")).unwrap();
        assert_eq!(out, want);
    }

    #[test]
    fn errors_are_worded_like_helm() {
        let chart = fixtures().join("charts/needs");
        let (r, out, _) = run_with(&["rel", chart.to_str().unwrap()]);
        assert!(out.is_empty());
        assert_eq!(
            r.unwrap_err(),
            "execution error at (needs/templates/cm.yaml:6:13): Please define bucket\n\nUse --debug flag to render out invalid YAML"
        );
        let (r, _, _) = run_with(&["rel", "/definitely/not/here"]);
        assert_eq!(r.unwrap_err(), "path \"/definitely/not/here\" not found");
    }

    #[test]
    fn one_argument_is_the_chart_and_show_only_filters() {
        let chart = fixtures().join("charts/shop");
        let (r, out, _) = run_with(&[chart.to_str().unwrap(), "-s", "templates/service.yaml"]);
        r.unwrap();
        assert_eq!(
            out,
            "---\n# Source: shop/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: shop-release-name\nspec:\n  ports:\n    - port: 8080\n\n\n"
        );
    }
}
