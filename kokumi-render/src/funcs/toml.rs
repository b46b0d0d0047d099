//! Helm's `toToml`/`mustToToml`/`fromToml`: TOML as BurntSushi/toml v1 writes and reads it.
//!
//! The writer follows BurntSushi's encoder: in each table the plain keys come first, sorted,
//! then the sub-tables (`[a.b]` headers, indented two spaces per level) and arrays of tables
//! (`[[a]]`); nil values are skipped; floats always show a decimal point (`3.0`, `1e+06`);
//! keys that are not bare (`A-Za-z0-9_-`) are quoted; arrays are written inline.

use crate::value::{FuncError, Map, Value};

use super::{arity, ok_str, str_arg};

type R = Result<Value, FuncError>;

#[derive(Debug)]
struct TomlError(&'static str);

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn bare(k: &str) -> bool {
    !k.is_empty()
        && k.chars()
            .all(|r| r.is_ascii_alphanumeric() || r == '_' || r == '-')
}

fn key_part(k: &str) -> String {
    if k.is_empty() {
        "\"\"".into()
    } else if bare(k) {
        k.into()
    } else {
        quote(k)
    }
}

fn key_path(key: &[String]) -> String {
    key.iter()
        .map(|k| key_part(k))
        .collect::<Vec<_>>()
        .join(".")
}

#[derive(PartialEq)]
enum Kind {
    Nil,
    Table,
    TableArray,
    Other,
}

fn kind(v: &Value) -> Result<Kind, TomlError> {
    Ok(match v {
        Value::Nil => Kind::Nil,
        Value::Map(_) => Kind::Table,
        Value::List(items) => {
            if items.is_empty() {
                return Ok(Kind::Other);
            }
            let mut all_tables = true;
            for item in items.iter() {
                match kind(item)? {
                    Kind::Nil => {
                        return Err(TomlError("toml: cannot encode array with nil element"));
                    }
                    Kind::Table => {}
                    _ => all_tables = false,
                }
            }
            if all_tables {
                Kind::TableArray
            } else {
                Kind::Other
            }
        }
        Value::Object(o) => kind(&o.to_plain())?,
        _ => Kind::Other,
    })
}

struct Enc {
    out: String,
}

impl Enc {
    fn write(&mut self, s: &str) {
        self.out.push_str(s);
    }

    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn indent(key: &[String]) -> String {
        "  ".repeat(key.len().saturating_sub(1))
    }

    fn element(&mut self, v: &Value) -> Result<(), TomlError> {
        match v {
            Value::Nil => return Err(TomlError("toml: cannot encode array with nil element")),
            Value::Bool(b) => self.write(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => self.write(&i.to_string()),
            Value::Float(f) => {
                if f.is_nan() {
                    self.write(if f.is_sign_negative() { "-nan" } else { "nan" });
                } else if f.is_infinite() {
                    self.write(if *f < 0.0 { "-inf" } else { "inf" });
                } else {
                    let mut s = String::new();
                    let _ = crate::value::format_go_float(&mut s, *f);
                    if !s.contains(['e', '.']) {
                        s.push_str(".0");
                    }
                    self.write(&s);
                }
            }
            Value::String(s) => self.write(&quote(s)),
            Value::Bytes(b) => {
                let items: Vec<Value> = b.iter().map(|x| Value::Int(i64::from(*x))).collect();
                self.element(&Value::list(items))?;
            }
            Value::List(items) => {
                self.write("[");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        self.write(", ");
                    }
                    self.element(item)?;
                }
                self.write("]");
            }
            Value::Map(m) => self.map(&[], m, true)?,
            Value::Object(o) => self.element(&o.to_plain())?,
        }
        Ok(())
    }

    fn key_value(&mut self, key: &[String], v: &Value, inline: bool) -> Result<(), TomlError> {
        let Some(last) = key.last() else {
            return self.element(v);
        };
        let line = format!(
            "{}{} = ",
            if inline {
                String::new()
            } else {
                Self::indent(key)
            },
            key_part(last)
        );
        self.write(&line);
        self.element(v)?;
        if !inline {
            self.newline();
        }
        Ok(())
    }

    fn encode(&mut self, key: &[String], v: &Value) -> Result<(), TomlError> {
        match kind(v)? {
            Kind::Nil => Ok(()),
            Kind::Table => {
                let Value::Map(m) = v.to_plain() else {
                    return Ok(());
                };
                if key.len() == 1 {
                    self.newline();
                }
                if !key.is_empty() {
                    let header = format!("{}[{}]", Self::indent(key), key_path(key));
                    self.write(&header);
                    self.newline();
                }
                self.map(key, &m, false)
            }
            Kind::TableArray => {
                if key.is_empty() {
                    return Err(TomlError(
                        "toml: top-level values must be Go maps or structs",
                    ));
                }
                let Value::List(items) = v.to_plain() else {
                    return Ok(());
                };
                for item in items.iter() {
                    let Value::Map(m) = item else { continue };
                    self.newline();
                    let header = format!("{}[[{}]]", Self::indent(key), key_path(key));
                    self.write(&header);
                    self.newline();
                    self.map(key, m, false)?;
                }
                Ok(())
            }
            Kind::Other => self.key_value(key, v, false),
        }
    }

    fn map(&mut self, key: &[String], m: &Map, inline: bool) -> Result<(), TomlError> {
        let mut direct = Vec::new();
        let mut sub = Vec::new();
        for (k, v) in m {
            match kind(v)? {
                Kind::Table | Kind::TableArray => sub.push((k, v)),
                _ => direct.push((k, v)),
            }
        }
        if inline {
            self.write("{");
        }
        let total_sub = sub.len();
        for (group, trail) in [(direct, total_sub > 0), (sub, false)] {
            let n = group.len();
            for (i, (k, v)) in group.into_iter().enumerate() {
                if matches!(v, Value::Nil) {
                    continue;
                }
                let mut path = key.to_vec();
                path.push(k.clone());
                if inline {
                    self.key_value(std::slice::from_ref(k), v, true)?;
                    if trail || i != n - 1 {
                        self.write(", ");
                    }
                } else {
                    self.encode(&path, v)?;
                }
            }
        }
        if inline {
            self.write("}");
        }
        Ok(())
    }
}

