//! The value model templates compute with: Go's `interface{}` as Helm charts see it.
//!
//! Helm hands templates `map[string]interface{}` trees decoded from YAML/JSON, so numbers from
//! values files are `float64`, integers written in a template are `int`, and a handful of Go
//! structs with fields and methods (`.Release`, `.Chart`, `.Files`, `.Capabilities`) sit beside
//! them. [`Value`] models exactly that; [`Object`] is the seam for the structs. Values are cheap to
//! clone (strings, lists and maps are reference counted).
//!
//! `Display` prints a value the way Go's `fmt.Sprint` (the `%v` verb) does, which is what a template
//! action `{{ x }}` writes: `map[a:1 b:2]`, `[a b]`, `1e+06`, `<nil>`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::funcs::Param;

/// A map as templates see it: Go's `map[string]interface{}`, iterated in sorted key order.
pub type Map = BTreeMap<String, Value>;

/// A template value.
#[derive(Clone, Default)]
pub enum Value {
    /// Go's untyped `nil` (a missing value, YAML `null`).
    #[default]
    Nil,
    /// `bool`.
    Bool(bool),
    /// Go's `int`: template integer literals, `len`, `atoi`, `int`, range indexes.
    Int(i64),
    /// Go's `int64`: what Sprig's arithmetic (`add`, `sub`, `max`, `int64`, `toDecimal`...),
    /// `--set` integers and `fromToml` give. It prints and compares as `int` does, but Go's
    /// reflection tells the two apart: `typeOf`, `kindIs "int"`, `has`/`uniq` (deep equality),
    /// and a function parameter of type `int` refuses it.
    Int64(i64),
    /// `float64`: every number decoded from a values file or JSON.
    Float(f64),
    /// `string`.
    String(Arc<str>),
    /// `[]byte` (`.Files.GetBytes`).
    Bytes(Arc<[u8]>),
    /// `[]interface{}`, or a typed slice Sprig returns (see [`ListRef`]).
    List(ListRef),
    /// `map[string]interface{}`, or Helm's named map type `common.Values` (see [`MapRef`]).
    Map(MapRef),
    /// A Go struct or other typed value with fields and methods.
    Object(Arc<dyn Object>),
}

/// A shared map and its Go type: `map[string]interface {}`, or Helm's `common.Values`, the type
/// of the render context (`$`), of `.Values` and of `.Template`. The two print, range and index
/// alike; Go's reflection names them apart (`typeOf`, `%T`, every "wrong type" error: a helper
/// handed `.` where a string belongs fails with `got common.Values`).
#[derive(Clone, Debug)]
pub struct MapRef {
    map: Arc<Map>,
    values: bool,
}

impl MapRef {
    /// The map as Helm's `common.Values`.
    pub fn values(map: Arc<Map>) -> Self {
        MapRef { map, values: true }
    }
}

impl From<Arc<Map>> for MapRef {
    fn from(map: Arc<Map>) -> Self {
        MapRef { map, values: false }
    }
}

impl MapRef {
    /// Whether the map is Helm's `common.Values`, which has methods (`YAML`, `Table`, ...).
    pub fn is_values(&self) -> bool {
        self.values
    }

    /// The shared map.
    pub fn arc(&self) -> &Arc<Map> {
        &self.map
    }

    /// The shared map, to mutate in place (copied first if shared).
    pub fn arc_mut(&mut self) -> &mut Arc<Map> {
        &mut self.map
    }

    /// `map` with this one's type.
    pub fn like(&self, map: Arc<Map>) -> Self {
        MapRef {
            map,
            values: self.values,
        }
    }

    /// The map, without a copy when this was its last reference.
    pub fn into_map(self) -> Map {
        Arc::unwrap_or_clone(self.map)
    }
}

impl std::ops::Deref for MapRef {
    type Target = Map;
    fn deref(&self) -> &Map {
        &self.map
    }
}

/// A shared list and its Go type: `[]interface {}`, the type of every list a template builds
/// and of those decoded from values, or a typed slice some of Sprig's functions return
/// (`until`: `[]int`; `splitList`, `keys`, `sortAlpha`: `[]string`; `chunk`: `[][]interface {}`).
/// They print, range and index alike; Go's reflection names them apart (`typeOf`, deep
/// equality), and ranging over a typed slice gives elements of its element type (so field
/// errors say `in type int`). Functions that build a new list from one (`append`, `rest`,
/// `uniq`...) give `[]interface {}`, as Sprig does; `slice` and `deepCopy` keep the type.
#[derive(Clone, Debug)]
pub struct ListRef {
    items: Arc<Vec<Value>>,
    ty: ListType,
}

