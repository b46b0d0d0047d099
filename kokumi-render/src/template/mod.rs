//! Go's `text/template`, as Helm runs it.
//!
//! A [`TemplateSet`] holds every parsed template of a render (files and their `define`s, one
//! shared namespace, later definitions winning) and executes one by name with a data value as
//! dot. Semantics follow Go's `text/template` exactly as Helm 4.3.1 configures it:
//! `missingkey=zero`, `<no value>` removed from the output, Helm's `include`, `tpl`,
//! `required`, `fail` and `lookup` bound per render, and errors worded as `helm template`
//! prints them (see [`Error`]).
//!
//! Design: the lexer produces a token list, the parser builds a tree of nodes with byte
//! positions in which every function name is already resolved to a pointer (Sprig and Helm's
//! pure functions through [`crate::funcs::lookup`], Go's builtins, the engine-bound Helm
//! functions), and the executor walks that tree writing into one `String`. Values are
//! reference-counted, so passing dot or a map around never copies it. Go mutates maps in
//! place (`set`, `merge`, ...); values here are immutable, so the executor records each
//! mutated map's replacement by identity and resolves later reads of the old map to it.
//!
//! Limits: include/tpl recursion per template name is capped at 1000 like Helm; a total
//! template nesting depth, a step budget and an output size cap ([`Limits`]) end pathological
//! templates with an error, including loops that rebuild growing values and values that share
//! their maps and lists until their expansion is exponential. Deep recursion grows the stack on
//! the heap instead of overflowing.
//!
//! ```
//! use kokumi_render::template::TemplateSet;
//! use kokumi_render::value::{Map, Value};
//!
//! let mut set = TemplateSet::new();
//! set.add("c/templates/_helpers.tpl", r#"{{ define "name" }}{{ .Values.name | default "x" }}{{ end }}"#)?;
//! set.add("c/templates/cm.yaml", r#"name: {{ include "name" . }}{{ .Values.missing }}"#)?;
//! let mut values = Map::new();
//! values.insert("name".into(), Value::from("web"));
//! let mut data = Map::new();
//! data.insert("Values".into(), Value::map(values));
//! assert_eq!(set.render("c/templates/cm.yaml", &Value::map(data))?, "name: web");
//! # Ok::<(), kokumi_render::template::Error>(())
//! ```

mod ast;
mod builtins;
mod error;
mod exec;
mod lex;
mod parse;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::value::Value;

pub use error::{Error, ExecError};

use ast::Tree;

/// Templates by name.
pub(crate) type Templates = BTreeMap<String, Arc<Tree>>;

/// The name `tpl` parses its text under (Helm's root template is called `gotpl`).
pub(crate) const TPL_NAME: &str = "gotpl";

/// Bounds on one render, so that a pathological template ends with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Maximum evaluation steps (actions, control structures, range iterations, and function
    /// results: a string costs one step per 64 bytes, a list or map one per element).
    pub max_steps: u64,
    /// Maximum bytes written, counting the output of `include` and `tpl`. Also the largest
    /// string a function may return, and the largest expanded size (nodes plus string bytes)
    /// of a list or map that is printed, encoded, deep-copied, merged or compared.
    pub max_output: usize,
    /// Maximum nesting of template invocations and parenthesised pipelines.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_steps: 200_000_000,
            max_output: 512 * 1024 * 1024,
            max_depth: 10_000,
        }
    }
}

impl Limits {
    /// Limits with the given step budget.
    pub fn with_max_steps(mut self, steps: u64) -> Self {
        self.max_steps = steps;
        self
    }

    /// Limits with the given output cap in bytes.
    pub fn with_max_output(mut self, bytes: usize) -> Self {
        self.max_output = bytes;
        self
    }

    /// Limits with the given template nesting depth.
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }
}

