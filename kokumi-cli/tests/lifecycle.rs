//! The whole local lifecycle: apply → Preparation → promote → change → second Preparation →
//! diff → rollback → the first is served again; re-applying creates nothing.

use kokumi_core::api::{Preparation, Serving};

use crate::support::{Project, created_preparation, order, redact};

fn serving(p: &Project) -> Serving {
    serde_norway::from_str(&p.read(".kokumi/servings/hello.yaml")).unwrap()
}

fn prep(p: &Project, name: &str) -> Preparation {
    serde_norway::from_str(&p.read(&format!(".kokumi/preparations/{name}.yaml"))).unwrap()
}

#[test]
fn apply_promote_change_diff_rollback() {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "Hello, one", "Disabled"));

    // 1. apply → one Ready Preparation, nothing served (manual promotion).
    let out = p.ok(&["apply", "-f", "hello.yaml"]);
    insta::assert_snapshot!("apply_first", redact(&out));
    let first = created_preparation(&out);
    let first_digest = prep(&p, &first).spec.artifact.digest;
    assert!(first.starts_with("hello-") && first.len() == "hello-".len() + 12);
    assert!(prep(&p, &first).is_ready());

    // 2. applying the same Order again creates nothing.
    let before = p.state_files();
    let again = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        again.contains("order.delivery.kokumi.dev/hello unchanged"),
        "{again}"
    );
    assert!(
        again.contains(&format!(
            "preparation.delivery.kokumi.dev/{first} unchanged"
        )),
        "{again}"
    );
    let after = p.state_files();
    let names =
        |m: &std::collections::BTreeMap<String, Vec<u8>>| m.keys().cloned().collect::<Vec<_>>();
    assert_eq!(
        names(&before),
        names(&after),
        "re-applying created or removed files"
    );

    // 3. promote → the Serving points at the first Preparation.
    let out = p.ok(&["promote", &first]);
    assert!(
        out.contains(&format!(
            "serving.delivery.kokumi.dev/hello created (serving {first})"
        )),
        "{out}"
    );
    assert_eq!(serving(&p).spec.preparation, first);

    // 4. change a value → a second Preparation, its parent is the first.
    p.write("hello.yaml", &order("hello", "Hello, two", "Disabled"));
    let out = p.ok(&["apply", "-f", "hello.yaml", "-m", "say two"]);
    assert!(
        out.contains("order.delivery.kokumi.dev/hello configured"),
        "{out}"
    );
    let second = created_preparation(&out);
    assert_ne!(first, second);
    let second_prep = prep(&p, &second);
    assert_eq!(second_prep.spec.parent_digest, Some(first_digest));
    assert_eq!(second_prep.spec.commit_message.as_deref(), Some("say two"));
    // Manual policy: still serving the first.
    assert_eq!(serving(&p).spec.preparation, first);

    // 5. diff: the greeting changed, nothing else.
    let diff = p.ok(&["diff", &first, &second]);
    insta::assert_snapshot!("diff_first_second", redact(&diff));

    // One argument: served → A.
    let diff_served = p.ok(&["diff", &second]);
    assert!(
        diff_served.starts_with(&format!("diff {first} → {second}")),
        "{diff_served}"
    );

    // 6. promote the second, then roll back: the first is served again, nothing re-renders.
    p.ok(&["promote", &second]);
    assert_eq!(serving(&p).spec.preparation, second);
    let preps_before = p
        .state_files()
        .keys()
        .filter(|k| k.starts_with("preparations/"))
        .count();
    let out = p.ok(&["rollback", "hello"]);
    assert!(out.contains(&format!("({second} → {first})")), "{out}");
    let s = serving(&p);
    assert_eq!(s.spec.preparation, first);
    assert_eq!(s.status.unwrap().deployed_digest, Some(first_digest));
    let preps_after = p
        .state_files()
        .keys()
        .filter(|k| k.starts_with("preparations/"))
        .count();
    assert_eq!(preps_before, preps_after);

    // 7. the Argo CD Application targets the first digest.
    let app = p.ok(&["application", "hello"]);
    assert!(
        app.contains(&format!("targetRevision: {first_digest}")),
        "{app}"
    );

    // 8. show prints the first Preparation's manifests, patched.
    let shown = p.ok(&["show", &first]);
    assert!(shown.contains("message: Hello, one"), "{shown}");
    assert!(shown.contains("replicas: 2"), "{shown}");
}

