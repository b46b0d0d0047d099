//! YAML text → [`Value`], with the rules Helm applies to values files, `Chart.yaml` and `fromYaml`.
//!
//! Helm reads YAML through `sigs.k8s.io/yaml`, which decodes with go-yaml v2 and then round-trips
//! the result through JSON. What a template sees therefore follows three rules we reproduce here:
//!
//! - **YAML 1.1 scalar resolution** (go-yaml v2's table): `y`/`Y`/`yes`/`on`/`true` (in their
//!   three casings) are `true`, `n`/`no`/`off`/`false` are `false`, `~`/`null`/empty are null,
//!   integers accept `0x`, `0o`, `0b`, leading-`0` octal and `_` separators, and quoted scalars
//!   are always strings. Timestamps stay strings (go-yaml v2 does that for `interface{}`).
//! - **JSON round trip**: every number becomes a `float64` ([`Value::Float`]); map keys become
//!   strings (`true`, `1`, `1.5`); `.inf`/`.nan` values are refused as JSON refuses them.
//! - **go-yaml v2's decoder**: only the first document counts, anchors and aliases are expanded,
//!   merge keys `<<` (a map or a list of maps, earlier maps winning) insert keys in document
//!   order, and a duplicate key simply overwrites the earlier one.
//!
//! The parser is `saphyr-parser`'s event API: it gives positions for error messages, stays
//! iterative (so deeply nested input cannot overflow our stack — the builder below is a loop
//! over an explicit stack), and leaves scalar resolution to us, which is exactly the part where
//! YAML 1.1 and YAML 1.2 disagree. `serde_yaml` style crates resolve YAML 1.2 scalars themselves
//! (`yes` would be a string), which is the wrong answer for Helm.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::resolve::Plain;
use crate::value::{Map, Value};

/// A YAML document that Helm's decoder would refuse; prints like sigs.k8s.io/yaml's error
/// (`error converting YAML to JSON: yaml: line 3: mapping values are not allowed in this context`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line of the problem (0 when unknown).
    pub line: usize,
    /// What went wrong, without the position.
    pub message: String,
    /// Whether this is a JSON conversion error (printed without `yaml: line N:`).
    json: bool,
}

impl YamlError {
    fn yaml(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
            json: false,
        }
    }

    fn json(message: impl Into<String>) -> Self {
        Self {
            line: 0,
            message: message.into(),
            json: true,
        }
    }
}

impl fmt::Display for YamlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.json {
            write!(f, "error converting YAML to JSON: json: {}", self.message)
        } else if self.line == 0 {
            write!(f, "error converting YAML to JSON: yaml: {}", self.message)
        } else {
            write!(
                f,
                "error converting YAML to JSON: yaml: line {}: {}",
                self.line, self.message
            )
        }
    }
}

impl std::error::Error for YamlError {}

/// A saphyr error as go-yaml v2 words it. go-yaml prints only the problem (not libyaml's
/// "while parsing ..." / "while scanning ..." context), and the line of a *parser* error as its
/// 0-based mark (so one less than the 1-based line, and no line at all on the first), while a
/// scanner error's line is 1-based and that of the problem, not of the context. saphyr reports
/// both kinds alike; its parser's messages are told apart by text.
fn go_error(text: &str, mark: &saphyr_parser::Marker, info: &str) -> YamlError {
    const PARSER: &[(&str, &str)] = &[
        (
            "while parsing a node, did not find expected node content",
            "did not find expected node content",
        ),
        (
            "while parsing a block mapping, did not find expected key",
            "did not find expected key",
        ),
        (
            "while parsing a flow mapping, did not find expected ',' or '}'",
            "did not find expected ',' or '}'",
        ),
        (
            "while parsing a flow sequence, expected ',' or ']'",
            "did not find expected ',' or ']'",
        ),
        (
            "while parsing a block collection, did not find expected '-' indicator",
            "did not find expected '-' indicator",
        ),
        (
            "did not find expected <document start>",
            "did not find expected <document start>",
        ),
    ];
    if let Some((_, go)) = PARSER.iter().find(|(ours, _)| *ours == info) {
        return YamlError::yaml(mark.line().saturating_sub(1), *go);
    }
    if info == "while parsing node, found unknown anchor" {
        // go-yaml names the alias and gives no line.
        let name: String = text
            .chars()
            .skip(mark.index())
            .skip_while(|c| *c == '*')
            .take_while(|c| !c.is_whitespace() && !matches!(c, ',' | '[' | ']' | '{' | '}'))
            .collect();
        return YamlError::yaml(0, format!("unknown anchor '{name}' referenced"));
    }
    let problem = match info.strip_prefix("while scanning ") {
        Some(rest) => rest.split_once(", ").map_or(rest, |(_, p)| p),
        None => info,
    };
    let (line, problem) = match problem {
        // The problem is at the end of the text.
        "found unexpected end of stream" => (text.matches('\n').count() + 1, problem),
        "tabs disallowed within this context (block indentation)" => {
            (mark.line(), "found character that cannot start any token")
        }
        p if p.starts_with("unexpected character: `") => {
            (mark.line(), "found character that cannot start any token")
        }
        _ => (mark.line(), problem),
    };
    // go-yaml adds one to a scanner error's 0-based line only when it is not 0: a problem on
    // the first line has no line at all.
    YamlError::yaml(if line == 1 { 0 } else { line }, problem)
}

