//! Rendering a chart the way `helm template` does, end to end.
//!
//! [`render_chart`] runs helm 4.3.1's pipeline: installable check, dependency presence,
//! dependency processing (conditions, tags, aliases, import-values), values coalescing, schema
//! validation, the `kubeVersion` check, one shared [`TemplateSet`] for the chart and its
//! subcharts (parsed deepest path first, so the parent's `define`s win), execution of every
//! non-`_` template, NOTES.txt removal, document splitting, hooks vs manifests, Helm 4's install
//! order. [`Rendered::output`] prints the result byte for byte like `helm template`.

use std::sync::Arc;

use crate::capabilities::Capabilities;
use crate::chart::{Chart, MetadataExt as _};
use crate::error::{Error, Result};
use crate::objects::Files;
use crate::output::{self, Hook, Manifest, PrintOptions};
use crate::template::{Limits, ParseCache, Parsed, TemplateSet, parse_shared};
use crate::value::{Map, Value};
use crate::values::{self, Warnings};
use crate::worker::Queue;

/// What to render and how (the flags of `helm template`).
#[derive(Debug, Clone)]
pub struct RenderOptions {
    /// The release name (`helm template NAME`).
    pub release_name: String,
    /// `--namespace` (helm's default: `default`).
    pub namespace: String,
    /// `.Release.Revision` (1 for `helm template`).
    pub revision: i64,
    /// `--is-upgrade`: `.Release.IsUpgrade` true, `.Release.IsInstall` false.
    pub is_upgrade: bool,
    /// The user's values: `-f` files and `--set` flags already merged (see
    /// [`crate::values`] and [`crate::strvals`]).
    pub values: Map,
    /// `--kube-version` (default `v1.37.0`).
    pub kube_version: Option<String>,
    /// `--api-versions`, added to the built-in list.
    pub api_versions: Vec<String>,
    /// `--include-crds`.
    pub include_crds: bool,
    /// `--skip-tests`.
    pub skip_tests: bool,
    /// `--no-hooks`.
    pub no_hooks: bool,
    /// `--skip-schema-validation`.
    pub skip_schema_validation: bool,
    /// Bounds on template execution.
    pub limits: Limits,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            release_name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_upgrade: false,
            values: Map::new(),
            kube_version: None,
            api_versions: Vec::new(),
            include_crds: false,
            skip_tests: false,
            no_hooks: false,
            skip_schema_validation: false,
            limits: Limits::default(),
        }
    }
}

/// The result of a render.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// CRD files (`crds/`) as (path, content), present only with `include_crds`.
    pub crds: Vec<(String, String)>,
    /// Non-hook documents in install order.
    pub manifests: Vec<Manifest>,
    /// Hook documents (tests included) in install order.
    pub hooks: Vec<Hook>,
    /// The root chart's rendered NOTES.txt (never part of the output).
    pub notes: String,
    /// Coalescing warnings, as helm logs them.
    pub warnings: Warnings,
    print: PrintOptions,
}

impl Rendered {
    /// The exact text `helm template` prints on stdout.
    pub fn output(&self) -> String {
        output::print(&self.crds, &self.manifests, &self.hooks, self.print)
    }
}

/// Renders `chart` like `helm template`.
///
/// ```
/// use kokumi_render::chart::{Chart, ChartFile, load};
/// use kokumi_render::render::{RenderOptions, render_chart};
///
/// let chart = load::load_files(
///     vec![
///         ChartFile::new("Chart.yaml", b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec()),
///         ChartFile::new("values.yaml", b"replicas: 2\n".to_vec()),
///         ChartFile::new(
///             "templates/cm.yaml",
///             b"kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  n: {{ .Values.replicas | quote }}\n".to_vec(),
///         ),
///     ],
///     &Default::default(),
/// )?;
/// let opts = RenderOptions { release_name: "rel".into(), ..Default::default() };
/// let out = render_chart(&chart, &opts)?.output();
/// assert_eq!(
///     out,
///     "---\n# Source: demo/templates/cm.yaml\nkind: ConfigMap\nmetadata:\n  name: rel\ndata:\n  n: \"2\"\n"
/// );
/// # Ok::<(), kokumi_render::error::Error>(())
/// ```
pub fn render_chart(chart: &Chart, opts: &RenderOptions) -> Result<Rendered> {
    render(chart, opts, None)
}

