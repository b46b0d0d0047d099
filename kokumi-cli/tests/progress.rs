//! Progress: byte bars for push/pull/copy and a stage line for apply/render — drawn on a
//! terminal (here: a terminal in memory), never into pipes or with `-o json`.

use std::fs;

use kokumi_cli::oci::run_line_with;
use kokumi_cli::progress::{Capture, Progress};

use crate::support::{Project, order};

/// A directory of manifests big enough that reading it takes more than one read call.
fn manifests(root: &std::path::Path) -> String {
    let dir = root.join("web");
    fs::create_dir_all(&dir).unwrap();
    let data: String = (0..2000).map(|i| format!("  k{i}: \"{i:08}\"\n")).collect();
    fs::write(
        dir.join("configmap.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n{data}"),
    )
    .unwrap();
    dir.display().to_string()
}

/// Runs an oci command with progress drawn into a fresh capture; returns (code, out, err,
/// what the terminal showed).
fn run_captured(args: &[&str]) -> (u8, String, String, String) {
    let capture = Capture::new();
    let (code, out, err) = run_line_with(args, Progress::Capture(capture.clone()));
    (code, out, err, capture.text())
}

#[test]
fn push_pull_and_copy_draw_byte_progress_per_blob_on_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let layout = format!("oci-layout:{}:v1", tmp.path().join("a").display());
    let copy_to = format!("oci-layout:{}:v1", tmp.path().join("b").display());
    let pulled = tmp.path().join("pulled").display().to_string();

    let (code, out, err, shown) = run_captured(&["push", &dir, &layout]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Pushed: "), "{out}");
    // One line per blob (config and layer), each with its size.
    assert_eq!(shown.matches(": done (").count(), 2, "{shown}");
    assert_eq!(
        err, "",
        "progress goes to the terminal, not into the error stream"
    );

    let (code, _, err, shown) = run_captured(&["pull", &layout, &pulled]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(shown.matches(": done (").count(), 2, "{shown}");
    assert!(
        fs::read_to_string(tmp.path().join("pulled/configmap.yaml"))
            .unwrap()
            .contains("k1999"),
    );

    let (code, _, err, shown) = run_captured(&["copy", &layout, &copy_to]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(shown.matches(": done (").count(), 2, "{shown}");
}

#[test]
fn json_output_comes_without_progress() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = manifests(tmp.path());
    let layout = format!("oci-layout:{}:v1", tmp.path().join("a").display());
    let copy_to = format!("oci-layout:{}:v1", tmp.path().join("b").display());
    let pulled = tmp.path().join("pulled").display().to_string();
    for args in [
        vec!["push", &dir, &layout, "-o", "json"],
        vec!["pull", &layout, &pulled, "-o", "json"],
        vec!["copy", &layout, &copy_to, "-o", "json"],
    ] {
        let (code, out, err, shown) = run_captured(&args);
        assert_eq!(code, 0, "{args:?}: {err}");
        assert_eq!(shown, "", "{args:?} drew progress with -o json");
        assert_eq!(err, "", "{args:?}");
        serde_json::from_str::<serde_json::Value>(&out).unwrap();
    }
}

#[test]
fn apply_and_render_show_a_stage_line_on_a_terminal_only() {
    let mut p = Project::new();
    p.write("hello.yaml", &order("hello", "staged", "Disabled"));
    let capture = Capture::new();
    p.ctx.progress = Progress::Capture(capture.clone());
    let out = p.ok(&["apply", "-f", "hello.yaml"]);
    assert!(
        out.contains("preparation.delivery.kokumi.dev/hello-"),
        "{out}"
    );
    let shown = capture.text();
    assert!(shown.contains("order hello: "), "{shown:?}");
    for word in ["rendering", "pushing", "recording"] {
        assert!(shown.contains(word), "no {word:?} stage in {shown:?}");
    }
    // The dry run shows its stages, too; with -o json it does not.
    let capture = Capture::new();
    p.ctx.progress = Progress::Capture(capture.clone());
    p.ok(&["render", "-f", "hello.yaml"]);
    assert!(
        capture.text().contains("order hello: rendering"),
        "{}",
        capture.text()
    );
    let capture = Capture::new();
    p.ctx.progress = Progress::Capture(capture.clone());
    p.ok(&["render", "-f", "hello.yaml", "-o", "json"]);
    assert_eq!(capture.text(), "");
}

#[test]
fn the_binary_writes_no_progress_into_pipes() {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "piped", "Disabled"));
    let output = assert_cmd::Command::cargo_bin("kokumi")
        .unwrap()
        .current_dir(p.dir.path())
        .env("KOKUMI_HOME", p.path(".kokumi"))
        .args(["apply", "-f", "hello.yaml"])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8_lossy(&output.stderr),
        "",
        "stderr is a pipe: no stage line, no escape codes"
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        !stdout.contains('\u{1b}') && !stdout.contains('\r'),
        "{stdout:?}"
    );
    let layout = format!("oci-layout:{}:v1", p.path("out").display());
    let output = assert_cmd::Command::cargo_bin("kokumi")
        .unwrap()
        .args([
            "push",
            &p.path("charts/hello").display().to_string(),
            &layout,
        ])
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
