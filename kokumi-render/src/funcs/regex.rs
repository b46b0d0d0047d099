//! Sprig's regular-expression functions over Go's RE2 syntax (Rust's `regex` crate speaks the
//! same dialect: no backreferences or look-around, `$1`/`${name}` in replacements).
//!
//! The non-`must` forms compile with Go's `MustCompile`, whose panic Go's engine reports as the
//! call's error, except `regexMatch`, which answers false for a bad pattern.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use regex::Regex;

use crate::value::{FuncError, Value};

use super::{arity, int_arg, ok_str, str_arg};

type R = Result<Value, FuncError>;

static CACHE: Mutex<BTreeMap<String, Arc<Regex>>> = Mutex::new(BTreeMap::new());
const CACHE_MAX: usize = 256;

/// Compiles `expr` (cached: charts apply the same few patterns over and over).
fn compile(expr: &str) -> Result<Arc<Regex>, FuncError> {
    if let Ok(cache) = CACHE.lock()
        && let Some(re) = cache.get(expr)
    {
        return Ok(re.clone());
    }
    let re = regex::RegexBuilder::new(expr)
        .size_limit(1 << 22)
        .build()
        .map(Arc::new)
        .map_err(|e| {
            let msg = match e {
                regex::Error::Syntax(s) => s.lines().last().unwrap_or("").trim().to_string(),
                other => other.to_string(),
            };
            FuncError::new(format!("error parsing regexp: {msg}: `{expr}`"))
        })?;
    if let Ok(mut cache) = CACHE.lock() {
        if cache.len() >= CACHE_MAX {
            cache.clear();
        }
        cache.insert(expr.to_string(), re.clone());
    }
    Ok(re)
}

/// `MustCompile`'s panic message.
fn must_compile(expr: &str) -> Result<Arc<Regex>, FuncError> {
    compile(expr)
        .map_err(|e| FuncError::new(format!("regexp: Compile({}): {e}", go_backquote(expr))))
}

fn go_backquote(s: &str) -> String {
    if s.contains('`') {
        crate::gofmt::quote(s)
    } else {
        format!("`{s}`")
    }
}

fn two<'a>(args: &'a [Value], name: &str) -> Result<(&'a str, &'a str), FuncError> {
    arity(args, 2, name)?;
    Ok((str_arg(&args[0])?, str_arg(&args[1])?))
}

pub(crate) fn regex_match(args: &[Value]) -> R {
    let (expr, s) = two(args, "regexMatch")?;
    Ok(Value::Bool(
        compile(expr).map(|re| re.is_match(s)).unwrap_or(false),
    ))
}

pub(crate) fn must_regex_match(args: &[Value]) -> R {
    let (expr, s) = two(args, "mustRegexMatch")?;
    Ok(Value::Bool(compile(expr)?.is_match(s)))
}

fn find(re: &Regex, s: &str) -> Value {
    Value::from(re.find(s).map_or("", |m| m.as_str()))
}

pub(crate) fn regex_find(args: &[Value]) -> R {
    let (expr, s) = two(args, "regexFind")?;
    Ok(find(&*must_compile(expr)?, s))
}

pub(crate) fn must_regex_find(args: &[Value]) -> R {
    let (expr, s) = two(args, "mustRegexFind")?;
    Ok(find(&*compile(expr)?, s))
}

/// Go's `FindAllStringIndex(s, n)`: an empty match right after a previous match is skipped.
fn find_all_indices(re: &Regex, s: &str, n: i64) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut prev_end: Option<usize> = None;
    for m in re.find_iter(s) {
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        out.push((m.start(), m.end()));
        prev_end = Some(m.end());
        if n > 0 && out.len() as i64 >= n {
            break;
        }
    }
    out
}

fn find_all(re: &Regex, s: &str, n: i64) -> Value {
    Value::list(
        find_all_indices(re, s, n)
            .into_iter()
            .map(|(a, b)| Value::from(&s[a..b]))
            .collect(),
    )
}

