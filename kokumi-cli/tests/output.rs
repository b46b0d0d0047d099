//! CLI output, pinned with insta.

use crate::support::{Project, order, redact, workspace};

fn project_with_two() -> Project {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "one", "Enabled"));
    p.ok(&["apply", "-f", "hello.yaml"]);
    p.write("hello.yaml", &order("hello", "two", "Enabled"));
    p.ok(&["apply", "-f", "hello.yaml"]);
    p
}

#[test]
fn get_tables() {
    let p = project_with_two();
    insta::assert_snapshot!("get_orders", redact(&p.ok(&["get", "orders"])));
    insta::assert_snapshot!(
        "get_orders_wide",
        redact(&p.ok(&["get", "orders", "-o", "wide"]))
    );
    insta::assert_snapshot!("get_preparations", redact(&p.ok(&["get", "preparations"])));
    insta::assert_snapshot!(
        "get_preparations_wide",
        redact(&p.ok(&["get", "prep", "-o", "wide"]))
    );
    insta::assert_snapshot!("get_servings", redact(&p.ok(&["get", "servings"])));
    assert_eq!(p.ok(&["get", "menus"]), "No resources found.\n");
}

#[test]
fn get_yaml_and_json() {
    let p = project_with_two();
    insta::assert_snapshot!(
        "get_serving_yaml",
        redact(&p.ok(&["get", "serving", "hello", "-o", "yaml"]))
    );
    let json: serde_json::Value =
        serde_json::from_str(&p.ok(&["get", "preparations", "-o", "json"])).unwrap();
    assert_eq!(json["kind"], "List");
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
    let names = p.ok(&["get", "orders", "-o", "name"]);
    assert_eq!(names, "order.delivery.kokumi.dev/hello\n");
    let err = p.fails(2, &["get", "widgets"]);
    assert!(
        err.contains("doesn't have a resource type \"widgets\""),
        "{err}"
    );
    p.fails(4, &["get", "order", "nope"]);
}

#[test]
fn describe_order() {
    let p = project_with_two();
    insta::assert_snapshot!(redact(&p.ok(&["describe", "order", "hello"])));
}

#[test]
fn render_dry_run_records_nothing() {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "dry", "Enabled"));
    let (code, out, err) = p.run(&["render", "-f", "hello.yaml"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("render_dry_run", out);
    assert!(err.starts_with("would create preparation hello-"), "{err}");
    assert!(!p.path(".kokumi").exists(), "a dry run created state");
    // Same digest as a real apply.
    let digest = err
        .split('(')
        .nth(1)
        .unwrap()
        .trim_end()
        .trim_end_matches(')')
        .to_owned();
    let applied = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        applied.contains(&digest),
        "dry run {digest} vs apply:\n{applied}"
    );
}

#[test]
fn application_is_valid_against_argo_cd_schema() {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "argo", "Enabled"));
    p.ok(&["apply", "-f", "hello.yaml"]);
    let text = p.ok(&["application", "hello"]);
    insta::assert_snapshot!(redact(&text));
    let app: serde_json::Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(app["spec"]["source"]["path"], ".");
    assert!(
        app["spec"]["source"]["repoURL"]
            .as_str()
            .unwrap()
            .starts_with("oci://")
    );
    assert!(
        app["spec"]["source"]["targetRevision"]
            .as_str()
            .unwrap()
            .starts_with("sha256:")
    );

    let shared = std::env::var("KOKUMI_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| workspace().join("../shared"));
    let crd_path = shared.join("argocd/application-crd.yaml");
    let crd_text = match std::fs::read_to_string(&crd_path) {
        Ok(t) => t,
        Err(_) => {
            let fixture = workspace().join("kokumi-cli/tests/fixtures/application-schema.json");
            let schema: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
            return check(&schema, &app);
        }
    };
    let crd: serde_json::Value = serde_norway::from_str(&crd_text).unwrap();
    let schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    check(&schema, &app);
}

fn check(schema: &serde_json::Value, app: &serde_json::Value) {
    let validator = jsonschema::validator_for(schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(app)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn crds_and_completions() {
    let p = Project::new();
    let crds = p.ok(&["crds"]);
    for kind in [
        "orders",
        "preparations",
        "servings",
        "menus",
        "recipes",
        "pantries",
    ] {
        assert!(
            crds.contains(&format!("name: {kind}.delivery.kokumi.dev")),
            "{kind} missing"
        );
    }
}