/// Parses the first YAML document of `text` the way `sigs.k8s.io/yaml.Unmarshal` into an
/// `interface{}` does. An empty document (or one holding only comments) gives [`Value::Nil`].
///
/// ```
/// use kokumi_render::value::Value;
/// let v = kokumi_render::yaml::parse::parse("replicas: 3\nenabled: yes\ny: 1\n").unwrap();
/// let m = v.as_map().unwrap();
/// assert_eq!(m["replicas"], Value::Float(3.0));
/// assert_eq!(m["enabled"], Value::Bool(true));
/// assert!(m.contains_key("true"));
/// ```
pub fn parse(text: &str) -> Result<Value, YamlError> {
    let mut docs = Builder::new(text, true).run()?;
    Ok(docs.pop().unwrap_or(Value::Nil))
}

/// Parses every document of a YAML stream (each as [`parse`] would), e.g. for splitting
/// multi-document files. Empty documents give [`Value::Nil`].
pub fn parse_all(text: &str) -> Result<Vec<Value>, YamlError> {
    Builder::new(text, false).run()
}

/// The value a one-line plain scalar (no tag, no anchor) decodes to, as [`parse`] gives it:
/// YAML 1.1 resolution, then the JSON round trip (which refuses infinities and NaN).
pub(crate) fn plain_value(text: &str) -> Result<Value, YamlError> {
    scalar_value(resolve_plain(text))
}

/// The map key a plain scalar key decodes to, as [`parse`] gives it (`y` is `true`, `010` is
/// `8`); a null key is refused as there.
pub(crate) fn plain_key(text: &str) -> Result<String, YamlError> {
    scalar_key(&resolve_plain(text), 0)
}

/// A resolved plain or tagged scalar before the JSON round trip.
#[derive(Debug, Clone, PartialEq)]
enum Scalar {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(Arc<str>),
    Merge,
}

/// Resolves a scalar with go-yaml v2's rules (`resolve.go`).
fn resolve(text: &str, style: ScalarStyle, tag: Option<&str>) -> Scalar {
    match tag {
        Some("tag:yaml.org,2002:str") => return Scalar::Str(text.into()),
        Some("tag:yaml.org,2002:binary") => return Scalar::Str(text.into()),
        _ => {}
    }
    if style != ScalarStyle::Plain && tag.is_none() {
        return Scalar::Str(text.into());
    }
    let resolved = resolve_plain(text);
    match (tag, &resolved) {
        (None, _) => resolved,
        (Some("tag:yaml.org,2002:float"), Scalar::Int(i)) => Scalar::Float(*i as f64),
        (Some("tag:yaml.org,2002:float"), Scalar::Uint(u)) => Scalar::Float(*u as f64),
        (Some("tag:yaml.org,2002:int" | "tag:yaml.org,2002:float"), _)
        | (Some("tag:yaml.org,2002:bool"), Scalar::Bool(_))
        | (Some("tag:yaml.org,2002:null"), Scalar::Null) => resolved,
        // Unknown local tags (`!foo`) leave the value as go-yaml resolves it.
        (Some(t), _) if !t.starts_with("tag:yaml.org,2002:") => resolved,
        _ => resolved,
    }
}

fn resolve_plain(text: &str) -> Scalar {
    match super::resolve::resolve(text) {
        Plain::Null => Scalar::Null,
        Plain::Bool(b) => Scalar::Bool(b),
        Plain::Int(i) => Scalar::Int(i),
        Plain::Uint(u) => Scalar::Uint(u),
        Plain::Float(f) => Scalar::Float(f),
        // A plain `<<` key merges; go-yaml tells it by its text, not by resolving it.
        Plain::Str if text == "<<" => Scalar::Merge,
        // go-yaml decodes a timestamp into an interface as the text it is.
        Plain::Str | Plain::Timestamp => Scalar::Str(text.into()),
    }
}

