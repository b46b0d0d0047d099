//! Field paths: `.spec.template.spec.containers[0].image`, `.metadata.labels["a.b/c"]`.
//!
//! The same syntax names Helm value paths in Menu allow-lists (`ui.message`, without the
//! leading dot) and, with wildcards, allow-list patterns:
//!
//! | syntax            | meaning                                   |
//! |-------------------|-------------------------------------------|
//! | `.key` / `key`    | a map key (leading dot optional)          |
//! | `["a.b"]`         | a map key with any characters (`\"`, `\\` escape) |
//! | `[3]`             | a list index                              |
//! | `*`               | (patterns) any one map key                |
//! | `**`              | (patterns) this node and everything below |
//! | `[*]`             | (patterns) any list index                 |

use std::fmt;

use serde_json::{Map, Value};

/// One step of a [`FieldPath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum PathSegment {
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
    /// Pattern only: any single map key (`*`).
    AnyKey,
    /// Pattern only: any list index (`[*]`).
    AnyIndex,
    /// Pattern only: the rest of the path, any depth including none (`**`).
    Rest,
}

/// A parsed path (or, with wildcards, a path pattern).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FieldPath {
    segments: Vec<PathSegment>,
}

/// Why a path string does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid path {path:?} at column {column}: {message}")]
pub struct PathError {
    /// The path as written.
    pub path: String,
    /// 1-based character column of the problem.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

/// Where a [`FieldPath::set`] failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SetError {
    /// The path is empty: a whole document cannot be replaced with `set`.
    #[error("an empty path would replace the whole document")]
    EmptyPath,
    /// The path contains a wildcard; only patterns may.
    #[error("wildcards are not allowed here")]
    Wildcard,
    /// An intermediate node is a scalar or a list where a map key was expected, or similar.
    #[error("{at} is {found}, cannot descend into it with {segment}")]
    NotAContainer {
        /// The path up to the offending node.
        at: String,
        /// What was found there (`a string`, `a list` ...).
        found: &'static str,
        /// The segment that could not be applied.
        segment: String,
    },
    /// A list index is past the end of the list (lists are never created or grown by `set`).
    #[error("index {index} is out of range at {at} (the list has {len} items)")]
    IndexOutOfRange {
        /// The path up to the list.
        at: String,
        /// The requested index.
        index: usize,
        /// The list's length.
        len: usize,
    },
    /// A list index names a field that does not exist (lists are never created by `set`).
    #[error("{at} does not exist, and set does not create lists")]
    MissingList {
        /// The path up to the missing list.
        at: String,
    },
    /// The existing field is an integer, a float or a bool and the string value does not
    /// parse as that type.
    #[error("the existing value is {expected} ({existing}); {value:?} is not {expected}")]
    Conversion {
        /// The type the field has (`an integer`, `a boolean` ...).
        expected: &'static str,
        /// The existing value.
        existing: String,
        /// The string that was given.
        value: String,
    },
}

impl FieldPath {
    /// The empty path (the document root).
    pub fn root() -> Self {
        Self::default()
    }

    /// Parses a concrete path; wildcards are rejected.
    pub fn parse(path: &str) -> Result<Self, PathError> {
        Self::parse_inner(path, false)
    }

    /// Parses a pattern: like [`FieldPath::parse`] but `*`, `**` and `[*]` are allowed.
    pub fn parse_pattern(path: &str) -> Result<Self, PathError> {
        Self::parse_inner(path, true)
    }

    /// A path from segments.
    pub fn from_segments(segments: Vec<PathSegment>) -> Self {
        Self { segments }
    }

    /// The segments.
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// True when the path has no segments.
    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// True when the path contains `*`, `**` or `[*]`.
    pub fn has_wildcards(&self) -> bool {
        self.segments.iter().any(|s| {
            matches!(
                s,
                PathSegment::AnyKey | PathSegment::AnyIndex | PathSegment::Rest
            )
        })
    }

    /// This path with one more segment.
    pub fn child(&self, segment: PathSegment) -> Self {
        let mut segments = self.segments.clone();
        segments.push(segment);
        Self { segments }
    }

    /// The path written without the leading dot, as Helm value paths are (`ui.message`).
    pub fn to_dotted(&self) -> String {
        let s = self.to_string();
        s.strip_prefix('.').map(str::to_owned).unwrap_or(s)
    }

