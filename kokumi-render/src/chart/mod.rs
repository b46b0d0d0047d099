//! Helm charts: the model, `Chart.yaml`/`requirements.yaml`, and loading from a directory or a
//! `.tgz` archive (see [`load`]).
//!
//! A [`Chart`] is what helm's loader builds: metadata, default values, the optional values schema,
//! templates, the other files (`.Files`, `crds/`), and the vendored subcharts under `charts/`.

pub mod ignore;
pub mod load;
pub mod semver;

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::gofmt::{json_name_matches, json_type_error, yaml_scalar_text};
use crate::value::{Map, Value};

/// One file of a chart, named by its slash-separated path inside the chart.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// Path inside the chart, e.g. `templates/deployment.yaml`.
    pub name: String,
    /// The bytes (a UTF-8 byte-order mark removed).
    pub data: Arc<[u8]>,
    /// The same bytes as text, checked once, for files read as text on every render
    /// (templates, see [`with_shared_text`](Self::with_shared_text)).
    text: Option<Arc<str>>,
}

impl PartialEq for ChartFile {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.data == other.data
    }
}

impl Eq for ChartFile {}

impl ChartFile {
    /// A file with this name and content.
    pub fn new(name: impl Into<String>, data: impl Into<Arc<[u8]>>) -> Self {
        Self {
            name: name.into(),
            data: data.into(),
            text: None,
        }
    }

    /// The file with its text checked (as UTF-8) once and kept, sharing one allocation with
    /// [`data`](Self::data): every render reads a template's text, and its parse trees keep
    /// it, without checking or copying it again. Bytes that are not UTF-8 are left as they
    /// are (read lossily each time, as [`as_text`](Self::as_text) does).
    pub(crate) fn with_shared_text(mut self) -> Self {
        if self.text.is_none()
            && let Ok(text) = std::str::from_utf8(&self.data)
        {
            let text: Arc<str> = Arc::from(text);
            self.data = Arc::from(text.clone());
            self.text = Some(text);
        }
        self
    }

    /// The text as one shared allocation: the one kept by
    /// [`with_shared_text`](Self::with_shared_text), else a new one.
    pub(crate) fn shared_text(&self) -> Arc<str> {
        match &self.text {
            Some(t) => t.clone(),
            None => Arc::from(self.as_text()),
        }
    }

    /// The content as text (invalid UTF-8 replaced, as Go's `string(bytes)` would print it).
    pub fn text(&self) -> String {
        self.as_text().into_owned()
    }

    /// Like [`text`](Self::text), borrowing the bytes when they are valid UTF-8 (the usual
    /// case, checked with the standard library's fast validator).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.text {
            Some(t) => std::borrow::Cow::Borrowed(t),
            None => Self::text_of(&self.data),
        }
    }

    /// [`as_text`](Self::as_text) of any bytes.
    pub(crate) fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
        match std::str::from_utf8(data) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => String::from_utf8_lossy(data),
        }
    }
}

/// `Chart.yaml` (with `requirements.yaml` for v1 charts) is kokumi-core's model, shared with
/// kokumi-oci; [`MetadataExt`] adds Helm's validation and `.Chart`.
pub use kokumi_core::chart::{ChartMetadata as Metadata, Dependency, Maintainer};

/// Helm's methods on `chart.Metadata`.
pub trait MetadataExt {
    /// Helm's `Metadata.Validate`: sanitises the text fields, then checks apiVersion, name,
    /// version, type and the dependencies' names and aliases.
    fn validate(&mut self) -> Result<()>;
    /// `.Chart` as templates see it: helm's `MetadataAsMap` (Go field names as keys).
    fn to_value(&self, is_root: bool) -> Value;
}

/// A loaded chart.
#[derive(Debug, Clone, Default)]
pub struct Chart {
    /// `Chart.yaml` (and `requirements.yaml` for v1 charts).
    pub metadata: Metadata,
    /// `values.yaml` (all its documents merged), nulls kept.
    pub values: Map,
    /// `values.schema.json`, if present.
    pub schema: Option<Arc<[u8]>>,
    /// Files under `templates/`.
    pub templates: Vec<ChartFile>,
    /// Every other file (what `.Files` sees; `crds/` are among them).
    pub files: Vec<ChartFile>,
    /// Subcharts from `charts/` (after loading: every vendored chart; after dependency
    /// processing: the enabled ones, aliased).
    pub dependencies: Vec<Chart>,
}

