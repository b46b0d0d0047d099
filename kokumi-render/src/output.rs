//! Turning rendered files into `helm template`'s output: split into documents, hooks apart from
//! manifests, sorted by Helm 4's install order, printed with `---` / `# Source:` headers.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::error::{Error, Result};
use crate::value::Value;
use crate::yaml::parse;

/// Helm 4's `InstallOrder`: manifests are stable-sorted by the position of their kind here;
/// unknown kinds go last, alphabetically.
pub const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// One rendered document that is not a hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The template it came from (`chart/templates/x.yaml`).
    pub path: String,
    /// The document text (leading whitespace removed, trailing kept).
    pub content: String,
    /// Its `kind` (empty when none).
    pub kind: String,
}

/// One rendered hook document (`helm.sh/hook` annotation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// The template it came from.
    pub path: String,
    /// The document text.
    pub content: String,
    /// Its `kind`.
    pub kind: String,
    /// `metadata.name`.
    pub name: String,
    /// The hook events, lower-cased (`pre-install`, `test`, ...).
    pub events: Vec<String>,
    /// `helm.sh/hook-weight` (0 when absent or not a number).
    pub weight: i64,
}

impl Hook {
    /// Whether this is a test hook (`test` or `test-success`).
    pub fn is_test(&self) -> bool {
        self.events
            .iter()
            .any(|e| e == "test" || e == "test-success")
    }
}

const HOOK_EVENTS: &[&str] = &[
    "pre-install",
    "post-install",
    "pre-delete",
    "post-delete",
    "pre-upgrade",
    "post-upgrade",
    "pre-rollback",
    "post-rollback",
    "test",
    "test-success",
];

/// Splits a rendered file on lines starting with `---` (helm 4's `(?m)^---[ \t]*`), dropping
/// blank documents and each document's leading whitespace.
pub fn split_manifests(big: &str) -> Vec<&str> {
    let text = big.trim_start();
    let bytes = text.as_bytes();
    let mut docs = Vec::new();
    let mut start = 0;
    // Lines that start with `---`: the first line, and every line after a `\n---`.
    let first = bytes.starts_with(b"---").then_some(0);
    let rest = memchr::memmem::find_iter(bytes, b"\n---").map(|nl| nl + 1);
    for p in first.into_iter().chain(rest) {
        if p < start {
            continue;
        }
        let mut end = p + 3;
        while end < bytes.len() && (bytes[end] == b' ' || bytes[end] == b'\t') {
            end += 1;
        }
        docs.push(&text[start..p]);
        start = end;
    }
    docs.push(&text[start..]);
    docs.into_iter()
        .filter(|d| !d.trim().is_empty())
        .map(str::trim_start)
        .collect()
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Float(_) | Value::Int(_) | Value::Int64(_) => "number",
        Value::Bool(_) => "bool",
        Value::List(_) => "array",
        Value::Map(_) => "object",
        _ => "value",
    }
}

/// The parts of a document helm looks at (its `SimpleHead`).
#[derive(Debug, Clone)]
struct Head {
    kind: String,
    name: String,
    annotations: Option<BTreeMap<String, String>>,
}

fn head(doc: &str) -> std::result::Result<Head, String> {
    // Most documents are plain block YAML: check that without building a tree and read only
    // the entries the head reads (see `yaml::head`), directly when they are one-line entries;
    // anything else is parsed in full.
    let fast = crate::yaml::head::reduce(doc)
        .and_then(|r| crate::yaml::head::head_value(&r).or_else(|| parse::parse(&r).ok()));
    let v = match fast {
        Some(v) => v,
        None => parse::parse(doc).map_err(|e| e.to_string())?,
    };
    decode_head(&v)
}

