//! Push and pull a large artifact with kokumi and with skopeo against the same real registry,
//! in one run, and print the ratio (goal: kokumi/skopeo ≤ 1.0). Also measures this process's
//! peak memory (VmHWM, measured first, before anything else ran) while pushing and pulling a
//! 1 GiB blob (goal: < 64 MiB).
//!
//! `cargo bench -p kokumi-oci --bench registry [-- --size-mib 200 --rounds 3 --memory-gib 1]`
//!
//! Not a criterion bench on purpose: one sample is hundreds of MiB over the network, and the
//! figure of merit is a ratio against a peer tool measured in the same run, on the same registry
//! and disk. Each measurement gets a fresh registry, so neither tool can reuse blobs (or skopeo
//! its blob-info cache) from an earlier round.
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

use std::path::Path;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use kokumi_oci::copy::{CopyOptions, copy, no_progress};
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::media_types;
use kokumi_oci::store::{Digest, DigestExt, Manifest, Store};
use sha2::Digest as _;
use tokio::io::{AsyncRead, AsyncReadExt as _, ReadBuf};

use registry::{TestRegistry, skopeo};

/// An endless-looking stream of `len` pseudo-random bytes, generated on the fly.
struct Noise {
    state: u64,
    remaining: u64,
}

impl Noise {
    fn new(seed: u64, len: u64) -> Self {
        Self {
            state: seed | 1,
            remaining: len,
        }
    }
}

impl AsyncRead for Noise {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let want = (buf.remaining() as u64).min(self.remaining) as usize;
        let mut chunk = Vec::with_capacity(want + 8);
        while chunk.len() < want {
            let mut x = self.state;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.state = x;
            chunk.extend_from_slice(&x.to_le_bytes());
        }
        chunk.truncate(want);
        buf.put_slice(&chunk);
        self.remaining -= want as u64;
        Poll::Ready(Ok(()))
    }
}

async fn noise_digest(seed: u64, len: u64) -> Digest {
    let mut reader = Noise::new(seed, len);
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = reader.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Digest::from_hasher(hasher)
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn current_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Writes an OCI layout holding one image of `size` bytes (one layer) tagged `bench`.
async fn make_layout(dir: &Path, size: u64) -> Manifest {
    let layout = LayoutStore::create(dir).await.unwrap();
    let digest = noise_digest(7, size).await;
    layout
        .put_blob(&digest, size, Box::pin(Noise::new(7, size)))
        .await
        .unwrap();
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = layout.put_blob_bytes(config.to_vec()).await.unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": media_types::OCI_MANIFEST,
        "config": {"mediaType": media_types::OCI_CONFIG, "digest": config_digest.to_string(), "size": config.len()},
        "layers": [{"mediaType": media_types::OCI_LAYER_TAR_GZIP, "digest": digest.to_string(), "size": size}],
    });
    let manifest = Manifest::new(
        media_types::OCI_MANIFEST,
        serde_json::to_vec(&manifest).unwrap(),
    );
    layout.put_manifest(&manifest, Some("bench")).await.unwrap();
    manifest
}

