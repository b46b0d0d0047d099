//! Values: Helm's coalescing of user values over chart defaults (with subchart scopes and
//! globals), and dependency processing (conditions, tags, aliases, import-values).
//!
//! These follow Helm 4.3.1's `pkg/chart/common/util/coalesce.go` and
//! `pkg/chart/v2/util/dependencies.go` step by step, because their corner cases are observable:
//! a `null` in a chart's own `values.yaml` drops the key, a user `null` deletes a default, a
//! parent's global wins over a subchart's, type clashes produce warnings (returned as
//! [`crate::log::Record`]s, never printed).

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::chart::{Chart, semver};
use crate::error::{Error, Result};
use crate::log::Record;
use crate::value::{Map, Value};

/// What coalescing and dependency processing log (`warning: destination for x is a table.
/// ...`), in order.
pub type Warnings = Vec<Record>;

fn concat_prefix(a: &str, b: &str) -> String {
    if a.is_empty() {
        b.to_string()
    } else {
        format!("{a}.{b}")
    }
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn table_mut(v: &mut Value) -> Option<&mut Map> {
    match v {
        Value::Map(m) => Some(Arc::make_mut(m.arc_mut())),
        _ => None,
    }
}

/// Helm's `CoalesceValues(chart, vals)`: user values over the chart's defaults, subcharts under
/// their names, globals pushed down; nulls delete keys.
pub fn coalesce_values(chart: &Chart, vals: &Map, warnings: &mut Warnings) -> Result<Map> {
    let mut dest = vals.clone();
    coalesce(chart, &mut dest, "", false, warnings)?;
    Ok(dest)
}

/// Helm's `MergeValues(chart, vals)`: like [`coalesce_values`] but nulls are kept.
pub fn merge_values(chart: &Chart, vals: &Map, warnings: &mut Warnings) -> Result<Map> {
    let mut dest = vals.clone();
    coalesce(chart, &mut dest, "", true, warnings)?;
    Ok(dest)
}

fn coalesce(ch: &Chart, dest: &mut Map, prefix: &str, merge: bool, w: &mut Warnings) -> Result<()> {
    coalesce_chart_values(ch, dest, prefix, merge, w);
    coalesce_deps(ch, dest, prefix, merge, w)
}

fn coalesce_deps(
    ch: &Chart,
    dest: &mut Map,
    prefix: &str,
    merge: bool,
    w: &mut Warnings,
) -> Result<()> {
    for sub in &ch.dependencies {
        let name = sub.name().to_string();
        let mut dvmap = match dest.get(&name) {
            None => Map::new(),
            Some(Value::Map(m)) => (**m).clone(),
            Some(other) => {
                return Err(Error::Values(format!(
                    "type mismatch on {name}: %!t({}={other})",
                    other.type_name()
                )));
            }
        };
        let sub_prefix = concat_prefix(prefix, ch.name());
        coalesce_globals(&mut dvmap, dest, &sub_prefix, w);
        coalesce(sub, &mut dvmap, &sub_prefix, merge, w)?;
        dest.insert(name, Value::map(dvmap));
    }
    Ok(())
}

fn coalesce_globals(dest: &mut Map, src: &Map, prefix: &str, w: &mut Warnings) {
    let mut dg = match dest.get("global") {
        None => Map::new(),
        Some(Value::Map(m)) => (**m).clone(),
        Some(_) => {
            w.push(Record::info(
                "warning: skipping globals because destination global is not a table.",
            ));
            return;
        }
    };
    let sg = match src.get("global") {
        None => Map::new(),
        Some(Value::Map(m)) => (**m).clone(),
        Some(_) => {
            w.push(Record::info(
                "warning: skipping globals because source global is not a table.",
            ));
            return;
        }
    };
    for (key, val) in sg {
        if let Value::Map(vm) = &val {
            let mut vv = (**vm).clone();
            match dg.get(&key) {
                None => {
                    dg.insert(key, Value::map(vv));
                }
                Some(Value::Map(destv)) => {
                    let sub_prefix = concat_prefix(prefix, &key);
                    coalesce_tables_full_key(&mut vv, (**destv).clone(), &sub_prefix, true, w);
                    dg.insert(key, Value::map(vv));
                }
                Some(_) => {
                    w.push(Record::info(format!(
                        "Conflict: cannot merge map onto non-map for {}. Skipping.",
                        crate::gofmt::quote(&key)
                    )));
                }
            }
        } else if dg.get(&key).is_some_and(is_table) {
            w.push(Record::info(format!("key {key} is table. Skipping")));
        } else {
            dg.insert(key, val);
        }
    }
    dest.insert("global".into(), Value::map(dg));
}

fn child_chart_merge_true(ch: &Chart, key: &str, merge: bool) -> bool {
    ch.dependencies.iter().any(|d| d.name() == key) || merge
}

fn coalesce_chart_values(ch: &Chart, v: &mut Map, prefix: &str, merge: bool, w: &mut Warnings) {
    let sub_prefix = concat_prefix(prefix, ch.name());
    for (key, val) in ch.values.iter() {
        match v.get_mut(key) {
            Some(value) => {
                if matches!(value, Value::Nil) && !merge {
                    v.remove(key);
                } else if let Some(dest) = table_mut(value) {
                    match val {
                        Value::Map(src) => {
                            let merge = child_chart_merge_true(ch, key, merge);
                            let mut src = (**src).clone();
                            if !merge {
                                clean_nil_values(&mut src);
                            }
                            coalesce_tables_full_key(
                                dest,
                                src,
                                &concat_prefix(&sub_prefix, key),
                                merge,
                                w,
                            );
                        }
                        Value::Nil => {}
                        _ => w.push(Record::info(format!(
                            "warning: skipped value for {sub_prefix}.{key}: Not a table."
                        ))),
                    }
                }
            }
            None => {
                let mut val = val.clone();
                if !merge {
                    if matches!(val, Value::Nil) {
                        continue;
                    }
                    if let Value::Map(m) = &mut val
                        && has_nil(m)
                    {
                        clean_nil_values(Arc::make_mut(m.arc_mut()));
                    }
                }
                v.insert(key.clone(), val);
            }
        }
    }
}

/// Helm's `CoalesceTables(dst, src)`: `dst` wins, nulls in `dst` delete.
pub fn coalesce_tables(dst: &mut Map, src: Map, w: &mut Warnings) {
    coalesce_tables_full_key(dst, src, "", false, w);
}

/// Helm's `MergeTables(dst, src)`: `dst` wins, nulls kept.
pub fn merge_tables(dst: &mut Map, src: Map, w: &mut Warnings) {
    coalesce_tables_full_key(dst, src, "", true, w);
}

fn coalesce_tables_full_key(
    dst: &mut Map,
    mut src: Map,
    prefix: &str,
    merge: bool,
    w: &mut Warnings,
) {
    let src_non_nil: BTreeSet<String> = src
        .iter()
        .filter(|(_, v)| !matches!(v, Value::Nil))
        .map(|(k, _)| k.clone())
        .collect();
    for (k, v) in dst.iter() {
        if matches!(v, Value::Nil) {
            src.insert(k.clone(), Value::Nil);
        }
    }
    for (key, val) in src {
        let fullkey = concat_prefix(prefix, &key);
        match dst.get_mut(&key) {
            Some(Value::Nil) if !merge && src_non_nil.contains(&key) => {
                dst.remove(&key);
            }
            None => {
                dst.insert(key, val);
            }
            Some(dv) => {
                if let Value::Map(vm) = &val {
                    if let Some(dm) = table_mut(dv) {
                        coalesce_tables_full_key(dm, (**vm).clone(), &fullkey, merge, w);
                    } else {
                        w.push(Record::info(format!(
                            "warning: cannot overwrite table with non table for {fullkey} ({val})"
                        )));
                    }
                } else if is_table(dv) && !matches!(val, Value::Nil) {
                    w.push(Record::info(format!(
                        "warning: destination for {fullkey} is a table. Ignoring non-table value ({val})"
                    )));
                }
            }
        }
    }
}

/// Removes the nulls from `m` and the maps in it. A nested map is copied (it is usually shared
/// with the chart's defaults) only when it holds a null somewhere.
fn clean_nil_values(m: &mut Map) {
    m.retain(|_, v| !matches!(v, Value::Nil));
    for v in m.values_mut() {
        if let Value::Map(sub) = v
            && has_nil(sub)
        {
            crate::value::grow(|| clean_nil_values(Arc::make_mut(sub.arc_mut())));
        }
    }
}

/// Whether `m` or a map in it holds a null.
fn has_nil(m: &Map) -> bool {
    m.values().any(|v| match v {
        Value::Nil => true,
        Value::Map(sub) => crate::value::grow(|| has_nil(sub)),
        _ => false,
    })
}

/// Helm's `Values.Table(path)`: the map at a dotted path.
pub fn table<'a>(v: &'a Map, path: &str) -> Option<&'a Map> {
    let mut cur = v;
    for seg in path.split('.') {
        cur = cur.get(seg)?.as_map()?;
    }
    Some(cur)
}

