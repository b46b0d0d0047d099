//! The pipeline: Order (+ Menu, Recipe, Pantry) → an immutable, pushed, recorded Preparation.
//!
//! Stages, each with its own error variant:
//!
//! 1. **resolve** ([`resolve`], pure): find the source, check the Order against its Menu's
//!    override policy, layer values (Menu base → Recipe → Order), collect patches (Menu → Order →
//!    edits), take Helm options and the image policy from the Recipe;
//! 2. **fetch** the source and identify it by digest ([`crate::source`]);
//! 3. **config hash** over the resolved inputs (not the destination: where an artifact is
//!    pushed does not change what it is). An existing Preparation of the Order with the same
//!    hash is the answer — nothing renders — once its artifact is confirmed present in the
//!    destination (a missing artifact is rendered and pushed again, verified by digest; a
//!    Preparation recorded at another destination gets its artifact there and its
//!    `status.ociRef` follows, [`Outcome::Relocated`]);
//! 4. **render** the chart ([`crate::render::Renderer`]) or take the bundle's files;
//! 5. **patch** (core) and check the Recipe's **image policy**;
//! 6. **pack** reproducibly and **push** to the destination store;
//! 7. **record** the Preparation (`<order>-<12 hex>`, Ready), the Order's status, and — when the
//!    Order auto-deploys — move its Serving ([`crate::lifecycle`]).
//!
//! Same inputs ⇒ same artifact digest ⇒ same Preparation name: a retry never duplicates. Each
//! stage is reported to an [`Observer`] as it starts ([`Stage`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kokumi_core::api::condition::{self, ConditionStatus, Conditions as _};
use kokumi_core::api::{
    Artifact, AutoDeploy, ImagePolicy, Layout, Menu, ORDER_LABEL, Order, OrderStatus, Pantry,
    Preparation, PreparationSource, PreparationSpec, PreparationStatus, Recipe, RenderType,
    Renderer as RendererInfo,
};
use kokumi_core::digest::{ConfigInputs, Digest, preparation_name};
use kokumi_core::document::{self, Limits};
use kokumi_core::patch::Patch;
use kokumi_core::patch::apply::{PatchContext, apply_patches_in_order};
use kube::ResourceExt as _;
use serde_json::{Value, json};

use crate::artifact::{self, ArtifactMeta, Packed};
use crate::error::{Error, Result};
use crate::record::RecordStore;
use crate::render::{HelmOptions, RenderedChart, Renderer};
use crate::source::{FetchedSource, SourceContent, SourceLocation, Sources};

/// Annotation the CLI puts on an Order applied from a file: the file's directory, against which
/// relative local source paths are resolved.
pub const BASE_DIR_ANNOTATION: &str = "local.kokumi.dev/base-dir";

/// Annotation holding the commit message of the next Preparation (`kokumi apply -m`).
pub const MESSAGE_ANNOTATION: &str = "delivery.kokumi.dev/message";

/// The reason of an Order's `Ready=True` condition: its latest Preparation is rendered and
/// pushed.
pub const RENDERED: &str = "Rendered";

/// The reason of an Order's `Ready=Unknown` condition while a new Preparation is being rendered
/// (the operator writes it through [`Observer::rendering`]).
pub const RENDERING: &str = "Rendering";

/// Where "now" comes from; the CLI's tests fix it.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> Time;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        Time(k8s_openapi::jiff::Timestamp::now())
    }
}

/// An Order with everything it references resolved, before anything is fetched.
#[derive(Clone, Debug, PartialEq)]
pub struct Resolved {
    /// The Order's name.
    pub order: String,
    /// The Order's namespace (`default` when unset).
    pub namespace: String,
    /// The Menu's name, if the Order uses one.
    pub menu: Option<String>,
    /// The Recipe's name, if any (from the Order, else the Menu).
    pub recipe: Option<String>,
    /// The source as written (`oci://…`, `oci-layout:…`, or a path).
    pub source_ref: String,
    /// `source.version`.
    pub version: String,
    /// Where the source lives.
    pub location: SourceLocation,
    /// Whether the Order asks for Helm rendering (`render.helm`), a bundle (`render.manifest`),
    /// or leaves it to the source (`None`).
    pub render_type: Option<RenderType>,
    /// Helm options (used when the source is a chart).
    pub helm: HelmOptions,
    /// How the artifact lays out documents.
    pub layout: Layout,
    /// Menu patches, then Order patches, then edits.
    pub menu_patches: Vec<Patch>,
    /// The Order's `spec.patches`.
    pub order_patches: Vec<Patch>,
    /// The Order's `spec.edits`.
    pub edits: Vec<Patch>,
    /// The Recipe's image policy.
    pub image_policy: Option<ImagePolicy>,
    /// Whether new Preparations deploy without approval (the Order's, else its Menu's default).
    pub auto_deploy: AutoDeploy,
    /// Destination repository from the Order (`spec.destination.oci`), if any.
    pub destination: Option<String>,
    /// Warnings for the user (values merge).
    pub warnings: Vec<String>,
}

