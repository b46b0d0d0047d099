//! Failure cases against an in-process malicious registry.

use std::time::{Duration, Instant};

use kokumi_oci::auth::Credential;
use kokumi_oci::copy::{CopyOptions, copy, no_progress};
use kokumi_oci::registry::{RegistryConfig, RegistryStore};
use kokumi_oci::store::{Digest, Store};
use kokumi_oci::{Error, media_types};

use crate::support::bad_registry::{BadRegistry, Mode};
use crate::support::images::{config_for, image_manifest, noise};

fn fast() -> RegistryConfig {
    RegistryConfig::default()
        .retries(2, Duration::from_millis(10))
        .read_timeout(Duration::from_secs(5))
}

async fn with_image(layer: &[u8]) -> (BadRegistry, RegistryStore, Digest, String) {
    let bad = BadRegistry::start().await;
    let config = config_for("bad");
    bad.put_blob(&config);
    let layer_digest = bad.put_blob(layer);
    let manifest = image_manifest(&config, &[layer.to_vec()]);
    let manifest_digest = bad.put_manifest(media_types::OCI_MANIFEST, &manifest.bytes, "v1");
    let store = RegistryStore::new(&bad.host, "x", fast()).unwrap();
    (
        bad,
        store,
        Digest::parse(&layer_digest).unwrap(),
        manifest_digest,
    )
}

#[tokio::test]
async fn wrong_digest_names_both() {
    let layer = noise(90, 10_000);
    let (bad, store, digest, manifest) = with_image(&layer).await;
    bad.set_mode(Mode::WrongDigest);
    let err = store.get_blob_bytes(&digest, 1 << 20).await.unwrap_err();
    let Error::DigestMismatch {
        expected, actual, ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*expected, digest.to_string());
    assert_eq!(
        actual,
        &Digest::of_bytes(&{
            let mut l = layer.clone();
            l[0] ^= 0xff;
            l
        })
        .to_string()
    );
    let message = err.to_string();
    assert!(
        message.contains(expected) && message.contains(actual),
        "{message}"
    );

    let err = store
        .get_manifest(&Digest::parse(&manifest).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err:?}");
}

#[tokio::test]
async fn truncated_blobs_fail() {
    let layer = noise(91, 100_000);
    let (bad, store, digest, _) = with_image(&layer).await;
    bad.set_mode(Mode::ShortBlob);
    let err = store.get_blob_bytes(&digest, 1 << 20).await.unwrap_err();
    // A short but complete answer: the digest check catches it (the length matched the answer).
    assert!(
        matches!(
            err,
            Error::DigestMismatch { .. } | Error::SizeMismatch { .. }
        ),
        "{err:?}"
    );
    bad.set_mode(Mode::TruncateBlob);
    let err = store.get_blob_bytes(&digest, 1 << 20).await.unwrap_err();
    assert!(matches!(err, Error::Stream { .. }), "{err:?}");
    assert!(err.to_string().contains(&digest.to_string()), "{err}");
}

#[tokio::test]
async fn oversized_layer_is_refused() {
    let layer = noise(92, 1000);
    let (bad, store, digest, manifest) = with_image(&layer).await;
    bad.set_mode(Mode::Oversized(5_000_000));
    // Reading into memory stops at the cap.
    let err = store.get_blob_bytes(&digest, 64 * 1024).await.unwrap_err();
    assert!(
        matches!(err, Error::TooLarge { limit: 65536, .. }),
        "{err:?}"
    );
    // Copying checks against the manifest's descriptor size.
    let dir = tempfile::tempdir().unwrap();
    let _ = dir;
    let target = BadRegistry::start().await;
    let dst = RegistryStore::new(&target.host, "y", fast()).unwrap();
    let err = copy(
        &store,
        &dst,
        &manifest,
        &CopyOptions::default(),
        no_progress(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::SizeMismatch { .. } | Error::DigestMismatch { .. }
        ),
        "{err:?}"
    );
    assert!(!dst.has_blob(&digest).await.unwrap());
}

