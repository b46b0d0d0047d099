//! Interop with the real helm: we push a chart, helm pulls and templates it from `oci://`;
//! helm pushes a chart, we pull it byte for byte.

use std::path::{Path, PathBuf};
use std::process::Command;

use kokumi_oci::extract::Limits;
use kokumi_oci::source::{HelmPushOptions, Source, fetch, push_helm_chart};
use kokumi_oci::store::Store;

use crate::support::registry::{TestRegistry, require_tool};

fn helm() -> Option<PathBuf> {
    require_tool(
        "helm",
        Some("KOKUMI_HELM"),
        "run ../shared/tools/get-helm DIR and set KOKUMI_HELM=DIR/helm",
    )
}

/// Runs helm with its state in `home`; returns stdout, panics with stderr on failure.
fn run_helm(helm: &Path, home: &Path, args: &[&str]) -> String {
    let output = Command::new(helm)
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

/// Writes a small chart and packages it with helm; returns the `.tgz` path.
fn package_chart(helm: &Path, home: &Path, name: &str, version: &str) -> PathBuf {
    let dir = home.join("src").join(name);
    std::fs::create_dir_all(dir.join("templates")).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        format!(
            "apiVersion: v2\nname: {name}\nversion: {version}\ndescription: interop test chart\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("values.yaml"), "greeting: hello\n").unwrap();
    std::fs::write(
        dir.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cm\ndata:\n  greeting: {{ .Values.greeting | quote }}\n  chart: {{ .Chart.Name }}-{{ .Chart.Version }}\n",
    )
    .unwrap();
    let out = home.join("pkg");
    std::fs::create_dir_all(&out).unwrap();
    run_helm(
        helm,
        home,
        &[
            "package",
            dir.to_str().unwrap(),
            "-d",
            out.to_str().unwrap(),
        ],
    );
    out.join(format!("{name}-{version}.tgz"))
}

#[tokio::test]
async fn helm_pulls_and_templates_what_we_push() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let Some(helm) = helm() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let tgz = package_chart(&helm, home.path(), "ours", "1.2.3");
    let store = registry.store("charts/ours");
    let digest = push_helm_chart(
        &store,
        std::fs::read(&tgz).unwrap(),
        None,
        &HelmPushOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(store.list_tags().await.unwrap(), ["1.2.3"]);

    let url = format!("oci://{}/charts/ours", registry.host);
    let rendered = run_helm(
        &helm,
        home.path(),
        &[
            "template",
            "rel",
            &url,
            "--version",
            "1.2.3",
            "--plain-http",
            "--set",
            "greeting=hi",
        ],
    );
    assert!(rendered.contains("name: rel-cm"), "{rendered}");
    assert!(rendered.contains("greeting: \"hi\""), "{rendered}");
    assert!(rendered.contains("chart: ours-1.2.3"), "{rendered}");

    // helm pull by digest gets the same archive bytes.
    let dest = home.path().join("pulled");
    std::fs::create_dir_all(&dest).unwrap();
    let pull = Command::new(&helm)
        .args([
            "pull",
            &format!("{url}@{digest}"),
            "--plain-http",
            "-d",
            dest.to_str().unwrap(),
        ])
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(
        pull.status.success(),
        "{}",
        String::from_utf8_lossy(&pull.stderr)
    );
    let files: Vec<PathBuf> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let pulled = std::fs::read(&files[0]).unwrap();
    assert_eq!(pulled, std::fs::read(&tgz).unwrap());
}

#[tokio::test]
async fn we_pull_what_helm_pushes() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let Some(helm) = helm() else {
        return;
    };
    let home = tempfile::tempdir().unwrap();
    let tgz = package_chart(&helm, home.path(), "theirs", "0.4.0");
    let pushed = Command::new(&helm)
        .args([
            "push",
            tgz.to_str().unwrap(),
            &format!("oci://{}/charts", registry.host),
            "--plain-http",
        ])
        .env("HELM_CACHE_HOME", home.path().join("cache"))
        .env("HELM_CONFIG_HOME", home.path().join("config"))
        .env("HELM_DATA_HOME", home.path().join("data"))
        .output()
        .unwrap();
    assert!(
        pushed.status.success(),
        "{}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    // helm prints "Digest: sha256:…"; we must resolve the tag to the same digest.
    let text = String::from_utf8_lossy(&pushed.stdout).to_string()
        + &String::from_utf8_lossy(&pushed.stderr);
    let helm_digest = text
        .split_whitespace()
        .find(|w| w.starts_with("sha256:"))
        .unwrap_or_else(|| panic!("no digest in helm push output: {text}"))
        .to_owned();

    let store = registry.store("charts/theirs");
    let resolved = store.resolve("0.4.0").await.unwrap();
    assert_eq!(resolved.digest().to_string(), helm_digest);
    let fetched = fetch(&store, "0.4.0", &Limits::default()).await.unwrap();
    assert_eq!(fetched.digest.to_string(), helm_digest);
    let Source::HelmChart(chart) = fetched.source else {
        panic!("not a chart: {:?}", fetched.source);
    };
    assert_eq!(chart.name, "theirs");
    assert_eq!(chart.version, "0.4.0");
    assert_eq!(chart.archive, std::fs::read(&tgz).unwrap());
}
