//! The environment a scenario runs in: a Kubernetes API (the fake, or a real cluster from
//! `KOKUMI_E2E_KUBECONFIG`), the scenario's own namespace, the Argo CD namespace, how long to
//! wait, and the operator instances the scenario starts in-process.
//!
//! A scenario (`scenarios.rs`) is written once against [`Cluster`]; the fake suite
//! ([`Cluster::fake`]), the real-cluster suite (`e2e.rs`, [`Cluster::real`]) and its rehearsal
//! on a stand-in cluster (`stand_in.rs`, also [`Cluster::real`]) all call it. What differs
//! between a fake and a cluster lives here:
//!
//! - **names and namespaces**: every scenario gets its own namespace, created first (a real
//!   server refuses objects in a namespace that does not exist) and labelled [`SUITE_LABEL`];
//!   on a real cluster it is `kokumi-e2e-<scenario>-<pid>`, DNS-1123 like every name a scenario
//!   uses. Cluster-scoped objects a scenario makes (Menus) carry [`NAMESPACE_LABEL`] so the
//!   teardown finds them.
//! - **timeouts**: [`Cluster::wait`] (60 s on the fake, 180 s on a cluster) bounds every
//!   `eventually`; [`Cluster::pause`] stretches the quiet periods of "nothing happens" checks.
//! - **Argo CD**: none runs. Argo CD's Application CRD has no status subresource
//!   (`subresources: {}` in `argocd/application-crd.yaml`), so [`Cluster::argo_cd_reports`]
//!   writes `.status` with a plain merge patch on the object, as Argo CD's controller does. On
//!   a cluster the Applications go to their own namespace ([`E2E_ARGOCD_NAMESPACE`]) so an
//!   Argo CD that happens to run there never picks them up, and without Argo CD's resources
//!   finalizer (`cascade_delete: false`), which nothing would remove.
//! - **teardown** ([`Cluster::run`]): runs also when the scenario fails — stops the operators,
//!   strips the Serving finalizers nobody is left to handle, deletes the scenario's
//!   Applications, Menus, Orders, Preparations, Pantries and namespace. Deletion on a real
//!   server is asynchronous (finalizers, the namespace controller, owner-reference garbage
//!   collection by the controller-manager): the teardown waits for the namespace to go, and the
//!   next scenario first sweeps whatever a crashed run left behind (everything labelled
//!   [`SUITE_LABEL`]).
//! - **one at a time on a cluster**: the controllers watch Orders, Servings and Applications in
//!   every namespace, so two scenarios' operators on one cluster would reconcile each other's
//!   objects; the real-cluster scenarios (and their rehearsals on the one shared stand-in)
//!   hold [`E2E_SERIAL`]. The fake ones run in parallel, each on its own fake server.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kokumi_core::api::{Menu, Order, Pantry, Preparation, Recipe, Serving};
use kokumi_operator::config::Config;
use kokumi_operator::context::Context;
use kokumi_operator::controller::serving::application_resource;
use kokumi_operator::metrics::Metrics;
use kokumi_operator::run::{self, ShutdownTrigger};
use kube::ResourceExt as _;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde_json::json;

use crate::support::{argocd_crd_yaml, eventually, fake};

/// Label on every namespace a scenario creates (value: the scenario's slug).
pub const SUITE_LABEL: &str = "e2e.kokumi.dev/scenario";
/// Label on the cluster-scoped objects a scenario creates (value: its namespace).
pub const NAMESPACE_LABEL: &str = "e2e.kokumi.dev/namespace";
/// The Argo CD namespace of the real-cluster scenarios.
pub const E2E_ARGOCD_NAMESPACE: &str = "kokumi-e2e-argocd";
/// Held by each real-cluster scenario: one at a time per test process.
pub static E2E_SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Where a scenario runs.
#[derive(Clone)]
pub struct Cluster {
    /// A client for the API server.
    pub client: kube::Client,
    /// The scenario's own namespace (created by [`Cluster::run`]).
    pub namespace: String,
    /// Where the Argo CD Applications go.
    pub argocd_namespace: String,
    /// How long an `eventually` waits.
    pub wait: Duration,
    /// Factor on the quiet periods of [`Cluster::pause`] (1 on the fake).
    pub slowness: u32,
    slug: String,
    /// A real cluster (or the stand-in), not the in-memory fake.
    real: bool,
    operators: Arc<Mutex<Vec<Arc<ShutdownTrigger>>>>,
}