/// The objects an Order references, looked up by the caller (or by [`Pipeline::lookup`]).
#[derive(Clone, Debug, Default)]
pub struct References {
    /// The Menu named by `spec.menuRef`.
    pub menu: Option<Menu>,
    /// The Recipe named by `spec.recipeRef` (or the Menu's).
    pub recipe: Option<Recipe>,
    /// The Pantry named by `source.pantryRef`.
    pub pantry: Option<Pantry>,
}

/// Resolves an Order against its references (pure: no I/O).
///
/// Fails with [`Error::UnknownMenu`] / [`Error::UnknownRecipe`] / [`Error::UnknownPantry`] when a
/// reference is missing from `refs`, and with [`Error::PolicyViolation`] listing *every*
/// violation when the Order overrides what its Menu forbids.
pub fn resolve(order: &Order, refs: &References, base_dir: Option<&Path>) -> Result<Resolved> {
    let name = order.name_any();
    let namespace = order.namespace().unwrap_or_else(|| "default".to_owned());
    let spec = &order.spec;
    let invalid = |reason: &str| Error::InvalidOrder {
        order: name.clone(),
        reason: reason.to_owned(),
    };

    let menu = match &spec.menu_ref {
        Some(menu_ref) => {
            let menu = refs.menu.as_ref().filter(|m| m.name_any() == menu_ref.name);
            Some(menu.ok_or_else(|| Error::UnknownMenu {
                order: name.clone(),
                menu: menu_ref.name.clone(),
            })?)
        }
        None => None,
    };
    if spec.source.is_some() && menu.is_some() {
        return Err(invalid("set either spec.source or spec.menuRef, not both"));
    }
    let source = match (&spec.source, menu) {
        (Some(source), _) => source.clone(),
        (None, Some(menu)) => menu.spec.source.clone(),
        (None, None) => return Err(invalid("spec.source or spec.menuRef is required")),
    };

    let recipe_name = spec
        .recipe_ref
        .as_ref()
        .or(menu.and_then(|m| m.spec.recipe_ref.as_ref()))
        .map(|r| r.name.clone());
    let recipe = match &recipe_name {
        Some(recipe_name) => {
            let recipe = refs
                .recipe
                .as_ref()
                .filter(|r| &r.name_any() == recipe_name);
            Some(recipe.ok_or_else(|| Error::UnknownRecipe {
                order: name.clone(),
                recipe: recipe_name.clone(),
            })?)
        }
        None => None,
    };

    let source_ref = match (&source.oci, &source.pantry_ref) {
        (Some(oci), _) => oci.clone(),
        (None, Some(pantry_ref)) => {
            let pantry = refs
                .pantry
                .as_ref()
                .filter(|p| p.name_any() == pantry_ref.name)
                .ok_or_else(|| Error::UnknownPantry {
                    order: name.clone(),
                    pantry: pantry_ref.name.clone(),
                })?;
            pantry.spec.url.clone()
        }
        (None, None) => return Err(invalid("spec.source needs oci or pantryRef")),
    };

    // The Menu decides how its source renders; an Order from a Menu contributes only values.
    let render = match menu {
        Some(menu) => menu.spec.render.clone(),
        None => spec.render.clone(),
    };
    let order_helm = spec.render.as_ref().and_then(|r| r.helm.as_ref());
    let menu_helm = render.as_ref().and_then(|r| r.helm.as_ref());
    if menu.is_some() && spec.render.as_ref().is_some_and(|r| r.manifest.is_some()) {
        return Err(invalid(
            "an Order from a Menu may not set render.manifest: the Menu decides how its source renders",
        ));
    }
    let render_type = match &render {
        Some(r) if r.helm.is_some() => Some(RenderType::Helm),
        Some(r) if r.manifest.is_some() => Some(RenderType::Manifest),
        _ => None,
    };

    if let Some(menu) = menu {
        crate::policy::check(&name, menu, order)?;
    }

    let recipe_helm = recipe.and_then(|r| r.spec.helm.as_ref());
    let layered = kokumi_core::merge::layer_values(
        menu.and_then(|m| m.spec.values()),
        recipe_helm.and_then(|h| h.values.as_ref()),
        spec.values(),
    );
    let warnings = layered
        .warnings
        .iter()
        .map(|(layer, w)| format!("{layer} values: {w}"))
        .collect();

    // Release name and namespace: the Menu's (if any), then the Order's own, then defaults.
    let pick = |f: fn(&kokumi_core::api::HelmRender) -> Option<&String>| {
        order_helm.and_then(f).or(menu_helm.and_then(f)).cloned()
    };
    let helm = HelmOptions {
        release_name: pick(|h| h.release_name.as_ref()).unwrap_or_else(|| name.clone()),
        namespace: pick(|h| h.namespace.as_ref()).unwrap_or_else(|| namespace.clone()),
        values: layered.value,
        include_crds: order_helm
            .and_then(|h| h.include_crds)
            .or(menu_helm.and_then(|h| h.include_crds))
            .or(recipe_helm.and_then(|h| h.include_crds))
            .unwrap_or(false),
        kube_version: recipe_helm.and_then(|h| h.kube_version.clone()),
        api_versions: recipe_helm
            .map(|h| h.api_versions.clone())
            .unwrap_or_default(),
        skip_tests: recipe_helm.and_then(|h| h.skip_tests).unwrap_or(false),
        no_hooks: recipe_helm.and_then(|h| h.no_hooks).unwrap_or(false),
    };
    let layout = render
        .as_ref()
        .and_then(|r| r.manifest.as_ref())
        .and_then(|m| m.layout)
        .or(recipe
            .and_then(|r| r.spec.output.as_ref())
            .and_then(|o| o.layout))
        .unwrap_or_default();

    // The Order's own `autoDeploy`, else its Menu's `defaults.autoDeploy`, else Disabled. The
    // Menu's override policy covers values and patches, not defaults.
    let auto_deploy = spec.effective_auto_deploy(menu.and_then(|m| m.spec.default_auto_deploy()));

    let location = SourceLocation::parse(&source_ref, &source.version, base_dir)?;
    Ok(Resolved {
        order: name.clone(),
        namespace,
        menu: menu.map(|m| m.name_any()),
        recipe: recipe_name,
        source_ref,
        version: source.version,
        location,
        render_type,
        helm,
        layout,
        menu_patches: menu.map(|m| m.spec.patches.clone()).unwrap_or_default(),
        order_patches: spec.patches.clone(),
        edits: spec.edits.clone(),
        image_policy: recipe.and_then(|r| r.spec.image_policy.clone()),
        auto_deploy,
        destination: spec.destination.as_ref().and_then(|d| d.oci.clone()),
        warnings,
    })
}

