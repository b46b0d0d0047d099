//! kokumi-core does no I/O: its normal dependency tree holds no async runtime, HTTP stack,
//! registry client or Kubernetes client.

use std::process::Command;

/// Crates that would mean I/O (or a client) crept into the pure domain.
const FORBIDDEN: &[&str] = &[
    "tokio",
    "reqwest",
    "hyper",
    "hyper-util",
    "h2",
    "mio",
    "oci-client",
    "kube-client",
    "kube-runtime",
    "tower",
    "rustls",
    "openssl",
];

#[test]
fn normal_dependency_tree_has_no_io_crates() {
    let output = Command::new(env!("CARGO"))
        .args([
            "tree",
            "-p",
            "kokumi-core",
            "-e",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p} {f}",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut crates = std::collections::BTreeSet::new();
    let mut bad = Vec::new();
    for line in stdout.lines() {
        let mut parts = line.split_whitespace();
        let Some(name) = parts.next() else { continue };
        let features = parts.nth(1).unwrap_or("");
        crates.insert(name.to_owned());
        if FORBIDDEN.contains(&name) {
            bad.push(line.to_owned());
        }
        // kube itself is allowed for its derive macros, but not with any client feature.
        if name == "kube" || name == "kube-core" {
            for feature in features.split(',') {
                if [
                    "client",
                    "config",
                    "runtime",
                    "ws",
                    "rustls-tls",
                    "openssl-tls",
                ]
                .contains(&feature)
                {
                    bad.push(format!("{name} with feature {feature}"));
                }
            }
        }
    }
    assert!(
        crates.contains("kokumi-core"),
        "unexpected cargo tree output:\n{stdout}"
    );
    assert!(
        crates.contains("kube-derive"),
        "kube's derive is expected in the tree"
    );
    assert!(
        bad.is_empty(),
        "kokumi-core must not depend on I/O crates: {bad:?}"
    );
}