impl Cluster {
    /// A fresh fake API server with our CRDs and Argo CD's; the namespace is the scenario's
    /// slug.
    pub fn fake(slug: &str) -> Self {
        let server = fake();
        Self {
            client: server.client(),
            namespace: slug.to_owned(),
            argocd_namespace: Config::default().argocd_namespace,
            wait: Duration::from_secs(60),
            slowness: 1,
            slug: slug.to_owned(),
            real: false,
            operators: Arc::default(),
        }
    }

    /// The cluster of the kubeconfig at `path`, with our CRDs and Argo CD's installed
    /// (server-side apply) and the leftovers of earlier runs swept away. Panics with the reason
    /// when the kubeconfig or the cluster is unusable: the caller asked for a real cluster.
    pub async fn real(path: &Path, slug: &str) -> Self {
        let kubeconfig = Kubeconfig::read_from(path).unwrap_or_else(|e| {
            panic!(
                "KOKUMI_E2E_KUBECONFIG={}: cannot read the kubeconfig: {e}",
                path.display()
            )
        });
        let config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .unwrap_or_else(|e| {
                    panic!(
                        "KOKUMI_E2E_KUBECONFIG={}: not a usable kubeconfig: {e}",
                        path.display()
                    )
                });
        let url = config.cluster_url.clone();
        let client = kube::Client::try_from(config).unwrap_or_else(|e| {
            panic!(
                "KOKUMI_E2E_KUBECONFIG={}: cannot build a client for {url}: {e}",
                path.display()
            )
        });
        if let Err(e) = client.apiserver_version().await {
            panic!(
                "KOKUMI_E2E_KUBECONFIG={}: the API server at {url} does not answer: {e}",
                path.display()
            );
        }
        let cluster = Self {
            client,
            namespace: format!("kokumi-e2e-{slug}-{}", std::process::id()),
            argocd_namespace: E2E_ARGOCD_NAMESPACE.to_owned(),
            wait: Duration::from_secs(180),
            slowness: 3,
            slug: slug.to_owned(),
            real: true,
            operators: Arc::default(),
        };
        install_crds(&cluster.client).await;
        cluster.sweep().await;
        cluster
    }

