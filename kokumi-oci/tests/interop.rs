//! Interop with skopeo both ways, with the same digests.

use kokumi_oci::copy::{CopyOptions, copy, no_progress};
use kokumi_oci::store::{Digest, Store};

use crate::support::images::{config_for, index_of, noise, push_image};
use crate::support::registry::{TestRegistry, run_skopeo, skopeo};

#[tokio::test]
async fn skopeo_reads_what_we_push() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let Some(skopeo) = skopeo() else {
        return;
    };
    let store = registry.store("interop/ours");
    let layers = [noise(10, 200_000), noise(11, 1234)];
    let manifest = push_image(&store, &config_for("ours"), &layers, Some("v1")).await;

    let raw = run_skopeo(
        &skopeo,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &registry.docker_ref(&format!("interop/ours@{}", manifest.digest())),
        ],
    );
    assert_eq!(raw, manifest.bytes, "skopeo sees the exact bytes we pushed");
    assert_eq!(Digest::of_bytes(&raw), manifest.digest());

    // skopeo copies it into an OCI layout, preserving digests; the layout's blobs are ours.
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("layout");
    run_skopeo(
        &skopeo,
        &[
            "copy",
            "--preserve-digests",
            "--src-tls-verify=false",
            &registry.docker_ref("interop/ours:v1"),
            &format!("oci:{}:v1", layout.display()),
        ],
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    assert_eq!(
        index["manifests"][0]["digest"],
        manifest.digest().to_string()
    );
    for layer in &layers {
        let path = layout
            .join("blobs/sha256")
            .join(Digest::of_bytes(layer).hex());
        assert_eq!(&std::fs::read(path).unwrap(), layer);
    }
}

#[tokio::test]
async fn we_read_what_skopeo_pushes() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let Some(skopeo) = skopeo() else {
        return;
    };
    // Make an image with our store in registry repo A, let skopeo copy it to repo B
    // (skopeo does the upload), then pull B with our client.
    let a = registry.store("interop/a");
    let layers = [noise(20, 300_000)];
    let manifest = push_image(&a, &config_for("a"), &layers, Some("v1")).await;
    let image2 = push_image(&a, &config_for("a2"), &[noise(21, 999)], None).await;
    let index = index_of(&[(&manifest, "linux", "amd64"), (&image2, "linux", "arm64")]);
    a.put_manifest(&index, Some("multi")).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let layout = format!("oci:{}:multi", dir.path().join("l").display());
    run_skopeo(
        &skopeo,
        &[
            "copy",
            "--all",
            "--preserve-digests",
            "--src-tls-verify=false",
            &registry.docker_ref("interop/a:multi"),
            &layout,
        ],
    );
    run_skopeo(
        &skopeo,
        &[
            "copy",
            "--all",
            "--preserve-digests",
            "--dest-tls-verify=false",
            &layout,
            &registry.docker_ref("interop/b:multi"),
        ],
    );

    let b = registry.store("interop/b");
    let resolved = b.resolve("multi").await.unwrap();
    assert_eq!(resolved.digest().to_string(), index.digest().to_string());
    let back = b.get_manifest(&index.digest()).await.unwrap();
    assert_eq!(back.bytes, index.bytes);
    let layer = b
        .get_blob_bytes(&Digest::of_bytes(&layers[0]), 1 << 20)
        .await
        .unwrap();
    assert_eq!(layer, layers[0]);

    // And our copy engine moves skopeo's upload onwards with the same index digest.
    let c = registry.store("interop/c");
    let report = copy(&b, &c, "multi", &CopyOptions::default(), no_progress())
        .await
        .unwrap();
    assert_eq!(report.digest, Some(index.digest()));
    run_skopeo(
        &skopeo,
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &registry.docker_ref("interop/c:multi"),
        ],
    );
}