#[test]
fn auto_deploy_follows_new_preparations() {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "one", "Enabled"));
    let out = p.ok(&["apply", "-f", "hello.yaml"]);
    let first = created_preparation(&out);
    assert!(
        out.contains(&format!(
            "serving.delivery.kokumi.dev/hello created (serving {first})"
        )),
        "{out}"
    );
    p.write("hello.yaml", &order("hello", "two", "Enabled"));
    let out = p.ok(&["apply", "-f", "hello.yaml"]);
    let second = created_preparation(&out);
    assert!(out.contains(&format!("({first} → {second})")), "{out}");
    // Rolling back with auto-deploy holds until a newer Preparation is rendered.
    p.ok(&["rollback", "hello", "--to", &first]);
    assert_eq!(serving(&p).spec.preparation, first);
}

#[test]
fn menu_changes_re_render_their_orders() {
    let p = Project::new();
    p.write("menu.yaml", &menu("Hello from the menu"));
    p.write(
        "order.yaml",
        r#"apiVersion: delivery.kokumi.dev/v1alpha1
kind: Order
metadata:
  name: team-a
spec:
  menuRef:
    name: hello
  render:
    helm:
      values:
        replicaCount: 3
"#,
    );
    p.ok(&["apply", "-f", "menu.yaml"]);
    let out = p.ok(&["apply", "-f", "order.yaml"]);
    let first = created_preparation(&out);
    assert!(
        p.ok(&["show", &first])
            .contains("message: Hello from the menu")
    );
    // Editing the Menu re-renders the Order placed from it.
    p.write("menu.yaml", &menu("The menu changed"));
    let out = p.ok(&["apply", "-f", "menu.yaml"]);
    assert!(
        out.contains("order.delivery.kokumi.dev/team-a re-rendering"),
        "{out}"
    );
    let second = created_preparation(&out);
    assert_ne!(first, second);
    assert!(
        p.ok(&["show", &second])
            .contains("message: The menu changed")
    );
}

/// A Menu for the example chart allowing only replicaCount.
pub(crate) fn menu(message: &str) -> String {
    format!(
        r#"apiVersion: delivery.kokumi.dev/v1alpha1
kind: Menu
metadata:
  name: hello
spec:
  source:
    oci: charts/hello
    version: "0.1.0"
  render:
    helm:
      values:
        greeting:
          message: "{message}"
  overrides:
    values:
      policy: Restricted
      allowed:
        - replicaCount
"#
    )
}

#[test]
fn a_menu_default_auto_deploy_applies_unless_the_order_says_otherwise() {
    let p = Project::new();
    p.write(
        "menu.yaml",
        &format!(
            "{}  defaults:\n    autoDeploy: Enabled\n",
            menu("from the menu")
        ),
    );
    let order = |name: &str, auto_deploy: &str| {
        format!(
            "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Order\nmetadata:\n  name: {name}\nspec:\n  menuRef:\n    name: hello\n{auto_deploy}"
        )
    };
    p.write("silent.yaml", &order("silent", ""));
    p.write("manual.yaml", &order("manual", "  autoDeploy: Disabled\n"));
    p.ok(&["apply", "-f", "menu.yaml"]);
    // The Order says nothing: the Menu's default deploys its first Preparation.
    let out = p.ok(&["apply", "-f", "silent.yaml"]);
    let first = created_preparation(&out);
    assert!(
        out.contains(&format!(
            "serving.delivery.kokumi.dev/silent created (serving {first})"
        )),
        "{out}"
    );
    // The Order's own Disabled wins: nothing is served until approved.
    let out = p.ok(&["apply", "-f", "manual.yaml"]);
    assert!(
        out.contains("serving.delivery.kokumi.dev/manual unchanged (waiting for approval"),
        "{out}"
    );
    assert!(!p.path(".kokumi/servings/manual.yaml").exists());
    // What applies is shown; the stored Order keeps what its author wrote.
    let table = p.ok(&["get", "orders"]);
    let auto = |name: &str| {
        table
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(4))
            .map(str::to_owned)
    };
    assert_eq!(auto("silent").as_deref(), Some("Enabled"), "{table}");
    assert_eq!(auto("manual").as_deref(), Some("Disabled"), "{table}");
    assert!(!p.read(".kokumi/orders/silent.yaml").contains("autoDeploy"));
    let described = p.ok(&["describe", "order", "silent"]);
    assert!(
        described.contains("Enabled (menu default of hello)"),
        "{described}"
    );
}
