//! On-disk OCI layout and artifact packing, measured against skopeo in the same run.
//!
//! - copy a one-layer image of `--size-mib` MiB (default 200) between two OCI layouts with
//!   kokumi (`copy` over two `LayoutStore`s) and with `skopeo copy oci:… oci:…`, and print
//!   the ratio (goal: kokumi/skopeo ≤ 1.0);
//! - pack a Preparation of many YAML files (`--pack-mib`, default 16) and print the MiB/s.
//!
//! `cargo bench -p kokumi-oci --bench layout [-- --size-mib 200 --rounds 3 --pack-mib 16]`
//!
//! Not a criterion bench: the figure of merit is a ratio against a peer tool measured on the
//! same disk in the same run; each round uses fresh directories so neither tool skips blobs.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs,
    unreachable_pub,
    dead_code
)]

#[path = "../tests/support/registry.rs"]
mod registry;

use std::process::Command;
use std::time::{Duration, Instant};

use kokumi_oci::artifact::{PreparationMeta, pack};
use kokumi_oci::copy::{CopyOptions, copy, no_progress};
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::store::{Digest, DigestExt, Manifest, Store};
use sha2::Digest as _;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Pseudo-random, incompressible bytes (xorshift), `len` long.
fn noise(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity(len);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

async fn source_layout(dir: &std::path::Path, size: usize) -> LayoutStore {
    let store = LayoutStore::create(dir).await.unwrap();
    let layer = noise(size);
    let layer_digest = Digest::from_hasher(sha2::Sha256::new_with_prefix(&layer));
    store
        .put_blob(
            &layer_digest,
            size as u64,
            Box::pin(std::io::Cursor::new(layer)),
        )
        .await
        .unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = store.put_blob_bytes(config.to_vec()).await.unwrap();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer_digest}","size":{size}}}]}}"#,
        config.len()
    );
    store
        .put_manifest(
            &Manifest::new(
                "application/vnd.oci.image.manifest.v1+json",
                manifest.into_bytes(),
            ),
            Some("big"),
        )
        .await
        .unwrap();
    store
}

fn mib_per_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / d.as_secs_f64()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let size_mib = arg("--size-mib", 200);
    let rounds = arg("--rounds", 3);
    let pack_mib = arg("--pack-mib", 16);
    let size = (size_mib as usize) << 20;

    // Packing.
    let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  key: value-value-value-value\n";
    let per_file = 64 * 1024;
    let files: Vec<(String, Vec<u8>)> = (0..(pack_mib as usize * 1024 * 1024 / per_file))
        .map(|i| {
            (
                format!("docs/{i:05}.yaml"),
                doc.repeat(per_file / doc.len()).into_bytes(),
            )
        })
        .collect();
    let total: u64 = files.iter().map(|(_, b)| b.len() as u64).sum();
    let start = Instant::now();
    let packed = pack(&files, &PreparationMeta::new("bench")).unwrap();
    let took = start.elapsed();
    println!(
        "pack: {} files, {:.1} MiB -> {:.1} KiB layer in {:.3}s ({:.1} MiB/s), digest {}",
        files.len(),
        total as f64 / 1048576.0,
        packed.layer.bytes.len() as f64 / 1024.0,
        took.as_secs_f64(),
        mib_per_s(total, took),
        packed.digest()
    );

    // Layout to layout copy, kokumi vs skopeo.
    let Some(skopeo) = registry::skopeo() else {
        println!("layout copy: skipped (skopeo not installed)");
        return;
    };
    let work = tempfile::tempdir().unwrap();
    let src_dir = work.path().join("src");
    let src = source_layout(&src_dir, size).await;
    // The page cache is shared: the tools alternate, so neither gets it alone.
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..rounds {
        let dst_dir = work.path().join(format!("kokumi-{round}"));
        let dst = LayoutStore::create(&dst_dir).await.unwrap();
        let start = Instant::now();
        let report = copy(&src, &dst, "big", &CopyOptions::default(), no_progress())
            .await
            .unwrap();
        ours.push(start.elapsed());
        assert_eq!(report.blobs_copied, 2);
        std::fs::remove_dir_all(&dst_dir).unwrap();

        let dst_dir = work.path().join(format!("skopeo-{round}"));
        let start = Instant::now();
        let status = Command::new(&skopeo)
            .args([
                "copy",
                "--quiet",
                "--preserve-digests",
                &format!("oci:{}:big", src_dir.display()),
                &format!("oci:{}:big", dst_dir.display()),
            ])
            .status()
            .unwrap();
        theirs.push(start.elapsed());
        assert!(status.success());
        std::fs::remove_dir_all(&dst_dir).unwrap();
    }
    let best = |v: &[Duration]| v.iter().copied().min().unwrap_or_default();
    let (k, s) = (best(&ours), best(&theirs));
    println!(
        "layout copy {size_mib} MiB (best of {rounds}): kokumi {:.3}s ({:.0} MiB/s), skopeo {:.3}s ({:.0} MiB/s), ratio kokumi/skopeo = {:.2}",
        k.as_secs_f64(),
        mib_per_s(size as u64, k),
        s.as_secs_f64(),
        mib_per_s(size as u64, s),
        k.as_secs_f64() / s.as_secs_f64()
    );
}
