//! `.Files`: a chart's non-template files with helm's methods (`Get`, `GetBytes`, `Glob`,
//! `Lines`, `AsConfig`, `AsSecrets`).
//!
//! `.Release`, `.Chart`, `.Template` and `.Subcharts` are plain maps in helm 4 (see
//! [`crate::render`]); only `.Files` and `.Capabilities` need methods.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;

use crate::chart::ChartFile;
use crate::funcs::Param;
use crate::gofmt::quote;
use crate::value::{FuncError, Map, MapRef, Object, Value};

/// `.Files` (helm's `engine.files`, a `map[string][]byte`).
#[derive(Debug, Clone, Default)]
pub struct Files {
    files: BTreeMap<String, Arc<[u8]>>,
}

impl Files {
    /// The files of a chart.
    pub fn new(from: &[ChartFile]) -> Self {
        Files {
            files: from
                .iter()
                .map(|f| (f.name.clone(), f.data.clone()))
                .collect(),
        }
    }

    /// `GetBytes`: the content, or empty.
    pub fn get_bytes(&self, name: &str) -> Arc<[u8]> {
        self.files
            .get(name)
            .cloned()
            .unwrap_or_else(|| Arc::from(&[][..]))
    }

    /// `Get`: the content as a string, or empty.
    pub fn get(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.get_bytes(name)).into_owned()
    }

    /// `Glob`: the files whose name matches a gobwas/glob pattern (`*` stops at `/`, `**` does
    /// not, `?`, `[...]`, `{a,b}`); an invalid pattern matches everything, as in helm.
    pub fn glob(&self, pattern: &str) -> Files {
        let compiled =
            glob::compile(pattern).unwrap_or_else(|| glob::compile("**").unwrap_or_default());
        Files {
            files: self
                .files
                .iter()
                .filter(|(n, _)| glob::matches(&compiled, n))
                .map(|(n, d)| (n.clone(), d.clone()))
                .collect(),
        }
    }

    /// `Lines`: the content split on `\n`, without a trailing empty line.
    pub fn lines(&self, name: &str) -> Vec<String> {
        let data = self.get(name);
        if data.is_empty() {
            return Vec::new();
        }
        let s = data.strip_suffix('\n').unwrap_or(&data);
        s.split('\n').map(str::to_string).collect()
    }

    fn basename_map(&self, f: impl Fn(&[u8]) -> String) -> Value {
        let mut m = Map::new();
        for (k, v) in &self.files {
            let base = k.rsplit('/').next().unwrap_or(k);
            m.insert(base.to_string(), Value::string(f(v)));
        }
        Value::map(m)
    }

    fn to_yaml(v: Value) -> Result<Value, FuncError> {
        match crate::funcs::lookup("toYaml") {
            Some(to_yaml) => to_yaml(&[v]),
            None => Err(FuncError::new("toYaml is not available")),
        }
    }
}

