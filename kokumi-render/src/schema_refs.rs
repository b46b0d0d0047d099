//! Schemas that a `values.schema.json` names by URL (`"$ref": "https://…/definitions.json#/…"`).
//!
//! Helm compiles every chart's schema as `file:///values.schema.json` and loads what it refers
//! to by scheme: `http`/`https` over the network (15 s timeout, proxy from the environment),
//! `urn` as the always-true schema (with a warning per URN), `file` from the local disk. The renderer
//! does no network I/O itself: `http`/`https` documents come from the [`SchemaFetcher`] in
//! [`RenderOptions::schema_fetcher`](crate::render::RenderOptions::schema_fetcher), and
//! without one such a schema fails as a network failure does in helm. Local files are never
//! read (a chart that needs one is broken in helm too: its path is resolved against `/`).

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value as Json;

use crate::log::{Level, Record};
use crate::values::Warnings;

/// Where the renderer gets the `http`/`https` documents that schemas refer to.
///
/// `kokumi-pipeline` has one that fetches like helm; a test or an air-gapped deployment can
/// serve them from memory, or leave [`RenderOptions::schema_fetcher`] empty to refuse them.
///
/// [`RenderOptions::schema_fetcher`]: crate::render::RenderOptions::schema_fetcher
pub trait SchemaFetcher: Send + Sync + fmt::Debug {
    /// The body at `url` (without its `#fragment`), or why it could not be had, worded for the
    /// user after `failing loading "URL": ` (helm's `HTTP request failed for URL: …`).
    fn fetch(&self, url: &str) -> Result<Vec<u8>, String>;
}

/// The `jsonschema` crate's hook onto a [`SchemaFetcher`] and helm's per-scheme rules.
struct Retriever {
    fetcher: Option<Arc<dyn SchemaFetcher>>,
    /// The `urn:` references met, in order: helm warns about each.
    urns: Arc<Mutex<Vec<String>>>,
    /// Whether anything outside the schema was asked for.
    asked: Arc<AtomicBool>,
}

/// Helm's warning for a `urn:` reference it cannot resolve and so allows anything for.
fn urn_warning(urn: &str) -> Record {
    Record::with(
        Level::Warn,
        "unresolved URN reference ignored; using permissive schema",
        "urn",
        urn,
    )
}

/// A retrieval failure, worded as helm's loaders word it.
#[derive(Debug)]
struct Failed(String);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Failed {}

impl jsonschema::Retrieve for Retriever {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        self.asked.store(true, Ordering::Relaxed);
        let url = uri.as_str();
        let url = url.split_once('#').map_or(url, |(u, _)| u);
        let fail = |m: String| -> Box<dyn std::error::Error + Send + Sync> { Box::new(Failed(m)) };
        match uri.scheme().as_str() {
            "urn" => {
                let mut urns = self.urns.lock().unwrap_or_else(PoisonError::into_inner);
                if !urns.iter().any(|u| u == url) {
                    urns.push(url.to_owned());
                }
                Ok(Json::Bool(true))
            }
            "http" | "https" => {
                let Some(fetcher) = &self.fetcher else {
                    return Err(fail(format!(
                        "HTTP request failed for {url}: schemas are not fetched from the \
                         network here (no schema fetcher configured)"
                    )));
                };
                let body = fetcher.fetch(url).map_err(fail)?;
                serde_json::from_slice(&body).map_err(|e| fail(format!("{url}: {e}")))
            }
            "file" => Err(fail(format!(
                "open {}: local schema files are not read",
                uri.path().as_str()
            ))),
            other => Err(fail(format!("unsupported scheme {other:?}"))),
        }
    }
}

/// Where helm puts every chart's schema; relative references resolve against it.
const BASE: &str = "file:///values.schema.json";

