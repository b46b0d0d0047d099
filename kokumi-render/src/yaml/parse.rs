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
//!
//! Text saphyr refuses is read again from the events of `libyaml-safer`, a safe port of libyaml,
//! which go-yaml v2 ports too: it reads some layouts saphyr refuses, and its errors are the ones
//! helm prints (`yaml: line 3: could not find expected ':'`), problem and line. It is the slower
//! of the two, so it runs only then, and to find a syntax error that go-yaml, which parses a
//! whole document before decoding it, would report before a decoding error.

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
    /// Whether the parser refused the text (a syntax error), rather than the decoding.
    syntax: bool,
}

impl YamlError {
    fn yaml(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            message: message.into(),
            json: false,
            syntax: false,
        }
    }

    fn json(message: impl Into<String>) -> Self {
        Self {
            line: 0,
            message: message.into(),
            json: true,
            syntax: false,
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

/// A saphyr error as go-yaml v2 words it, for text libyaml cannot be asked about
/// ([`libyaml_can_read`]). go-yaml prints only the problem (not libyaml's
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
        let (text, first_only) = (self.text, self.first_only);
        let mut docs = Vec::new();
        let mut parser = Parser::new_from_str(text);
        let saphyr = std::iter::from_fn(|| parser.next_event()).map(|next| {
            // Its words, as close to go-yaml's as a table gets, are kept only where libyaml
            // cannot be asked (below).
            next.map_err(|e| YamlError {
                syntax: true,
                ..go_error(text, e.marker(), e.info())
            })
        });
        let result = match self.build(saphyr, &mut docs) {
            // saphyr refuses some text libyaml (which go-yaml ports) reads, such as a quoted
            // scalar continued left of its key, and words its errors its own way: the text is
            // read again from libyaml's events, by the same rules.
            Err(e) if e.syntax && libyaml_can_read(text) => {
                docs.clear();
                Builder::new(text, first_only).build(libyaml_events(text), &mut docs)
            }
            other => other,
        };
        match result {
            Ok(()) => Ok(docs),
            Err(e) if e.syntax => Err(e),
            // go-yaml parses a whole document before decoding it, so a syntax error anywhere in
            // it comes before a decoding error (a null key, say).
            Err(e) => Err(libyaml_syntax_error(text, docs.len() + 1).unwrap_or(e)),
        }
    }

    fn build<'e>(
        &mut self,
        events: impl Iterator<Item = Result<(Event<'e>, Span), YamlError>>,
        docs: &mut Vec<Value>,
    ) -> Result<(), YamlError> {
        let mut stack: Vec<Frame> = Vec::new();
        let mut current: Option<Value> = None;
        for next in events {
            let (event, span) = next?;
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
                                // sigs.k8s.io/yaml's JSON conversion refuses it, with no line.
                                other => {
                                    let mut text = String::from("invalid map key: ");
                                    go_sharp_v(other, &mut text);
                                    return Err(YamlError::yaml(0, text));
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
        Ok(())
    }
}

/// A decoded go-yaml value as Go's `%#v` prints it (`map[interface {}]interface {}{"a":1}`),
/// which is how sigs.k8s.io/yaml names a map or list used as a key.
fn go_sharp_v(v: &Value, out: &mut String) {
    match v {
        Value::Nil => out.push_str("interface {}(nil)"),
        Value::String(s) => out.push_str(&crate::gofmt::quote(s)),
        Value::List(items) => {
            out.push_str("[]interface {}{");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                go_sharp_v(item, out);
            }
            out.push('}');
        }
        Value::Map(map) => {
            out.push_str("map[interface {}]interface {}{");
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&crate::gofmt::quote(k));
                out.push(':');
                go_sharp_v(item, out);
            }
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// libyaml's events for `text` as saphyr's, for [`Builder::build`]: anchors numbered in order
/// of definition (an alias takes the latest of its name), tags in their resolved form, lines
/// 1-based, errors as go-yaml reports them.
fn libyaml_events(text: &str) -> impl Iterator<Item = Result<(Event<'static>, Span), YamlError>> {
    use libyaml_safer::EventData;
    use std::borrow::Cow;
    let mut parser = libyaml_parser(text);
    // Anchor names to saphyr's numbers (from 1; 0 is none), for the current document.
    let mut anchors: BTreeMap<String, usize> = BTreeMap::new();
    let mut defined = 0;
    let tag = |t: Option<String>| {
        t.map(|suffix| {
            Cow::Owned(saphyr_parser::Tag {
                handle: String::new(),
                suffix,
            })
        })
    };
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let event = match parser.parse() {
            Ok(event) => event,
            Err(e) => {
                done = true;
                return Some(Err(go_yaml_error(&e)));
            }
        };
        let mark = |m: libyaml_safer::Mark| {
            saphyr_parser::Marker::new(m.index as usize, m.line as usize + 1, m.column as usize)
        };
        let span = Span::new(mark(event.start_mark), mark(event.end_mark));
        let mut anchor = |name: Option<String>| {
            name.map_or(0, |name| {
                defined += 1;
                anchors.insert(name, defined);
                defined
            })
        };
        let ours = match event.data {
            EventData::StreamStart { .. } => Event::StreamStart,
            EventData::StreamEnd => {
                done = true;
                Event::StreamEnd
            }
            EventData::DocumentStart { implicit, .. } => Event::DocumentStart(!implicit),
            EventData::DocumentEnd { .. } => {
                anchors.clear();
                Event::DocumentEnd
            }
            EventData::Alias { anchor: name } => match anchors.get(&name) {
                Some(&id) => Event::Alias(id),
                None => {
                    done = true;
                    return Some(Err(unknown_anchor(&name)));
                }
            },
            EventData::Scalar {
                anchor: a,
                tag: t,
                value,
                style,
                ..
            } => {
                let style = match style {
                    libyaml_safer::ScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    libyaml_safer::ScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    libyaml_safer::ScalarStyle::Literal => ScalarStyle::Literal,
                    libyaml_safer::ScalarStyle::Folded => ScalarStyle::Folded,
                    _ => ScalarStyle::Plain,
                };
                Event::Scalar(Cow::Owned(value), style, anchor(a), tag(t))
            }
            EventData::SequenceStart {
                anchor: a, tag: t, ..
            } => Event::SequenceStart(anchor(a), tag(t)),
            EventData::SequenceEnd => Event::SequenceEnd,
            EventData::MappingStart {
                anchor: a, tag: t, ..
            } => Event::MappingStart(anchor(a), tag(t)),
            EventData::MappingEnd => Event::MappingEnd,
        };
        Some(Ok((ours, span)))
    })
}

