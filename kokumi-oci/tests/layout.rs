//! The on-disk OCI image layout store: format, atomicity, locking across processes, referrers,
//! gc, and skopeo interop in both directions.
// Helpers outside #[test] fns unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use kokumi_oci::layout::LayoutStore;
use kokumi_oci::store::{Digest, DigestExt};
use kokumi_oci::{Error, Manifest, Store};

/// Stores a small image (config + one layer) and returns its manifest.
async fn put_image(store: &LayoutStore, seed: &str, tag: Option<&str>) -> Manifest {
    let config = format!(r#"{{"seed":"{seed}"}}"#).into_bytes();
    let layer = format!("layer bytes for {seed}").into_bytes();
    let config_digest = store.put_blob_bytes(config.clone()).await.unwrap();
    let layer_digest = store.put_blob_bytes(layer.clone()).await.unwrap();
    let manifest = Manifest::new(
        "application/vnd.oci.image.manifest.v1+json",
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{}}}]}}"#,
            config.len(),
            layer.len()
        )
        .into_bytes(),
    );
    store.put_manifest(&manifest, tag).await.unwrap();
    manifest
}

fn index_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn creates_a_spec_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("index.json")).unwrap(),
        r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
    );
    assert!(dir.path().join("blobs/sha256").is_dir());
    // Idempotent, and open() accepts it.
    LayoutStore::create(dir.path()).await.unwrap();
    LayoutStore::open(dir.path()).await.unwrap();
    assert_eq!(store.list_tags().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn open_refuses_a_non_layout() {
    let dir = tempfile::tempdir().unwrap();
    let err = LayoutStore::open(dir.path()).await.unwrap_err();
    assert!(matches!(err, Error::NotALayout { .. }), "{err}");
    std::fs::write(
        dir.path().join("oci-layout"),
        r#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    let err = LayoutStore::open(dir.path()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("unsupported imageLayoutVersion `2.0.0`"),
        "{err}"
    );
}

#[tokio::test]
async fn manifests_tags_resolve_and_delete() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let a = put_image(&store, "a", Some("v1")).await;
    let b = put_image(&store, "b", Some("v2")).await;

    // Files land where the spec puts them, byte for byte.
    let blob = dir.path().join("blobs/sha256").join(a.digest().hex());
    assert_eq!(std::fs::read(blob).unwrap(), a.bytes);

    assert_eq!(store.list_tags().await.unwrap(), ["v1", "v2"]);
    let resolved = store.resolve("v1").await.unwrap();
    assert_eq!(resolved.digest().to_string(), a.digest().to_string());
    assert_eq!(resolved.size(), a.bytes.len() as u64);
    assert!(
        resolved.annotations().is_none(),
        "tag annotation is not part of the answer"
    );
    assert_eq!(store.get_manifest(&b.digest()).await.unwrap(), b);
    // By digest too.
    let by_digest = store.resolve(&b.digest().to_string()).await.unwrap();
    assert_eq!(by_digest.digest().to_string(), b.digest().to_string());

    // Moving a tag replaces the entry instead of duplicating it.
    store.put_manifest(&b, Some("v1")).await.unwrap();
    assert_eq!(
        store.resolve("v1").await.unwrap().digest().to_string(),
        b.digest().to_string()
    );
    let index = index_json(dir.path());
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 2, "{index}");
    assert!(
        manifests
            .iter()
            .all(|m| m["digest"] == b.digest().to_string())
    );

    // Putting an untagged manifest lists it once, and re-putting changes nothing.
    store.put_manifest(&a, None).await.unwrap();
    store.put_manifest(&a, None).await.unwrap();
    assert_eq!(
        index_json(dir.path())["manifests"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    // Delete removes every entry of the digest.
    store.delete_manifest(&b.digest()).await.unwrap();
    assert_eq!(store.list_tags().await.unwrap(), Vec::<String>::new());
    let err = store.resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    let err = store.delete_manifest(&b.digest()).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    assert!(store.resolve("bad tag").await.is_err());
}

#[tokio::test]
async fn blobs_are_verified_on_write_and_read() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let data = b"the real content".to_vec();
    let digest = Digest::of_bytes(&data);

    // A lying writer: wrong bytes for the digest. Nothing is stored, no temp file left.
    let err = store
        .put_blob(
            &digest,
            data.len() as u64,
            Box::pin(std::io::Cursor::new(b"the fake content".to_vec())),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    let err = store
        .put_blob(
            &digest,
            data.len() as u64,
            Box::pin(std::io::Cursor::new(b"short".to_vec())),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SizeMismatch {
                expected: 16,
                actual: 5,
                ..
            }
        ),
        "{err}"
    );
    assert!(!store.has_blob(&digest).await.unwrap());
    assert_eq!(
        std::fs::read_dir(dir.path().join("blobs/sha256"))
            .unwrap()
            .count(),
        0
    );

    store.put_blob_bytes(data.clone()).await.unwrap();
    assert!(store.has_blob(&digest).await.unwrap());
    assert_eq!(store.get_blob_bytes(&digest, 1024).await.unwrap(), data);
    let err = store.get_blob_bytes(&digest, 4).await.unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 4, .. }), "{err}");

    // Bit rot on disk is caught when read.
    std::fs::write(
        dir.path().join("blobs/sha256").join(digest.hex()),
        b"the real c0ntent",
    )
    .unwrap();
    let err = store.get_blob_bytes(&digest, 1024).await.unwrap_err();
    match err {
        Error::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, digest.to_string());
            assert_eq!(actual, Digest::of_bytes(b"the real c0ntent").to_string());
        }
        other => panic!("expected a digest mismatch, got {other}"),
    }
    let missing = Digest::of_bytes(b"missing");
    assert!(matches!(
        store.get_blob(&missing).await,
        Err(Error::NotFound { .. })
    ));
}