impl Chart {
    /// The chart's name.
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// Whether this is a library chart (`type: library`).
    pub fn is_library(&self) -> bool {
        self.metadata.chart_type.eq_ignore_ascii_case("library")
    }

    /// The CRD files of this chart and (recursively) its subcharts, in helm's order, each with
    /// the path helm prints (`parent/charts/sub/crds/x.yaml`).
    pub fn crd_objects(&self, full_path: &str) -> Vec<(String, ChartFile)> {
        let mut out = Vec::new();
        for f in &self.files {
            if f.name.starts_with("crds/")
                && [".yaml", ".yml", ".json"]
                    .iter()
                    .any(|e| f.name.ends_with(e))
            {
                out.push((format!("{full_path}/{}", f.name), f.clone()));
            }
        }
        for dep in &self.dependencies {
            out.extend(dep.crd_objects(&format!("{full_path}/charts/{}", dep.name())));
        }
        out
    }
}

// --- Chart.yaml decoding: JSON-style struct decoding (case-insensitive keys) ------------------

/// The entry of `map` that encoding/json decodes into the field `name`: every key equal to it
/// under Go's case folding is decoded, in sorted order, so the last one wins. With the key as
/// written (error paths name it).
fn field<'a>(map: &'a Map, name: &str) -> Option<(&'a str, &'a Value)> {
    map.iter()
        .rev()
        .find(|(k, _)| json_name_matches(k, name))
        .map(|(k, v)| (k.as_str(), v))
}

fn type_word(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Float(_) | Value::Int(_) | Value::Int64(_) => "number",
        Value::String(_) => "string",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        _ => "value",
    }
}

fn unmarshal_err(v: &Value, path: &[&str], go_type: &str) -> String {
    format!(
        "error unmarshaling JSON: while decoding JSON: {}",
        json_type_error(type_word(v), path, go_type)
    )
}

/// `path` with one more token.
fn at<'a>(path: &[&'a str], key: &'a str) -> Vec<&'a str> {
    let mut p = path.to_vec();
    p.push(key);
    p
}

/// A value decoded into a Go string: a string; a number or bool as sigs.k8s.io/yaml writes it
/// (`appVersion: 1.10` is `1.1`); empty for `null`.
fn string_value(v: &Value, path: &[&str]) -> std::result::Result<String, String> {
    match v {
        Value::Nil => Ok(String::new()),
        Value::String(s) => Ok(s.to_string()),
        other => yaml_scalar_text(other).ok_or_else(|| unmarshal_err(other, path, "string")),
    }
}

fn get_string(map: &Map, name: &str, path: &[&str]) -> std::result::Result<String, String> {
    match field(map, name) {
        None => Ok(String::new()),
        Some((key, v)) => string_value(v, &at(path, key)),
    }
}

fn get_bool(map: &Map, name: &str, path: &[&str]) -> std::result::Result<bool, String> {
    match field(map, name) {
        None | Some((_, Value::Nil)) => Ok(false),
        Some((_, Value::Bool(b))) => Ok(*b),
        Some((key, v)) => Err(unmarshal_err(v, &at(path, key), "bool")),
    }
}

fn get_strings(map: &Map, name: &str, path: &[&str]) -> std::result::Result<Vec<String>, String> {
    match field(map, name) {
        None | Some((_, Value::Nil)) => Ok(Vec::new()),
        Some((key, Value::List(items))) => items
            .iter()
            .enumerate()
            .map(|(i, v)| string_value(v, &[path, &[key, &i.to_string()]].concat()))
            .collect(),
        Some((key, v)) => Err(unmarshal_err(v, &at(path, key), "[]string")),
    }
}

fn as_object<'a>(
    v: &'a Value,
    path: &[&str],
    go_type: &str,
) -> std::result::Result<&'a Map, String> {
    v.as_map().ok_or_else(|| unmarshal_err(v, path, go_type))
}

