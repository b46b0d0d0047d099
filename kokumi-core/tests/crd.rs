//! The generated CRDs: snapshot, `deploy/crds/` up to date, structural, valid CEL that means what
//! it says.

use std::collections::BTreeSet;
use std::path::PathBuf;

use kokumi_core::api::{self, crd::KINDS};
use kube::core::cel::{
    CompiledSchema, ScopeContext, Validator, WarningKind, analyze_rule, compile_schema,
};
use serde_json::{Value, json};

/// The `openAPIV3Schema` of one kind, as JSON.
pub(crate) fn schema_of(kind: &str) -> Value {
    let crd = api::crds()
        .into_iter()
        .find(|c| c.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD for kind {kind}"));
    assert_eq!(crd.spec.versions.len(), 1, "{kind}: one version expected");
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .unwrap_or_else(|| panic!("{kind}: no openAPIV3Schema"));
    serde_json::to_value(schema).unwrap()
}

/// CEL validation of a whole object (with `old` for transition rules), as the API server does.
pub(crate) fn cel_errors(kind: &str, object: &Value, old: Option<&Value>) -> Vec<String> {
    match Validator::new().validate(&schema_of(kind), object, old) {
        Ok(()) => Vec::new(),
        Err(errors) => errors
            .into_vec()
            .into_iter()
            .map(|e| format!("{}: {}", e.rule, e.message))
            .collect(),
    }
}

#[test]
fn crd_yaml_snapshot() {
    insta::assert_snapshot!("crds", api::crds_yaml().unwrap());
}

#[test]
fn names_scopes_and_subresources() {
    let summary: Vec<String> = api::crds()
        .iter()
        .map(|crd| {
            let v = &crd.spec.versions[0];
            format!(
                "{} {} short={:?} categories={:?} status={} columns={:?}",
                crd.metadata.name.as_deref().unwrap(),
                crd.spec.scope,
                crd.spec.names.short_names.clone().unwrap_or_default(),
                crd.spec.names.categories.clone().unwrap_or_default(),
                v.subresources
                    .as_ref()
                    .and_then(|s| s.status.as_ref())
                    .is_some(),
                v.additional_printer_columns
                    .iter()
                    .flatten()
                    .map(|c| c.name.as_str())
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    insta::assert_snapshot!(summary.join("\n"), @r#"
    orders.delivery.kokumi.dev Namespaced short=["ord"] categories=["kokumi"] status=true columns=["Ready", "Reason", "Preparation", "Digest", "Menu", "Source", "Version", "AutoDeploy", "Age"]
    preparations.delivery.kokumi.dev Namespaced short=["prep"] categories=["kokumi"] status=true columns=["Order", "Ready", "Reason", "Digest", "Approved", "Source", "Version", "Age"]
    servings.delivery.kokumi.dev Namespaced short=["srv"] categories=["kokumi"] status=true columns=["Order", "Preparation", "Ready", "Synced", "Healthy", "Drifted", "Digest", "Policy", "Age"]
    menus.delivery.kokumi.dev Cluster short=["mnu"] categories=["kokumi"] status=true columns=["Ready", "Source", "Version", "Values", "Patches", "Age"]
    recipes.delivery.kokumi.dev Cluster short=["rcp"] categories=["kokumi"] status=true columns=["KubeVersion", "Layout", "RequireDigest", "Age"]
    pantries.delivery.kokumi.dev Namespaced short=["pan"] categories=["kokumi"] status=true columns=["URL", "Ready", "Description", "Age"]
    "#);
}

fn deploy_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/crds")
}

fn deploy_file_name(kind: &str) -> String {
    format!("{}.yaml", kind.to_lowercase())
}

/// `deploy/crds/<kind>.yaml` must be exactly what the types generate. Regenerate with
/// `KOKUMI_BLESS=1 cargo test -p kokumi-core --test tests deploy_crds`.
#[test]
fn deploy_crds_are_current() {
    let dir = deploy_dir();
    let bless = std::env::var_os("KOKUMI_BLESS").is_some_and(|v| v == "1");
    let mut expected_files = BTreeSet::new();
    let mut stale = Vec::new();
    for (crd, kind) in api::crds().iter().zip(KINDS) {
        assert_eq!(crd.spec.names.kind, kind);
        let name = deploy_file_name(kind);
        let want = format!(
            "# Generated from kokumi-core's API types; do not edit.\n\
             # Regenerate: KOKUMI_BLESS=1 cargo test -p kokumi-core --test tests deploy_crds\n{}",
            api::crd::crd_yaml(crd).unwrap()
        );
        let path = dir.join(&name);
        if bless {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &want).unwrap();
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(want.as_str()) {
            stale.push(name.clone());
        }
        expected_files.insert(name);
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    let extra: Vec<_> = present.difference(&expected_files).collect();
    assert!(
        stale.is_empty() && extra.is_empty(),
        "deploy/crds is out of date (stale: {stale:?}, unexpected: {extra:?}); regenerate with \
         KOKUMI_BLESS=1 cargo test -p kokumi-core --test tests deploy_crds"
    );
}

/// Keywords a CRD schema node may use (apiextensions.k8s.io/v1 JSONSchemaProps, minus the ones
/// structural schemas forbid or that we do not want: `$ref`, `oneOf`/`anyOf`/`allOf`/`not`,
/// `definitions`, `patternProperties`, `dependencies`, …).
const ALLOWED_KEYWORDS: &[&str] = &[
    "description",
    "type",
    "format",
    "title",
    "default",
    "example",
    "externalDocs",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "multipleOf",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "maxProperties",
    "minProperties",
    "required",
    "items",
    "properties",
    "additionalProperties",
    "nullable",
    "x-kubernetes-preserve-unknown-fields",
    "x-kubernetes-embedded-resource",
    "x-kubernetes-int-or-string",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-list-type",
    "x-kubernetes-map-type",
    "x-kubernetes-validations",
];

const TYPES: &[&str] = &["object", "array", "string", "integer", "number", "boolean"];

/// Walks a schema and reports every violation of the structural-schema rules, plus the paths
/// where unknown fields are preserved.
fn check_structural(
    path: &str,
    node: &Value,
    errors: &mut Vec<String>,
    preserved: &mut Vec<String>,
) {
    let Some(obj) = node.as_object() else {
        errors.push(format!("{path}: schema is not an object: {node}"));
        return;
    };
    for key in obj.keys() {
        if !ALLOWED_KEYWORDS.contains(&key.as_str()) {
            errors.push(format!(
                "{path}: keyword {key:?} is not allowed in a structural schema"
            ));
        }
    }
    let preserve = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true));
    let int_or_string = obj.get("x-kubernetes-int-or-string") == Some(&json!(true));
    if preserve {
        preserved.push(path.to_owned());
    }
    let ty = obj.get("type").and_then(Value::as_str);
    match ty {
        Some(t) if TYPES.contains(&t) => {}
        Some(t) => errors.push(format!("{path}: unknown type {t:?}")),
        None if preserve || int_or_string => {}
        None => errors.push(format!("{path}: no type")),
    }
    if obj.get("uniqueItems") == Some(&json!(true)) {
        errors.push(format!("{path}: uniqueItems: true is not allowed"));
    }
    if let Some(values) = obj.get("enum").and_then(Value::as_array) {
        for v in values {
            let ok = match ty {
                Some("string") => v.is_string(),
                Some("integer") => v.is_i64() || v.is_u64(),
                _ => true,
            };
            if !ok {
                errors.push(format!("{path}: enum value {v} does not match type {ty:?}"));
            }
        }
    }
    if let Some(rules) = obj.get("x-kubernetes-validations") {
        for rule in rules.as_array().into_iter().flatten() {
            if rule
                .get("rule")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
            {
                errors.push(format!("{path}: validation without a rule: {rule}"));
            }
        }
    }
    let props = obj.get("properties").and_then(Value::as_object);
    match obj.get("additionalProperties") {
        None => {}
        Some(Value::Object(_)) if props.is_some() => {
            errors.push(format!(
                "{path}: properties and additionalProperties together"
            ));
        }
        Some(ap @ Value::Object(_)) => {
            check_structural(&format!("{path}.*"), ap, errors, preserved);
        }
        Some(other) => errors.push(format!(
            "{path}: additionalProperties must be a schema, got {other}"
        )),
    }
    if let Some(props) = props {
        if ty != Some("object") {
            errors.push(format!("{path}: properties on a node of type {ty:?}"));
        }
        for (name, child) in props {
            check_structural(&format!("{path}.{name}"), child, errors, preserved);
        }
        for required in obj
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = required.as_str().unwrap_or_default();
            if !props.contains_key(name) {
                errors.push(format!("{path}: required {name:?} is not a property"));
            }
        }
    }
    if ty == Some("array") {
        match obj.get("items") {
            Some(items) => check_structural(&format!("{path}[]"), items, errors, preserved),
            None => errors.push(format!("{path}: array without items")),
        }
    }
    if obj.get("x-kubernetes-list-type") == Some(&json!("map")) {
        let items = obj.get("items").unwrap_or(&Value::Null);
        let required: Vec<&str> = items
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        for key in obj
            .get("x-kubernetes-list-map-keys")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let key = key.as_str().unwrap_or_default();
            if !required.contains(&key) {
                errors.push(format!(
                    "{path}: list map key {key:?} is not required in the items"
                ));
            }
        }
    }
}

#[test]
fn schemas_are_structural() {
    let mut errors = Vec::new();
    let mut preserved = Vec::new();
    for kind in KINDS {
        let schema = schema_of(kind);
        assert_eq!(schema["type"], "object", "{kind}: root must be an object");
        for forbidden in ["apiVersion", "kind"] {
            if let Some(p) = schema["properties"].get(forbidden) {
                assert_eq!(p["type"], "string", "{kind}.{forbidden}");
            }
        }
        check_structural(kind, &schema, &mut errors, &mut preserved);
    }
    assert!(errors.is_empty(), "not structural:\n{}", errors.join("\n"));
    // Only Helm values and free-form patch values may keep unknown fields.
    for path in &preserved {
        let allowed = path.ends_with(".values")
            || path.ends_with(".mergePatch")
            || path.ends_with(".jsonPatch[].value")
            || path.ends_with(".set.*");
        assert!(
            allowed,
            "{path} preserves unknown fields but is neither Helm values nor a patch value"
        );
    }
    insta::assert_snapshot!(preserved.join("\n"), @r"
    Order.spec.edits[].jsonPatch[].value
    Order.spec.edits[].mergePatch
    Order.spec.edits[].set.*
    Order.spec.patches[].jsonPatch[].value
    Order.spec.patches[].mergePatch
    Order.spec.patches[].set.*
    Order.spec.render.helm.values
    Menu.spec.patches[].jsonPatch[].value
    Menu.spec.patches[].mergePatch
    Menu.spec.patches[].set.*
    Menu.spec.render.helm.values
    Recipe.spec.helm.values
    ");
}

#[test]
fn structural_check_catches_bad_schemas() {
    // The checker itself must fail on what the API server rejects.
    let bad = json!({
        "type": "object",
        "properties": {
            "untyped": {"description": "no type"},
            "ref": {"$ref": "#/definitions/X"},
            "choice": {"type": "object", "oneOf": [{"required": ["a"]}]},
            "list": {"type": "array"},
            "set": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
        }
    });
    let mut errors = Vec::new();
    check_structural("Bad", &bad, &mut errors, &mut Vec::new());
    errors.sort();
    insta::assert_snapshot!(errors.join("\n"), @r#"
    Bad.choice: keyword "oneOf" is not allowed in a structural schema
    Bad.list: array without items
    Bad.ref: keyword "$ref" is not allowed in a structural schema
    Bad.ref: no type
    Bad.set: uniqueItems: true is not allowed
    Bad.untyped: no type
    "#);
}

fn collect_compile_errors(path: &str, schema: &CompiledSchema, out: &mut Vec<String>) {
    for err in schema.compilation_errors() {
        out.push(format!("{path}: {err}"));
    }
    for (name, child) in &schema.properties {
        collect_compile_errors(&format!("{path}.{name}"), child, out);
    }
    if let Some(items) = &schema.items {
        collect_compile_errors(&format!("{path}[]"), items, out);
    }
    if let Some(ap) = &schema.additional_properties {
        collect_compile_errors(&format!("{path}.*"), ap, out);
    }
}

fn collect_rules(node: &Value, out: &mut Vec<String>) {
    match node {
        Value::Object(map) => {
            if let Some(rules) = map
                .get("x-kubernetes-validations")
                .and_then(Value::as_array)
            {
                out.extend(
                    rules
                        .iter()
                        .filter_map(|r| r["rule"].as_str().map(str::to_owned)),
                );
            }
            for (k, v) in map {
                if k != "x-kubernetes-validations" && k != "default" && k != "enum" {
                    collect_rules(v, out);
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_rules(v, out)),
        _ => {}
    }
}

/// kube-cel's scope check reports the variable of a comprehension macro (`l.filter(x, x)`) as
/// unknown; the API server binds it. Such warnings are not problems.
fn is_macro_variable(rule: &str, warning: &kube::core::cel::AnalysisWarning) -> bool {
    if warning.kind != WarningKind::WrongScope {
        return false;
    }
    let Some(var) = warning.message.split('\'').nth(1) else {
        return false;
    };
    ["all", "exists", "exists_one", "filter", "map"]
        .iter()
        .any(|m| rule.contains(&format!(".{m}({var},")))
}

#[test]
fn cel_rules_compile_within_scope_and_budget() {
    let mut errors = Vec::new();
    let mut rules = BTreeSet::new();
    for kind in KINDS {
        let schema = schema_of(kind);
        let compiled = compile_schema(&schema);
        collect_compile_errors(kind, &compiled, &mut errors);
        let mut found = Vec::new();
        collect_rules(&schema, &mut found);
        for rule in found {
            for warning in analyze_rule(&rule, &compiled, ScopeContext::CrdValidation) {
                if is_macro_variable(&rule, &warning) {
                    continue;
                }
                errors.push(format!("{kind}: {rule}: {}", warning.message));
            }
            rules.insert(rule);
        }
    }
    assert!(errors.is_empty(), "CEL problems:\n{}", errors.join("\n"));
    let rules: Vec<_> = rules.into_iter().collect();
    insta::assert_snapshot!(rules.join("\n"), @r"
    !(has(self.oci) && has(self.pantryRef))
    [has(self.set), has(self.jsonPatch), has(self.mergePatch)].filter(x, x).size() == 1
    has(self.helm) != has(self.manifest)
    has(self.oci) != has(self.pantryRef)
    has(self.source) != has(self.menuRef)
    self == oldSelf
    self.policy != 'Restricted' || (has(self.allowed) && size(self.allowed) > 0)
    ");
}

#[allow(clippy::needless_pass_by_value)] // json!() literals read better passed by value
fn order(spec: Value) -> Value {
    json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1",
        "kind": "Order",
        "metadata": {"name": "o", "namespace": "n"},
        "spec": spec,
    })
}

#[test]
fn cel_source_xor_menu_ref() {
    let source = json!({"oci": "oci://ghcr.io/a/b", "version": "1.0.0"});
    assert_eq!(
        cel_errors("Order", &order(json!({"source": source})), None),
        Vec::<String>::new()
    );
    assert!(cel_errors("Order", &order(json!({"menuRef": {"name": "m"}})), None).is_empty());
    insta::assert_snapshot!(
        cel_errors("Order", &order(json!({"source": source, "menuRef": {"name": "m"}})), None).join("\n"),
        @"has(self.source) != has(self.menuRef): exactly one of source or menuRef must be set"
    );
    insta::assert_snapshot!(
        cel_errors("Order", &order(json!({})), None).join("\n"),
        @"has(self.source) != has(self.menuRef): exactly one of source or menuRef must be set"
    );
}

#[test]
fn cel_source_oci_xor_pantry_ref() {
    let both = json!({"source": {"oci": "oci://r/x", "pantryRef": {"name": "p"}, "version": "1"}});
    assert_eq!(
        cel_errors("Order", &order(both), None),
        ["has(self.oci) != has(self.pantryRef): exactly one of oci or pantryRef must be set"]
    );
    let pantry = json!({"source": {"pantryRef": {"name": "p"}, "version": "1"}});
    assert!(cel_errors("Order", &order(pantry), None).is_empty());
}

#[test]
fn cel_render_helm_xor_manifest() {
    let source = json!({"oci": "oci://ghcr.io/a/b", "version": "1.0.0"});
    let both = json!({"source": source, "render": {"helm": {}, "manifest": {"layout": "Multi"}}});
    assert_eq!(
        cel_errors("Order", &order(both), None),
        ["has(self.helm) != has(self.manifest): exactly one of helm or manifest must be set"]
    );
    let neither = json!({"source": source, "render": {}});
    assert_eq!(cel_errors("Order", &order(neither), None).len(), 1);
    let helm = json!({"source": source, "render": {"helm": {"values": {"a": 1}}}});
    assert!(cel_errors("Order", &order(helm), None).is_empty());
}

fn preparation(message: &str) -> Value {
    let hex = "ab".repeat(32);
    json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1",
        "kind": "Preparation",
        "metadata": {"name": format!("podinfo-{}", &hex[..12]), "namespace": "n"},
        "spec": {
            "orderName": "podinfo",
            "source": {"oci": "oci://ghcr.io/stefanprodan/charts/podinfo", "version": "6.14.1",
                       "baseDigest": format!("sha256:{}", "cd".repeat(32))},
            "renderer": {"name": "kokumi-render", "version": "0.1.0", "renderType": "Helm"},
            "configHash": format!("sha256:{}", "ef".repeat(32)),
            "artifact": {"ociRef": format!("oci://registry.kokumi.svc:5000/preparation/podinfo@sha256:{hex}"),
                         "digest": format!("sha256:{hex}")},
            "commitMessage": message,
        }
    })
}

#[test]
fn cel_preparation_spec_is_immutable() {
    let old = preparation("first");
    assert!(
        cel_errors("Preparation", &old, None).is_empty(),
        "create is allowed"
    );
    assert!(
        cel_errors("Preparation", &old, Some(&old)).is_empty(),
        "no-op update is allowed"
    );
    let mut status_only = old.clone();
    status_only["status"] = json!({"conditions": [{"type": "Ready", "status": "True", "reason": "Pushed",
        "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}]});
    assert!(
        cel_errors("Preparation", &status_only, Some(&old)).is_empty(),
        "status may change"
    );
    assert_eq!(
        cel_errors("Preparation", &preparation("second"), Some(&old)),
        ["self == oldSelf: Preparation spec is immutable"]
    );
    // And the typed object round-trips through the schema.
    let typed: api::Preparation = serde_json::from_value(old.clone()).unwrap();
    assert_eq!(serde_json::to_value(&typed).unwrap(), old);
}

#[test]
fn menu_restricted_needs_an_allow_list() {
    let menu = json!({
        "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Menu", "metadata": {"name": "m"},
        "spec": {"source": {"oci": "oci://r/x", "version": "1"},
                 "overrides": {"values": {"policy": "Restricted"}, "patches": {"policy": "None"}}}
    });
    assert_eq!(cel_errors("Menu", &menu, None).len(), 1);
}

#[test]
fn cel_serving_order_is_immutable() {
    let serving = |order: &str, preparation: &str| {
        json!({
            "apiVersion": "delivery.kokumi.dev/v1alpha1", "kind": "Serving",
            "metadata": {"name": "podinfo", "namespace": "n"},
            "spec": {"order": order, "preparation": preparation,
                     "preparationPolicy": {"type": "Manual"}},
        })
    };
    let old = serving("podinfo", "podinfo-aaaaaaaaaaaa");
    assert!(
        cel_errors(
            "Serving",
            &serving("podinfo", "podinfo-bbbbbbbbbbbb"),
            Some(&old)
        )
        .is_empty()
    );
    assert_eq!(
        cel_errors(
            "Serving",
            &serving("other", "podinfo-aaaaaaaaaaaa"),
            Some(&old)
        ),
        ["self == oldSelf: order is immutable"]
    );
}

#[test]
fn deploy_files_parse_back_into_the_same_crds() {
    for (crd, kind) in api::crds().iter().zip(KINDS) {
        let text = std::fs::read_to_string(deploy_dir().join(deploy_file_name(kind))).unwrap();
        let parsed: k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition =
            serde_norway::from_str(&text).unwrap();
        assert_eq!(&parsed, crd, "{kind}");
    }
}

#[test]
fn status_written_with_condition_helpers_validates() {
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use kokumi_core::api::condition::{self, ConditionStatus, Conditions};
    let now = Time(k8s_openapi::jiff::Timestamp::from_second(1_750_000_000).unwrap());
    let mut status = api::OrderStatus::default();
    status.conditions.set(condition::new(
        condition::READY,
        ConditionStatus::Unknown,
        "",
        "",
        Some(3),
        now.clone(),
    ));
    status.conditions.set(condition::new(
        condition::RENDERED,
        ConditionStatus::True,
        "Rendered",
        "ok",
        Some(3),
        now,
    ));
    status.observed_generation = Some(3);
    let mut object = order(json!({"menuRef": {"name": "m"}}));
    object["status"] = serde_json::to_value(&status).unwrap();
    let schema = schema_of("Order");
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&object)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(
        object["status"]["conditions"][0]["lastTransitionTime"],
        "2025-06-15T15:06:40Z"
    );
    // A reason that is not CamelCase is rejected by the schema.
    object["status"]["conditions"][0]["reason"] = json!("not a reason");
    assert!(!validator.is_valid(&object));
}

/// Evaluates the JSONPath forms printer columns use: `.a.b`, `a\.b/c` (escaped dots) and
/// `[?(@.type=="X")]` filters.
fn column_value<'a>(object: &'a Value, path: &str) -> Option<&'a Value> {
    let mut current = vec![object];
    let mut rest = path.strip_prefix('.')?;
    while !rest.is_empty() {
        if let Some(filter) = rest.strip_prefix("[?(@.") {
            let end = filter.find(")]")?;
            let (field, want) = filter[..end].split_once("==")?;
            let want = want.trim_matches('"').trim_matches('\'');
            current = current
                .into_iter()
                .filter_map(Value::as_array)
                .flatten()
                .filter(|item| item.get(field).and_then(Value::as_str) == Some(want))
                .collect();
            rest = filter[end + 2..]
                .strip_prefix('.')
                .unwrap_or(&filter[end + 2..]);
            continue;
        }
        // A field name runs to the next unescaped `.` or `[`.
        let mut name = String::new();
        let mut chars = rest.char_indices().peekable();
        let mut consumed = rest.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        name.push(next);
                    }
                }
                '.' | '[' => {
                    consumed = i;
                    break;
                }
                c => name.push(c),
            }
        }
        current = current.into_iter().filter_map(|v| v.get(&name)).collect();
        rest = &rest[consumed..];
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    current.into_iter().next()
}

