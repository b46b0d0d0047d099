//! The Preparation artifact format: reproducible packing (also across processes), the exact
//! manifest, the tar/gzip metadata, and push → pull through a store.
// Helpers outside #[test] fns unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::Read as _;
use std::process::Command;

use kokumi_oci::artifact::{PreparationMeta, pack, pack_layer, pull};
use kokumi_oci::extract::Limits;
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::{Digest, Error, Manifest, Store};

fn sample_files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            "manifest.yaml",
            b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: \"1\"\n"
                .to_vec(),
        ),
        ("extra/notes.txt", b"multi layout file\n".to_vec()),
    ]
}

fn sample_meta() -> PreparationMeta {
    let mut meta = PreparationMeta::new("shop/web");
    meta.source = Some("oci://registry.example/charts/web".into());
    meta.revision = Some(Digest::of_bytes(b"chart").to_string());
    meta.version = Some("1.2.3".into());
    meta.description = Some("web for the shop".into());
    meta.parent = Some(Digest::of_bytes(b"parent"));
    meta.config.insert(
        "configHash".into(),
        serde_json::json!(&Digest::of_bytes(b"inputs").to_string()),
    );
    meta
}

#[test]
fn manifest_is_canonical_and_pinned() {
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    let text = String::from_utf8(packed.manifest.bytes.clone()).unwrap();
    // Canonical: compact, keys sorted; the values are what Argo CD and Flux look at.
    insta::assert_snapshot!(text, @r#"{"annotations":{"dev.kokumi.order":"shop/web","dev.kokumi.parent":"sha256:e47125968b3b71049fbc4802d1e40a71ea1359decfabacf70b34588037d4ff0c","org.opencontainers.image.description":"web for the shop","org.opencontainers.image.revision":"sha256:cc57fc1903e444cf6a726490b43b27ee9f87facc037f86872201847c565b45fb","org.opencontainers.image.source":"oci://registry.example/charts/web","org.opencontainers.image.version":"1.2.3"},"artifactType":"application/vnd.kokumi.preparation.v1","config":{"digest":"sha256:4d0c1843cae1d2504d4d649fe26cb78466ea194360dba5c031dbd87036ff0b0f","mediaType":"application/vnd.kokumi.preparation.config.v1+json","size":637},"layers":[{"digest":"sha256:d3268ca7b02e974f4d7ec59e658ef3b215142aa882c9df77726fb4a7add015b0","mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":195}],"mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#);
    let config = String::from_utf8(packed.config.bytes.clone()).unwrap();
    insta::assert_snapshot!(config, @r#"{"configHash":"sha256:32381523e63197c929b67f793a8098bed0ae3a6fa902634fdbcc6fa4567f3346","description":"web for the shop","files":[{"digest":"sha256:60deaa45d8ccd746bfdf2aece7de8497f5791a9124ca981d3a66830d20467275","path":"extra/notes.txt","size":18},{"digest":"sha256:1f5caa45a486390a4f16aab46922b204387ade3ff791fc018fc610d9df792cd7","path":"manifest.yaml","size":68}],"order":"shop/web","parent":"sha256:e47125968b3b71049fbc4802d1e40a71ea1359decfabacf70b34588037d4ff0c","revision":"sha256:cc57fc1903e444cf6a726490b43b27ee9f87facc037f86872201847c565b45fb","schemaVersion":1,"source":"oci://registry.example/charts/web","version":"1.2.3"}"#);
    // The identity of this exact input: a change in tar, gzip or JSON output shows up here.
    insta::assert_snapshot!(packed.layer.digest.to_string(), @r#"sha256:d3268ca7b02e974f4d7ec59e658ef3b215142aa882c9df77726fb4a7add015b0"#);
    insta::assert_snapshot!(packed.digest().to_string(), @r#"sha256:3faf981c298718f36570804af20a99526340f90dde71280939603cdd6f7b0214"#);
}

#[test]
fn same_input_same_digest_in_process() {
    let a = pack(&sample_files(), &sample_meta()).unwrap();
    // Input order does not matter: files are sorted.
    let mut reversed = sample_files();
    reversed.reverse();
    let b = pack(&reversed, &sample_meta()).unwrap();
    assert_eq!(a, b);
    // Any change changes the digest.
    let mut meta = sample_meta();
    meta.version = Some("1.2.4".into());
    assert_ne!(pack(&sample_files(), &meta).unwrap().digest(), a.digest());
    let mut files = sample_files();
    files[0].1.push(b'\n');
    assert_ne!(pack(&files, &sample_meta()).unwrap().digest(), a.digest());
}

/// Entry point for [`same_input_same_digest_in_two_processes`]: writes the digest of the
/// sample artifact to the file named by `KOKUMI_PACK_CHILD_OUT`; does nothing otherwise.
#[test]
#[ignore = "entry point of a child process spawned by same_input_same_digest_in_two_processes"]
fn pack_child() {
    let Ok(out) = std::env::var("KOKUMI_PACK_CHILD_OUT") else {
        return;
    };
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    std::fs::write(out, packed.digest().to_string()).unwrap();
}

#[test]
fn same_input_same_digest_in_two_processes() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let mut digests = Vec::new();
    for i in 0..2 {
        let out = dir.path().join(format!("digest-{i}"));
        let status = Command::new(&exe)
            .args([
                "artifact::pack_child",
                "--exact",
                "--ignored",
                "--test-threads=1",
            ])
            .env("KOKUMI_PACK_CHILD_OUT", &out)
            .status()
            .unwrap();
        assert!(status.success());
        digests.push(std::fs::read_to_string(out).unwrap());
    }
    let here = pack(&sample_files(), &sample_meta())
        .unwrap()
        .digest()
        .to_string();
    assert_eq!(digests, [here.clone(), here]);
}

#[test]
fn tar_and_gzip_metadata_are_fixed() {
    let layer = pack_layer(&sample_files()).unwrap();
    // gzip header: magic, deflate, no flags (no name), mtime 0, OS 255 (unknown).
    assert_eq!(&layer[..4], &[0x1f, 0x8b, 8, 0]);
    assert_eq!(&layer[4..8], &[0, 0, 0, 0]);
    assert_eq!(layer[9], 255);
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&layer[..])
        .read_to_end(&mut tar_bytes)
        .unwrap();
    let mut archive = tar::Archive::new(&tar_bytes[..]);
    let mut names = Vec::new();
    for entry in archive.entries().unwrap() {
        let entry = entry.unwrap();
        let h = entry.header();
        assert_eq!(h.entry_type(), tar::EntryType::Regular);
        assert_eq!(h.mode().unwrap(), 0o644);
        assert_eq!(
            (h.uid().unwrap(), h.gid().unwrap(), h.mtime().unwrap()),
            (0, 0, 0)
        );
        assert_eq!(h.username().unwrap(), Some(""));
        assert_eq!(h.groupname().unwrap(), Some(""));
        assert!(h.as_ustar().is_some(), "ustar headers");
        names.push(entry.path().unwrap().to_string_lossy().into_owned());
    }
    assert_eq!(
        names,
        ["extra/notes.txt", "manifest.yaml"],
        "sorted, no directory entries"
    );
}

#[test]
fn bad_inputs_are_refused() {
    let meta = sample_meta();
    let err = pack(&[("../escape.yaml", b"x".as_slice())], &meta).unwrap_err();
    assert!(matches!(err, Error::UnsafeEntry { .. }), "{err}");
    let err = pack(&[("/abs.yaml", b"x".as_slice())], &meta).unwrap_err();
    assert!(matches!(err, Error::UnsafeEntry { .. }), "{err}");
    let err = pack(
        &[("a.yaml", b"x".as_slice()), ("./a.yaml", b"y".as_slice())],
        &meta,
    )
    .unwrap_err();
    assert!(err.to_string().contains("duplicate path"), "{err}");
    let none: [(&str, &[u8]); 0] = [];
    assert!(pack(&none, &meta).is_err());
    let mut reserved = sample_meta();
    reserved
        .config
        .insert("files".into(), serde_json::json!([]));
    let err = pack(&sample_files(), &reserved).unwrap_err();
    assert!(err.to_string().contains("reserved"), "{err}");
    assert!(pack(&sample_files(), &PreparationMeta::new(" ")).is_err());
}

#[tokio::test]
async fn push_then_pull_through_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    let digest = packed.push(&store, Some("web-1")).await.unwrap();
    assert_eq!(digest, packed.digest());
    // Pushing again is a no-op with the same digest.
    assert_eq!(packed.push(&store, Some("web-1")).await.unwrap(), digest);

    let prep = pull(&store, "web-1", &Limits::default()).await.unwrap();
    assert_eq!(prep.digest, digest);
    assert_eq!(prep.order(), Some("shop/web"));
    assert_eq!(
        prep.file("manifest.yaml").unwrap(),
        sample_files()[0].1.as_slice()
    );
    assert_eq!(prep.files.len(), 2);
    assert_eq!(
        prep.annotations["org.opencontainers.image.version"],
        "1.2.3"
    );
    let by_digest = pull(&store, &digest.to_string(), &Limits::default())
        .await
        .unwrap();
    assert_eq!(by_digest, prep);

    // Written out as `kokumi pull … DIR` does; a non-empty directory is refused.
    let out = dir.path().join("out");
    let written = prep.write_to_dir(&out).unwrap();
    assert_eq!(written.len(), 2);
    assert_eq!(
        std::fs::read(out.join("extra/notes.txt")).unwrap(),
        b"multi layout file\n"
    );
    assert!(prep.write_to_dir(&out).is_err());

    // Too small a cap is an error, not a truncated Preparation.
    let err = pull(
        &store,
        "web-1",
        &Limits::default().with_max_extracted_size(10),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
}

#[tokio::test]
async fn pull_refuses_what_is_not_a_preparation() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let config = store.put_blob_bytes(b"{}".to_vec()).await.unwrap();
    let plain = Manifest::new(
        "application/vnd.oci.image.manifest.v1+json",
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":2}},"layers":[]}}"#
        )
        .into_bytes(),
    );
    store.put_manifest(&plain, Some("image")).await.unwrap();
    let err = pull(&store, "image", &Limits::default()).await.unwrap_err();
    assert!(
        err.to_string().contains("not a Kokumi Preparation"),
        "{err}"
    );

    // A Preparation whose layer does not match its config's file list.
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    let other = pack(
        &[("manifest.yaml", b"kind: Other\n".as_slice())],
        &sample_meta(),
    )
    .unwrap();
    store
        .put_blob_bytes(packed.config.bytes.clone())
        .await
        .unwrap();
    store
        .put_blob_bytes(other.layer.bytes.clone())
        .await
        .unwrap();
    let forged = String::from_utf8(packed.manifest.bytes.clone())
        .unwrap()
        .replace(
            &packed.layer.digest.to_string(),
            &other.layer.digest.to_string(),
        )
        .replace(
            &format!("\"size\":{}", packed.layer.bytes.len()),
            &format!("\"size\":{}", other.layer.bytes.len()),
        );
    store
        .put_manifest(
            &Manifest::new(
                "application/vnd.oci.image.manifest.v1+json",
                forged.into_bytes(),
            ),
            Some("forged"),
        )
        .await
        .unwrap();
    let err = pull(&store, "forged", &Limits::default())
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("the config lists 2 files, the layer holds 1"),
        "{err}"
    );
}