/// Parsed files kept between renders, so that rendering the same chart again skips lexing and
/// parsing (the operator renders one chart for many Orders).
///
/// Entries are keyed by template name and checked against the whole text, so a changed file is
/// parsed again and replaces its entry; only files that parse are kept (a parse error is
/// reported again on every render). Trees are immutable and shared; a render's state (map
/// mutations, include depth) lives in the render, never in the cache. Memory grows with the
/// number of distinct template names seen.
///
/// It also keeps the documents each template rendered last and their heads (the fields Helm's
/// install order reads), so a template that renders the same bytes again is not checked line
/// by line again (see [`crate::output`]).
#[derive(Default)]
pub struct ParseCache {
    entries: Mutex<BTreeMap<String, CachedFile>>,
    heads: crate::output::HeadCache,
    /// The template of the last render whose map mutations later templates could see (`None`
    /// inside: there was none; `None`: not known), for scheduling the next render.
    shared_mutation: Mutex<Option<Option<Box<str>>>>,
    /// Compiled `values.schema.json` files, by their text, most recent last.
    schemas: Mutex<Vec<KeptSchema>>,
}

/// A schema's text and the validator compiled from it.
type KeptSchema = (Arc<[u8]>, Arc<jsonschema::Validator>);

/// How many compiled schemas a [`ParseCache`] keeps.
const SCHEMAS_KEPT: usize = 32;

/// One file's trees, with the text they were parsed from.
type CachedFile = (Arc<str>, Arc<[Arc<Tree>]>);

impl std::fmt::Debug for ParseCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ParseCache")
            .field("files", &self.len())
            .finish()
    }
}

impl ParseCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many files it holds.
    pub fn len(&self) -> usize {
        match self.entries.lock() {
            Ok(e) => e.len(),
            Err(poisoned) => poisoned.into_inner().len(),
        }
    }

    /// Whether it holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The heads of documents rendered before.
    pub(crate) fn heads(&self) -> &crate::output::HeadCache {
        &self.heads
    }

    /// The template of the last render whose map mutations later templates could see, if the
    /// render knew: `Some(None)` if none did.
    pub(crate) fn shared_mutation(&self) -> Option<Option<Box<str>>> {
        self.shared_mutation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Keeps what a render found out about its shared mutations.
    pub(crate) fn set_shared_mutation(&self, template: Option<&str>) {
        *self
            .shared_mutation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(template.map(Box::from));
    }

    /// The validator compiled earlier from a schema with this text.
    pub(crate) fn schema(&self, text: &Arc<[u8]>) -> Option<Arc<jsonschema::Validator>> {
        let kept = self
            .schemas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.iter()
            .rev()
            .find(|(t, _)| Arc::ptr_eq(t, text) || **t == **text)
            .map(|(_, v)| Arc::clone(v))
    }

    /// Keeps a validator compiled from `text` alone, dropping the oldest beyond a few dozen.
    pub(crate) fn keep_schema(&self, text: &Arc<[u8]>, validator: Arc<jsonschema::Validator>) {
        let mut kept = self
            .schemas
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        kept.retain(|(t, _)| **t != **text);
        if kept.len() >= SCHEMAS_KEPT {
            kept.remove(0);
        }
        kept.push((Arc::clone(text), validator));
    }

    /// Whether it holds the trees of this name and text.
    pub(crate) fn contains(&self, name: &str, text: &str) -> bool {
        self.entries
            .lock()
            .ok()
            .and_then(|e| e.get(name).map(|(source, _)| same_text(source, text)))
            .unwrap_or(false)
    }

    fn get(&self, name: &str, text: &str) -> Option<Arc<[Arc<Tree>]>> {
        let entries = self.entries.lock().ok()?;
        let (source, trees) = entries.get(name)?;
        same_text(source, text).then(|| trees.clone())
    }

    fn put(&self, name: &str, text: &str, trees: Arc<[Arc<Tree>]>) {
        // The top-level tree holds the file's text; keep that copy as the key's check.
        let source = trees
            .first()
            .map_or_else(|| Arc::from(text), |t| t.source.clone());
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(name.to_string(), (source, trees));
        }
    }
}

/// Helm's removal of `<no value>` from a template's output.
pub(crate) fn without_no_value(out: String) -> String {
    if memchr::memmem::find(out.as_bytes(), b"<no value>").is_some() {
        out.replace("<no value>", "")
    } else {
        out
    }
}

