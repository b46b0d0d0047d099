//! The copy engine between real registries (and registry repositories).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kokumi_oci::copy::{
    ANNOTATION_SOURCE_INDEX, CopyOptions, Progress, ProgressFn, ProgressKind, copy, no_progress,
};
use kokumi_oci::store::{Digest, Store};

use crate::support::images::{config_for, index_of, noise, push_image};
use crate::support::registry::TestRegistry;

/// Records finished transfers per digest.
fn recorder() -> (ProgressFn, Arc<Mutex<Vec<Progress>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    (
        Arc::new(move |p: &Progress| sink.lock().unwrap().push(p.clone())),
        events,
    )
}

fn finished_per_digest(events: &[Progress]) -> BTreeMap<Digest, usize> {
    let mut out = BTreeMap::new();
    for e in events.iter().filter(|e| e.kind == ProgressKind::Finished) {
        *out.entry(e.digest).or_insert(0) += 1;
    }
    out
}

#[tokio::test]
async fn shared_layers_move_once() {
    let (Some(source), Some(target)) = (TestRegistry::start(), TestRegistry::start()) else {
        return;
    };
    let src = source.store("apps");
    let dst = target.store("mirror/apps");
    let shared = noise(30, 2 * 1024 * 1024);
    let base = noise(31, 500_000);
    let one = push_image(
        &src,
        &config_for("one"),
        &[base.clone(), shared.clone(), noise(32, 1000)],
        Some("one"),
    )
    .await;
    let two = push_image(
        &src,
        &config_for("two"),
        &[base.clone(), shared.clone(), noise(33, 2000)],
        Some("two"),
    )
    .await;

    let (progress, events) = recorder();
    let first = copy(
        &src,
        &dst,
        "one",
        &CopyOptions::default(),
        Arc::clone(&progress),
    )
    .await
    .unwrap();
    assert_eq!(first.blobs_copied, 4, "{first:?}");
    assert_eq!(first.blobs_skipped, 0);
    let second = copy(&src, &dst, "two", &CopyOptions::default(), progress)
        .await
        .unwrap();
    assert_eq!(
        second.blobs_copied, 2,
        "config and own layer only: {second:?}"
    );
    assert_eq!(
        second.blobs_skipped, 2,
        "base and shared skipped: {second:?}"
    );
    assert_eq!(second.bytes_copied, (config_for("two").len() + 2000) as u64);

    let events = events.lock().unwrap().clone();
    let finished = finished_per_digest(&events);
    assert_eq!(finished[&Digest::of_bytes(&shared)], 1);
    assert_eq!(finished[&Digest::of_bytes(&base)], 1);
    assert!(finished.values().all(|n| *n == 1), "{finished:?}");
    // Progress covers the whole blob: the last Transferring event of the big layer says 2 MiB.
    let big: Vec<&Progress> = events
        .iter()
        .filter(|e| e.digest == Digest::of_bytes(&shared) && e.kind == ProgressKind::Transferring)
        .collect();
    assert!(big.len() >= 2, "{big:?}");
    assert_eq!(big.last().unwrap().done, shared.len() as u64);
    assert_eq!(big.last().unwrap().total, shared.len() as u64);

    assert_eq!(
        dst.resolve("one").await.unwrap().digest().to_string(),
        one.digest().to_string()
    );
    assert_eq!(
        dst.resolve("two").await.unwrap().digest().to_string(),
        two.digest().to_string()
    );
}

