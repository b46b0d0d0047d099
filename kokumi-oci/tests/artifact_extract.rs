//! Extraction safety with hand-made malicious archives: escapes, links, devices, size and
//! count caps, gzip bombs, lying headers; and the layer cap on pull.
// Helpers outside #[test] fns unwrap too: a failure there is a test failure.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;

use kokumi_oci::artifact::{PreparationMeta, pack, pull};
use kokumi_oci::extract::{
    Compression, Limits, extract_to_dir, normalize_entry_path, read_archive,
};
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::{Error, Manifest, Store};

/// One raw tar entry: the name bytes are written as given (no validation), so `../x`,
/// `/etc/passwd` and friends can be produced.
struct Raw<'a> {
    name: &'a [u8],
    kind: u8,
    data: &'a [u8],
    /// Size written in the header (defaults to `data.len()`): lets a header lie.
    size: Option<u64>,
    link: &'a [u8],
}

fn raw(name: &str, kind: u8, data: &'static [u8]) -> Raw<'static> {
    Raw {
        name: Box::leak(name.as_bytes().to_vec().into_boxed_slice()),
        kind,
        data,
        size: None,
        link: b"",
    }
}

fn tar_of(entries: &[Raw<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let mut header = tar::Header::new_ustar();
        {
            let old = header.as_old_mut();
            old.name = [0; 100];
            old.name[..e.name.len()].copy_from_slice(e.name);
            old.linkname = [0; 100];
            old.linkname[..e.link.len()].copy_from_slice(e.link);
        }
        header.set_mode(0o644);
        header.set_size(e.size.unwrap_or(e.data.len() as u64));
        header.set_entry_type(tar::EntryType::new(e.kind));
        header.set_cksum();
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(e.data);
        let pad = (512 - e.data.len() % 512) % 512;
        out.extend(std::iter::repeat_n(0u8, pad));
    }
    out.extend(std::iter::repeat_n(0u8, 1024));
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

fn read(bytes: &[u8]) -> Result<Vec<kokumi_oci::extract::ArchiveFile>, Error> {
    read_archive(bytes, Compression::Detect, &mut Limits::default().budget())
}

fn unsafe_reason(bytes: &[u8]) -> String {
    match read(bytes) {
        Err(Error::UnsafeEntry { entry, reason }) => format!("{entry}: {reason}"),
        Err(other) => panic!("expected an unsafe-entry error, got {other}"),
        Ok(files) => panic!("expected an unsafe-entry error, got {files:?}"),
    }
}

#[test]
fn accepts_plain_and_gzip_archives() {
    let tar = tar_of(&[
        raw("./", b'5', b""),
        raw("./dir/", b'5', b""),
        raw("./dir/a.yaml", b'0', b"a: 1\n"),
        raw("b.yaml", b'0', b"b: 2\n"),
    ]);
    for bytes in [tar.clone(), gzip(&tar)] {
        let files = read(&bytes).unwrap();
        let paths: Vec<_> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(paths, ["dir/a.yaml", "b.yaml"]);
        assert_eq!(files[0].bytes, b"a: 1\n");
    }
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let written = extract_to_dir(
        &tar[..],
        Compression::None,
        &target,
        &mut Limits::default().budget(),
    )
    .unwrap();
    assert_eq!(written, ["dir/a.yaml", "b.yaml"]);
    assert_eq!(std::fs::read(target.join("dir/a.yaml")).unwrap(), b"a: 1\n");
    // A non-empty target is refused.
    let err = extract_to_dir(
        &tar[..],
        Compression::None,
        &target,
        &mut Limits::default().budget(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}

#[test]
fn refuses_escapes_links_and_devices() {
    let cases: Vec<String> = [
        tar_of(&[raw("../evil.yaml", b'0', b"x")]),
        tar_of(&[raw("ok/../../evil.yaml", b'0', b"x")]),
        tar_of(&[raw("/etc/passwd", b'0', b"x")]),
        tar_of(&[raw("a\\..\\b", b'0', b"x")]),
        tar_of(&[Raw {
            link: b"/etc/passwd",
            ..raw("link", b'2', b"")
        }]),
        tar_of(&[
            raw("a.yaml", b'0', b"x"),
            Raw {
                link: b"a.yaml",
                ..raw("hard", b'1', b"")
            },
        ]),
        tar_of(&[raw("tty", b'3', b"")]),
        tar_of(&[raw("disk", b'4', b"")]),
        tar_of(&[raw("pipe", b'6', b"")]),
        tar_of(&[raw("a.yaml", b'0', b"x"), raw("./a.yaml", b'0', b"y")]),
        tar_of(&[Raw {
            name: b"bad\xffname",
            ..raw("", b'0', b"x")
        }]),
    ]
    .iter()
    .map(|t| unsafe_reason(&gzip(t)))
    .collect();
    insta::assert_snapshot!(cases.join("\n"), @r"
    ../evil.yaml: the path contains `..`
    ok/../../evil.yaml: the path contains `..`
    /etc/passwd: absolute path
    a\..\b: the name contains a backslash
    link: symbolic link entries are not allowed
    hard: hard link entries are not allowed
    tty: character device entries are not allowed
    disk: block device entries are not allowed
    pipe: FIFO entries are not allowed
    ./a.yaml: duplicate path
    bad�name: the name is not UTF-8
    ");
    // And nothing is written for them.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let tar = tar_of(&[
        raw("fine.yaml", b'0', b"x"),
        raw("../evil.yaml", b'0', b"x"),
    ]);
    assert!(
        extract_to_dir(
            &tar[..],
            Compression::None,
            &target,
            &mut Limits::default().budget()
        )
        .is_err()
    );
    assert!(!dir.path().join("evil.yaml").exists());
}

#[test]
fn normalizes_paths() {
    assert_eq!(
        normalize_entry_path(b"./a//b/./c").unwrap().as_deref(),
        Some("a/b/c")
    );
    assert_eq!(normalize_entry_path(b"./").unwrap(), None);
    assert!(normalize_entry_path(b"C:/x").is_err());
}

#[test]
fn caps_extracted_size_by_bytes_read() {
    let tar = tar_of(&[raw("a", b'0', &[b'a'; 600]), raw("b", b'0', &[b'b'; 600])]);
    let mut budget = Limits::default().with_max_extracted_size(1000).budget();
    let err = read_archive(&tar[..], Compression::None, &mut budget).unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 1000, .. }), "{err}");
    assert!(err.to_string().contains("at `b`"), "{err}");
    // Exactly at the cap is fine.
    let mut budget = Limits::default().with_max_extracted_size(1200).budget();
    assert_eq!(
        read_archive(&tar[..], Compression::None, &mut budget)
            .unwrap()
            .len(),
        2
    );
    assert_eq!(budget.extracted(), 1200);
}

