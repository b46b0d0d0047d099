//! `RegistryStore` against a real CNCF distribution registry.

use kokumi_oci::auth::Credential;
use kokumi_oci::registry::{RegistryConfig, RegistryStore};
use kokumi_oci::store::{Digest, Store};
use kokumi_oci::{Error, media_types};
use tokio::io::AsyncReadExt as _;

use crate::support::images::{config_for, image_manifest, noise, push_image};
use crate::support::registry::TestRegistry;

#[tokio::test]
async fn push_pull_resolve_tags_delete() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let store = registry.store("team/app");
    store.ping().await.unwrap();

    let layer = noise(1, 3 * 1024 * 1024 + 17);
    let config = config_for("app");
    let layer_digest = Digest::of_bytes(&layer);
    assert!(!store.has_blob(&layer_digest).await.unwrap());
    let manifest = push_image(&store, &config, std::slice::from_ref(&layer), Some("v1")).await;
    assert!(store.has_blob(&layer_digest).await.unwrap());

    // Streaming read, verified.
    let mut reader = store.get_blob(&layer_digest).await.unwrap();
    let mut back = Vec::new();
    reader.read_to_end(&mut back).await.unwrap();
    assert_eq!(back, layer);

    // Resolve by tag and by digest: the same descriptor.
    let by_tag = store.resolve("v1").await.unwrap();
    let by_digest = store.resolve(&manifest.digest().to_string()).await.unwrap();
    assert_eq!(by_tag, by_digest);
    assert_eq!(by_tag.digest().to_string(), manifest.digest().to_string());
    assert_eq!(by_tag.size(), manifest.bytes.len() as u64);
    assert_eq!(by_tag.media_type().to_string(), media_types::OCI_MANIFEST);

    let fetched = store.get_manifest(&manifest.digest()).await.unwrap();
    assert_eq!(fetched, manifest);

    store.put_manifest(&manifest, Some("v2")).await.unwrap();
    assert_eq!(store.list_tags().await.unwrap(), ["v1", "v2"]);
    assert!(
        registry
            .store("nobody/here")
            .list_tags()
            .await
            .unwrap()
            .is_empty()
    );

    let missing = store.resolve("nope").await.unwrap_err();
    assert!(matches!(missing, Error::NotFound { .. }), "{missing:?}");
    insta::assert_snapshot!(
        missing.to_string().replace(&registry.host, "HOST"),
        @"manifest nope not found in oci://HOST/team/app"
    );

    store.delete_manifest(&manifest.digest()).await.unwrap();
    assert!(matches!(
        store.resolve("v1").await.unwrap_err(),
        Error::NotFound { .. }
    ));
    assert!(matches!(
        store.delete_manifest(&manifest.digest()).await.unwrap_err(),
        Error::NotFound { .. }
    ));
}

#[tokio::test]
async fn empty_blob_and_other_repository_share_the_connection() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let store = registry.store("a");
    let empty = store.put_blob_bytes(Vec::new()).await.unwrap();
    assert_eq!(store.get_blob_bytes(&empty, 10).await.unwrap(), b"");
    let other = store.repository("b/c").unwrap();
    assert!(!other.has_blob(&empty).await.unwrap());
    // Cross-repository mount.
    assert!(other.mount_blob(&empty, &store.location()).await.unwrap());
    assert!(other.has_blob(&empty).await.unwrap());
    assert!(
        !other
            .mount_blob_from(&Digest::of_bytes(b"absent"), "a")
            .await
            .unwrap()
    );
    // Not the same registry, or the same repository: nothing to mount from.
    let elsewhere = kokumi_oci::StoreLocation::Registry {
        host: "other.example:5000".into(),
        repository: "a".into(),
    };
    assert!(!other.mount_blob(&empty, &elsewhere).await.unwrap());
    assert!(!store.mount_blob(&empty, &store.location()).await.unwrap());
}

