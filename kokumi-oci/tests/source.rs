//! Sources: Helm charts (current and legacy media types) and manifest bundles (OCI tar,
//! tar+gzip, Flux) read through a store; helm-push artifacts, compared byte for byte with what
//! the real `helm push` writes, and pulled and templated by the real helm.
// Helpers outside #[test] fns unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Command;

use kokumi_oci::artifact::{PreparationMeta, pack};
use kokumi_oci::extract::Limits;
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::source::{HelmPushOptions, Source, fetch, helm_chart_artifact, push_helm_chart};
use kokumi_oci::{DigestExt, Error, Manifest, Store};

const CHART_YAML: &str = "apiVersion: v2\nname: mychart\nversion: 0.1.0\nappVersion: 1.16\ndescription: A <small> chart & more\nhome: https://example.com/mychart\nsources:\n  - https://example.com/src\nmaintainers:\n  - name: Ann\n    email: ann@example.com\n  - name: Bob\nkeywords: [demo]\nannotations:\n  example.com/team: web\n  org.opencontainers.image.title: not-the-name\ntype: application\n";
const VALUES_YAML: &str = "greeting: hello\n";
const TEMPLATE: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n";

fn chart_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("mychart/Chart.yaml", CHART_YAML),
        ("mychart/values.yaml", VALUES_YAML),
        ("mychart/templates/cm.yaml", TEMPLATE),
    ]
}

/// A chart archive as `helm package` lays it out (files under `<name>/`).
fn chart_tgz() -> Vec<u8> {
    tar_gz(&chart_files())
}

fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&tar(files)).unwrap();
    gz.finish().unwrap()
}

fn tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, body) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder
            .append_data(&mut header, path, body.as_bytes())
            .unwrap();
    }
    builder.into_inner().unwrap()
}

/// Stores a one-config, layers-as-given manifest and tags it.
async fn put_artifact(
    store: &LayoutStore,
    config_type: &str,
    layers: &[(&str, Vec<u8>)],
    tag: &str,
) {
    let config = store.put_blob_bytes(b"{}".to_vec()).await.unwrap();
    let mut descriptors = Vec::new();
    for (media_type, bytes) in layers {
        let digest = store.put_blob_bytes(bytes.clone()).await.unwrap();
        descriptors.push(format!(
            r#"{{"mediaType":"{media_type}","digest":"{digest}","size":{}}}"#,
            bytes.len()
        ));
    }
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"{config_type}","digest":"{config}","size":2}},"layers":[{}]}}"#,
        descriptors.join(",")
    );
    store
        .put_manifest(
            &Manifest::new(
                "application/vnd.oci.image.manifest.v1+json",
                manifest.into_bytes(),
            ),
            Some(tag),
        )
        .await
        .unwrap();
}