/// Compiles a chart's `values.schema.json` as helm does: read as JSON by Go's decoder, checked
/// against its metaschema, compiled as [`BASE`] with its references loaded by [`Retriever`]. A
/// warning for each `urn:` reference goes to `warnings`; an error is worded as helm words it.
pub(crate) fn compile(
    text: &[u8],
    fetcher: Option<&Arc<dyn SchemaFetcher>>,
    warnings: &mut Warnings,
) -> Result<Compiled, String> {
    let mut schema = parse(text)?;
    let known = metaschema(&schema);
    // A draft's other spellings (`http://json-schema.org/schema#`, bitnami's, is the latest
    // draft to helm) are named as the crate knows them, which would otherwise fetch them.
    if let (Some((uri, _)), Json::Object(root)) = (&known, &mut schema)
        && root.contains_key("$schema")
    {
        root.insert("$schema".into(), Json::String(uri.clone()));
    }
    let schema = &schema;
    if let Some((uri, meta)) = known
        && !meta.as_ref().is_valid(schema)
    {
        let report = crate::schema_report::report(meta.as_ref(), schema);
        return Err(format!(
            "\"{BASE}#\" is not valid against metaschema: jsonschema validation failed with '{uri}'\n{}",
            report.trim_end()
        ));
    }
    let urns = Arc::default();
    let asked = Arc::default();
    let retriever = Retriever {
        fetcher: fetcher.cloned(),
        urns: Arc::clone(&urns),
        asked: Arc::clone(&asked),
    };
    let built = jsonschema::options()
        .with_base_uri(BASE)
        .with_retriever(retriever)
        .build(schema);
    let urns = urns.lock().unwrap_or_else(PoisonError::into_inner);
    warnings.extend(urns.iter().map(|u| urn_warning(u)));
    let validator = built.map_err(|e| {
        reference_error(schema, &e).unwrap_or_else(|| format!("invalid values.schema.json: {e}"))
    })?;
    Ok(Compiled {
        validator,
        standalone: !asked.load(Ordering::Relaxed),
    })
}

/// A compiled schema.
pub(crate) struct Compiled {
    pub(crate) validator: jsonschema::Validator,
    /// Compiled from the schema alone (no reference retrieved, no warning given): the same
    /// text compiles to the same validator every time, so it may be kept.
    pub(crate) standalone: bool,
}

/// The schema as santhosh-tekuri/jsonschema reads it: one JSON value (Go's decoder and its
/// wording), nothing after it.
fn parse(text: &[u8]) -> Result<Json, String> {
    let text = String::from_utf8_lossy(text);
    serde_json::from_str(&text).map_err(|e| {
        use serde_json::error::Category;
        if e.classify() == Category::Eof {
            let empty = text.trim_matches([' ', '\t', '\r', '\n']).is_empty();
            if empty { "EOF" } else { "unexpected EOF" }.to_owned()
        } else if e.to_string().starts_with("trailing characters") {
            "invalid character after top-level value".to_owned()
        } else {
            crate::funcs::encoding::go_json_error(&text, &e)
        }
    })
}

/// The metaschema helm checks `schema` against, by its `$schema` (2020-12 without one), with
/// the draft's own URL as helm names it: `http` or `https`, an empty fragment and
/// `json-schema.org/schema` (the latest draft) are the same draft to it. `None` for any other
/// metaschema, which only the crate's own check sees.
fn metaschema(schema: &Json) -> Option<(String, jsonschema::meta::MetaValidator<'static>)> {
    let named = match schema.get("$schema") {
        Some(Json::String(s)) => s.as_str(),
        _ => "https://json-schema.org/draft/2020-12/schema",
    };
    let bare = named.strip_suffix('#').unwrap_or(named);
    let bare = bare
        .strip_prefix("https://")
        .or(bare.strip_prefix("http://"))?;
    let (url, validator) = match bare {
        "json-schema.org/schema" | "json-schema.org/draft/2020-12/schema" => (
            "https://json-schema.org/draft/2020-12/schema",
            jsonschema::draft202012::meta::validator(),
        ),
        "json-schema.org/draft/2019-09/schema" => (
            "https://json-schema.org/draft/2019-09/schema",
            jsonschema::draft201909::meta::validator(),
        ),
        "json-schema.org/draft-07/schema" => (
            "http://json-schema.org/draft-07/schema",
            jsonschema::draft7::meta::validator(),
        ),
        "json-schema.org/draft-06/schema" => (
            "http://json-schema.org/draft-06/schema",
            jsonschema::draft6::meta::validator(),
        ),
        "json-schema.org/draft-04/schema" => (
            "http://json-schema.org/draft-04/schema",
            jsonschema::draft4::meta::validator(),
        ),
        _ => return None,
    };
    Some((format!("{url}#"), validator))
}

/// Helm's wording of a reference that could not be followed, if `e` is one.
fn reference_error(schema: &Json, e: &jsonschema::ValidationError<'_>) -> Option<String> {
    use jsonschema::ReferencingError as R;
    use jsonschema::error::ValidationErrorKind as K;
    let K::Referencing(e) = e.kind() else {
        return None;
    };
    match e {
        R::Unretrievable { uri, source } => {
            let uri = uri.split_once('#').map_or(uri.as_str(), |(u, _)| u);
            Some(format!("failing loading \"{uri}\": {source}"))
        }
        // The crate names only the fragment; helm names the whole reference.
        R::PointerToNowhere { pointer } => {
            let uri = referring_to(schema, pointer)?;
            Some(format!("json-pointer in \"{uri}\" not found"))
        }
        R::NoSuchAnchor { anchor } => {
            let uri = referring_to(schema, anchor)?;
            let document = uri.split_once('#').map_or(uri.as_str(), |(u, _)| u);
            Some(format!(
                "anchor in \"{uri}\" not found in schema \"{document}\""
            ))
        }
        _ => None,
    }
}