fn three<'a>(args: &'a [Value], name: &str) -> Result<(&'a str, &'a str, i64), FuncError> {
    arity(args, 3, name)?;
    Ok((str_arg(&args[0])?, str_arg(&args[1])?, int_arg(&args[2])?))
}

pub(crate) fn regex_find_all(args: &[Value]) -> R {
    let (expr, s, n) = three(args, "regexFindAll")?;
    Ok(find_all(&*must_compile(expr)?, s, n))
}

pub(crate) fn must_regex_find_all(args: &[Value]) -> R {
    let (expr, s, n) = three(args, "mustRegexFindAll")?;
    Ok(find_all(&*compile(expr)?, s, n))
}

fn replace_args<'a>(
    args: &'a [Value],
    name: &str,
) -> Result<(&'a str, &'a str, &'a str), FuncError> {
    arity(args, 3, name)?;
    Ok((str_arg(&args[0])?, str_arg(&args[1])?, str_arg(&args[2])?))
}

/// Go's `ReplaceAllString`/`ReplaceAllLiteralString`.
fn replace_all(re: &Regex, s: &str, repl: &str, literal: bool) -> String {
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    let mut prev_end: Option<usize> = None;
    for caps in re.captures_iter(s) {
        let Some(m) = caps.get(0) else { continue };
        if m.start() == m.end() && prev_end == Some(m.start()) {
            continue;
        }
        out.push_str(&s[last..m.start()]);
        if literal {
            out.push_str(repl);
        } else {
            caps.expand(repl, &mut out);
        }
        last = m.end();
        prev_end = Some(m.end());
    }
    out.push_str(&s[last..]);
    out
}

pub(crate) fn regex_replace_all(args: &[Value]) -> R {
    let (expr, s, repl) = replace_args(args, "regexReplaceAll")?;
    ok_str(replace_all(&*must_compile(expr)?, s, repl, false))
}

pub(crate) fn must_regex_replace_all(args: &[Value]) -> R {
    let (expr, s, repl) = replace_args(args, "mustRegexReplaceAll")?;
    ok_str(replace_all(&*compile(expr)?, s, repl, false))
}

pub(crate) fn regex_replace_all_literal(args: &[Value]) -> R {
    let (expr, s, repl) = replace_args(args, "regexReplaceAllLiteral")?;
    ok_str(replace_all(&*must_compile(expr)?, s, repl, true))
}

pub(crate) fn must_regex_replace_all_literal(args: &[Value]) -> R {
    let (expr, s, repl) = replace_args(args, "mustRegexReplaceAllLiteral")?;
    ok_str(replace_all(&*compile(expr)?, s, repl, true))
}

/// Go's `Regexp.Split(s, n)`.
fn split(re: &Regex, expr: &str, s: &str, n: i64) -> Value {
    if n == 0 {
        return Value::list(Vec::new());
    }
    if !expr.is_empty() && s.is_empty() {
        return Value::list(vec![Value::from("")]);
    }
    let matches = find_all_indices(re, s, n);
    let mut out: Vec<Value> = Vec::with_capacity(matches.len() + 1);
    let mut beg = 0;
    let mut end = 0;
    for (a, b) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = a;
        if b != 0 {
            out.push(Value::from(&s[beg..end]));
        }
        beg = b;
    }
    if end != s.len() {
        out.push(Value::from(&s[beg..]));
    }
    Value::list(out)
}

pub(crate) fn regex_split(args: &[Value]) -> R {
    let (expr, s, n) = three(args, "regexSplit")?;
    Ok(split(&*must_compile(expr)?, expr, s, n))
}

pub(crate) fn must_regex_split(args: &[Value]) -> R {
    let (expr, s, n) = three(args, "mustRegexSplit")?;
    Ok(split(&*compile(expr)?, expr, s, n))
}

/// Go's `regexp.QuoteMeta`: escapes `\.+*?()|[]{}^$`.
pub(crate) fn regex_quote_meta(args: &[Value]) -> R {
    arity(args, 1, "regexQuoteMeta")?;
    let s = str_arg(&args[0])?;
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    ok_str(out)
}
