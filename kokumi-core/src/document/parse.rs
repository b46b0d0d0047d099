//! The YAML → [`Value`] builder over `saphyr_parser` events, with limits.

use std::collections::BTreeMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span, Tag};
use serde_json::{Map, Number, Value};

use super::{Document, Limits};

/// A document stream that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("document {document}, line {line}, column {column}: {kind}")]
pub struct DocumentError {
    /// 0-based index of the document in the stream.
    pub document: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What went wrong.
    pub kind: DocumentErrorKind,
}

/// What went wrong while reading documents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentErrorKind {
    /// The YAML is malformed.
    #[error("invalid yaml: {0}")]
    Syntax(String),
    /// The whole input is larger than [`Limits::max_input_bytes`].
    #[error("input is {size} bytes, more than the limit of {limit}")]
    InputTooLarge {
        /// Input size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// A document is larger than [`Limits::max_document_chars`].
    #[error("document is larger than the limit of {limit} characters")]
    DocumentTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Maps and lists nest deeper than [`Limits::max_depth`].
    #[error("nesting is deeper than the limit of {limit}")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The document expands (through aliases) to more than [`Limits::max_nodes`] nodes.
    #[error("document expands to more than {limit} nodes (alias expansion bomb?)")]
    TooManyNodes {
        /// The limit.
        limit: usize,
    },
    /// An alias names no earlier anchor.
    #[error("alias to an unknown anchor")]
    UnknownAlias,
    /// A map key is itself a map or a list.
    #[error("a map key must be a scalar, not a {0}")]
    ComplexKey(&'static str),
    /// A `<<` merge key's value is not a map or a list of maps.
    #[error("the value of a << merge key must be a map or a list of maps")]
    BadMerge,
    /// A scalar's tag contradicts its content (`!!int abc`) or is a float JSON cannot hold.
    #[error("{value:?} is not a valid {expected}")]
    BadScalar {
        /// The scalar text.
        value: String,
        /// What the tag (or resolution) demanded.
        expected: &'static str,
    },
}

struct Anchor {
    value: Value,
    nodes: usize,
    depth: usize,
}

enum Frame {
    Seq {
        items: Vec<Value>,
        anchor: usize,
        nodes_at_start: usize,
    },
    Map {
        map: Map<String, Value>,
        key: Option<PendingKey>,
        merges: Vec<Value>,
        anchor: usize,
        nodes_at_start: usize,
    },
}

enum PendingKey {
    Key(String),
    Merge,
}

/// What a completed node is, for key handling.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NodeKind {
    Scalar { merge_key: bool },
    Container(&'static str),
}

struct Builder<'l> {
    limits: &'l Limits,
    stack: Vec<Frame>,
    anchors: BTreeMap<usize, Anchor>,
    nodes: usize,
    root: Option<Value>,
}

impl<'l> Builder<'l> {
    fn new(limits: &'l Limits) -> Self {
        Self {
            limits,
            stack: Vec::new(),
            anchors: BTreeMap::new(),
            nodes: 0,
            root: None,
        }
    }