impl Resolved {
    /// The config hash of this resolution with the fetched source's digest.
    pub fn config_inputs(&self, source_digest: Digest, renderer: &dyn Renderer) -> ConfigInputs {
        let render = json!({
            "type": self.render_type.map(|t| format!("{t:?}")),
            "helm": serde_json::to_value(&self.helm).unwrap_or(Value::Null),
            "layout": format!("{:?}", self.layout),
            "imagePolicy": serde_json::to_value(&self.image_policy).unwrap_or(Value::Null),
            "menuPatches": serde_json::to_value(&self.menu_patches).unwrap_or(Value::Null),
        });
        ConfigInputs {
            source_ref: self.source_ref.clone(),
            source_digest,
            render,
            values: self.helm.values.clone(),
            patches: self.order_patches.clone(),
            edits: self.edits.clone(),
            renderer_name: renderer.name().to_owned(),
            renderer_version: renderer.version().to_owned(),
        }
    }
}

/// The result of rendering, before anything is pushed or recorded.
#[derive(Clone, Debug)]
pub struct Output {
    /// The resolved Order.
    pub resolved: Resolved,
    /// The fetched source's digest.
    pub source_digest: Digest,
    /// The config hash.
    pub config_hash: Digest,
    /// Whether the source was rendered as a Helm chart or used as a bundle.
    pub render_type: RenderType,
    /// The patched documents, in output order.
    pub documents: Vec<Value>,
    /// The files of the artifact (path → bytes).
    pub files: BTreeMap<String, Vec<u8>>,
    /// The packed artifact.
    pub packed: Packed,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// What [`Pipeline::prepare`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A new Preparation was rendered, pushed and recorded.
    Created,
    /// The config hash matched an existing Preparation whose artifact is present: nothing ran.
    Unchanged,
    /// The config hash matched, but the artifact was gone; it was rendered and pushed again
    /// (with the same digest).
    Restored,
    /// The config hash matched a Preparation recorded at another destination (the Order's
    /// `spec.destination` changed; the destination is not part of the config hash): the same
    /// artifact — same digest, same Preparation — was pushed to the new destination unless it
    /// was already there, and the record's `status.ociRef` now names the new place
    /// ([`Preparation::oci_ref`]; the spec keeps the original one, as Preparation specs are
    /// immutable). The copy at the old destination is left where it is.
    Relocated,
}

