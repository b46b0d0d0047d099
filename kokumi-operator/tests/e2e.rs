//! The real-cluster suite: every scenario of `scenarios.rs`, on the cluster of the kubeconfig
//! at `KOKUMI_E2E_KUBECONFIG`.
//!
//! Opt-in: without the variable each test prints a NOTICE and passes. With it, a kubeconfig that
//! cannot be read or a cluster that does not answer fails the test. Each test installs our CRDs
//! and Argo CD's Application CRD (server-side apply), sweeps what an earlier crashed run left,
//! runs the controllers in-process against the cluster with a registry it starts on loopback,
//! and removes its namespace afterwards; they run one at a time (`cluster::E2E_SERIAL`). No
//! Argo CD needs to run: the Application object is the contract, and the test writes its
//! `.status` the way Argo CD would. The kubeconfig's user needs cluster-admin (CRDs, namespaces).
//!
//! Use a throwaway cluster (kind, k3d, minikube): the CRDs are applied with `force`, and the
//! controllers watch every namespace, so Orders or Servings of anything else on the cluster
//! would be reconciled too (and would break the scenarios that count reconciles or drifted
//! Servings). The namespaces are `kokumi-e2e-<scenario>-<pid>`, the Applications go to
//! `kokumi-e2e-argocd` (left in place, empty).
//!
//! `scenarios::rehearsal::*` runs this same path (`cluster::on_cluster`) on a stand-in cluster
//! in every `cargo test`.

macro_rules! on_a_cluster {
    ($($scenario:ident => $slug:literal),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            let Some(kubeconfig) = crate::cluster::e2e_kubeconfig(stringify!($scenario)) else {
                return;
            };
            crate::cluster::on_cluster(&kubeconfig, $slug, crate::scenarios::$scenario).await;
        }
    )*};
}

crate::scenarios::every_scenario!(on_a_cluster);
