//! Each failure gives its own clear error and exit code, and loses nothing.

use crate::lifecycle::menu;
use crate::support::{Project, created_preparation, order};

/// Applies a good Order first, so each test can check it survives the failure.
fn with_good_order() -> (Project, String, std::collections::BTreeMap<String, Vec<u8>>) {
    let p = Project::new();
    p.write("good.yaml", &order("good", "fine", "Enabled"));
    let out = p.ok(&["apply", "-f", "good.yaml"]);
    let prep = created_preparation(&out);
    let files = p.state_files();
    (p, prep, files)
}

/// Everything in `before` that belongs to the good Order is unchanged in the state now.
fn good_untouched(p: &Project, before: &std::collections::BTreeMap<String, Vec<u8>>) {
    let now = p.state_files();
    for (path, bytes) in before {
        if path.contains("good") || path.starts_with("oci/blobs") {
            assert_eq!(now.get(path), Some(bytes), "{path} changed or vanished");
        }
    }
    assert!(p.ok(&["get", "preparations"]).contains("good-"));
}

#[test]
fn policy_violation_reports_every_violation() {
    let (p, _, before) = with_good_order();
    p.write("menu.yaml", &menu("m"));
    p.write(
        "bad.yaml",
        r#"apiVersion: delivery.kokumi.dev/v1alpha1
kind: Order
metadata:
  name: greedy
spec:
  menuRef:
    name: hello
  render:
    helm:
      values:
        replicaCount: 2
        image:
          tag: latest
        greeting:
          color: red
"#,
    );
    p.ok(&["apply", "-f", "menu.yaml"]);
    let err = p.fails(3, &["apply", "-f", "bad.yaml"]);
    assert!(
        err.contains("violates the override policy of menu \"hello\""),
        "{err}"
    );
    assert!(
        err.contains("image.tag") && err.contains("greeting.color"),
        "{err}"
    );
    assert!(
        !err.contains("`replicaCount` is not"),
        "an allowed path was reported:\n{err}"
    );
    // The Order is kept with the reason in its status; no Preparation was made for it.
    let orders = p.ok(&["get", "orders"]);
    assert!(
        orders.contains("greedy   False   PolicyViolation"),
        "{orders}"
    );
    assert!(!p.ok(&["get", "preparations"]).contains("greedy-"));
    good_untouched(&p, &before);
    // menu check prints the same report and exits 3 too.
    let (code, out, _) = p.run(&["menu", "check", "-f", "bad.yaml"]);
    assert_eq!(code, 3);
    insta::assert_snapshot!(out);
}

#[test]
fn unknown_menu() {
    let (p, _, before) = with_good_order();
    p.write(
        "lost.yaml",
        "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata:\n  name: lost\nspec:\n  menuRef:\n    name: nowhere\n",
    );
    let err = p.fails(4, &["apply", "-f", "lost.yaml"]);
    assert!(
        err.contains("references menu \"nowhere\", which does not exist"),
        "{err}"
    );
    good_untouched(&p, &before);
}

#[test]
fn template_error_names_file_and_line() {
    let (p, _, before) = with_good_order();
    p.write(
        "charts/hello/templates/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: broken\ndata:\n  x: {{ required \"greeting.missing is required\" .Values.greeting.missing }}\n",
    );
    p.write("hello.yaml", &order("hello", "x", "Enabled"));
    let err = p.fails(7, &["apply", "-f", "hello.yaml"]);
    assert!(err.contains("rendering order \"hello\" failed"), "{err}");
    assert!(
        err.contains("hello/templates/broken.yaml:6"),
        "no file and line in:\n{err}"
    );
    assert!(err.contains("greeting.missing is required"), "{err}");
    good_untouched(&p, &before);
}

#[test]
fn unreachable_registry() {
    let (p, _, before) = with_good_order();
    p.write(
        "remote.yaml",
        "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata:\n  name: remote\nspec:\n  source:\n    oci: oci://127.0.0.1:1/charts/hello\n    version: 0.1.0\n",
    );
    let err = p.fails(5, &["apply", "-f", "remote.yaml"]);
    assert!(
        err.contains("source oci://127.0.0.1:1/charts/hello:0.1.0 is unavailable"),
        "{err}"
    );
    let orders = p.ok(&["get", "orders"]);
    assert!(
        orders.contains("remote   False   SourceUnavailable"),
        "{orders}"
    );
    good_untouched(&p, &before);
}

#[test]
fn corrupted_state_file_is_named_and_nothing_else_is_lost() {
    let (p, prep, before) = with_good_order();
    let damaged = format!(".kokumi/preparations/{prep}.yaml");
    p.write(
        &damaged,
        "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Preparation\nspec: [not, a, map\n",
    );
    let err = p.fails(6, &["get", "preparations"]);
    assert!(
        err.contains(&format!(
            "state file {} is damaged",
            p.path(&damaged).display()
        )),
        "{err}"
    );
    assert!(err.contains("line"), "no line in:\n{err}");
    // Other kinds read fine, and every other file is as it was.
    assert!(p.ok(&["get", "orders"]).contains("good"));
    assert!(p.ok(&["get", "servings"]).contains("good"));
    let now = p.state_files();
    for (path, bytes) in &before {
        if !damaged.ends_with(path.as_str()) {
            assert_eq!(now.get(path), Some(bytes), "{path} changed");
        }
    }
}

#[test]
fn promoting_what_does_not_exist() {
    let (p, _, _) = with_good_order();
    let err = p.fails(4, &["promote", "good-000000000000"]);
    assert!(
        err.contains("preparation \"good-000000000000\" not found"),
        "{err}"
    );
    let err = p.fails(1, &["rollback", "good"]);
    assert!(err.contains("no ready preparation older than"), "{err}");
}