#[tokio::test]
async fn server_error_in_the_middle_of_an_upload() {
    let bad = BadRegistry::start().await;
    let store = RegistryStore::new(&bad.host, "x", fast()).unwrap();
    bad.set_mode(Mode::FailUploadAfter(300_000));
    let data = noise(93, 2_000_000);
    let err = store.put_blob_bytes(data.clone()).await.unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
    assert!(!store.has_blob(&Digest::of_bytes(&data)).await.unwrap());
    // Once the server recovers, the same upload succeeds.
    bad.set_mode(Mode::Honest);
    store.put_blob_bytes(data.clone()).await.unwrap();
    assert_eq!(
        store
            .get_blob_bytes(&Digest::of_bytes(&data), 4 << 20)
            .await
            .unwrap(),
        data
    );
}

#[tokio::test]
async fn copy_retries_a_failed_upload_from_the_source() {
    let layer = noise(94, 1_000_000);
    let (_src_bad, src, digest, manifest) = with_image(&layer).await;
    let target = BadRegistry::start().await;
    let dst = RegistryStore::new(&target.host, "y", fast()).unwrap();
    target.set_mode(Mode::FailUploadAfter(100_000));
    let flip = target.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        flip.set_mode(Mode::Honest);
    });
    let options = CopyOptions {
        retries: 6,
        backoff: Duration::from_millis(100),
        ..CopyOptions::default()
    };
    let report = copy(&src, &dst, &manifest, &options, no_progress())
        .await
        .unwrap();
    assert_eq!(report.blobs_copied, 2);
    assert!(dst.has_blob(&digest).await.unwrap());
}

#[tokio::test]
async fn slow_server_times_out() {
    let layer = noise(95, 100);
    let (bad, _, _, _) = with_image(&layer).await;
    bad.set_mode(Mode::Slow(Duration::from_secs(30)));
    let store = RegistryStore::new(
        &bad.host,
        "x",
        RegistryConfig::default()
            .retries(1, Duration::from_millis(10))
            .read_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let started = Instant::now();
    let err = store.resolve("v1").await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
    assert!(
        err.source_chain_contains("timed out after 300ms"),
        "{err:?}"
    );
}

#[tokio::test]
async fn flaky_server_is_retried() {
    let layer = noise(96, 100);
    let (bad, store, digest, _) = with_image(&layer).await;
    bad.set_mode(Mode::Flaky(bad.requests() + 2));
    assert_eq!(store.get_blob_bytes(&digest, 1000).await.unwrap(), layer);
    let no_retries = RegistryStore::new(
        &bad.host,
        "x",
        RegistryConfig::default().retries(0, Duration::ZERO),
    )
    .unwrap();
    // The first request also fetches (no) credentials; let it through.
    assert!(no_retries.has_blob(&digest).await.unwrap());
    bad.set_mode(Mode::Flaky(bad.requests() + 1));
    let err = no_retries.has_blob(&digest).await.unwrap_err();
    assert!(err.source_chain_contains("503"), "{err:?}");
}

#[tokio::test]
async fn connection_resets_are_retried() {
    let layer = noise(98, 100);
    let (bad, store, digest, _) = with_image(&layer).await;
    // Let the first request (credentials probe) through on a fresh store, then reset two.
    assert!(store.has_blob(&digest).await.unwrap());
    bad.set_mode(Mode::Reset(bad.requests() + 2));
    assert_eq!(store.get_blob_bytes(&digest, 1000).await.unwrap(), layer);

    let no_retries = RegistryStore::new(
        &bad.host,
        "x",
        RegistryConfig::default().retries(0, Duration::ZERO),
    )
    .unwrap();
    assert!(no_retries.has_blob(&digest).await.unwrap());
    bad.set_mode(Mode::Reset(bad.requests() + 1));
    let err = no_retries.get_blob_bytes(&digest, 1000).await.unwrap_err();
    assert!(matches!(err, Error::Registry { .. }), "{err:?}");
}

trait ChainExt {
    fn source_chain_contains(&self, needle: &str) -> bool;
}

impl ChainExt for Error {
    fn source_chain_contains(&self, needle: &str) -> bool {
        let mut current: Option<&dyn std::error::Error> = Some(self);
        while let Some(e) = current {
            if e.to_string().contains(needle) {
                return true;
            }
            current = e.source();
        }
        false
    }
}

#[tokio::test]
async fn bearer_token_flow() {
    let layer = noise(97, 5000);
    let (bad, _, digest, _) = with_image(&layer).await;
    bad.require_bearer("robot", "pw", "tok-123");
    let store = RegistryStore::new(
        &bad.host,
        "x",
        fast().clone_with(Credential::Basic {
            username: "robot".into(),
            password: "pw".into(),
        }),
    )
    .unwrap();
    assert_eq!(store.get_blob_bytes(&digest, 1 << 20).await.unwrap(), layer);
    assert!(store.resolve("v1").await.is_ok());
    let tokens = bad
        .inner
        .token_requests
        .load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        (1..=2).contains(&tokens),
        "the token is cached: {tokens} token requests"
    );

    let wrong = RegistryStore::new(
        &bad.host,
        "x",
        fast().clone_with(Credential::Basic {
            username: "robot".into(),
            password: "nope".into(),
        }),
    )
    .unwrap();
    let err = wrong.resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");

    let anonymous = RegistryStore::new(&bad.host, "x", fast()).unwrap();
    let err = anonymous.resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");

    let identity = RegistryStore::new(
        &bad.host,
        "x",
        fast().clone_with(Credential::IdentityToken("pw".into())),
    )
    .unwrap();
    assert_eq!(
        identity.get_blob_bytes(&digest, 1 << 20).await.unwrap(),
        layer
    );
    let bad_identity = RegistryStore::new(
        &bad.host,
        "x",
        fast().clone_with(Credential::IdentityToken("stale".into())),
    )
    .unwrap();
    let err = bad_identity.resolve("v1").await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }), "{err:?}");

    let token = RegistryStore::new(
        &bad.host,
        "x",
        fast().clone_with(Credential::BearerToken("tok-123".into())),
    )
    .unwrap();
    assert!(token.resolve("v1").await.is_ok());
}

