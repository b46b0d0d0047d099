//! Referrers on a registry without the referrers API (CNCF distribution 2.8): the tag schema.

use std::collections::BTreeMap;

use kokumi_oci::referrers::{attach_artifact, tag_schema_tag};
use kokumi_oci::store::{Digest, DigestExt, Store};

use crate::support::images::{config_for, noise, push_image};
use crate::support::registry::TestRegistry;

#[tokio::test]
async fn attach_and_list_through_the_tag_schema() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let store = registry.store("signed/app");
    let subject = push_image(&store, &config_for("s"), &[noise(80, 100)], Some("v1")).await;
    let subject_descriptor = subject.descriptor();
    let subject_digest = subject.digest();
    assert!(
        store
            .referrers(&subject_digest, None)
            .await
            .unwrap()
            .is_empty()
    );

    let mut annotations = BTreeMap::new();
    annotations.insert("org.example.kind".to_owned(), "signature".to_owned());
    let sig = attach_artifact(
        &store,
        &subject_descriptor,
        "application/vnd.example.signature.v1",
        "application/vnd.example.signature.v1+json",
        br#"{"sig":"abc"}"#.to_vec(),
        &annotations,
    )
    .await
    .unwrap();
    let sbom = attach_artifact(
        &store,
        &subject_descriptor,
        "application/spdx+json",
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3"}"#.to_vec(),
        &BTreeMap::new(),
    )
    .await
    .unwrap();

    // The registry has no API, so the index tag exists and lists both.
    assert!(
        store
            .list_tags()
            .await
            .unwrap()
            .contains(&tag_schema_tag(&subject_digest))
    );
    let all = store.referrers(&subject_digest, None).await.unwrap();
    let mut expected = vec![sig.to_string(), sbom.to_string()];
    expected.sort();
    let listed: Vec<String> = all.iter().map(|d| d.digest().to_string()).collect();
    assert_eq!(listed, expected);
    let sigs = store
        .referrers(
            &subject_digest,
            Some("application/vnd.example.signature.v1"),
        )
        .await
        .unwrap();
    assert_eq!(sigs.len(), 1);
    assert_eq!(Digest::of(&sigs[0]).unwrap(), sig);
    assert_eq!(
        sigs[0].annotations().as_ref().unwrap()["org.example.kind"],
        "signature"
    );

    // Attaching the same artifact again does not duplicate it.
    attach_artifact(
        &store,
        &subject_descriptor,
        "application/spdx+json",
        "application/spdx+json",
        br#"{"spdxVersion":"SPDX-2.3"}"#.to_vec(),
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    assert_eq!(
        store.referrers(&subject_digest, None).await.unwrap().len(),
        2
    );

    // The referrer manifest itself carries the subject.
    let manifest = store.get_manifest(&sig).await.unwrap();
    assert_eq!(
        manifest.subject().unwrap().unwrap().digest().to_string(),
        subject_digest.to_string()
    );
}

