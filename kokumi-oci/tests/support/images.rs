//! Building small test images and indexes in any store.
#![allow(dead_code)]

use kokumi_oci::media_types;
use kokumi_oci::store::{Digest, Manifest, Store};

/// Deterministic pseudo-random bytes (xorshift), so layers differ but tests are repeatable.
pub fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// The JSON of an OCI image manifest over a config and layers (already stored).
pub fn image_manifest(config: &[u8], layers: &[Vec<u8>]) -> Manifest {
    let layer_descriptors: Vec<serde_json::Value> = layers
        .iter()
        .map(|l| {
            serde_json::json!({
                "mediaType": media_types::OCI_LAYER_TAR_GZIP,
                "digest": Digest::of_bytes(l).to_string(),
                "size": l.len(),
            })
        })
        .collect();
    let value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "config": {
            "mediaType": media_types::OCI_CONFIG,
            "digest": Digest::of_bytes(config).to_string(),
            "size": config.len(),
        },
        "layers": layer_descriptors,
    });
    Manifest::new(
        media_types::OCI_MANIFEST,
        serde_json::to_vec(&value).unwrap(),
    )
}

/// Pushes config, layers and manifest; returns the manifest.
pub async fn push_image(
    store: &dyn Store,
    config: &[u8],
    layers: &[Vec<u8>],
    tag: Option<&str>,
) -> Manifest {
    store.put_blob_bytes(config.to_vec()).await.unwrap();
    for layer in layers {
        store.put_blob_bytes(layer.clone()).await.unwrap();
    }
    let manifest = image_manifest(config, layers);
    let digest = store.put_manifest(&manifest, tag).await.unwrap();
    assert_eq!(digest, manifest.digest());
    manifest
}

/// An image index over `(manifest, os, architecture)` entries.
pub fn index_of(entries: &[(&Manifest, &str, &str)]) -> Manifest {
    let manifests: Vec<serde_json::Value> = entries
        .iter()
        .map(|(m, os, arch)| {
            serde_json::json!({
                "mediaType": m.media_type,
                "digest": m.digest().to_string(),
                "size": m.bytes.len(),
                "platform": {"os": os, "architecture": arch},
            })
        })
        .collect();
    let value = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_INDEX,
        "manifests": manifests,
    });
    Manifest::new(media_types::OCI_INDEX, serde_json::to_vec(&value).unwrap())
}

/// A small config blob that differs per `name`.
pub fn config_for(name: &str) -> Vec<u8> {
    format!(r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"config":{{"Labels":{{"name":"{name}"}}}}}}"#)
        .into_bytes()
}