#[tokio::test]
async fn put_blob_refuses_lying_data() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let store = registry.store("a");
    let data = noise(2, 1000);
    let claimed = Digest::of_bytes(b"something else");
    let err = store
        .put_blob(&claimed, 1000, Box::pin(std::io::Cursor::new(data.clone())))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
    assert!(!store.has_blob(&claimed).await.unwrap());
    let err = store
        .put_blob(
            &Digest::of_bytes(&data),
            999,
            Box::pin(std::io::Cursor::new(data)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::SizeMismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn basic_auth_with_htpasswd() {
    let Some(registry) = TestRegistry::start_htpasswd("kokumi", "s3cret") else {
        return;
    };
    let store = registry.store("secure/app");
    let manifest = push_image(&store, &config_for("s"), &[noise(3, 5000)], Some("v1")).await;
    assert_eq!(
        store.resolve("v1").await.unwrap().digest().to_string(),
        manifest.digest().to_string()
    );

    let anonymous =
        RegistryStore::new(&registry.host, "secure/app", RegistryConfig::default()).unwrap();
    let err = anonymous.resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");

    let wrong = RegistryStore::new(
        &registry.host,
        "secure/app",
        RegistryConfig::with_credential(Credential::Basic {
            username: "kokumi".into(),
            password: "wrong".into(),
        }),
    )
    .unwrap();
    let err = wrong.list_tags().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");
}

#[tokio::test]
async fn manifest_media_types_round_trip() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let store = registry.store("types");
    let image = push_image(&store, &config_for("t"), &[noise(4, 10)], None).await;
    let index = crate::support::images::index_of(&[(&image, "linux", "amd64")]);
    store.put_manifest(&index, Some("idx")).await.unwrap();
    let descriptor = store.resolve("idx").await.unwrap();
    assert_eq!(descriptor.media_type().to_string(), media_types::OCI_INDEX);
    let back = store.get_manifest(&index.digest()).await.unwrap();
    assert!(back.is_index());
    assert_eq!(back.bytes, index.bytes);
    // A manifest referring to a missing blob is refused by the registry.
    let dangling = image_manifest(b"{}", &[noise(5, 10)]);
    let err = store.put_manifest(&dangling, None).await.unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
}

#[tokio::test]
async fn tls_verification_is_skipped_only_when_asked() {
    let Some(registry) = TestRegistry::start_tls() else {
        return;
    };
    // Loopback defaults to plain HTTP: a TLS server refuses that.
    let default = RegistryStore::new(&registry.host, "t", RegistryConfig::default()).unwrap();
    assert!(default.ping().await.is_err());
    // HTTPS with verification: the self-signed certificate is refused.
    let verified = RegistryStore::new(
        &registry.host,
        "t",
        RegistryConfig::default().plain_http(false),
    )
    .unwrap();
    let err = verified.ping().await.unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
    // Skipping verification for this host works, and implies HTTPS on loopback.
    let registries =
        kokumi_oci::registry::Registries::new(RegistryConfig::default()).insecure(&registry.host);
    let insecure = registries.store(&registry.host, "t").unwrap();
    insecure.ping().await.unwrap();
    let manifest = push_image(&insecure, &config_for("tls"), &[noise(9, 100)], Some("v1")).await;
    assert_eq!(
        insecure.resolve("v1").await.unwrap().digest().to_string(),
        manifest.digest().to_string()
    );
    // Another host in the same set stays verified.
    let other = registries.store("127.0.0.2:1", "t").unwrap();
    assert!(!other.shares_connection_with(&insecure));
}

#[tokio::test]
async fn docker_config_credentials_reach_the_registry() {
    let Some(registry) = TestRegistry::start_htpasswd("robot", "pa55") else {
        return;
    };
    use base64::Engine as _;
    let auth = base64::engine::general_purpose::STANDARD.encode("robot:pa55");
    let secret = format!(
        r#"{{"auths":{{"http://{}":{{"auth":"{auth}"}}}}}}"#,
        registry.host
    );
    let config =
        kokumi_oci::auth::DockerConfig::from_dockerconfigjson(secret.as_bytes(), "ns/pull")
            .unwrap();
    let registries = kokumi_oci::registry::Registries::new(RegistryConfig::default())
        .with_docker_config(config, std::sync::Arc::new(kokumi_oci::auth::NoHelpers));
    let store = registries.store(&registry.host, "private/app").unwrap();
    push_image(&store, &config_for("p"), &[noise(8, 100)], Some("v1")).await;
    assert_eq!(store.list_tags().await.unwrap(), ["v1"]);
}

#[tokio::test]
async fn ensure_blob_sends_the_bytes_only_when_the_repository_lacks_them() {
    let Some(registry) = TestRegistry::start() else {
        return;
    };
    let store = registry.store("team/ensure");
    let data = noise(7, 5000);
    let digest = Digest::of_bytes(&data);
    // New repository, new blob: sent (the self-mount opened an upload session).
    assert!(store.ensure_blob_bytes(data.clone()).await.unwrap());
    assert_eq!(store.get_blob_bytes(&digest, 10_000).await.unwrap(), data);
    // Already there: the self-mount answers 201 and nothing is sent.
    assert!(!store.ensure_blob_bytes(data.clone()).await.unwrap());
    // Another repository does not have it (the registry does, but a mount names its source):
    // sent, and then readable there.
    let other = store.repository("team/other").unwrap();
    assert!(other.ensure_blob_bytes(data.clone()).await.unwrap());
    assert_eq!(other.get_blob_bytes(&digest, 10_000).await.unwrap(), data);
    // A manifest over blobs ensured this way is accepted.
    let config = config_for("ensure");
    assert!(store.ensure_blob_bytes(config.clone()).await.unwrap());
    let manifest = image_manifest(&config, std::slice::from_ref(&data));
    store.put_manifest(&manifest, Some("v1")).await.unwrap();
    assert_eq!(
        store.resolve("v1").await.unwrap().digest().to_string(),
        manifest.digest().to_string()
    );
}