/// The Go type of a [`ListRef`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListType {
    /// `[]interface {}`.
    Interface,
    /// `[]int`.
    Int,
    /// `[]string`.
    String,
    /// `[][]interface {}`.
    Lists,
}

impl ListType {
    /// The slice type's name, as `typeOf` prints it.
    pub fn name(self) -> &'static str {
        match self {
            ListType::Interface => "[]interface {}",
            ListType::Int => "[]int",
            ListType::String => "[]string",
            ListType::Lists => "[][]interface {}",
        }
    }

    /// The static type of an element (what a field error on one names).
    pub fn element(self) -> &'static str {
        match self {
            ListType::Interface => "interface {}",
            ListType::Int => "int",
            ListType::String => "string",
            ListType::Lists => "[]interface {}",
        }
    }
}

impl ListRef {
    /// `items` as a slice of type `ty`.
    pub fn typed(ty: ListType, items: Vec<Value>) -> Self {
        ListRef {
            items: Arc::new(items),
            ty,
        }
    }

    /// The list's Go type.
    pub fn list_type(&self) -> ListType {
        self.ty
    }

    /// The shared list.
    pub fn arc(&self) -> &Arc<Vec<Value>> {
        &self.items
    }

    /// The shared list, to mutate in place (copied first if shared).
    pub fn arc_mut(&mut self) -> &mut Arc<Vec<Value>> {
        &mut self.items
    }

    /// `items` with this one's type.
    pub fn like(&self, items: Vec<Value>) -> Self {
        ListRef::typed(self.ty, items)
    }
}

impl From<Arc<Vec<Value>>> for ListRef {
    fn from(items: Arc<Vec<Value>>) -> Self {
        ListRef {
            items,
            ty: ListType::Interface,
        }
    }
}

impl std::ops::Deref for ListRef {
    type Target = Vec<Value>;
    fn deref(&self) -> &Vec<Value> {
        &self.items
    }
}

/// A Go value with fields and methods, such as `.Files` or `.Capabilities`.
pub trait Object: Send + Sync + fmt::Debug {
    /// Go's type name as `typeOf` prints it, e.g. `chart.Metadata` or `*chartutil.Capabilities`.
    fn type_name(&self) -> &str;
    /// Go's kind as `kindOf` prints it (`struct`, `ptr`, `map`, ...).
    fn kind(&self) -> &str {
        "struct"
    }
    /// The value of field `name` (`{{ .Chart.Name }}`), or `None` if the type has no such field.
    fn field(&self, name: &str) -> Option<Value>;
    /// The parameter types of method `name` (`{{ .Files.Get "x" }}`), or `None` if the type
    /// has no such method. A method's name is a call even without arguments, and it wins over
    /// a field of the same name; the engine checks the arguments against these types as Go
    /// does before [`call`](Self::call) runs.
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        let _ = name;
        None
    }
    /// Calls method `name` with arguments that passed the check against
    /// [`method`](Self::method)'s types; `None` if the type has no such method.
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let _ = (name, args);
        None
    }
    /// How `fmt.Sprint` prints it (`{v1.37.0 v1.37.0 1 37}` for a `KubeVersion`).
    fn go_format(&self) -> String;
    /// What an action prints for it when it is read as a struct field, if its pointer type has
    /// a `String` method: Go's `printableValue` takes the field's address for it
    /// (`{{ .Capabilities.KubeVersion }}` is `v1.37.0`; handed to `print`, a copy, it is not).
    fn field_string(&self) -> Option<String> {
        None
    }
    /// The value `encoding/json` would produce for it, decoded again (used by `toYaml`,
    /// `deepCopy`, and `toJson` for a type without [`json_fields`](Self::json_fields)).
    fn to_plain(&self) -> Value;
    /// For a struct, its fields as `encoding/json` writes them: in declaration order, under
    /// their JSON names. `toJson` keeps that order, where `toYaml` sorts (sigs.k8s.io/yaml goes
    /// through a map): `{"Version":…,"Major":…,"Minor":…}` against `Major: …`. See
    /// [`plain_fields`] for the matching [`to_plain`](Self::to_plain).
    fn json_fields(&self) -> Option<Vec<(&'static str, Value)>> {
        None
    }
    /// What Sprig's `deepCopy` (copystructure) makes of it: the same type, with the fields it
    /// cannot see, the unexported ones, left zero. `None`: every field is exported, so the copy
    /// is the value itself.
    fn deep_copy(&self) -> Option<Value> {
        None
    }
    /// For a Go map or slice type (`helm.Files`, `common.VersionSet`), its elements as
    /// reflection sees them, as a map or list value (a `Files` map's values are `[]byte`, not
    /// the base64 text `to_plain` gives): what `range`, `len`, `index` and truth work on.
    /// `None` for structs and pointers.
    fn elements(&self) -> Option<Value> {
        None
    }
    /// The zero value of an element, which `index` gives for a missing map key.
    fn zero_element(&self) -> Value {
        Value::Nil
    }
}