/// What [`Pipeline::prepare`] returns.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// What happened.
    pub outcome: Outcome,
    /// The Preparation (new or existing).
    pub preparation: Preparation,
    /// The Order with its updated status.
    pub order: Order,
    /// What the Serving did (with auto-deploy).
    pub serving: crate::lifecycle::ServingChange,
    /// Warnings for the user.
    pub warnings: Vec<String>,
}

/// A stage of one pipeline run, in the order the pipeline goes through them.
///
/// [`Pipeline::prepare_observed`] reports each stage it enters, once, through
/// [`Observer::stage`]:
///
/// - a new config hash: `Resolve → Fetch → Render → Push → Record`;
/// - a config hash that matches a Preparation of the Order: `Resolve → Fetch → Check → Record`,
///   with `Render → Push` after `Check` when the artifact is missing from the destination;
/// - a dry run ([`Pipeline::render_observed`]): `Resolve → Fetch → Render`.
///
/// A failing stage is the last one reported. A stage ends when the next one is reported (or the
/// run returns), so an observer that notes the time of each report times the stages — the
/// operator's render and push metrics do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Stage {
    /// Looking up the Menu, Recipe and Pantry and resolving the Order against them (policy
    /// check, values, patches).
    Resolve,
    /// Fetching the source and identifying it by digest.
    Fetch,
    /// The config hash matched a Preparation: checking its artifact is in the destination.
    Check,
    /// Rendering, patching, checking the image policy and packing.
    Render,
    /// Pushing the artifact to the destination.
    Push,
    /// Recording the result: the Preparation, the Order's status, the Serving.
    Record,
}

impl Stage {
    /// A short lowercase name (`resolve`, `fetch`, …), for logs and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Resolve => "resolve",
            Stage::Fetch => "fetch",
            Stage::Check => "check",
            Stage::Render => "render",
            Stage::Push => "push",
            Stage::Record => "record",
        }
    }
}

impl std::fmt::Display for Stage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller hears while [`Pipeline::prepare_observed`] (or
/// [`Pipeline::render_observed`]) runs: every [`Stage`] as it starts (the CLI's progress line),
/// and the start of a new Preparation's rendering (the operator's `Rendering` condition).
/// Every method has a default that does nothing.
#[async_trait::async_trait]
pub trait Observer: Send + Sync {
    /// The run of `order` enters `stage`.
    async fn stage(&self, order: &Order, stage: Stage) {
        let _ = (order, stage);
    }

    /// The source is fetched and no Preparation of the Order has this config hash: a new
    /// Preparation is rendered now (called right before [`Stage::Render`] is reported; not for a
    /// dry run, nor when a lost artifact is rendered again).
    async fn rendering(&self, order: &Order, config_hash: Digest) {
        let _ = (order, config_hash);
    }
}

/// An [`Observer`] that ignores everything.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// The pipeline, with its I/O: records, sources, renderer, destination store and clock.
pub struct Pipeline<'a, R: RecordStore> {
    /// Where Menus, Recipes, Pantries, Preparations and Servings live.
    pub records: &'a R,
    /// How sources are fetched.
    pub sources: &'a Sources,
    /// The Helm renderer.
    pub renderer: &'a dyn Renderer,
    /// Where artifacts are pushed (`None` for dry runs: [`Pipeline::render`] only).
    pub destination: Option<&'a dyn kokumi_oci::Store>,
    /// The clock.
    pub clock: &'a dyn Clock,
}

impl<R: RecordStore> std::fmt::Debug for Pipeline<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("renderer", &self.renderer.name())
            .field("destination", &self.destination.map(|d| d.location()))
            .finish_non_exhaustive()
    }
}

/// The directory relative source paths of `object` resolve against (the CLI's annotation).
pub fn base_dir_of<K: kube::Resource>(object: &K) -> Option<PathBuf> {
    object
        .meta()
        .annotations
        .as_ref()?
        .get(BASE_DIR_ANNOTATION)
        .map(PathBuf::from)
}

/// The base directory for the source of `order`: its Menu's when the source comes from the
/// Menu, else its own.
fn source_base_dir(order: &Order, refs: &References) -> Option<PathBuf> {
    if order.spec.menu_ref.is_some() {
        refs.menu.as_ref().and_then(base_dir_of)
    } else {
        base_dir_of(order)
    }
}