impl Object for Files {
    fn type_name(&self) -> &str {
        "engine.files"
    }
    fn kind(&self) -> &str {
        "map"
    }
    fn field(&self, name: &str) -> Option<Value> {
        // A map lookup: a missing file is Go's zero []byte, which prints as `[]`.
        Some(Value::Bytes(
            self.files
                .get(name)
                .cloned()
                .unwrap_or_else(|| Arc::from([])),
        ))
    }
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        match name {
            "Get" | "GetBytes" | "Glob" | "Lines" => Some(&[Param::String]),
            "AsConfig" | "AsSecrets" => Some(&[]),
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let arg = || match args {
            [Value::String(s)] => s.to_string(),
            _ => String::new(),
        };
        Some(match name {
            // Go's string(bytes) keeps any bytes; ours must be UTF-8, so binary content is
            // handed on as bytes (b64enc and friends then see the exact data).
            "Get" => {
                let data = self.get_bytes(&arg());
                Ok(match std::str::from_utf8(&data) {
                    Ok(text) => Value::string(text),
                    Err(_) => Value::Bytes(data),
                })
            }
            "GetBytes" => Ok(Value::Bytes(self.get_bytes(&arg()))),
            "Glob" => Ok(Value::Object(Arc::new(self.glob(&arg())))),
            "Lines" => Ok(Value::typed_list(
                crate::value::ListType::String,
                self.lines(&arg()).into_iter().map(Value::from).collect(),
            )),
            "AsConfig" | "AsSecrets" if self.files.is_empty() => Ok(Value::string("{}")),
            "AsConfig" => {
                Self::to_yaml(self.basename_map(|d| String::from_utf8_lossy(d).into_owned()))
            }
            "AsSecrets" => Self::to_yaml(
                self.basename_map(|d| base64::engine::general_purpose::STANDARD.encode(d)),
            ),
            _ => return None,
        })
    }
    fn go_format(&self) -> String {
        let mut out = String::from("map[");
        for (i, (k, v)) in self.files.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            out.push_str(k);
            out.push(':');
            out.push_str(&Value::Bytes(v.clone()).to_string());
        }
        out.push(']');
        out
    }
    fn elements(&self) -> Option<Value> {
        Some(Value::map(
            self.files
                .iter()
                .map(|(k, v)| (k.clone(), Value::Bytes(v.clone())))
                .collect(),
        ))
    }
    fn zero_element(&self) -> Value {
        Value::Bytes(Arc::from(&[][..]))
    }
    fn to_plain(&self) -> Value {
        Value::map(
            self.files
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        Value::string(base64::engine::general_purpose::STANDARD.encode(v)),
                    )
                })
                .collect(),
        )
    }
}

/// gobwas/glob with `/` as the separator.
mod glob {
    #[derive(Debug, Clone, PartialEq, Default)]
    pub(super) struct Pattern(Vec<Tok>);

    #[derive(Debug, Clone, PartialEq)]
    enum Tok {
        Lit(char),
        /// `?`
        Any,
        /// `*`
        Star,
        /// `**`
        SuperStar,
        /// `[...]`: (negated, ranges)
        Class(bool, Vec<(char, char)>),
        /// `{a,b}`
        Alt(Vec<Pattern>),
    }

    pub(super) fn compile(p: &str) -> Option<Pattern> {
        let chars: Vec<char> = p.chars().collect();
        let mut i = 0;
        let pat = parse(&chars, &mut i, false)?;
        if i != chars.len() {
            return None;
        }
        Some(pat)
    }

    fn parse(c: &[char], i: &mut usize, in_alt: bool) -> Option<Pattern> {
        let mut toks = Vec::new();
        while *i < c.len() {
            let ch = c[*i];
            match ch {
                '*' => {
                    if *i + 1 < c.len() && c[*i + 1] == '*' {
                        toks.push(Tok::SuperStar);
                        *i += 2;
                    } else {
                        toks.push(Tok::Star);
                        *i += 1;
                    }
                }
                '?' => {
                    toks.push(Tok::Any);
                    *i += 1;
                }
                '\\' => {
                    *i += 1;
                    toks.push(Tok::Lit(*c.get(*i)?));
                    *i += 1;
                }
                '[' => {
                    *i += 1;
                    let neg = *i < c.len() && c[*i] == '!';
                    if neg {
                        *i += 1;
                    }
                    let mut ranges = Vec::new();
                    loop {
                        let lo = *c.get(*i)?;
                        if lo == ']' {
                            *i += 1;
                            break;
                        }
                        *i += 1;
                        if *i + 1 < c.len() && c[*i] == '-' && c[*i + 1] != ']' {
                            ranges.push((lo, c[*i + 1]));
                            *i += 2;
                        } else {
                            ranges.push((lo, lo));
                        }
                    }
                    toks.push(Tok::Class(neg, ranges));
                }
                '{' => {
                    *i += 1;
                    let mut alts = Vec::new();
                    loop {
                        alts.push(parse(c, i, true)?);
                        match c.get(*i)? {
                            ',' => *i += 1,
                            '}' => {
                                *i += 1;
                                break;
                            }
                            _ => return None,
                        }
                    }
                    toks.push(Tok::Alt(alts));
                }
                ',' | '}' if in_alt => break,
                _ => {
                    toks.push(Tok::Lit(ch));
                    *i += 1;
                }
            }
        }
        Some(Pattern(toks))
    }

