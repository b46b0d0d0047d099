//! Go's `path` functions (`base`, `dir`, `clean`, `ext`, `isAbs`); the `os*` forms are the same
//! on Linux, where Helm runs them.

use crate::value::{FuncError, Value};

use super::{arity, ok_str, str_arg};

type R = Result<Value, FuncError>;

fn one<'a>(args: &'a [Value], name: &str) -> Result<&'a str, FuncError> {
    arity(args, 1, name)?;
    str_arg(&args[0])
}

/// Go's `path.Clean`: the shortest equivalent path, purely lexically.
pub(crate) fn clean_path(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

pub(crate) fn base(args: &[Value]) -> R {
    let p = one(args, "base")?;
    if p.is_empty() {
        return ok_str(".");
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return ok_str("/");
    }
    ok_str(match t.rfind('/') {
        Some(i) => &t[i + 1..],
        None => t,
    })
}

pub(crate) fn dir(args: &[Value]) -> R {
    let p = one(args, "dir")?;
    let d = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    ok_str(clean_path(d))
}

pub(crate) fn clean(args: &[Value]) -> R {
    ok_str(clean_path(one(args, "clean")?))
}

pub(crate) fn ext(args: &[Value]) -> R {
    let p = one(args, "ext")?;
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => break,
            '.' => return ok_str(&p[i..]),
            _ => {}
        }
    }
    ok_str("")
}

pub(crate) fn is_abs(args: &[Value]) -> R {
    Ok(Value::Bool(one(args, "isAbs")?.starts_with('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_like_go() {
        for (i, o) in [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("/../a", "/a"),
            ("../../a/", "../../a"),
            ("a//b/./c/", "a/b/c"),
            ("/", "/"),
            ("a/..", "."),
        ] {
            assert_eq!(clean_path(i), o, "{i}");
        }
    }
}