impl<R: RecordStore> Pipeline<'_, R> {
    /// Looks up the Menu, Recipe and Pantry `order` references (missing ones stay `None`; the
    /// resolve stage turns that into the right error).
    pub async fn lookup(&self, order: &Order) -> Result<References> {
        let mut refs = References::default();
        if let Some(menu_ref) = &order.spec.menu_ref {
            refs.menu = self.records.get::<Menu>(&menu_ref.name).await?;
        }
        let recipe_name = order
            .spec
            .recipe_ref
            .as_ref()
            .or(refs.menu.as_ref().and_then(|m| m.spec.recipe_ref.as_ref()))
            .map(|r| r.name.clone());
        if let Some(recipe_name) = recipe_name {
            refs.recipe = self.records.get::<Recipe>(&recipe_name).await?;
        }
        let pantry = order
            .spec
            .source
            .as_ref()
            .or(refs.menu.as_ref().map(|m| &m.spec.source))
            .and_then(|s| s.pantry_ref.as_ref());
        if let Some(pantry_ref) = pantry {
            refs.pantry = self.records.get::<Pantry>(&pantry_ref.name).await?;
        }
        Ok(refs)
    }

    /// Resolves, fetches, renders, patches, checks and packs — without pushing or recording.
    /// This is `kokumi render -f` (dry run).
    pub async fn render(&self, order: &Order) -> Result<Output> {
        self.render_observed(order, &NoObserver).await
    }

    /// [`Pipeline::render`], telling `observer` each [`Stage`] (`Resolve → Fetch → Render`).
    pub async fn render_observed(&self, order: &Order, observer: &dyn Observer) -> Result<Output> {
        let (resolved, fetched) = self.resolve_and_fetch(order, observer).await?;
        let config_hash = resolved
            .config_inputs(fetched.digest, self.renderer)
            .config_hash();
        let parent = order.status.as_ref().and_then(|s| s.latest_digest);
        observer.stage(order, Stage::Render).await;
        self.render_resolved(resolved, &fetched, config_hash, parent)
    }

    /// The `Resolve` and `Fetch` stages.
    async fn resolve_and_fetch(
        &self,
        order: &Order,
        observer: &dyn Observer,
    ) -> Result<(Resolved, FetchedSource)> {
        observer.stage(order, Stage::Resolve).await;
        let refs = self.lookup(order).await?;
        let resolved = resolve(order, &refs, source_base_dir(order, &refs).as_deref())?;
        observer.stage(order, Stage::Fetch).await;
        let fetched = self.sources.fetch(&resolved.location).await?;
        Ok((resolved, fetched))
    }

    fn render_resolved(
        &self,
        resolved: Resolved,
        fetched: &FetchedSource,
        config_hash: Digest,
        parent: Option<Digest>,
    ) -> Result<Output> {
        let name = resolved.order.clone();
        let mut warnings = resolved.warnings.clone();
        // (origin file, documents) in output order.
        let (render_type, sources) = match &fetched.content {
            SourceContent::Chart(chart) => {
                if resolved.render_type == Some(RenderType::Manifest) {
                    return Err(Error::SourceInvalid {
                        source_ref: resolved.source_ref,
                        reason: "render.manifest is set, but the source is a Helm chart".into(),
                    });
                }
                let rendered: RenderedChart =
                    self.renderer
                        .render(chart, &resolved.helm)
                        .map_err(|source| Error::Render {
                            order: name.clone(),
                            source,
                        })?;
                if !resolved.version.is_empty()
                    && resolved.location.is_local()
                    && rendered.chart_version != resolved.version
                {
                    return Err(Error::SourceInvalid {
                        source_ref: resolved.source_ref.clone(),
                        reason: format!(
                            "the chart's version is {}, the Order asks for {}",
                            rendered.chart_version, resolved.version
                        ),
                    });
                }
                warnings.extend(rendered.warnings);
                let files = rendered
                    .files
                    .into_iter()
                    .map(|f| {
                        let path = f
                            .source
                            .split_once('/')
                            .map_or(f.source.as_str(), |(_, rest)| rest)
                            .to_owned();
                        (path, f.content)
                    })
                    .collect::<Vec<_>>();
                (RenderType::Helm, files)
            }
            SourceContent::Bundle(files) => {
                if resolved.render_type == Some(RenderType::Helm) {
                    return Err(Error::SourceInvalid {
                        source_ref: resolved.source_ref,
                        reason: "render.helm is set, but the source is a manifest bundle".into(),
                    });
                }
                let files = files
                    .iter()
                    .map(|(path, bytes)| {
                        String::from_utf8(bytes.clone())
                            .map(|text| (path.clone(), text))
                            .map_err(|_| Error::SourceInvalid {
                                source_ref: resolved.source_ref.clone(),
                                reason: format!("{path} is not UTF-8 text"),
                            })
                    })
                    .collect::<Result<Vec<_>>>()?;
                (RenderType::Manifest, files)
            }
        };

        let limits = Limits::default();
        let mut origins = Vec::new();
        let mut documents = Vec::new();
        for (path, text) in &sources {
            let docs = document::parse_documents(text, &limits).map_err(|e| Error::Documents {
                order: name.clone(),
                source: Box::new(crate::source::LocalError(format!("{path}: {e}"))),
            })?;
            for doc in docs {
                if doc.value.is_null() {
                    continue;
                }
                origins.push(path.clone());
                documents.push(doc.value);
            }
        }

        let ctx = PatchContext {
            default_namespace: Some(resolved.helm.namespace.clone()),
        };
        apply_patches_in_order(
            &mut documents,
            &resolved.menu_patches,
            &resolved.order_patches,
            &resolved.edits,
            &ctx,
        )
        .map_err(|e| Error::Patch {
            order: name.clone(),
            source: Box::new(e),
        })?;

        if let Some(policy) = &resolved.image_policy {
            let violations = policy.check(documents.iter());
            if !violations.is_empty() {
                let report = violations
                    .iter()
                    .map(|v| format!("  - {v}"))
                    .collect::<Vec<_>>()
                    .join("\n");
                return Err(Error::ImagePolicy {
                    order: name,
                    recipe: resolved.recipe.clone().unwrap_or_default(),
                    report,
                });
            }
        }

        let files = layout_files(resolved.layout, &origins, &documents);
        let meta = ArtifactMeta {
            order: name.clone(),
            source: resolved.source_ref.clone(),
            version: resolved.version.clone(),
            source_digest: fetched.digest,
            config_hash,
            renderer: format!("{}/{}", self.renderer.name(), self.renderer.version()),
            parent,
            // The commit message lives in the Preparation record, not in the artifact: the
            // digest depends on content and provenance only.
            description: None,
        };
        let packed = artifact::pack(&files, &meta).map_err(|source| Error::Pack {
            order: name.clone(),
            source,
        })?;
        Ok(Output {
            resolved,
            source_digest: fetched.digest,
            config_hash,
            render_type,
            documents,
            files,
            packed,
            warnings,
        })
    }

    /// Runs the whole pipeline for `order` and records the result. Idempotent.
    pub async fn prepare(&self, order: &Order) -> Result<Prepared> {
        self.prepare_observed(order, &NoObserver).await
    }

    /// [`Pipeline::prepare`], telling `observer` each [`Stage`] and when a new Preparation
    /// starts rendering.
    ///
    /// The Order's Preparations are listed once per run (the config-hash lookup and the
    /// Serving's decision share the list), so a run reads the Order's history once.
    pub async fn prepare_observed(
        &self,
        order: &Order,
        observer: &dyn Observer,
    ) -> Result<Prepared> {
        let (resolved, fetched) = self.resolve_and_fetch(order, observer).await?;
        let config_hash = resolved
            .config_inputs(fetched.digest, self.renderer)
            .config_hash();
        let name = resolved.order.clone();
        let Some(store) = self.destination else {
            return Err(Error::Lifecycle(
                "this pipeline has no destination store: it can only render (dry run)".into(),
            ));
        };

        let mut preparations = crate::lifecycle::preparations_of(self.records, &name).await?;
        let existing = preparations
            .iter()
            .find(|p| p.spec.config_hash == config_hash)
            .cloned();

        let destination = store.location().to_string();
        let push_error = |source| Error::Push {
            order: name.clone(),
            destination: destination.clone(),
            source,
        };

        let (outcome, preparation, warnings) = match existing {
            Some(existing) => {
                observer.stage(order, Stage::Check).await;
                let prep_name = existing.name_any();
                let digest = existing.spec.artifact.digest;
                let present = artifact::exists(store, &digest, &prep_name)
                    .await
                    .map_err(push_error)?;
                let mut warnings = resolved.warnings.clone();
                if !present {
                    observer.stage(order, Stage::Render).await;
                    let output = self.render_resolved(
                        resolved,
                        &fetched,
                        config_hash,
                        existing.spec.parent_digest,
                    )?;
                    if output.packed.digest != digest {
                        return Err(Error::Lifecycle(format!(
                            "the artifact of preparation {prep_name} is missing from {destination}, and rendering it again gave {} instead of {digest}: the renderer is not reproducible for this input",
                            output.packed.digest,
                        )));
                    }
                    observer.stage(order, Stage::Push).await;
                    artifact::push(store, &output.packed, &prep_name)
                        .await
                        .map_err(push_error)?;
                    warnings = output.warnings;
                }
                observer.stage(order, Stage::Record).await;
                // A Preparation is its digest, not a place: when the Order's destination
                // changed (same config hash, so the same content), the artifact is now also in
                // the new destination (pushed just above, or already there) and the record
                // names that copy — what a Serving deploys from from now on. The copy at the
                // old destination is left alone. The record keeps its name, digest and history.
                let oci_ref = oci_ref(&destination, &digest);
                if existing.oci_ref() == oci_ref {
                    let outcome = if present {
                        Outcome::Unchanged
                    } else {
                        Outcome::Restored
                    };
                    (outcome, existing, warnings)
                } else {
                    let relocated = self.relocated(existing, oci_ref, &destination);
                    self.records.put(&relocated).await?;
                    (Outcome::Relocated, relocated, warnings)
                }
            }
            None => {
                // `rendering` first: what the observer does with it (the operator writes a
                // status) is not part of the Render stage's time.
                observer.rendering(order, config_hash).await;
                observer.stage(order, Stage::Render).await;
                let parent = order.status.as_ref().and_then(|s| s.latest_digest);
                let output = self.render_resolved(resolved, &fetched, config_hash, parent)?;
                let prep_name = preparation_name(&name, &output.packed.digest);
                observer.stage(order, Stage::Push).await;
                artifact::push(store, &output.packed, &prep_name)
                    .await
                    .map_err(push_error)?;
                observer.stage(order, Stage::Record).await;
                let preparation = self.preparation_record(order, &output, &prep_name, &destination);
                self.records.put(&preparation).await?;
                (Outcome::Created, preparation, output.warnings)
            }
        };

        // The list read above, with this run's record in it: the Serving decides on it.
        match preparations
            .iter_mut()
            .find(|p| p.name_any() == preparation.name_any())
        {
            Some(listed) => *listed = preparation.clone(),
            None => {
                preparations.push(preparation.clone());
                preparations.sort_by_key(|p| p.name_any());
            }
        }
        let order = self
            .update_order_status(order, &preparation, config_hash)
            .await?;
        let serving =
            crate::lifecycle::follow_listed(self.records, &order, preparations, self.clock).await?;
        Ok(Prepared {
            outcome,
            preparation,
            order,
            serving,
            warnings,
        })
    }

    /// `existing` as it is recorded once its artifact is at `oci_ref` in `destination`.
    fn relocated(
        &self,
        mut existing: Preparation,
        oci_ref: String,
        destination: &str,
    ) -> Preparation {
        let digest = existing.spec.artifact.digest;
        // The spec keeps the place the artifact was first pushed to (Preparation specs are
        // immutable); the status says where it is now, unless that is the original place again.
        let moved = (oci_ref != existing.spec.artifact.oci_ref).then_some(oci_ref);
        let status = existing
            .status
            .get_or_insert_with(PreparationStatus::default);
        status.oci_ref = moved;
        status.conditions.set(condition::new(
            condition::READY,
            ConditionStatus::True,
            "Pushed",
            &format!("artifact {digest} pushed to {destination}"),
            None,
            self.clock.now(),
        ));
        existing
    }

    fn preparation_record(
        &self,
        order: &Order,
        output: &Output,
        name: &str,
        destination: &str,
    ) -> Preparation {
        let now = self.clock.now();
        let digest = output.packed.digest;
        let spec = PreparationSpec {
            order_name: output.resolved.order.clone(),
            source: PreparationSource {
                oci: output.resolved.source_ref.clone(),
                version: Some(output.resolved.version.clone()).filter(|v| !v.is_empty()),
                base_digest: output.source_digest,
            },
            renderer: RendererInfo {
                name: self.renderer.name().to_owned(),
                version: self.renderer.version().to_owned(),
                render_type: output.render_type,
            },
            config_hash: output.config_hash,
            artifact: Artifact {
                oci_ref: oci_ref(destination, &digest),
                digest,
                signed: None,
            },
            parent_digest: order.status.as_ref().and_then(|s| s.latest_digest),
            commit_message: Some(commit_message(order, output)),
        };
        let mut preparation = Preparation::new(name, spec);
        preparation.metadata = ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some(output.resolved.namespace.clone()),
            labels: Some(BTreeMap::from([(
                ORDER_LABEL.to_owned(),
                output.resolved.order.clone(),
            )])),
            creation_timestamp: Some(now.clone()),
            ..ObjectMeta::default()
        };
        let mut conditions = Vec::new();
        conditions.set(condition::new(
            condition::READY,
            ConditionStatus::True,
            "Pushed",
            &format!("artifact {digest} pushed to {destination}"),
            None,
            now,
        ));
        preparation.status = Some(PreparationStatus {
            conditions,
            oci_ref: None,
        });
        preparation
    }

    async fn update_order_status(
        &self,
        order: &Order,
        preparation: &Preparation,
        config_hash: Digest,
    ) -> Result<Order> {
        let mut order = order.clone();
        let now = self.clock.now();
        let status = order.status.get_or_insert_with(OrderStatus::default);
        let before = status.clone();
        status.observed_generation = order.metadata.generation;
        status.latest_preparation = Some(preparation.name_any());
        status.latest_digest = Some(preparation.spec.artifact.digest);
        status.config_hash = Some(config_hash);
        status.conditions.set(condition::new(
            condition::READY,
            ConditionStatus::True,
            RENDERED,
            &format!("preparation {} is ready", preparation.name_any()),
            order.metadata.generation,
            now,
        ));
        if order.status.as_ref() != Some(&before) {
            self.records.put(&order).await?;
        }
        Ok(order)
    }

    /// Records a failure of `order` in its status (`Ready=False` with the error's reason), so
    /// `kokumi get orders` shows it. Nothing else changes.
    pub async fn record_failure(&self, order: &Order, error: &Error) -> Result<Order> {
        let mut order = order.clone();
        let reason = failure_reason(error);
        let now = self.clock.now();
        let status = order.status.get_or_insert_with(OrderStatus::default);
        status.observed_generation = order.metadata.generation;
        status.conditions.set(condition::new(
            condition::READY,
            ConditionStatus::False,
            reason,
            &error_chain(error),
            order.metadata.generation,
            now,
        ));
        self.records.put(&order).await?;
        Ok(order)
    }
}

