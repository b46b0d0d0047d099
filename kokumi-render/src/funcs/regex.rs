//! Sprig's regular-expression functions over Go's RE2 syntax (Rust's `regex` crate speaks the
//! same dialect: no backreferences or look-around, `$1`/`${name}` in replacements).
//!
//! The non-`must` forms compile with Go's `MustCompile`, whose panic Go's engine reports as the
//! call's error, except `regexMatch`, which answers false for a bad pattern.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use regex::Regex;

use crate::value::{FuncError, ListType, Value};

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
    if let Some(msg) = super::regex_syntax::go_syntax_error(expr) {
        return Err(FuncError::new(format!("error parsing regexp: {msg}")));
    }
    let re = regex::RegexBuilder::new(&go_to_rust(expr))
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

/// Rewrites Go RE2 syntax where Rust's `regex` reads it differently:
/// - `\\w \\d \\s \\b` (and negations) are ASCII-only in Go, Unicode-aware in Rust;
/// - a `{` that does not start a repetition (`{2}`, `{1,}`, `{1,3}`) is a literal in Go;
/// - a `-` next to a class escape or after a range (`[\\w-.]`, `[0-9-_]`) is a literal in Go;
/// - `\\Q...\\E` quotes literally.
pub(crate) fn go_to_rust(expr: &str) -> String {
    const W: &str = "0-9A-Za-z_";
    const S: &str = "\\t\\n\\f\\r ";
    let c: Vec<char> = expr.chars().collect();
    let mut out = String::with_capacity(expr.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    // Inside a class: whether the last item can start a range (a single character).
    let mut class_start = false;
    let mut prev_single = false;
    while i < c.len() {
        let ch = c[i];
        if ch == '\\' && i + 1 < c.len() {
            let e = c[i + 1];
            if e == 'Q' {
                // \Q...\E: literal text
                let mut j = i + 2;
                while j < c.len() && !(c[j] == '\\' && c.get(j + 1) == Some(&'E')) {
                    let lit = c[j].to_string();
                    out.push_str(&regex::escape(&lit));
                    j += 1;
                }
                i = (j + 2).min(c.len());
                prev_single = false;
                continue;
            }
            if matches!(e, 'p' | 'P') && c.get(i + 2) == Some(&'{') {
                // `\p{Name}` as it is (the `{` is no repetition); Go's names are Rust's too.
                let end = (i + 3..c.len())
                    .find(|&j| c[j] == '}')
                    .unwrap_or(c.len() - 1);
                if c.get(i + 3) == Some(&'^') {
                    // Go's `\p{^Greek}` is Rust's `\P{Greek}`.
                    out.push_str(if e == 'p' { "\\P{" } else { "\\p{" });
                    out.extend(&c[i + 4..=end]);
                } else {
                    out.extend(&c[i..=end]);
                }
                i = end + 1;
                prev_single = false;
                class_start = false;
                continue;
            }
            let class_escape = match (e, in_class) {
                ('w', false) => Some(format!("[{W}]")),
                ('W', false) => Some(format!("[^{W}]")),
                ('d', false) => Some("[0-9]".to_string()),
                ('D', false) => Some("[^0-9]".to_string()),
                ('s', false) => Some(format!("[{S}]")),
                ('S', false) => Some(format!("[^{S}]")),
                ('b', false) => Some("(?-u:\\b)".to_string()),
                ('B', false) => Some("(?-u:\\B)".to_string()),
                ('w', true) => Some(W.to_string()),
                ('W', true) => Some(format!("[^{W}]")),
                ('d', true) => Some("0-9".to_string()),
                ('D', true) => Some("[^0-9]".to_string()),
                ('s', true) => Some(S.to_string()),
                ('S', true) => Some(format!("[^{S}]")),
                _ => None,
            };
            if let Some(rep) = class_escape {
                out.push_str(&rep);
                prev_single = false;
                class_start = false;
            } else {
                out.push(ch);
                out.push(e);
                prev_single = in_class;
                class_start = false;
            }
            i += 2;
            continue;
        }
        if in_class {
            match ch {
                ']' if !class_start => {
                    in_class = false;
                    out.push(ch);
                }
                '[' if c.get(i + 1) == Some(&':') => {
                    // [:alpha:] stays as it is
                    let end = (i + 2..c.len().saturating_sub(1))
                        .find(|&j| c[j] == ':' && c[j + 1] == ']')
                        .map_or(i, |j| j + 1);
                    for x in &c[i..=end] {
                        out.push(*x);
                    }
                    i = end;
                    prev_single = false;
                }
                '[' | '&' | '~' => {
                    out.push('\\');
                    out.push(ch);
                    prev_single = true;
                }
                '-' => {
                    let at_end = c.get(i + 1) == Some(&']');
                    if class_start || at_end || !prev_single {
                        out.push_str("\\-");
                        prev_single = true;
                    } else {
                        // a range: copy the end character (possibly escaped)
                        out.push('-');
                        i += 1;
                        if c.get(i) == Some(&'\\') {
                            out.push('\\');
                            i += 1;
                        }
                        if let Some(x) = c.get(i) {
                            out.push(*x);
                        }
                        prev_single = false;
                    }
                }
                _ => {
                    out.push(ch);
                    prev_single = true;
                }
            }
            class_start = false;
            i += 1;
            continue;
        }
        match ch {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                if c.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                // A leading ']' is a literal in Go.
                if c.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
                class_start = true;
                prev_single = false;
                continue;
            }
            '{' => {
                // A repetition only if {n}, {n,} or {n,m} follows.
                let rest: String = c[i..].iter().take(32).collect();
                let is_rep = rest
                    .find('}')
                    .map(|end| {
                        let inner = &rest[1..end];
                        let mut parts = inner.splitn(2, ',');
                        let a = parts.next().unwrap_or("");
                        let b = parts.next();
                        !a.is_empty()
                            && a.bytes().all(|x| x.is_ascii_digit())
                            && b.is_none_or(|b| b.bytes().all(|x| x.is_ascii_digit()))
                    })
                    .unwrap_or(false);
                if is_rep && i > 0 {
                    while i < c.len() && c[i] != '}' {
                        out.push(c[i]);
                        i += 1;
                    }
                    out.push('}');
                } else {
                    out.push_str("\\{");
                }
            }
            '}' => out.push_str("\\}"),
            _ => out.push(ch),
        }
        i += 1;
    }
    out
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
    Value::typed_list(
        ListType::String,
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
        return Value::typed_list(ListType::String, Vec::new());
    }
    if !expr.is_empty() && s.is_empty() {
        return Value::typed_list(ListType::String, vec![Value::from("")]);
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
    Value::typed_list(ListType::String, out)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_syntax_translates() {
        for (go, subject, want) in [
            (r"^[\w-\.]+$", "redis-ha.x", true),
            (r"^[\w-\.]+$", "a b", false),
            (r"\$(?:__(?:env|file|vault))?{[^}]+}", "${FOO}", true),
            (r"{(v[0-9])*[^}]*}}$", "{x}}", true),
            (r"[^a-zA-Z0-9-_.]+", "é", true),
            (r"^\d+$", "١٢", false),
            (r"a{2}", "aa", true),
            (r"\Qa.b\E", "a.b", true),
            (r"\Qa.b\E", "axb", false),
            (r"[]a]", "]", true),
        ] {
            let re = compile(go).unwrap_or_else(|e| panic!("{go}: {e}"));
            assert_eq!(
                re.is_match(subject),
                want,
                "{go} on {subject:?} ({})",
                go_to_rust(go)
            );
        }
    }
}
