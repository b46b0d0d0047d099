//! JSON output exactly like Go's `encoding/json`: sorted keys, no spaces, `<`, `>`, `&`
//! escaped as `\u003c`, `\u003e`, `\u0026` (unless asked not to, as `toRawJson` does),
//! U+2028/U+2029 always escaped, `[]byte` as base64, floats in `'f'` form unless the exponent
//! is below -6 or at least 21 (`1e+21`, `1e-7`), NaN and infinities refused.

use std::fmt::Write as _;

use crate::value::Value;
use crate::yaml::emit::EmitError;

/// Go's JSON float text: strconv `'f'` shortest, or `'e'` for tiny/huge magnitudes with the
/// exponent's leading zero dropped (`1e-07` → `1e-7`).
pub(crate) fn json_float(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // shortest 'e' form
        let s = format!("{f:e}");
        let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{}", exp.abs())
    } else if f == 0.0 {
        if f.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        }
    } else {
        // shortest 'f' form: Rust's Display of f64 is the shortest round-trip, never exponent.
        let s = format!("{f}");
        s
    }
}

/// Options for [`write_json`].
#[derive(Clone, Copy)]
pub(crate) struct JsonOpts {
    /// Escape `<`, `>`, `&` (Go's default; `toRawJson` turns it off).
    pub escape_html: bool,
    /// `MarshalIndent(v, "", "  ")`.
    pub pretty: bool,
}

/// Go's `json.Marshal` (or `MarshalIndent`) of a value.
pub(crate) fn to_json(v: &Value, opts: JsonOpts) -> Result<String, EmitError> {
    let mut out = String::new();
    write_value(&mut out, v, opts, 0)?;
    Ok(out)
}

fn newline(out: &mut String, opts: JsonOpts, depth: usize) {
    if opts.pretty {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write_value(out: &mut String, v: &Value, opts: JsonOpts, depth: usize) -> Result<(), EmitError> {
    crate::value::grow(|| write_value_inner(out, v, opts, depth))
}

fn write_value_inner(
    out: &mut String,
    v: &Value,
    opts: JsonOpts,
    depth: usize,
) -> Result<(), EmitError> {
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => {
            let _ = write!(out, "{i}");
        }
        Value::Float(f) => {
            if !f.is_finite() {
                let mut s = String::new();
                let _ = crate::value::format_go_float(&mut s, *f);
                return Err(EmitError::UnsupportedValue(s));
            }
            out.push_str(&json_float(*f));
        }
        Value::String(s) => write_string(out, s, opts.escape_html),
        Value::Bytes(b) => {
            use base64::Engine as _;
            let s = base64::engine::general_purpose::STANDARD.encode(b);
            write_string(out, &s, opts.escape_html);
        }
        Value::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, opts, depth + 1);
                write_value(out, item, opts, depth + 1)?;
            }
            if !items.is_empty() {
                newline(out, opts, depth);
            }
            out.push(']');
        }
        Value::Map(map) => {
            write_object(out, map.iter().map(|(k, v)| (k.as_str(), v)), opts, depth)?;
        }
        // A struct's fields in its order, as encoding/json writes them.
        Value::Object(o) => match o.json_fields() {
            Some(fields) => {
                write_object(out, fields.iter().map(|(k, v)| (*k, v)), opts, depth)?;
            }
            None => write_value(out, &o.to_plain(), opts, depth)?,
        },
    }
    Ok(())
}

fn write_object<'a>(
    out: &mut String,
    members: impl Iterator<Item = (&'a str, &'a Value)>,
    opts: JsonOpts,
    depth: usize,
) -> Result<(), EmitError> {
    out.push('{');
    let mut empty = true;
    for (i, (k, item)) in members.enumerate() {
        if i > 0 {
            out.push(',');
        }
        empty = false;
        newline(out, opts, depth + 1);
        write_string(out, k, opts.escape_html);
        out.push(':');
        if opts.pretty {
            out.push(' ');
        }
        write_value(out, item, opts, depth + 1)?;
    }
    if !empty {
        newline(out, opts, depth);
    }
    out.push('}');
    Ok(())
}

/// A JSON string literal as Go writes it.
pub(crate) fn write_string(out: &mut String, s: &str, escape_html: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if escape_html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go_json() {
        assert_eq!(json_float(1e-7), "1e-7");
        assert_eq!(json_float(1e21), "1e+21");
        assert_eq!(json_float(1e20), "100000000000000000000");
        assert_eq!(json_float(0.000001), "0.000001");
        assert_eq!(json_float(123456789.5), "123456789.5");
        assert_eq!(json_float(1.5e-7), "1.5e-7");
        assert_eq!(json_float(3.0), "3");
    }
}
