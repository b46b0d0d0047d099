//! Referrers on a registry without the referrers API (CNCF distribution 2.8): the tag schema.

use std::collections::BTreeMap;

use kokumi_oci::referrers::{attach_artifact, tag_schema_tag};
use kokumi_oci::store::{Digest, Store};

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
        subject_digest.as_str()
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
