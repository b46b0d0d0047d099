//! Rendering a chart the way `helm template` does, end to end.
//!
//! [`render_chart`] runs helm 4.3.1's pipeline: installable check, dependency presence,
//! dependency processing (conditions, tags, aliases, import-values), values coalescing, schema
//! validation, the `kubeVersion` check, one shared [`TemplateSet`] for the chart and its
//! subcharts (parsed deepest path first, so the parent's `define`s win), execution of every
//! non-`_` template, NOTES.txt removal, document splitting, hooks vs manifests, Helm 4's install
//! order. [`Rendered::output`] prints the result byte for byte like `helm template`.

use std::sync::{Arc, Mutex};

use crate::capabilities::Capabilities;
use crate::chart::{Chart, MetadataExt as _};
use crate::error::{Error, Result};
use crate::log::{Level, Record};
use crate::objects::Files;
use crate::output::{self, Hook, Manifest, PrintOptions};
use crate::schema_refs::SchemaFetcher;
use crate::template::{
    Error as TemplateError, Limits, LiveMaps, Mutations, ParseCache, Parsed, TemplateSet,
    parse_shared,
};
use crate::value::{Map, MapRef, Value};
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
    /// Where schemas named by `http`/`https` URL come from (helm fetches them); `None` fails
    /// such a schema as an unreachable network does (see [`crate::schema_refs`]).
    pub schema_fetcher: Option<Arc<dyn SchemaFetcher>>,
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
            schema_fetcher: None,
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
    /// What the render logged: coalescing warnings, unresolved `urn:` schema references.
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
    render(chart, opts, None, &mut Warnings::new())
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
    render(chart, opts, Some(cache), &mut Warnings::new())
}

/// [`render_chart`] (with `cache`, [`render_chart_cached`]) that appends each warning to `log`
/// when it arises, as helm logs it, so that a render which then fails has still said what it
/// warned about: `helm template` prints those lines before its `Error:`. On success the same
/// warnings are also in [`Rendered::warnings`].
///
/// ```
/// use kokumi_render::chart::{ChartFile, load};
/// use kokumi_render::render::{RenderOptions, render_chart_logged};
/// use kokumi_render::values::user_values;
///
/// let chart = load::load_files(
///     vec![
///         ChartFile::new("Chart.yaml", b"apiVersion: v2\nname: demo\nversion: 0.1.0\n".to_vec()),
///         ChartFile::new("values.yaml", b"port: 80\n".to_vec()),
///         ChartFile::new("templates/cm.yaml", b"{{ fail \"no\" }}".to_vec()),
///     ],
///     &Default::default(),
/// )?;
/// let values = user_values(&[], &["port.number=8080".into()], &[])?;
/// let opts = RenderOptions { values, ..Default::default() };
/// let mut log = Vec::new();
/// assert!(render_chart_logged(&chart, &opts, None, &mut log).is_err());
/// assert_eq!(log[0].to_string(), "warning: skipped value for demo.port: Not a table.");
/// assert_eq!(
///     log[0].helm_line(),
///     r#"level=INFO msg="warning: skipped value for demo.port: Not a table.""#
/// );
/// # Ok::<(), kokumi_render::error::Error>(())
/// ```
pub fn render_chart_logged(
    chart: &Chart,
    opts: &RenderOptions,
    cache: Option<&ParseCache>,
    log: &mut Warnings,
) -> Result<Rendered> {
    render(chart, opts, cache, log)
}