/// Where a Preparation's artifact is: `<destination>@<digest>`.
fn oci_ref(destination: &str, digest: &Digest) -> String {
    format!("{destination}@{digest}")
}

/// A short CamelCase reason for a pipeline failure, for `Ready=False` conditions.
pub fn failure_reason(error: &Error) -> &'static str {
    match error {
        Error::UnknownMenu { .. } => "UnknownMenu",
        Error::UnknownRecipe { .. } => "UnknownRecipe",
        Error::UnknownPantry { .. } => "UnknownPantry",
        Error::InvalidOrder { .. } => "InvalidOrder",
        Error::PolicyViolation { .. } => "PolicyViolation",
        Error::SourceUnavailable { .. } => "SourceUnavailable",
        Error::SourceInvalid { .. } => "SourceInvalid",
        Error::Render { .. } | Error::Documents { .. } => "RenderFailed",
        Error::Patch { .. } => "PatchFailed",
        Error::ImagePolicy { .. } => "ImagePolicyViolation",
        Error::Pack { .. } => "PackFailed",
        Error::Push { .. } => "PushFailed",
        _ => "Failed",
    }
}

/// The error and its sources, joined with `: `.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut out = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        out.push_str(": ");
        out.push_str(&e.to_string());
        source = e.source();
    }
    out
}

