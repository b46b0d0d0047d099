//! The controllers, one module per kind (kube-runtime's shape: `reconcile` + `error_policy`).

pub mod order;
pub mod secrets;
pub mod serving;