/// The JSON round trip helm's `yaml.Unmarshal` into a `SimpleHead` makes of a parsed document
/// (sigs.k8s.io/yaml, then encoding/json): keys are visited in sorted order and match a field
/// exactly or, failing that, case-insensitively (`Kind:` is the kind; of `kind` and `Kind` the
/// later in sorted order wins); a number or a bool bound for a string field becomes its text
/// (`name: 123`, `helm.sh/hook-weight: 5`); `null` leaves a string as it was and clears
/// `metadata` or `annotations`; a second `metadata` or `annotations` object merges into the
/// first. The first value of the wrong type is the error, named by its path as written
/// ([`crate::gofmt::json_type_error`]).
fn decode_head(v: &Value) -> std::result::Result<Head, String> {
    const METADATA: &str = "struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }";
    let mut head = Head {
        kind: String::new(),
        name: String::new(),
        annotations: None,
    };
    let map = match v {
        Value::Nil => return Ok(head),
        Value::Map(m) => m,
        other => {
            return Err(json_error(&format!(
                "json: cannot unmarshal {} into Go value of type util.SimpleHead",
                json_kind(other)
            )));
        }
    };
    for (top, field, value) in json_fields(map, &["apiVersion", "kind", "metadata"]) {
        match field {
            "apiVersion" => {
                string_field(value, &[top])?;
            }
            "kind" => {
                if let Some(s) = string_field(value, &[top])? {
                    head.kind = s;
                }
            }
            _ => match value {
                Value::Nil => {
                    head.name.clear();
                    head.annotations = None;
                }
                Value::Map(md) => {
                    for (key, field, value) in json_fields(md, &["annotations", "name"]) {
                        if field == "name" {
                            if let Some(s) = string_field(value, &[top, key])? {
                                head.name = s;
                            }
                            continue;
                        }
                        match value {
                            Value::Nil => head.annotations = None,
                            Value::Map(a) => {
                                let out = head.annotations.get_or_insert_with(BTreeMap::new);
                                for (k, v) in a.iter() {
                                    let s = string_field(v, &[top, key, k])?;
                                    out.insert(k.clone(), s.unwrap_or_default());
                                }
                            }
                            other => {
                                return Err(type_error(other, &[top, key], "map[string]string"));
                            }
                        }
                    }
                }
                other => return Err(type_error(other, &[top], METADATA)),
            },
        }
    }
    Ok(head)
}

/// The head helm reads from a parsed document (or its error), printed: for tests comparing
/// ways of reading it.
#[cfg(test)]
pub(crate) fn head_debug(v: &Value) -> String {
    format!("{:?}", decode_head(v))
}

fn json_error(what: &str) -> String {
    format!("error unmarshaling JSON: while decoding JSON: {what}")
}

fn type_error(v: &Value, path: &[&str], go_type: &str) -> String {
    json_error(&crate::gofmt::json_type_error(json_kind(v), path, go_type))
}

/// The entries of `map` that encoding/json decodes into a struct with `fields` (JSON names), in
/// the order it sees them (keys sorted bytewise, as json.Marshal writes a map, and as the map
/// holds them): the key as written, the field it lands in (the field of that exact name, else
/// one whose name equals the key under Go's case folding) and the value. Other keys are
/// ignored, as json ignores them.
fn json_fields<'a>(
    map: &'a crate::value::Map,
    fields: &[&'static str],
) -> impl Iterator<Item = (&'a str, &'static str, &'a Value)> {
    map.iter().filter_map(move |(k, v)| {
        let field = fields.iter().find(|f| **f == k).or_else(|| {
            fields
                .iter()
                .find(|f| crate::gofmt::json_name_matches(k, f))
        })?;
        Some((k.as_str(), *field, v))
    })
}

/// A value decoded into a Go string field at `path`: a string; a number or bool as the text
/// sigs.k8s.io/yaml gives it; `None` for `null` (json leaves the field unchanged); anything else
/// is json's type error.
fn string_field(v: &Value, path: &[&str]) -> std::result::Result<Option<String>, String> {
    match v {
        Value::Nil => Ok(None),
        Value::String(s) => Ok(Some(s.to_string())),
        other => crate::gofmt::yaml_scalar_text(other)
            .map(Some)
            .ok_or_else(|| type_error(other, path, "string")),
    }
}

/// One document of a file's last render and the head read from it.
struct SeenDoc {
    text: Box<str>,
    head: Head,
}