fn commit_message(order: &Order, output: &Output) -> String {
    if let Some(message) = order.annotations().get(MESSAGE_ANNOTATION) {
        return message.chars().take(512).collect();
    }
    let r = &output.resolved;
    let mut message = format!("render {}", r.source_ref);
    if !r.version.is_empty() {
        message.push_str(&format!(" {}", r.version));
    }
    if let Some(menu) = &r.menu {
        message.push_str(&format!(" from menu {menu}"));
    }
    if let Some(generation) = order.metadata.generation {
        message.push_str(&format!(" (generation {generation})"));
    }
    message
}

/// Lays the documents out as artifact files: `manifest.yaml`, or one file per origin.
fn layout_files(
    layout: Layout,
    origins: &[String],
    documents: &[Value],
) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    match layout {
        Layout::Multi => {
            let mut grouped: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
            for (origin, doc) in origins.iter().zip(documents) {
                grouped.entry(origin.as_str()).or_default().push(doc);
            }
            for (origin, docs) in grouped {
                files.insert(
                    origin.to_owned(),
                    document::to_canonical_yaml(docs).into_bytes(),
                );
            }
        }
        _ => {
            files.insert(
                "manifest.yaml".to_owned(),
                document::to_canonical_yaml(documents).into_bytes(),
            );
        }
    }
    files
}