/// The first syntax error libyaml (which go-yaml v2 ports) finds in the first `documents`
/// documents of `text`, as go-yaml reports it (an alias to an unknown anchor among them).
fn libyaml_syntax_error(text: &str, documents: usize) -> Option<YamlError> {
    if !libyaml_can_read(text) {
        return None;
    }
    let mut ended = 0;
    for next in libyaml_events(text) {
        match next {
            Err(e) => return Some(e),
            Ok((Event::DocumentEnd, _)) => {
                ended += 1;
                if ended >= documents {
                    return None;
                }
            }
            Ok(_) => {}
        }
    }
    None
}

/// Whether libyaml-safer 0.3 can be handed `text`, which is then left to saphyr and its
/// wording. Its scanner panics (a `TODO` where libyaml accepts) on a tag followed directly by
/// `,` in a flow collection (`[!t, x]`: refused here wherever a `!`, tag characters and `,`
/// follow each other), and its work grows with the square of flow nesting (100,000 `[` take
/// minutes; refused past 1,000 brackets deep, counted without regard to quotes), and its
/// reader runs out of input (a panic) around the line breaks outside ASCII (U+0085, U+2028,
/// U+2029: refused). Found by the `data_formats` fuzz target and
/// `deep_nesting_does_not_overflow`.
fn libyaml_can_read(text: &str) -> bool {
    const MAX_FLOW_DEPTH: usize = 1_000;
    if text.contains(['\u{85}', '\u{2028}', '\u{2029}']) {
        return false;
    }
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    for &b in bytes {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    return false;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // What ends a tag in a flow collection; a tag longer than the window counts as unsafe too
    // (so the scan stays linear however many `!` a text holds).
    const WINDOW: usize = 1024;
    !memchr::memchr_iter(b'!', bytes).any(|at| {
        let rest = &bytes[at + 1..];
        match rest
            .iter()
            .take(WINDOW)
            .position(|b| b.is_ascii_whitespace() || matches!(b, b',' | b'[' | b']' | b'{' | b'}'))
        {
            Some(end) => rest[end] == b',',
            None => rest.len() > WINDOW,
        }
    })
}

/// A libyaml-safer parser over `text`, ended by a line break: its reader, unlike libyaml's,
/// has no padding after the input, and some reads just short of the end (an escape in a
/// double-quoted scalar cut by the end of the text) panic without one.
fn libyaml_parser(text: &str) -> libyaml_safer::Parser<std::io::Cursor<Vec<u8>>> {
    let mut bytes = Vec::with_capacity(text.len() + 1);
    bytes.extend_from_slice(text.as_bytes());
    if !text.ends_with('\n') {
        bytes.push(b'\n');
    }
    let mut parser = libyaml_safer::Parser::new();
    parser.set_input(std::io::Cursor::new(bytes));
    parser
}

/// A libyaml error as go-yaml v2 reports it: only the problem, at the problem's line — which
/// for a parser error is its 0-based line, one less than the 1-based one of a scanner error —
/// else the context's 0-based line, and no line when that is 0.
fn go_yaml_error(e: &libyaml_safer::Error) -> YamlError {
    let scanner = e.kind() == libyaml_safer::ErrorKind::Scanner;
    let problem = e.problem_mark().map_or(0, |m| m.line as usize);
    let context = e.context_mark().map_or(0, |m| m.line as usize);
    let line = match (problem, context) {
        (0, c) => c,
        (p, _) => p + usize::from(scanner),
    };
    YamlError {
        syntax: true,
        ..YamlError::yaml(line, e.problem())
    }
}

/// go-yaml's own parser refuses an alias to an anchor its document has not opened yet, by name
/// and with no line, as the alias comes.
fn unknown_anchor(name: &str) -> YamlError {
    YamlError {
        syntax: true,
        ..YamlError::yaml(0, format!("unknown anchor '{name}' referenced"))
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

    /// libyaml-safer panics on a tag then `,` in a flow collection and around U+0085; such text
    /// is not handed to it (the fuzz target's finds: saphyr refused them, libyaml was next).
    #[test]
    fn a_tag_before_a_comma_in_a_flow_never_reaches_libyaml() {
        for text in [
            "\0image:\n  tag: \"1\"\nlist: [0, !ull, true, ~]\nanchors: &` {x: 1}\n",
            "a: [!t, b]\n\tc: 1\n",
            "a: {k: !<tag:x>, b: 1}\n@\n",
            "\u{f9}image:\n\u{85}  repository:ning x\n , ~]\nseconmulti: |\n  lin",
            "\u{1}- a\n- b:{ [c,!t]}\n- \"q\n]  : {ey!'%#3ztor nuy:ngig\\",
        ] {
            assert!(parse(text).is_err(), "{text:?}");
        }
        assert!(!libyaml_can_read("[!t, x]"));
        assert!(libyaml_can_read("a: !t x, y\nb: [!t x, y]\n"));
    }
}