/// Formats a float key the way go-yaml does (`strconv.FormatFloat(f, 'g', -1, 32)`).
pub(crate) fn float_key(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let short: f64 = format!("{}", f as f32).parse().unwrap_or(f);
    let mut out = String::new();
    let _ = crate::value::format_go_float(&mut out, short);
    out
}

/// Converts a resolved scalar into the value the JSON round trip produces.
fn scalar_value(s: Scalar) -> Result<Value, YamlError> {
    Ok(match s {
        Scalar::Null => Value::Nil,
        Scalar::Bool(b) => Value::Bool(b),
        Scalar::Int(i) => Value::Float(i as f64),
        Scalar::Uint(u) => Value::Float(u as f64),
        Scalar::Float(f) => {
            if !f.is_finite() {
                let mut text = String::new();
                let _ = crate::value::format_go_float(&mut text, f);
                return Err(YamlError::json(format!("unsupported value: {text}")));
            }
            Value::Float(f)
        }
        Scalar::Str(s) => Value::String(s),
        Scalar::Merge => Value::string("<<"),
    })
}

/// A map key: what sigs.k8s.io/yaml turns a YAML key into.
fn scalar_key(s: &Scalar, line: usize) -> Result<String, YamlError> {
    Ok(match s {
        Scalar::Str(s) => s.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Uint(u) => u.to_string(),
        Scalar::Float(f) => float_key(*f),
        Scalar::Merge => "<<".into(),
        Scalar::Null => {
            return Err(YamlError::yaml(
                line,
                "unsupported map key of type <nil> (a null key)",
            ));
        }
    })
}

/// A node being built.
enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
    },
    Map {
        map: Map,
        anchor: usize,
        /// The key waiting for its value; `None` while we expect a key.
        key: Option<Key>,
        /// Line of the mapping, for errors.
        line: usize,
    },
}

enum Key {
    Plain(String),
    Merge,
}

struct Builder<'a> {
    text: &'a str,
    first_only: bool,
    anchors: BTreeMap<usize, Value>,
    /// go-yaml's alias-bomb guard: nodes decoded so far (aliases expanded), how many of them
    /// came from alias expansion, each anchor's expanded node count, and the open collections'
    /// node counts.
    decoded: u64,
    aliased: u64,
    sizes: BTreeMap<usize, u64>,
    counts: Vec<u64>,
}

/// go-yaml's nesting limit (`max_flow_level`, `max_indents`), which also keeps every walk over
/// the decoded value (printing, encoding, dropping) within a bounded stack.
fn check_depth(open: usize) -> Result<(), YamlError> {
    const MAX_DEPTH: usize = 10_000;
    if open >= MAX_DEPTH {
        return Err(YamlError::yaml(0, "exceeded max depth of 10000"));
    }
    Ok(())
}