fn time_command(program: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let output = Command::new(program).args(args).output().unwrap();
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "{} {args:?}: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let size_mib = arg("--size-mib", 200);
    let rounds = arg("--rounds", 3).max(1);
    let memory_gib = arg("--memory-gib", 1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let Some(_probe) = TestRegistry::start() else {
            return;
        };
        let Some(skopeo) = skopeo() else {
            return;
        };
        // Memory first, so VmHWM is not inflated by the speed rounds.
        if memory_gib > 0 {
            let len = memory_gib * 1024 * 1024 * 1024;
            let registry = TestRegistry::start().unwrap();
            let store = registry.store("bench/memory");
            let digest = noise_digest(9, len).await;
            let before = current_rss_kib();
            let start = Instant::now();
            store
                .put_blob(&digest, len, Box::pin(Noise::new(9, len)))
                .await
                .unwrap();
            let push = start.elapsed();
            let after_push = peak_rss_kib();
            let start = Instant::now();
            let mut reader = store.get_blob(&digest).await.unwrap();
            let copied = tokio::io::copy(&mut reader, &mut tokio::io::sink()).await.unwrap();
            assert_eq!(copied, len);
            let pull = start.elapsed();
            let after_pull = peak_rss_kib();
            println!(
                "memory: {memory_gib} GiB blob pushed in {:.2} s, pulled (verified) in {:.2} s; process RSS before {:.1} MiB, peak (VmHWM) after push {:.1} MiB, after pull {:.1} MiB (goal < 64 MiB)",
                push.as_secs_f64(),
                pull.as_secs_f64(),
                before as f64 / 1024.0,
                after_push as f64 / 1024.0,
                after_pull as f64 / 1024.0
            );
            // The `kokumi push` path: an on-disk layout copied to a registry.
            let layout_dir = tempfile::tempdir().unwrap();
            make_layout(layout_dir.path(), len).await;
            let layout = LayoutStore::open(layout_dir.path()).await.unwrap();
            let registry = TestRegistry::start().unwrap();
            let start = Instant::now();
            copy(&layout, &registry.store("bench/copy"), "bench", &CopyOptions::default(), no_progress())
                .await
                .unwrap();
            println!(
                "memory: {memory_gib} GiB layout copied to the registry in {:.2} s; peak (VmHWM) so far {:.1} MiB",
                start.elapsed().as_secs_f64(),
                peak_rss_kib() as f64 / 1024.0
            );
        }
        let work = tempfile::tempdir().unwrap();
        let size = size_mib * 1024 * 1024;
        let source_dir = work.path().join("source");
        make_layout(&source_dir, size).await;
        let source = LayoutStore::open(&source_dir).await.unwrap();
        let source_ref = format!("oci:{}:bench", source_dir.display());

        let (mut k_push, mut k_pull, mut s_push, mut s_pull) = (vec![], vec![], vec![], vec![]);
        for round in 0..rounds {
            // kokumi
            let registry = TestRegistry::start().unwrap();
            let remote = registry.store("bench/kokumi");
            let start = Instant::now();
            copy(&source, &remote, "bench", &CopyOptions::default(), no_progress())
                .await
                .unwrap();
            k_push.push(start.elapsed());
            let pulled_dir = work.path().join(format!("k-pull-{round}"));
            let pulled = LayoutStore::create(&pulled_dir).await.unwrap();
            let start = Instant::now();
            copy(&remote, &pulled, "bench", &CopyOptions::default(), no_progress())
                .await
                .unwrap();
            k_pull.push(start.elapsed());
            drop(registry);
            std::fs::remove_dir_all(&pulled_dir).unwrap();

            // skopeo
            let registry = TestRegistry::start().unwrap();
            let target = registry.docker_ref("bench/skopeo:bench");
            s_push.push(time_command(
                &skopeo,
                &["copy", "--dest-tls-verify=false", &source_ref, &target],
            ));
            let pulled_dir = work.path().join(format!("s-pull-{round}"));
            s_pull.push(time_command(
                &skopeo,
                &[
                    "copy",
                    "--src-tls-verify=false",
                    &target,
                    &format!("oci:{}:bench", pulled_dir.display()),
                ],
            ));
            drop(registry);
            std::fs::remove_dir_all(&pulled_dir).unwrap();
        }
        let mib = size_mib as f64;
        let report = |name: &str, ours: &[Duration], theirs: &[Duration]| {
            let (o, t) = (median(ours.to_vec()), median(theirs.to_vec()));
            println!(
                "{name:<5} {size_mib} MiB: kokumi {:>7.3} s ({:>6.1} MiB/s)  skopeo {:>7.3} s ({:>6.1} MiB/s)  ratio kokumi/skopeo {:.2}",
                o.as_secs_f64(),
                mib / o.as_secs_f64(),
                t.as_secs_f64(),
                mib / t.as_secs_f64(),
                o.as_secs_f64() / t.as_secs_f64()
            );
        };
        println!("median of {rounds} rounds, fresh registry per measurement");
        report("push", &k_push, &s_push);
        report("pull", &k_pull, &s_pull);

    });
}