    fn parse_inner(path: &str, patterns: bool) -> Result<Self, PathError> {
        let err = |column: usize, message: &str| PathError {
            path: path.to_owned(),
            column: column + 1,
            message: message.to_owned(),
        };
        let chars: Vec<char> = path.chars().collect();
        let mut segments = Vec::new();
        let mut i = 0;
        // A leading dot is optional; `.` alone is the root.
        if chars.first() == Some(&'.') {
            i = 1;
        }
        let mut expect_key = i < chars.len() && chars[i] != '[';
        if i == 1 && i == chars.len() {
            return Ok(Self { segments });
        }
        while i < chars.len() {
            if expect_key {
                let start = i;
                while i < chars.len() && chars[i] != '.' && chars[i] != '[' {
                    if chars[i] == ']' || chars[i] == '"' {
                        return Err(err(i, &format!("unexpected {:?} in a key", chars[i])));
                    }
                    i += 1;
                }
                if i == start {
                    return Err(err(i, "empty key"));
                }
                let key: String = chars[start..i].iter().collect();
                let segment = match key.as_str() {
                    "*" if patterns => PathSegment::AnyKey,
                    "**" if patterns => PathSegment::Rest,
                    "*" | "**" => {
                        return Err(err(start, "wildcards are only allowed in allow-lists"));
                    }
                    _ => PathSegment::Key(key),
                };
                segments.push(segment);
                expect_key = false;
                continue;
            }
            match chars[i] {
                '.' => {
                    i += 1;
                    if i >= chars.len() {
                        return Err(err(i, "path ends with '.'"));
                    }
                    expect_key = true;
                }
                '[' => {
                    let open = i;
                    i += 1;
                    match chars.get(i) {
                        Some('"') | Some('\'') => {
                            let quote = chars[i];
                            i += 1;
                            let mut key = String::new();
                            loop {
                                match chars.get(i) {
                                    None => {
                                        return Err(err(open, "unterminated quoted key"));
                                    }
                                    Some('\\') => {
                                        match chars.get(i + 1) {
                                            Some(c @ ('"' | '\'' | '\\')) => key.push(*c),
                                            _ => {
                                                return Err(err(
                                                    i,
                                                    "only \\\", \\' and \\\\ escapes are allowed",
                                                ));
                                            }
                                        }
                                        i += 2;
                                    }
                                    Some(c) if *c == quote => {
                                        i += 1;
                                        break;
                                    }
                                    Some(c) => {
                                        key.push(*c);
                                        i += 1;
                                    }
                                }
                            }
                            if chars.get(i) != Some(&']') {
                                return Err(err(i, "expected ']' after the quoted key"));
                            }
                            i += 1;
                            segments.push(PathSegment::Key(key));
                        }
                        Some('*') => {
                            if !patterns {
                                return Err(err(i, "wildcards are only allowed in allow-lists"));
                            }
                            if chars.get(i + 1) != Some(&']') {
                                return Err(err(i + 1, "expected ']' after '*'"));
                            }
                            i += 2;
                            segments.push(PathSegment::AnyIndex);
                        }
                        Some(c) if c.is_ascii_digit() => {
                            let start = i;
                            while i < chars.len() && chars[i].is_ascii_digit() {
                                i += 1;
                            }
                            let digits: String = chars[start..i].iter().collect();
                            let index = digits
                                .parse::<usize>()
                                .map_err(|_| err(start, "list index is too large"))?;
                            if chars.get(i) != Some(&']') {
                                return Err(err(i, "expected ']' after the list index"));
                            }
                            i += 1;
                            segments.push(PathSegment::Index(index));
                        }
                        _ => {
                            return Err(err(
                                i,
                                "expected a list index, [*] or a quoted key after '['",
                            ));
                        }
                    }
                }
                c => {
                    return Err(err(i, &format!("expected '.' or '[' but found {c:?}")));
                }
            }
        }
        Ok(Self { segments })
    }

