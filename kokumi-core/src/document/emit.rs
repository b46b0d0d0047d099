//! The canonical YAML writer.
//!
//! Rules (stable across versions; changing them changes artifact digests):
//! - every document starts with `---\n`; the output ends with a newline;
//! - map keys sorted by their UTF-8 bytes; two-space indentation; list items at the same
//!   indentation as their parent key (`containers:\n- name: a`);
//! - empty maps and lists are `{}` and `[]`;
//! - `null`, `true`, `false`; integers in decimal; floats in Rust's shortest round-trip form
//!   with a `.0` or exponent so they read back as floats;
//! - a string is written plain only when it is made of "safe" characters, does not start with
//!   a digit, sign or dot, and no YAML 1.1/1.2 reader resolves it to anything but a string;
//!   multi-line strings without special characters use a literal block (`|`, `|-`, `|+`);
//!   everything else is double-quoted with escapes.

use std::fmt::Write as _;

use serde_json::{Number, Value};

use super::parse::resolve_plain_scalar;

/// Writes documents as one canonical YAML stream.
pub fn to_canonical_yaml<'a>(docs: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::new();
    for doc in docs {
        write_canonical_yaml(doc, &mut out);
    }
    out
}

/// Appends one document (with its `---` line) to `out`.
pub fn write_canonical_yaml(doc: &Value, out: &mut String) {
    out.push_str("---\n");
    match doc {
        Value::Object(m) if !m.is_empty() => write_map(doc, 0, out),
        Value::Array(a) if !a.is_empty() => write_seq(a, 0, out),
        scalar => {
            write_scalar(scalar, 0, out);
            out.push('\n');
        }
    }
}

fn indent(n: usize, out: &mut String) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn sorted(map: &serde_json::Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    entries
}

/// Writes a non-empty map whose first line starts at the current position (already indented
/// to `level`).
fn write_map(value: &Value, level: usize, out: &mut String) {
    let Value::Object(map) = value else { return };
    for (i, (k, v)) in sorted(map).into_iter().enumerate() {
        if i > 0 {
            indent(level, out);
        }
        write_string(k, level, true, out);
        out.push(':');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push('\n');
                indent(level + 2, out);
                write_map(v, level + 2, out);
            }
            Value::Array(a) if !a.is_empty() => {
                out.push('\n');
                indent(level, out);
                write_seq(a, level, out);
            }
            scalar => {
                out.push(' ');
                write_scalar(scalar, level + 2, out);
                out.push('\n');
            }
        }
    }
}

/// Writes a non-empty list whose first `- ` starts at the current position (indented to
/// `level`).
fn write_seq(items: &[Value], level: usize, out: &mut String) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            indent(level, out);
        }
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_map(item, level + 2, out),
            Value::Array(a) if !a.is_empty() => write_seq(a, level + 2, out),
            scalar => {
                write_scalar(scalar, level + 2, out);
                out.push('\n');
            }
        }
    }
}

/// Writes a scalar (or an empty container) without a trailing newline. `level` is the
/// indentation of block-scalar content lines.
fn write_scalar(value: &Value, level: usize, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, level, false, out),
        Value::Array(_) => out.push_str("[]"),
        Value::Object(_) => out.push_str("{}"),
    }
}

fn write_number(n: &Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        // Debug keeps a `.0` on integral floats (`1.0`) and uses exponents for extremes.
        let _ = write!(out, "{f:?}");
    }
}

fn is_safe_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | '@' | '%' | '+' | '=' | ',')
}

/// Can `s` be written as a plain scalar and read back as the same string?
fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // A leading `-` is fine when it cannot start a list item or a `---` marker (`--port`).
    let dash_ok = first == '-' && s.len() > 1 && !s.starts_with("---") && !s[1..].starts_with(' ');
    if !(first.is_ascii_alphabetic() || first == '_' || first == '/' || dash_ok) {
        return false;
    }
    // Inner spaces and colons are fine as long as they cannot start a comment or a mapping.
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let ok = is_safe_char(c)
            || (c == ' ' && i + 1 < chars.len() && chars[i + 1] != ' ' && chars[i + 1] != '#')
            || (c == ':' && i + 1 < chars.len() && chars[i + 1] != ' ');
        if !ok {
            return false;
        }
    }
    if s == "<<" {
        return false;
    }
    matches!(resolve_plain_scalar(s), Some(Value::String(_)))
}

/// Can `s` be written as a literal block scalar?
fn literal_ok(s: &str) -> bool {
    if !s.contains('\n') {
        return false;
    }
    if s.starts_with(' ') || s.starts_with('\n') {
        return false;
    }
    if s.chars().any(|c| c != '\n' && needs_escape(c)) {
        return false;
    }
    // No whitespace-only lines and no trailing spaces (they would be fragile to edit and to
    // re-read with some parsers).
    s.trim_end_matches('\n')
        .split('\n')
        .all(|line| !line.is_empty() && !line.ends_with(' ') && !line.trim().is_empty())
}

/// Characters that must not appear raw in a YAML scalar (non-printable, or line breaks YAML
/// 1.1 readers treat specially).
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
        )
}

fn write_string(s: &str, level: usize, is_key: bool, out: &mut String) {
    if plain_ok(s) {
        out.push_str(s);
        return;
    }
    if !is_key && literal_ok(s) {
        let trailing = s.len() - s.trim_end_matches('\n').len();
        out.push('|');
        match trailing {
            0 => out.push('-'),
            1 => {}
            _ => out.push('+'),
        }
        let body = s.trim_end_matches('\n');
        for line in body.split('\n') {
            out.push('\n');
            indent(level.max(2), out);
            out.push_str(line);
        }
        for _ in 1..trailing {
            out.push('\n');
        }
        return;
    }
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}' => out.push_str("\\0"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if needs_escape(c) => {
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
    use serde_json::json;

    #[test]
    fn emits_kubectl_style() {
        let doc = json!({
            "kind": "Deployment",
            "apiVersion": "apps/v1",
            "metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "web"}},
            "spec": {
                "replicas": 2,
                "template": {"spec": {"containers": [
                    {"name": "web", "image": "nginx:1.27", "args": ["--port", "8080"],
                     "env": []}
                ]}}
            },
            "data": {"yes": "yes", "n": "01234", "script": "#!/bin/sh\necho hi\n", "f": 1.0,
                     "e": "", "q": "a: b", "t": "tab\there"}
        });
        insta::assert_snapshot!(to_canonical_yaml([&doc]), @r#"
        ---
        apiVersion: apps/v1
        data:
          e: ""
          f: 1.0
          "n": "01234"
          q: "a: b"
          script: |
            #!/bin/sh
            echo hi
          t: "tab\there"
          "yes": "yes"
        kind: Deployment
        metadata:
          labels:
            app.kubernetes.io/name: web
          name: web
        spec:
          replicas: 2
          template:
            spec:
              containers:
              - args:
                - --port
                - "8080"
                env: []
                image: nginx:1.27
                name: web
        "#);
    }
}
