//! The render stage's seam: a [`Renderer`] turns a chart and options into manifests.
//!
//! [`HelmRenderer`] is the native Helm engine of `kokumi-render`. The trait exists so the
//! operator, tests and benches can count, fail or replace renders without touching the pipeline.
//! Manifest bundles are not rendered: the pipeline uses their files as they are.

use serde::Serialize;
use serde_json::Value;

use crate::error::BoxError;
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
#[derive(Debug, Clone, Default)]
pub struct HelmRenderer {
    load: kokumi_render::chart::load::LoadOptions,
}

impl HelmRenderer {
    /// The renderer with Helm's default archive limits.
    pub fn new() -> Self {
        Self::default()
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
        use kokumi_render::render::{RenderOptions, render_chart};
        use kokumi_render::value::Value as TValue;

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
            ..RenderOptions::default()
        };
        let rendered = render_chart(&chart, &opts)?;
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
            warnings: rendered.warnings,
        })
    }
}