fn line_of(span: &Span) -> usize {
    span.start.line()
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, first_only: bool) -> Self {
        Self {
            text,
            first_only,
            anchors: BTreeMap::new(),
            decoded: 0,
            aliased: 0,
            sizes: BTreeMap::new(),
            counts: Vec::new(),
        }
    }

    /// Counts `nodes` decoded nodes, `aliased` of them through an alias, and fails like
    /// go-yaml v2 when aliases make up too much of a document ("billion laughs").
    fn count(&mut self, nodes: u64, aliased: u64) -> Result<(), YamlError> {
        self.decoded = self.decoded.saturating_add(nodes);
        self.aliased = self.aliased.saturating_add(aliased);
        if let Some(c) = self.counts.last_mut() {
            *c = c.saturating_add(nodes);
        }
        // go-yaml's allowedAliasRatio: 99% up to 400,000 decodes, 10% from 4,000,000, linear
        // in between.
        let (low, high) = (400_000.0, 4_000_000.0);
        let d = self.decoded as f64;
        let allowed = if d <= low {
            0.99
        } else if d >= high {
            0.10
        } else {
            0.99 - 0.89 * ((d - low) / (high - low))
        };
        if self.aliased > 100 && self.decoded > 1000 && self.aliased as f64 / d > allowed {
            return Err(YamlError::yaml(0, "document contains excessive aliasing"));
        }
        Ok(())
    }

    fn run(mut self) -> Result<Vec<Value>, YamlError> {
        let mut parser = Parser::new_from_str(self.text);
        let mut docs = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut current: Option<Value> = None;
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|e| go_error(self.text, e.marker(), e.info()))?;
            let line = line_of(&span);
            // A finished node (scalar, alias, or closed collection) to hand to its parent.
            let finished: Option<(Value, Option<Scalar>)> = match event {
                Event::StreamStart | Event::Nothing => None,
                Event::StreamEnd => break,
                Event::DocumentStart(_) => {
                    current = None;
                    self.decoded = 0;
                    self.aliased = 0;
                    None
                }
                Event::DocumentEnd => {
                    docs.push(current.take().unwrap_or(Value::Nil));
                    if self.first_only {
                        break;
                    }
                    self.anchors.clear();
                    None
                }
                Event::Alias(id) => {
                    let v = self
                        .anchors
                        .get(&id)
                        .cloned()
                        .ok_or_else(|| YamlError::yaml(line, "unknown anchor referenced"))?;
                    let size = self.sizes.get(&id).copied().unwrap_or(1);
                    self.count(1 + size, size)?;
                    Some((v, None))
                }
                Event::Scalar(text, style, anchor, tag) => {
                    let tag_text = tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix));
                    let tag_norm = tag_text.as_deref().map(|t| {
                        if let Some(rest) = t.strip_prefix("!!") {
                            format!("tag:yaml.org,2002:{rest}")
                        } else {
                            t.to_string()
                        }
                    });
                    let s = resolve(&text, style, tag_norm.as_deref());
                    // A merge key is not decoded itself.
                    if !matches!(s, Scalar::Merge) {
                        self.count(1, 0)?;
                    }
                    if anchor > 0 {
                        self.sizes.insert(anchor, 1);
                    }
                    let v = if matches!(s, Scalar::Merge) {
                        Value::string("<<")
                    } else if stack
                        .last()
                        .is_some_and(|f| matches!(f, Frame::Map { key: None, .. }))
                    {
                        // A key: no JSON conversion of the value, only of the key text later.
                        Value::Nil
                    } else {
                        scalar_value(s.clone())?
                    };
                    if anchor > 0 {
                        let stored = if matches!(v, Value::Nil) && !matches!(s, Scalar::Null) {
                            scalar_value(s.clone()).unwrap_or(Value::Nil)
                        } else {
                            v.clone()
                        };
                        self.anchors.insert(anchor, stored);
                    }
                    Some((v, Some(s)))
                }
                Event::SequenceStart(anchor, _) => {
                    check_depth(stack.len())?;
                    self.decoded = self.decoded.saturating_add(1);
                    self.counts.push(1);
                    stack.push(Frame::Seq {
                        items: Vec::new(),
                        anchor,
                    });
                    None
                }
                Event::MappingStart(anchor, _) => {
                    check_depth(stack.len())?;
                    self.decoded = self.decoded.saturating_add(1);
                    self.counts.push(1);
                    stack.push(Frame::Map {
                        map: Map::new(),
                        anchor,
                        key: None,
                        line,
                    });
                    None
                }
                Event::SequenceEnd | Event::MappingEnd => match stack.pop() {
                    Some(frame) => {
                        let size = self.counts.pop().unwrap_or(1);
                        if let Some(c) = self.counts.last_mut() {
                            *c = c.saturating_add(size);
                        }
                        let (v, anchor) = match frame {
                            Frame::Seq { items, anchor } => (Value::list(items), anchor),
                            Frame::Map { map, anchor, .. } => (Value::map(map), anchor),
                        };
                        if anchor > 0 {
                            self.sizes.insert(anchor, size);
                            self.anchors.insert(anchor, v.clone());
                        }
                        Some((v, None))
                    }
                    None => None,
                },
            };
            let Some((value, scalar)) = finished else {
                continue;
            };
            match stack.last_mut() {
                None => current = Some(value),
                Some(Frame::Seq { items, .. }) => items.push(value),
                Some(Frame::Map {
                    map,
                    key,
                    line: map_line,
                    ..
                }) => match key.take() {
                    None => {
                        let k = match scalar {
                            Some(Scalar::Merge) => Key::Merge,
                            Some(s) => Key::Plain(scalar_key(&s, line)?),
                            None => match &value {
                                // An alias used as a key.
                                Value::String(s) => Key::Plain(s.to_string()),
                                Value::Bool(b) => Key::Plain(b.to_string()),
                                Value::Float(f) => Key::Plain(float_key(*f)),
                                _ => {
                                    return Err(YamlError::yaml(
                                        line,
                                        "invalid map key: a map or list cannot be a key",
                                    ));
                                }
                            },
                        };
                        *key = Some(k);
                    }
                    Some(Key::Plain(k)) => {
                        map.insert(k, value);
                    }
                    Some(Key::Merge) => merge_into(map, &value, *map_line)?,
                },
            }
        }
        if let Some(v) = current.take() {
            docs.push(v);
        }
        Ok(docs)
    }
}

