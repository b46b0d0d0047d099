//! Menu override policy: every policy × values/patches × allowed/denied/edge, snapshotted as
//! the report a platform engineer reads.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    clippy::needless_pass_by_value,
    clippy::redundant_clone
)]

use kokumi_core::patch::Patch;
use kokumi_core::policy::{OrderOverrides, Overrides, Rule, check_overrides};
use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct OrderInput {
    values: Option<Value>,
    patches: Vec<Patch>,
    edits: Vec<Patch>,
}

/// Checks `order` against `overrides` (both YAML) and returns the rendered report.
fn report(overrides: &str, order: &str) -> (kokumi_core::policy::PolicyReport, String) {
    let overrides: Overrides = serde_norway::from_str(overrides).expect("overrides yaml");
    let order: OrderInput = serde_norway::from_str(order).expect("order yaml");
    let report = check_overrides(
        &overrides,
        OrderOverrides {
            values: order.values.as_ref(),
            patches: &order.patches,
            edits: &order.edits,
        },
    );
    let text = report.render("podinfo");
    (report, text)
}

macro_rules! case {
    ($name:ident, allowed = $allowed:expr, $overrides:expr, $order:expr) => {
        #[test]
        fn $name() {
            let (report, text) = report($overrides, $order);
            assert_eq!(report.is_allowed(), $allowed, "{text}");
            insta::assert_snapshot!(stringify!($name), text);
        }
    };
}

const VALUES_RESTRICTED: &str = r#"
values:
  policy: Restricted
  allowed: ["ui.message", "replicaCount"]
"#;

// ---- values × All ----
case!(
    values_all_allows_anything,
    allowed = true,
    "values: {policy: All}",
    r#"
values: {ui: {color: red, message: hi}, image: {tag: "1.2"}, extraEnv: [{name: A}]}
"#
);

// ---- values × None ----
case!(
    values_none_without_values,
    allowed = true,
    "values: {policy: None}",
    "{}"
);
case!(
    values_none_denies_every_leaf,
    allowed = false,
    "values: {policy: None}",
    r#"
values: {ui: {color: red, message: hi}, replicaCount: 2}
"#
);
case!(
    values_none_empty_maps_change_nothing,
    allowed = true,
    "values: {policy: None}",
    r#"
values: {ui: {}}
"#
);
case!(
    values_default_policy_is_none,
    allowed = false,
    "{}",
    "values: {replicaCount: 3}"
);

// ---- values × Restricted ----
case!(
    values_restricted_exact_paths,
    allowed = true,
    VALUES_RESTRICTED,
    r#"
values: {ui: {message: "Ordered from Menu"}, replicaCount: 2}
"#
);
case!(
    values_restricted_denies_unlisted,
    allowed = false,
    VALUES_RESTRICTED,
    r#"
values: {ui: {message: ok, color: '#fff'}}
"#
);
case!(
    values_restricted_reports_every_violation,
    allowed = false,
    VALUES_RESTRICTED,
    r#"
values: {ui: {color: red, logo: x.png}, image: {tag: latest}, service: {type: NodePort}}
"#
);
case!(
    values_restricted_replacing_a_parent_is_denied,
    allowed = false,
    VALUES_RESTRICTED,
    r#"
values: {ui: "just a string"}
"#
);
case!(
    values_restricted_parent_entry_allows_subtree,
    allowed = true,
    "values: {policy: Restricted, allowed: [resources]}",
    r#"
values: {resources: {limits: {cpu: 1, memory: 1Gi}, requests: {cpu: 100m}}}
"#
);
case!(
    values_restricted_star_matches_one_segment,
    allowed = false,
    "values: {policy: Restricted, allowed: ['ingress.*.host']}",
    r#"
values: {ingress: {main: {host: a.example}, admin: {host: b.example, tls: true}, host: c}}
"#
);
case!(
    values_restricted_double_star_in_the_middle,
    allowed = false,
    "values: {policy: Restricted, allowed: ['**.image.tag']}",
    r#"
values: {image: {tag: "1.0"}, sidecar: {image: {tag: "2.0", repository: evil/img}}}
"#
);
case!(
    values_restricted_list_items,
    allowed = false,
    "values: {policy: Restricted, allowed: ['extraEnv[*].value']}",
    r#"
values: {extraEnv: [{name: A, value: "1"}, {value: "2"}]}
"#
);
case!(
    values_restricted_empty_list_replaces_the_list,
    allowed = false,
    "values: {policy: Restricted, allowed: ['extraEnv[*].value']}",
    "values: {extraEnv: []}"
);
case!(
    values_restricted_null_deletes_and_is_checked,
    allowed = false,
    VALUES_RESTRICTED,
    r#"
values: {ui: {message: null, logo: null}}
"#
);
case!(
    values_restricted_quoted_key,
    allowed = true,
    r#"values: {policy: Restricted, allowed: ['podAnnotations["prometheus.io/scrape"]']}"#,
    r#"
values: {podAnnotations: {prometheus.io/scrape: "true"}}
"#
);
case!(
    values_restricted_invalid_allow_list_entry,
    allowed = false,
    "values: {policy: Restricted, allowed: ['ui..message', 'replicaCount']}",
    "values: {replicaCount: 1}"
);