/// Whether a cached file's text is `text`: at once when it is the very text the trees were
/// parsed from (a chart loaded once and rendered again shares it), else byte for byte.
fn same_text(source: &Arc<str>, text: &str) -> bool {
    std::ptr::eq(&**source, text) || **source == *text
}

/// One file's trees (or its parse error), parsed by [`parse_shared`] for
/// [`TemplateSet::add_parsed`].
pub(crate) struct Parsed(Result<Arc<[Arc<Tree>]>, Error>);

/// Parses one file whose text is already shared, so that it can be parsed on another thread
/// than the one that builds the set (the trees keep the text without another copy).
pub(crate) fn parse_shared(name: &str, text: &Arc<str>) -> Parsed {
    Parsed(parse::parse_source(name, text).map(|trees| trees.into_iter().map(Arc::new).collect()))
}

/// The map mutations of one [`TemplateSet::render_fresh`].
pub(crate) struct Mutations(exec::Forward);

impl Mutations {
    /// Whether they replaced a map in `live`, which later templates could see.
    pub(crate) fn reach(&self, live: &LiveMaps) -> bool {
        self.0.reaches(&live.0)
    }

    /// Whether there are none at all.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The maps every template of a render can reach from its starting data (`.Values`, `.Chart`,
/// `.Release`, `.Subcharts` and all they hold), by identity: a mutation of any other map (one
/// a template built itself) dies with that template.
#[derive(Default)]
pub(crate) struct LiveMaps(std::collections::BTreeSet<usize>);

impl LiveMaps {
    /// Adds `v` and every map inside it (with a stack of its own, however deep they nest).
    pub(crate) fn add(&mut self, v: &Value) {
        let mut todo = vec![v.clone()];
        while let Some(v) = todo.pop() {
            match v {
                Value::Map(m) if self.0.insert(exec::Forward::identity(m.arc())) => {
                    todo.extend(m.values().filter(|c| is_container(c)).cloned());
                }
                Value::List(items) => {
                    todo.extend(items.iter().filter(|c| is_container(c)).cloned());
                }
                _ => {}
            }
        }
    }
}

fn is_container(v: &Value) -> bool {
    matches!(v, Value::Map(_) | Value::List(_))
}

/// A set of parsed templates sharing one namespace, as Helm builds for a chart and its
/// subcharts.
///
/// Map mutations made by `set`, `unset`, `merge`, ... during a render stay visible to later
/// [`render`](Self::render) calls on the same set, as they do across the files of one Helm
/// render; [`reset`](Self::reset) forgets them.
#[derive(Default)]
pub struct TemplateSet {
    templates: Templates,
    limits: Limits,
    forward: Mutex<(exec::Forward, exec::Scratch)>,
    /// What [`render_fresh`](Self::render_fresh) calls left for the next ones (buffers,
    /// include sites, `tpl` trees, field reads), one per call running at a time.
    fresh: Mutex<Vec<exec::Scratch>>,
}

impl std::fmt::Debug for TemplateSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateSet")
            .field("templates", &self.templates.keys().collect::<Vec<_>>())
            .field("limits", &self.limits)
            .finish()
    }
}