#[test]
fn helm_push_artifact_shape() {
    let artifact = helm_chart_artifact(chart_tgz(), &HelmPushOptions::default()).unwrap();
    assert_eq!(
        (artifact.name.as_str(), artifact.version.as_str()),
        ("mychart", "0.1.0")
    );
    assert_eq!(artifact.default_tag(), "0.1.0");
    // Chart.yaml as JSON in Helm's field order, Go's HTML escaping, numbers kept as text.
    insta::assert_snapshot!(String::from_utf8(artifact.config.bytes.clone()).unwrap(), @r#"{"name":"mychart","home":"https://example.com/mychart","sources":["https://example.com/src"],"version":"0.1.0","description":"A \u003csmall\u003e chart \u0026 more","keywords":["demo"],"maintainers":[{"name":"Ann","email":"ann@example.com"},{"name":"Bob"}],"apiVersion":"v2","appVersion":"1.16","annotations":{"example.com/team":"web","org.opencontainers.image.title":"not-the-name"},"type":"application"}"#);
    insta::assert_snapshot!(String::from_utf8(artifact.manifest.bytes.clone()).unwrap(), @r#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.cncf.helm.config.v1+json","digest":"sha256:953d11075b60bf3b73d3f0a147fe6773dc703147b5e76f25520f8437ddbfd705","size":405},"layers":[{"mediaType":"application/vnd.cncf.helm.chart.content.v1.tar+gzip","digest":"sha256:07a5aa05439824dcb73dc08b77938f914e31ba7d01a70f9fbce07d19b5e222ff","size":438}],"annotations":{"example.com/team":"web","org.opencontainers.image.authors":"Ann (ann@example.com), Bob","org.opencontainers.image.description":"A \u003csmall\u003e chart \u0026 more","org.opencontainers.image.source":"https://example.com/src","org.opencontainers.image.title":"mychart","org.opencontainers.image.url":"https://example.com/mychart","org.opencontainers.image.version":"0.1.0"}}"#);
    assert_eq!(artifact.layers.len(), 1);
    assert_eq!(
        artifact.layers[0].bytes,
        chart_tgz(),
        "the archive is pushed unchanged"
    );
}

#[test]
fn bad_charts_are_refused() {
    let no_chart_yaml = tar_gz(&[("mychart/values.yaml", VALUES_YAML)]);
    let err = helm_chart_artifact(no_chart_yaml, &HelmPushOptions::default()).unwrap_err();
    assert!(err.to_string().contains("no <chart>/Chart.yaml"), "{err}");
    let no_version = tar_gz(&[("mychart/Chart.yaml", "apiVersion: v2\nname: mychart\n")]);
    let err = helm_chart_artifact(no_version, &HelmPushOptions::default()).unwrap_err();
    assert!(err.to_string().contains("version is required"), "{err}");
    let broken = tar_gz(&[("mychart/Chart.yaml", "apiVersion: [v2\n")]);
    let err = helm_chart_artifact(broken, &HelmPushOptions::default()).unwrap_err();
    assert!(
        err.to_string()
            .contains("mychart/Chart.yaml in the chart archive"),
        "{err}"
    );
    let err = helm_chart_artifact(b"not a tgz".to_vec(), &HelmPushOptions::default()).unwrap_err();
    assert!(!err.to_string().is_empty());
}

#[tokio::test]
async fn charts_round_trip_through_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let digest = push_helm_chart(&store, chart_tgz(), None, &HelmPushOptions::default())
        .await
        .unwrap();
    assert_eq!(store.list_tags().await.unwrap(), ["0.1.0"]);
    let fetched = fetch(&store, "0.1.0", &Limits::default()).await.unwrap();
    assert_eq!(fetched.digest, digest);
    assert_eq!(
        fetched.annotations["org.opencontainers.image.title"],
        "mychart"
    );
    let Source::HelmChart(chart) = fetched.source else {
        panic!("expected a chart");
    };
    assert_eq!(chart.archive, chart_tgz());
    assert_eq!(
        (chart.name.as_str(), chart.version.as_str()),
        ("mychart", "0.1.0")
    );
    assert_eq!(chart.config["appVersion"], "1.16");
    assert!(chart.provenance.is_none());

    // Legacy Helm 3.0-3.7 layout: helm config, `application/tar+gzip` layer.
    put_artifact(
        &store,
        "application/vnd.cncf.helm.config.v1+json",
        &[("application/tar+gzip", chart_tgz())],
        "legacy",
    )
    .await;
    let legacy = fetch(&store, "legacy", &Limits::default()).await.unwrap();
    assert!(matches!(legacy.source, Source::HelmChart(c) if c.archive == chart_tgz()));

    // A chart whose archive would extract past the cap is refused.
    let err = fetch(
        &store,
        "0.1.0",
        &Limits::default().with_max_extracted_size(100),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn bundles_of_every_layer_type() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let files = [("manifest.yaml", "kind: ConfigMap\n")];
    let several = [
        ("a.yaml", "kind: A\n"),
        ("sub/b.yml", "kind: B\n"),
        ("README.md", "hi\n"),
    ];
    put_artifact(
        &store,
        "application/vnd.cncf.flux.config.v1+json",
        &[(
            "application/vnd.cncf.flux.content.v1.tar+gzip",
            tar_gz(&several),
        )],
        "flux",
    )
    .await;
    put_artifact(
        &store,
        "application/vnd.oci.image.config.v1+json",
        &[("application/vnd.oci.image.layer.v1.tar", tar(&files))],
        "tar",
    )
    .await;
    put_artifact(
        &store,
        "application/vnd.oci.empty.v1+json",
        &[
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                tar_gz(&files),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                tar_gz(&[("more.yaml", "kind: M\n")]),
            ),
        ],
        "two-layers",
    )
    .await;
    let paths = |source: Source| match source {
        Source::Bundle(files) => files.into_iter().map(|f| f.path).collect::<Vec<_>>(),
        other => panic!("expected a bundle, got {other:?}"),
    };
    let fetched = |tag: &'static str| {
        let store = &store;
        async move { fetch(store, tag, &Limits::default()).await.unwrap().source }
    };
    assert_eq!(
        paths(fetched("flux").await),
        ["a.yaml", "sub/b.yml", "README.md"]
    );
    assert_eq!(paths(fetched("tar").await), ["manifest.yaml"]);
    assert_eq!(
        paths(fetched("two-layers").await),
        ["manifest.yaml", "more.yaml"]
    );

    // A Preparation is a bundle too.
    let packed = pack(
        &[("manifest.yaml", b"kind: P\n".as_slice())],
        &PreparationMeta::new("o"),
    )
    .unwrap();
    packed.push(&store, Some("prep")).await.unwrap();
    assert_eq!(paths(fetched("prep").await), ["manifest.yaml"]);
}