/// `names` with their values from `obj`'s [`Object::field`], in that order: a struct's
/// [`Object::json_fields`] when its JSON names are its field names.
pub fn named_fields(obj: &dyn Object, names: &[&'static str]) -> Vec<(&'static str, Value)> {
    names
        .iter()
        .filter_map(|&name| Some((name, obj.field(name)?)))
        .collect()
}

/// The map a struct's [`Object::json_fields`] decode to: by name, nested objects plain too.
pub fn plain_fields(fields: Vec<(&'static str, Value)>) -> Value {
    Value::map(
        fields
            .into_iter()
            .map(|(name, v)| {
                let v = match v {
                    Value::Object(o) => o.to_plain(),
                    v => v,
                };
                (name.to_owned(), v)
            })
            .collect(),
    )
}

/// The error a template function returns; the engine wraps it as
/// `error calling NAME: MESSAGE` with the template position, as Go does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FuncError(pub String);

impl FuncError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FuncError {}

/// A template function that needs only its arguments (every Sprig function).
pub type Func = fn(&[Value]) -> Result<Value, FuncError>;

impl Value {
    /// A string value.
    pub fn string(s: impl Into<Arc<str>>) -> Self {
        Value::String(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Arc::new(items).into())
    }

    /// A list value of Go type `ty` (see [`ListRef`]).
    pub fn typed_list(ty: ListType, items: Vec<Value>) -> Self {
        Value::List(ListRef::typed(ty, items))
    }

    /// A map value.
    pub fn map(map: Map) -> Self {
        Value::Map(Arc::new(map).into())
    }

    /// Go's truth for `if`, `with`, `and`, `or`, `not`: false for nil, false, 0, "", and empty
    /// lists and maps (helm's map and slice types, such as `.Files.Glob`'s result, included); true
    /// otherwise (structs and pointers to them are always true).
    pub fn is_truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::String(s) => !s.is_empty(),
            Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(o) => o.elements().is_none_or(|e| e.is_truthy()),
        }
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The map inside, if this is a map.
    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The list inside, if this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// Go's type name as Sprig's `typeOf` prints it (`float64`, `map[string]interface {}`, ...).
    pub fn type_name(&self) -> &str {
        match self {
            Value::Nil => "<nil>",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) => "[]uint8",
            Value::List(l) => l.ty.name(),
            Value::Map(m) if m.values => "common.Values",
            Value::Map(_) => "map[string]interface {}",
            Value::Object(o) => o.type_name(),
        }
    }

    /// Go's reflect kind as Sprig's `kindOf` prints it (`float64`, `map`, `slice`, `invalid`, ...).
    pub fn kind(&self) -> &str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Float(_) => "float64",
            Value::String(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(o) => o.kind(),
        }
    }

    /// Converts JSON into a value the way Helm decodes values: every number becomes `float64`.
    pub fn from_json(json: &serde_json::Value) -> Self {
        match json {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::string(s.as_str()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(map) => Value::map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The plain data tree `encoding/json` would see: objects become their plain form.
    pub fn to_plain(&self) -> Value {
        match self {
            Value::Object(o) => o.to_plain(),
            Value::List(l) => Value::list(l.iter().map(Value::to_plain).collect()),
            Value::Map(m) => Value::map(m.iter().map(|(k, v)| (k.clone(), v.to_plain())).collect()),
            other => other.clone(),
        }
    }
}

/// Writes `f` the way Go's `%v` (strconv `'g'`, shortest) does: `1e+06`, `100000`, `1.5`, `1e-05`,
/// `+Inf`, `NaN`.
pub fn format_go_float(out: &mut impl fmt::Write, f: f64) -> fmt::Result {
    if f.is_nan() {
        return out.write_str("NaN");
    }
    if f.is_infinite() {
        return out.write_str(if f > 0.0 { "+Inf" } else { "-Inf" });
    }
    if f == 0.0 {
        return out.write_str(if f.is_sign_negative() { "-0" } else { "0" });
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "d.ddde<exp>".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if negative {
        out.write_char('-')?;
    }
    if !(-4..6).contains(&exp) {
        out.write_str(&digits[..1])?;
        if digits.len() > 1 {
            out.write_char('.')?;
            out.write_str(&digits[1..])?;
        }
        let sign = if exp < 0 { '-' } else { '+' };
        write!(out, "e{sign}{:02}", exp.abs())
    } else if exp < 0 {
        out.write_str("0.")?;
        for _ in 0..(-exp - 1) {
            out.write_char('0')?;
        }
        out.write_str(&digits)
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.write_str(&digits)?;
            for _ in digits.len()..int_len {
                out.write_char('0')?;
            }
            Ok(())
        } else {
            out.write_str(&digits[..int_len])?;
            out.write_char('.')?;
            out.write_str(&digits[int_len..])
        }
    }
}

impl fmt::Display for Value {
    /// Go's `%v`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => f.write_str("<nil>"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) | Value::Int64(i) => write!(f, "{i}"),
            Value::Float(x) => format_go_float(f, *x),
            Value::String(s) => f.write_str(s),
            Value::Bytes(b) => {
                f.write_str("[")?;
                for (i, byte) in b.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{byte}")?;
                }
                f.write_str("]")
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    grow(|| write!(f, "{item}"))?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("map[")?;
                for (i, (k, v)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    grow(|| write!(f, "{k}:{v}"))?;
                }
                f.write_str("]")
            }
            Value::Object(o) => f.write_str(&o.go_format()),
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::String(s) => write!(f, "{s:?}"),
            Value::Object(o) => write!(f, "{o:?}"),
            other => write!(f, "{other}"),
        }
    }
}