    /// Runs `scenario` in its namespace, then tears down what it made — also when it panics,
    /// whose panic is then passed on.
    pub async fn run<F, Fut>(self, scenario: F)
    where
        F: FnOnce(Cluster) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.create_namespace(&self.namespace, true).await;
        self.create_namespace(&self.argocd_namespace, false).await;
        let outcome = tokio::spawn(scenario(self.clone())).await;
        self.teardown().await;
        if let Err(e) = outcome {
            match e.try_into_panic() {
                Ok(panic) => std::panic::resume_unwind(panic),
                Err(e) => panic!("the scenario did not finish: {e}"),
            }
        }
    }

    /// The operator settings of a scenario whose Preparations go to `registry`
    /// (`oci://HOST/PREFIX`): quick retries, this environment's Argo CD namespace.
    pub fn config(&self, registry: String) -> Config {
        let real = self.real;
        Config {
            registry,
            argocd_namespace: self.argocd_namespace.clone(),
            backoff_base: Duration::from_millis(if real { 200 } else { 100 }),
            backoff_max: Duration::from_secs(if real { 2 } else { 1 }),
            // Nothing removes Argo CD's finalizer on a cluster without Argo CD; the fake keeps
            // the default to check the Application is left to Argo CD's finalizer.
            cascade_delete: !real,
            ..Config::default()
        }
    }

    /// A context for this cluster with `config` (to replace its renderer, say).
    pub fn context(&self, config: Config) -> Context {
        Context::new(self.client.clone(), config, Arc::new(Metrics::new()))
    }

    /// Starts an operator instance (both controllers, in-process) with `config`.
    pub fn start(&self, config: Config) -> Operator {
        self.start_with(self.context(config))
    }

    /// Starts an operator instance with its context.
    pub fn start_with(&self, ctx: Context) -> Operator {
        // `RUST_LOG=kokumi_operator=debug` shows what the controllers do.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let ctx = Arc::new(ctx);
        let (trigger, shutdown) = run::shutdown();
        let trigger = Arc::new(trigger);
        self.operators
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(trigger.clone());
        let task = tokio::spawn(run::controllers(ctx.clone(), shutdown));
        Operator { trigger, task, ctx }
    }

    /// Polls `check` until it returns `Some`; panics after [`Cluster::wait`] with `what`.
    pub async fn eventually<T, F, Fut>(&self, what: &str, check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        eventually(what, self.wait, check).await
    }

    /// Sleeps `quiet` (times [`Cluster::slowness`]): the time given to something that must
    /// *not* happen.
    pub async fn pause(&self, quiet: Duration) {
        tokio::time::sleep(quiet * self.slowness).await;
    }

    /// `Api` of a namespaced kind in the scenario's namespace.
    pub fn api<K>(&self) -> Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
        <K as kube::Resource>::DynamicType: Default,
    {
        Api::namespaced(self.client.clone(), &self.namespace)
    }

    /// Argo CD Applications (in [`Cluster::argocd_namespace`]).
    pub fn applications(&self) -> Api<DynamicObject> {
        Api::namespaced_with(
            self.client.clone(),
            &self.argocd_namespace,
            &application_resource(),
        )
    }

    /// The Application name of the Serving `serving` of this namespace.
    pub fn application_name(&self, serving: &str) -> String {
        format!("{}-{serving}", self.namespace)
    }

    /// Plays Argo CD: reports a sync of `app` to `revision` with `sync` and `health` statuses.
    /// Argo CD's CRD has no status subresource, so this is a merge patch on the object itself —
    /// on the fake and on a real server alike.
    pub async fn argo_cd_reports(&self, app: &str, revision: &str, sync: &str, health: &str) {
        self.applications()
            .patch(
                app,
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {
                    "sync": {"status": sync, "revision": revision},
                    "health": {"status": health},
                }})),
            )
            .await
            .unwrap_or_else(|e| panic!("reporting a sync of application {app}: {e}"));
    }

    async fn create_namespace(&self, name: &str, ours: bool) {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let mut namespace = json!({"metadata": {"name": name}});
        if ours {
            namespace["metadata"]["labels"] = json!({SUITE_LABEL: self.slug});
        }
        let namespace: Namespace = serde_json::from_value(namespace).unwrap();
        match namespaces.create(&PostParams::default(), &namespace).await {
            Ok(_) => {}
            Err(kube::Error::Api(e)) if e.code == 409 && !ours => {}
            Err(e) => panic!("creating namespace {name}: {e}"),
        }
    }

    /// Stops every operator still running, then removes the scenario's objects.
    async fn teardown(&self) {
        let operators: Vec<_> = self
            .operators
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
            .collect();
        for operator in &operators {
            operator.trigger();
        }
        self.remove_namespace(&self.namespace).await;
    }

    /// Whatever earlier (crashed) runs left on the cluster: every namespace labelled
    /// [`SUITE_LABEL`] and the cluster-scoped objects labelled [`NAMESPACE_LABEL`].
    async fn sweep(&self) {
        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        let leftovers = namespaces
            .list(&ListParams::default().labels(SUITE_LABEL))
            .await
            .unwrap_or_else(|e| panic!("listing namespaces: {e}"))
            .items;
        for namespace in leftovers {
            let name = namespace.name_any();
            eprintln!("NOTICE: removing namespace {name}, left over by an earlier e2e run");
            self.remove_namespace(&name).await;
        }
        delete_labelled(Api::<Menu>::all(self.client.clone()), NAMESPACE_LABEL).await;
        delete_labelled(Api::<Recipe>::all(self.client.clone()), NAMESPACE_LABEL).await;
    }

    /// Deletes the namespace `name` and what of the scenario lives outside it; waits until the
    /// namespace is gone (a notice, not a failure, when it takes longer than [`Cluster::wait`]:
    /// the next run sweeps it).
    async fn remove_namespace(&self, name: &str) {
        // The Serving finalizer is the operator's, which has stopped: nobody else removes it.
        let servings: Api<Serving> = Api::namespaced(self.client.clone(), name);
        for serving in servings
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
        {
            let _ = servings
                .patch(
                    &serving.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"finalizers": null}})),
                )
                .await;
            let _ = servings
                .delete(&serving.name_any(), &DeleteParams::default())
                .await;
        }
        // Applications are named `<namespace>-<serving>`; they carry Argo CD's finalizer on the
        // fake, which no Argo CD removes either.
        let apps = self.applications();
        let prefix = format!("{name}-");
        for app in apps
            .list(&ListParams::default())
            .await
            .map(|l| l.items)
            .unwrap_or_default()
            .into_iter()
            .filter(|a| a.name_any().starts_with(&prefix))
        {
            let _ = apps
                .patch(
                    &app.name_any(),
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"finalizers": null}})),
                )
                .await;
            let _ = apps.delete(&app.name_any(), &DeleteParams::default()).await;
        }
        // A real namespace deletion removes the rest; deleting it here too makes a server
        // without that cascade (the stand-in) hold no stale Orders either.
        delete_labelled(Api::<Order>::namespaced(self.client.clone(), name), "").await;
        delete_labelled(
            Api::<Preparation>::namespaced(self.client.clone(), name),
            "",
        )
        .await;
        delete_labelled(Api::<Pantry>::namespaced(self.client.clone(), name), "").await;
        let selector = format!("{NAMESPACE_LABEL}={name}");
        delete_labelled(Api::<Menu>::all(self.client.clone()), &selector).await;
        delete_labelled(Api::<Recipe>::all(self.client.clone()), &selector).await;

        let namespaces: Api<Namespace> = Api::all(self.client.clone());
        match namespaces.delete(name, &DeleteParams::default()).await {
            Ok(_) | Err(kube::Error::Api(_)) => {}
            Err(e) => eprintln!("NOTICE: cannot delete namespace {name}: {e}"),
        }
        let gone = tokio::time::timeout(self.wait, async {
            while namespaces.get_opt(name).await.ok().flatten().is_some() {
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
        .await;
        if gone.is_err() {
            eprintln!(
                "NOTICE: namespace {name} is still terminating after {:?}; the next run removes it",
                self.wait
            );
        }
    }
}

/// Deletes every object of `api` matching the label `selector` (all of them for `""`; errors
/// ignored: teardown).
async fn delete_labelled<K>(api: Api<K>, selector: &str)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let params = if selector.is_empty() {
        ListParams::default()
    } else {
        ListParams::default().labels(selector)
    };
    for object in api.list(&params).await.map(|l| l.items).unwrap_or_default() {
        let _ = api
            .delete(&object.name_any(), &DeleteParams::default())
            .await;
    }
}