fn render(
    chart: &Chart,
    opts: &RenderOptions,
    cache: Option<&ParseCache>,
    log: &mut Warnings,
) -> Result<Rendered> {
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
    let logged_before = log.len();
    let warnings = log;
    let mut chart = chart.clone();
    if let Err(e) = values::process_dependencies(&mut chart, &opts.values, warnings) {
        // helm logs the failure (`slog.Error`) before returning it.
        let e = e.to_string();
        warnings.push(Record::with(
            Level::Error,
            "chart dependencies processing failed",
            "error",
            e.as_str(),
        ));
        return Err(Error::Dependencies(e));
    }

    let caps = Capabilities::new(opts.kube_version.as_deref(), &opts.api_versions)?;
    let vals = Value::map(values::coalesce_values(&chart, &opts.values, warnings)?);
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
    let mut templates: Vec<Renderable> = Vec::new();
    collect_templates(
        &chart,
        chart.name(),
        true,
        vals.clone(),
        &shared,
        &mut templates,
    );

    // Helm's parse order: more path segments first, then reverse lexical order.
    templates.sort_by(|a, b| b.depth.cmp(&a.depth).then_with(|| b.name.cmp(&a.name)));

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
        let fetcher = opts.schema_fetcher.as_ref();
        validate_schemas(&chart, vals, fetcher, cache, &mut report, warnings);
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
            (None, None) => {
                set.add_parsed(None, &t.name, &t.text, parse_shared(&t.name, &t.text))?;
            }
        }
    }

    // Templates execute in helm's order, each seeing the map mutations of those before it.
    // Spare threads run templates from the end of the list ahead of their turn (see
    // `ExecAhead`); the heads of this thread's files are read on a spare thread (when one is
    // free) while the next templates execute.
    let set = Arc::new(set);
    let head_cache = cache.map(ParseCache::heads);
    let jobs: Vec<ExecJob> = templates
        .iter()
        .filter(|t| {
            let base = t.name.rsplit('/').next().unwrap_or(&t.name);
            !base.starts_with('_')
        })
        .map(|t| ExecJob::new(t, head_cache))
        .collect();
    // Templates run ahead only in renders through a cache, once the last render through it
    // told where the first mutation later templates could see was: the templates after it
    // are not run ahead (their results would be thrown away). A render without one (or the
    // first through a cache) has spare threads busy parsing and reading heads already, and
    // two threads executing templates at once slow each other down (they count references to
    // the same values).
    let remembered = cache.and_then(ParseCache::shared_mutation);
    let until = match &remembered {
        None => None,
        Some(None) => Some(None),
        // A template this chart does not have (the cache served another chart): not known.
        Some(Some(name)) => jobs.iter().position(|j| *j.name == **name).map(Some),
    };
    let ahead = ExecAhead::start(&set, jobs, until);
    let heads = Queue::new(output::read_heads, 1, HEADS_WAKE_BYTES);
    let root_notes = format!("{}/templates/NOTES.txt", chart.name());
    let mut notes = String::new();
    let mut files = Vec::new();
    // While no template has changed a map other templates can reach, a template run ahead
    // (without the mutations before it) rendered what it renders in its turn.
    let live = std::cell::OnceCell::new();
    let live_maps = || {
        live.get_or_init(|| {
            let mut maps = LiveMaps::default();
            for t in &templates {
                maps.add(&Value::Map(t.context.clone().into()));
            }
            maps
        })
    };
    // Only tracked while templates run ahead, or to find out for the next render.
    let tracked = ahead.active() || (cache.is_some() && until.is_none());
    let mut pristine = tracked;
    let mut shared_mutation = None;
    for (k, job) in ahead.jobs().iter().enumerate() {
        let done = if pristine { ahead.take(k) } else { None };
        let output = match done {
            Some(Ok(Ok((output, mutations)))) => {
                if !mutations.is_empty() && mutations.reach(live_maps()) {
                    set.adopt(mutations);
                    pristine = false;
                    shared_mutation = Some(k);
                    ahead.stop();
                }
                output
            }
            Some(Ok(Err(e))) => return Err(e.into()),
            Some(Err(panic)) => std::panic::resume_unwind(panic),
            None => {
                let mut out = String::with_capacity(job.capacity);
                set.render_into(&job.name, &job.data, &mut out)?;
                if pristine && set.keep_if_reaching(live_maps) {
                    pristine = false;
                    shared_mutation = Some(k);
                    ahead.stop();
                }
                if job.notes {
                    ExecOutput::Notes(crate::template::without_no_value(out))
                } else {
                    // Heads known from the last render cost a comparison of the bytes.
                    let work = if job.seen.known() {
                        out.len() / 16
                    } else {
                        out.len()
                    };
                    heads.push(job.file(out), work);
                    continue;
                }
            }
        };
        match output {
            ExecOutput::Notes(out) => {
                if job.name == root_notes {
                    notes = out;
                }
            }
            ExecOutput::File(f) => files.push(f),
        }
    }
    if let Some(c) = cache
        && tracked
    {
        c.set_shared_mutation(shared_mutation.map(|k| ahead.jobs()[k].name.as_str()));
    }
    drop(ahead);
    files.extend(heads.finish());
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
        warnings: warnings[logged_before..].to_vec(),
        print: PrintOptions {
            no_hooks: opts.no_hooks,
            skip_tests: opts.skip_tests,
        },
    })
}