// ---- patches × All ----
case!(
    patches_all_allows_anything,
    allowed = true,
    "patches: {policy: All}",
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: "2"}
edits:
- target: {labelSelector: {matchLabels: {app: web}}}
  mergePatch: {metadata: {annotations: {a: b}}}
"#
);

// ---- patches × None ----
case!(
    patches_none_without_patches,
    allowed = true,
    "patches: {policy: None}",
    "{}"
);
case!(
    patches_none_denies_set,
    allowed = false,
    "patches: {policy: None}",
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: "2", .spec.template.spec.terminationGracePeriodSeconds: 5}
"#
);
case!(
    patches_none_holds_edits_too,
    allowed = false,
    "patches: {policy: None}",
    r#"
edits:
- target: {kind: ConfigMap, name: settings}
  jsonPatch: [{op: remove, path: /data/debug}]
"#
);

const PATCHES_RESTRICTED: &str = r#"
patches:
  policy: Restricted
  allowed:
  - target: {kind: Deployment, name: podinfo}
    paths: [".spec.replicas", ".spec.template.spec.terminationGracePeriodSeconds",
            ".spec.template.spec.containers[*].image", ".metadata.labels.**"]
  - target: {kind: ConfigMap, name: "*", namespace: prod}
    paths: [".data"]
"#;

// ---- patches × Restricted ----
case!(
    patches_restricted_allowed_set,
    allowed = true,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set:
    .spec.replicas: "2"
    .metadata.labels["app.kubernetes.io/part-of"]: shop
    .spec.template.spec.containers[0].image: ghcr.io/org/podinfo:6.14.1
"#
);
case!(
    patches_restricted_denies_unlisted_path,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: "2", .spec.template.spec.serviceAccountName: root}
"#
);
case!(
    patches_restricted_denies_unlisted_target,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Service, name: podinfo}
  set: {.spec.type: NodePort}
"#
);
case!(
    patches_restricted_namespace_must_match,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: ConfigMap, name: settings, namespace: prod}
  set: {.data.mode: fast}
- target: {kind: ConfigMap, name: settings, namespace: dev}
  set: {.data.mode: fast}
- target: {kind: ConfigMap, name: settings}
  set: {.data.mode: fast}
"#
);
case!(
    patches_restricted_wildcard_name,
    allowed = true,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: ConfigMap, name: anything, namespace: prod}
  mergePatch: {data: {a: "1", b: null}}
"#
);
case!(
    patches_restricted_selector_only_target_is_too_broad,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {labelSelector: {matchLabels: {app: podinfo}}}
  set: {.spec.replicas: 1}
"#
);
case!(
    patches_restricted_json_patch,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  jsonPatch:
  - {op: test, path: /spec/replicas, value: 1}
  - {op: replace, path: /spec/replicas, value: 3}
  - {op: add, path: /spec/template/spec/containers/0/image, value: nginx}
  - {op: move, from: /spec/template/spec/hostNetwork, path: /metadata/labels/moved}
"#
);
case!(
    patches_restricted_merge_patch_leaves,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  mergePatch:
    metadata: {labels: {team: a}}
    spec: {replicas: 4, strategy: {type: Recreate}}
"#
);
case!(
    patches_restricted_invalid_set_path,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set: {".spec..replicas": 1}
"#
);
case!(
    patches_restricted_edits_are_checked,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: 2}
