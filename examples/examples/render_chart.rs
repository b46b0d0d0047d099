//! Renders the example chart with kokumi's native Helm engine, like `helm template`.
//!
//! `cargo run -p kokumi-examples --example render_chart`
#![allow(clippy::print_stdout)]

use kokumi_render::chart::load::{LoadOptions, load_dir};
use kokumi_render::render::{RenderOptions, render_chart};
use kokumi_render::value::Value;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let chart = load_dir(
        &kokumi_examples::dir().join("charts/hello"),
        &LoadOptions::default(),
    )?;
    let values = Value::from_json(&serde_json::json!({
        "replicaCount": 3,
        "greeting": {"message": "Hello from render_chart"},
    }));
    let Value::Map(values) = values else {
        return Err("values must be a map".into());
    };
    let opts = RenderOptions {
        release_name: "hello".into(),
        namespace: "demo".into(),
        values: (*values).clone(),
        ..RenderOptions::default()
    };
    let rendered = render_chart(&chart, &opts)?;
    print!("{}", rendered.output());
    Ok(())
}