/// One operator instance running in-process against a [`Cluster`].
pub struct Operator {
    trigger: Arc<ShutdownTrigger>,
    task: tokio::task::JoinHandle<()>,
    /// Its context (metrics, settings).
    pub ctx: Arc<Context>,
}

impl Operator {
    /// Stops it; in-flight reconciles finish first (at most 10 s).
    pub async fn stop(self) {
        self.trigger.trigger();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// Runs `scenario` on the cluster of `kubeconfig` (see [`Cluster::real`]), one scenario at a
/// time per process ([`E2E_SERIAL`]): what every real-cluster test, and every rehearsal on the
/// shared stand-in, does.
pub async fn on_cluster<F, Fut>(kubeconfig: &Path, slug: &str, scenario: F)
where
    F: FnOnce(Cluster) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let _one_at_a_time = E2E_SERIAL.lock().await;
    Cluster::real(kubeconfig, slug).await.run(scenario).await;
}

/// The kubeconfig of the real-cluster tests, or `None` (with a notice on stderr) when
/// `KOKUMI_E2E_KUBECONFIG` is unset: they are opt-in.
pub fn e2e_kubeconfig(test: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("KOKUMI_E2E_KUBECONFIG").filter(|p| !p.is_empty());
    if path.is_none() {
        eprintln!(
            "NOTICE: skipping the real-cluster scenario {test}: set KOKUMI_E2E_KUBECONFIG to a kubeconfig path to run it"
        );
    }
    path.map(Into::into)
}

/// Installs Kokumi's CRDs and Argo CD's Application CRD (server-side apply, forced) and waits
/// until the server serves them.
async fn install_crds(client: &kube::Client) {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut all = kokumi_core::api::crds();
    for doc in serde_norway::Deserializer::from_str(&argocd_crd_yaml()) {
        let value: serde_json::Value = serde::Deserialize::deserialize(doc).unwrap();
        if !value.is_null() {
            all.push(serde_json::from_value(value).unwrap());
        }
    }
    for crd in &all {
        let name = crd.name_any();
        let mut crd = crd.clone();
        crd.metadata.managed_fields = None;
        crds.patch(
            &name,
            &PatchParams::apply("kokumi-e2e").force(),
            &Patch::Apply(&crd),
        )
        .await
        .unwrap_or_else(|e| panic!("the API server rejects CRD {name}: {e}"));
    }
    for crd in &all {
        let name = crd.name_any();
        eventually(
            &format!("CRD {name} established"),
            Duration::from_secs(60),
            || async {
                let c = crds.get(&name).await.ok()?;
                c.status?
                    .conditions?
                    .iter()
                    .any(|c| c.type_ == "Established" && c.status == "True")
                    .then_some(())
            },
        )
        .await;
    }
}

/// The harness itself, on a stand-in cluster: what a crashed run leaves is swept, and a failing
/// scenario is torn down and still fails.
mod tests {
    use super::*;
    use crate::stand_in::StandIn;