#[tokio::test]
async fn large_blob_streams_through() {
    // 64 MiB through the streaming path (the reader is never collected).
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let chunk: Vec<u8> = (0..1024 * 1024).map(|i| (i * 7 % 251) as u8).collect();
    let mut hasher = <sha2::Sha256 as sha2::Digest>::new();
    for _ in 0..64 {
        sha2::Digest::update(&mut hasher, &chunk);
    }
    let digest = Digest::from_hasher(hasher);
    let (mut w, r) = tokio::io::duplex(1024 * 1024);
    let writer = tokio::spawn(async move {
        use tokio::io::AsyncWriteExt as _;
        for _ in 0..64 {
            w.write_all(&chunk).await.unwrap();
        }
    });
    store
        .put_blob(&digest, 64 * 1024 * 1024, Box::pin(r))
        .await
        .unwrap();
    writer.await.unwrap();
    let mut reader = store.get_blob(&digest).await.unwrap();
    let copied = tokio::io::copy(&mut reader, &mut tokio::io::sink())
        .await
        .unwrap();
    assert_eq!(copied, 64 * 1024 * 1024);
}

#[tokio::test]
async fn referrers_are_found_by_subject() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let subject = put_image(&store, "subject", Some("v1")).await;
    let empty = store.put_blob_bytes(b"{}".to_vec()).await.unwrap();
    let referrer = |artifact_type: &str, note: &str| {
        Manifest::new(
            "application/vnd.oci.image.manifest.v1+json",
            format!(
                r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"{artifact_type}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"{empty}","size":2}},"layers":[],"subject":{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}},"annotations":{{"note":"{note}"}}}}"#,
                subject.digest(),
                subject.bytes.len()
            )
            .into_bytes(),
        )
    };
    let sig = referrer("application/vnd.example.signature", "sig");
    let sbom = referrer("application/spdx+json", "sbom");
    store.put_manifest(&sig, None).await.unwrap();
    store.put_manifest(&sbom, None).await.unwrap();
    // An unrelated manifest is not a referrer.
    put_image(&store, "other", None).await;

    let all = store.referrers(&subject.digest(), None).await.unwrap();
    let mut expected = vec![sig.digest().to_string(), sbom.digest().to_string()];
    expected.sort();
    assert_eq!(
        all.iter()
            .map(|d| d.digest().to_string())
            .collect::<Vec<_>>(),
        expected
    );
    let sboms = store
        .referrers(&subject.digest(), Some("application/spdx+json"))
        .await
        .unwrap();
    assert_eq!(sboms.len(), 1);
    assert_eq!(sboms[0].digest().to_string(), sbom.digest().to_string());
    assert_eq!(sboms[0].annotations().as_ref().unwrap()["note"], "sbom");
    // index.json entries of referrers carry artifactType and annotations (image-layout spec).
    let index = index_json(dir.path());
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["digest"] == sig.digest().to_string())
        .unwrap();
    assert_eq!(entry["artifactType"], "application/vnd.example.signature");
    assert_eq!(entry["annotations"]["note"], "sig");
    assert!(
        store
            .referrers(&sig.digest(), None)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn gc_removes_unreachable_blobs_only() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let keep = put_image(&store, "keep", Some("keep")).await;
    let drop = put_image(&store, "drop", Some("drop")).await;
    std::fs::write(dir.path().join("blobs/sha256/.tmp-leftover-1"), b"partial").unwrap();
    std::fs::write(dir.path().join(".tmp-index.json-1-2-3"), b"{").unwrap();
    store.delete_manifest(&drop.digest()).await.unwrap();

    // Too young: nothing is touched (a concurrent writer might still link them).
    let report = store.gc(Duration::from_secs(3600)).await.unwrap();
    assert!(report.blobs_removed.is_empty());

    let report = store.gc(Duration::ZERO).await.unwrap();
    assert_eq!(report.blobs_removed.len(), 3, "{report:?}"); // manifest, config, layer
    assert!(report.blobs_removed.contains(&drop.digest()));
    assert_eq!(report.temp_files_removed, 2);
    // What the kept image needs is still there and valid.
    for child in keep.children().unwrap() {
        let digest = Digest::of(&child).unwrap();
        store.get_blob_bytes(&digest, 1 << 20).await.unwrap();
    }
    assert_eq!(store.get_manifest(&keep.digest()).await.unwrap(), keep);
}

