//! `spec.destination` in local mode: a Preparation is also pushed to the registry repository the
//! Order names (credentials from the docker config), against a real registry.

use kokumi_core::api::{Order, Preparation};
use kokumi_oci::Store as _;
use kokumi_oci::testing::TestRegistry;

use crate::support::{Project, created_preparation, order};

/// The example Order with `destination` added under `spec`.
fn order_to(name: &str, message: &str, destination: &str) -> String {
    format!(
        "{}  destination:\n{destination}",
        order(name, message, "Disabled")
    )
}

/// The digest `tag` resolves to in `repository` of `registry`, or the error.
fn resolve(registry: &TestRegistry, repository: &str, tag: &str) -> Result<String, String> {
    let store = registry.store(repository);
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(store.resolve(tag))
        .map(|d| d.digest().to_string())
        .map_err(|e| e.to_string())
}

fn prep(p: &Project, name: &str) -> Preparation {
    serde_norway::from_str(&p.read(&format!(".kokumi/preparations/{name}.yaml"))).unwrap()
}

#[test]
fn a_destination_repository_receives_the_preparation() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let p = Project::new();
    let repo = format!("oci://{}/team/hello", registry.host);
    p.write(
        "hello.yaml",
        &order_to("hello", "pushed", &format!("    oci: {repo}\n")),
    );
    let out = p.ok(&["apply", "-f", "hello.yaml"]);
    let name = created_preparation(&out);
    let recorded = prep(&p, &name);
    let digest = recorded.spec.artifact.digest;
    // The record points at the registry copy (what Argo CD pulls), pinned by digest.
    assert_eq!(recorded.spec.artifact.oci_ref, format!("{repo}@{digest}"));
    // The registry holds it, tagged with the Preparation's name, with the same digest.
    assert_eq!(
        resolve(&registry, "team/hello", &name),
        Ok(digest.to_string())
    );
    // The local layout still has it: show works without the registry.
    let shown = p.ok(&["show", &name]);
    assert!(shown.contains("message: pushed"), "{shown}");
    // The Application names the same repository.
    p.ok(&["promote", &name]);
    let app = p.ok(&["application", "hello"]);
    assert!(app.contains(&format!("repoURL: {repo}\n")), "{app}");

    // Applying again changes nothing; once the registry loses it, it is pushed again.
    let again = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        again.contains(&format!("preparation.delivery.kokumi.dev/{name} unchanged")),
        "{again}"
    );
    let oci_digest = kokumi_oci::Digest::parse(&digest.to_string()).unwrap();
    let store = registry.store("team/hello");
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(store.delete_manifest(&oci_digest))
        .unwrap();
    assert!(resolve(&registry, "team/hello", &name).is_err());
    let restored = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        restored.contains(&format!("preparation.delivery.kokumi.dev/{name} restored")),
        "{restored}"
    );
    assert_eq!(
        resolve(&registry, "team/hello", &name),
        Ok(digest.to_string())
    );
}

#[test]
fn a_pantry_naming_a_registry_gets_one_repository_per_order() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let p = Project::new();
    p.write(
        "pantry.yaml",
        &format!(
            "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Pantry\nmetadata: {{name: releases}}\nspec:\n  url: oci://{}\n  plainHTTP: true\n",
            registry.host
        ),
    );
    p.write(
        "hello.yaml",
        &order_to("hello", "pantry", "    pantryRef: {name: releases}\n"),
    );
    let out = p.ok(&["apply", "-f", "pantry.yaml", "-f", "hello.yaml"]);
    let name = created_preparation(&out);
    let digest = prep(&p, &name).spec.artifact.digest;
    assert_eq!(
        resolve(&registry, "default/hello", &name),
        Ok(digest.to_string())
    );
}

#[test]
fn credentials_for_the_destination_come_from_the_docker_config() {
    let Some(registry) = TestRegistry::start_htpasswd("alice", "s3cret") else {
        return;
    };
    let p = Project::new();
    let repo = format!("oci://{}/team/hello", registry.host);
    p.write(
        "hello.yaml",
        &order_to("hello", "auth", &format!("    oci: {repo}\n")),
    );
    let empty = p.path("empty.json");
    std::fs::write(&empty, r#"{"auths": {}}"#).unwrap();
    let empty = empty.display().to_string();

    // Without credentials: a clear error, the Order is recorded as failed, nothing else.
    let err = p.fails(
        1,
        &["apply", "-f", "hello.yaml", "--registry-config", &empty],
    );
    assert!(err.contains(&repo), "{err}");
    assert!(err.contains("unauthorized"), "{err}");
    let stored: Order = serde_norway::from_str(&p.read(".kokumi/orders/hello.yaml")).unwrap();
    let ready = stored.status.unwrap().conditions;
    assert!(
        ready
            .iter()
            .any(|c| c.type_ == "Ready" && c.status == "False" && c.reason == "PushFailed"),
        "{ready:?}"
    );
    assert!(
        !p.path(".kokumi/preparations").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".yaml"))
    );

    // With the docker config the binary finds through DOCKER_CONFIG ("YWxpY2U6czNjcmV0" is
    // base64 of "alice:s3cret").
    let docker = p.path("docker");
    std::fs::create_dir_all(&docker).unwrap();
    std::fs::write(
        docker.join("config.json"),
        format!(
            r#"{{"auths": {{"{}": {{"auth": "YWxpY2U6czNjcmV0"}}}}}}"#,
            registry.host
        ),
    )
    .unwrap();
    let output = assert_cmd::Command::cargo_bin("kokumi")
        .unwrap()
        .current_dir(p.dir.path())
        .env("KOKUMI_HOME", p.path(".kokumi"))
        .env("DOCKER_CONFIG", &docker)
        .args(["apply", "-f", "hello.yaml"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let name = created_preparation(&stdout);
    assert_eq!(
        resolve(&registry, "team/hello", &name),
        Ok(prep(&p, &name).spec.artifact.digest.to_string())
    );
}

#[test]
fn a_bad_destination_is_a_clear_error() {
    let p = Project::new();
    p.write(
        "tagged.yaml",
        &order_to("tagged", "x", "    oci: oci://127.0.0.1:1/team/hello:v1\n"),
    );
    p.write(
        "nopantry.yaml",
        &order_to("nopantry", "x", "    pantryRef: {name: missing}\n"),
    );
    // The dry run refuses them the same way, before rendering.
    for command in ["render", "apply"] {
        let err = p.fails(1, &[command, "-f", "tagged.yaml"]);
        assert!(err.contains("names a tag or digest"), "{command}: {err}");
        let err = p.fails(4, &[command, "-f", "nopantry.yaml"]);
        assert!(err.contains("pantry \"missing\""), "{command}: {err}");
    }
    // An unreachable registry: the push fails, nothing is recorded.
    p.write(
        "down.yaml",
        &order_to("down", "x", "    oci: oci://127.0.0.1:1/team/hello\n"),
    );
    let err = p.fails(1, &["apply", "-f", "down.yaml"]);
    assert!(err.contains("oci://127.0.0.1:1/team/hello"), "{err}");
    assert!(
        !p.path(".kokumi/preparations").read_dir().unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .ends_with(".yaml"))
    );
}