#[tokio::test]
async fn a_registry_with_the_referrers_api_needs_no_tag_index() {
    use crate::support::bad_registry::{BadRegistry, referrers_api};
    let bad = BadRegistry::start().await;
    referrers_api(&bad, true);
    let store = kokumi_oci::registry::RegistryStore::new(
        &bad.host,
        "x",
        kokumi_oci::registry::RegistryConfig::default(),
    )
    .unwrap();
    let subject = push_image(&store, &config_for("api"), &[noise(81, 10)], Some("v1")).await;
    let sig = attach_artifact(
        &store,
        &subject.descriptor(),
        "application/vnd.example.signature.v1",
        "application/octet-stream",
        b"sig".to_vec(),
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    let listed = store.referrers(&subject.digest(), None).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(Digest::of(&listed[0]).unwrap(), sig);
    // Filtering happens client-side too, whatever the server did.
    assert!(
        store
            .referrers(&subject.digest(), Some("application/other"))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.list_tags().await.unwrap(),
        ["v1"],
        "no sha256-… tag was written"
    );
}

/// `copy` with `referrers`: an SBOM attached to an image, and a signature attached to the SBOM,
/// travel with the image to an OCI layout and to another repository (which has no referrers
/// API, so the copy maintains the tag schema there); without the option they stay behind.
#[tokio::test]
async fn referrers_travel_with_copy() {
    use kokumi_oci::copy::{CopyOptions, copy, no_progress};
    use kokumi_oci::layout::LayoutStore;

    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let src = registry.store("signed/app");
    let subject = push_image(&src, &config_for("r"), &[noise(82, 1000)], Some("v1")).await;
    let sbom_content = br#"{"spdxVersion":"SPDX-2.3","name":"app"}"#.to_vec();
    let sbom = attach_artifact(
        &src,
        &subject.descriptor(),
        "application/spdx+json",
        "application/spdx+json",
        sbom_content.clone(),
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    let sbom_manifest = src.get_manifest(&sbom).await.unwrap();
    let sig = attach_artifact(
        &src,
        &sbom_manifest.descriptor(),
        "application/vnd.example.signature.v1",
        "application/octet-stream",
        b"signed-sbom".to_vec(),
        &BTreeMap::new(),
    )
    .await
    .unwrap();
    let recursive = CopyOptions {
        referrers: true,
        ..CopyOptions::default()
    };
    let listed = |v: Vec<oci_spec::image::Descriptor>| -> Vec<Digest> {
        v.iter().map(|d| Digest::of(d).unwrap()).collect()
    };

    // To an OCI layout.
    let dir = tempfile::tempdir().unwrap();
    let layout = LayoutStore::create(dir.path()).await.unwrap();
    let report = copy(&src, &layout, "v1", &recursive, no_progress())
        .await
        .unwrap();
    assert_eq!(report.referrers, 2, "{report:?}");
    assert_eq!(report.manifests_copied, 3, "{report:?}");
    assert_eq!(
        listed(layout.referrers(&subject.digest(), None).await.unwrap()),
        [sbom]
    );
    assert_eq!(listed(layout.referrers(&sbom, None).await.unwrap()), [sig]);
    let sbom_layer = Digest::of(&sbom_manifest.image().unwrap().layers()[0]).unwrap();
    assert_eq!(
        layout.get_blob_bytes(&sbom_layer, 1 << 10).await.unwrap(),
        sbom_content
    );

    // To another repository of the registry (no referrers API: the tag schema is written).
    let mirror = registry.store("mirror/app");
    let report = copy(&src, &mirror, "v1", &recursive, no_progress())
        .await
        .unwrap();
    assert_eq!(report.referrers, 2, "{report:?}");
    assert_eq!(
        listed(mirror.referrers(&subject.digest(), None).await.unwrap()),
        [sbom]
    );
    assert_eq!(listed(mirror.referrers(&sbom, None).await.unwrap()), [sig]);
    let tags = mirror.list_tags().await.unwrap();
    assert!(
        tags.contains(&tag_schema_tag(&subject.digest())),
        "{tags:?}"
    );
    assert!(tags.contains(&tag_schema_tag(&sbom)), "{tags:?}");

    // Again: everything is there, nothing is written twice.
    let again = copy(&src, &mirror, "v1", &recursive, no_progress())
        .await
        .unwrap();
    assert_eq!(again.referrers, 2);
    assert_eq!(again.blobs_copied + again.blobs_mounted, 0, "{again:?}");

    // From the layout back to a registry: the layout's referrers are found too.
    let back = registry.store("back/app");
    let report = copy(&layout, &back, "v1", &recursive, no_progress())
        .await
        .unwrap();
    assert_eq!(report.referrers, 2, "{report:?}");
    assert_eq!(listed(back.referrers(&sbom, None).await.unwrap()), [sig]);

    // Without the option, the referrers stay behind.
    let plain = registry.store("plain/app");
    let report = copy(&src, &plain, "v1", &CopyOptions::default(), no_progress())
        .await
        .unwrap();
    assert_eq!(report.referrers, 0);
    assert!(
        plain
            .referrers(&subject.digest(), None)
            .await
            .unwrap()
            .is_empty()
    );
}
