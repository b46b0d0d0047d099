//! The render stage's seam: a [`Renderer`] turns a chart and options into manifests.
//!
//! [`HelmRenderer`] is the native Helm engine of `kokumi-render`. The trait exists so the
//! operator, tests and benches can count, fail or replace renders without touching the pipeline.
//! Manifest bundles are not rendered: the pipeline uses their files as they are.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use kokumi_core::digest::Digest;
use kokumi_render::schema_refs::SchemaFetcher;
use kokumi_render::template::ParseCache;
use serde::Serialize;
use serde_json::Value;

use crate::error::BoxError;
use crate::schema_fetch::HttpSchemaFetcher;
use crate::source::ChartInput;

/// Helm options of one render: the Order's `render.helm` over the Recipe's `helm`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmOptions {
    /// `.Release.Name`.
    pub release_name: String,
    /// `.Release.Namespace`.
    pub namespace: String,
    /// User values (Menu base → Recipe → Order), merged over the chart's own by the renderer.
    #[serde(skip)]
    pub values: Value,
    /// Render `crds/` too.
    #[serde(rename = "includeCRDs")]
    pub include_crds: bool,
    /// `.Capabilities.KubeVersion`; `None` is the renderer's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kube_version: Option<String>,
    /// Extra `.Capabilities.APIVersions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,
    /// Leave out test hooks.
    pub skip_tests: bool,
    /// Leave out hooks.
    pub no_hooks: bool,
}

/// One rendered template file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedFile {
    /// The template's path, e.g. `hello/templates/deployment.yaml` (helm's `# Source:`).
    pub source: String,
    /// Its YAML documents, as rendered.
    pub content: String,
}

/// What a chart render returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RenderedChart {
    /// `Chart.yaml` `name`.
    pub chart_name: String,
    /// `Chart.yaml` `version`.
    pub chart_version: String,
    /// The output, in helm's install order, one entry per template file.
    pub files: Vec<RenderedFile>,
    /// Warnings (e.g. values coalescing), for the user.
    pub warnings: Vec<String>,
}

/// Renders Helm charts.
pub trait Renderer: Send + Sync {
    /// The renderer's name, recorded in every Preparation (`kokumi-render`).
    fn name(&self) -> &str;
    /// Its version; part of the config hash, so a new renderer re-renders.
    fn version(&self) -> &str;
    /// Renders `chart`. Errors must name the template file and line.
    fn render(&self, chart: &ChartInput, options: &HelmOptions) -> Result<RenderedChart, BoxError>;
}

/// The native Helm engine of `kokumi-render`.
///
/// Like helm, it fetches the `http`/`https` schemas a `values.schema.json` refers to
/// ([`HttpSchemaFetcher`]); [`HelmRenderer::with_schema_fetcher`] replaces or refuses that.
#[derive(Debug, Clone)]
pub struct HelmRenderer {
    load: kokumi_render::chart::load::LoadOptions,
    parsed: Option<Arc<ParsedCharts>>,
    schema_fetcher: Option<Arc<dyn SchemaFetcher>>,
}

impl Default for HelmRenderer {
    fn default() -> Self {
        Self {
            load: Default::default(),
            parsed: None,
            schema_fetcher: Some(Arc::new(HttpSchemaFetcher::new())),
        }
    }
}

impl HelmRenderer {
    /// How many charts [`HelmRenderer::with_parse_cache`] keeps by default in the operator.
    pub const DEFAULT_PARSED_CHARTS: usize = 16;

    /// The renderer with Helm's default archive limits.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the parsed templates of the `charts` charts rendered most recently, so that
    /// rendering one of them again (another Order of the same chart, the next reconcile) skips
    /// lexing and parsing. A chart is known by its archive's digest (or its directory); memory
    /// is bounded by `charts` times what one chart's templates and last output take (see
    /// [`ParseCache`]). Worth it for a long-running caller; a one-shot command gains nothing.
    pub fn with_parse_cache(mut self, charts: usize) -> Self {
        self.parsed = (charts > 0).then(|| {
            Arc::new(ParsedCharts {
                max: charts,
                inner: Mutex::default(),
            })
        });
        self
    }

    /// Where referenced `http`/`https` schemas come from; `None` fails a chart whose schema
    /// needs one (an air-gapped site that wants no request leaving the renderer).
    pub fn with_schema_fetcher(mut self, fetcher: Option<Arc<dyn SchemaFetcher>>) -> Self {
        self.schema_fetcher = fetcher;
        self
    }

    /// How many charts' parsed templates are kept now.
    pub fn parsed_charts(&self) -> usize {
        self.parsed.as_ref().map_or(0, |p| p.lock().1.len())
    }
}

/// The parse caches of recently rendered charts, the least recently used dropped first.
#[derive(Debug)]
struct ParsedCharts {
    max: usize,
    inner: Mutex<ParsedInner>,
}

