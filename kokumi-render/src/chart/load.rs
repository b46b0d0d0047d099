//! Loading charts from a directory or from `.tgz` bytes, as helm's loader does.
//!
//! Archives are untrusted input: absolute paths, `..`, drive letters, links and devices are
//! refused, and the decompressed size is capped per file and per chart ([`LoadOptions`]; helm's
//! defaults are 5 MiB and 100 MiB).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::ignore::Rules;
use super::{Chart, ChartFile, Metadata, MetadataExt as _, decode_metadata};
use crate::error::{Error, Result};
use crate::value::{Map, Value};
use crate::yaml::parse;

/// Limits applied while loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoadOptions {
    /// Maximum decompressed size of a whole chart archive, in bytes.
    pub max_chart_size: u64,
    /// Maximum size of one file, in bytes.
    pub max_file_size: u64,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            max_chart_size: 100 * 1024 * 1024,
            max_file_size: 5 * 1024 * 1024,
        }
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

fn strip_bom(data: Vec<u8>) -> Vec<u8> {
    if data.starts_with(BOM) {
        data[BOM.len()..].to_vec()
    } else {
        data
    }
}

/// Loads a chart from a directory or a `.tgz` file, like `helm template NAME PATH`.
pub fn load_path(path: &Path, opts: &LoadOptions) -> Result<Chart> {
    let meta = std::fs::metadata(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        source: e,
    })?;
    if meta.is_dir() {
        load_dir(path, opts)
    } else {
        let data = std::fs::read(path).map_err(|e| Error::Io {
            path: path.display().to_string(),
            source: e,
        })?;
        if !data.starts_with(b"\x1f\x8b") {
            let name = path.display().to_string();
            if name.ends_with(".yaml") || name.ends_with(".yml") {
                return Err(Error::Load(format!(
                    "file '{name}' seems to be a YAML file, but expected a gzipped archive"
                )));
            }
            return Err(Error::Load(format!(
                "file '{name}' does not appear to be a gzipped archive"
            )));
        }
        load_archive(&data, opts)
    }
}

/// Loads a chart directory: honours the top-level `.helmignore`, follows symbolic links.
pub fn load_dir(dir: &Path, opts: &LoadOptions) -> Result<Chart> {
    let mut rules = match std::fs::read_to_string(dir.join(".helmignore")) {
        Ok(text) => Rules::parse(&text).map_err(Error::Load)?,
        Err(_) => Rules::default(),
    };
    rules.add_defaults();
    std::thread::scope(|s| {
        // Start parsing `values.yaml` while the rest of the directory is read. The walk reads
        // the file again in its turn; the early parse is used only for the same bytes.
        let early = early_values(dir, &rules, opts).map(|file| {
            let text = file.clone();
            Ahead {
                file,
                parsing: s.spawn(move || load_values(&text.as_text())),
            }
        });
        let mut files = Vec::new();
        walk(dir, "", &rules, opts, &mut files, 0)?;
        load_files_ahead(s, files, opts, early)
    })
}

/// The top-level `values.yaml` of a chart directory, when it is big enough to parse on its
/// own thread (anything unusual about it is left to the walk).
fn early_values(dir: &Path, rules: &Rules, opts: &LoadOptions) -> Option<ChartFile> {
    if rules.ignore("values.yaml", false) {
        return None;
    }
    let path = dir.join("values.yaml");
    let meta = std::fs::metadata(&path).ok()?;
    if !meta.is_file()
        || meta.len() < VALUES_AHEAD_MIN_BYTES as u64
        || meta.len() > opts.max_file_size
    {
        return None;
    }
    let data = std::fs::read(&path).ok()?;
    Some(ChartFile::new("values.yaml", strip_bom(data)))
}