/// [`render_chart`], reusing the parsed templates `cache` holds from earlier renders (of this
/// chart or any other) and adding what it parses. The output is the same as without a cache;
/// only lexing and parsing of unchanged files is skipped.
///
/// ```
/// use kokumi_render::chart::{ChartFile, load};
/// use kokumi_render::render::{RenderOptions, render_chart, render_chart_cached};
/// use kokumi_render::template::ParseCache;
///
/// let chart = load::load_files(
///     vec![
///         ChartFile::new("Chart.yaml", b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec()),
///         ChartFile::new("templates/cm.yaml", b"kind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n".to_vec()),
///     ],
///     &Default::default(),
/// )?;
/// let cache = ParseCache::new();
/// let opts = RenderOptions::default();
/// let first = render_chart_cached(&chart, &opts, &cache)?.output();
/// let again = render_chart_cached(&chart, &opts, &cache)?.output();
/// assert_eq!(first, again);
/// assert_eq!(first, render_chart(&chart, &opts)?.output());
/// assert_eq!(cache.len(), 1);
/// # Ok::<(), kokumi_render::error::Error>(())
/// ```
pub fn render_chart_cached(
    chart: &Chart,
    opts: &RenderOptions,
    cache: &ParseCache,
) -> Result<Rendered> {
    render(chart, opts, Some(cache))
}

fn render(chart: &Chart, opts: &RenderOptions, cache: Option<&ParseCache>) -> Result<Rendered> {
    let t = &chart.metadata.chart_type;
    if !(t.is_empty() || t == "application") {
        if t.eq_ignore_ascii_case("library") {
            return Err(Error::LibraryChart);
        }
        return Err(Error::Load(format!("{t} charts are not installable")));
    }
    if !chart.metadata.dependencies.is_empty() {
        values::check_dependencies(chart)?;
    }
    let mut warnings = Warnings::new();
    let mut chart = chart.clone();
    values::process_dependencies(&mut chart, &opts.values, &mut warnings)
        .map_err(|e| Error::Dependencies(e.to_string()))?;

    let caps = Capabilities::new(opts.kube_version.as_deref(), &opts.api_versions)?;
    let vals = Value::map(values::coalesce_values(
        &chart,
        &opts.values,
        &mut warnings,
    )?);
    let kube_version_err = (!chart.metadata.kube_version.is_empty()
        && !crate::chart::semver::is_compatible_range(
            &chart.metadata.kube_version,
            &caps.kube_version.normalized,
        ))
    .then(|| Error::KubeVersion {
        constraint: chart.metadata.kube_version.clone(),
        version: caps.kube_version.version.clone(),
    });

    let mut release = Map::new();
    release.insert("Name".into(), Value::string(opts.release_name.as_str()));
    release.insert("Namespace".into(), Value::string(opts.namespace.as_str()));
    release.insert("IsUpgrade".into(), Value::Bool(opts.is_upgrade));
    release.insert("IsInstall".into(), Value::Bool(!opts.is_upgrade));
    release.insert("Revision".into(), Value::Int(opts.revision));
    release.insert("Service".into(), Value::string("Helm"));
    let shared = Shared {
        release: Value::map(release),
        capabilities: Value::Object(Arc::new(caps)),
    };
    let mut templates: Vec<Renderable<'_>> = Vec::new();
    collect_templates(
        &chart,
        chart.name(),
        true,
        vals.clone(),
        &shared,
        &mut templates,
    );

    // Helm's parse order: more path segments first, then reverse lexical order.
    templates.sort_by(|a, b| {
        let (ca, cb) = (a.name.matches('/').count(), b.name.matches('/').count());
        cb.cmp(&ca).then_with(|| b.name.cmp(&a.name))
    });

    // Helm validates the values against the schemas, checks `kubeVersion`, then parses the
    // templates, stopping at the first failure. The schema check depends only on the chart and
    // the coalesced values, parsing only on the template texts: spare threads start parsing
    // while this one checks the schemas (see `crate::worker`), and the results are still
    // reported in helm's order.
    let ahead = parse_ahead(&templates, cache);
    if !opts.skip_schema_validation
        && let Some(vals) = vals.as_map()
    {
        let mut report = String::new();
        validate_schemas(&chart, vals, &mut report);
        if !report.is_empty() {
            return Err(Error::Schema(report));
        }
    }
    if let Some(e) = kube_version_err {
        return Err(e);
    }
    let mut set = TemplateSet::with_limits(opts.limits);
    let mut parsed = ahead.map(ParseAhead::finish).unwrap_or_default();
    for (i, t) in templates.iter().enumerate() {
        match (parsed.get_mut(i).and_then(Option::take), cache) {
            (Some(p), _) => set.add_parsed(cache, &t.name, &t.text, p)?,
            (None, Some(c)) => set.add_cached(c, &t.name, &t.text)?,
            (None, None) => set.add(&t.name, &t.text)?,
        }
    }

    // Each file's heads are read (on a spare thread, when there is one) while the next
    // templates render.
    let head_cache = cache.map(ParseCache::heads);
    let heads = Queue::new(output::read_heads, 1);
    let root_notes = format!("{}/templates/NOTES.txt", chart.name());
    let mut notes = String::new();
    for t in &templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if base.starts_with('_') {
            continue;
        }
        let mut data = (*t.context).clone();
        let mut tpl = Map::new();
        tpl.insert("Name".into(), Value::string(t.name.as_str()));
        tpl.insert("BasePath".into(), Value::string(t.base_path.as_str()));
        data.insert("Template".into(), Value::map(tpl));
        // Sized up front: a template's output is rarely much longer than its text, so the
        // buffer seldom has to grow (and copy everything written so far) while it renders.
        let mut out = String::with_capacity(t.text.len() + t.text.len() / 2);
        set.render_into(&t.name, &Value::map(data), &mut out)?;
        if memchr::memmem::find(out.as_bytes(), b"<no value>").is_some() {
            out = out.replace("<no value>", "");
        }
        if t.name.ends_with("NOTES.txt") {
            if t.name == root_notes {
                notes = out;
            }
            continue;
        }
        heads.push(output::RenderedFile::new(t.name.clone(), out, head_cache));
    }
    let mut files = heads.finish();
    files.sort_by(|a, b| a.path().cmp(b.path()));
    let (hooks, manifests) = output::place_files(files, head_cache)?;
    let crds = if opts.include_crds {
        chart
            .crd_objects(chart.name())
            .into_iter()
            .map(|(path, f)| (path, f.text()))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Rendered {
        crds,
        manifests,
        hooks,
        notes,
        warnings,
        print: PrintOptions {
            no_hooks: opts.no_hooks,
            skip_tests: opts.skip_tests,
        },
    })
}