trait CloneWith {
    fn clone_with(self, credential: Credential) -> Self;
}

impl CloneWith for RegistryConfig {
    fn clone_with(mut self, credential: Credential) -> Self {
        self.credential = credential;
        self
    }
}

#[tokio::test]
async fn ensure_blob_uploads_when_the_registry_ignores_mounts() {
    let layer = noise(99, 3000);
    let (bad, store, existing, _) = with_image(&layer).await;
    // This registry opens an upload for any POST: the blob is sent even when it is there
    // (correct, if not minimal) and stored under its digest.
    assert!(store.ensure_blob_bytes(layer.clone()).await.unwrap());
    let fresh = noise(100, 3000);
    assert!(store.ensure_blob_bytes(fresh.clone()).await.unwrap());
    let blobs = bad.inner.blobs.lock().unwrap();
    assert_eq!(blobs.get(&existing.to_string()), Some(&layer));
    assert_eq!(
        blobs.get(&Digest::of_bytes(&fresh).to_string()),
        Some(&fresh)
    );
}

#[tokio::test]
async fn a_host_without_a_bearer_challenge_is_pinged_once() {
    let layer = noise(101, 100);
    let (bad, store, digest, _) = with_image(&layer).await;
    let before = bad.requests();
    assert!(store.has_blob(&digest).await.unwrap());
    // The first request on this host asks /v2/ how to authenticate.
    assert_eq!(bad.requests() - before, 2);
    // Other repositories and other access on that host: no ping.
    let before = bad.requests();
    let other = store.repository("y").unwrap();
    assert!(other.has_blob(&digest).await.unwrap());
    assert!(other.ensure_blob_bytes(layer.clone()).await.unwrap());
    assert_eq!(bad.requests() - before, 3, "HEAD, POST and PUT only");

    // A host that demands tokens still gets a token request per repository.
    let (bad, _, digest, _) = with_image(&layer).await;
    bad.require_bearer("robot", "pw", "tok-1");
    let credential = Credential::Basic {
        username: "robot".into(),
        password: "pw".into(),
    };
    let store = RegistryStore::new(&bad.host, "x", fast().clone_with(credential)).unwrap();
    assert!(store.has_blob(&digest).await.unwrap());
    // Challenge, token, HEAD — not a HEAD without a token that is refused first.
    let before = bad.requests();
    assert!(
        store
            .repository("y")
            .unwrap()
            .has_blob(&digest)
            .await
            .unwrap()
    );
    assert_eq!(bad.requests() - before, 3);
}