/// The documents each template rendered last time and their heads, kept by a
/// [`ParseCache`](crate::template::ParseCache) between renders.
///
/// A document's head is a pure function of its bytes, so when a template renders a document
/// byte for byte equal to the one at the same position last time (CRDs and other templates
/// whose output does not depend on the values), its head is taken from here instead of
/// checking every line again. Comparing the bytes costs far less than the check. Only files
/// whose every document was read without error are kept; memory grows with the output of the
/// distinct template names seen (one entry per name, replaced when the output changes).
#[derive(Default)]
pub(crate) struct HeadCache {
    files: Mutex<BTreeMap<String, Arc<[SeenDoc]>>>,
}

impl HeadCache {
    fn get(&self, path: &str) -> Option<Arc<[SeenDoc]>> {
        let files = self.files.lock().ok()?;
        files.get(path).cloned()
    }

    fn put(&self, path: &str, docs: Vec<SeenDoc>) {
        if let Ok(mut files) = self.files.lock() {
            files.insert(path.to_string(), docs.into());
        }
    }
}

fn kind_rank(kind: &str) -> Option<usize> {
    INSTALL_ORDER.iter().position(|k| *k == kind)
}

/// Helm's `lessByKind` as a sort key: known kinds by position, then unknown kinds by name.
fn kind_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (kind_rank(a), kind_rank(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => a.cmp(b),
    }
}

/// Helm's `SortManifests`: files in path order, documents in file order, hooks separated,
/// both lists stable-sorted by kind. `files` maps template paths to their rendered text.
pub fn sort_manifests(files: &BTreeMap<String, String>) -> Result<(Vec<Hook>, Vec<Manifest>)> {
    sort_manifests_with(files.clone(), None)
}

/// [`sort_manifests`], taking the heads of documents unchanged since the last render from
/// `cache` and keeping the new ones there. Takes the rendered files by value: a file that is
/// one document becomes that document's content without a copy.
pub(crate) fn sort_manifests_with(
    files: BTreeMap<String, String>,
    cache: Option<&HeadCache>,
) -> Result<(Vec<Hook>, Vec<Manifest>)> {
    let read = files.into_iter().map(|(path, content)| {
        let seen = Seen::of(&path, cache);
        read_heads(RenderedFile::new(path, content, seen))
    });
    place_files(read, cache)
}

/// What the head cache knows of one template's last output (taken before the template
/// renders, so that its heads can be read on another thread).
#[derive(Clone)]
pub(crate) struct Seen {
    docs: Option<Arc<[SeenDoc]>>,
    cached: bool,
}

impl Seen {
    /// Whether the cache had documents of this template.
    pub(crate) fn known(&self) -> bool {
        self.docs.is_some()
    }

    /// What `cache` (if the render has one) knows of template `path`.
    pub(crate) fn of(path: &str, cache: Option<&HeadCache>) -> Self {
        Self {
            docs: cache.and_then(|c| c.get(path)),
            cached: cache.is_some(),
        }
    }
}

/// A rendered file on its way to [`read_heads`], with what the head cache knows of it.
pub(crate) struct RenderedFile {
    path: String,
    content: String,
    seen: Seen,
}

impl RenderedFile {
    /// The file at template path `path`, rendered as `content` (as the template printed it:
    /// [`read_heads`] removes `<no value>`, on whichever thread reads the heads).
    pub(crate) fn new(path: String, content: String, seen: Seen) -> Self {
        Self {
            path,
            content,
            seen,
        }
    }
}

/// A rendered file split into documents, each with its head: what [`place_files`] sorts.
pub(crate) struct FileHeads {
    path: String,
    content: String,
    /// Each document as a byte range of `content` with its head, or the error of the first
    /// document that is not YAML.
    docs: std::result::Result<Vec<(std::ops::Range<usize>, Head)>, String>,
    /// The documents and heads to keep in the head cache, when any changed.
    fresh: Option<Vec<SeenDoc>>,
}

impl FileHeads {
    /// The file's template path.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }
}