/// Rendered output worth waking a spare thread to read its heads (some tens of microseconds
/// of work when the heads are not known from the last render, against a few to wake it; most
/// charts render less than 32 KiB, which at that step left all of it to this thread).
const HEADS_WAKE_BYTES: usize = 8 * 1024;

/// One template to execute, with everything its execution needs on any thread.
struct ExecJob {
    name: String,
    /// Its dot: the chart's context with `.Template`.
    data: Value,
    /// The length of its text.
    text_len: usize,
    /// The output buffer's starting size: a template's output is rarely much longer than its
    /// text, so the buffer seldom has to grow (and copy everything written so far).
    capacity: usize,
    /// A NOTES.txt (rendered, never part of the manifests).
    notes: bool,
    seen: output::Seen,
}

impl ExecJob {
    fn new(t: &Renderable, head_cache: Option<&output::HeadCache>) -> Self {
        let mut data = (*t.context).clone();
        let mut tpl = Map::new();
        tpl.insert("Name".into(), Value::string(t.name.as_str()));
        tpl.insert("BasePath".into(), Value::string(t.base_path.as_str()));
        // Both are Helm's `common.Values`, as the render context is.
        data.insert("Template".into(), Value::Map(MapRef::values(Arc::new(tpl))));
        Self {
            name: t.name.clone(),
            data: Value::Map(MapRef::values(Arc::new(data))),
            text_len: t.text.len(),
            capacity: t.text.len() + t.text.len() / 2,
            notes: t.name.ends_with("NOTES.txt"),
            seen: output::Seen::of(&t.name, head_cache),
        }
    }

    fn file(&self, out: String) -> output::RenderedFile {
        output::RenderedFile::new(self.name.clone(), out, self.seen.clone())
    }
}

/// What a template executed ahead of its turn gave: a NOTES.txt's text, or a file with the
/// heads of its documents read.
enum ExecOutput {
    Notes(String),
    File(output::FileHeads),
}

type Ahead = std::thread::Result<std::result::Result<(ExecOutput, Mutations), TemplateError>>;

/// Templates executed ahead of their turn on spare threads, last first, each as if no
/// template had run before it ([`TemplateSet::render_fresh`]), while this thread executes
/// them in order from the first. This thread takes a result when it reaches that template
/// (and it stands if no template before changed a map the others can reach: the caller
/// checks), or executes the template itself if no spare thread has begun it, so it waits at
/// most for the one template a spare thread is on where the two meet; a spare thread stops
/// there, or when told to.
struct ExecAhead {
    shared: Arc<AheadShared>,
    started: bool,
}

struct AheadShared {
    set: Arc<TemplateSet>,
    jobs: Vec<ExecJob>,
    state: Mutex<AheadState>,
    /// Signalled when a result is in while the caller waits for it.
    done: std::sync::Condvar,
}

struct AheadState {
    /// The templates before this are this thread's.
    front: usize,
    /// Spare threads have taken the templates from this on (up to `limit`).
    back: usize,
    /// The templates from this on are not run ahead.
    limit: usize,
    stop: bool,
    /// The caller waits for a result.
    waiting: bool,
    results: Vec<Option<Ahead>>,
}

/// Template text worth executing ahead on spare threads (waking one costs a few
/// microseconds).
const EXEC_AHEAD_MIN_BYTES: usize = 64 * 1024;