#[tokio::test]
async fn skopeo_reads_a_preparation() {
    let Some(skopeo) = crate::support::registry::skopeo() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    packed.push(&store, Some("web-1")).await.unwrap();
    let raw = crate::support::registry::run_skopeo(
        &skopeo,
        &[
            "inspect",
            "--raw",
            &format!("oci:{}:web-1", dir.path().display()),
        ],
    );
    assert_eq!(raw, packed.manifest.bytes);
    // skopeo can copy it (blobs and all) with the digest unchanged.
    let copy = dir.path().join("copy");
    crate::support::registry::run_skopeo(
        &skopeo,
        &[
            "copy",
            "--quiet",
            "--preserve-digests",
            &format!("oci:{}:web-1", dir.path().display()),
            &format!("oci:{}:web-1", copy.display()),
        ],
    );
    let copied = LayoutStore::open(&copy).await.unwrap();
    let prep = pull(&copied, "web-1", &Limits::default()).await.unwrap();
    assert_eq!(prep.digest, packed.digest());
}

/// The rules Argo CD's repo-server (≥ 3.3, `util/oci`) and Flux's OCIRepository apply before
/// extracting, checked on our manifest: at most 10 layers; exactly one content layer (media
/// type ending in `tar+gzip` or `tar`) and it is in Argo CD's default allowed list; Flux
/// extracts the first layer as gzip tar; every entry a regular file with a relative path.
#[test]
fn argo_cd_and_flux_accept_the_shape() {
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&packed.manifest.bytes).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert!(layers.len() <= 10);
    let content: Vec<&str> = layers
        .iter()
        .map(|l| l["mediaType"].as_str().unwrap())
        .filter(|t| t.ends_with("tar+gzip") || t.ends_with("tar"))
        .collect();
    let argo_default_allowed = [
        "application/vnd.oci.image.layer.v1.tar",
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
    ];
    assert_eq!(content.len(), 1);
    assert!(argo_default_allowed.contains(&content[0]));
    assert_eq!(manifest["schemaVersion"], 2);
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    // The first (and only) layer is a gzip stream of a tar with regular files only.
    let mut tar_bytes = Vec::new();
    flate2::read::GzDecoder::new(&packed.layer.bytes[..])
        .read_to_end(&mut tar_bytes)
        .unwrap();
    for entry in tar::Archive::new(&tar_bytes[..]).entries().unwrap() {
        let entry = entry.unwrap();
        assert_eq!(entry.header().entry_type(), tar::EntryType::Regular);
        let path = entry.path().unwrap().into_owned();
        assert!(path.is_relative() && !path.starts_with(".."));
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any set of safe relative paths packs, in any order, to one digest, and the layer reads
    /// back (through the safe extractor) to exactly the files, sorted.
    #[test]
    fn pack_round_trips_and_ignores_order(
        files in proptest::collection::btree_map(
            "[a-z0-9_-]{1,12}(/[a-z0-9_][a-z0-9_.-]{0,11}){0,3}",
            proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048),
            1..12,
        )
    ) {
        // Paths that are a prefix directory of another path cannot both be files.
        let paths: Vec<&String> = files.keys().collect();
        let clash = paths.iter().any(|a| paths.iter().any(|b| b.starts_with(&format!("{a}/"))));
        proptest::prop_assume!(!clash);
        let forward: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), b.as_slice())).collect();
        let mut backward = forward.clone();
        backward.reverse();
        let meta = PreparationMeta::new("prop");
        let a = pack(&forward, &meta).unwrap();
        let b = pack(&backward, &meta).unwrap();
        proptest::prop_assert_eq!(a.digest(), b.digest());
        let read = kokumi_oci::extract::read_archive(
            &a.layer.bytes[..],
            kokumi_oci::extract::Compression::Gzip,
            &mut Limits::default().budget(),
        )
        .unwrap();
        let got: Vec<(String, Vec<u8>)> = read.into_iter().map(|f| (f.path, f.bytes)).collect();
        let want: Vec<(String, Vec<u8>)> = files.into_iter().collect();
        proptest::prop_assert_eq!(got, want);
    }
}

#[tokio::test]
async fn a_tampered_layer_is_a_digest_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let packed = pack(&sample_files(), &sample_meta()).unwrap();
    packed.push(&store, Some("web-1")).await.unwrap();
    // Flip one byte in the middle of the stored layer (a lying store).
    let path = dir
        .path()
        .join("blobs/sha256")
        .join(packed.layer.digest.hex());
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, &bytes).unwrap();
    let err = pull(&store, "web-1", &Limits::default()).await.unwrap_err();
    match err {
        Error::DigestMismatch {
            expected, actual, ..
        } => {
            assert_eq!(expected, packed.layer.digest.to_string());
            assert_eq!(actual, Digest::of_bytes(&bytes).to_string());
        }
        other => panic!("expected a digest mismatch naming both digests, got {other:?}"),
    }
}