#[test]
fn a_changed_destination_receives_the_same_preparation_and_the_record_follows() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let p = Project::new();
    let first = format!("oci://{}/team/hello", registry.host);
    let second = format!("oci://{}/team/moved", registry.host);
    p.write(
        "hello.yaml",
        &order_to("hello", "moving", &format!("    oci: {first}\n")),
    );
    let name = created_preparation(&p.ok(&["apply", "-f", "hello.yaml"]));
    let digest = prep(&p, &name).spec.artifact.digest;

    // Only the destination changes: the config hash is the same, so is the Preparation; it is
    // pushed to the new repository and its record names that copy.
    p.write(
        "hello.yaml",
        &order_to("hello", "moving", &format!("    oci: {second}\n")),
    );
    let out = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        out.contains(&format!(
            "preparation.delivery.kokumi.dev/{name} relocated to {second} ({digest})"
        )),
        "{out}"
    );
    let recorded = prep(&p, &name);
    assert_eq!(recorded.oci_ref(), format!("{second}@{digest}"));
    assert_eq!(recorded.spec.artifact.oci_ref, format!("{first}@{digest}"));
    assert_eq!(
        resolve(&registry, "team/moved", &name),
        Ok(digest.to_string())
    );
    // The old copy stays; there is still one Preparation; the Application pulls the new copy.
    assert_eq!(
        resolve(&registry, "team/hello", &name),
        Ok(digest.to_string())
    );
    let listed = p.ok(&["get", "preparations"]);
    assert_eq!(listed.lines().count(), 2, "{listed}");
    p.ok(&["promote", &name]);
    let app = p.ok(&["application", "hello"]);
    assert!(app.contains(&format!("repoURL: {second}\n")), "{app}");

    // Applying again: nothing to do.
    let again = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        again.contains(&format!("preparation.delivery.kokumi.dev/{name} unchanged")),
        "{again}"
    );
}

#[test]
fn render_says_where_apply_would_push() {
    // Nothing listens on port 1: a dry run must not contact the destination.
    let p = Project::new();
    let repo = "oci://127.0.0.1:1/team/hello";
    p.write(
        "hello.yaml",
        &order_to("hello", "dry", &format!("    oci: {repo}\n")),
    );
    let (code, _, err) = p.run(&["render", "-f", "hello.yaml"]);
    assert_eq!(code, 0, "{err}");
    let line = err.lines().last().unwrap();
    assert!(line.starts_with("would create preparation hello-"), "{err}");
    assert!(line.ends_with(&format!(") and push it to {repo}")), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&p.ok(&["render", "-f", "hello.yaml", "-o", "json"])).unwrap();
    assert_eq!(json["destination"], repo);
    // Without a destination: the local state only.
    p.write("local.yaml", &order("local", "dry", "Disabled"));
    let (code, _, err) = p.run(&["render", "-f", "local.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("push it to"), "{err}");
    let json: serde_json::Value =
        serde_json::from_str(&p.ok(&["render", "-f", "local.yaml", "-o", "json"])).unwrap();
    assert!(json["destination"].is_null(), "{json}");

    // A Pantry given next to the Order counts, as apply would store it first.
    p.write(
        "nopantry.yaml",
        &order_to("nopantry", "x", "    pantryRef: {name: missing}\n"),
    );
    p.write(
        "pantry.yaml",
        "apiVersion: delivery.kokumi.dev/v1alpha1\nkind: Pantry\nmetadata: {name: missing}\nspec:\n  url: oci://127.0.0.1:1\n  plainHTTP: true\n",
    );
    let (code, _, err) = p.run(&["render", "-f", "pantry.yaml", "-f", "nopantry.yaml"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("and push it to oci://127.0.0.1:1/default/nopantry"),
        "{err}"
    );
}