/// Helm's `Values.PathValue(path)`: a non-table value at a dotted path.
pub fn path_value<'a>(v: &'a Map, path: &str) -> Option<&'a Value> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((p, k)) => (table(v, p)?, k),
        None => (v, path),
    };
    parent.get(key).filter(|x| !is_table(x))
}

/// The user's values as `helm template` builds them: `-f` files merged left to right (each a
/// stream of YAML documents), then every `--set`, then every `--set-string`.
/// `value_files` holds (name, text) pairs; the name appears in errors.
pub fn user_values(
    value_files: &[(String, String)],
    set: &[String],
    set_string: &[String],
) -> Result<Map> {
    let mut base = Map::new();
    for (name, text) in value_files {
        let current = crate::chart::load::load_values(text)
            .map_err(|e| Error::Values(format!("failed to parse {name}: {e}")))?;
        base = crate::chart::load::merge_maps(base, &current);
    }
    for s in set {
        crate::strvals::parse_into(s, &mut base)
            .map_err(|e| Error::Values(format!("failed parsing --set data: {e}")))?;
    }
    for s in set_string {
        crate::strvals::parse_into_string(s, &mut base)
            .map_err(|e| Error::Values(format!("failed parsing --set-string data: {e}")))?;
    }
    Ok(base)
}