/// Reads the fields of `Chart.yaml` (or the `dependencies` of `requirements.yaml`) into `md`.
fn decode_metadata(doc: &Value, md: &mut Metadata) -> std::result::Result<(), String> {
    let map = match doc {
        Value::Nil => return Ok(()),
        Value::Map(m) => m,
        other => {
            return Err(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type v2.Metadata",
                type_word(other)
            ));
        }
    };
    let has = |k: &str| field(map, k).is_some();
    if has("name") {
        md.name = get_string(map, "name", &[])?;
    }
    if has("home") {
        md.home = get_string(map, "home", &[])?;
    }
    if has("sources") {
        md.sources = get_strings(map, "sources", &[])?;
    }
    if has("version") {
        md.version = get_string(map, "version", &[])?;
    }
    if has("description") {
        md.description = get_string(map, "description", &[])?;
    }
    if has("keywords") {
        md.keywords = get_strings(map, "keywords", &[])?;
    }
    if has("icon") {
        md.icon = get_string(map, "icon", &[])?;
    }
    if has("apiVersion") {
        md.api_version = get_string(map, "apiVersion", &[])?;
    }
    if has("condition") {
        md.condition = get_string(map, "condition", &[])?;
    }
    if has("tags") {
        md.tags = get_string(map, "tags", &[])?;
    }
    if has("appVersion") {
        md.app_version = get_string(map, "appVersion", &[])?;
    }
    if has("deprecated") {
        md.deprecated = get_bool(map, "deprecated", &[])?;
    }
    if has("kubeVersion") {
        md.kube_version = get_string(map, "kubeVersion", &[])?;
    }
    if has("type") {
        md.chart_type = get_string(map, "type", &[])?;
    }
    if let Some((key, v)) = field(map, "annotations") {
        match v {
            Value::Nil => md.annotations = None,
            Value::Map(m) => {
                let mut out = std::collections::BTreeMap::new();
                for (k, v) in m.iter() {
                    out.insert(k.clone(), string_value(v, &[key, k])?);
                }
                md.annotations = Some(out);
            }
            other => return Err(unmarshal_err(other, &[key], "map[string]string")),
        }
    }
    if let Some((key, v)) = field(map, "maintainers") {
        md.maintainers.clear();
        if let Value::List(items) = v {
            for (i, item) in items.iter().enumerate() {
                let i = i.to_string();
                let path = [key, i.as_str()];
                let m = as_object(item, &path, "v2.Maintainer")?;
                md.maintainers.push(Maintainer {
                    name: get_string(m, "name", &path)?,
                    email: get_string(m, "email", &path)?,
                    url: get_string(m, "url", &path)?,
                });
            }
        } else if !matches!(v, Value::Nil) {
            return Err(unmarshal_err(v, &[key], "[]*v2.Maintainer"));
        }
    }
    if let Some((key, v)) = field(map, "dependencies") {
        md.dependencies.clear();
        if let Value::List(items) = v {
            for (i, item) in items.iter().enumerate() {
                if matches!(item, Value::Nil) {
                    return Err(
                        "validation: dependencies must not contain empty or null nodes".into(),
                    );
                }
                let i = i.to_string();
                let path = [key, i.as_str()];
                let m = as_object(item, &path, "v2.Dependency")?;
                let import_values = match field(m, "import-values") {
                    None | Some((_, Value::Nil)) => Vec::new(),
                    Some((_, Value::List(l))) => l.iter().map(crate::render::to_json).collect(),
                    Some((k, other)) => {
                        return Err(unmarshal_err(other, &at(&path, k), "[]interface {}"));
                    }
                };
                md.dependencies.push(Dependency {
                    name: get_string(m, "name", &path)?,
                    version: get_string(m, "version", &path)?,
                    repository: get_string(m, "repository", &path)?,
                    condition: get_string(m, "condition", &path)?,
                    tags: get_strings(m, "tags", &path)?,
                    enabled: get_bool(m, "enabled", &path)?,
                    import_values,
                    alias: get_string(m, "alias", &path)?,
                });
            }
        } else if !matches!(v, Value::Nil) {
            return Err(unmarshal_err(v, &[key], "[]*v2.Dependency"));
        }
    }
    Ok(())
}

/// Removes control characters the way helm's `sanitizeString` does (keeps letters, spaces...).
fn sanitize(s: &mut String) {
    if s.chars().any(|c| c.is_control() && !c.is_whitespace()) || s.contains('\u{7f}') {
        *s = s
            .chars()
            .filter(|c| !c.is_control() || c.is_whitespace())
            .collect();
    }
    // Go: strings.Map keeping everything but unicode.IsControl, then... helm maps space-like
    // characters to ' '.
    if s.chars().any(|c| c.is_whitespace() && c != ' ') {
        *s = s
            .chars()
            .map(|c| if c.is_whitespace() { ' ' } else { c })
            .collect();
    }
}