/// Template text worth spare threads: below this, parsing takes less time than handing files
/// to another thread and taking the trees back saves (parsing runs at some tens of
/// instructions per byte; waking a spare thread costs a few microseconds).
const PARSE_AHEAD_MIN_BYTES: usize = 8 * 1024;

/// Files being parsed on spare threads, with the position of each among the templates.
struct ParseAhead {
    queue: Queue<(String, Arc<[u8]>), Parsed>,
    positions: Vec<usize>,
    templates: usize,
}

impl ParseAhead {
    /// The parse of each template handed over, by position (`None` for the others).
    fn finish(self) -> Vec<Option<Parsed>> {
        let mut by_position: Vec<Option<Parsed>> = Vec::new();
        by_position.resize_with(self.templates, || None);
        for (i, p) in self.positions.into_iter().zip(self.queue.finish()) {
            by_position[i] = Some(p);
        }
        by_position
    }
}

/// Starts parsing, on the spare threads, the templates `cache` does not hold, when there are
/// spare threads and enough text for them; the results are taken once the schema check is
/// done.
fn parse_ahead(templates: &[Renderable<'_>], cache: Option<&ParseCache>) -> Option<ParseAhead> {
    if crate::worker::spare_threads() == 0 {
        return None;
    }
    let positions: Vec<usize> = (0..templates.len())
        .filter(|&i| cache.is_none_or(|c| !c.contains(&templates[i].name, &templates[i].text)))
        .collect();
    let bytes: usize = positions.iter().map(|&i| templates[i].text.len()).sum();
    if bytes < PARSE_AHEAD_MIN_BYTES {
        return None;
    }
    let queue = Queue::new(parse_file, usize::MAX);
    for &i in &positions {
        queue.push((templates[i].name.clone(), templates[i].data.clone()));
    }
    Some(ParseAhead {
        queue,
        positions,
        templates: templates.len(),
    })
}

/// One template file parsed (on a spare thread): its text is read from its bytes the way
/// [`crate::chart::ChartFile::as_text`] reads it.
fn parse_file((name, data): (String, Arc<[u8]>)) -> Parsed {
    let text: Arc<str> = Arc::from(crate::chart::ChartFile::text_of(&data));
    parse_shared(&name, &text)
}

struct Shared {
    release: Value,
    capabilities: Value,
}

struct Renderable<'c> {
    name: String,
    text: std::borrow::Cow<'c, str>,
    /// The bytes `text` was read from (shared, for spare threads).
    data: Arc<[u8]>,
    base_path: String,
    context: Arc<Map>,
}