/// go-yaml v2's merge: a map is inserted key by key; a list of maps is inserted last to first,
/// so earlier maps win over later ones.
fn merge_into(map: &mut Map, value: &Value, line: usize) -> Result<(), YamlError> {
    let fail = || {
        YamlError::yaml(
            line,
            "map merge requires map or sequence of maps as the value",
        )
    };
    match value {
        Value::Map(m) => {
            for (k, v) in m.iter() {
                map.insert(k.clone(), v.clone());
            }
            Ok(())
        }
        Value::List(items) => {
            for item in items.iter().rev() {
                let m = item.as_map().ok_or_else(fail)?;
                for (k, v) in m.iter() {
                    map.insert(k.clone(), v.clone());
                }
            }
            Ok(())
        }
        _ => Err(fail()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Value {
        parse(s).unwrap()
    }

    fn get(v: &Value, k: &str) -> Value {
        v.as_map().unwrap().get(k).cloned().unwrap_or(Value::Nil)
    }

    #[test]
    fn yaml11_scalars() {
        let v = p(
            "a: yes\nb: off\nc: ~\nd: 0x1F\ne: 0777\nf: 1_000\ng: '1'\nh: 1e3\ni: .5\nj: 09\nk: 2024-01-02\nl: 0b101\nm: +7\nnn: -0o17\n",
        );
        assert_eq!(get(&v, "a"), Value::Bool(true));
        assert_eq!(get(&v, "b"), Value::Bool(false));
        assert_eq!(get(&v, "c"), Value::Nil);
        assert_eq!(get(&v, "d"), Value::Float(31.0));
        assert_eq!(get(&v, "e"), Value::Float(511.0));
        assert_eq!(get(&v, "f"), Value::Float(1000.0));
        assert_eq!(get(&v, "g"), Value::string("1"));
        assert_eq!(get(&v, "h"), Value::Float(1000.0));
        assert_eq!(get(&v, "i"), Value::Float(0.5));
        assert_eq!(get(&v, "j"), Value::Float(9.0));
        assert_eq!(get(&v, "k"), Value::string("2024-01-02"));
        assert_eq!(get(&v, "l"), Value::Float(5.0));
        assert_eq!(get(&v, "m"), Value::Float(7.0));
        assert_eq!(get(&v, "nn"), Value::Float(-15.0));
    }

    #[test]
    fn keys_become_strings() {
        let v = p("y: 1\n1: a\n1.5: b\nfalse: c\n");
        let m = v.as_map().unwrap();
        let keys: Vec<_> = m.keys().cloned().collect();
        assert_eq!(keys, ["1", "1.5", "false", "true"]);
    }

    #[test]
    fn anchors_and_merge_keys() {
        let v = p(
            "base: &b {x: 1, z: 2}\nother:\n  <<: *b\n  z: 3\nlist: [*b]\nmulti:\n  <<: [{a: 1}, {a: 2, b: 2}]\n",
        );
        let other = get(&v, "other");
        assert_eq!(get(&other, "x"), Value::Float(1.0));
        assert_eq!(get(&other, "z"), Value::Float(3.0));
        assert_eq!(get(&v, "list").as_list().unwrap().len(), 1);
        let multi = get(&v, "multi");
        assert_eq!(get(&multi, "a"), Value::Float(1.0));
        assert_eq!(get(&multi, "b"), Value::Float(2.0));
    }

    #[test]
    fn first_document_and_empty() {
        assert_eq!(p(""), Value::Nil);
        assert_eq!(p("# only a comment\n"), Value::Nil);
        assert_eq!(get(&p("a: 1\n---\na: 2\n"), "a"), Value::Float(1.0));
        assert_eq!(parse_all("a: 1\n---\na: 2\n").unwrap().len(), 2);
    }

    #[test]
    fn block_scalars_and_quotes() {
        let v = p("a: |\n  x\n  y\nb: >-\n  p\n  q\nc: \"t\\tu\"\n");
        assert_eq!(get(&v, "a"), Value::string("x\ny\n"));
        assert_eq!(get(&v, "b"), Value::string("p q"));
        assert_eq!(get(&v, "c"), Value::string("t\tu"));
    }

    #[test]
    fn errors_have_lines() {
        let e = parse("a: 1\nb: c: d\n").unwrap_err();
        assert_eq!(e.line, 2);
        assert!(
            e.to_string()
                .starts_with("error converting YAML to JSON: yaml: line 2: ")
        );
        let e = parse("a: .inf\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "error converting YAML to JSON: json: unsupported value: +Inf"
        );
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let text = "[".repeat(100_000);
        assert!(parse(&text).is_err());
    }
}