fn walk(
    dir: &Path,
    rel: &str,
    rules: &Rules,
    opts: &LoadOptions,
    out: &mut Vec<ChartFile>,
    depth: usize,
) -> Result<()> {
    if depth > 64 {
        return Err(Error::Load(format!(
            "{}: directory nesting too deep (a symbolic link loop?)",
            dir.display()
        )));
    }
    let io = |e| Error::Io {
        path: dir.display().to_string(),
        source: e,
    };
    // The directory listing says what each entry is; only symbolic links need a `stat` (to
    // follow them, like helm's sympath.Walk).
    let mut entries: Vec<(String, Option<std::fs::FileType>)> = std::fs::read_dir(dir)
        .map_err(io)?
        .filter_map(|e| e.ok())
        .map(|e| {
            let kind = e.file_type().ok().filter(|t| !t.is_symlink());
            (e.file_name().to_string_lossy().into_owned(), kind)
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in entries {
        let path = dir.join(&name);
        let n = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let kind = match kind {
            Some(kind) => kind,
            None => match std::fs::metadata(&path) {
                Ok(meta) => meta.file_type(),
                Err(_) => {
                    return Err(Error::Load(format!(
                        "error evaluating symlink {}: {}",
                        go_abs(&path).display(),
                        eval_symlinks_error(&path)
                    )));
                }
            },
        };
        if kind.is_dir() {
            if rules.ignore(&n, true) {
                continue;
            }
            walk(&path, &n, rules, opts, out, depth + 1)?;
            continue;
        }
        if rules.ignore(&n, false) {
            continue;
        }
        if !kind.is_file() {
            return Err(Error::Load(format!(
                "cannot load irregular file {} as it has file mode type bits set",
                path.display()
            )));
        }
        let data = read_file(&path, &name, opts)?;
        out.push(ChartFile::new(n, strip_bom(data)));
    }
    Ok(())
}

/// Go's `filepath.Abs`: `path` joined to the working directory and cleaned lexically.
fn go_abs(path: &Path) -> PathBuf {
    let joined = std::env::current_dir().unwrap_or_default().join(path);
    let mut out = PathBuf::from("/");
    for c in joined.components() {
        match c {
            Component::Normal(name) => out.push(name),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Why Go's `filepath.EvalSymlinks` cannot resolve `path`: it walks the path one component at
/// a time, following each link, and reports the first `lstat` that fails (`lstat /nonexistent:
/// no such file or directory`), a file in the middle of the path, or a loop.
fn eval_symlinks_error(path: &Path) -> String {
    let mut pending: Vec<PathBuf> = go_abs(path)
        .components()
        .rev()
        .map(|c| PathBuf::from(c.as_os_str()))
        .collect();
    let mut dest = PathBuf::from("/");
    let mut links = 0;
    while let Some(part) = pending.pop() {
        match part.as_os_str().to_str() {
            Some("/" | ".") => continue,
            Some("..") => {
                dest.pop();
                continue;
            }
            _ => {}
        }
        let next = dest.join(&part);
        let meta = match std::fs::symlink_metadata(&next) {
            Ok(meta) => meta,
            Err(e) => return format!("lstat {}: {}", next.display(), go_errno(&e)),
        };
        if !meta.file_type().is_symlink() {
            if !meta.is_dir() && !pending.is_empty() {
                return "not a directory".to_string();
            }
            dest = next;
            continue;
        }
        links += 1;
        if links > 255 {
            return "EvalSymlinks: too many links".to_string();
        }
        let target = match std::fs::read_link(&next) {
            Ok(target) => target,
            Err(e) => return format!("readlink {}: {}", next.display(), go_errno(&e)),
        };
        if target.is_absolute() {
            dest = PathBuf::from("/");
        }
        pending.extend(
            target
                .components()
                .rev()
                .map(|c| PathBuf::from(c.as_os_str())),
        );
    }
    // Resolvable after all (it changed under us): say what the system said.
    match std::fs::metadata(path) {
        Err(e) => go_errno(&e),
        Ok(_) => "no such file or directory".to_string(),
    }
}

/// Go's text for a system error: the C library's message in lower case, without Rust's
/// `(os error N)`.
fn go_errno(e: &std::io::Error) -> String {
    let text = e.to_string();
    let text = match text.rfind(" (os error ") {
        Some(i) => &text[..i],
        None => &text,
    };
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Reads one regular file of a chart directory, refusing it when it is over the size limit.
fn read_file(path: &Path, name: &str, opts: &LoadOptions) -> Result<Vec<u8>> {
    let io = |e| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    let too_big = || {
        Error::Load(format!(
            "chart file {name:?} is larger than the maximum file size {}",
            opts.max_file_size
        ))
    };
    // Helm checks the size before it opens the file: a file it cannot open but could `stat`
    // is refused for its size first.
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return Err(match std::fs::metadata(path) {
                Ok(m) if m.len() > opts.max_file_size => too_big(),
                _ => io(e),
            });
        }
    };
    let len = file.metadata().map_err(io)?.len();
    if len > opts.max_file_size {
        return Err(too_big());
    }
    let mut data = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    // Through `take`, so the standard library does not `stat` the file a second time for its
    // size.
    (&mut file)
        .take(u64::MAX)
        .read_to_end(&mut data)
        .map_err(io)?;
    Ok(data)
}

/// Reads the files of a chart archive (`.tgz`), applying the safety rules.
pub fn archive_files(bytes: &[u8], opts: &LoadOptions) -> Result<Vec<ChartFile>> {
    let gz = flate2::read::MultiGzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    let mut remaining = opts.max_chart_size;
    let entries = archive
        .entries()
        .map_err(|e| Error::Load(format!("reading chart archive: {e}")))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| Error::Load(format!("reading chart archive: {e}")))?;
        let header = entry.header().clone();
        let kind = header.entry_type();
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        if kind.is_gnu_longname() || kind.is_gnu_longlink() {
            continue;
        }
        if kind.is_symlink() || kind.is_hard_link() {
            return Err(Error::Load(format!(
                "chart illegally contains a link: {raw_name:?}"
            )));
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            return Err(Error::Load(format!(
                "chart illegally contains a special file: {raw_name:?}"
            )));
        }
        let delimiter = if raw_name.contains('\\') { '\\' } else { '/' };
        let parts: Vec<&str> = raw_name.split(delimiter).collect();
        let joined = parts[1..].join("/");
        if joined.starts_with('/') {
            return Err(Error::Load(
                "chart illegally contains absolute paths".into(),
            ));
        }
        let n = clean_path(&joined);
        if n == "." {
            return Err(Error::Load(format!(
                "chart illegally contains content outside the base directory: {raw_name:?}"
            )));
        }
        if n.starts_with("..") {
            return Err(Error::Load(
                "chart illegally references parent directory".into(),
            ));
        }
        let b = n.as_bytes();
        if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
            return Err(Error::Load("chart contains illegally named files".into()));
        }
        if parts[0] == "Chart.yaml" {
            return Err(Error::Load("chart yaml not in base directory".into()));
        }
        let size = header.size().unwrap_or(u64::MAX);
        if size > remaining {
            return Err(Error::Load(format!(
                "decompressed chart is larger than the maximum size {}",
                opts.max_chart_size
            )));
        }
        if size > opts.max_file_size {
            return Err(Error::Load(format!(
                "decompressed chart file {raw_name:?} is larger than the maximum file size {}",
                opts.max_file_size
            )));
        }
        let mut data = Vec::new();
        (&mut entry)
            .take(remaining)
            .read_to_end(&mut data)
            .map_err(|e| Error::Load(format!("reading chart archive: {e}")))?;
        remaining = remaining.saturating_sub(data.len() as u64);
        if (data.len() as u64) < size || remaining == 0 {
            return Err(Error::Load(format!(
                "decompressed chart is larger than the maximum size {}",
                opts.max_chart_size
            )));
        }
        files.push(ChartFile::new(n, strip_bom(data)));
    }
    if files.is_empty() {
        return Err(Error::Load("no files in chart archive".into()));
    }
    Ok(files)
}

/// Go's `path.Clean`.
fn clean_path(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut out: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if out.last().is_some_and(|s| *s != "..") {
                    out.pop();
                } else if !rooted {
                    out.push("..");
                }
            }
            s => out.push(s),
        }
    }
    let body = out.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