    fn serving(namespace: &str) -> Serving {
        serde_json::from_value(json!({
            "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Serving",
            "metadata": {"name": "web", "namespace": namespace, "finalizers": [kokumi_operator::controller::serving::FINALIZER]},
            "spec": {"order": "web", "preparation": "web-aaaaaaaaaaaa"},
        }))
        .unwrap()
    }

    fn application(name: &str) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": name, "namespace": E2E_ARGOCD_NAMESPACE, "finalizers": [kokumi_operator::application::ARGOCD_RESOURCES_FINALIZER]},
            "spec": {
                "project": "default",
                "source": {"repoURL": "oci://127.0.0.1:1/kokumi", "targetRevision": "sha256:0", "path": "."},
                "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"},
            },
        }))
        .unwrap()
    }

    async fn exists<K>(api: &Api<K>, name: &str) -> bool
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        api.get_opt(name).await.unwrap().is_some()
    }

    #[tokio::test]
    async fn leftovers_of_a_crashed_run_are_swept() {
        let stand_in = StandIn::start().await;
        let first = Cluster::real(stand_in.kubeconfig(), "first").await;
        // A crashed run: its namespace, a Serving whose finalizer nobody removes, its
        // Application with Argo CD's finalizer, a labelled Menu.
        let old = "kokumi-e2e-old-1";
        first.create_namespace(old, true).await;
        first.create_namespace(E2E_ARGOCD_NAMESPACE, false).await;
        let servings: Api<Serving> = Api::namespaced(first.client.clone(), old);
        servings
            .create(&PostParams::default(), &serving(old))
            .await
            .unwrap();
        let apps = first.applications();
        let app = format!("{old}-web");
        apps.create(&PostParams::default(), &application(&app))
            .await
            .unwrap();
        let menus: Api<Menu> = Api::all(first.client.clone());
        let menu: Menu = serde_json::from_value(json!({
            "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Menu",
            "metadata": {"name": format!("{old}-hello"), "labels": {NAMESPACE_LABEL: old}},
            "spec": {"source": {"oci": "oci://127.0.0.1:1/charts/hello", "version": "0.1.0"}},
        }))
        .unwrap();
        menus.create(&PostParams::default(), &menu).await.unwrap();
        // Someone else's namespace and Application stay.
        first.create_namespace("someone-else", false).await;
        apps.create(&PostParams::default(), &application("someone-else-web"))
            .await
            .unwrap();

        let second = Cluster::real(stand_in.kubeconfig(), "second").await;
        let namespaces: Api<Namespace> = Api::all(second.client.clone());
        assert!(!exists(&namespaces, old).await, "the namespace is swept");
        assert!(!exists(&servings, "web").await, "the serving is swept");
        assert!(!exists(&apps, &app).await, "the application is swept");
        assert!(
            !exists(&menus, &format!("{old}-hello")).await,
            "the menu is swept"
        );
        assert!(exists(&namespaces, "someone-else").await);
        assert!(exists(&apps, "someone-else-web").await);
        assert_eq!(
            second.namespace,
            format!("kokumi-e2e-second-{}", std::process::id())
        );
    }

    #[tokio::test]
    async fn a_failing_scenario_is_torn_down_and_still_fails() {
        let stand_in = StandIn::start().await;
        let cluster = Cluster::real(stand_in.kubeconfig(), "failing").await;
        let namespace = cluster.namespace.clone();
        let outcome = tokio::spawn(cluster.clone().run(|c| async move {
            let servings: Api<Serving> = c.api();
            servings
                .create(&PostParams::default(), &serving(&c.namespace))
                .await
                .unwrap();
            c.applications()
                .create(
                    &PostParams::default(),
                    &application(&c.application_name("web")),
                )
                .await
                .unwrap();
            panic!("the scenario fails");
        }))
        .await;
        let panic = outcome.unwrap_err().into_panic();
        assert_eq!(
            panic.downcast_ref::<&str>().copied(),
            Some("the scenario fails"),
            "the scenario's own panic is passed on"
        );
        let namespaces: Api<Namespace> = Api::all(cluster.client.clone());
        assert!(!exists(&namespaces, &namespace).await, "namespace removed");
        assert!(
            !exists(&cluster.applications(), &format!("{namespace}-web")).await,
            "application removed"
        );
        let servings: Api<Serving> = Api::namespaced(cluster.client.clone(), &namespace);
        assert!(!exists(&servings, "web").await, "serving removed");
    }
}