impl TemplateSet {
    /// An empty set with default [`Limits`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with the given limits.
    pub fn with_limits(limits: Limits) -> Self {
        Self {
            limits,
            ..Self::default()
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Parses one file's text under its name (e.g. `mychart/templates/deploy.yaml`).
    ///
    /// The file's `define`s and `block`s join the set; a definition replaces an earlier one
    /// of the same name unless it is empty (only whitespace and comments), as in Go.
    pub fn add(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let trees = parse::parse_file(name, text)?;
        self.add_trees(trees.into_iter().map(Arc::new));
        Ok(())
    }

    /// Adds one file's trees (as [`add`](Self::add) parsed them), with `add`'s rule for empty
    /// definitions.
    fn add_trees(&mut self, trees: impl IntoIterator<Item = Arc<Tree>>) {
        // What renders kept points into the trees; some may be replaced now.
        match self.forward.get_mut() {
            Ok(f) => f.1 = exec::Scratch::default(),
            Err(poisoned) => poisoned.into_inner().1 = exec::Scratch::default(),
        }
        match self.fresh.get_mut() {
            Ok(f) => f.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
        for t in trees {
            if t.is_empty()
                && let Some(old) = self.templates.get(&*t.name)
                && !old.is_empty()
            {
                continue;
            }
            self.templates.insert(t.name.to_string(), t);
        }
    }

    /// Adds a file [`parse_shared`] parsed (on any thread), keeping its trees in `cache`; the
    /// file's parse error if it had one, as [`add`](Self::add) would have reported it.
    pub(crate) fn add_parsed(
        &mut self,
        cache: Option<&ParseCache>,
        name: &str,
        text: &str,
        parsed: Parsed,
    ) -> Result<(), Error> {
        let trees = parsed.0?;
        if let Some(cache) = cache {
            cache.put(name, text, trees.clone());
        }
        self.add_trees(trees.iter().cloned());
        Ok(())
    }

    /// Like [`add`](Self::add), reusing the trees `cache` holds for this name and text, and
    /// keeping what it parses there.
    pub fn add_cached(&mut self, cache: &ParseCache, name: &str, text: &str) -> Result<(), Error> {
        let hit = cache.get(name, text);
        let trees = match hit {
            Some(trees) => trees,
            None => {
                let trees: Arc<[Arc<Tree>]> = parse::parse_file(name, text)?
                    .into_iter()
                    .map(Arc::new)
                    .collect();
                cache.put(name, text, trees.clone());
                trees
            }
        };
        self.add_trees(trees.iter().cloned());
        Ok(())
    }

    /// Whether the set holds a template called `name`.
    pub fn contains(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// The names of all templates (files and definitions), sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.templates.keys().map(String::as_str)
    }

    /// Forgets the map mutations recorded by earlier renders.
    pub fn reset(&self) {
        if let Ok(mut f) = self.forward.lock() {
            f.0 = exec::Forward::default();
        }
    }

    /// [`render_into`](Self::render_into) as if no template had run before it in this set
    /// (without the map mutations earlier renders recorded), returning the mutations this one
    /// made instead of recording them: a template can run this way on any thread, ahead of its
    /// turn, and its result stands if the renders before it turn out to leave nothing it could
    /// see (see [`Mutations::reach`]).
    pub(crate) fn render_fresh(
        &self,
        name: &str,
        data: &Value,
        out: &mut String,
    ) -> Result<Mutations, Error> {
        let mut forward = exec::Forward::default();
        let pool = || {
            self.fresh
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let mut scratch = pool().pop().unwrap_or_default();
        let r = self.execute(name, data, out, &mut forward, &mut scratch);
        pool().push(scratch);
        r?;
        Ok(Mutations(forward))
    }

    /// Takes `m`, a [`render_fresh`](Self::render_fresh)'s mutations, as the mutations
    /// recorded so far (those recorded before are dropped: the caller knows no later template
    /// can see them).
    pub(crate) fn adopt(&self, m: Mutations) {
        self.forward
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .0 = m.0;
    }

    /// Whether the mutations recorded so far reach a map in `live` (asked for only when there
    /// are any); if they do not, they are forgotten (no later template could see them), so
    /// that the next check only looks at new ones.
    pub(crate) fn keep_if_reaching<'l>(&self, live: impl FnOnce() -> &'l LiveMaps) -> bool {
        let mut forward = self
            .forward
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if forward.0.is_empty() {
            return false;
        }
        if forward.0.reaches(&live().0) {
            return true;
        }
        forward.0 = exec::Forward::default();
        false
    }

    /// Executes template `name` with `data` as dot, Helm's `<no value>` removal applied.
    pub fn render(&self, name: &str, data: &Value) -> Result<String, Error> {
        let mut out = String::new();
        self.render_into(name, data, &mut out)?;
        Ok(without_no_value(out))
    }

    /// Like [`render`](Self::render) but appends the raw output (with `<no value>` left in)
    /// to `out`.
    pub fn render_into(&self, name: &str, data: &Value, out: &mut String) -> Result<(), Error> {
        let mut guard = match self.forward.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (forward, scratch) = &mut *guard;
        self.execute(name, data, out, forward, scratch)
    }

    fn execute(
        &self,
        name: &str,
        data: &Value,
        out: &mut String,
        forward: &mut exec::Forward,
        scratch: &mut exec::Scratch,
    ) -> Result<(), Error> {
        let Some(tree) = self.templates.get(name).cloned() else {
            return Err(Error::NoTemplate {
                name: name.to_string(),
            });
        };
        let mut ex = exec::Exec::new(&self.templates, &self.limits, forward, scratch);
        let r = ex.exec_tree(&tree, data, false, out);
        ex.finish(scratch);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn send_sync<T: Send + Sync>() {}

    #[test]
    fn fresh_renders_reuse_scratch_but_follow_new_definitions_and_fail_alike() {
        let data = Value::Nil;
        let mut set = TemplateSet::new();
        set.add("t", r#"{{ define "d" }}1{{ end }}{{ include "d" . }}"#)
            .unwrap();
        set.add(
            "loop",
            r#"{{ define "l" }}{{ include "l" . }}{{ end }}{{ include "l" . }}"#,
        )
        .unwrap();
        let fresh = |set: &TemplateSet, name: &str| {
            let mut out = String::new();
            set.render_fresh(name, &data, &mut out)
                .map(|_| out)
                .map_err(|e| e.to_string())
        };
        assert_eq!(fresh(&set, "t").unwrap(), "1");
        // A failed render leaves its include counts at zero for the next one.
        let e1 = fresh(&set, "loop").unwrap_err();
        let e2 = fresh(&set, "loop").unwrap_err();
        assert!(e1.contains("nested reference name: l"), "{e1}");
        assert_eq!(e1, e2);
        // A definition added later replaces the one the kept include sites point to.
        set.add("u", r#"{{ define "d" }}2{{ end }}"#).unwrap();
        assert_eq!(fresh(&set, "t").unwrap(), "2");
    }

    #[test]
    fn parse_cache_reuses_refreshes_and_never_keeps_errors() {
        send_sync::<ParseCache>();
        let cache = ParseCache::new();
        let data = Value::Nil;
        let mut a = TemplateSet::new();
        a.add_cached(
            &cache,
            "t",
            r#"{{ define "d" }}x{{ end }}a{{ include "d" . }}"#,
        )
        .unwrap();
        assert_eq!(a.render("t", &data).unwrap(), "ax");
        let first = cache.get("t", r#"{{ define "d" }}x{{ end }}a{{ include "d" . }}"#);
        // A second set gets the same trees, the define included.
        let mut b = TemplateSet::new();
        b.add_cached(
            &cache,
            "t",
            r#"{{ define "d" }}x{{ end }}a{{ include "d" . }}"#,
        )
        .unwrap();
        assert_eq!(b.render("t", &data).unwrap(), "ax");
        let again = cache.get("t", r#"{{ define "d" }}x{{ end }}a{{ include "d" . }}"#);
        assert!(first.zip(again).is_some_and(|(x, y)| Arc::ptr_eq(&x, &y)));
        // Changed text under the same name is parsed again and replaces the entry.
        let mut c = TemplateSet::new();
        c.add_cached(&cache, "t", "b{{ 2 }}").unwrap();
        assert_eq!(c.render("t", &data).unwrap(), "b2");
        assert_eq!(cache.len(), 1);
        // A parse error is reported every time and not kept.
        let mut d = TemplateSet::new();
        let e1 = d
            .add_cached(&cache, "u", "{{ end }}")
            .unwrap_err()
            .to_string();
        let e2 = d
            .add_cached(&cache, "u", "{{ end }}")
            .unwrap_err()
            .to_string();
        assert_eq!(e1, e2);
        assert_eq!(cache.len(), 1);
        // An empty definition from a cached file does not replace a non-empty one.
        let mut e = TemplateSet::new();
        e.add_cached(&cache, "t2", r#"{{ define "d" }}y{{ end }}"#)
            .unwrap();
        e.add_cached(
            &cache,
            "t3",
            r#"{{ define "d" }} {{ end }}{{ include "d" . }}"#,
        )
        .unwrap();
        assert_eq!(e.render("t3", &data).unwrap(), "y");
    }
}