fn to_toml_text(v: &Value) -> Result<String, TomlError> {
    let mut e = Enc { out: String::new() };
    e.encode(&[], v)?;
    Ok(e.out)
}

pub(crate) fn to_toml(args: &[Value]) -> R {
    arity(args, 1, "toToml")?;
    match to_toml_text(&args[0]) {
        Ok(s) => ok_str(s),
        Err(e) => ok_str(e.0),
    }
}

pub(crate) fn must_to_toml(args: &[Value]) -> R {
    arity(args, 1, "mustToToml")?;
    to_toml_text(&args[0])
        .map(Value::from)
        .map_err(|e| FuncError::new(e.0))
}

fn from_toml_value(v: ::toml::Value) -> Value {
    match v {
        ::toml::Value::String(s) => Value::from(s),
        ::toml::Value::Integer(i) => Value::Int64(i),
        ::toml::Value::Float(f) => Value::Float(f),
        ::toml::Value::Boolean(b) => Value::Bool(b),
        ::toml::Value::Datetime(d) => Value::from(d.to_string()),
        ::toml::Value::Array(items) => {
            Value::list(items.into_iter().map(from_toml_value).collect())
        }
        ::toml::Value::Table(t) => Value::map(
            t.into_iter()
                .map(|(k, v)| (k, from_toml_value(v)))
                .collect(),
        ),
    }
}

/// Helm's `fromToml`: a map; a problem lands in the map's `Error` key.
pub(crate) fn from_toml(args: &[Value]) -> R {
    arity(args, 1, "fromToml")?;
    let s = str_arg(&args[0])?;
    match s.parse::<::toml::Table>() {
        Ok(t) => Ok(from_toml_value(::toml::Value::Table(t))),
        Err(e) => {
            let mut m = Map::new();
            let msg = e.message().to_string();
            m.insert("Error".into(), Value::from(format!("toml: {msg}")));
            Ok(Value::map(m))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_burntsushi() {
        let v = crate::yaml::parse::parse(
            "name: x\nreplicas: 3\nratio: 1.5\nlist: [1, a]\nsub:\n  k: v\n  deeper:\n    z: true\ntabs:\n- a: 1\n- a: 2\n\"odd key\": 1\n",
        )
        .unwrap();
        assert_eq!(
            to_toml_text(&v).unwrap(),
            "list = [1.0, \"a\"]\nname = \"x\"\n\"odd key\" = 1.0\nratio = 1.5\nreplicas = 3.0\n\n[sub]\n  k = \"v\"\n  [sub.deeper]\n    z = true\n\n[[tabs]]\n  a = 1.0\n\n[[tabs]]\n  a = 2.0\n"
        );
    }
}