impl PartialEq for Value {
    /// Structural equality (Sprig's `deepEqual`); objects compare by their plain form.
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Nil, Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            // `int` and `int64` are different types to reflect.DeepEqual.
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Bytes(a), Value::Bytes(b)) => a == b,
            // So are `[]int` and `[]interface {}`.
            (Value::List(a), Value::List(b)) => a.ty == b.ty && a.items == b.items,
            // `common.Values` and `map[string]interface {}` are different types to DeepEqual.
            (Value::Map(a), Value::Map(b)) => a.values == b.values && a.map == b.map,
            (Value::Object(a), Value::Object(b)) => a.to_plain() == b.to_plain(),
            _ => false,
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::string(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::string(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<f64> for Value {
    fn from(x: f64) -> Self {
        Value::Float(x)
    }
}

/// Runs `f`, first moving to a fresh heap-allocated stack segment if little stack is left, so
/// that walking deeply nested data (a small YAML document can nest thousands of levels) never
/// overflows the stack.
pub(crate) fn grow<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(64 * 1024, 1024 * 1024, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(f: f64) -> String {
        Value::Float(f).to_string()
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(go(1_000_000.0), "1e+06");
        assert_eq!(go(100_000.0), "100000");
        assert_eq!(go(1.5), "1.5");
        assert_eq!(go(0.0001), "0.0001");
        assert_eq!(go(0.00001), "1e-05");
        assert_eq!(go(123_456.7), "123456.7");
        assert_eq!(go(1_234_567.0), "1.234567e+06");
        assert_eq!(go(-2.0), "-2");
        assert_eq!(go(1e21), "1e+21");
        assert_eq!(go(3.0), "3");
    }

    #[test]
    fn collections_print_like_go() {
        let mut m = Map::new();
        m.insert("b".into(), Value::Float(2.0));
        m.insert("a".into(), Value::list(vec!["x".into(), Value::Nil]));
        assert_eq!(Value::map(m).to_string(), "map[a:[x <nil>] b:2]");
    }
}