// --- dependencies ------------------------------------------------------------------------------

/// Helm's `CheckDependencies`: every `dependencies` entry must be vendored (by name).
pub fn check_dependencies(chart: &Chart) -> Result<()> {
    let missing: Vec<&str> = chart
        .metadata
        .dependencies
        .iter()
        .filter(|r| !chart.dependencies.iter().any(|d| d.name() == r.name))
        .map(|r| r.name.as_str())
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::MissingDependencies(missing.join(", ")))
    }
}

/// Helm's `ProcessDependencies`: resolves aliases, drops subcharts disabled by `condition` or
/// `tags`, and applies `import-values`, rewriting `chart` in place.
pub fn process_dependencies(chart: &mut Chart, vals: &Map, w: &mut Warnings) -> Result<()> {
    process_enabled(chart, vals, "", w)?;
    process_import_values_rec(chart, w)
}

fn process_enabled(c: &mut Chart, v: &Map, path: &str, w: &mut Warnings) -> Result<()> {
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let mut chart_deps: Vec<Chart> = Vec::new();
    for existing in &c.dependencies {
        let claimed = c.metadata.dependencies.iter().any(|req| {
            existing.name() == req.name
                && semver::is_compatible_range(&req.version, &existing.metadata.version)
        });
        if !claimed {
            chart_deps.push(existing.clone());
        }
    }
    for req in c.metadata.dependencies.iter_mut() {
        if let Some(found) = c.dependencies.iter().find(|ch| {
            ch.name() == req.name && semver::is_compatible_range(&req.version, &ch.metadata.version)
        }) {
            let mut out = found.clone();
            if !req.alias.is_empty() {
                out.metadata.name = req.alias.clone();
            }
            chart_deps.push(out);
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
    }
    c.dependencies = chart_deps;
    for r in c.metadata.dependencies.iter_mut() {
        r.enabled = true;
    }
    let cvals = coalesce_values(c, v, w)?;
    // Tags, then conditions (a resolved condition wins).
    if let Some(tags) = table(&cvals, "tags") {
        for r in c.metadata.dependencies.iter_mut() {
            let (mut has_true, mut has_false) = (false, false);
            for k in &r.tags {
                if let Some(Value::Bool(b)) = tags.get(k) {
                    if *b {
                        has_true = true;
                    } else {
                        has_false = true;
                    }
                }
            }
            r.enabled = has_true || !has_false;
        }
    }
    for r in c.metadata.dependencies.iter_mut() {
        for cond in r.condition.trim().split(',') {
            if cond.is_empty() {
                continue;
            }
            if let Some(Value::Bool(b)) = path_value(&cvals, &format!("{path}{cond}")) {
                r.enabled = *b;
                break;
            }
        }
    }
    let removed: BTreeSet<String> = c
        .metadata
        .dependencies
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    c.dependencies.retain(|d| !removed.contains(d.name()));
    c.metadata
        .dependencies
        .retain(|r| !removed.contains(&r.name));
    for t in c.dependencies.iter_mut() {
        let sub_path = format!("{path}{}.", t.name());
        process_enabled(t, &cvals, &sub_path, w)?;
    }
    Ok(())
}

fn process_import_values_rec(c: &mut Chart, w: &mut Warnings) -> Result<()> {
    for d in c.dependencies.iter_mut() {
        process_import_values_rec(d, w)?;
    }
    process_import_values(c, w)
}

fn path_to_map(path: &str, data: Map) -> Map {
    if path == "." {
        return data;
    }
    let mut cur = data;
    for seg in path.split('.').rev() {
        let mut m = Map::new();
        m.insert(seg.to_string(), Value::map(cur));
        cur = m;
    }
    cur
}

fn process_import_values(c: &mut Chart, w: &mut Warnings) -> Result<()> {
    if c.metadata.dependencies.is_empty() {
        return Ok(());
    }
    let cvals = merge_values(c, &Map::new(), w)?;
    let mut b = Map::new();
    for r in c.metadata.dependencies.iter_mut() {
        let mut out = Vec::new();
        for riv in &r.import_values {
            match Value::from_json(riv) {
                Value::Map(iv) => {
                    let child = iv.get("child").cloned().unwrap_or(Value::Nil).to_string();
                    let parent = iv.get("parent").cloned().unwrap_or(Value::Nil).to_string();
                    let mut norm = Map::new();
                    norm.insert("child".into(), Value::string(child.as_str()));
                    norm.insert("parent".into(), Value::string(parent.as_str()));
                    out.push(crate::render::to_json(&Value::map(norm)));
                    if let Some(vv) = table(&cvals, &format!("{}.{child}", r.name)) {
                        merge_tables(&mut b, path_to_map(&parent, vv.clone()), w);
                    }
                }
                Value::String(s) => {
                    let child = format!("exports.{s}");
                    let mut norm = Map::new();
                    norm.insert("child".into(), Value::string(child.as_str()));
                    norm.insert("parent".into(), Value::string("."));
                    out.push(crate::render::to_json(&Value::map(norm)));
                    if let Some(vm) = table(&cvals, &format!("{}.{child}", r.name)) {
                        merge_tables(&mut b, vm.clone(), w);
                    }
                }
                _ => {}
            }
        }
        r.import_values = out;
    }
    let mut values = cvals;
    merge_tables(&mut values, b, w);
    c.values = values;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse::parse;

    fn m(yaml: &str) -> Map {
        parse(yaml).unwrap().as_map().cloned().unwrap_or_default()
    }

    fn chart(name: &str, values: &str, deps: Vec<Chart>) -> Chart {
        let mut c = Chart::default();
        c.metadata.name = name.into();
        c.metadata.version = "0.1.0".into();
        c.values = m(values);
        c.dependencies = deps;
        c
    }

    #[test]
    fn user_nulls_delete_and_chart_nulls_vanish() {
        let c = chart("p", "a: null\nb: {c: null, d: 1}\nkeep: 1\n", vec![]);
        let mut w = Vec::new();
        let out = coalesce_values(&c, &m("keep: null\nnew: null\n"), &mut w).unwrap();
        assert_eq!(Value::map(out).to_string(), "map[b:map[d:1] new:<nil>]");
    }

    #[test]
    fn nested_chart_nulls_vanish_and_the_rest_stays_shared() {
        let c = chart(
            "p",
            "b:\n  c: {d: null, e: 1}\n  f: {g: 1}\nh: {i: {j: 2}}\n",
            vec![],
        );
        let before = Value::map(c.values.clone()).to_string();
        let out = coalesce_values(&c, &Map::new(), &mut Vec::new()).unwrap();
        assert_eq!(
            Value::map(out.clone()).to_string(),
            "map[b:map[c:map[e:1] f:map[g:1]] h:map[i:map[j:2]]]"
        );
        // The chart's defaults are left as they were; maps without nulls are not copied.
        assert_eq!(Value::map(c.values.clone()).to_string(), before);
        let shared = |m: &Map, path: &[&str]| {
            let mut v = &m[path[0]];
            for k in &path[1..] {
                v = &v.as_map().unwrap()[*k];
            }
            match v {
                Value::Map(a) => Arc::as_ptr(a.arc()),
                _ => std::ptr::null(),
            }
        };
        assert_eq!(shared(&out, &["h"]), shared(&c.values, &["h"]));
        assert_eq!(shared(&out, &["b", "f"]), shared(&c.values, &["b", "f"]));
        assert_ne!(shared(&out, &["b", "c"]), shared(&c.values, &["b", "c"]));
    }

    #[test]
    fn globals_flow_down_and_parent_wins() {
        let sub = chart("sub", "x: 1\nglobal: {g: 2, only: s}\n", vec![]);
        let c = chart("p", "global: {g: 1}\n", vec![sub]);
        let mut w = Vec::new();
        let out = coalesce_values(&c, &Map::new(), &mut w).unwrap();
        assert_eq!(
            Value::map(out).to_string(),
            "map[global:map[g:1] sub:map[global:map[g:1 only:s] x:1]]"
        );
    }

    #[test]
    fn type_clash_warns() {
        let c = chart("p", "tls: {auto: true}\n", vec![]);
        let mut w = Vec::new();
        let out = coalesce_values(&c, &m("tls: false\n"), &mut w).unwrap();
        assert_eq!(Value::map(out).to_string(), "map[tls:false]");
        let mut w = Vec::new();
        let c = chart("p", "tls: {auto: false}\n", vec![]);
        coalesce_values(&c, &m("tls: {auto: {x: 1}}\n"), &mut w).unwrap();
        assert_eq!(
            w,
            [Record::info(
                "warning: destination for p.tls.auto is a table. Ignoring non-table value (false)"
            )]
        );
    }

    #[test]
    fn path_lookups() {
        let v = m("a: {b: {c: true}}\nx: 1\n");
        assert_eq!(path_value(&v, "a.b.c"), Some(&Value::Bool(true)));
        assert_eq!(path_value(&v, "a.b"), None);
        assert_eq!(path_value(&v, "x"), Some(&Value::Float(1.0)));
        assert!(table(&v, "a.b").is_some());
    }
}