    pub(super) fn matches(p: &Pattern, name: &str) -> bool {
        let chars: Vec<char> = name.chars().collect();
        let mut budget = 1_000_000usize;
        m(&p.0, &chars, &mut budget)
    }

    fn m(toks: &[Tok], s: &[char], budget: &mut usize) -> bool {
        if *budget == 0 {
            return false;
        }
        *budget -= 1;
        let Some((first, rest)) = toks.split_first() else {
            return s.is_empty();
        };
        match first {
            Tok::Lit(c) => s.first() == Some(c) && m(rest, &s[1..], budget),
            Tok::Any => s.first().is_some_and(|&c| c != '/') && m(rest, &s[1..], budget),
            Tok::Class(neg, ranges) => {
                s.first().is_some_and(|&c| {
                    c != '/' && ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *neg
                }) && m(rest, &s[1..], budget)
            }
            Tok::Star => {
                for k in 0..=s.len() {
                    if m(rest, &s[k..], budget) {
                        return true;
                    }
                    if k < s.len() && s[k] == '/' {
                        return false;
                    }
                }
                false
            }
            Tok::SuperStar => (0..=s.len()).any(|k| m(rest, &s[k..], budget)),
            Tok::Alt(alts) => alts.iter().any(|a| {
                let mut joined = a.0.clone();
                joined.extend_from_slice(rest);
                m(&joined, s, budget)
            }),
        }
    }
}

/// A Go `map[string]string`, as `.Chart.Annotations` is: nil when Chart.yaml has none, which
/// prints as `map[]`, ranges, indexes and tests as empty, and encodes as `null`.
#[derive(Debug)]
pub(crate) struct StringMap(pub Option<BTreeMap<String, String>>);

impl StringMap {
    fn entries(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter().flatten()
    }
}

impl Object for StringMap {
    fn type_name(&self) -> &str {
        "map[string]string"
    }
    fn kind(&self) -> &str {
        "map"
    }
    fn field(&self, name: &str) -> Option<Value> {
        // A missing key is the element's zero value, "".
        Some(Value::string(
            self.0
                .as_ref()
                .and_then(|m| m.get(name))
                .map_or("", String::as_str),
        ))
    }
    fn go_format(&self) -> String {
        let pairs: Vec<String> = self.entries().map(|(k, v)| format!("{k}:{v}")).collect();
        format!("map[{}]", pairs.join(" "))
    }
    fn to_plain(&self) -> Value {
        match &self.0 {
            None => Value::Nil,
            Some(_) => self.elements().unwrap_or(Value::Nil),
        }
    }
    fn elements(&self) -> Option<Value> {
        Some(Value::map(
            self.entries()
                .map(|(k, v)| (k.clone(), Value::string(v.as_str())))
                .collect(),
        ))
    }
    fn zero_element(&self) -> Value {
        Value::string("")
    }
}

/// The parameter types of method `name` of Helm's `common.Values`, the type of the render
/// context, `.Values` and `.Template`: a template reaches them as fields (`.Values.YAML`), and
/// they hide any value of the same name, as in Go.
pub(crate) fn values_method(name: &str) -> Option<&'static [Param]> {
    match name {
        "YAML" | "AsMap" => Some(&[]),
        "Table" | "PathValue" => Some(&[Param::String]),
        "Encode" => Some(&[Param::Object("io.Writer")]),
        _ => None,
    }
}