#[tokio::test]
async fn unsupported_artifacts_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    put_artifact(
        &store,
        "application/vnd.oci.image.config.v1+json",
        &[("application/vnd.example.blob", b"x".to_vec())],
        "odd",
    )
    .await;
    put_artifact(
        &store,
        "application/vnd.oci.empty.v1+json",
        &[(
            "application/vnd.oci.image.layer.v1.tar+gzip",
            tar_gz(&[("README.md", "no yaml\n")]),
        )],
        "no-yaml",
    )
    .await;
    put_artifact(
        &store,
        "application/vnd.cncf.helm.config.v1+json",
        &[(
            "application/vnd.oci.image.layer.v1.tar",
            tar(&[("a.yaml", "x")]),
        )],
        "helm-without-chart",
    )
    .await;
    put_artifact(
        &store,
        "application/vnd.oci.empty.v1+json",
        &[
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                tar_gz(&[("a.yaml", "x")]),
            ),
            (
                "application/vnd.oci.image.layer.v1.tar+gzip",
                tar_gz(&[("a.yaml", "y")]),
            ),
        ],
        "clash",
    )
    .await;
    let mut messages = Vec::new();
    for tag in ["odd", "no-yaml", "helm-without-chart", "clash"] {
        let err = fetch(&store, tag, &Limits::default()).await.unwrap_err();
        // The store path is random, and the digests are not the point here.
        let text = err
            .to_string()
            .replace(&dir.path().display().to_string(), "DIR");
        messages.push(redact_digests(&text));
    }
    insta::assert_snapshot!(messages.join("\n"), @r"
    unsupported artifact: layer media type application/vnd.example.blob is neither a Helm chart nor a tar/tar+gzip manifest bundle (config application/vnd.oci.image.config.v1+json)
    unsupported artifact: no-yaml (sha256:…) in oci-layout:DIR is a bundle without any .yaml or .yml file
    unsupported artifact: Helm chart config but no chart content layer (layers: application/vnd.oci.image.layer.v1.tar)
    unsafe archive entry `a.yaml`: the path appears in two layers
    ");
}