/// Splits one rendered file into documents and reads their heads (taking those of unchanged
/// documents from what the head cache saw). A pure function of the file, so it can run on
/// another thread while later templates render.
pub(crate) fn read_heads(file: RenderedFile) -> FileHeads {
    let RenderedFile {
        path,
        content,
        seen: Seen { docs: seen, cached },
    } = file;
    let mut content = crate::template::without_no_value(content);
    let base = path.rsplit('/').next().unwrap_or(&path);
    if base.starts_with('_') || content.trim().is_empty() {
        return FileHeads {
            path,
            content,
            docs: Ok(Vec::new()),
            fresh: None,
        };
    }
    let docs = split_manifests(&content);
    let mut changed = seen.as_ref().is_none_or(|s| s.len() != docs.len());
    let mut read = Vec::with_capacity(docs.len());
    let mut failed = None;
    for (i, doc) in docs.iter().enumerate() {
        let known = seen
            .as_ref()
            .and_then(|s| s.get(i))
            .filter(|s| *s.text == **doc);
        let head = match known {
            Some(s) => s.head.clone(),
            None => {
                changed = true;
                match head(doc) {
                    Ok(h) => h,
                    Err(message) => {
                        failed = Some(message);
                        break;
                    }
                }
            }
        };
        let start = doc.as_ptr() as usize - content.as_ptr() as usize;
        read.push((start..start + doc.len(), head));
    }
    let fresh = (cached && changed && failed.is_none()).then(|| {
        read.iter()
            .map(|(range, head)| SeenDoc {
                text: content[range.clone()].into(),
                head: head.clone(),
            })
            .collect()
    });
    // The usual file is one document running to the end of the text, after leading
    // whitespace: that is cut here (moving the text once, on this thread), so that
    // `place_files` moves the text into its manifest instead of copying it.
    if let [(range, _)] = read.as_mut_slice()
        && range.end == content.len()
        && range.start > 0
    {
        content.drain(..range.start);
        *range = 0..content.len();
    }
    FileHeads {
        path,
        content,
        docs: failed.map_or(Ok(read), Err),
        fresh,
    }
}

/// Helm's `SortManifests` over files whose heads were read: files in the order given (path
/// order), documents in file order, hooks separated, both lists stable-sorted by kind; the
/// first file with a document that is not YAML is the error. New heads go to `cache`.
pub(crate) fn place_files(
    files: impl IntoIterator<Item = FileHeads>,
    cache: Option<&HeadCache>,
) -> Result<(Vec<Hook>, Vec<Manifest>)> {
    let mut hooks = Vec::new();
    let mut manifests = Vec::new();
    for file in files {
        let FileHeads {
            path,
            content,
            docs,
            fresh,
        } = file;
        let mut docs = docs.map_err(|message| Error::ManifestYaml {
            path: path.clone(),
            message,
        })?;
        if let (Some(c), Some(fresh)) = (cache, fresh) {
            c.put(&path, fresh);
        }
        // The usual file is one document that is the whole text (see `read_heads`): it is
        // moved, not copied.
        if let [(range, _)] = docs.as_slice()
            && *range == (0..content.len())
            && let Some((_, h)) = docs.pop()
        {
            place(&path, content, h, &mut hooks, &mut manifests);
            continue;
        }
        for (range, h) in docs {
            place(
                &path,
                content[range].to_string(),
                h,
                &mut hooks,
                &mut manifests,
            );
        }
    }
    manifests.sort_by(|a, b| kind_cmp(&a.kind, &b.kind));
    hooks.sort_by(|a, b| kind_cmp(&a.kind, &b.kind));
    Ok((hooks, manifests))
}

/// Files one document, by its head, as a manifest or a hook (or drops it: unknown hook types).
fn place(path: &str, doc: String, h: Head, hooks: &mut Vec<Hook>, manifests: &mut Vec<Manifest>) {
    let hook_types = h
        .annotations
        .as_ref()
        .filter(|a| !a.is_empty())
        .and_then(|a| a.get("helm.sh/hook"));
    let Some(hook_types) = hook_types else {
        manifests.push(Manifest {
            path: path.to_string(),
            content: doc,
            kind: h.kind,
        });
        return;
    };
    let events: Vec<String> = hook_types
        .split(',')
        .map(|e| e.trim().to_lowercase())
        .collect();
    if events.iter().any(|e| !HOOK_EVENTS.contains(&e.as_str())) {
        // helm skips documents with unknown hook types.
        return;
    }
    let weight = h
        .annotations
        .as_ref()
        .and_then(|a| a.get("helm.sh/hook-weight"))
        .and_then(|w| w.parse().ok())
        .unwrap_or(0);
    hooks.push(Hook {
        path: path.to_string(),
        content: doc,
        kind: h.kind,
        name: h.name,
        events,
        weight,
    });
}