/// A use counter and, per chart key, its last use and cache.
type ParsedInner = (u64, BTreeMap<String, (u64, Arc<ParseCache>)>);

impl ParsedCharts {
    fn lock(&self) -> std::sync::MutexGuard<'_, ParsedInner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cache of the chart `input`, made (and the oldest dropped) if it is new.
    fn of(&self, input: &ChartInput) -> Arc<ParseCache> {
        let key = match input {
            ChartInput::Archive(bytes) => Digest::of_bytes(bytes).to_string(),
            ChartInput::Dir(dir) => format!("dir:{}", dir.display()),
        };
        let mut inner = self.lock();
        inner.0 += 1;
        let tick = inner.0;
        let charts = &mut inner.1;
        if let Some((used, cache)) = charts.get_mut(&key) {
            *used = tick;
            return cache.clone();
        }
        while charts.len() >= self.max {
            let Some(oldest) = charts
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(k, _)| k.clone())
            else {
                break;
            };
            charts.remove(&oldest);
        }
        let cache = Arc::new(ParseCache::new());
        charts.insert(key, (tick, cache.clone()));
        cache
    }
}

/// The name recorded in Preparations.
pub const RENDERER_NAME: &str = "kokumi-render";

impl Renderer for HelmRenderer {
    fn name(&self) -> &str {
        RENDERER_NAME
    }

    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    fn render(&self, chart: &ChartInput, options: &HelmOptions) -> Result<RenderedChart, BoxError> {
        use kokumi_render::chart::load;
        use kokumi_render::render::{RenderOptions, render_chart, render_chart_cached};
        use kokumi_render::value::Value as TValue;

        let cache = self.parsed.as_ref().map(|p| p.of(chart));
        let chart = match chart {
            ChartInput::Dir(dir) => load::load_dir(dir, &self.load)?,
            ChartInput::Archive(bytes) => load::load_archive(bytes, &self.load)?,
        };
        let values = match TValue::from_json(&options.values) {
            TValue::Map(map) => (*map).clone(),
            TValue::Nil => Default::default(),
            other => {
                return Err(format!("values must be a map, not {}", other.type_name()).into());
            }
        };
        let opts = RenderOptions {
            release_name: options.release_name.clone(),
            namespace: options.namespace.clone(),
            values,
            kube_version: options.kube_version.clone(),
            api_versions: options.api_versions.clone(),
            include_crds: options.include_crds,
            skip_tests: options.skip_tests,
            no_hooks: options.no_hooks,
            schema_fetcher: self.schema_fetcher.clone(),
            ..RenderOptions::default()
        };
        let rendered = match &cache {
            Some(cache) => render_chart_cached(&chart, &opts, cache)?,
            None => render_chart(&chart, &opts)?,
        };
        let mut files = Vec::new();
        for (path, content) in &rendered.crds {
            files.push(RenderedFile {
                source: path.clone(),
                content: content.clone(),
            });
        }
        for m in &rendered.manifests {
            files.push(RenderedFile {
                source: m.path.clone(),
                content: m.content.clone(),
            });
        }
        for h in &rendered.hooks {
            files.push(RenderedFile {
                source: h.path.clone(),
                content: h.content.clone(),
            });
        }
        Ok(RenderedChart {
            chart_name: chart.metadata.name,
            chart_version: chart.metadata.version,
            files,
            warnings: rendered.warnings.iter().map(ToString::to_string).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(replicas: u64) -> HelmOptions {
        HelmOptions {
            release_name: "rel".into(),
            namespace: "ns".into(),
            values: serde_json::json!({ "replicaCount": replicas }),
            include_crds: false,
            kube_version: None,
            api_versions: Vec::new(),
            skip_tests: false,
            no_hooks: false,
        }
    }

    #[test]
    fn a_parse_cache_gives_the_same_output_and_keeps_the_most_recent_charts() {
        let hello = crate::testing::examples().join("charts/hello");
        // Three spellings of one directory: three charts to the cache, which keys on the path.
        let charts = [
            ChartInput::Dir(hello.clone()),
            ChartInput::Dir(hello.join(".")),
            ChartInput::Dir(hello.join("templates/..")),
        ];
        let plain = HelmRenderer::new();
        let cached = HelmRenderer::new().with_parse_cache(2);
        for (round, chart) in charts.iter().chain(&charts[..1]).enumerate() {
            for replicas in [1, 3] {
                let want = plain.render(chart, &options(replicas)).unwrap();
                assert_eq!(cached.render(chart, &options(replicas)).unwrap(), want);
            }
            assert_eq!(cached.parsed_charts(), (round + 1).min(2));
        }
        assert_eq!(plain.parsed_charts(), 0);
        assert_eq!(HelmRenderer::new().with_parse_cache(0).parsed_charts(), 0);
    }
}