    /// The value at this path, if there is one. Wildcards never match here.
    pub fn get<'v>(&self, doc: &'v Value) -> Option<&'v Value> {
        let mut cur = doc;
        for seg in &self.segments {
            cur = match (seg, cur) {
                (PathSegment::Key(k), Value::Object(m)) => m.get(k)?,
                (PathSegment::Index(i), Value::Array(a)) => a.get(*i)?,
                _ => return None,
            };
        }
        Some(cur)
    }

    /// Sets the value at this path, creating missing maps (never lists).
    ///
    /// The string rule: when the field exists and holds an integer, float or bool and `value`
    /// is a string, the string is converted to that type if it parses (`"2"` → `2`) and is an
    /// error otherwise. When the field holds a string, a scalar value is written as a string
    /// (so `"01234"` stays `"01234"`, and `2` becomes `"2"`). Otherwise the value is written
    /// as given.
    pub fn set(&self, doc: &mut Value, value: Value) -> Result<(), SetError> {
        if self.segments.is_empty() {
            return Err(SetError::EmptyPath);
        }
        if self.has_wildcards() {
            return Err(SetError::Wildcard);
        }
        let last = self.segments.len() - 1;
        let mut cur = doc;
        for (depth, seg) in self.segments.iter().enumerate() {
            let at = || Self::from_segments(self.segments[..depth].to_vec()).to_string();
            let is_last = depth == last;
            if cur.is_null() && matches!(seg, PathSegment::Key(_)) {
                *cur = Value::Object(Map::new());
            }
            cur = match (seg, cur) {
                (PathSegment::Key(k), Value::Object(map)) => {
                    if is_last {
                        let slot = map.entry(k.clone()).or_insert(Value::Null);
                        *slot = typed(slot, value)?;
                        return Ok(());
                    }
                    if !map.contains_key(k) {
                        if matches!(self.segments[depth + 1], PathSegment::Index(_)) {
                            return Err(SetError::MissingList {
                                at: self.prefix(depth + 1),
                            });
                        }
                        map.insert(k.clone(), Value::Object(Map::new()));
                    }
                    match map.get_mut(k) {
                        Some(v) => v,
                        None => return Err(SetError::MissingList { at: at() }),
                    }
                }
                (PathSegment::Index(i), Value::Array(items)) => {
                    let len = items.len();
                    let Some(slot) = items.get_mut(*i) else {
                        return Err(SetError::IndexOutOfRange {
                            at: at(),
                            index: *i,
                            len,
                        });
                    };
                    if is_last {
                        *slot = typed(slot, value)?;
                        return Ok(());
                    }
                    slot
                }
                (seg, other) => {
                    return Err(SetError::NotAContainer {
                        at: if depth == 0 { ".".to_owned() } else { at() },
                        found: type_name(other),
                        segment: Self::from_segments(vec![seg.clone()]).to_string(),
                    });
                }
            };
        }
        Ok(())
    }

    fn prefix(&self, len: usize) -> String {
        Self::from_segments(self.segments[..len].to_vec()).to_string()
    }

    /// Does this pattern match the concrete path `path`?
    ///
    /// `**` matches any number of segments (including none); `*` one map key; `[*]` one index.
    pub fn matches(&self, path: &FieldPath) -> bool {
        fn go(pat: &[PathSegment], path: &[PathSegment]) -> bool {
            match pat.split_first() {
                None => path.is_empty(),
                Some((PathSegment::Rest, rest)) => {
                    (0..=path.len()).any(|skip| go(rest, &path[skip..]))
                }
                Some((p, rest)) => match path.split_first() {
                    None => false,
                    Some((s, path_rest)) => {
                        let ok = match (p, s) {
                            (PathSegment::AnyKey, PathSegment::Key(_)) => true,
                            (PathSegment::AnyIndex, PathSegment::Index(_)) => true,
                            (PathSegment::Key(a), PathSegment::Key(b)) => a == b,
                            (PathSegment::Index(a), PathSegment::Index(b)) => a == b,
                            _ => false,
                        };
                        ok && go(rest, path_rest)
                    }
                },
            }
        }
        go(&self.segments, &path.segments)
    }

    /// Could a path *below* `path` match this pattern? (Used to decide whether setting a whole
    /// map at `path` is allowed piecewise.)
    pub fn matches_prefix(&self, path: &FieldPath) -> bool {
        fn go(pat: &[PathSegment], path: &[PathSegment]) -> bool {
            match (pat.split_first(), path.split_first()) {
                (_, None) => true,
                (None, Some(_)) => false,
                (Some((PathSegment::Rest, _)), _) => true,
                (Some((p, rest)), Some((s, path_rest))) => {
                    let ok = match (p, s) {
                        (PathSegment::AnyKey, PathSegment::Key(_)) => true,
                        (PathSegment::AnyIndex, PathSegment::Index(_)) => true,
                        (PathSegment::Key(a), PathSegment::Key(b)) => a == b,
                        (PathSegment::Index(a), PathSegment::Index(b)) => a == b,
                        _ => false,
                    };
                    ok && go(rest, path_rest)
                }
            }
        }
        go(&self.segments, &path.segments)
    }
}

/// The human name of a JSON value's type, for messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

/// Applies the string rule of [`FieldPath::set`].
fn typed(existing: &Value, value: Value) -> Result<Value, SetError> {
    let conversion = |expected: &'static str, s: &str| SetError::Conversion {
        expected,
        existing: existing.to_string(),
        value: s.to_owned(),
    };
    match (existing, value) {
        (Value::Number(n), Value::String(s)) => {
            let t = s.trim();
            if n.is_f64() {
                t.parse::<f64>()
                    .ok()
                    .filter(|f| f.is_finite())
                    .and_then(serde_json::Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| conversion("a float", &s))
            } else if let Ok(i) = t.parse::<i64>() {
                Ok(Value::from(i))
            } else if let Ok(u) = t.parse::<u64>() {
                Ok(Value::from(u))
            } else {
                Err(conversion("an integer", &s))
            }
        }
        (Value::Bool(_), Value::String(s)) => match s.trim() {
            "true" | "True" | "TRUE" => Ok(Value::Bool(true)),
            "false" | "False" | "FALSE" => Ok(Value::Bool(false)),
            _ => Err(conversion("a boolean", &s)),
        },
        (Value::String(_), Value::Number(n)) => Ok(Value::String(n.to_string())),
        (Value::String(_), Value::Bool(b)) => Ok(Value::String(b.to_string())),
        (_, value) => Ok(value),
    }
}

