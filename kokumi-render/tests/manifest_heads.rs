//! How helm reads a rendered document's head (`SimpleHead`: apiVersion, kind, metadata name and
//! annotations), which decides a document's order and whether it is a hook: sigs.k8s.io/yaml
//! turns numbers and bools bound for a string field into text, and encoding/json matches keys
//! case-insensitively, visits them in sorted order (the later of `kind` and `Kind` wins), lets
//! `null` clear `annotations` and merges a second `metadata` object into the first.
//!
//! Each case pins the names helm prints, in order; `pinned_heads_are_what_helm_prints` renders
//! the same charts with a real helm (`$KOKUMI_HELM`, else `helm` on `PATH`; required when
//! `KOKUMI_REQUIRE_TOOLS=1`) and checks the pins and our whole output against it.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::conformance::{parse_cmd, render_cmd};
use crate::differential::helm_binary;

/// Documents whose heads need the JSON round trip; every one renders.
const TEMPLATE: &str = "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: 123
  annotations:
    int: 5
    float: 1.5
    bool: yes
    none: ~
---
apiVersion: 1.0
Kind: Namespace
metadata:
  name: upper-kind
---
apiVersion: v1
kind: Namespace
Kind: Zzz
metadata:
  name: later-kind-wins
---
apiVersion: v1
kind: Pod
Metadata:
  ANNOTATIONS:
    helm.sh/hook: test
metadata:
  name: merged-test
---
apiVersion: v1
kind: Pod
metadata:
  name: cleared
  ANNOTATIONS:
    helm.sh/hook: test
  annotations: null
---
apiVersion: v1
KIND: Job
metadata:
  NAME: 7
  annotations:
    helm.sh/hook: pre-install
    helm.sh/hook-weight: 5
";

/// `helm template` flags, and the `name:` values helm prints with them, in order.
const CASES: &[(&str, &str, &[&str])] = &[
    (
        "default",
        "",
        &[
            "upper-kind",
            "later-kind-wins",
            "123",
            "cleared",
            "merged-test",
            "7",
        ],
    ),
    (
        "skip-tests",
        "--skip-tests",
        &["upper-kind", "later-kind-wins", "123", "cleared", "7"],
    ),
    (
        "no-hooks",
        "--no-hooks",
        &["upper-kind", "later-kind-wins", "123", "cleared"],
    ),
];

fn write_chart(tag: &str) -> PathBuf {
    crate::one_template_chart(tag, "heads", "docs.yaml", TEMPLATE)
}

/// The `name:`/`NAME:` values of a `helm template` output, in order.
fn names(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| {
            let l = l.trim_start();
            l.strip_prefix("name: ")
                .or_else(|| l.strip_prefix("NAME: "))
                .map(String::from)
        })
        .collect()
}

fn ours(base: &Path, args: &str) -> Result<String, String> {
    render_cmd(base, &parse_cmd(&format!("helm template rel heads {args}")))
}

#[test]
fn heads_decode_like_helm() {
    let base = write_chart("ours");
    for (case, args, want) in CASES {
        let out = ours(&base, args).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(names(&out), *want, "{case}");
    }
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn pinned_heads_are_what_helm_prints() {
    let Some(bin) = helm_binary() else {
        return;
    };
    let base = write_chart("helm");
    for (case, args, want) in CASES {
        let out = Command::new(&bin)
            .args(["template", "rel", "heads"])
            .args(args.split_whitespace())
            .current_dir(&base)
            .output()
            .expect("run helm");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{case}: helm failed: {stderr}");
        let helm = String::from_utf8_lossy(&out.stdout);
        assert_eq!(names(&helm), *want, "{case}: pin is stale");
        let ours = ours(&base, args).unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(ours, helm, "{case}: output differs from helm's");
    }
    let _ = std::fs::remove_dir_all(&base);
}