/// Entry point for the child processes of [`two_processes_never_lose_an_entry`]: does nothing
/// unless `KOKUMI_LAYOUT_CHILD` names a layout directory.
#[tokio::test]
#[ignore = "entry point of a child process spawned by two_processes_never_lose_an_entry"]
async fn child_writer() {
    let Ok(dir) = std::env::var("KOKUMI_LAYOUT_CHILD") else {
        return;
    };
    let prefix = std::env::var("KOKUMI_LAYOUT_CHILD_PREFIX").unwrap();
    let store = LayoutStore::create(&dir).await.unwrap();
    for i in 0..25 {
        put_image(
            &store,
            &format!("{prefix}-{i}"),
            Some(&format!("{prefix}-{i}")),
        )
        .await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_never_lose_an_entry() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    // Two OS processes (plus tasks in this one) tag concurrently into a fresh directory;
    // the children also race on creating the layout.
    let children: Vec<_> = ["p1", "p2"]
        .iter()
        .map(|prefix| {
            Command::new(&exe)
                .args([
                    "layout::child_writer",
                    "--exact",
                    "--ignored",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("KOKUMI_LAYOUT_CHILD", dir.path())
                .env("KOKUMI_LAYOUT_CHILD_PREFIX", prefix)
                .spawn()
                .unwrap()
        })
        .collect();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let tasks: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            tokio::spawn(async move {
                for i in 0..10 {
                    put_image(&store, &format!("t{t}-{i}"), Some(&format!("t{t}-{i}"))).await;
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let tags = store.list_tags().await.unwrap();
    assert_eq!(tags.len(), 2 * 25 + 4 * 10, "lost entries: {tags:?}");
    for tag in ["p1-0", "p1-24", "p2-13", "t3-9"] {
        store.resolve(tag).await.unwrap();
    }
    // And no temporary file was left behind.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .chain(std::fs::read_dir(dir.path().join("blobs/sha256")).unwrap())
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test]
async fn skopeo_reads_ours_and_we_read_skopeos() {
    let Some(skopeo) = crate::support::registry::skopeo() else {
        return;
    };
    let run = |args: &[&str]| crate::support::registry::run_skopeo(&skopeo, args);
    let dir = tempfile::tempdir().unwrap();
    let ours = dir.path().join("ours");
    let store = LayoutStore::create(&ours).await.unwrap();
    let image = put_image(&store, "interop", Some("v1")).await;

    // skopeo reads what we wrote, byte for byte.
    let raw = run(&["inspect", "--raw", &format!("oci:{}:v1", ours.display())]);
    assert_eq!(raw, image.bytes);

    // skopeo writes a fresh layout from ours; we read it with the same digests.
    let theirs = dir.path().join("theirs");
    run(&[
        "copy",
        "--quiet",
        "--preserve-digests",
        &format!("oci:{}:v1", ours.display()),
        &format!("oci:{}:copied", theirs.display()),
    ]);
    let their_store = LayoutStore::open(&theirs).await.unwrap();
    assert_eq!(their_store.list_tags().await.unwrap(), ["copied"]);
    let resolved = their_store.resolve("copied").await.unwrap();
    assert_eq!(resolved.digest().to_string(), image.digest().to_string());
    let manifest = their_store.get_manifest(&image.digest()).await.unwrap();
    assert_eq!(manifest, image);
    for child in manifest.children().unwrap() {
        let digest = Digest::of(&child).unwrap();
        assert_eq!(
            their_store.get_blob_bytes(&digest, 1 << 20).await.unwrap(),
            store.get_blob_bytes(&digest, 1 << 20).await.unwrap()
        );
    }

    // skopeo adds a tag to our layout; we see both, and we can keep writing after it.
    run(&[
        "copy",
        "--quiet",
        "--preserve-digests",
        &format!("oci:{}:copied", theirs.display()),
        &format!("oci:{}:v2", ours.display()),
    ]);
    assert_eq!(store.list_tags().await.unwrap(), ["v1", "v2"]);
    put_image(&store, "after", Some("v3")).await;
    assert_eq!(store.list_tags().await.unwrap(), ["v1", "v2", "v3"]);
    let raw = run(&["inspect", "--raw", &format!("oci:{}:v3", ours.display())]);
    assert_eq!(
        Digest::of_bytes(&raw).to_string(),
        store.resolve("v3").await.unwrap().digest().to_string()
    );
}

#[tokio::test]
async fn keeps_foreign_index_fields_and_finds_the_sole_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let err = store.sole_manifest().await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
    // Another tool wrote top-level fields we don't model; an update must keep them.
    std::fs::write(
        dir.path().join("index.json"),
        r#"{"schemaVersion":2,"manifests":[],"annotations":{"com.example.tool":"x"}}"#,
    )
    .unwrap();
    let image = put_image(&store, "only", None).await;
    let index = index_json(dir.path());
    assert_eq!(index["annotations"]["com.example.tool"], "x", "{index}");
    assert_eq!(
        store.sole_manifest().await.unwrap().digest().to_string(),
        image.digest().to_string()
    );
    put_image(&store, "second", Some("two")).await;
    let err = store.sole_manifest().await.unwrap_err();
    assert!(err.to_string().contains("lists 2 manifests"), "{err}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn reads_a_layout_skopeo_wrote() {
    // Committed fixture (see tests/fixtures/layout-skopeo.README): no skopeo needed here.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/layout-skopeo");
    let store = LayoutStore::open(&fixture).await.unwrap();
    assert_eq!(store.list_tags().await.unwrap(), ["again", "v1"]);
    let v1 = store.resolve("v1").await.unwrap();
    let again = store.resolve("again").await.unwrap();
    assert_eq!(v1.digest(), again.digest());
    assert_eq!(
        v1.digest().to_string(),
        "sha256:2148754beb99f06314fad2eefcc58448b4340024b91dfac627d79fa6965b4598"
    );
    let digest = Digest::of(&v1).unwrap();
    let manifest = store.get_manifest(&digest).await.unwrap();
    assert_eq!(
        manifest.media_type,
        "application/vnd.oci.image.manifest.v1+json"
    );
    for child in manifest.children().unwrap() {
        store
            .get_blob_bytes(&Digest::of(&child).unwrap(), 1 << 20)
            .await
            .unwrap();
    }
    let fetched = kokumi_oci::source::fetch(&store, "v1", &kokumi_oci::extract::Limits::default())
        .await
        .unwrap();
    match fetched.source {
        kokumi_oci::source::Source::Bundle(files) => {
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].path, "manifest.yaml");
        }
        other => panic!("expected a bundle, got {other:?}"),
    }

    // Writing into (a copy of) it keeps skopeo's entries and adds ours.
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture, dir.path());
    let store = LayoutStore::open(dir.path()).await.unwrap();
    put_image(&store, "ours", Some("ours")).await;
    store.delete_manifest(&digest).await.unwrap_or(());
    assert_eq!(store.list_tags().await.unwrap(), ["ours"]);
}
