//! Server-side apply: field ownership per manager (`metadata.managedFields`, `FieldsV1`), merge,
//! removal of fields a manager stopped applying, and conflicts between managers.
//!
//! Simplifications: lists are atomic (no `k:`/`v:` list-map keys), and only `Apply` operations
//! own fields (updates and patches don't take ownership).

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

type Path = Vec<String>;

/// Fields the server owns, never part of a manager's set.
fn server_owned(path: &[String]) -> bool {
    matches!(
        path.first().map(String::as_str),
        Some("apiVersion" | "kind")
    ) || (path.first().map(String::as_str) == Some("metadata")
        && matches!(
            path.get(1).map(String::as_str),
            Some(
                "name"
                    | "namespace"
                    | "uid"
                    | "resourceVersion"
                    | "generation"
                    | "creationTimestamp"
                    | "managedFields"
                    | "deletionTimestamp"
                    | "deletionGracePeriodSeconds"
            )
        ))
}

fn leaves(value: &Value, prefix: &mut Path, out: &mut BTreeSet<Path>) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                prefix.push(k.clone());
                if !server_owned(prefix) {
                    leaves(v, prefix, out);
                }
                prefix.pop();
            }
        }
        _ => {
            if !prefix.is_empty() {
                out.insert(prefix.clone());
            }
        }
    }
}

/// The leaf paths a manager sets by applying `applied`.
fn field_set(applied: &Value, subresource: Option<&str>) -> BTreeSet<Path> {
    let mut out = BTreeSet::new();
    leaves(applied, &mut Vec::new(), &mut out);
    match subresource {
        Some("status") => out.retain(|p| p.first().map(String::as_str) == Some("status")),
        _ => out.retain(|p| p.first().map(String::as_str) != Some("status")),
    }
    out
}

fn encode(paths: &BTreeSet<Path>) -> Value {
    let mut root = Map::new();
    for path in paths {
        let mut node = &mut root;
        for segment in path {
            let entry = node
                .entry(format!("f:{segment}"))
                .or_insert_with(|| json!({}));
            if !entry.is_object() {
                *entry = json!({});
            }
            node = match entry.as_object_mut() {
                Some(m) => m,
                None => return Value::Object(root),
            };
        }
    }
    Value::Object(root)
}

fn decode(fields: &Value, prefix: &mut Path, out: &mut BTreeSet<Path>) {
    let Some(map) = fields.as_object() else {
        return;
    };
    for (k, v) in map {
        let Some(segment) = k.strip_prefix("f:") else {
            continue;
        };
        prefix.push(segment.to_owned());
        if v.as_object().is_none_or(Map::is_empty) {
            out.insert(prefix.clone());
        } else {
            decode(v, prefix, out);
        }
        prefix.pop();
    }
}

fn get<'a>(value: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(value, |v, s| v.get(s))
}

fn remove(value: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut node = value;
    for s in parents {
        match node.get_mut(s) {
            Some(n) => node = n,
            None => return,
        }
    }
    if let Some(m) = node.as_object_mut() {
        m.remove(last);
    }
}

