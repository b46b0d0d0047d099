//! Sprig's defaults and reflection functions: `default`, `empty`, `coalesce`, `ternary`,
//! `typeOf`, `kindIs`, `deepCopy`, ...

use crate::value::{FuncError, Value};

use super::{arity, arity_min, bool_arg, str_arg};

type R = Result<Value, FuncError>;

/// Sprig's `empty`: the opposite of Go's truth (nil, false, zero numbers, empty strings, lists
/// and maps; never a struct).
pub(crate) fn is_empty(v: &Value) -> bool {
    !v.is_truthy()
}

pub(crate) fn default(args: &[Value]) -> R {
    arity_min(args, 1, "default")?;
    match args.get(1) {
        Some(given) if !is_empty(given) => Ok(given.clone()),
        _ => Ok(args[0].clone()),
    }
}

pub(crate) fn empty(args: &[Value]) -> R {
    arity(args, 1, "empty")?;
    Ok(Value::Bool(is_empty(&args[0])))
}

pub(crate) fn coalesce(args: &[Value]) -> R {
    Ok(args
        .iter()
        .find(|v| !is_empty(v))
        .cloned()
        .unwrap_or(Value::Nil))
}

pub(crate) fn all(args: &[Value]) -> R {
    Ok(Value::Bool(args.iter().all(|v| !is_empty(v))))
}

pub(crate) fn any(args: &[Value]) -> R {
    Ok(Value::Bool(args.iter().any(|v| !is_empty(v))))
}

pub(crate) fn ternary(args: &[Value]) -> R {
    arity(args, 3, "ternary")?;
    let cond = bool_arg(&args[2])?;
    Ok(if cond {
        args[0].clone()
    } else {
        args[1].clone()
    })
}

pub(crate) fn type_of(args: &[Value]) -> R {
    arity(args, 1, "typeOf")?;
    Ok(Value::from(args[0].type_name()))
}

pub(crate) fn type_is(args: &[Value]) -> R {
    arity(args, 2, "typeIs")?;
    let target = str_arg(&args[0])?;
    Ok(Value::Bool(target == args[1].type_name()))
}

pub(crate) fn type_is_like(args: &[Value]) -> R {
    arity(args, 2, "typeIsLike")?;
    let target = str_arg(&args[0])?;
    let t = args[1].type_name();
    Ok(Value::Bool(
        target == t || t.strip_prefix('*') == Some(target),
    ))
}

pub(crate) fn kind_of(args: &[Value]) -> R {
    arity(args, 1, "kindOf")?;
    Ok(Value::from(args[0].kind()))
}

pub(crate) fn kind_is(args: &[Value]) -> R {
    arity(args, 2, "kindIs")?;
    let target = str_arg(&args[0])?;
    Ok(Value::Bool(target == args[1].kind()))
}

pub(crate) fn deep_equal(args: &[Value]) -> R {
    arity(args, 2, "deepEqual")?;
    Ok(Value::Bool(args[0] == args[1]))
}

/// `deepCopy`: values are immutable and shared, so a copy is the value itself, except for an
/// object with unexported fields, which copystructure leaves zero (see [`Object::deep_copy`]).
pub(crate) fn deep_copy(args: &[Value]) -> R {
    arity(args, 1, "deepCopy")?;
    Ok(match &args[0] {
        Value::Object(o) => o.deep_copy().unwrap_or_else(|| args[0].clone()),
        other => other.clone(),
    })
}

pub(crate) fn must_deep_copy(args: &[Value]) -> R {
    deep_copy(args)
}
