//! `kokumi push`, `pull` and `copy`: in-process against a real registry (`docker-registry`, see
//! `kokumi_oci::testing`) and against on-disk OCI layouts.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers: a failed setup step is a failed test"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use kokumi_cli::oci::run_line;
use kokumi_oci::Digest;
use kokumi_oci::testing::{TestRegistry, run_skopeo, skopeo};

use crate::support::workspace;

/// Runs a command that must succeed; returns stdout.
fn ok(args: &[&str]) -> String {
    let (code, out, err) = run_line(args, false);
    assert_eq!(
        code, 0,
        "kokumi {args:?} failed:\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert_eq!(err, "", "no progress or notes on a non-terminal stderr");
    out
}

/// Runs a command that must fail with `code`; returns stderr.
fn fails(code: u8, args: &[&str]) -> String {
    let (got, out, err) = run_line(args, false);
    assert_eq!(
        got, code,
        "kokumi {args:?}: expected exit {code}:\nstdout:\n{out}\nstderr:\n{err}"
    );
    assert_eq!(out, "", "nothing on stdout when failing");
    err
}

/// The `Digest: …` line of text output.
fn digest_line(out: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .unwrap_or_else(|| panic!("no Digest line in {out:?}"))
        .to_owned()
}

/// Every file under `dir`: relative path → bytes.
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// A directory of manifests (nested, so paths are kept).
fn manifests(root: &Path) -> PathBuf {
    let dir = root.join("web");
    fs::create_dir_all(dir.join("extra")).unwrap();
    fs::write(
        dir.join("deployment.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n",
    )
    .unwrap();
    fs::write(
        dir.join("extra/configmap.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"1\"\n",
    )
    .unwrap();
    dir
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn push_a_directory_then_pull_gives_the_same_files() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let reference = format!("oci://{}/team/web:v1", registry.host);
    let out = ok(&["push", &s(&dir), &reference]);
    let digest = digest_line(&out);
    assert_eq!(
        out,
        format!("Pushed: {}/team/web:v1\nDigest: {digest}\n", registry.host)
    );
    // Reproducible: the same files give the same digest.
    let again = ok(&[
        "push",
        &s(&dir),
        &format!("oci://{}/team/web:v2", registry.host),
    ]);
    assert_eq!(digest_line(&again), digest);

    let target = tmp.path().join("pulled");
    let out = ok(&["pull", &reference, &s(&target)]);
    assert_eq!(
        out,
        format!("Pulled: {}/team/web:v1\nDigest: {digest}\n", registry.host)
    );
    assert_eq!(tree(&target), tree(&dir));

    // By digest too.
    let by_digest = tmp.path().join("by-digest");
    let pinned = format!("oci://{}/team/web@{digest}", registry.host);
    ok(&["pull", &pinned, &s(&by_digest)]);
    assert_eq!(tree(&by_digest), tree(&dir));

    // The target must be empty: nothing is overwritten.
    let err = fails(1, &["pull", &reference, &s(&target)]);
    assert!(err.contains("the directory is not empty"), "{err}");

    // A tag that is not there: exit 4, and the message names it.
    let err = fails(
        4,
        &[
            "pull",
            &format!("oci://{}/team/web:nope", registry.host),
            &s(&tmp.path().join("nope")),
        ],
    );
    assert!(err.starts_with("Error: ") && err.contains("nope"), "{err}");
    assert!(
        !tmp.path().join("nope").exists(),
        "nothing created on failure"
    );
}

#[test]
fn skopeo_sees_the_digest_we_printed() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let Some(skopeo) = skopeo() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let out = ok(&[
        "push",
        &s(&dir),
        &format!("oci://{}/team/web:v1", registry.host),
    ]);
    let digest = digest_line(&out);
    let raw = run_skopeo(
        &skopeo,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &registry.docker_ref("team/web:v1"),
        ],
    );
    assert_eq!(Digest::of_bytes(&raw).to_string(), digest);
}

#[test]
fn copy_registry_to_layout_to_registry_keeps_the_digest() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let src = format!("oci://{}/team/web:v1", registry.host);
    let digest = digest_line(&ok(&["push", &s(&dir), &src]));

    let layout = tmp.path().join("layout");
    let to_layout = format!("oci-layout:{}:v1", s(&layout));
    let out = ok(&["copy", &src, &to_layout]);
    assert_eq!(digest_line(&out), digest);
    assert!(out.contains("Blobs: 2 copied"), "{out}");
    assert!(layout.join("index.json").is_file());

    // Copying again moves nothing.
    let out = ok(&["copy", &src, &to_layout]);
    assert!(out.contains("Blobs: 0 copied (0 bytes)"), "{out}");

    let back = format!("oci://{}/mirror/web:v1", registry.host);
    let out = ok(&["copy", &to_layout, &back]);
    assert_eq!(digest_line(&out), digest);

    // Registry to registry on one host: blobs are mounted, not moved.
    let out = ok(&[
        "copy",
        &src,
        &format!("oci://{}/other/web:v1", registry.host),
    ]);
    assert_eq!(digest_line(&out), digest);
    assert!(out.contains("2 mounted"), "{out}");

    let pulled = tmp.path().join("pulled");
    let out = ok(&["pull", &back, &s(&pulled)]);
    assert_eq!(digest_line(&out), digest);
    assert_eq!(tree(&pulled), tree(&dir));
}

