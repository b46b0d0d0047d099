//! Sprig's dict functions: `dict`, `get`, `set`, `unset`, `hasKey`, `pluck`, `keys`, `pick`,
//! `omit`, `merge`, `mergeOverwrite`, `values`, `dig`.
//!
//! Go iterates maps in random order, so `keys` and `values` come out in any order there; here
//! they come out in key order (deterministic, and what `keys | sortAlpha` gives anyway).

use std::sync::Arc;

use crate::value::{FuncError, ListType, Map, Value};

use super::{arity, arity_min, defaults::is_empty, map_arg, str_arg, strval};

type R = Result<Value, FuncError>;

pub(crate) fn dict(args: &[Value]) -> R {
    let mut m = Map::new();
    let mut i = 0;
    while i < args.len() {
        let key = strval(&args[i]).into_owned();
        let val = args.get(i + 1).cloned().unwrap_or_else(|| Value::from(""));
        m.insert(key, val);
        i += 2;
    }
    Ok(Value::map(m))
}

pub(crate) fn get(args: &[Value]) -> R {
    arity(args, 2, "get")?;
    let m = map_arg(&args[0])?;
    let key = str_arg(&args[1])?;
    Ok(m.get(key).cloned().unwrap_or_else(|| Value::from("")))
}

/// The map to modify: the argument's own map when nobody else holds it, else a copy.
fn owned_map(v: &Value) -> Result<Map, FuncError> {
    match v {
        Value::Map(m) => Ok(m.clone().into_map()),
        other => Ok(map_arg(other)?.into_owned()),
    }
}

pub(crate) fn set(args: &[Value]) -> R {
    arity(args, 3, "set")?;
    let key = str_arg(&args[1])?;
    if let Value::Nil = args[0] {
        return Err(FuncError::new("assignment to entry in nil map"));
    }
    let mut m = owned_map(&args[0])?;
    m.insert(key.to_string(), args[2].clone());
    Ok(Value::map(m))
}

pub(crate) fn unset(args: &[Value]) -> R {
    arity(args, 2, "unset")?;
    let key = str_arg(&args[1])?;
    let mut m = owned_map(&args[0])?;
    m.remove(key);
    Ok(Value::map(m))
}

pub(crate) fn has_key(args: &[Value]) -> R {
    arity(args, 2, "hasKey")?;
    let m = map_arg(&args[0])?;
    let key = str_arg(&args[1])?;
    Ok(Value::Bool(m.contains_key(key)))
}

pub(crate) fn pluck(args: &[Value]) -> R {
    arity_min(args, 1, "pluck")?;
    let key = str_arg(&args[0])?;
    let mut out = Vec::new();
    for d in &args[1..] {
        if let Some(v) = map_arg(d)?.get(key) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

pub(crate) fn keys(args: &[Value]) -> R {
    let mut out = Vec::new();
    for d in args {
        out.extend(map_arg(d)?.keys().map(|k| Value::from(k.as_str())));
    }
    Ok(Value::typed_list(ListType::String, out))
}

pub(crate) fn values(args: &[Value]) -> R {
    arity(args, 1, "values")?;
    Ok(Value::list(map_arg(&args[0])?.values().cloned().collect()))
}

pub(crate) fn pick(args: &[Value]) -> R {
    arity_min(args, 1, "pick")?;
    let m = map_arg(&args[0])?;
    let mut out = Map::new();
    for k in &args[1..] {
        let k = str_arg(k)?;
        if let Some(v) = m.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    Ok(Value::map(out))
}

pub(crate) fn omit(args: &[Value]) -> R {
    arity_min(args, 1, "omit")?;
    let m = map_arg(&args[0])?;
    let mut drop = Vec::with_capacity(args.len() - 1);
    for k in &args[1..] {
        drop.push(str_arg(k)?);
    }
    Ok(Value::map(
        m.iter()
            .filter(|(k, _)| !drop.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    ))
}

/// mergo's `Merge`/`MergeWithOverwrite` of `map[string]interface{}` trees:
/// - a nil source value only lands with overwrite;
/// - map into map merges recursively;
/// - otherwise the source value lands when overwriting, or when the destination lacks the key
///   or holds an empty value (nil, false, 0, "", empty list or map).
pub(crate) fn merge_into(dst: &mut Map, src: &Map, overwrite: bool) {
    for (k, sv) in src {
        if let Value::Nil = sv {
            if overwrite {
                dst.insert(k.clone(), Value::Nil);
            }
            continue;
        }
        if let Value::Map(sm) = sv
            && let Some(Value::Map(dm)) = dst.get_mut(k)
        {
            let inner = Arc::make_mut(dm.arc_mut());
            merge_into(inner, sm, overwrite);
            if !inner.is_empty() {
                continue;
            }
        }
        let land = overwrite
            || match dst.get(k) {
                None => true,
                Some(dv) => is_empty(dv),
            };
        if land {
            dst.insert(k.clone(), sv.clone());
        }
    }
}

fn do_merge(args: &[Value], name: &str, overwrite: bool) -> R {
    arity_min(args, 1, name)?;
    let mut dst = owned_map(&args[0])?;
    for src in &args[1..] {
        let src = map_arg(src)?;
        merge_into(&mut dst, &src, overwrite);
    }
    Ok(Value::map(dst))
}

pub(crate) fn merge(args: &[Value]) -> R {
    do_merge(args, "merge", false)
}

pub(crate) fn must_merge(args: &[Value]) -> R {
    do_merge(args, "mustMerge", false)
}

pub(crate) fn merge_overwrite(args: &[Value]) -> R {
    do_merge(args, "mergeOverwrite", true)
}

pub(crate) fn must_merge_overwrite(args: &[Value]) -> R {
    do_merge(args, "mustMergeOverwrite", true)
}

/// Go's message for a failed `x.(map[string]interface{})`.
fn not_a_map(v: &Value) -> FuncError {
    let t = match v {
        Value::Nil => "nil",
        other => other.type_name(),
    };
    FuncError::new(format!(
        "interface conversion: interface {{}} is {t}, not map[string]interface {{}}"
    ))
}

pub(crate) fn dig(args: &[Value]) -> R {
    if args.len() < 3 {
        return Err(FuncError::new("dig needs at least three arguments"));
    }
    let Value::Map(dict) = &args[args.len() - 1] else {
        return Err(not_a_map(&args[args.len() - 1]));
    };
    let def = &args[args.len() - 2];
    let mut keys = Vec::with_capacity(args.len() - 2);
    for k in &args[..args.len() - 2] {
        match k {
            Value::String(s) => keys.push(s.as_ref()),
            other => {
                let t = match other {
                    Value::Nil => "nil",
                    o => o.type_name(),
                };
                return Err(FuncError::new(format!(
                    "interface conversion: interface {{}} is {t}, not string"
                )));
            }
        }
    }
    let mut cur: &Map = dict;
    for (i, k) in keys.iter().enumerate() {
        let Some(step) = cur.get(*k) else {
            return Ok(def.clone());
        };
        if i == keys.len() - 1 {
            return Ok(step.clone());
        }
        match step {
            Value::Map(m) => cur = m,
            other => return Err(not_a_map(other)),
        }
    }
    Ok(def.clone())
}