edits:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.paused: true}
"#
);
case!(
    patches_invalid_operation_count,
    allowed = false,
    PATCHES_RESTRICTED,
    r#"
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: 2}
  mergePatch: {spec: {replicas: 2}}
- target: {kind: Deployment, name: podinfo}
"#
);

// ---- both halves ----
case!(
    mixed_values_and_patches,
    allowed = false,
    r#"
values: {policy: Restricted, allowed: [ui.message]}
patches: {policy: None}
"#,
    r#"
values: {ui: {message: hi, color: red}}
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: "2"}
"#
);

/// Upstream's own sample Menu with upstream's sample Orders.
#[test]
fn upstream_samples() {
    let menu = r#"
values: {policy: Restricted, allowed: ["ui.message", "replicaCount"]}
patches: {policy: None}
"#;
    let (ok, _) = report(menu, "values: {ui: {message: \"Ordered from Menu\"}}");
    assert!(ok.is_allowed());
    let (denied, text) = report(
        menu,
        r#"
values: {ui: {color: '#EF6461', message: "Hello from Kokumi"}, service: {type: NodePort}}
patches:
- target: {kind: Deployment, name: podinfo}
  set: {.spec.replicas: "2"}
"#,
    );
    assert_eq!(denied.violations.len(), 3, "{text}");
    assert!(matches!(denied.violations[2].rule, Rule::PolicyNone));
    insta::assert_snapshot!("upstream_samples_denied", text);
}

mod properties {
    use kokumi_core::policy::{
        OrderOverrides, OverridePolicy, Overrides, PatchOverrides, ValuesOverrides, check_overrides,
    };
    use proptest::prelude::*;
    use serde_json::Value;

    fn values() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            "[a-z]{0,4}".prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map("[a-d.]{1,3}", inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .prop_map(|v| match v {
            Value::Object(_) => v,
            other => serde_json::json!({ "root": other }),
        })
    }

    fn values_policy(policy: OverridePolicy, allowed: &[&str]) -> Overrides {
        Overrides {
            values: ValuesOverrides {
                policy,
                allowed: allowed.iter().map(|s| (*s).to_owned()).collect(),
            },
            patches: PatchOverrides::default(),
        }
    }

    fn check(o: &Overrides, v: &Value) -> kokumi_core::policy::PolicyReport {
        check_overrides(
            o,
            OrderOverrides {
                values: Some(v),
                ..OrderOverrides::default()
            },
        )
    }

    proptest! {
        /// `All` allows everything, and so does a Restricted `**`.
        #[test]
        fn all_and_double_star_allow_everything(v in values()) {
            prop_assert!(check(&values_policy(OverridePolicy::All, &[]), &v).is_allowed());
            prop_assert!(check(&values_policy(OverridePolicy::Restricted, &["**"]), &v).is_allowed());
        }

        /// `None` reports one violation per leaf, and never for a tree of empty maps.
        #[test]
        fn none_denies_each_leaf(v in values()) {
            let report = check(&values_policy(OverridePolicy::None, &[]), &v);
            let mut paths: Vec<&str> = report.violations.iter().map(|x| x.path.as_str()).collect();
            let n = paths.len();
            paths.sort_unstable();
            paths.dedup();
            prop_assert_eq!(paths.len(), n, "one violation per path");
            let restricted = check(&values_policy(OverridePolicy::Restricted, &["nothing.here"]), &v);
            prop_assert_eq!(restricted.violations.len(), n);
        }

        /// Allowing exactly the reported paths makes the Order pass.
        #[test]
        fn allowing_the_reported_paths_passes(v in values()) {
            let denied = check(&values_policy(OverridePolicy::None, &[]), &v);
            let paths: Vec<String> = denied.violations.iter().map(|x| x.path.clone()).collect();
            let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
            let report = check(&values_policy(OverridePolicy::Restricted, &refs), &v);
            prop_assert!(report.is_allowed(), "{}", report.render("m"));
        }
    }
}