    fn count(&mut self, n: usize) -> Result<(), DocumentErrorKind> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > self.limits.max_nodes {
            return Err(DocumentErrorKind::TooManyNodes {
                limit: self.limits.max_nodes,
            });
        }
        Ok(())
    }

    fn open(&mut self, frame: Frame) -> Result<(), DocumentErrorKind> {
        if self.stack.len() >= self.limits.max_depth {
            return Err(DocumentErrorKind::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        self.count(1)?;
        self.stack.push(frame);
        Ok(())
    }

    /// Records an anchored value (`&a`), remembering its size and depth for alias accounting.
    fn remember(&mut self, anchor: usize, value: &Value, nodes: usize) {
        if anchor != 0 {
            self.anchors.insert(
                anchor,
                Anchor {
                    value: value.clone(),
                    nodes,
                    depth: depth_of(value),
                },
            );
        }
    }

    fn close(&mut self) -> Result<(), DocumentErrorKind> {
        let Some(frame) = self.stack.pop() else {
            return Ok(());
        };
        match frame {
            Frame::Seq {
                items,
                anchor,
                nodes_at_start,
            } => {
                let value = Value::Array(items);
                let nodes = self.nodes - nodes_at_start;
                self.remember(anchor, &value, nodes);
                self.complete(value, NodeKind::Container("list"))
            }
            Frame::Map {
                mut map,
                key,
                merges,
                anchor,
                nodes_at_start,
            } => {
                if key.is_some() {
                    // A key without a value cannot happen with a well-formed event stream.
                    return Err(DocumentErrorKind::Syntax("map key without a value".into()));
                }
                for source in merges {
                    let sources = match source {
                        Value::Object(m) => vec![m],
                        Value::Array(items) => {
                            let mut maps = Vec::with_capacity(items.len());
                            for item in items {
                                match item {
                                    Value::Object(m) => maps.push(m),
                                    _ => return Err(DocumentErrorKind::BadMerge),
                                }
                            }
                            maps
                        }
                        _ => return Err(DocumentErrorKind::BadMerge),
                    };
                    for m in sources {
                        for (k, v) in m {
                            map.entry(k).or_insert(v);
                        }
                    }
                }
                let value = Value::Object(map);
                let nodes = self.nodes - nodes_at_start;
                self.remember(anchor, &value, nodes);
                self.complete(value, NodeKind::Container("map"))
            }
        }
    }

    fn complete(&mut self, value: Value, kind: NodeKind) -> Result<(), DocumentErrorKind> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(value);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(value);
                Ok(())
            }
            Some(Frame::Map {
                map, key, merges, ..
            }) => match key.take() {
                None => {
                    let k = match kind {
                        NodeKind::Container(what) => {
                            return Err(DocumentErrorKind::ComplexKey(what));
                        }
                        NodeKind::Scalar { merge_key: true } => PendingKey::Merge,
                        NodeKind::Scalar { merge_key: false } => PendingKey::Key(key_string(value)),
                    };
                    *key = Some(k);
                    Ok(())
                }
                Some(PendingKey::Key(k)) => {
                    // Duplicate keys: the last one wins, as go-yaml v2 / sigs.k8s.io/yaml do.
                    map.insert(k, value);
                    Ok(())
                }
                Some(PendingKey::Merge) => {
                    merges.push(value);
                    Ok(())
                }
            },
        }
    }

    fn alias(&mut self, id: usize) -> Result<(), DocumentErrorKind> {
        // Check the limits before copying anything: the copy is what a bomb is made of.
        let (nodes, depth) = match self.anchors.get(&id) {
            Some(a) => (a.nodes, a.depth),
            None => return Err(DocumentErrorKind::UnknownAlias),
        };
        self.count(nodes)?;
        if self.stack.len() + depth > self.limits.max_depth {
            return Err(DocumentErrorKind::TooDeep {
                limit: self.limits.max_depth,
            });
        }
        let value = match self.anchors.get(&id) {
            Some(a) => a.value.clone(),
            None => return Err(DocumentErrorKind::UnknownAlias),
        };
        let kind = match value {
            Value::Array(_) => NodeKind::Container("list"),
            Value::Object(_) => NodeKind::Container("map"),
            _ => NodeKind::Scalar { merge_key: false },
        };
        self.complete(value, kind)
    }
}

fn key_string(value: Value) -> String {
    match value {
        Value::String(s) => s,
        Value::Null => "null".to_owned(),
        other => other.to_string(),
    }
}

/// Nesting depth of a value (a scalar is 0, `[1]` is 1).
fn depth_of(value: &Value) -> usize {
    let mut max = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((v, d)) = stack.pop() {
        match v {
            Value::Array(items) => {
                max = max.max(d + 1);
                stack.extend(items.iter().map(|i| (i, d + 1)));
            }
            Value::Object(m) => {
                max = max.max(d + 1);
                stack.extend(m.values().map(|i| (i, d + 1)));
            }
            _ => {}
        }
    }
    max
}

/// Resolves an untagged plain scalar the way go-yaml v2 does (YAML 1.1 flavoured): nulls,
/// booleans (`yes`/`no`/`on`/`off`/`y`/`n` in any of their three spellings), integers
/// (decimal with `_` separators, `0x`, `0o`, `0b`, leading-zero octal), floats; anything else
/// is a string. Non-finite floats (`.inf`, `.nan`) are returned as `None` (JSON cannot hold
/// them).
pub fn resolve_plain_scalar(s: &str) -> Option<Value> {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Some(Value::Bool(true));
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Some(Value::Bool(false));
        }
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" | "-.inf" | "-.Inf" | "-.INF"
        | ".nan" | ".NaN" | ".NAN" => return None,
        _ => {}
    }
    let first = s.as_bytes()[0];
    if !(first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.')) {
        return Some(Value::String(s.to_owned()));
    }
    if let Some(n) = parse_int(s) {
        return Some(Value::Number(n));
    }
    if is_float(s)
        && let Ok(f) = s.parse::<f64>()
    {
        return Number::from_f64(f).map(Value::Number);
    }
    Some(Value::String(s.to_owned()))
}

