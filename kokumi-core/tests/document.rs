//! Manifest documents: parsing with limits, identity, canonical YAML; fuzz-style robustness.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::needless_pass_by_value,
    clippy::redundant_clone
)]

use kokumi_core::document::{
    DocumentErrorKind, Limits, ResourceId, parse_documents, to_canonical_yaml,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn parse(s: &str) -> Vec<Value> {
    parse_documents(s, &Limits::default())
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn err(s: &str, limits: &Limits) -> String {
    parse_documents(s, limits).unwrap_err().to_string()
}

#[test]
fn helm_style_stream() {
    let input = "---\n# Source: podinfo/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: podinfo\n---\n# Source: only a comment\n---\n\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: podinfo, namespace: shop}\n";
    let docs = parse_documents(input, &Limits::default()).unwrap();
    let summary: Vec<(usize, usize, String)> = docs
        .iter()
        .map(|d| (d.index, d.line, ResourceId::of(&d.value).to_string()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, 3, "v1 Service podinfo".to_owned()),
            (3, 12, "apps/v1 Deployment shop/podinfo".to_owned()),
        ]
    );
}

#[test]
fn scalars_resolve_like_kubernetes_tooling() {
    let v = &parse(
        r#"
a: yes
b: off
c: ~
d: 0x1F
e: 0o17
f: 0755
g: 1_000
h: 1.5e3
i: "yes"
j: !!str 123
k: 1.2.3
l: 08
m: -12
date: 2001-12-14
o: !!int "42"
p: !custom tagged
y: 1
1: one
q: 18446744073709551615
"#,
    )[0];
    insta::assert_json_snapshot!(v, @r#"
    {
      "a": true,
      "b": false,
      "c": null,
      "d": 31,
      "e": 15,
      "f": 493,
      "g": 1000,
      "h": 1500.0,
      "i": "yes",
      "j": "123",
      "k": "1.2.3",
      "l": 8.0,
      "m": -12,
      "date": "2001-12-14",
      "o": 42,
      "p": "tagged",
      "true": 1,
      "1": "one",
      "q": 18446744073709551615
    }
    "#);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    let v = &parse(
        r#"
base: &base {cpu: 1, memory: 1Gi}
copy: *base
merged:
  <<: *base
  cpu: 2
many:
  <<: [{a: 1}, {a: 2, b: 2}]
"#,
    )[0];
    assert_eq!(
        v,
        &json!({
            "base": {"cpu": 1, "memory": "1Gi"},
            "copy": {"cpu": 1, "memory": "1Gi"},
            "merged": {"cpu": 2, "memory": "1Gi"},
            "many": {"a": 1, "b": 2}
        })
    );
}

#[test]
fn errors_carry_document_and_line() {
    let limits = Limits::default();
    let cases = [
        "a: 1\n---\nb: [1, 2\n",
        "a: 1\n---\nb: 1\n---\nc: *nope\n",
        "a: 1\n---\n? [complex]\n: key\n",
        "x: !!int abc\n",
        "x: .inf\n",
        "m: {<<: 3}\n",
        "a: 1\n  b: 2\n",
    ];
    let errors: Vec<String> = cases.iter().map(|c| err(c, &limits)).collect();
    insta::assert_snapshot!(errors.join("\n"));
}

#[test]
fn billion_laughs_is_stopped() {
    let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..12 {
        let prev = i - 1;
        bomb.push_str(&format!(
            "a{i}: &a{i} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
        ));
    }
    // With the default limits the bomb fails too...
    let e = parse_documents(&bomb, &Limits::default()).unwrap_err();
    assert!(
        matches!(e.kind, DocumentErrorKind::TooManyNodes { limit: 2_000_000 }),
        "{e}"
    );
    // ...and a tighter limit stops it proportionally sooner.
    let limits = Limits {
        max_nodes: 100_000,
        ..Limits::default()
    };
    let start = std::time::Instant::now();
    let e = parse_documents(&bomb, &limits).unwrap_err();
    assert!(
        matches!(e.kind, DocumentErrorKind::TooManyNodes { .. }),
        "{e}"
    );
    assert!(
        start.elapsed().as_secs() < 5,
        "the limit must stop expansion early"
    );
    assert_eq!(e.document, 0);
}

#[test]
fn depth_and_size_limits() {
    let deep = "[".repeat(10_000) + &"]".repeat(10_000);
    let e = parse_documents(&deep, &Limits::default()).unwrap_err();
    // Either our limit or the YAML parser's own recursion limit stops it, never a stack overflow.
    assert!(
        matches!(e.kind, DocumentErrorKind::TooDeep { limit: 128 })
            || e.to_string().contains("recursion limit"),
        "{e}"
    );

    let deep_block: String = (0..300).map(|i| format!("{}k:\n", " ".repeat(i))).collect();
    let e = parse_documents(&deep_block, &Limits::default()).unwrap_err();
    assert!(matches!(e.kind, DocumentErrorKind::TooDeep { .. }), "{e}");

    // An alias that would push an anchored deep value past the limit.
    let limits = Limits {
        max_depth: 5,
        ..Limits::default()
    };
    let e = parse_documents("a: &x [[[1]]]\nb: {c: {d: *x}}\n", &limits).unwrap_err();
    assert!(
        matches!(e.kind, DocumentErrorKind::TooDeep { limit: 5 }),
        "{e}"
    );

    let small = Limits {
        max_document_chars: 100,
        ..Limits::default()
    };
    let big = format!("ok: 1\n---\nbig: {}\n", "x".repeat(500));
    let e = parse_documents(&big, &small).unwrap_err();
    assert_eq!(e.document, 1);
    assert!(
        matches!(e.kind, DocumentErrorKind::DocumentTooLarge { limit: 100 }),
        "{e}"
    );

    let tiny = Limits {
        max_input_bytes: 10,
        ..Limits::default()
    };
    assert!(matches!(
        parse_documents("a: 1234567890\n", &tiny).unwrap_err().kind,
        DocumentErrorKind::InputTooLarge { .. }
    ));
}

#[test]
fn canonical_yaml_is_stable_and_round_trips() {
    let docs = parse(
        r#"
kind: ConfigMap
apiVersion: v1
metadata: {name: cfg, annotations: {"a.b/c": "x: y"}}
data:
  script: |
    #!/bin/sh
    echo "hi"
  empty: ""
  multi: "line one\nline two"
  trailing: "two newlines\n\n"
  leading: " space"
  no: "no"
  nul: "null"
  num: "1e3"
  dash: "- item"
  hash: "a #b"
  unicode: "héllo wörld"
  ctrl: "bell\u0007"
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  ratio: 0.5
  list: [[1, 2], [], {}, [{a: 1}]]
"#,
    );
    let yaml = to_canonical_yaml(&docs);
    insta::assert_snapshot!(yaml);
    assert_eq!(
        parse(&yaml),
        docs,
        "canonical YAML must read back to the same documents"
    );
    // Key order in the source does not matter.
    let reordered = parse(
        "apiVersion: apps/v1\nmetadata: {name: web}\nkind: Deployment\nspec: {list: [[1, 2], [], {}, [{a: 1}]], ratio: 0.5, replicas: 3}\n",
    );
    assert_eq!(
        to_canonical_yaml(&reordered[..1]),
        to_canonical_yaml(&docs[1..])
    );
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e15f64..1e15).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[ -~\\n]{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("yes"),
            Just("No"),
            Just("~"),
            Just("0x10"),
            Just("1_0"),
            Just(".5"),
            Just("-"),
            Just("---"),
            Just("- a"),
            Just("a: b"),
            Just("#x"),
            Just("<<"),
            Just("@x"),
            Just("!x"),
            Just("&x"),
            Just("*x"),
            Just("%x"),
            Just("x\n"),
            Just("\nx"),
            Just(" x"),
            Just("x "),
            Just("a\n\n"),
            Just("\u{feff}x"),
            Just("'q'"),
        ]
        .prop_map(|s| Value::String(s.to_owned())),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Arbitrary bytes (as lossy UTF-8) never panic the parser.
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let s = String::from_utf8_lossy(&bytes);
        let _ = parse_documents(&s, &Limits::default());
    }

    /// YAML-looking garbage never panics the parser.
    #[test]
    fn yamlish_strings_never_panic(s in "[-:&*!|>'\"\\[\\]{}#?,%@` \\n\\ta-c0-9.~<]{0,200}") {
        let _ = parse_documents(&s, &Limits::default());
    }

    /// Everything the emitter writes reads back to the same value.
    #[test]
    fn canonical_yaml_round_trips(v in json_value()) {
        let yaml = to_canonical_yaml([&v]);
        let back = parse_documents(&yaml, &Limits::default());
        let back = back.map_err(|e| TestCaseError::fail(format!("{e}\n{yaml}")))?;
        let expected: Vec<Value> = if v.is_null() { vec![] } else { vec![v.clone()] };
        let got: Vec<Value> = back.into_iter().map(|d| d.value).collect();
        prop_assert_eq!(got, expected, "{}", yaml);
    }
}
