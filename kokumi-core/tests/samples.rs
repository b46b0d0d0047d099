//! Upstream Kokumi's own sample CRs are accepted unchanged: they validate against the generated
//! `openAPIV3Schema` (JSON Schema and CEL) and deserialize into the Rust types without losing a
//! field.

use std::path::{Path, PathBuf};

use kokumi_core::api::{self, Menu, Order, Pantry};
use serde_json::{Value, json};

use crate::crd::{cel_errors, schema_of};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/upstream")
}

/// The shared copy of the samples: `$KOKUMI_SHARED/upstream-samples`, else `../shared` beside
/// the workspace root.
fn shared_samples() -> Option<PathBuf> {
    let shared = std::env::var_os("KOKUMI_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared"));
    let dir = shared.join("upstream-samples");
    dir.is_dir().then_some(dir)
}

fn sample_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn load(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// JSON-Schema validation against the CRD's openAPIV3Schema (draft 4 is the closest draft to
/// OpenAPI 3.0's schema dialect; formats are checked).
pub(crate) fn schema_errors(kind: &str, object: &Value) -> Vec<String> {
    let schema = schema_of(kind);
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    validator
        .iter_errors(object)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// Deserialises into the Rust type and serialises back; the result must equal the input.
fn round_trip(kind: &str, object: &Value) -> Value {
    match kind {
        "Order" => serde_json::to_value(serde_json::from_value::<Order>(object.clone()).unwrap()),
        "Menu" => serde_json::to_value(serde_json::from_value::<Menu>(object.clone()).unwrap()),
        "Pantry" => serde_json::to_value(serde_json::from_value::<Pantry>(object.clone()).unwrap()),
        other => panic!("no sample kind {other}"),
    }
    .unwrap()
}

#[test]
fn upstream_samples_are_accepted_unchanged() {
    let files = sample_files(&fixtures());
    assert_eq!(
        files.len(),
        8,
        "the 8 upstream samples are in tests/fixtures/upstream"
    );
    let mut kinds = Vec::new();
    for path in &files {
        let object = load(path);
        let name = path.file_name().unwrap().to_string_lossy();
        let kind = object["kind"].as_str().unwrap().to_owned();
        assert_eq!(object["apiVersion"], api::API_VERSION, "{name}");
        let errors = schema_errors(&kind, &object);
        assert!(
            errors.is_empty(),
            "{name} fails the {kind} schema:\n{}",
            errors.join("\n")
        );
        let errors = cel_errors(&kind, &object, None);
        assert!(
            errors.is_empty(),
            "{name} fails the {kind} CEL rules:\n{}",
            errors.join("\n")
        );
        assert_eq!(
            round_trip(&kind, &object),
            object,
            "{name} changes when read into {kind}"
        );
        kinds.push(format!("{name}: {kind}"));
    }
    insta::assert_snapshot!(kinds.join("\n"), @r"
    delivery_v1alpha1_menu.yaml: Menu
    delivery_v1alpha1_order_helm.yaml: Order
    delivery_v1alpha1_order_kustomize.yaml: Order
    delivery_v1alpha1_order_manifest.yaml: Order
    delivery_v1alpha1_order_manifestfiles.yaml: Order
    delivery_v1alpha1_order_menu.yaml: Order
    delivery_v1alpha1_pantry_ghcr.yaml: Pantry
    delivery_v1alpha1_pantry_incluster.yaml: Pantry
    ");
}

#[test]
fn fixtures_match_shared_copy() {
    let Some(shared) = shared_samples() else {
        // CI always has ../shared beside the repo; elsewhere the fixtures stand on their own.
        assert!(
            std::env::var("KOKUMI_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "../shared/upstream-samples is missing: put shared/ beside the repo or set KOKUMI_SHARED"
        );
        eprintln!("notice: ../shared/upstream-samples not found; comparing fixtures skipped");
        return;
    };
    let theirs: Vec<_> = sample_files(&shared);
    let ours: Vec<_> = sample_files(&fixtures());
    let names = |v: &[PathBuf]| -> Vec<String> {
        v.iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect()
    };
    assert_eq!(names(&theirs), names(&ours));
    for (a, b) in theirs.iter().zip(&ours) {
        assert_eq!(
            std::fs::read(a).unwrap(),
            std::fs::read(b).unwrap(),
            "{}",
            b.display()
        );
    }
}

#[test]
fn typed_view_of_the_helm_sample() {
    let order: Order =
        serde_json::from_value(load(&fixtures().join("delivery_v1alpha1_order_helm.yaml")))
            .unwrap();
    let source = order.spec.source.as_ref().unwrap();
    assert_eq!(
        source.oci.as_deref(),
        Some("oci://ghcr.io/stefanprodan/charts/podinfo")
    );
    assert_eq!(source.version, "6.14.1");
    assert_eq!(order.spec.auto_deploy, Some(api::AutoDeploy::Disabled));
    assert_eq!(order.spec.values().unwrap()["service"]["type"], "NodePort");
    assert_eq!(order.spec.patches.len(), 1);
    assert_eq!(
        order.spec.patches[0].target.kind.as_deref(),
        Some("Deployment")
    );
    assert_eq!(
        order.spec.patches[0].set.as_ref().unwrap()[".spec.replicas"],
        json!("2")
    );
}

#[test]
fn schema_rejects_what_upstream_would_not_write() {
    let base = load(&fixtures().join("delivery_v1alpha1_order_helm.yaml"));
    let with = |pointer: &str, value: Value| {
        let mut o = base.clone();
        *o.pointer_mut(pointer).unwrap() = value;
        o
    };
    // autoDeploy is Enabled|Disabled only (upstream's docs mention a boolean; it is not accepted).
    assert_eq!(
        schema_errors("Order", &with("/spec/autoDeploy", json!("Enabled"))),
        Vec::<String>::new()
    );
    let errors = schema_errors("Order", &with("/spec/autoDeploy", json!(true)));
    assert!(
        errors.iter().any(|e| e.starts_with("/spec/autoDeploy")),
        "{errors:?}"
    );
    assert!(serde_json::from_value::<Order>(with("/spec/autoDeploy", json!("true"))).is_err());
    // Sources are oci:// URLs.
    let errors = schema_errors(
        "Order",
        &with("/spec/source/oci", json!("https://ghcr.io/x")),
    );
    assert!(
        errors.iter().any(|e| e.starts_with("/spec/source/oci")),
        "{errors:?}"
    );
    // Helm values must be a map.
    let errors = schema_errors("Order", &with("/spec/render/helm/values", json!([1, 2])));
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec/render/helm/values")),
        "{errors:?}"
    );
    // Layout is Single|Multi.
    let errors = schema_errors(
        "Order",
        &with("/spec/render", json!({"manifest": {"layout": "Many"}})),
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("/spec/render/manifest/layout")),
        "{errors:?}"
    );
}

/// The example Orders, Menus and Recipes under `examples/` read into the types without losing a
/// field (local mode allows non-`oci://` sources, so only the Rust types are checked here).
#[test]
fn workspace_examples_read_into_the_types() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut seen = Vec::new();
    for dir in ["orders", "menus", "recipes"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
        files.sort();
        for path in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        {
            let object = load(path);
            let kind = object["kind"].as_str().unwrap_or_default().to_owned();
            let back = match kind.as_str() {
                "Recipe" => serde_json::to_value(
                    serde_json::from_value::<api::Recipe>(object.clone()).unwrap(),
                )
                .unwrap(),
                _ => round_trip(&kind, &object),
            };
            assert_eq!(
                back,
                object,
                "{} changes when read into {kind}",
                path.display()
            );
            seen.push(kind);
        }
    }
    assert!(
        !seen.is_empty(),
        "no examples found under {}",
        root.display()
    );
}
