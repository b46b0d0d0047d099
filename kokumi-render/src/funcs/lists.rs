//! Sprig's list functions.
//!
//! Sprig's non-`must` list functions panic where the `must` ones return an error; Go's engine
//! turns a panic in a function into the same `error calling NAME: ...`, so both forms behave
//! the same here. A nil argument makes Go's `reflect.TypeOf(nil).Kind()` panic with a nil
//! pointer dereference, which is what these return for it.

use std::borrow::Cow;

use crate::value::{FuncError, ListType, Value};

use super::{NIL_PANIC, arity, arity_min, as_slice, int_arg, strings::strslice};

type R = Result<Value, FuncError>;

/// The elements of a slice argument, or Go's error for another kind.
fn elems<'a>(v: &'a Value, what: &str) -> Result<Cow<'a, [Value]>, FuncError> {
    match as_slice(v) {
        Some(items) => Ok(items),
        None => Err(kind_error(v, what)),
    }
}

fn kind_error(v: &Value, what: &str) -> FuncError {
    match v {
        Value::Nil => FuncError::new(NIL_PANIC),
        other => FuncError::new(format!("Cannot {what} type {}", go_kind(other))),
    }
}

/// reflect.Kind's name (`ptr` for objects that say so).
fn go_kind(v: &Value) -> &str {
    v.kind()
}

pub(crate) fn list(args: &[Value]) -> R {
    Ok(Value::list(args.to_vec()))
}

pub(crate) fn push(args: &[Value]) -> R {
    arity(args, 2, "append")?;
    let items = elems(&args[0], "push on")?;
    let mut out = Vec::with_capacity(items.len() + 1);
    out.extend_from_slice(&items);
    out.push(args[1].clone());
    Ok(Value::list(out))
}

pub(crate) fn must_push(args: &[Value]) -> R {
    push(args)
}

pub(crate) fn prepend(args: &[Value]) -> R {
    arity(args, 2, "prepend")?;
    let items = elems(&args[0], "prepend on")?;
    let mut out = Vec::with_capacity(items.len() + 1);
    out.push(args[1].clone());
    out.extend_from_slice(&items);
    Ok(Value::list(out))
}

pub(crate) fn must_prepend(args: &[Value]) -> R {
    prepend(args)
}

pub(crate) fn chunk(args: &[Value]) -> R {
    arity(args, 2, "chunk")?;
    let size = int_arg(&args[0])?;
    let items = elems(&args[1], "chunk")?;
    if size <= 0 {
        return Err(FuncError::new("runtime error: makeslice: len out of range"));
    }
    let size = size as usize;
    Ok(Value::typed_list(
        ListType::Lists,
        items
            .chunks(size)
            .map(|c| Value::list(c.to_vec()))
            .collect(),
    ))
}

pub(crate) fn must_chunk(args: &[Value]) -> R {
    chunk(args)
}

pub(crate) fn compact(args: &[Value]) -> R {
    arity(args, 1, "compact")?;
    let items = elems(&args[0], "compact on")?;
    Ok(Value::list(
        items
            .iter()
            .filter(|v| !super::defaults::is_empty(v))
            .cloned()
            .collect(),
    ))
}

pub(crate) fn must_compact(args: &[Value]) -> R {
    compact(args)
}

pub(crate) fn concat(args: &[Value]) -> R {
    let mut out = Vec::new();
    for a in args {
        match as_slice(a) {
            Some(items) => out.extend_from_slice(&items),
            None => {
                return Err(match a {
                    Value::Nil => FuncError::new(NIL_PANIC),
                    other => {
                        FuncError::new(format!("Cannot concat type {} as list", go_kind(other)))
                    }
                });
            }
        }
    }
    Ok(Value::list(out))
}

pub(crate) fn first(args: &[Value]) -> R {
    arity(args, 1, "first")?;
    let items = elems(&args[0], "find first on")?;
    Ok(items.first().cloned().unwrap_or(Value::Nil))
}

pub(crate) fn must_first(args: &[Value]) -> R {
    first(args)
}

pub(crate) fn last(args: &[Value]) -> R {
    arity(args, 1, "last")?;
    let items = elems(&args[0], "find last on")?;
    Ok(items.last().cloned().unwrap_or(Value::Nil))
}

