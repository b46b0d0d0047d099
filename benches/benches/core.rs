//! Benchmarks of `kokumi-core`'s hot paths: values merge, policy check, patching, hashing,
//! document parsing and canonical YAML.

#![allow(missing_docs, clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kokumi_core::digest::{Digest, canonical_json};
use kokumi_core::document::{Limits, parse_documents, to_canonical_yaml};
use kokumi_core::merge::{coalesce, layer_values};
use kokumi_core::patch::{
    JsonPatchOp, JsonPatchOperation, Patch, PatchContext, PatchOrigin, PatchTarget, apply_patches,
};
use kokumi_core::policy::{
    AllowedPatch, AllowedTarget, OrderOverrides, OverridePolicy, Overrides, PatchOverrides,
    ValuesOverrides, check_overrides,
};
use serde_json::{Map, Value, json};

/// A values tree with exactly `keys` leaf keys: 50 top-level sections × 10 groups × N leaves.
fn values_tree(keys: usize, salt: &str) -> Value {
    let mut root = Map::new();
    let mut n = 0;
    'outer: for s in 0..50 {
        let mut section = Map::new();
        for g in 0..10 {
            let mut group = Map::new();
            for l in 0..keys.div_ceil(500) {
                if n == keys {
                    section.insert(format!("group{g}"), Value::Object(group));
                    root.insert(format!("section{s}"), Value::Object(section));
                    break 'outer;
                }
                let v = match l % 4 {
                    0 => json!(format!("{salt}-{n}")),
                    1 => json!(n),
                    2 => json!(n.is_multiple_of(2)),
                    _ => json!([n, salt]),
                };
                group.insert(format!("key{l}"), v);
                n += 1;
            }
            section.insert(format!("group{g}"), Value::Object(group));
        }
        root.insert(format!("section{s}"), Value::Object(section));
    }
    Value::Object(root)
}

fn deployment(i: usize) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": format!("app-{i}"), "namespace": "shop",
                     "labels": {"app": format!("app-{i}"), "tier": if i.is_multiple_of(2) { "web" } else { "worker" }}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": format!("app-{i}")}},
            "template": {
                "metadata": {"labels": {"app": format!("app-{i}")}},
                "spec": {"containers": [{
                    "name": "main", "image": format!("registry.example/app-{i}:1.0.0"),
                    "ports": [{"containerPort": 8080}],
                    "env": [{"name": "MODE", "value": "prod"}],
                    "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}}
                }]}
            }
        }
    })
}

fn bench_merge(c: &mut Criterion) {
    let base = values_tree(5_000, "base");
    let over = values_tree(5_000, "over");
    let mut g = c.benchmark_group("merge");
    g.throughput(Throughput::Elements(5_000));
    g.bench_function("coalesce_5000_keys", |b| {
        b.iter(|| coalesce(black_box(&base), black_box(&over)));
    });
    let recipe = values_tree(500, "recipe");
    g.bench_function("layer_menu_recipe_order_5000_keys", |b| {
        b.iter(|| layer_values(Some(&base), Some(&recipe), Some(black_box(&over))));
    });
    g.finish();
}

fn bench_policy(c: &mut Criterion) {
    let values = values_tree(5_000, "order");
    let overrides = Overrides {
        values: ValuesOverrides {
            policy: OverridePolicy::Restricted,
            allowed: vec![
                "section1.**".into(),
                "section*.group3.key1".into(),
                "**.key0".into(),
                "section2.group1.key3[*]".into(),
                "ui.message".into(),
            ],
        },
        patches: PatchOverrides {
            policy: OverridePolicy::Restricted,
            allowed: (0..20)
                .map(|i| AllowedPatch {
                    target: AllowedTarget {
                        kind: "Deployment".into(),
                        name: format!("app-{i}"),
                        namespace: None,
                    },
                    paths: vec![
                        ".spec.replicas".into(),
                        ".spec.template.spec.containers[*].image".into(),
                    ],
                })
                .collect(),
        },
    };
    let patches: Vec<Patch> = (0..50)
        .map(|i| {
            Patch::set(
                PatchTarget::kind_name("Deployment", format!("app-{i}")),
                [
                    (".spec.replicas", json!("2")),
                    (".spec.template.spec.containers[0].image", json!("x:1")),
                ],
            )
        })
        .collect();
    let mut g = c.benchmark_group("policy");
    g.bench_function("check_5000_values_50_patches", |b| {
        b.iter(|| {
            check_overrides(
                black_box(&overrides),
                OrderOverrides {
                    values: Some(&values),
                    patches: &patches,
                    edits: &[],
                },
            )
        });
    });
    g.finish();
}

