//! Digest identity: canonical JSON, config hash, Preparation names.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::needless_pass_by_value,
    clippy::redundant_clone
)]

use kokumi_core::digest::{ConfigInputs, Digest, canonical_json, preparation_name};
use kokumi_core::patch::{Patch, PatchTarget};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

fn inputs() -> ConfigInputs {
    ConfigInputs {
        source_ref: "oci://ghcr.io/stefanprodan/charts/podinfo:6.14.1".into(),
        source_digest: format!("sha256:{}", "0123456789abcdef".repeat(4))
            .parse()
            .unwrap(),
        render: json!({"helm": {"releaseName": "podinfo", "namespace": "default", "includeCRDs": false}}),
        values: json!({"ui": {"color": "#EF6461", "message": "Hello from Kokumi"}, "service": {"type": "NodePort"}}),
        patches: vec![Patch::set(
            PatchTarget::kind_name("Deployment", "podinfo"),
            [(".spec.replicas", json!("2"))],
        )],
        edits: vec![],
        renderer_name: "kokumi-render".into(),
        renderer_version: "0.1.0".into(),
    }
}

#[test]
fn config_hash_is_pinned() {
    let i = inputs();
    // The canonical form is part of our compatibility promise: same inputs, same hash, forever.
    insta::assert_snapshot!(i.canonical(), @r##"{"edits":[],"patches":[{"set":{".spec.replicas":"2"},"target":{"kind":"Deployment","name":"podinfo"}}],"render":{"helm":{"includeCRDs":false,"namespace":"default","releaseName":"podinfo"}},"rendererName":"kokumi-render","rendererVersion":"0.1.0","sourceDigest":"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef","sourceRef":"oci://ghcr.io/stefanprodan/charts/podinfo:6.14.1","values":{"service":{"type":"NodePort"},"ui":{"color":"#EF6461","message":"Hello from Kokumi"}}}"##);
    insta::assert_snapshot!(i.config_hash().to_string(), @"sha256:c360660f30d467f7d35d1015f9156eb02832d0cb0192c779bc1e620517371680");
}

#[test]
fn every_input_changes_the_hash() {
    let base = inputs().config_hash();
    let mut variants = Vec::new();
    let mut i = inputs();
    i.source_ref.push('x');
    variants.push(i);
    let mut i = inputs();
    i.source_digest = Digest::of_bytes(b"other");
    variants.push(i);
    let mut i = inputs();
    i.render["helm"]["includeCRDs"] = json!(true);
    variants.push(i);
    let mut i = inputs();
    i.values["ui"]["message"] = json!("changed");
    variants.push(i);
    let mut i = inputs();
    i.patches.clear();
    variants.push(i);
    let mut i = inputs();
    i.edits = i.patches.clone();
    variants.push(i);
    let mut i = inputs();
    i.renderer_version = "0.2.0".into();
    variants.push(i);
    // Moving a patch into edits is a different render (edits apply last).
    let mut i = inputs();
    i.edits = std::mem::take(&mut i.patches);
    variants.push(i);
    let mut hashes: Vec<Digest> = variants.iter().map(ConfigInputs::config_hash).collect();
    assert!(hashes.iter().all(|h| *h != base));
    hashes.sort();
    hashes.dedup();
    assert_eq!(
        hashes.len(),
        variants.len(),
        "each change gives a distinct hash"
    );
}

#[test]
fn digest_serde_and_names() {
    let d = Digest::of_bytes(b"artifact");
    let json = serde_json::to_value(d).unwrap();
    assert_eq!(json, json!(d.to_string()));
    assert_eq!(serde_json::from_value::<Digest>(json).unwrap(), d);
    let bad = serde_json::from_value::<Digest>(json!("sha256:XYZ")).unwrap_err();
    assert!(bad.to_string().contains("only lowercase hex"), "{bad}");
    let name = preparation_name("podinfo", &d);
    assert_eq!(name, format!("podinfo-{}", &d.hex()[..12]));
}

fn shuffled_object(entries: &[(String, Value)], order: &[usize]) -> Value {
    let mut m = Map::new();
    for &i in order {
        let (k, v) = &entries[i % entries.len()];
        m.insert(k.clone(), v.clone());
    }
    // Fill in any keys the order skipped, in the original order.
    for (k, v) in entries {
        if !m.contains_key(k) {
            m.insert(k.clone(), v.clone());
        }
    }
    Value::Object(m)
}

proptest! {
    /// Key order never changes the canonical form or the hash.
    #[test]
    fn key_order_never_changes_the_hash(
        entries in prop::collection::btree_map("[a-zA-Z0-9_.-]{0,8}", any::<i64>().prop_map(Value::from), 1..12),
        order in prop::collection::vec(any::<usize>(), 0..24),
    ) {
        let entries: Vec<(String, Value)> = entries.into_iter().collect();
        let a = shuffled_object(&entries, &[]);
        let b = shuffled_object(&entries, &order);
        let nested_a = json!({"x": [a.clone()], "y": {"z": a.clone()}});
        let nested_b = json!({"y": {"z": b.clone()}, "x": [b.clone()]});
        prop_assert_eq!(canonical_json(&a), canonical_json(&b));
        prop_assert_eq!(Digest::of_canonical_json(&nested_a), Digest::of_canonical_json(&nested_b));
    }

    /// Canonical JSON is valid JSON that reads back to an equal value.
    #[test]
    fn canonical_json_reads_back(s in any::<String>(), n in any::<i64>(), u in any::<u64>()) {
        let v = json!({"s": s, "n": n, "u": u, "l": [null, true, {"": []}]});
        let text = canonical_json(&v);
        let back: Value = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&back, &v);
        prop_assert_eq!(canonical_json(&back), text);
    }

    /// Floats are written in the shortest form that reads back to the same f64.
    #[test]
    fn canonical_floats_round_trip(f in any::<f64>().prop_filter("finite", |f| f.is_finite())) {
        let text = canonical_json(&json!(f));
        let back: f64 = text.parse().unwrap();
        prop_assert_eq!(back, if f == 0.0 { 0.0 } else { f });
    }

    /// Digest strings round-trip.
    #[test]
    fn digest_round_trips(bytes in prop::array::uniform32(any::<u8>())) {
        let d = Digest::from_bytes(bytes);
        prop_assert_eq!(d.to_string().parse::<Digest>().unwrap(), d);
    }
}
