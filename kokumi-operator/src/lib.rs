//! Kokumi's Kubernetes operator.
//!
//! kube-rs controllers that turn Orders into Preparations and Servings into Argo CD
//! Applications, using the same pipeline as the CLI.