fn bench_patch(c: &mut Criterion) {
    let docs: Vec<Value> = (0..1_000).map(deployment).collect();
    let patches = vec![
        Patch::set(
            PatchTarget {
                kind: Some("Deployment".into()),
                ..PatchTarget::default()
            },
            [
                (".spec.replicas", json!("3")),
                (
                    r#".metadata.labels["app.kubernetes.io/part-of"]"#,
                    json!("shop"),
                ),
                (
                    ".spec.template.spec.containers[0].image",
                    json!("registry.example/app:2.0.0"),
                ),
            ],
        ),
        Patch::json_patch(
            PatchTarget {
                label_selector: Some(kokumi_core::patch::LabelSelector {
                    match_labels: [("tier".to_owned(), "web".to_owned())].into(),
                    ..Default::default()
                }),
                ..PatchTarget::default()
            },
            vec![JsonPatchOperation {
                op: JsonPatchOp::Remove,
                path: "/spec/template/spec/containers/0/resources".into(),
                from: None,
                value: None,
            }],
        ),
        Patch::merge_patch(
            PatchTarget::kind_name("Deployment", "app-500"),
            json!({"metadata": {"annotations": {"patched": "true"}}}),
        ),
    ];
    let ctx = PatchContext::default();
    let mut g = c.benchmark_group("patch");
    g.throughput(Throughput::Elements(1_000));
    g.bench_function("apply_3_patches_to_1000_documents", |b| {
        b.iter_batched(
            || docs.clone(),
            |mut d| {
                apply_patches(&mut d, &patches, PatchOrigin::Order, &ctx).unwrap();
                d
            },
            criterion::BatchSize::LargeInput,
        );
    });
    g.finish();
}

fn bench_hash(c: &mut Criterion) {
    let values = values_tree(5_000, "hash");
    let docs: Value = Value::Array((0..1_000).map(deployment).collect());
    let bytes = canonical_json(&docs).len() as u64;
    let mut g = c.benchmark_group("digest");
    g.bench_function("canonical_hash_5000_key_values", |b| {
        b.iter(|| Digest::of_canonical_json(black_box(&values)));
    });
    g.throughput(Throughput::Bytes(bytes));
    g.bench_function("canonical_hash_1000_documents", |b| {
        b.iter(|| Digest::of_canonical_json(black_box(&docs)));
    });
    g.finish();
}

fn bench_documents(c: &mut Criterion) {
    let docs: Vec<Value> = (0..1_000).map(deployment).collect();
    let yaml = to_canonical_yaml(&docs);
    let mut g = c.benchmark_group("document");
    g.throughput(Throughput::Bytes(yaml.len() as u64));
    g.bench_function("parse_1000_documents", |b| {
        b.iter(|| parse_documents(black_box(&yaml), &Limits::default()).unwrap());
    });
    g.bench_function("canonical_yaml_1000_documents", |b| {
        b.iter(|| to_canonical_yaml(black_box(&docs)));
    });
    g.finish();
}

criterion_group!(
    benches,
    bench_merge,
    bench_policy,
    bench_patch,
    bench_hash,
    bench_documents
);
criterion_main!(benches);