#[test]
fn a_gzip_bomb_stops_at_the_cap() {
    // 64 MiB of zeros inside one entry compresses to ~64 KiB.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut header = tar::Header::new_ustar();
    header.set_path("bomb.yaml").unwrap();
    header.set_size(64 << 20);
    header.set_mode(0o644);
    header.set_cksum();
    gz.write_all(header.as_bytes()).unwrap();
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..64 {
        gz.write_all(&zeros).unwrap();
    }
    gz.write_all(&[0u8; 1024]).unwrap();
    let bomb = gz.finish().unwrap();
    assert!(bomb.len() < 2 << 20, "the bomb is small: {}", bomb.len());
    let start = std::time::Instant::now();
    let mut budget = Limits::default().with_max_extracted_size(1 << 20).budget();
    let err = read_archive(&bomb[..], Compression::Detect, &mut budget).unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err}");
    // It stopped early: nowhere near 64 MiB was inflated (generous bound for slow machines).
    assert!(start.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn a_lying_directory_header_cannot_inflate_the_stream() {
    // A directory entry claiming 64 MiB of "content": tar skips it by reading, so only the
    // stream cap stops it.
    let mut tar = Vec::new();
    let mut header = tar::Header::new_ustar();
    header.set_path("dir/").unwrap();
    header.set_entry_type(tar::EntryType::Directory);
    header.set_size(64 << 20);
    header.set_cksum();
    tar.extend_from_slice(header.as_bytes());
    tar.extend(std::iter::repeat_n(0u8, 64 << 20));
    tar.extend_from_slice(&[0u8; 1024]);
    let bomb = gzip(&tar);
    let limits = Limits::default().with_max_stream_size(1 << 20);
    let err = read_archive(&bomb[..], Compression::Gzip, &mut limits.budget()).unwrap_err();
    assert!(
        err.to_string().contains("decompressed archive stream"),
        "{err}"
    );
}

#[test]
fn caps_entry_count() {
    let entries: Vec<Raw<'_>> = (0..20).map(|i| raw(&format!("f{i}"), b'0', b"x")).collect();
    let tar = tar_of(&entries);
    let mut budget = Limits::default().with_max_entries(10).budget();
    let err = read_archive(&tar[..], Compression::None, &mut budget).unwrap_err();
    assert!(
        err.to_string().contains("number of archive entries"),
        "{err}"
    );
}

#[tokio::test]
async fn pull_caps_layer_count() {
    let dir = tempfile::tempdir().unwrap();
    let store = LayoutStore::create(dir.path()).await.unwrap();
    let packed = pack(
        &[("manifest.yaml", b"a: 1\n".as_slice())],
        &PreparationMeta::new("o"),
    )
    .unwrap();
    store
        .put_blob_bytes(packed.config.bytes.clone())
        .await
        .unwrap();
    store
        .put_blob_bytes(packed.layer.bytes.clone())
        .await
        .unwrap();
    let layer = format!(
        r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{}}}"#,
        packed.layer.digest,
        packed.layer.bytes.len()
    );
    let layers = vec![layer; 11].join(",");
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.kokumi.preparation.v1","config":{{"mediaType":"application/vnd.kokumi.preparation.config.v1+json","digest":"{}","size":{}}},"layers":[{layers}]}}"#,
        packed.config.digest,
        packed.config.bytes.len()
    );
    store
        .put_manifest(
            &Manifest::new(
                "application/vnd.oci.image.manifest.v1+json",
                manifest.into_bytes(),
            ),
            Some("many"),
        )
        .await
        .unwrap();
    let err = pull(&store, "many", &Limits::default()).await.unwrap_err();
    assert!(
        err.to_string()
            .contains("11 layers, more than the limit of 10"),
        "{err}"
    );

    // A layer holding `../` is refused when pulled, not only when read locally.
    let evil = gzip(&tar_of(&[raw("../manifest.yaml", b'0', b"a: 1\n")]));
    let evil_digest = store.put_blob_bytes(evil.clone()).await.unwrap();
    let manifest = String::from_utf8(packed.manifest.bytes.clone())
        .unwrap()
        .replace(&packed.layer.digest.to_string(), &evil_digest.to_string())
        .replace(
            &format!("\"size\":{}", packed.layer.bytes.len()),
            &format!("\"size\":{}", evil.len()),
        );
    store
        .put_manifest(
            &Manifest::new(
                "application/vnd.oci.image.manifest.v1+json",
                manifest.into_bytes(),
            ),
            Some("evil"),
        )
        .await
        .unwrap();
    let err = pull(&store, "evil", &Limits::default()).await.unwrap_err();
    assert!(matches!(err, Error::UnsafeEntry { .. }), "{err}");
}