#[tokio::test]
async fn index_with_children_keeps_its_digest_and_dedups_within_a_run() {
    let (Some(source), Some(target)) = (TestRegistry::start(), TestRegistry::start()) else {
        return;
    };
    let src = source.store("multi");
    let dst = target.store("multi");
    let shared = noise(40, 100_000);
    let amd = push_image(
        &src,
        &config_for("amd"),
        &[shared.clone(), noise(41, 10)],
        None,
    )
    .await;
    let arm = push_image(
        &src,
        &config_for("arm"),
        &[shared.clone(), noise(42, 10)],
        None,
    )
    .await;
    let index = index_of(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    src.put_manifest(&index, Some("v1")).await.unwrap();

    let (progress, events) = recorder();
    let report = copy(&src, &dst, "v1", &CopyOptions::default(), progress)
        .await
        .unwrap();
    assert_eq!(report.digest, Some(index.digest()));
    assert_eq!(report.manifests_copied, 3);
    assert_eq!(report.blobs_copied, 5, "shared layer once: {report:?}");
    assert_eq!(report.blobs_skipped, 1);
    assert_eq!(
        finished_per_digest(&events.lock().unwrap())[&Digest::of_bytes(&shared)],
        1
    );
    assert_eq!(
        dst.get_manifest(&index.digest()).await.unwrap().bytes,
        index.bytes
    );
    assert!(dst.resolve(&arm.digest().to_string()).await.is_ok());

    // Again: everything is there, nothing moves (resumable / idempotent).
    let again = copy(&src, &dst, "v1", &CopyOptions::default(), no_progress())
        .await
        .unwrap();
    assert_eq!(again.blobs_copied, 0);
    assert_eq!(again.manifests_skipped, 2, "{again:?}");
}

#[tokio::test]
async fn one_platform_records_the_source_index() {
    let (Some(source), Some(target)) = (TestRegistry::start(), TestRegistry::start()) else {
        return;
    };
    let src = source.store("multi");
    let dst = target.store("single");
    let amd = push_image(&src, &config_for("amd"), &[noise(50, 100)], None).await;
    let arm = push_image(&src, &config_for("arm"), &[noise(51, 100)], None).await;
    let index = index_of(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    src.put_manifest(&index, Some("v1")).await.unwrap();

    let options = CopyOptions {
        platform: Some("linux/arm64".parse().unwrap()),
        ..CopyOptions::default()
    };
    let report = copy(&src, &dst, "v1", &options, no_progress())
        .await
        .unwrap();
    assert_eq!(report.source_digest, Some(index.digest()));
    let written = dst
        .get_manifest(report.digest.as_ref().unwrap())
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&written.bytes).unwrap();
    assert_eq!(
        value["annotations"][ANNOTATION_SOURCE_INDEX],
        index.digest().to_string()
    );
    assert_eq!(value["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(value["manifests"][0]["digest"], arm.digest().to_string());
    assert!(dst.resolve(&arm.digest().to_string()).await.is_ok());
    assert!(dst.resolve(&amd.digest().to_string()).await.is_err());

    let missing = CopyOptions {
        platform: Some("windows/amd64".parse().unwrap()),
        ..CopyOptions::default()
    };
    let err = copy(&src, &dst, "v1", &missing, no_progress())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("platform windows/amd64"), "{err}");
}

/// Bytes that went through the copy's reader, per the progress callback (the last
/// `Transferring` report of each blob transfer).
fn bytes_streamed(events: &[Progress]) -> u64 {
    let mut last: BTreeMap<Digest, u64> = BTreeMap::new();
    for e in events
        .iter()
        .filter(|e| e.kind == ProgressKind::Transferring)
    {
        last.insert(e.digest, e.done);
    }
    last.values().sum()
}

#[tokio::test]
async fn same_registry_mounts_instead_of_copying() {
    let (Some(registry), Some(other)) = (TestRegistry::start(), TestRegistry::start()) else {
        return;
    };
    let src = registry.store("team/a");
    let dst = registry.store("team/b");
    let layer = noise(60, 1 << 20);
    push_image(
        &src,
        &config_for("m"),
        std::slice::from_ref(&layer),
        Some("v1"),
    )
    .await;
    // Plain `copy` through `&dyn Store`: it notices both ends are one registry by itself.
    let (src_dyn, dst_dyn): (&dyn Store, &dyn Store) = (&src, &dst);
    let (progress, events) = recorder();
    let report = copy(src_dyn, dst_dyn, "v1", &CopyOptions::default(), progress)
        .await
        .unwrap();
    assert_eq!(report.blobs_mounted, 2, "{report:?}");
    assert_eq!((report.blobs_copied, report.bytes_copied), (0, 0));
    let events = events.lock().unwrap().clone();
    assert_eq!(bytes_streamed(&events), 0, "{events:?}");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.kind == ProgressKind::Mounted)
            .count(),
        2
    );
    assert_eq!(
        dst.get_blob_bytes(&Digest::of_bytes(&layer), 2 << 20)
            .await
            .unwrap(),
        layer
    );
    assert!(dst.resolve("v1").await.is_ok());

    // The control: to another registry the same copy streams every byte.
    let (progress, events) = recorder();
    let far = other.store("team/b");
    let report = copy(&src, &far, "v1", &CopyOptions::default(), progress)
        .await
        .unwrap();
    assert_eq!(report.blobs_mounted, 0);
    let config_len = config_for("m").len() as u64;
    assert_eq!(report.bytes_copied, layer.len() as u64 + config_len);
    assert_eq!(
        bytes_streamed(&events.lock().unwrap()),
        layer.len() as u64 + config_len
    );
}