fn parse_int(s: &str) -> Option<Number> {
    let cleaned: String = s.chars().filter(|c| *c != '_').collect();
    if cleaned.is_empty() || (cleaned.len() != s.len() && s.starts_with('_')) {
        return None;
    }
    let (neg, body) = match cleaned.as_bytes()[0] {
        b'-' => (true, &cleaned[1..]),
        b'+' => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(d) = body.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = body.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = body.strip_prefix("0b") {
        (2, d)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u128::from_str_radix(digits, radix).ok()?;
    if neg {
        let v = i128::try_from(magnitude).ok()?.checked_neg()?;
        i64::try_from(v).ok().map(Number::from)
    } else {
        u64::try_from(magnitude).ok().map(Number::from)
    }
}

/// go-yaml v2's float pattern: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'-' | b'+')) {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i);
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

fn scalar_value(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<(Value, bool), DocumentErrorKind> {
    let bad = |expected| DocumentErrorKind::BadScalar {
        value: text.to_owned(),
        expected,
    };
    if let Some(tag) = tag
        && (tag.is_yaml_core_schema() || tag.handle == "!!")
    {
        let v = match tag.suffix.as_str() {
            "str" | "binary" | "timestamp" => Value::String(text.to_owned()),
            "null" => Value::Null,
            "bool" => match resolve_plain_scalar(text) {
                Some(Value::Bool(b)) => Value::Bool(b),
                _ => return Err(bad("boolean")),
            },
            "int" => match parse_int(text) {
                Some(n) => Value::Number(n),
                None => return Err(bad("integer")),
            },
            "float" => match resolve_plain_scalar(text) {
                Some(Value::Number(n)) => Value::Number(n),
                _ => return Err(bad("finite float")),
            },
            _ => Value::String(text.to_owned()),
        };
        return Ok((v, false));
    }
    if style != ScalarStyle::Plain || tag.is_some() {
        // Quoted and block scalars are strings; so are scalars with a custom tag (`!secret x`).
        return Ok((Value::String(text.to_owned()), false));
    }
    if text == "<<" {
        return Ok((Value::String(text.to_owned()), true));
    }
    match resolve_plain_scalar(text) {
        Some(v) => Ok((v, false)),
        None => Err(bad("finite float (JSON has no infinity or NaN)")),
    }
}

/// Parses a multi-document YAML stream. Empty documents (blank, or only comments) are dropped;
/// [`Document::index`] still counts them.
pub fn parse_documents(input: &str, limits: &Limits) -> Result<Vec<Document>, DocumentError> {
    if input.len() > limits.max_input_bytes {
        return Err(DocumentError {
            document: 0,
            line: 1,
            column: 1,
            kind: DocumentErrorKind::InputTooLarge {
                size: input.len(),
                limit: limits.max_input_bytes,
            },
        });
    }
    let mut parser = Parser::new_from_str(input);
    let mut docs = Vec::new();
    let mut index: usize = 0;
    let mut in_doc = false;
    let mut doc_start: usize = 0;
    let mut doc_line: usize = 1;
    let mut first_content_line: Option<usize> = None;
    let mut builder = Builder::new(limits);
    loop {
        let (event, span) = match parser.next_event() {
            None => break,
            Some(Ok(ev)) => ev,
            Some(Err(e)) => {
                let m = e.marker();
                return Err(DocumentError {
                    document: index,
                    line: m.line(),
                    column: m.col() + 1,
                    kind: DocumentErrorKind::Syntax(e.info().to_owned()),
                });
            }
        };
        let doc_index = index;
        let at = |span: &Span, kind| DocumentError {
            document: doc_index,
            line: span.start.line(),
            column: span.start.col() + 1,
            kind,
        };
        if in_doc && span.end.index().saturating_sub(doc_start) > limits.max_document_chars {
            return Err(at(
                &span,
                DocumentErrorKind::DocumentTooLarge {
                    limit: limits.max_document_chars,
                },
            ));
        }
        let line = span.start.line();
        let result = match event {
            Event::StreamStart | Event::Nothing => Ok(()),
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                in_doc = true;
                doc_start = span.start.index();
                doc_line = line;
                first_content_line = None;
                builder = Builder::new(limits);
                Ok(())
            }
            Event::DocumentEnd => {
                in_doc = false;
                if let Some(value) = builder.root.take()
                    && !value.is_null()
                {
                    docs.push(Document {
                        index,
                        line: first_content_line.unwrap_or(doc_line),
                        value,
                    });
                }
                index += 1;
                Ok(())
            }
            Event::Alias(id) => {
                first_content_line.get_or_insert(line);
                builder.alias(id)
            }
            Event::Scalar(text, style, anchor, tag) => {
                first_content_line.get_or_insert(line);
                scalar_value(&text, style, tag.as_deref()).and_then(|(value, merge_key)| {
                    builder.count(1)?;
                    builder.remember(anchor, &value, 1);
                    builder.complete(value, NodeKind::Scalar { merge_key })
                })
            }
            Event::SequenceStart(anchor, _) => {
                first_content_line.get_or_insert(line);
                let nodes_at_start = builder.nodes;
                builder.open(Frame::Seq {
                    items: Vec::new(),
                    anchor,
                    nodes_at_start,
                })
            }
            Event::MappingStart(anchor, _) => {
                first_content_line.get_or_insert(line);
                let nodes_at_start = builder.nodes;
                builder.open(Frame::Map {
                    map: Map::new(),
                    key: None,
                    merges: Vec::new(),
                    anchor,
                    nodes_at_start,
                })
            }
            Event::SequenceEnd | Event::MappingEnd => builder.close(),
        };
        result.map_err(|kind| at(&span, kind))?;
    }
    Ok(docs)
}
