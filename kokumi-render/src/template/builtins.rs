//! Go's builtin template functions (`text/template/funcs.go`) over [`Value`]s.

use std::cmp::Ordering;

use crate::value::Value;

/// A Go builtin. `and`/`or` short-circuit and `call` needs the engine, so the executor handles
/// those; the others are plain functions of their evaluated arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Or,
    Not,
    Len,
    Index,
    Slice,
    Print,
    Printf,
    Println,
    Html,
    Js,
    Urlquery,
    Call,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Builtin {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "and" => Builtin::And,
            "or" => Builtin::Or,
            "not" => Builtin::Not,
            "len" => Builtin::Len,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "html" => Builtin::Html,
            "js" => Builtin::Js,
            "urlquery" => Builtin::Urlquery,
            "call" => Builtin::Call,
            "eq" => Builtin::Eq,
            "ne" => Builtin::Ne,
            "lt" => Builtin::Lt,
            "le" => Builtin::Le,
            "gt" => Builtin::Gt,
            "ge" => Builtin::Ge,
            _ => return None,
        })
    }

    /// (fixed parameter count, variadic) as Go declares them, for the arity message.
    pub(crate) fn arity(self) -> (usize, bool) {
        match self {
            Builtin::And | Builtin::Or | Builtin::Index | Builtin::Slice | Builtin::Eq => (1, true),
            Builtin::Call => (1, true),
            Builtin::Printf => (1, true),
            Builtin::Not | Builtin::Len => (1, false),
            Builtin::Print | Builtin::Println | Builtin::Html | Builtin::Js | Builtin::Urlquery => {
                (0, true)
            }
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (2, false),
        }
    }
}

/// Go's basic kinds for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    String,
    Invalid,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::String(_) => Kind::String,
        _ => Kind::Invalid,
    }
}

/// Go's type name for comparison messages (`<nil>` for an untyped nil).
fn type_name(v: &Value) -> String {
    v.type_name().to_string()
}

/// `eq arg1 arg2...`.
pub(crate) fn eq(args: &[Value]) -> Result<Value, String> {
    let Some((a, rest)) = args.split_first() else {
        return Err("missing argument for comparison".into());
    };
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = kind(a);
    for b in rest {
        let k2 = kind(b);
        let truth = if k1 != k2 {
            if !matches!(a, Value::Nil) && !matches!(b, Value::Nil) {
                return Err(format!(
                    "incompatible types for comparison: {} and {}",
                    type_name(a),
                    type_name(b)
                ));
            }
            false
        } else {
            match (a, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::String(x), Value::String(y)) => x == y,
                _ => {
                    if matches!(a, Value::Nil) || matches!(b, Value::Nil) {
                        matches!(a, Value::Nil) == matches!(b, Value::Nil)
                    } else {
                        let bad = if comparable(a) { b } else { a };
                        if !comparable(bad) {
                            return Err(format!(
                                "non-comparable type {}: {}",
                                crate::gofmt::sprintf("%s", std::slice::from_ref(bad)),
                                bad.type_name()
                            ));
                        }
                        a == b
                    }
                }
            }
        };
        if truth {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn comparable(v: &Value) -> bool {
    !matches!(v, Value::List(_) | Value::Map(_) | Value::Bytes(_))
}

/// `lt a b` as an ordering, with Go's errors.
fn less(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (kind(a), kind(b));
    if k1 == Kind::Invalid || k2 == Kind::Invalid {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(format!(
            "incompatible types for comparison: {} and {}",
            type_name(a),
            type_name(b)
        ));
    }
    Ok(match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x < y,
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y) == Some(Ordering::Less),
        (Value::String(x), Value::String(y)) => x < y,
        _ => return Err("invalid type for comparison".into()),
    })
}

/// `ne`, `lt`, `le`, `gt`, `ge`.
pub(crate) fn compare(op: Builtin, a: &Value, b: &Value) -> Result<Value, String> {
    let eq2 = |a: &Value, b: &Value| -> Result<bool, String> {
        Ok(eq(&[a.clone(), b.clone()])?.is_truthy())
    };
    let r = match op {
        Builtin::Ne => !eq2(a, b)?,
        Builtin::Lt => less(a, b)?,
        Builtin::Le => less(a, b)? || eq2(a, b)?,
        Builtin::Gt => !(less(a, b)? || eq2(a, b)?),
        Builtin::Ge => !less(a, b)?,
        _ => false,
    };
    Ok(Value::Bool(r))
}