/// Helm's `recAllTpls`: builds each chart's template context (its `.Values` scope, `.Chart`,
/// `.Files`, `.Subcharts`) and collects its templates under their full names. Returns the
/// chart's context (for the parent's `.Subcharts`).
fn collect_templates<'c>(
    chart: &'c Chart,
    full_path: &str,
    is_root: bool,
    values: Value,
    shared: &Shared,
    out: &mut Vec<Renderable<'c>>,
) -> Value {
    let mut subcharts = Map::new();
    for child in &chart.dependencies {
        let child_values = match values.as_map().and_then(|m| m.get(child.name())) {
            Some(v @ Value::Map(_)) => v.clone(),
            _ => Value::map(Map::new()),
        };
        let child_path = format!("{full_path}/charts/{}", child.name());
        let ctx = collect_templates(child, &child_path, false, child_values, shared, out);
        subcharts.insert(child.name().to_string(), ctx);
    }
    let mut ctx = Map::new();
    ctx.insert("Chart".into(), chart.metadata.to_value(is_root));
    ctx.insert(
        "Files".into(),
        Value::Object(Arc::new(Files::new(&chart.files))),
    );
    ctx.insert("Release".into(), shared.release.clone());
    ctx.insert("Capabilities".into(), shared.capabilities.clone());
    ctx.insert("Values".into(), values);
    ctx.insert("Subcharts".into(), Value::map(subcharts));
    let ctx = Arc::new(ctx);
    let library = chart.is_library();
    for t in &chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if library && !base.starts_with('_') {
            continue;
        }
        out.push(Renderable {
            name: format!("{full_path}/{}", t.name),
            text: t.as_text(),
            data: t.data.clone(),
            base_path: format!("{full_path}/templates"),
            context: ctx.clone(),
        });
    }
    Value::Map(ctx)
}

/// Values as JSON for schema validation (integral floats as integers, like Go's decoder sees
/// them through `float64`, which JSON Schema's `integer` accepts).
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Float(f) => {
            if f.fract() == 0.0 && f.abs() < 9.0e15 {
                serde_json::Value::from(*f as i64)
            } else {
                serde_json::Number::from_f64(*f)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null)
            }
        }
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Bytes(b) => serde_json::Value::String(String::from_utf8_lossy(b).into_owned()),
        Value::List(l) => serde_json::Value::Array(l.iter().map(to_json).collect()),
        Value::Map(m) => {
            serde_json::Value::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
        Value::Object(o) => to_json(&o.to_plain()),
    }
}