pub(crate) fn must_last(args: &[Value]) -> R {
    last(args)
}

pub(crate) fn rest(args: &[Value]) -> R {
    arity(args, 1, "rest")?;
    let items = elems(&args[0], "find rest on")?;
    if items.is_empty() {
        return Ok(Value::list(Vec::new()));
    }
    Ok(Value::list(items[1..].to_vec()))
}

pub(crate) fn must_rest(args: &[Value]) -> R {
    rest(args)
}

pub(crate) fn initial(args: &[Value]) -> R {
    arity(args, 1, "initial")?;
    let items = elems(&args[0], "find initial on")?;
    if items.is_empty() {
        return Ok(Value::list(Vec::new()));
    }
    Ok(Value::list(items[..items.len() - 1].to_vec()))
}

pub(crate) fn must_initial(args: &[Value]) -> R {
    initial(args)
}

pub(crate) fn reverse(args: &[Value]) -> R {
    arity(args, 1, "reverse")?;
    let items = elems(&args[0], "find reverse on")?;
    Ok(Value::list(items.iter().rev().cloned().collect()))
}

pub(crate) fn must_reverse(args: &[Value]) -> R {
    reverse(args)
}

pub(crate) fn uniq(args: &[Value]) -> R {
    arity(args, 1, "uniq")?;
    let items = elems(&args[0], "find uniq on")?;
    let mut out: Vec<Value> = Vec::new();
    for v in items.iter() {
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Ok(Value::list(out))
}

pub(crate) fn must_uniq(args: &[Value]) -> R {
    uniq(args)
}

pub(crate) fn without(args: &[Value]) -> R {
    arity_min(args, 1, "without")?;
    let items = elems(&args[0], "find without on")?;
    let omit = &args[1..];
    Ok(Value::list(
        items
            .iter()
            .filter(|v| !omit.contains(v))
            .cloned()
            .collect(),
    ))
}

pub(crate) fn must_without(args: &[Value]) -> R {
    without(args)
}

pub(crate) fn has(args: &[Value]) -> R {
    arity(args, 2, "has")?;
    if let Value::Nil = args[1] {
        return Ok(Value::Bool(false));
    }
    let items = elems(&args[1], "find has on")?;
    Ok(Value::Bool(items.contains(&args[0])))
}

pub(crate) fn must_has(args: &[Value]) -> R {
    has(args)
}

/// Sprig's `toInt` of an index (cast semantics).
fn index_of(v: &Value) -> i64 {
    super::math::to_int64(v)
}

pub(crate) fn slice(args: &[Value]) -> R {
    arity_min(args, 1, "slice")?;
    let items = match as_slice(&args[0]) {
        Some(items) => items,
        None => {
            return Err(match &args[0] {
                Value::Nil => FuncError::new(NIL_PANIC),
                other => FuncError::new(format!(
                    "list should be type of slice or array but {}",
                    go_kind(other)
                )),
            });
        }
    };
    let len = items.len() as i64;
    if len == 0 {
        return Ok(Value::Nil);
    }
    let start = args.get(1).map_or(0, index_of);
    let end = if args.len() < 3 {
        len
    } else {
        index_of(&args[2])
    };
    if start < 0 || end < start || end > len {
        return Err(FuncError::new(
            "reflect.Value.Slice: slice index out of bounds",
        ));
    }
    let part = items[start as usize..end as usize].to_vec();
    // reflect's Slice keeps the slice's type.
    Ok(match &args[0] {
        Value::List(l) => Value::List(l.like(part)),
        _ => Value::list(part),
    })
}

pub(crate) fn must_slice(args: &[Value]) -> R {
    slice(args)
}

pub(crate) fn sort_alpha(args: &[Value]) -> R {
    arity(args, 1, "sortAlpha")?;
    let mut strs = match as_slice(&args[0]) {
        Some(_) => strslice(&args[0]),
        None => vec![super::strval(&args[0]).into_owned()],
    };
    strs.sort();
    Ok(Value::typed_list(
        ListType::String,
        strs.into_iter().map(Value::from).collect(),
    ))
}

pub(crate) fn to_strings(args: &[Value]) -> R {
    arity(args, 1, "toStrings")?;
    Ok(Value::typed_list(
        ListType::String,
        strslice(&args[0]).into_iter().map(Value::from).collect(),
    ))
}
