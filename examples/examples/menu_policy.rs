//! Checks Orders against a Menu's override policy and prints the full report.
//!
//! `cargo run -p kokumi-examples --example menu_policy`
#![allow(clippy::print_stdout)]

use kokumi_core::api::{Menu, Order};
use kokumi_pipeline::policy;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let menu: Menu = kokumi_examples::load("menus/hello.yaml")?;
    let allowed: Order = kokumi_examples::load("orders/hello-from-menu.yaml")?;
    println!("== orders/hello-from-menu.yaml");
    print!("{}", policy::report(&menu, &allowed).render("hello"));

    // The same Order, overriding what the Menu keeps for itself.
    let mut greedy = allowed;
    if let Some(values) = greedy
        .spec
        .render
        .as_mut()
        .and_then(|r| r.helm.as_mut())
        .and_then(|h| h.values.as_mut())
    {
        values["greeting"]["color"] = serde_json::json!("#ff0000");
        values["image"] = serde_json::json!({"tag": "latest"});
    }
    println!("\n== the same Order, also overriding greeting.color and image.tag");
    let report = policy::report(&menu, &greedy);
    print!("{}", report.render("hello"));
    assert!(!report.is_allowed(), "the greedy Order must be refused");
    Ok(())
}
