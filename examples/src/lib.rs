//! Shared helpers for the runnable Kokumi examples in `examples/examples/`.
//!
//! Each example is a real program (`cargo run -p kokumi-examples --example NAME`) that uses the
//! SDK crates directly; these helpers only find and read the example YAMLs and chart.

use std::path::{Path, PathBuf};

use kokumi_core::api::Order;
use kokumi_pipeline::pipeline::BASE_DIR_ANNOTATION;
use kube::ResourceExt as _;
use serde::de::DeserializeOwned;

/// The `examples/` directory.
pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// Reads one object from a YAML file under `examples/`.
pub fn load<T: DeserializeOwned>(rel: &str) -> Result<T, Box<dyn std::error::Error>> {
    let path = dir().join(rel);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_norway::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

/// Reads an Order and records the directory its relative source path is relative to (what
/// `kokumi apply` does).
pub fn load_order(rel: &str) -> Result<Order, Box<dyn std::error::Error>> {
    let mut order: Order = load(rel)?;
    let base = dir().join(rel);
    let base = base.parent().unwrap_or(&base).display().to_string();
    order
        .annotations_mut()
        .insert(BASE_DIR_ANNOTATION.into(), base);
    Ok(order)
}

/// A single-threaded async runtime for the examples.
pub fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}