#[test]
fn a_chart_push_then_pull_gives_the_same_tgz() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    // A chart directory is packaged (helm's layout) and tagged with its version.
    let chart_dir = workspace().join("examples/charts/hello");
    let out = ok(&[
        "push",
        &s(&chart_dir),
        &format!("oci://{}/charts/hello", registry.host),
    ]);
    assert!(
        out.starts_with(&format!("Pushed: {}/charts/hello:0.1.0\n", registry.host)),
        "{out}"
    );
    let dir_digest = digest_line(&out);

    let first = tmp.path().join("first");
    let out = ok(&[
        "pull",
        &format!("oci://{}/charts/hello:0.1.0", registry.host),
        &s(&first),
    ]);
    assert_eq!(digest_line(&out), dir_digest);
    let tgz = first.join("hello-0.1.0.tgz");
    let archive = fs::read(&tgz).unwrap();
    assert_eq!(
        fs::read_dir(&first).unwrap().count(),
        1,
        "only the chart archive"
    );

    // Pushing that .tgz gives the same artifact, and pulling it gives the same bytes.
    let out = ok(&[
        "push",
        &s(&tgz),
        &format!("oci://{}/charts/again:1", registry.host),
    ]);
    assert_eq!(digest_line(&out), dir_digest);
    let second = tmp.path().join("second");
    ok(&[
        "pull",
        &format!("oci://{}/charts/again:1", registry.host),
        &s(&second),
    ]);
    assert_eq!(fs::read(second.join("hello-0.1.0.tgz")).unwrap(), archive);

    // The archive is a chart kokumi's renderer loads.
    let chart = kokumi_render::chart::load::load_archive(&archive, &Default::default()).unwrap();
    assert_eq!(chart.name(), "hello");
}