/// What to print.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PrintOptions {
    /// Leave hooks out (`--no-hooks`).
    pub no_hooks: bool,
    /// Leave test hooks out (`--skip-tests`).
    pub skip_tests: bool,
}

/// Prints like `helm template`: CRDs (already filtered by the caller), manifests, the whole
/// trimmed and ended with one newline, then the hooks.
pub fn print(
    crds: &[(String, String)],
    manifests: &[Manifest],
    hooks: &[Hook],
    opts: PrintOptions,
) -> String {
    const HEADER: &str = "---\n# Source: ";
    let entry = |path: &str, content: &str| HEADER.len() + path.len() + content.len() + 2;
    let size = crds.iter().map(|(p, c)| entry(p, c)).sum::<usize>()
        + manifests
            .iter()
            .map(|m| entry(&m.path, &m.content))
            .sum::<usize>()
        + hooks
            .iter()
            .map(|h| entry(&h.path, &h.content))
            .sum::<usize>()
        + 1;
    // One buffer, sized up front. The body (CRDs and manifests) is trimmed as a whole: it can
    // only start with a header, so trimming its end is enough.
    let mut out = String::with_capacity(size);
    for (path, content) in crds {
        out.push_str(HEADER);
        out.push_str(path);
        out.push('\n');
        out.push_str(content);
        out.push('\n');
    }
    for m in manifests {
        out.push_str(HEADER);
        out.push_str(&m.path);
        out.push('\n');
        out.push_str(&m.content);
        out.push('\n');
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    if !opts.no_hooks {
        for h in hooks {
            if opts.skip_tests && h.is_test() {
                continue;
            }
            out.push_str(HEADER);
            out.push_str(&h.path);
            out.push('\n');
            out.push_str(&h.content);
            out.push('\n');
        }
    }
    out
}

/// `--show-only`: keeps the documents whose `# Source:` path (without the chart name) matches one
/// of `patterns` (Go `filepath.Match`), in pattern order, as helm does.
pub fn show_only(output: &str, patterns: &[String]) -> Result<String> {
    let docs = split_manifests(output);
    let mut picked = Vec::new();
    for p in patterns {
        let mut found = false;
        for doc in &docs {
            let Some(pos) = doc.find("# Source: ") else {
                continue;
            };
            let after = &doc[pos + "# Source: ".len()..];
            let line = after.split('\n').next().unwrap_or(after);
            let Some((_, path)) = line.split_once('/') else {
                continue;
            };
            if crate::chart::ignore::go_match(p, path).unwrap_or(false) {
                picked.push(*doc);
                found = true;
            }
        }
        if !found {
            return Err(Error::Invalid(format!(
                "could not find template {p} in chart"
            )));
        }
    }
    let mut out = String::new();
    for d in picked {
        out.push_str("---\n");
        out.push_str(d);
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_like_helm_4() {
        assert_eq!(split_manifests("a: 1\n---\nb: 2\n"), ["a: 1\n", "b: 2\n"]);
        assert_eq!(split_manifests("---\na: 1\n---   \n\n---\n"), ["a: 1\n"]);
        assert_eq!(
            split_manifests("a: 1\n--- # c\nb: 2"),
            ["a: 1\n", "# c\nb: 2"]
        );
        assert_eq!(split_manifests("a: |\n  ---x\n"), ["a: |\n  ---x\n"]);
        assert_eq!(split_manifests("  \n# only\n"), ["# only\n"]);
    }

    #[test]
    fn sorts_by_kind_and_separates_hooks() {
        let mut files = BTreeMap::new();
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Deployment\n---\nkind: Zeta\n---\nkind: Service\n---\n# just a comment\n"
                .to_string(),
        );
        files.insert(
            "c/templates/b.yaml".to_string(),
            "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n".to_string(),
        );
        let (hooks, manifests) = sort_manifests(&files).unwrap();
        let kinds: Vec<_> = manifests.iter().map(|m| m.kind.as_str()).collect();
        assert_eq!(kinds, ["Service", "Deployment", "", "Zeta"]);
        assert_eq!(hooks.len(), 1);
        assert!(hooks[0].is_test());
        let out = print(&[], &manifests, &hooks, PrintOptions::default());
        assert!(out.starts_with("---\n# Source: c/templates/a.yaml\nkind: Service\n\n---"));
        assert!(out.ends_with("    helm.sh/hook: test\n\n"));
        let out = print(
            &[],
            &manifests,
            &hooks,
            PrintOptions {
                skip_tests: true,
                ..Default::default()
            },
        );
        assert!(out.ends_with("kind: Zeta\n"));
    }

    #[test]
    fn single_documents_keep_their_exact_text() {
        let mut files = BTreeMap::new();
        for (name, text) in [
            ("a", "\n  \n---\nkind: A\n\n"),
            ("b", "kind: B\n---\n"),
            ("c", "---\nkind: C"),
            ("d", "kind: D1\n---\nkind: D2\n"),
        ] {
            files.insert(format!("x/templates/{name}.yaml"), text.to_string());
        }
        let (_, manifests) = sort_manifests(&files).unwrap();
        let contents: Vec<_> = manifests.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(
            contents,
            [
                "kind: A\n\n",
                "kind: B\n",
                "kind: C",
                "kind: D1\n",
                "kind: D2\n"
            ]
        );
    }

    #[test]
    fn heads_of_unchanged_documents_come_from_the_cache() {
        let cache = HeadCache::default();
        let mut files = BTreeMap::new();
        let hook = "kind: Pod\nmetadata:\n  name: t\n  annotations:\n    helm.sh/hook: test\n";
        files.insert(
            "c/templates/a.yaml".to_string(),
            format!("kind: Service\n---\n{hook}"),
        );
        let cold = sort_manifests(&files).unwrap();
        let first = sort_manifests_with(files.clone(), Some(&cache)).unwrap();
        let kept = cache.get("c/templates/a.yaml").unwrap();
        assert_eq!(kept.len(), 2);
        let again = sort_manifests_with(files.clone(), Some(&cache)).unwrap();
        assert_eq!(first, cold);
        assert_eq!(again, cold);
        // Nothing changed: the entry is the same one, not rebuilt.
        assert!(Arc::ptr_eq(
            &kept,
            &cache.get("c/templates/a.yaml").unwrap()
        ));
        // A changed document is read again and the entry replaced.
        files.insert(
            "c/templates/a.yaml".to_string(),
            "kind: Deployment\n".to_string(),
        );
        let (hooks, manifests) = sort_manifests_with(files.clone(), Some(&cache)).unwrap();
        assert!(hooks.is_empty());
        assert_eq!(manifests[0].kind, "Deployment");
        assert_eq!(cache.get("c/templates/a.yaml").unwrap().len(), 1);
        // Errors are reported as without a cache, and never kept.
        files.insert("c/templates/a.yaml".to_string(), "just text\n".to_string());
        let e = sort_manifests_with(files.clone(), Some(&cache)).unwrap_err();
        assert_eq!(
            e.to_string(),
            sort_manifests(&files).unwrap_err().to_string()
        );
        assert_eq!(cache.get("c/templates/a.yaml").unwrap().len(), 1);
    }

    #[test]
    fn flow_sequences_closed_at_key_indentation_are_accepted() {
        let mut files = BTreeMap::new();
        files.insert(
            "m/templates/s.yaml".to_string(),
            "kind: StatefulSet\nspec:\n  containers:\n    - command: [\n        \"a\",\n      ]\n"
                .to_string(),
        );
        let (_, manifests) = sort_manifests(&files).unwrap();
        assert_eq!(manifests[0].kind, "StatefulSet");
    }

    #[test]
    fn non_yaml_documents_fail_like_helm() {
        let mut files = BTreeMap::new();
        files.insert("o/templates/raw.txt".to_string(), "just text\n".to_string());
        let e = sort_manifests(&files).unwrap_err();
        assert_eq!(
            e.to_string(),
            "YAML parse error on o/templates/raw.txt: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal string into Go value of type util.SimpleHead"
        );
    }
}
