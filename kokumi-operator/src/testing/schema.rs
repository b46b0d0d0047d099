//! Validation of custom resources against their CRD's `openAPIV3Schema`, the way the API server
//! does it: defaults applied, structural schema checked, CEL rules (`x-kubernetes-validations`)
//! evaluated with `oldSelf` on updates.
//!
//! One deliberate difference: a real server *prunes* unknown fields silently; the fake rejects
//! them (like `fieldValidation=Strict`), so a misspelled field in what a controller writes is a
//! test failure instead of a silent loss.

use serde_json::{Map, Value};

thread_local! {
    /// Building a CEL validator registers every Kubernetes CEL function: do it once per thread.
    static CEL: kube::core::cel::Validator = kube::core::cel::Validator::new();
}

/// A compiled CRD version schema.
pub(crate) struct SchemaValidator {
    openapi: Value,
    json: jsonschema::Validator,
}

impl std::fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SchemaValidator").finish_non_exhaustive()
    }
}

/// Turns the OpenAPI v3 dialect of CRDs into plain JSON Schema (draft 4): `nullable`,
/// `x-kubernetes-int-or-string`.
fn to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            for (k, v) in map {
                let v = match k.as_str() {
                    "properties" | "patternProperties" | "definitions" => match v {
                        Value::Object(props) => Value::Object(
                            props
                                .iter()
                                .map(|(pk, pv)| (pk.clone(), to_json_schema(pv)))
                                .collect(),
                        ),
                        other => other.clone(),
                    },
                    "items" | "additionalProperties" | "not" => to_json_schema(v),
                    "allOf" | "anyOf" | "oneOf" => match v {
                        Value::Array(items) => {
                            Value::Array(items.iter().map(to_json_schema).collect())
                        }
                        other => other.clone(),
                    },
                    // Kubernetes-only keywords mean nothing to JSON Schema.
                    k if k.starts_with("x-kubernetes-") => continue,
                    _ => v.clone(),
                };
                out.insert(k.clone(), v);
            }
            if map.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = map.get("type")
            {
                out.insert("type".into(), serde_json::json!([t, "null"]));
            }
            if map.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true)) {
                out.remove("type");
                out.insert(
                    "anyOf".into(),
                    serde_json::json!([{"type": "integer"}, {"type": "string"}]),
                );
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

/// Reports fields the schema does not know (the server would prune them).
fn unknown_fields(schema: &Value, value: &Value, path: &str, root: bool, out: &mut Vec<String>) {
    if schema.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true))
        || schema.get("x-kubernetes-embedded-resource") == Some(&Value::Bool(true))
    {
        return;
    }
    match value {
        Value::Object(obj) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties");
            for (k, v) in obj {
                if root && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    continue;
                }
                let child = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if let Some(s) = props.and_then(|p| p.get(k)) {
                    unknown_fields(s, v, &child, false, out);
                } else if let Some(s) = additional.filter(|a| a.is_object()) {
                    unknown_fields(s, v, &child, false, out);
                } else if props.is_some() || additional == Some(&Value::Bool(false)) {
                    out.push(format!("{child}: unknown field"));
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    unknown_fields(s, v, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        _ => {}
    }
}

impl SchemaValidator {
    /// Compiles `openapi` (a CRD version's `openAPIV3Schema`).
    pub(crate) fn new(openapi: Value) -> Result<Self, String> {
        let mut json_schema = to_json_schema(&openapi);
        // `metadata` is validated by the server's own rules, not the CRD's schema.
        if let Some(props) = json_schema
            .get_mut("properties")
            .and_then(Value::as_object_mut)
        {
            props.remove("metadata");
        }
        let json = jsonschema::draft4::options()
            .should_validate_formats(true)
            .build(&json_schema)
            .map_err(|e| format!("invalid openAPIV3Schema: {e}"))?;
        Ok(Self { openapi, json })
    }

    /// Applies the schema's defaults to `object`.
    pub(crate) fn default(&self, object: &Value) -> Value {
        kube::core::cel::apply_defaults(&self.openapi, object)
    }

    /// Every problem with `object` (`old` is the stored object on update), as
    /// `path: message` lines; empty when valid.
    pub(crate) fn validate(&self, object: &Value, old: Option<&Value>) -> Vec<String> {
        let mut errors: Vec<String> = self
            .json
            .iter_errors(object)
            .map(|e| {
                let path = e.instance_path().to_string();
                let path = path.trim_start_matches('/').replace('/', ".");
                format!("{}: {e}", if path.is_empty() { "<root>" } else { &path })
            })
            .collect();
        unknown_fields(&self.openapi, object, "", true, &mut errors);
        if errors.is_empty()
            && let Err(cel) = CEL.with(|cel| cel.validate(&self.openapi, object, old))
        {
            errors.extend(cel.into_vec().into_iter().map(|e| {
                let path = if e.field_path.is_empty() {
                    "<root>".to_owned()
                } else {
                    e.field_path.clone()
                };
                format!("{path}: {} (rule: {})", e.message, e.rule)
            }));
        }
        errors
    }
}