/// Loads a chart from `.tgz` bytes.
pub fn load_archive(bytes: &[u8], opts: &LoadOptions) -> Result<Chart> {
    let files = archive_files(bytes, opts)?;
    load_files(files, opts)
}

/// Parses a values document stream the way helm's `LoadValues` does: every document is a map,
/// merged over the previous ones.
pub fn load_values(text: &str) -> std::result::Result<Map, String> {
    let docs =
        parse::parse_all(text).map_err(|e| format!("cannot unmarshal yaml document: {e}"))?;
    let mut values = Map::new();
    for doc in docs {
        match doc {
            Value::Nil => {}
            // The first (usually only) document is the values as they are.
            Value::Map(m) if values.is_empty() => values = m.into_map(),
            Value::Map(m) => values = merge_maps(values, &m),
            other => {
                return Err(format!(
                    "cannot unmarshal yaml document: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_type(&other)
                ));
            }
        }
    }
    Ok(values)
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::Int64(_) => "number",
        Value::Bool(_) => "bool",
        _ => "value",
    }
}

/// Helm's `MergeMaps`: `b` over `a`, maps merged recursively, everything else replaced.
pub fn merge_maps(mut a: Map, b: &Map) -> Map {
    for (k, v) in b.iter() {
        if let Value::Map(bv) = v
            && let Some(Value::Map(av)) = a.get(k)
        {
            let merged = merge_maps((**av).clone(), bv);
            a.insert(k.clone(), Value::map(merged));
            continue;
        }
        a.insert(k.clone(), v.clone());
    }
    a
}