#[test]
fn printer_columns_point_at_real_fields() {
    let ready = json!([{"type": "Ready", "status": "True", "reason": "Done", "message": "",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"},
                       {"type": "Synced", "status": "True", "reason": "Synced", "message": "",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"},
                       {"type": "Healthy", "status": "True", "reason": "Healthy", "message": "",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"},
                       {"type": "Drifted", "status": "False", "reason": "InSync", "message": "",
                        "lastTransitionTime": "2026-01-01T00:00:00Z"}]);
    let digest = format!("sha256:{}", "ab".repeat(32));
    let meta = |labels: Value| json!({"name": "x", "creationTimestamp": "2026-01-01T00:00:00Z", "labels": labels});
    let examples: Vec<(&str, Value)> = vec![
        (
            "Order",
            json!({"metadata": meta(json!({})), "spec": {
            "source": {"oci": "oci://r/x", "version": "1"}, "autoDeploy": "Disabled"},
            "status": {"conditions": ready, "latestPreparation": "x-abababababab", "latestDigest": digest}}),
        ),
        (
            "Order",
            json!({"metadata": meta(json!({})), "spec": {"menuRef": {"name": "m"}}}),
        ),
        ("Preparation", {
            let mut p = preparation("m");
            p["metadata"] = meta(json!({"delivery.kokumi.dev/approve-deploy": "true"}));
            p["status"] = json!({"conditions": ready});
            p
        }),
        (
            "Serving",
            json!({"metadata": meta(json!({})), "spec": {"order": "o", "preparation": "p",
            "preparationPolicy": {"type": "Manual"}},
            "status": {"conditions": ready, "deployedDigest": digest}}),
        ),
        (
            "Menu",
            json!({"metadata": meta(json!({})), "spec": {
            "source": {"oci": "oci://r/x", "version": "1"},
            "overrides": {"values": {"policy": "All"}, "patches": {"policy": "None"}}},
            "status": {"conditions": ready}}),
        ),
        (
            "Recipe",
            json!({"metadata": meta(json!({})), "spec": {"helm": {"kubeVersion": "v1.33.0"},
            "output": {"layout": "Single"}, "imagePolicy": {"requireDigest": true}}}),
        ),
        (
            "Pantry",
            json!({"metadata": meta(json!({})), "spec": {"url": "oci://r", "description": "d"},
            "status": {"conditions": ready}}),
        ),
    ];
    let mut missing = Vec::new();
    for crd in api::crds() {
        let kind = crd.spec.names.kind.as_str();
        let objects: Vec<&Value> = examples
            .iter()
            .filter(|(k, _)| *k == kind)
            .map(|(_, v)| v)
            .collect();
        assert!(!objects.is_empty(), "no example object for {kind}");
        for o in &objects {
            let errors = crate::samples::schema_errors(kind, o);
            assert!(errors.is_empty(), "example {kind} is invalid: {errors:?}");
        }
        for col in crd.spec.versions[0]
            .additional_printer_columns
            .iter()
            .flatten()
        {
            if !objects
                .iter()
                .any(|o| column_value(o, &col.json_path).is_some())
            {
                missing.push(format!("{kind} column {} ({})", col.name, col.json_path));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "printer columns that resolve to nothing:\n{}",
        missing.join("\n")
    );
    // The evaluator itself must be able to say no.
    assert!(column_value(&examples[0].1, ".spec.nothing").is_none());
    assert!(
        column_value(
            &examples[0].1,
            ".status.conditions[?(@.type==\"Gone\")].status"
        )
        .is_none()
    );
    assert_eq!(
        column_value(
            &examples[2].1,
            ".metadata.labels.delivery\\.kokumi\\.dev/approve-deploy"
        ),
        Some(&json!("true"))
    );
}