#[tokio::test]
async fn interrupted_copy_resumes() {
    let (Some(source), Some(target)) = (TestRegistry::start(), TestRegistry::start()) else {
        return;
    };
    let src = source.store("r");
    let dst = target.store("r");
    let layers = [noise(70, 300_000), noise(71, 300_000), noise(72, 300_000)];
    push_image(&src, &config_for("r"), &layers, Some("v1")).await;
    // An earlier run got two layers across before it died.
    dst.put_blob_bytes(layers[0].clone()).await.unwrap();
    dst.put_blob_bytes(layers[2].clone()).await.unwrap();
    let report = copy(&src, &dst, "v1", &CopyOptions::default(), no_progress())
        .await
        .unwrap();
    assert_eq!(report.blobs_skipped, 2, "{report:?}");
    assert_eq!(
        report.blobs_copied, 2,
        "config and the missing layer: {report:?}"
    );
    assert_eq!(
        report.bytes_copied,
        (config_for("r").len() + 300_000) as u64
    );
}

#[tokio::test]
async fn registry_to_layout_and_back() {
    let (Some(source), Some(target)) = (TestRegistry::start(), TestRegistry::start()) else {
        return;
    };
    let src = source.store("app");
    let amd = push_image(&src, &config_for("amd"), &[noise(80, 700_000)], None).await;
    let arm = push_image(&src, &config_for("arm"), &[noise(81, 10)], None).await;
    let index = index_of(&[(&amd, "linux", "amd64"), (&arm, "linux", "arm64")]);
    src.put_manifest(&index, Some("v1")).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let layout = kokumi_oci::layout::LayoutStore::create(dir.path().join("l"))
        .await
        .unwrap();
    let down = copy(&src, &layout, "v1", &CopyOptions::default(), no_progress())
        .await
        .unwrap();
    assert_eq!(down.digest, Some(index.digest()));
    assert_eq!(down.blobs_copied, 4);
    assert_eq!(
        layout.resolve("v1").await.unwrap().digest().to_string(),
        index.digest().to_string()
    );

    let dst = target.store("back");
    let up = copy(&layout, &dst, "v1", &CopyOptions::default(), no_progress())
        .await
        .unwrap();
    assert_eq!(up.digest, Some(index.digest()));
    assert_eq!(
        dst.get_manifest(&index.digest()).await.unwrap().bytes,
        index.bytes
    );
    assert_eq!(
        dst.get_blob_bytes(&Digest::of_bytes(&noise(80, 700_000)), 1 << 20)
            .await
            .unwrap(),
        noise(80, 700_000)
    );
}
