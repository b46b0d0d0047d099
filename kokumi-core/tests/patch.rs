//! Patches on rendered documents: `set`, RFC 6902, RFC 7386, selectors, and their errors.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::needless_pass_by_value,
    clippy::redundant_clone
)]

use kokumi_core::document::{Limits, parse_documents, to_canonical_yaml};
use kokumi_core::patch::{
    FieldPath, Patch, PatchContext, PatchOrigin, PatchTarget, apply_patches, apply_patches_in_order,
};
use proptest::prelude::*;
use serde_json::{Value, json};

const RENDERED: &str = r#"
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels: {app: podinfo, tier: web}
data:
  pin: "01234"
  debug: "true"
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  namespace: shop
  labels: {app: podinfo}
spec:
  replicas: 1
  paused: false
  template:
    spec:
      terminationGracePeriodSeconds: 30
      containers:
      - name: podinfo
        image: ghcr.io/stefanprodan/podinfo:6.14.1
        ports: [{containerPort: 9898}]
---
apiVersion: v1
kind: Service
metadata:
  name: podinfo
  labels: {app: podinfo, tier: web}
spec:
  type: ClusterIP
  ports: [{port: 9898}]
"#;

fn docs() -> Vec<Value> {
    parse_documents(RENDERED, &Limits::default())
        .unwrap()
        .into_iter()
        .map(|d| d.value)
        .collect()
}

fn patches(yaml: &str) -> Vec<Patch> {
    serde_norway::from_str(yaml).expect("patches yaml")
}

fn ctx() -> PatchContext {
    PatchContext {
        default_namespace: Some("shop".into()),
    }
}

fn apply(yaml: &str) -> Result<String, String> {
    let mut d = docs();
    apply_patches(&mut d, &patches(yaml), PatchOrigin::Order, &ctx())
        .map(|()| to_canonical_yaml(&d))
        .map_err(|e| e.to_string())
}

#[test]
fn upstream_sample_set_with_string_replicas() {
    let out = apply(
        r#"
- target: {kind: Deployment, name: podinfo}
  set:
    .spec.replicas: "2"
    .spec.paused: "true"
    .spec.template.spec.containers[0].image: ghcr.io/stefanprodan/podinfo:6.14.2
    .metadata.labels["app.kubernetes.io/part-of"]: shop
    .metadata.annotations.owner: team-a
- target: {kind: ConfigMap, name: settings}
  set:
    .data.pin: "04321"
    .data.count: 7
"#,
    )
    .unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn json_patch_including_remove() {
    let out = apply(
        r#"
- target: {kind: ConfigMap, name: settings}
  jsonPatch:
  - {op: remove, path: /data/debug}
  - {op: add, path: /data/new, value: "x"}
  - {op: test, path: /data/pin, value: "01234"}
- target: {group: apps, kind: Deployment}
  jsonPatch:
  - {op: add, path: /spec/template/spec/containers/-, value: {name: sidecar, image: busybox}}
  - {op: copy, from: /metadata/labels, path: /spec/template/metadata}
  - {op: move, from: /spec/paused, path: /metadata/annotations}
"#,
    )
    .unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn merge_patch_and_label_selectors() {
    let out = apply(
        r#"
- target: {labelSelector: {matchLabels: {tier: web}}}
  mergePatch: {metadata: {labels: {tier: null, patched: "yes"}}}
- target:
    version: v1
    labelSelector:
      matchExpressions:
      - {key: app, operator: In, values: [podinfo]}
      - {key: tier, operator: DoesNotExist}
  mergePatch: {metadata: {annotations: {core-v1: "true"}}}
"#,
    )
    .unwrap();
    insta::assert_snapshot!(out);
}

#[test]
fn namespace_defaults_to_the_render_namespace() {
    // The Service has no namespace; it is rendered into `shop`, so the target matches it.
    let out = apply(
        r#"
- target: {kind: Service, name: podinfo, namespace: shop}
  set: {.spec.type: NodePort}
"#,
    )
    .unwrap();
    assert!(out.contains("type: NodePort"), "{out}");
    let err = apply(
        r#"
- target: {kind: Service, name: podinfo, namespace: other}
  set: {.spec.type: NodePort}
"#,
    )
    .unwrap_err();
    assert!(err.contains("matches no rendered document"), "{err}");
}

#[test]
fn errors_name_patch_target_document_and_path() {
    let cases = [
        "- target: {kind: Deployment, name: nope}\n  set: {.spec.replicas: 1}",
        "- target: {kind: Deployment, name: podinfo}\n  set: {.spec.replicas: two}",
        "- target: {kind: ConfigMap, name: settings}\n  set: {.data.pin.x: 1}",
        "- target: {kind: Deployment}\n  set: {\".spec.template.spec.containers[3].image\": x}",
        "- target: {kind: Deployment}\n  set: {.spec..x: 1}",
        "- target: {kind: ConfigMap}\n  jsonPatch: [{op: remove, path: /data/missing}]",
        "- target: {kind: ConfigMap}\n  jsonPatch: [{op: test, path: /data/pin, value: \"1\"}]",
        "- target: {kind: ConfigMap}\n  jsonPatch: [{op: add, path: /data/x}]",
        "- target: {kind: ConfigMap}\n  mergePatch: [1]",
        "- target: {kind: ConfigMap}\n  set: {.data.x: 1}\n  mergePatch: {a: 1}",
        "- target: {kind: Service}\n  set: {\".spec.ports[0].port\": \"http\"}",
    ];
    let errors: Vec<String> = cases.iter().map(|c| apply(c).unwrap_err()).collect();
    insta::assert_snapshot!(errors.join("\n"));
}

#[test]
fn order_is_menu_then_order_then_edits() {
    let menu = patches("- target: {kind: Deployment}\n  set: {.spec.replicas: 2}");
    let order = patches(
        "- target: {kind: Deployment}\n  jsonPatch: [{op: test, path: /spec/replicas, value: 2}, {op: replace, path: /spec/replicas, value: 3}]",
    );
    let edits = patches("- target: {kind: Deployment}\n  set: {.spec.replicas: \"4\"}");
    let mut d = docs();
    apply_patches_in_order(&mut d, &menu, &order, &edits, &ctx()).unwrap();
    assert_eq!(d[1]["spec"]["replicas"], json!(4));

    // The same list in another order fails at the edit list's test op... reported as such.
    let mut d = docs();
    let err = apply_patches_in_order(&mut d, &[], &order, &menu, &ctx()).unwrap_err();
    assert_eq!(err.origin, PatchOrigin::Order);
    assert_eq!(err.index, 0);
    insta::assert_snapshot!(err.to_string(), @"order spec.patches[0] (target kind=Deployment) on apps/v1 Deployment shop/podinfo: jsonPatch operation 0 (test /spec/replicas): value did not match");
}

#[test]
fn targets_display() {
    let t = PatchTarget {
        group: Some(String::new()),
        version: Some("v1".into()),
        ..PatchTarget::kind_name("Service", "web")
    };
    assert_eq!(t.to_string(), "apiVersion=v1 kind=Service name=web");
    assert_eq!(PatchTarget::default().to_string(), "<all documents>");
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,6}",
        "[a-z]{1,3}\\.[a-z]{1,3}/[a-z]{1,3}",
        "[a-z \\[\\]\"]{1,5}"
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        "[a-z0-9]{0,6}".prop_map(Value::String),
        Just(json!({"nested": [1, 2]})),
    ]
}

