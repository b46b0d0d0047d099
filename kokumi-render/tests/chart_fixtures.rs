//! Our own fixture charts (`tests/fixtures/charts`), rendered in-process and compared byte for
//! byte with outputs pinned from a real helm 4.3.1 (`tests/fixtures/expected`, made with the
//! commands in `tests/fixtures/cases.txt`). They exercise subcharts, aliases, conditions, tags,
//! globals, import-values, library charts, hooks, tests, CRDs, `.Files`, `.helmignore`, a `.tgz`
//! chart and subchart, apiVersion v1 with requirements.yaml, `kubeVersion` and `required`.

use std::path::Path;

use crate::conformance::{compare, parse_cmd, render_cmd};

#[test]
fn fixture_charts_render_like_helm() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let cases = std::fs::read_to_string(base.join("cases.txt")).expect("cases.txt");
    let mut failures = Vec::new();
    let mut count = 0;
    for line in cases.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, args) = line.split_once('|').expect("case | args");
        let (name, args) = (name.trim(), args.trim());
        let cmd = parse_cmd(&format!("helm template {args}"));
        let got = match render_cmd(&base, &cmd) {
            Ok(out) => out,
            Err(err) => err,
        };
        let yaml = base.join("expected").join(format!("{name}.yaml"));
        let result = if yaml.exists() {
            let want = std::fs::read_to_string(&yaml).expect("expected output");
            compare(&want, None, false, &got)
        } else {
            let want = std::fs::read_to_string(base.join("expected").join(format!("{name}.err")))
                .expect("expected .yaml or .err");
            if want.trim_end() == got.trim_end() {
                Ok("same error".into())
            } else {
                Err(format!("want error {want:?}, got {got:?}"))
            }
        };
        count += 1;
        if let Err(why) = result {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(count >= 10, "only {count} fixture cases");
    assert!(
        failures.is_empty(),
        "fixture cases differ from helm:\n{}",
        failures.join("\n")
    );
}

#[test]
fn archive_safety_rules() {
    use kokumi_render::chart::load::{LoadOptions, load_archive};
    fn tgz(entries: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, data, kind) in entries {
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(*kind);
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            if kind.is_symlink() {
                h.set_link_name("/etc/passwd").unwrap();
            }
            // Write the raw name so that unsafe names reach the loader unchanged.
            let bytes = name.as_bytes();
            h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
            h.set_cksum();
            builder.append(&h, *data).unwrap();
        }
        let tar = builder.into_inner().unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &tar).unwrap();
        gz.finish().unwrap()
    }
    let chart_yaml: &[u8] = b"apiVersion: v2\nname: x\nversion: 0.1.0\n";
    let file = tar::EntryType::Regular;
    let ok = tgz(&[("x/Chart.yaml", chart_yaml, file)]);
    assert_eq!(
        load_archive(&ok, &LoadOptions::default()).unwrap().name(),
        "x"
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            tgz(&[
                ("x/Chart.yaml", chart_yaml, file),
                ("x/../../evil", b"x", file),
            ]),
            "chart illegally references parent directory",
        ),
        (
            tgz(&[("x//etc/passwd", b"x", file)]),
            "chart illegally contains absolute paths",
        ),
        (
            tgz(&[
                ("x/Chart.yaml", chart_yaml, file),
                ("x/link", b"", tar::EntryType::Symlink),
            ]),
            "chart illegally contains a link: \"x/link\"",
        ),
        (
            tgz(&[("Chart.yaml", chart_yaml, file)]),
            "chart illegally contains content outside the base directory: \"Chart.yaml\"",
        ),
        (
            tgz(&[("Chart.yaml/x", chart_yaml, file)]),
            "chart yaml not in base directory",
        ),
    ];
    for (bytes, want) in cases {
        let err = load_archive(&bytes, &LoadOptions::default()).unwrap_err();
        assert_eq!(err.to_string(), want);
    }
    let big = vec![b'a'; 2048];
    let archive = tgz(&[
        ("x/Chart.yaml", chart_yaml, file),
        ("x/big.txt", &big, file),
    ]);
    let small = LoadOptions {
        max_file_size: 1024,
        ..LoadOptions::default()
    };
    assert_eq!(
        load_archive(&archive, &small).unwrap_err().to_string(),
        "decompressed chart file \"x/big.txt\" is larger than the maximum file size 1024"
    );
    let tiny_chart = LoadOptions {
        max_chart_size: 1500,
        ..LoadOptions::default()
    };
    assert_eq!(
        load_archive(&archive, &tiny_chart).unwrap_err().to_string(),
        "decompressed chart is larger than the maximum size 1500"
    );
}