fn deep_merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                match t.get_mut(k) {
                    Some(existing) if existing.is_object() && v.is_object() => {
                        deep_merge(existing, v);
                    }
                    _ => {
                        t.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

/// One `managedFields` entry, decoded.
#[derive(Debug, Clone)]
struct Entry {
    raw: Value,
    manager: String,
    apply: bool,
    subresource: Option<String>,
    fields: BTreeSet<Path>,
}

fn entries(managed: Option<&Value>) -> Vec<Entry> {
    managed
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|raw| {
            let mut fields = BTreeSet::new();
            decode(&raw["fieldsV1"], &mut Vec::new(), &mut fields);
            Entry {
                manager: raw["manager"].as_str().unwrap_or_default().to_owned(),
                apply: raw["operation"].as_str() == Some("Apply"),
                subresource: raw["subresource"].as_str().map(str::to_owned),
                fields,
                raw: raw.clone(),
            }
        })
        .collect()
}

fn display(path: &[String]) -> String {
    format!(".{}", path.join("."))
}

/// Applies `applied` for `manager`. Returns the merged object and its new `managedFields`, or
/// the conflicts (another manager owns a field with a different value) when not `force`d.
pub(crate) fn apply(
    existing: Option<&Value>,
    applied: &Value,
    manager: &str,
    api_version: &str,
    subresource: Option<&str>,
    force: bool,
    time: &str,
) -> Result<(Value, Value), Vec<String>> {
    let ours = field_set(applied, subresource);
    let mut all = entries(existing.and_then(|e| e["metadata"].get("managedFields")));
    let same = |e: &Entry| e.manager == manager && e.subresource.as_deref() == subresource;
    let previous: BTreeSet<Path> = all
        .iter()
        .filter(|e| same(e) && e.apply)
        .flat_map(|e| e.fields.iter().cloned())
        .collect();
    let mut conflicts = Vec::new();
    if let Some(existing) = existing {
        for e in all.iter().filter(|e| !same(e) && e.apply) {
            for p in ours.intersection(&e.fields) {
                if get(existing, p) != get(applied, p) {
                    conflicts.push(format!("conflict with {:?}: {}", e.manager, display(p)));
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflicts);
    }
    // Forced: the other managers lose the fields we take.
    for e in all.iter_mut().filter(|e| !same(e)) {
        let before = e.fields.len();
        e.fields.retain(|p| !ours.contains(p));
        if e.fields.len() != before {
            e.raw["fieldsV1"] = encode(&e.fields);
        }
    }
    let others: BTreeSet<Path> = all
        .iter()
        .filter(|e| !same(e))
        .flat_map(|e| e.fields.iter().cloned())
        .collect();

    let mut merged = existing.cloned().unwrap_or_else(|| json!({}));
    for p in previous.difference(&ours) {
        if !others.contains(p) {
            remove(&mut merged, p);
        }
    }
    deep_merge(&mut merged, applied);

    let mut managed: Vec<Value> = all
        .into_iter()
        .filter(|e| !same(e) && !e.fields.is_empty())
        .map(|e| e.raw)
        .collect();
    let mut entry = json!({
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": time,
        "fieldsType": "FieldsV1",
        "fieldsV1": encode(&ours),
    });
    if let Some(s) = subresource {
        entry["subresource"] = json!(s);
    }
    managed.push(entry);
    Ok((merged, Value::Array(managed)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_fields_v1() {
        let applied = json!({"apiVersion": "v1", "metadata": {"name": "x", "labels": {"a": "1"}}, "spec": {"a": {"b": 1}, "l": [1, 2], "e": {}}});
        let set = field_set(&applied, None);
        let mut back = BTreeSet::new();
        decode(&encode(&set), &mut Vec::new(), &mut back);
        assert_eq!(set, back);
        assert_eq!(set.len(), 4, "{set:?}");
    }

    #[test]
    fn removal_conflict_and_force() {
        let first = json!({"spec": {"a": 1, "b": 2}});
        let (obj, mf) = apply(None, &first, "one", "v1", None, false, "t").unwrap();
        let mut obj = obj;
        obj["metadata"] = json!({"managedFields": mf});
        // `one` drops `b`: it is removed.
        let (next, mf) = apply(
            Some(&obj),
            &json!({"spec": {"a": 1}}),
            "one",
            "v1",
            None,
            false,
            "t",
        )
        .unwrap();
        assert_eq!(next["spec"], json!({"a": 1}));
        let mut obj = next;
        obj["metadata"]["managedFields"] = mf;
        // `two` sets `a` differently: conflict, unless forced.
        let errors = apply(
            Some(&obj),
            &json!({"spec": {"a": 5}}),
            "two",
            "v1",
            None,
            false,
            "t",
        )
        .unwrap_err();
        assert_eq!(errors, ["conflict with \"one\": .spec.a"]);
        let (forced, mf) = apply(
            Some(&obj),
            &json!({"spec": {"a": 5}}),
            "two",
            "v1",
            None,
            true,
            "t",
        )
        .unwrap();
        assert_eq!(forced["spec"]["a"], 5);
        assert_eq!(
            mf.as_array().unwrap().len(),
            1,
            "`one` owns nothing any more: {mf}"
        );
    }
}