proptest! {
    /// `set` then `get` returns the value, for any key spelling (quoted when needed).
    #[test]
    fn set_then_get(keys in prop::collection::vec(key(), 1..5), value in scalar()) {
        let path = FieldPath::from_segments(
            keys.iter().cloned().map(kokumi_core::patch::PathSegment::Key).collect());
        let text = path.to_string();
        let reparsed = FieldPath::parse(&text).unwrap();
        prop_assert_eq!(&reparsed, &path);
        let mut doc = json!({"metadata": {"name": "x"}});
        reparsed.set(&mut doc, value.clone()).unwrap();
        prop_assert_eq!(reparsed.get(&doc), Some(&value));
    }

    /// Arbitrary path strings never panic the parsers, and what parses prints back the same.
    #[test]
    fn path_parsers_never_panic(s in "[a-z.\\[\\]*\"'\\\\0-9]{0,24}", t in any::<String>()) {
        for input in [&s, &t] {
            if let Ok(p) = FieldPath::parse(input) {
                prop_assert_eq!(FieldPath::parse(&p.to_string()).unwrap(), p);
            }
            if let Ok(p) = FieldPath::parse_pattern(input) {
                prop_assert_eq!(FieldPath::parse_pattern(&p.to_string()).unwrap(), p);
            }
        }
    }

    /// Setting a string over an existing string never changes its type.
    #[test]
    fn strings_stay_strings(s in "[0-9]{1,8}") {
        let mut doc = json!({"data": {"pin": "0"}});
        FieldPath::parse(".data.pin").unwrap().set(&mut doc, json!(s.clone())).unwrap();
        prop_assert_eq!(&doc["data"]["pin"], &json!(s));
    }

    /// Setting a numeric string over an integer yields that integer.
    #[test]
    fn numeric_strings_convert_over_integers(n in any::<i64>()) {
        let mut doc = json!({"spec": {"replicas": 1}});
        FieldPath::parse(".spec.replicas").unwrap().set(&mut doc, json!(n.to_string())).unwrap();
        prop_assert_eq!(&doc["spec"]["replicas"], &json!(n));
    }
}