impl MetadataExt for Metadata {
    fn validate(&mut self) -> Result<()> {
        let v = |m: &str| Err(Error::Load(format!("validation: {m}")));
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            sanitize(s);
        }
        if self.api_version.is_empty() {
            return v("chart.metadata.apiVersion is required");
        }
        if self.name.is_empty() {
            return v("chart.metadata.name is required");
        }
        if self.name == "." || self.name == ".." {
            return v(&format!(
                "chart.metadata.name {:?} is not allowed",
                self.name
            ));
        }
        if self.name.contains('/') || self.name.contains('\\') {
            return v(&format!("chart.metadata.name {:?} is invalid", self.name));
        }
        if self.version.is_empty() {
            return v("chart.metadata.version is required");
        }
        if !semver::is_valid_version(&self.version) {
            return v(&format!(
                "chart.metadata.version {:?} is invalid",
                self.version
            ));
        }
        if !(self.chart_type.is_empty()
            || self.chart_type.eq_ignore_ascii_case("application")
            || self.chart_type.eq_ignore_ascii_case("library"))
        {
            return v("chart.metadata.type must be application or library");
        }
        let mut seen = std::collections::BTreeSet::new();
        for dep in &self.dependencies {
            if !dep.alias.is_empty()
                && !dep
                    .alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return v(&format!(
                    "dependency {:?} has disallowed characters in the alias",
                    dep.name
                ));
            }
            let key = if dep.alias.is_empty() {
                &dep.name
            } else {
                &dep.alias
            };
            if !seen.insert(key.clone()) {
                return v(&format!(
                    "more than one dependency with name or alias {key:?}"
                ));
            }
        }
        Ok(())
    }

    fn to_value(&self, is_root: bool) -> Value {
        let s = |x: &str| Value::string(x);
        let strs = |xs: &[String]| Value::list(xs.iter().map(|x| s(x)).collect());
        let mut m = Map::new();
        m.insert("Name".into(), s(&self.name));
        m.insert("Home".into(), s(&self.home));
        m.insert("Sources".into(), strs(&self.sources));
        m.insert("Version".into(), s(&self.version));
        m.insert("Description".into(), s(&self.description));
        m.insert("Keywords".into(), strs(&self.keywords));
        m.insert(
            "Maintainers".into(),
            Value::list(
                self.maintainers
                    .iter()
                    .map(|x| {
                        let mut mm = Map::new();
                        mm.insert("Name".into(), s(&x.name));
                        mm.insert("Email".into(), s(&x.email));
                        mm.insert("URL".into(), s(&x.url));
                        Value::map(mm)
                    })
                    .collect(),
            ),
        );
        m.insert("Icon".into(), s(&self.icon));
        m.insert("APIVersion".into(), s(&self.api_version));
        m.insert("Condition".into(), s(&self.condition));
        m.insert("Tags".into(), s(&self.tags));
        m.insert("AppVersion".into(), s(&self.app_version));
        m.insert("Deprecated".into(), Value::Bool(self.deprecated));
        m.insert(
            "Annotations".into(),
            Value::Object(std::sync::Arc::new(crate::objects::StringMap(
                self.annotations.clone(),
            ))),
        );
        m.insert("KubeVersion".into(), s(&self.kube_version));
        m.insert(
            "Dependencies".into(),
            Value::list(
                self.dependencies
                    .iter()
                    .map(|d| {
                        let mut mm = Map::new();
                        mm.insert("Name".into(), s(&d.name));
                        mm.insert("Version".into(), s(&d.version));
                        mm.insert("Repository".into(), s(&d.repository));
                        mm.insert("Condition".into(), s(&d.condition));
                        mm.insert("Tags".into(), strs(&d.tags));
                        mm.insert("Enabled".into(), Value::Bool(d.enabled));
                        mm.insert(
                            "ImportValues".into(),
                            Value::list(d.import_values.iter().map(Value::from_json).collect()),
                        );
                        mm.insert("Alias".into(), s(&d.alias));
                        Value::map(mm)
                    })
                    .collect(),
            ),
        );
        m.insert("Type".into(), s(&self.chart_type));
        m.insert("IsRoot".into(), Value::Bool(is_root));
        Value::map(m)
    }
}