/// Replaces every `sha256:<64 hex>` with `sha256:…`.
fn redact_digests(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("sha256:") {
        out.push_str(&rest[..i + 7]);
        let tail = &rest[i + 7..];
        let hex = tail.bytes().take_while(u8::is_ascii_hexdigit).count();
        out.push('…');
        rest = &tail[hex..];
    }
    out.push_str(rest);
    out
}

fn helm_tool() -> Option<PathBuf> {
    crate::support::registry::require_tool(
        "helm",
        Some("KOKUMI_HELM"),
        "run ../shared/tools/get-helm DIR and set KOKUMI_HELM=DIR/helm",
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_artifact_as_real_helm_push_and_helm_reads_ours() {
    let Some(helm) = helm_tool() else {
        return;
    };
    let Some(registry) = crate::support::registry::TestRegistry::start() else {
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let home = work.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    // Keep helm's config and cache inside the test directory.
    let helm_env = |cmd: &mut Command| {
        cmd.env("HELM_CONFIG_HOME", home.join("config"))
            .env("HELM_CACHE_HOME", home.join("cache"))
            .env("HELM_DATA_HOME", home.join("data"));
    };
    let helm_run = |args: &[&str]| {
        let mut cmd = Command::new(&helm);
        helm_env(&mut cmd);
        let out = cmd.args(args).output().unwrap();
        assert!(
            out.status.success(),
            "helm {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // helm packages the chart itself (so the archive is helm's, not ours).
    let chart_dir = work.path().join("src");
    for (path, body) in chart_files() {
        let target = chart_dir.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, body).unwrap();
    }
    let out_dir = work.path().join("out");
    helm_run(&[
        "package",
        chart_dir.join("mychart").to_str().unwrap(),
        "-d",
        out_dir.to_str().unwrap(),
    ]);
    let tgz_path = out_dir.join("mychart-0.1.0.tgz");
    let tgz = std::fs::read(&tgz_path).unwrap();

    // helm pushes; we read the same bytes back and build the identical artifact.
    helm_run(&[
        "push",
        tgz_path.to_str().unwrap(),
        &format!("oci://{}/helm", registry.host),
        "--plain-http",
    ]);
    let theirs = registry.store("helm/mychart");
    let (_, manifest) = theirs.fetch_manifest("0.1.0").await.unwrap();
    let image = manifest.image().unwrap();
    let created = image.annotations().as_ref().unwrap()["org.opencontainers.image.created"].clone();
    let ours = helm_chart_artifact(
        tgz.clone(),
        &HelmPushOptions::default().with_created(created),
    )
    .unwrap();
    let config_digest = kokumi_oci::Digest::of(image.config()).unwrap();
    assert_eq!(
        String::from_utf8(
            theirs
                .get_blob_bytes(&config_digest, 1 << 20)
                .await
                .unwrap()
        )
        .unwrap(),
        String::from_utf8(ours.config.bytes.clone()).unwrap(),
        "config blob"
    );
    assert_eq!(
        String::from_utf8(manifest.bytes.clone()).unwrap(),
        String::from_utf8(ours.manifest.bytes.clone()).unwrap(),
        "manifest"
    );
    let Source::HelmChart(chart) = fetch(&theirs, "0.1.0", &Limits::default())
        .await
        .unwrap()
        .source
    else {
        panic!("helm's push is a chart");
    };
    assert_eq!(chart.archive, tgz);

    // We push (no timestamp); the real helm pulls and templates it from oci://.
    let mine = registry.store("kokumi/mychart");
    push_helm_chart(&mine, tgz, None, &HelmPushOptions::default())
        .await
        .unwrap();
    let rendered = helm_run(&[
        "template",
        "rel",
        &format!("oci://{}/kokumi/mychart", registry.host),
        "--version",
        "0.1.0",
        "--plain-http",
    ]);
    assert!(rendered.contains("name: rel-cm"), "{rendered}");
    assert!(rendered.contains("greeting: \"hello\""), "{rendered}");
}