fn needs_quotes(key: &str) -> bool {
    key.is_empty()
        || key == "*"
        || key == "**"
        || key
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']' | '"' | '\'' | '\\'))
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segments.is_empty() {
            return f.write_str(".");
        }
        for seg in &self.segments {
            match seg {
                PathSegment::Key(k) if needs_quotes(k) => {
                    f.write_str("[\"")?;
                    for c in k.chars() {
                        if c == '"' || c == '\\' {
                            f.write_str("\\")?;
                        }
                        write!(f, "{c}")?;
                    }
                    f.write_str("\"]")?;
                }
                PathSegment::Key(k) => write!(f, ".{k}")?,
                PathSegment::Index(i) => write!(f, "[{i}]")?,
                PathSegment::AnyKey => f.write_str(".*")?,
                PathSegment::AnyIndex => f.write_str("[*]")?,
                PathSegment::Rest => f.write_str(".**")?,
            }
        }
        Ok(())
    }
}

impl std::str::FromStr for FieldPath {
    type Err = PathError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> FieldPath {
        FieldPath::parse(s).unwrap()
    }

    #[test]
    fn parses_upstream_and_quoted_paths() {
        assert_eq!(
            p(".spec.template.spec.containers[0].image").segments(),
            &[
                PathSegment::Key("spec".into()),
                PathSegment::Key("template".into()),
                PathSegment::Key("spec".into()),
                PathSegment::Key("containers".into()),
                PathSegment::Index(0),
                PathSegment::Key("image".into()),
            ]
        );
        let q = p(r#".metadata.labels["app.kubernetes.io/name"]"#);
        assert_eq!(
            q.segments()[2],
            PathSegment::Key("app.kubernetes.io/name".into())
        );
        assert_eq!(
            q.to_string(),
            r#".metadata.labels["app.kubernetes.io/name"]"#
        );
        assert_eq!(p("ui.message"), p(".ui.message"));
        assert_eq!(p("ui.message").to_dotted(), "ui.message");
        assert_eq!(
            p(r#"a['x\'y']"#).segments()[1],
            PathSegment::Key("x'y".into())
        );
    }

    #[test]
    fn rejects_bad_paths() {
        for bad in [
            ".a..b", ".a.", "a[", "a[x]", "a[0", r#"a["x"#, ".a.*", "a[*]", "a]b", ".[", "a[1]b",
        ] {
            assert!(FieldPath::parse(bad).is_err(), "{bad} should not parse");
        }
        let e = FieldPath::parse(".a..b").unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid path \".a..b\" at column 4: empty key"
        );
    }

    #[test]
    fn patterns() {
        let pat = FieldPath::parse_pattern("ingress.*.hosts[*].**").unwrap();
        assert!(pat.matches(&p("ingress.main.hosts[3]")));
        assert!(pat.matches(&p("ingress.main.hosts[3].name.x")));
        assert!(!pat.matches(&p("ingress.main.hosts")));
        assert!(!pat.matches(&p("ingress.hosts[3]")));
        assert!(pat.matches_prefix(&p("ingress.main")));
        assert!(!pat.matches_prefix(&p("service")));
    }

    #[test]
    fn set_creates_maps_and_converts_strings() {
        let mut doc = json!({"spec": {"replicas": 1, "paused": false}, "data": {"pin": "0"}});
        p(".spec.replicas").set(&mut doc, json!("2")).unwrap();
        p(".spec.paused").set(&mut doc, json!("true")).unwrap();
        p(".data.pin").set(&mut doc, json!("01234")).unwrap();
        p(r#".metadata.labels["a.b/c"]"#)
            .set(&mut doc, json!("x"))
            .unwrap();
        assert_eq!(
            doc,
            json!({"spec": {"replicas": 2, "paused": true}, "data": {"pin": "01234"},
                   "metadata": {"labels": {"a.b/c": "x"}}})
        );
        let err = p(".spec.replicas").set(&mut doc, json!("two")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the existing value is an integer (2); \"two\" is not an integer"
        );
        let err = p(".data.pin.x").set(&mut doc, json!(1)).unwrap_err();
        assert_eq!(
            err.to_string(),
            ".data.pin is a string, cannot descend into it with .x"
        );
        let err = p(".spec.containers[0].image")
            .set(&mut doc, json!(1))
            .unwrap_err();
        assert!(matches!(err, SetError::MissingList { .. }), "{err}");
    }
}