/// A `values.yaml` at least this big is parsed on its own thread while the rest of the chart
/// loads (below it, a thread costs more than it saves).
const VALUES_AHEAD_MIN_BYTES: usize = 16 * 1024;

/// Builds a chart from its files (helm's `LoadFiles`): sorts them into metadata, values, schema,
/// templates, other files and subcharts (directories or `.tgz` under `charts/`).
///
/// `values.yaml` is most of a chart's YAML and depends on nothing else, so a big one is parsed
/// on a scoped thread while `Chart.yaml`, its validation and the subcharts load; a failure is
/// still reported where helm's in-order loader would have met it.
pub fn load_files(files: Vec<ChartFile>, opts: &LoadOptions) -> Result<Chart> {
    std::thread::scope(|s| load_files_ahead(s, files, opts, None))
}

/// A `values.yaml` being parsed on a scoped thread.
struct Ahead<'scope> {
    file: ChartFile,
    parsing: std::thread::ScopedJoinHandle<'scope, std::result::Result<Map, String>>,
}

/// [`load_files`], with `values.yaml` parsed on a thread of `scope` (`early`: already being
/// parsed, used if it is the chart's one `values.yaml`).
fn load_files_ahead<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    files: Vec<ChartFile>,
    opts: &LoadOptions,
    early: Option<Ahead<'scope>>,
) -> Result<Chart> {
    let mut values_files = files.iter().filter(|f| f.name == "values.yaml");
    let single = match (values_files.next(), values_files.next()) {
        (Some(f), None) => Some(f),
        _ => None,
    };
    let ahead = match (single, early) {
        (Some(f), Some(early)) if early.file.data == f.data => Some(early),
        (Some(f), _) if f.data.len() >= VALUES_AHEAD_MIN_BYTES => {
            let text = f.clone();
            Some(Ahead {
                file: f.clone(),
                parsing: scope.spawn(move || load_values(&text.as_text())),
            })
        }
        _ => None,
    };
    let Some(ahead) = ahead else {
        return load_files_in_order(files, opts, false, &mut false);
    };
    let mut reached = false;
    let loaded = load_files_in_order(files, opts, true, &mut reached);
    // Before the values file, helm would have stopped at the loader's own error.
    if loaded.is_err() && !reached {
        return loaded;
    }
    let values = match ahead.parsing.join() {
        Ok(v) => v.map_err(|e| Error::Load(format!("cannot load values.yaml: {e}")))?,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    let mut chart = loaded?;
    chart.values = values;
    Ok(chart)
}

/// [`load_files`] in helm's order. With `values_ahead`, `values.yaml` is left to the caller;
/// `reached` tells whether the loader got to it before returning.
fn load_files_in_order(
    files: Vec<ChartFile>,
    opts: &LoadOptions,
    values_ahead: bool,
    reached: &mut bool,
) -> Result<Chart> {
    let mut chart = Chart::default();
    let mut metadata: Option<Metadata> = None;
    for f in &files {
        if f.name == "Chart.yaml" {
            let doc = parse::parse(&f.as_text()).map_err(|e| Error::Yaml {
                context: "cannot load Chart.yaml".into(),
                source: e,
            })?;
            let mut md = metadata.take().unwrap_or_default();
            decode_metadata(&doc, &mut md)
                .map_err(|e| Error::Load(format!("cannot load Chart.yaml: {e}")))?;
            if md.api_version.is_empty() {
                md.api_version = "v1".into();
            }
            metadata = Some(md);
        }
    }
    let mut subcharts: BTreeMap<String, Vec<ChartFile>> = BTreeMap::new();
    for f in files {
        let name = f.name.as_str();
        match name {
            "Chart.yaml" => {}
            "Chart.lock" | "requirements.lock" => {
                if name == "requirements.lock"
                    && metadata.as_ref().is_some_and(|m| m.api_version == "v1")
                {
                    chart.files.push(f);
                }
            }
            "values.yaml" if values_ahead => *reached = true,
            "values.yaml" => {
                chart.values = load_values(&f.as_text())
                    .map_err(|e| Error::Load(format!("cannot load values.yaml: {e}")))?;
            }
            "values.schema.json" => chart.schema = Some(f.data.clone()),
            "requirements.yaml" => {
                let doc = parse::parse(&f.as_text()).map_err(|e| Error::Yaml {
                    context: "cannot load requirements.yaml".into(),
                    source: e,
                })?;
                let md = metadata.get_or_insert_with(Metadata::default);
                decode_metadata(&doc, md)
                    .map_err(|e| Error::Load(format!("cannot load requirements.yaml: {e}")))?;
                if md.api_version == "v1" {
                    chart.files.push(f);
                }
            }
            _ if name.starts_with("templates/") => chart.templates.push(f.with_shared_text()),
            _ if name.starts_with("charts/") => {
                if name.ends_with(".prov") {
                    chart.files.push(f);
                    continue;
                }
                let rest = &name["charts/".len()..];
                let cname = rest.split('/').next().unwrap_or(rest).to_string();
                subcharts
                    .entry(cname)
                    .or_default()
                    .push(ChartFile::new(rest, f.data.clone()));
            }
            _ => chart.files.push(f),
        }
    }
    let Some(mut md) = metadata else {
        return Err(Error::Load("Chart.yaml file is missing".into()));
    };
    md.validate()?;
    chart.metadata = md;
    for (n, files) in subcharts {
        if n.starts_with('_') || n.starts_with('.') {
            continue;
        }
        let sub = if n.ends_with(".tgz") {
            let file = &files[0];
            if file.name != n {
                return Err(Error::Load(format!(
                    "error unpacking subchart tar in {}: expected {n}, got {}",
                    chart.name(),
                    file.name
                )));
            }
            load_archive(&file.data, opts)
        } else {
            let inner: Vec<ChartFile> = files
                .into_iter()
                .filter_map(|f| {
                    f.name
                        .split_once('/')
                        .map(|(_, rest)| ChartFile::new(rest, f.data.clone()))
                })
                .collect();
            load_files(inner, opts)
        };
        match sub {
            Ok(sc) => chart.dependencies.push(sc),
            Err(e) => {
                return Err(Error::Load(format!(
                    "error unpacking subchart {n} in {}: {e}",
                    chart.name()
                )));
            }
        }
    }
    Ok(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_clean_like_go() {
        assert_eq!(clean_path("a/../b"), "b");
        assert_eq!(clean_path("../x"), "../x");
        assert_eq!(clean_path(""), ".");
        assert_eq!(clean_path("a//b/./c/"), "a/b/c");
    }

    #[test]
    fn values_documents_merge() {
        let v = load_values("a: {b: 1}\n---\na: {c: 2}\n").unwrap();
        let a = v["a"].as_map().unwrap();
        assert_eq!(a.len(), 2);
        assert!(load_values("- 1\n").is_err());
    }

    /// A `values.yaml` big enough to be parsed on its own thread.
    fn big_values(tail: &str) -> Vec<u8> {
        let mut text = String::new();
        for i in 0..2000 {
            text.push_str(&format!("key{i}: value {i}\n"));
        }
        assert!(text.len() >= VALUES_AHEAD_MIN_BYTES);
        text.push_str(tail);
        text.into_bytes()
    }

    fn load(files: &[(&str, Vec<u8>)]) -> Result<Chart> {
        let files = files
            .iter()
            .map(|(n, d)| ChartFile::new(*n, d.clone()))
            .collect();
        load_files(files, &LoadOptions::default())
    }

    const CHART: &[u8] = b"apiVersion: v2\nname: big\nversion: 1.0.0\n";

    /// helm reads Chart.yaml through sigs.k8s.io/yaml: a number or bool bound for a string
    /// field is its text (`appVersion: 1.10` is the well-known `1.1`), keys match
    /// case-insensitively and the later of two spellings in sorted order wins.
    #[test]
    fn chart_yaml_scalars_become_strings_like_helm() {
        let chart = load(&[(
            "Chart.yaml",
            b"apiVersion: v2\nname: n\nversion: 1\nappversion: x\nappVersion: 1.10\n\
              Description: true\nkeywords: [1, yes, 2.5]\nannotations: {a: 1e3, b: false}\n\
              maintainers: [{name: 5}]\ndependencies: [{name: d, version: 1.2, tags: [7]}]\n"
                .to_vec(),
        )])
        .unwrap();
        let md = &chart.metadata;
        assert_eq!(md.version, "1");
        assert_eq!(md.app_version, "x", "appversion sorts after appVersion");
        assert_eq!(md.description, "true");
        assert_eq!(md.keywords, ["1", "true", "2.5"]);
        let annotations = md.annotations.as_ref().unwrap();
        assert_eq!(annotations["a"], "1000");
        assert_eq!(annotations["b"], "false");
        assert_eq!(md.maintainers[0].name, "5");
        assert_eq!(md.dependencies[0].version, "1.2");
        assert_eq!(md.dependencies[0].tags, ["7"]);
    }

    #[test]
    fn big_values_load_like_small_ones() {
        let chart = load(&[
            ("Chart.yaml", CHART.to_vec()),
            ("values.yaml", big_values("")),
        ])
        .unwrap();
        assert_eq!(chart.values.len(), 2000);
        assert_eq!(chart.values["key1999"], Value::string("value 1999"));
    }

    #[test]
    fn a_directory_with_big_values_loads_like_its_files() {
        let dir = std::env::temp_dir().join(format!("kokumi-load-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        let write = |name: &str, data: &[u8]| std::fs::write(dir.join(name), data).unwrap();
        write("Chart.yaml", CHART);
        write("templates/cm.yaml", b"kind: ConfigMap\n");
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend(big_values(""));
        write("values.yaml", &with_bom);
        let chart = load_dir(&dir, &LoadOptions::default()).unwrap();
        assert_eq!(chart.values.len(), 2000);
        assert_eq!(chart.templates.len(), 1);
        // Ignored, it is not read at all.
        write(".helmignore", b"values.yaml\n");
        assert!(
            load_dir(&dir, &LoadOptions::default())
                .unwrap()
                .values
                .is_empty()
        );
        std::fs::remove_file(dir.join(".helmignore")).unwrap();
        // Broken, with a broken Chart.yaml too: helm reports the values.
        write("values.yaml", &big_values("bad: [\n"));
        write("Chart.yaml", b"apiVersion: v2\nname: big\n");
        let e = load_dir(&dir, &LoadOptions::default())
            .unwrap_err()
            .to_string();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(e.starts_with("cannot load values.yaml"), "{e}");
    }

    #[test]
    fn errors_of_big_values_come_in_helm_order() {
        let bad_values = big_values("bad: [\n");
        let values_err = load(&[
            ("Chart.yaml", CHART.to_vec()),
            ("values.yaml", bad_values.clone()),
        ])
        .unwrap_err()
        .to_string();
        assert!(
            values_err.starts_with("cannot load values.yaml: cannot unmarshal yaml document:"),
            "{values_err}"
        );
        // Chart.yaml is read before values.yaml: its error wins.
        let e = load(&[
            ("Chart.yaml", b"name: [\n".to_vec()),
            ("values.yaml", bad_values.clone()),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("cannot load Chart.yaml"), "{e}");
        // The metadata is validated after the values are read: the values' error wins.
        let no_version = b"apiVersion: v2\nname: big\n".to_vec();
        let e = load(&[
            ("Chart.yaml", no_version.clone()),
            ("values.yaml", bad_values.clone()),
        ])
        .unwrap_err()
        .to_string();
        assert_eq!(e, values_err);
        let e = load(&[("Chart.yaml", no_version), ("values.yaml", big_values(""))])
            .unwrap_err()
            .to_string();
        assert_eq!(e, "validation: chart.metadata.version is required");
        // A requirements.yaml met before values.yaml reports first; one met after does not.
        let bad_req = b"dependencies: 3\n".to_vec();
        let e = load(&[
            ("Chart.yaml", CHART.to_vec()),
            ("requirements.yaml", bad_req.clone()),
            ("values.yaml", bad_values.clone()),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("cannot load requirements.yaml"), "{e}");
        let e = load(&[
            ("Chart.yaml", CHART.to_vec()),
            ("values.yaml", bad_values),
            ("requirements.yaml", bad_req),
        ])
        .unwrap_err()
        .to_string();
        assert_eq!(e, values_err);
    }

    /// Helm's sympath walk resolves a link with `filepath.EvalSymlinks` and reports the first
    /// component it could not `lstat`, with the link's absolute path (checked against helm
    /// 4.3.1 by hand: dangling, absolute, looping and through-a-file links).
    #[cfg(unix)]
    #[test]
    fn unresolvable_links_are_reported_as_helm_reports_them() {
        let dir = std::env::temp_dir().join(format!("kokumi-links-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(dir.join("Chart.yaml"), CHART).unwrap();
        let link = |target: &str, name: &str| {
            std::os::unix::fs::symlink(target, dir.join(name)).unwrap();
            let e = load_dir(&dir, &LoadOptions::default())
                .unwrap_err()
                .to_string();
            std::fs::remove_file(dir.join(name)).unwrap();
            e
        };
        let at = |name: &str| format!("error evaluating symlink {}", dir.join(name).display());
        assert_eq!(
            link("missing.txt", "dangling.txt"),
            format!(
                "{}: lstat {}: no such file or directory",
                at("dangling.txt"),
                dir.join("missing.txt").display()
            )
        );
        assert_eq!(
            link("/nonexistent-kokumi/file", "templates/abs.yaml"),
            format!(
                "{}: lstat /nonexistent-kokumi: no such file or directory",
                at("templates/abs.yaml")
            )
        );
        assert_eq!(
            link("Chart.yaml/x", "mid.txt"),
            format!("{}: not a directory", at("mid.txt"))
        );
        std::os::unix::fs::symlink("loop2", dir.join("loop1")).unwrap();
        assert_eq!(
            link("loop1", "loop2"),
            format!("{}: EvalSymlinks: too many links", at("loop1"))
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