#[test]
fn bad_references_and_inputs_are_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let d = s(&dir);
    let missing = s(&tmp.path().join("missing"));
    let not_a_layout = format!("oci-layout:{d}:v1");
    let cases: Vec<(u8, Vec<&str>)> = vec![
        (2, vec!["push", &d, "docker://localhost:5000/web:v1"]),
        (2, vec!["push", &d, "oci://localhost:5000"]),
        (2, vec!["push", &d, "oci://localhost:5000/Team/web:v1"]),
        (2, vec!["push", &d, "oci://localhost:5000/web:bad+tag"]),
        (
            2,
            vec![
                "push",
                &d,
                "oci://localhost:5000/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ],
        ),
        (
            2,
            vec!["pull", "oci://localhost:5000/web@sha256:abc", "out"],
        ),
        (2, vec!["pull", "oci-layout:", "out"]),
        (
            4,
            vec![
                "push",
                "/nonexistent/manifests",
                "oci-layout:/nonexistent/l",
            ],
        ),
        (4, vec!["pull", "oci-layout:/nonexistent/layout:v1", "out"]),
        (
            2,
            vec![
                "copy",
                "oci-layout:/x:v1",
                "oci-layout:/y:v1",
                "--platform",
                "linux",
            ],
        ),
        (1, vec!["pull", &not_a_layout, &missing]),
        (5, vec!["pull", "oci://127.0.0.1:1/web:v1", "out"]),
        (2, vec!["pull", "oci://127.0.0.1:1/web:v1"]),
    ];
    let mut report = String::new();
    for (code, args) in &cases {
        let err = fails(*code, args);
        let t = s(tmp.path());
        let shown: Vec<String> = args.iter().map(|a| a.replace(&t, "<tmp>")).collect();
        report.push_str(&format!(
            "$ kokumi {}\n{}",
            shown.join(" "),
            err.replace(&t, "<tmp>")
        ));
    }
    insta::assert_snapshot!(report);
}

/// `copy -r` brings the referrers (here an SBOM attached with the library) along; a plain
/// copy leaves them behind and prints no `Referrers:` line.
#[test]
fn copy_recursive_brings_the_referrers() {
    use kokumi_oci::Store as _;
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let src = format!("oci://{}/team/signed:v1", registry.host);
    let digest: Digest = digest_line(&ok(&["push", &s(&manifests(tmp.path())), &src]))
        .parse()
        .unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sbom = rt.block_on(async {
        let store = registry.store("team/signed");
        let subject = store.resolve("v1").await.unwrap();
        kokumi_oci::referrers::attach_artifact(
            &store,
            &subject,
            "application/spdx+json",
            "application/spdx+json",
            br#"{"spdxVersion":"SPDX-2.3"}"#.to_vec(),
            &BTreeMap::new(),
        )
        .await
        .unwrap()
    });

    let layout = tmp.path().join("layout");
    let out = ok(&["copy", "-r", &src, &format!("oci-layout:{}:v1", s(&layout))]);
    assert!(out.ends_with("Referrers: 1 copied\n"), "{out}");
    let mirror = format!("oci://{}/mirror/signed:v1", registry.host);
    let out = ok(&["copy", "--recursive", &src, &mirror]);
    assert!(out.ends_with("Referrers: 1 copied\n"), "{out}");
    let plain = format!("oci://{}/plain/signed:v1", registry.host);
    let out = ok(&["copy", &src, &plain]);
    assert!(!out.contains("Referrers"), "{out}");

    rt.block_on(async {
        let layout = kokumi_oci::layout::LayoutStore::open(&layout)
            .await
            .unwrap();
        for store in [
            &layout as &dyn kokumi_oci::Store,
            &registry.store("mirror/signed"),
        ] {
            let listed: Vec<String> = store
                .referrers(&digest, None)
                .await
                .unwrap()
                .iter()
                .map(|d| d.digest().to_string())
                .collect();
            assert_eq!(listed, [sbom.to_string()], "{store:?}");
        }
        let plain = registry.store("plain/signed");
        assert!(plain.referrers(&digest, None).await.unwrap().is_empty());
    });
}

#[test]
fn json_output_shapes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let layout = tmp.path().join("layout");
    let redact = |text: String| text.replace(&s(tmp.path()), "<tmp>");

    let push = ok(&[
        "push",
        &s(&dir),
        &format!("oci-layout:{}:v1", s(&layout)),
        "-o",
        "json",
    ]);
    let pulled = tmp.path().join("pulled");
    let pull = ok(&[
        "pull",
        &format!("oci-layout:{}:v1", s(&layout)),
        &s(&pulled),
        "-o",
        "json",
    ]);
    let copy = ok(&[
        "copy",
        &format!("oci-layout:{}:v1", s(&layout)),
        &format!("oci-layout:{}:v2", s(&tmp.path().join("copy"))),
        "-o",
        "json",
    ]);
    for text in [&push, &pull, &copy] {
        let _: serde_json::Value = serde_json::from_str(text).unwrap();
    }
    insta::assert_snapshot!(redact(format!("{push}---\n{pull}---\n{copy}")));
    assert_eq!(tree(&pulled), tree(&dir));
}