/// Helm's `ValidateAgainstSchema`: each chart's schema against its scope of the values.
fn validate_schemas(chart: &Chart, values: &Map, report: &mut String) {
    if let Some(schema) = &chart.schema {
        let mut errs = String::new();
        match serde_json::from_slice::<serde_json::Value>(schema) {
            // Go's decoder words a truncated document `unexpected EOF`.
            Err(e) if e.classify() == serde_json::error::Category::Eof => {
                errs.push_str("unexpected EOF\n");
            }
            Err(e) => errs.push_str(&format!("invalid values.schema.json: {e}\n")),
            Ok(schema) => match jsonschema::validator_for(&schema) {
                Err(e) => errs.push_str(&format!("invalid values.schema.json: {e}\n")),
                Ok(validator) => {
                    let instance = to_json(&Value::map(values.clone()));
                    errs.push_str(&crate::schema_report::report(&validator, &instance));
                }
            },
        }
        if !errs.is_empty() {
            report.push_str(&format!("{}:\n{errs}", chart.name()));
        }
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Nil) => {}
            Some(Value::Map(m)) => validate_schemas(sub, m, report),
            Some(other) => report.push_str(&format!(
                "{}:\ninvalid type for values: expected object (map), got {}\n",
                sub.name(),
                other.type_name()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{ChartFile, load};

    fn chart(extra: &[(&str, &str)]) -> Chart {
        let mut files = vec![ChartFile::new(
            "Chart.yaml",
            b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec(),
        )];
        // Enough template text to be parsed on two threads.
        let filler = "{{/* filler */}}\n".repeat(PARSE_AHEAD_MIN_BYTES / 16);
        files.push(ChartFile::new("templates/_filler.tpl", filler.into_bytes()));
        for (name, text) in extra {
            files.push(ChartFile::new(*name, text.as_bytes().to_vec()));
        }
        load::load_files(files, &Default::default()).expect("chart loads")
    }

    fn error(chart: &Chart, cache: Option<&ParseCache>) -> String {
        match render(chart, &RenderOptions::default(), cache) {
            Ok(_) => "rendered".into(),
            Err(e) => e.to_string(),
        }
    }

    const SCHEMA: (&str, &str) = (
        "values.schema.json",
        r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#,
    );

    #[test]
    fn parsing_ahead_renders_the_same() {
        let c = chart(&[(
            "templates/cm.yaml",
            "kind: ConfigMap\ndata:\n  n: {{ .Values.replicas | quote }}\n",
        )]);
        let mut opts = RenderOptions::default();
        opts.values.insert("replicas".into(), Value::Int(3));
        let want = "---\n# Source: demo/templates/cm.yaml\nkind: ConfigMap\ndata:\n  n: \"3\"\n";
        assert_eq!(render(&c, &opts, None).expect("renders").output(), want);
        let cache = ParseCache::new();
        for _ in 0..2 {
            let out = render(&c, &opts, Some(&cache)).expect("renders").output();
            assert_eq!(out, want);
        }
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn the_first_parse_error_in_helm_order_is_reported() {
        // Same depth: reverse lexical order, so b.yaml is parsed (and fails) first.
        let c = chart(&[
            ("templates/a.yaml", "{{ if }}\n"),
            ("templates/b.yaml", "x\n{{ end }}\n"),
        ]);
        let e = error(&c, None);
        assert!(e.contains("demo/templates/b.yaml:2"), "{e}");
        let cache = ParseCache::new();
        assert_eq!(error(&c, Some(&cache)), e);
        // Failed files are not kept, so they fail again the same way.
        assert_eq!(error(&c, Some(&cache)), e);
    }

    #[test]
    fn a_schema_failure_wins_over_a_parse_error() {
        let c = chart(&[
            SCHEMA,
            ("values.yaml", "replicas: many\n"),
            ("templates/a.yaml", "{{ if }}\n"),
        ]);
        let e = error(&c, None);
        assert!(
            e.contains("values don't meet the specifications of the schema"),
            "{e}"
        );
        assert!(e.contains("got string, want integer"), "{e}");
        // Valid values: the parse error.
        let c = chart(&[
            SCHEMA,
            ("values.yaml", "replicas: 1\n"),
            ("templates/a.yaml", "{{ if }}\n"),
        ]);
        assert!(error(&c, None).contains("demo/templates/a.yaml:1"));
    }

    #[test]
    fn a_schema_failure_wins_over_kube_version() {
        let mut c = chart(&[SCHEMA, ("values.yaml", "replicas: many\n")]);
        c.metadata.kube_version = ">= 9.0.0".into();
        assert!(error(&c, None).contains("got string, want integer"));
        let mut c = chart(&[SCHEMA, ("values.yaml", "replicas: 2\n")]);
        c.metadata.kube_version = ">= 9.0.0".into();
        assert!(
            error(&c, None).contains("kubeVersion"),
            "{}",
            error(&c, None)
        );
    }
}