impl ExecAhead {
    /// Runs `jobs` ahead if `until` says so: `Some(None)` all of them, `Some(Some(k))` those
    /// up to and including `k` (where a shared mutation is expected); if there are spare
    /// threads and enough template text for them.
    fn start(set: &Arc<TemplateSet>, jobs: Vec<ExecJob>, until: Option<Option<usize>>) -> Self {
        let n = jobs.len();
        let back = match until {
            None => 0,
            Some(None) => n,
            Some(Some(k)) => (k + 1).min(n),
        };
        let text: usize = jobs[..back].iter().map(|j| j.text_len).sum();
        let worth = back >= 2 && text >= EXEC_AHEAD_MIN_BYTES;
        let shared = Arc::new(AheadShared {
            set: set.clone(),
            jobs,
            done: std::sync::Condvar::new(),
            state: Mutex::new(AheadState {
                front: 0,
                back,
                limit: back,
                stop: !worth,
                waiting: false,
                results: std::iter::repeat_with(|| None).take(n).collect(),
            }),
        });
        let started = worth && {
            let helping = shared.clone();
            crate::worker::submit(usize::MAX, move || helping.help()) > 0
        };
        let ahead = Self { shared, started };
        if !started {
            ahead.stop();
        }
        ahead
    }

    /// Whether templates run ahead (spare threads were asked to).
    fn active(&self) -> bool {
        self.started
    }

    fn jobs(&self) -> &[ExecJob] {
        &self.shared.jobs
    }

    /// Template `k`'s result if a spare thread has it or is working on it (then this waits:
    /// it is the last template left, every later one is done); otherwise `k` is this
    /// thread's.
    fn take(&self, k: usize) -> Option<Ahead> {
        let mut state = self.shared.lock();
        loop {
            if let Some(r) = state.results.get_mut(k).and_then(Option::take) {
                return Some(r);
            }
            if state.stop || k < state.back || k >= state.limit {
                state.front = state.front.max(k + 1);
                return None;
            }
            state.waiting = true;
            state = self
                .shared
                .done
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            state.waiting = false;
        }
    }

    /// No more templates ahead: what the spare threads do now would be thrown away.
    fn stop(&self) {
        self.shared.lock().stop = true;
    }
}

impl Drop for ExecAhead {
    fn drop(&mut self) {
        self.stop();
    }
}

impl AheadShared {
    fn lock(&self) -> std::sync::MutexGuard<'_, AheadState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn help(&self) {
        loop {
            let j = {
                let mut state = self.lock();
                if state.stop || state.back <= state.front {
                    return;
                }
                state.back -= 1;
                state.back
            };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run(j)));
            let mut state = self.lock();
            if state.stop {
                return;
            }
            state.results[j] = Some(r);
            if state.waiting {
                self.done.notify_all();
            }
        }
    }

    fn run(&self, j: usize) -> std::result::Result<(ExecOutput, Mutations), TemplateError> {
        let job = &self.jobs[j];
        let mut out = String::with_capacity(job.capacity);
        let mutations = self.set.render_fresh(&job.name, &job.data, &mut out)?;
        let output = if job.notes {
            ExecOutput::Notes(crate::template::without_no_value(out))
        } else {
            ExecOutput::File(output::read_heads(job.file(out)))
        };
        Ok((output, mutations))
    }
}

/// Template text worth spare threads: below this, parsing takes less time than handing files
/// to another thread and taking the trees back saves (parsing runs at some tens of
/// instructions per byte; waking a spare thread costs a few microseconds).
const PARSE_AHEAD_MIN_BYTES: usize = 8 * 1024;