/// The absolute URI of the first `$ref` in `schema` whose fragment is `fragment`, resolved
/// against helm's base `file:///values.schema.json` (`$id`s are not followed).
fn referring_to(schema: &Json, fragment: &str) -> Option<String> {
    let reference = match schema {
        Json::Object(map) => map
            .get("$ref")
            .and_then(Json::as_str)
            .filter(|r| r.split_once('#').is_some_and(|(_, f)| f == fragment))
            .map(str::to_owned)
            .or_else(|| map.values().find_map(|v| referring_to(v, fragment))),
        Json::Array(items) => items.iter().find_map(|v| referring_to(v, fragment)),
        _ => None,
    }?;
    let scheme = reference
        .split_once(':')
        .is_some_and(|(s, _)| !s.is_empty() && !s.contains(['/', '#', '?']));
    Some(if reference.starts_with('#') {
        format!("{BASE}{reference}")
    } else if scheme {
        reference
    } else {
        format!(
            "file:///{}",
            reference.trim_start_matches("./").trim_start_matches('/')
        )
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::chart::{ChartFile, load};
    use crate::render::{RenderOptions, render_chart};

    /// Serves documents from memory and counts requests.
    #[derive(Debug, Default)]
    struct Memory {
        docs: BTreeMap<&'static str, &'static str>,
        asked: Mutex<Vec<String>>,
    }

    impl SchemaFetcher for Memory {
        fn fetch(&self, url: &str) -> Result<Vec<u8>, String> {
            self.asked.lock().expect("lock").push(url.to_owned());
            match self.docs.get(url) {
                Some(doc) => Ok(doc.as_bytes().to_vec()),
                None => Err(format!(
                    "HTTP request to {url} returned status 404 (Not Found)"
                )),
            }
        }
    }

    const DEFS: &str = r#"{"$defs": {"port": {"type": "integer", "maximum": 65535}}}"#;

    /// A chart whose schema is `schema`, with `port` as the value.
    fn demo_chart(schema: &str, port: &str) -> crate::chart::Chart {
        let files = vec![
            ChartFile::new(
                "Chart.yaml",
                b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec(),
            ),
            ChartFile::new("values.yaml", format!("port: {port}\n").into_bytes()),
            ChartFile::new("values.schema.json", schema.as_bytes().to_vec()),
            ChartFile::new("templates/cm.yaml", b"port: {{ .Values.port }}\n".to_vec()),
        ];
        load::load_files(files, &Default::default()).expect("chart loads")
    }

    /// Renders [`demo_chart`]; the error, if any.
    fn render(schema: &str, port: &str, fetcher: Option<Arc<dyn SchemaFetcher>>) -> Option<String> {
        let opts = RenderOptions {
            schema_fetcher: fetcher,
            ..Default::default()
        };
        render_chart(&demo_chart(schema, port), &opts)
            .err()
            .map(|e| e.to_string().trim_end().to_owned())
    }

    fn schema(url: &str) -> String {
        format!(r#"{{"properties": {{"port": {{"$ref": "{url}"}}}}}}"#)
    }

    const HEAD: &str =
        "values don't meet the specifications of the schema(s) in the following chart(s):\ndemo:\n";

    #[test]
    fn http_references_come_from_the_fetcher() {
        let memory = Arc::new(Memory {
            docs: BTreeMap::from([("https://example.com/defs.json", DEFS)]),
            ..Default::default()
        });
        let url = "https://example.com/defs.json#/$defs/port";
        assert_eq!(render(&schema(url), "8080", Some(memory.clone())), None);
        let refused = render(&schema(url), "70000", Some(memory.clone())).expect("refused");
        assert!(refused.starts_with(HEAD), "{refused}");
        assert!(
            refused.contains("maximum: got 70,000, want 65,535"),
            "{refused}"
        );
        assert!(
            memory
                .asked
                .lock()
                .expect("lock")
                .iter()
                .all(|u| u == "https://example.com/defs.json"),
            "fetched without the fragment"
        );
        let missing = render(&schema("https://example.com/none.json"), "1", Some(memory));
        assert_eq!(
            missing.as_deref(),
            Some(&*format!(
                "{HEAD}failing loading \"https://example.com/none.json\": HTTP request to https://example.com/none.json returned status 404 (Not Found)"
            ))
        );
    }

    /// Every spelling of a draft helm knows is that draft, checked without a request: bitnami's
    /// `http://json-schema.org/schema#` is the latest one.
    #[test]
    fn known_drafts_are_never_fetched() {
        let memory = Arc::new(Memory::default());
        for (named, draft) in [
            (
                "http://json-schema.org/schema#",
                "https://json-schema.org/draft/2020-12/schema#",
            ),
            (
                "https://json-schema.org/schema",
                "https://json-schema.org/draft/2020-12/schema#",
            ),
            (
                "http://json-schema.org/draft/2019-09/schema",
                "https://json-schema.org/draft/2019-09/schema#",
            ),
            (
                "https://json-schema.org/draft-07/schema#",
                "http://json-schema.org/draft-07/schema#",
            ),
            (
                "https://json-schema.org/draft-04/schema",
                "http://json-schema.org/draft-04/schema#",
            ),
        ] {
            let typed = format!(
                r#"{{"$schema": "{named}", "properties": {{"port": {{"type": "integer"}}}}}}"#
            );
            assert_eq!(render(&typed, "1", Some(memory.clone())), None, "{named}");
            let wrong = render(&typed, "\"x\"", Some(memory.clone())).expect("refused");
            assert!(
                wrong.ends_with("got string, want integer"),
                "{named}: {wrong}"
            );
            let broken = format!(
                r#"{{"$schema": "{named}", "properties": {{"port": {{"minimum": "x"}}}}}}"#
            );
            let error = render(&broken, "1", Some(memory.clone())).expect("refused");
            assert!(
                error.contains(&format!("jsonschema validation failed with '{draft}'")),
                "{named}: {error}"
            );
        }
        assert!(memory.asked.lock().expect("lock").is_empty());
    }

    /// A render through a cache compiles a schema once while its text stays the same; one
    /// with a remote reference is compiled, and fetched, every time, as helm fetches it.
    #[test]
    fn a_cache_keeps_schemas_compiled_from_their_text_alone() {
        use crate::template::ParseCache;
        let memory = Arc::new(Memory {
            docs: BTreeMap::from([("https://example.com/defs.json", DEFS)]),
            ..Default::default()
        });
        let render_cached = |schema: &str, port: &str, cache: &ParseCache| {
            let chart = demo_chart(schema, port);
            let opts = RenderOptions {
                schema_fetcher: Some(memory.clone()),
                ..Default::default()
            };
            let text = chart.schema.clone().expect("a schema");
            let result = crate::render::render_chart_cached(&chart, &opts, cache)
                .err()
                .map(|e| e.to_string());
            (result, cache.schema(&text).is_some())
        };
        let cache = ParseCache::new();
        let local = r#"{"properties": {"port": {"type": "integer"}}}"#;
        assert_eq!(render_cached(local, "1", &cache), (None, true));
        // Kept, and still checking the values it is given.
        let (refused, kept) = render_cached(local, "x", &cache);
        assert!(kept);
        assert!(
            refused
                .expect("refused")
                .contains("got string, want integer")
        );
        let remote = schema("https://example.com/defs.json#/$defs/port");
        assert_eq!(render_cached(&remote, "1", &cache), (None, false));
        assert_eq!(render_cached(&remote, "1", &cache), (None, false));
        assert_eq!(memory.asked.lock().expect("lock").len(), 2);
    }

    #[test]
    fn without_a_fetcher_a_remote_schema_fails_to_load() {
        let error = render(&schema("http://example.com/defs.json"), "1", None).expect("fails");
        assert_eq!(
            error,
            format!(
                "{HEAD}failing loading \"http://example.com/defs.json\": HTTP request failed for http://example.com/defs.json: schemas are not fetched from the network here (no schema fetcher configured)"
            )
        );
    }

    #[test]
    fn urn_references_allow_anything_and_relative_ones_resolve_against_the_chart_schema() {
        assert_eq!(render(&schema("urn:example:port"), "\"text\"", None), None);
        // Relative to helm's base `file:///values.schema.json`: a local file, not read.
        let error = render(&schema("defs.json"), "1", None).expect("fails");
        assert_eq!(
            error,
            format!(
                "{HEAD}failing loading \"file:///defs.json\": open /defs.json: local schema files are not read"
            )
        );
        // An in-document reference needs no loading at all.
        let local = r##"{"$defs": {"p": {"type": "integer"}}, "properties": {"port": {"$ref": "#/$defs/p"}}}"##;
        assert_eq!(render(local, "1", None), None);
    }
}