/// Calls method `name` of the `common.Values` `values` (up to date, nested maps included)
/// with arguments checked against [`values_method`]'s types.
pub(crate) fn call_values_method(
    values: &Value,
    name: &str,
    args: &[Value],
) -> Result<Value, FuncError> {
    let Value::Map(map) = values else {
        return Err(FuncError::new(format!(
            "{name} of a value that is not a map"
        )));
    };
    let path = match args {
        [Value::String(s)] => s.as_ref(),
        _ => "",
    };
    match name {
        // `yaml.Marshal`, with the final newline `toYaml` trims, and its error.
        "YAML" => crate::yaml::emit::to_yaml(values)
            .map(Value::from)
            .map_err(|e| FuncError::new(e.to_string())),
        "AsMap" => Ok(Value::Map(Arc::clone(map.arc()).into())),
        "Table" => table(map, path).map(Value::Map),
        "PathValue" => path_value(map, path),
        // The only `io.Writer` a template can pass is nil, which Go's encoder writes to.
        _ => Err(FuncError::new(
            "runtime error: invalid memory address or nil pointer dereference",
        )),
    }
}

/// `Values.Table`: the table at a dotted path, every step a map.
fn table(values: &MapRef, path: &str) -> Result<MapRef, FuncError> {
    let mut table = values.clone();
    for key in path.split('.') {
        match table.get(key) {
            Some(Value::Map(next)) => table = MapRef::values(Arc::clone(next.arc())),
            _ => return Err(FuncError::new(format!("{} is not a table", quote(key)))),
        }
    }
    Ok(table)
}

/// `Values.PathValue`: the value, not a table, at a dotted path.
fn path_value(values: &MapRef, path: &str) -> Result<Value, FuncError> {
    if path.is_empty() {
        return Err(FuncError::new("YAML path cannot be empty"));
    }
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (table(values, parent).ok(), key),
        None => (Some(values.clone()), path),
    };
    match parent.as_ref().and_then(|t| t.get(key)) {
        Some(v) if !matches!(v, Value::Map(m) if !m.is_values()) => Ok(v.clone()),
        _ => Err(FuncError::new(format!("{} is not a value", quote(key)))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files() -> Files {
        Files::new(&[
            ChartFile::new("files/a.json", b"{}".to_vec()),
            ChartFile::new("files/sub/b.json", b"x\ny\n".to_vec()),
            ChartFile::new("README.md", b"hi".to_vec()),
        ])
    }

    /// `.Files` is a map to Go: `.Files.x` of a file it does not hold is the zero `[]byte`
    /// (helm prints `[]`, its type `[]uint8`), not an error.
    #[test]
    fn a_missing_file_as_a_field_is_empty_bytes() {
        let f = files();
        assert_eq!(f.field("nope").unwrap(), Value::Bytes(Arc::from([])));
        assert_eq!(
            f.field("README.md").unwrap(),
            Value::Bytes(Arc::from(&b"hi"[..]))
        );
    }

    fn names(f: &Files) -> Vec<String> {
        f.files.keys().cloned().collect()
    }

    #[test]
    fn glob_like_gobwas() {
        let f = files();
        assert_eq!(names(&f.glob("files/*.json")), ["files/a.json"]);
        assert_eq!(
            names(&f.glob("files/**.json")),
            ["files/a.json", "files/sub/b.json"]
        );
        assert_eq!(
            names(&f.glob("{README.md,files/a.json}")),
            ["README.md", "files/a.json"]
        );
        assert_eq!(names(&f.glob("files/[a-b].json")), ["files/a.json"]);
        assert_eq!(names(&f.glob("[")).len(), 3);
    }

    #[test]
    fn get_and_lines() {
        let f = files();
        assert_eq!(f.get("README.md"), "hi");
        assert_eq!(f.get("missing"), "");
        assert_eq!(f.lines("files/sub/b.json"), ["x", "y"]);
        assert!(f.lines("missing").is_empty());
    }
}