/// Files being parsed on spare threads, with the position of each among the templates.
struct ParseAhead {
    queue: Queue<(String, Arc<str>), Parsed>,
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
fn parse_ahead(templates: &[Renderable], cache: Option<&ParseCache>) -> Option<ParseAhead> {
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
    let queue = Queue::new(parse_file, usize::MAX, 0);
    for &i in &positions {
        queue.push((templates[i].name.clone(), templates[i].text.clone()), 0);
    }
    Some(ParseAhead {
        queue,
        positions,
        templates: templates.len(),
    })
}

/// One template file parsed (on a spare thread).
fn parse_file((name, text): (String, Arc<str>)) -> Parsed {
    parse_shared(&name, &text)
}

struct Shared {
    release: Value,
    capabilities: Value,
}

struct Renderable {
    name: String,
    /// How many `/` the name has (helm parses deeper templates first).
    depth: usize,
    /// Its text, shared with the chart (see [`crate::chart::ChartFile::with_shared_text`])
    /// and with spare threads.
    text: Arc<str>,
    base_path: String,
    context: Arc<Map>,
}

/// Helm's `recAllTpls`: builds each chart's template context (its `.Values` scope, `.Chart`,
/// `.Files`, `.Subcharts`) and collects its templates under their full names. Returns the
/// chart's context (for the parent's `.Subcharts`).
fn collect_templates(
    chart: &Chart,
    full_path: &str,
    is_root: bool,
    values: Value,
    shared: &Shared,
    out: &mut Vec<Renderable>,
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
    // `.Values` is a `common.Values` (helm's `Values.Table`), the context a plain map.
    let values = match values {
        Value::Map(m) => Value::Map(MapRef::values(m.arc().clone())),
        other => other,
    };
    ctx.insert("Values".into(), values);
    ctx.insert("Subcharts".into(), Value::map(subcharts));
    let ctx = Arc::new(ctx);
    let library = chart.is_library();
    for t in &chart.templates {
        let base = t.name.rsplit('/').next().unwrap_or(&t.name);
        if library && !base.starts_with('_') {
            continue;
        }
        let name = format!("{full_path}/{}", t.name);
        out.push(Renderable {
            depth: memchr::memchr_iter(b'/', name.as_bytes()).count(),
            name,
            text: t.shared_text(),
            base_path: format!("{full_path}/templates"),
            context: ctx.clone(),
        });
    }
    Value::Map(ctx.into())
}

/// Values as JSON for schema validation (integral floats as integers, like Go's decoder sees
/// them through `float64`, which JSON Schema's `integer` accepts).
pub(crate) fn to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Nil => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) | Value::Int64(i) => serde_json::Value::from(*i),
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
///
/// A schema compiled from its text alone is kept in `cache` and not compiled again while its
/// text is the same (one that referred to anything else is compiled every time, as helm
/// fetches its references every time).
fn validate_schemas(
    chart: &Chart,
    values: &Map,
    fetcher: Option<&Arc<dyn SchemaFetcher>>,
    cache: Option<&ParseCache>,
    report: &mut String,
    warnings: &mut Warnings,
) {
    if let Some(schema) = &chart.schema {
        let mut errs = String::new();
        let compiled = match cache.and_then(|c| c.schema(schema)) {
            Some(validator) => Ok(validator),
            None => crate::schema_refs::compile(schema, fetcher, warnings).map(|c| {
                let validator = Arc::new(c.validator);
                if let (Some(cache), true) = (cache, c.standalone) {
                    cache.keep_schema(schema, Arc::clone(&validator));
                }
                validator
            }),
        };
        match compiled {
            // Helm ends a schema it cannot use without a newline.
            Err(e) => errs.push_str(&e),
            Ok(validator) => {
                let instance = to_json(&Value::map(values.clone()));
                errs.push_str(&crate::schema_report::report(&validator, &instance));
            }
        }
        if !errs.is_empty() {
            report.push_str(&format!("{}:\n{errs}", chart.name()));
        }
    }
    for sub in &chart.dependencies {
        match values.get(sub.name()) {
            None | Some(Value::Nil) => {}
            Some(Value::Map(m)) => validate_schemas(sub, m, fetcher, cache, report, warnings),
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

    fn render(chart: &Chart, opts: &RenderOptions, cache: Option<&ParseCache>) -> Result<Rendered> {
        render_chart_logged(chart, opts, cache, &mut Warnings::new())
    }

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

    /// A chart whose templates execute in the order `c.yaml`, `b.yaml`, `a.yaml` (helm's:
    /// reverse lexical), `c.yaml` slowly, so that a spare thread has executed the other two
    /// ahead of their turn by the time it ends, plus enough template text to execute ahead at
    /// all. `a.yaml` prints `.Values.x`.
    fn slow_first(c_also: &str, b_also: &str) -> Chart {
        let filler = format!("{{{{/* {} */}}}}\n", "f".repeat(EXEC_AHEAD_MIN_BYTES));
        chart(&[
            ("templates/z-filler.yaml", filler.as_str()),
            (
                "templates/c.yaml",
                &format!("{{{{ range until 20000 }}}}{{{{ end }}}}{c_also}kind: C\n"),
            ),
            ("templates/b.yaml", &format!("{b_also}kind: B\n")),
            ("templates/a.yaml", "kind: A\nx: {{ .Values.x | quote }}\n"),
        ])
    }

    const SET_X: &str = "{{ $_ := set .Values \"x\" \"set\" }}";

    /// Renders `c` through `cache` (templates run ahead from the second render on), several
    /// times, and without a cache: each output or error.
    fn renders(c: &Chart, opts: &RenderOptions, cache: &ParseCache) -> Vec<String> {
        let mut all = Vec::new();
        for i in 0..6 {
            let r = render(c, opts, (i > 0).then_some(cache));
            all.push(r.map_or_else(|e| e.to_string(), |r| r.output()));
        }
        all
    }

    #[test]
    fn a_mutation_of_the_values_reaches_the_templates_after_it() {
        // Made by the template this thread executes, and by one executed ahead.
        for c in [slow_first(SET_X, ""), slow_first("", SET_X)] {
            let cache = ParseCache::new();
            for out in renders(&c, &RenderOptions::default(), &cache) {
                assert!(out.contains("x: \"set\""), "{out}");
            }
            assert!(cache.shared_mutation().is_some_and(|m| m.is_some()));
        }
    }

    #[test]
    fn templates_past_the_remembered_mutation_still_render() {
        // The cache remembers a shared mutation in c.yaml; the next chart through it has
        // none, so this thread goes on past the templates that were run ahead.
        let cache = ParseCache::new();
        for out in renders(&slow_first(SET_X, ""), &RenderOptions::default(), &cache) {
            assert!(out.contains("x: \"set\""), "{out}");
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let c = slow_first("", "");
            let _ = tx.send(renders(&c, &RenderOptions::default(), &cache));
        });
        let outs = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("renders end");
        for out in outs {
            assert!(out.contains("kind: A"), "{out}");
        }
    }

    #[test]
    fn a_mutation_of_a_template_s_own_dict_stays_there() {
        let local = "{{ $d := dict }}{{ $_ := set $d \"x\" \"local\" }}";
        let mut opts = RenderOptions::default();
        opts.values.insert("x".into(), Value::string("value"));
        let cache = ParseCache::new();
        for out in renders(&slow_first(local, local), &opts, &cache) {
            assert!(out.contains("x: \"value\""), "{out}");
        }
        assert!(cache.shared_mutation().is_some_and(|m| m.is_none()));
        for out in renders(&slow_first(SET_X, local), &opts, &ParseCache::new()) {
            assert!(out.contains("x: \"set\""), "{out}");
        }
    }

    #[test]
    fn the_first_error_in_helm_order_is_reported_when_later_templates_ran_ahead() {
        let fail = |what: &str| format!("{{{{ fail \"{what} failed\" }}}}");
        let opts = RenderOptions::default();
        for (c_also, b_also, want) in [
            (String::new(), fail("b"), "b failed"),
            (fail("c"), fail("b"), "c failed"),
        ] {
            // The cache first learns that this chart's templates can run ahead.
            let cache = ParseCache::new();
            render(&slow_first("", ""), &opts, Some(&cache)).expect("renders");
            for e in renders(&slow_first(&c_also, &b_also), &opts, &cache) {
                assert!(e.contains(want), "{e}");
            }
        }
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