/// `helm` from `KOKUMI_HELM` or `PATH`, or `None` (see `require_tool`).
pub(crate) fn helm() -> Option<PathBuf> {
    kokumi_oci::testing::require_tool(
        "helm",
        Some("KOKUMI_HELM"),
        "run ../shared/tools/get-helm DIR and set KOKUMI_HELM=DIR/helm",
    )
}

/// Runs helm with its state in `home`; returns stdout, panics with stderr on failure.
fn run_helm(helm: &Path, home: &Path, args: &[&str]) -> String {
    let output = std::process::Command::new(helm)
        .args(args)
        .env("HELM_CACHE_HOME", home.join("cache"))
        .env("HELM_CONFIG_HOME", home.join("config"))
        .env("HELM_DATA_HOME", home.join("data"))
        .env("HOME", home)
        .output()
        .expect("running helm");
    assert!(
        output.status.success(),
        "helm {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn helm_templates_a_chart_directory_we_pushed() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let Some(helm) = helm() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let chart_dir = workspace().join("examples/charts/hello");
    let out = ok(&[
        "push",
        &s(&chart_dir),
        &format!("oci://{}/charts/hello", registry.host),
    ]);
    assert!(out.contains("Digest: sha256:"), "{out}");
    // What helm renders from the registry is what it renders from the directory.
    let from_registry = run_helm(
        &helm,
        home.path(),
        &[
            "template",
            "web",
            &format!("oci://{}/charts/hello", registry.host),
            "--version",
            "0.1.0",
            "--plain-http",
        ],
    );
    let from_dir = run_helm(&helm, home.path(), &["template", "web", &s(&chart_dir)]);
    assert!(from_dir.contains("kind: Deployment"), "{from_dir}");
    assert_eq!(from_registry, from_dir);
    // helm pull gets our archive; we pull the same bytes.
    let pulled = home.path().join("helm-pull");
    fs::create_dir_all(&pulled).unwrap();
    run_helm(
        &helm,
        home.path(),
        &[
            "pull",
            &format!("oci://{}/charts/hello", registry.host),
            "--version",
            "0.1.0",
            "--plain-http",
            "-d",
            &s(&pulled),
        ],
    );
    let ours = home.path().join("ours");
    ok(&[
        "pull",
        &format!("oci://{}/charts/hello:0.1.0", registry.host),
        &s(&ours),
    ]);
    assert_eq!(
        fs::read(pulled.join("hello-0.1.0.tgz")).unwrap(),
        fs::read(ours.join("hello-0.1.0.tgz")).unwrap()
    );
}

#[test]
fn progress_reporting_does_not_change_results() {
    // With progress on, bars go to the real stderr (hidden when it is not a terminal);
    // stdout and the digest are the same as without.
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let layout = format!("oci-layout:{}:v1", s(&tmp.path().join("a")));
    let copy_to = format!("oci-layout:{}:v1", s(&tmp.path().join("b")));
    let (code, quiet, _) = run_line(&["push", &s(&dir), &layout], false);
    assert_eq!(code, 0);
    let (code, loud, err) = run_line(&["push", &s(&dir), &layout], true);
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(quiet, loud);
    let (code, out, err) = run_line(&["copy", &layout, &copy_to], true);
    assert_eq!(code, 0, "{err}");
    assert_eq!(digest_line(&out), digest_line(&quiet));
}

#[test]
fn the_binary_prints_errors_and_exits_with_their_code() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let layout = format!("oci-layout:{}:v1", s(&tmp.path().join("layout")));
    let output = assert_cmd::Command::cargo_bin("kokumi")
        .unwrap()
        .args(["push", &s(&dir), &layout])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(stdout.starts_with("Pushed: oci-layout:"), "{stdout}");
    assert_eq!(
        output.stderr, b"",
        "no progress bars when stderr is not a terminal"
    );

    let output = assert_cmd::Command::cargo_bin("kokumi")
        .unwrap()
        .args(["pull", "oci://localhost:5000/web@sha256:abc", "out"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    insta::assert_snapshot!(
        String::from_utf8(output.stderr).unwrap(),
        @r#"Error: invalid reference `oci://localhost:5000/web@sha256:abc`: digest "sha256:abc" has 3 hex characters, expected 64"#
    );
}

#[test]
fn credentials_come_from_the_registry_config() {
    let Some(registry) = TestRegistry::start_htpasswd("alice", "s3cret") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let reference = format!("oci://{}/team/web:v1", registry.host);
    // "YWxpY2U6czNjcmV0" is base64 of "alice:s3cret".
    let config = tmp.path().join("config.json");
    fs::write(
        &config,
        format!(
            r#"{{"auths": {{"{}": {{"auth": "YWxpY2U6czNjcmV0"}}}}}}"#,
            registry.host
        ),
    )
    .unwrap();
    let empty = tmp.path().join("empty.json");
    fs::write(&empty, r#"{"auths": {}}"#).unwrap();

    let err = fails(
        5,
        &[
            "push",
            &s(&dir),
            &reference,
            "--registry-config",
            &s(&empty),
        ],
    );
    assert!(err.contains("unauthorized"), "{err}");
    let out = ok(&[
        "push",
        &s(&dir),
        &reference,
        "--registry-config",
        &s(&config),
    ]);
    let digest = digest_line(&out);
    let pulled = tmp.path().join("pulled");
    let out = ok(&[
        "pull",
        &reference,
        &s(&pulled),
        "--registry-config",
        &s(&config),
    ]);
    assert_eq!(digest_line(&out), digest);
    assert_eq!(tree(&pulled), tree(&dir));

    let err = fails(
        4,
        &[
            "push",
            &s(&dir),
            &reference,
            "--registry-config",
            &s(&tmp.path().join("nope.json")),
        ],
    );
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn insecure_skips_tls_verification_only_when_asked() {
    let Some(registry) = TestRegistry::start_tls() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let reference = format!("oci://{}/team/web:v1", registry.host);
    let none = tmp.path().join("none.json");
    fs::write(&none, "{}").unwrap();
    let cfg = s(&none);
    let err = fails(
        5,
        &["push", &s(&dir), &reference, "--registry-config", &cfg],
    );
    assert!(err.starts_with("Error: "), "{err}");
    let out = ok(&[
        "push",
        &s(&dir),
        &reference,
        "--insecure",
        "--registry-config",
        &cfg,
    ]);
    assert!(out.contains("Digest: sha256:"), "{out}");
    // --plain-http against a TLS registry fails (no silent fallback).
    fails(
        5,
        &[
            "push",
            &s(&dir),
            &reference,
            "--plain-http",
            "--registry-config",
            &cfg,
        ],
    );
}

#[test]
fn a_manifest_bundle_is_extracted_into_the_directory() {
    use kokumi_oci::layout::LayoutStore;
    use kokumi_oci::media_types as mt;
    use kokumi_oci::{Manifest, Store as _};

    let tmp = tempfile::tempdir().unwrap();
    let layout = tmp.path().join("layout");
    let files = [
        ("manifest.yaml", b"kind: ConfigMap\n".as_slice()),
        ("more/secret.yaml", b"kind: Secret\n".as_slice()),
    ];
    // A Flux-style bundle: an empty config and one tar+gzip layer of YAML files.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let store = LayoutStore::create(&layout).await.unwrap();
        let layer = kokumi_oci::artifact::pack_layer(&files).unwrap();
        let layer_size = layer.len();
        let layer_digest = store.put_blob_bytes(layer).await.unwrap();
        let config_digest = store.put_blob_bytes(b"{}".to_vec()).await.unwrap();
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": mt::OCI_MANIFEST,
            "config": {"mediaType": mt::OCI_EMPTY, "digest": config_digest, "size": 2},
            "layers": [{"mediaType": mt::FLUX_CONTENT, "digest": layer_digest, "size": layer_size}],
        });
        let manifest = Manifest::new(mt::OCI_MANIFEST, serde_json::to_vec(&manifest).unwrap());
        store.put_manifest(&manifest, Some("v1")).await.unwrap();
    });
    let pulled = tmp.path().join("pulled");
    let out = ok(&[
        "pull",
        &format!("oci-layout:{}:v1", s(&layout)),
        &s(&pulled),
        "-o",
        "json",
    ]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["kind"], "bundle");
    assert_eq!(
        json["files"],
        serde_json::json!(["manifest.yaml", "more/secret.yaml"])
    );
    let got = tree(&pulled);
    let want: BTreeMap<String, Vec<u8>> = files
        .iter()
        .map(|(p, b)| ((*p).to_owned(), b.to_vec()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn a_single_file_and_a_chart_directory_with_helmignore() {
    let tmp = tempfile::tempdir().unwrap();
    // One file: the artifact holds it under its own name; the Order is named after it.
    let file = tmp.path().join("app.yaml");
    fs::write(&file, "kind: ConfigMap\n").unwrap();
    let layout = format!("oci-layout:{}", s(&tmp.path().join("layout")));
    ok(&["push", &s(&file), &format!("{layout}:file")]);
    let pulled = tmp.path().join("file");
    let out = ok(&["pull", &format!("{layout}:file"), &s(&pulled), "-o", "json"]);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["kind"], "preparation");
    assert_eq!(tree(&pulled).keys().collect::<Vec<_>>(), ["app.yaml"]);

    // A chart directory: `.helmignore`d paths and hidden template files stay out, files sit
    // under `<name>/` as helm packages them.
    let chart = tmp.path().join("src-dir");
    fs::create_dir_all(chart.join("templates")).unwrap();
    fs::create_dir_all(chart.join("ci")).unwrap();
    fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: mychart\nversion: 1.0.0+build.1\n",
    )
    .unwrap();
    fs::write(chart.join(".helmignore"), "ci/\n*.bak\n").unwrap();
    fs::write(chart.join("ci/values.yaml"), "x: 1\n").unwrap();
    fs::write(chart.join("values.yaml.bak"), "x: 2\n").unwrap();
    fs::write(chart.join("templates/.hidden.yaml"), "x: 3\n").unwrap();
    fs::write(chart.join("templates/cm.yaml"), "kind: ConfigMap\n").unwrap();
    let out = ok(&["push", &s(&chart), &layout]);
    // `+` is not allowed in tags: helm's `_` substitute.
    assert!(
        out.starts_with(&format!("Pushed: {layout}:1.0.0_build.1\n")),
        "{out}"
    );
    let pulled = tmp.path().join("chart");
    ok(&["pull", &format!("{layout}:1.0.0_build.1"), &s(&pulled)]);
    let archive = fs::read(pulled.join("mychart-1.0.0+build.1.tgz")).unwrap();
    let files = kokumi_oci::extract::read_archive(
        archive.as_slice(),
        kokumi_oci::extract::Compression::for_media_type(
            kokumi_oci::media_types::OCI_LAYER_TAR_GZIP,
        ),
        &mut kokumi_oci::extract::Limits::default().budget(),
    )
    .unwrap();
    let names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    insta::assert_debug_snapshot!(names, @r#"
    [
        "mychart/.helmignore",
        "mychart/Chart.yaml",
        "mychart/templates/cm.yaml",
    ]
    "#);
}