/// `len x`.
pub(crate) fn len(v: &Value) -> Result<Value, String> {
    if let Value::Object(o) = v
        && let Some(e) = o.elements()
    {
        return len(&e);
    }
    let n = match v {
        Value::Nil => return Err("len of nil pointer".into()),
        Value::String(s) => s.len(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        other => return Err(format!("len of type {}", other.type_name())),
    };
    Ok(Value::Int(n as i64))
}

fn index_arg(i: &Value, cap: usize) -> Result<usize, String> {
    let x = match i {
        Value::Int(x) | Value::Int64(x) => *x,
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// `index x i j...`.
pub(crate) fn index(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    if matches!(item, Value::Nil) {
        return Err("index of untyped nil".into());
    }
    let mut cur = item.clone();
    for (n, i) in indexes.iter().enumerate() {
        if n > 0 && matches!(cur, Value::Nil) {
            return Err("index of nil pointer".into());
        }
        cur = match &cur {
            Value::List(l) => {
                let x = index_arg(i, l.len())?;
                l.get(x)
                    .cloned()
                    .ok_or_else(|| "reflect: slice index out of range".to_string())?
            }
            Value::Bytes(b) => {
                let x = index_arg(i, b.len())?;
                Value::Int(i64::from(
                    *b.get(x)
                        .ok_or_else(|| "reflect: slice index out of range".to_string())?,
                ))
            }
            Value::String(s) => {
                let x = index_arg(i, s.len())?;
                Value::Int(i64::from(
                    *s.as_bytes()
                        .get(x)
                        .ok_or_else(|| "reflect: string index out of range".to_string())?,
                ))
            }
            Value::Map(m) => match i {
                Value::String(k) => m.get(&**k).cloned().unwrap_or(Value::Nil),
                Value::Nil => return Err("value is nil; should be of type string".into()),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            Value::Object(o) => match (o.elements(), i) {
                (Some(Value::Map(m)), Value::String(k)) => {
                    m.get(&**k).cloned().unwrap_or_else(|| o.zero_element())
                }
                (Some(e), _) => index(&e, std::slice::from_ref(i))?,
                (None, _) => return Err(format!("can't index item of type {}", o.type_name())),
            },
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(cur)
}

/// Go's builtin `slice x i j k` (Sprig's `slice` takes precedence when it is registered).
pub(crate) fn slice(item: &Value, indexes: &[Value]) -> Result<Value, String> {
    if matches!(item, Value::Nil) {
        return Err("slice of untyped nil".into());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let len = match item {
        Value::String(s) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".into());
            }
            s.len()
        }
        Value::List(l) => l.len(),
        Value::Bytes(b) => b.len(),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0usize, len, len];
    for (n, i) in indexes.iter().enumerate() {
        idx[n] = index_arg(i, len)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    if indexes.len() == 3 && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        Value::String(s) => match s.get(idx[0]..idx[1]) {
            Some(sub) => Value::string(sub),
            None => Value::string(String::from_utf8_lossy(&s.as_bytes()[idx[0]..idx[1]])),
        },
        Value::List(l) => Value::list(l[idx[0]..idx[1]].to_vec()),
        Value::Bytes(b) => Value::Bytes(b[idx[0]..idx[1]].into()),
        _ => Value::Nil,
    })
}

/// The string `html`/`js`/`urlquery` work on: the argument itself when it is one string,
/// else `fmt.Sprint` of them all.
fn eval_args(args: &[Value]) -> String {
    if let [Value::String(s)] = args {
        return s.to_string();
    }
    crate::gofmt::sprint(args)
}

/// `html`: Go's `HTMLEscapeString`.
pub(crate) fn html(args: &[Value]) -> Value {
    let s = eval_args(args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Value::string(out)
}

/// `js`: Go's `JSEscapeString`: ASCII controls as `\u00XX`, DEL as it is, other characters
/// Go would not print (`unicode.IsPrint`) as `\uXXXX`.
pub(crate) fn js(args: &[Value]) -> Value {
    let s = eval_args(args);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 || !(c.is_ascii() || crate::gounicode::is_print(c)) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    Value::string(out)
}

/// `urlquery`: Go's `url.QueryEscape`.
pub(crate) fn urlquery(args: &[Value]) -> Value {
    let s = eval_args(args);
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    Value::string(out)
}
