//! `--set` and `--set-string` expressions (Helm's `strvals`): `a.b=c`, `list[0]=x`,
//! `a={x,y}`, `a\.b=c` escapes, comma-separated pairs, `null` to delete a default.
//!
//! With `--set`, `true`/`false` (any case) become booleans, `null` becomes nil, and decimal
//! integers without a leading zero become `int64` ([`Value::Int64`], unlike values files, whose
//! numbers are `float64`). `--set-string` keeps every value a string.

use crate::value::{Map, Value};

const MAX_INDEX: usize = 65536;
const MAX_NESTED_NAME_LEVEL: usize = 30;

/// Parses `expr` into `dest` (`--set`).
pub fn parse_into(expr: &str, dest: &mut Map) -> Result<(), String> {
    Parser::new(expr, false).parse(dest)
}

/// Parses `expr` into `dest`, every value a string (`--set-string`).
pub fn parse_into_string(expr: &str, dest: &mut Map) -> Result<(), String> {
    Parser::new(expr, true).parse(dest)
}

/// Parses `expr` into a fresh map (`--set`).
pub fn parse(expr: &str) -> Result<Map, String> {
    let mut m = Map::new();
    parse_into(expr, &mut m)?;
    Ok(m)
}

/// The end of input, as Go's `io.EOF`.
#[derive(Debug)]
enum Stop {
    Eof,
    Err(String),
}

impl From<String> for Stop {
    fn from(s: String) -> Self {
        Stop::Err(s)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    strings: bool,
}

fn typed_val(v: &str, strings: bool) -> Value {
    if strings {
        return Value::string(v);
    }
    if v.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if v.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if v.eq_ignore_ascii_case("null") {
        return Value::Nil;
    }
    if v == "0" {
        return Value::Int64(0);
    }
    if !v.is_empty() && !v.starts_with('0') {
        let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(i) = v.parse::<i64>()
        {
            return Value::Int64(i);
        }
    }
    Value::string(v)
}

fn set(data: &mut Map, key: &str, val: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), val);
    }
}

fn set_index(list: &mut Vec<Value>, index: i64, val: Value) -> Result<(), String> {
    if index < 0 {
        return Err(format!("negative {index} index not allowed"));
    }
    let index = index as usize;
    if index > MAX_INDEX {
        return Err(format!(
            "index of {index} is greater than maximum supported index of {MAX_INDEX}"
        ));
    }
    if list.len() <= index {
        list.resize(index + 1, Value::Nil);
    }
    list[index] = val;
    Ok(())
}

impl Parser {
    fn new(expr: &str, strings: bool) -> Self {
        Self {
            chars: expr.chars().collect(),
            pos: 0,
            strings,
        }
    }

    fn parse(&mut self, data: &mut Map) -> Result<(), String> {
        loop {
            match self.key(data, 0) {
                Ok(()) => {}
                Err(Stop::Eof) => return Ok(()),
                Err(Stop::Err(e)) => return Err(e),
            }
        }
    }

    fn read(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    /// Reads until one of `stop` (returned) or the end (`None`); `\` escapes the next char.
    fn runes_until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut v = String::new();
        loop {
            match self.read() {
                None => return (v, None),
                Some(c) if stop.contains(&c) => return (v, Some(c)),
                Some('\\') => match self.read() {
                    None => return (v, None),
                    Some(n) => v.push(n),
                },
                Some(c) => v.push(c),
            }
        }
    }

    fn key(&mut self, data: &mut Map, level: usize) -> Result<(), Stop> {
        let (k, last) = self.runes_until(&['=', '[', ',', '.']);
        match last {
            None => {
                if k.is_empty() {
                    Err(Stop::Eof)
                } else {
                    Err(Stop::Err(format!("key {k:?} has no value")))
                }
            }
            Some('[') => {
                let i = self
                    .key_index()
                    .map_err(|e| format!("error parsing index: {e}"))?;
                let mut list = match data.get(&k) {
                    None => Vec::new(),
                    Some(Value::List(l)) => (**l).clone(),
                    Some(other) => {
                        return Err(Stop::Err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            other.type_name()
                        )));
                    }
                };
                let r = self.list_item(&mut list, i, level);
                set(data, &k, Value::list(list));
                r
            }
            Some('=') => match self.val_list() {
                Ok(vl) => {
                    set(data, &k, Value::list(vl));
                    Ok(())
                }
                Err(ListErr::Eof) => {
                    set(data, &k, Value::string(""));
                    Err(Stop::Eof)
                }
                Err(ListErr::NotList) => {
                    let (rs, _) = self.runes_until(&[',']);
                    set(data, &k, typed_val(&rs, self.strings));
                    Ok(())
                }
                Err(ListErr::Other(e)) => Err(Stop::Err(e)),
            },
            Some(',') => {
                set(data, &k, Value::string(""));
                Err(Stop::Err(format!(
                    "key {k:?} has no value (cannot end with ,)"
                )))
            }
            Some(_) => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return Err(Stop::Err(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    )));
                }
                let mut inner = match data.get(&k) {
                    None => Map::new(),
                    Some(Value::Map(m)) => (**m).clone(),
                    Some(other) => {
                        return Err(Stop::Err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                            other.type_name()
                        )));
                    }
                };
                let e = self.key(&mut inner, level);
                if e.is_ok() && inner.is_empty() {
                    return Err(Stop::Err(format!("key map {k:?} has no value")));
                }
                if !inner.is_empty() {
                    set(data, &k, Value::map(inner));
                }
                e
            }
        }
    }

    fn key_index(&mut self) -> Result<i64, String> {
        let (v, last) = self.runes_until(&[']']);
        if last.is_none() {
            return Err("EOF".into());
        }
        v.parse::<i64>()
            .map_err(|_| format!("strconv.Atoi: parsing {v:?}: invalid syntax"))
    }

    fn list_item(&mut self, list: &mut Vec<Value>, i: i64, level: usize) -> Result<(), Stop> {
        if i < 0 {
            return Err(Stop::Err(format!("negative {i} index not allowed")));
        }
        let (k, last) = self.runes_until(&['[', '.', '=']);
        if !k.is_empty() {
            return Err(Stop::Err(format!(
                "unexpected data at end of array index: {}",
                go_quote_runes(&k)
            )));
        }
        match last {
            None => Err(Stop::Eof),
            Some('=') => match self.val_list() {
                Ok(vl) => Ok(set_index(list, i, Value::list(vl))?),
                Err(ListErr::Eof) => Ok(set_index(list, i, Value::string(""))?),
                Err(ListErr::NotList) => {
                    let (rs, _) = self.runes_until(&[',']);
                    Ok(set_index(list, i, typed_val(&rs, self.strings))?)
                }
                Err(ListErr::Other(e)) => Err(Stop::Err(e)),
            },
            Some('[') => {
                let next = self
                    .key_index()
                    .map_err(|e| format!("error parsing index: {e}"))?;
                let mut crt = match list.get(i as usize) {
                    Some(Value::List(l)) => (**l).clone(),
                    Some(Value::Nil) | None => Vec::new(),
                    Some(other) => {
                        return Err(Stop::Err(format!(
                            "unable to parse key: interface conversion: interface {{}} is {}, not []interface {{}}",
                            other.type_name()
                        )));
                    }
                };
                self.list_item(&mut crt, next, level)?;
                Ok(set_index(list, i, Value::list(crt))?)
            }
            Some(_) => {
                let mut inner = match list.get(i as usize) {
                    Some(Value::Map(m)) => (**m).clone(),
                    _ => Map::new(),
                };
                self.key(&mut inner, level)?;
                Ok(set_index(list, i, Value::map(inner))?)
            }
        }
    }

    fn val_list(&mut self) -> Result<Vec<Value>, ListErr> {
        match self.read() {
            None => return Err(ListErr::Eof),
            Some('{') => {}
            Some(_) => {
                self.pos -= 1;
                return Err(ListErr::NotList);
            }
        }
        let mut list = Vec::new();
        loop {
            let (rs, last) = self.runes_until(&[',', '}']);
            match last {
                None => return Err(ListErr::Other("list must terminate with '}'".into())),
                Some('}') => {
                    if let Some(c) = self.read()
                        && c != ','
                    {
                        self.pos -= 1;
                    }
                    list.push(typed_val(&rs, self.strings));
                    return Ok(list);
                }
                Some(_) => list.push(typed_val(&rs, self.strings)),
            }
        }
    }
}

enum ListErr {
    Eof,
    NotList,
    Other(String),
}

/// Go's `%q` of a `[]rune`: `['b' 'c']`.
fn go_quote_runes(s: &str) -> String {
    let quoted: Vec<String> = s
        .chars()
        .map(|c| match c {
            '\'' => "'\\''".to_string(),
            '"' => "'\"'".to_string(),
            c => {
                let q = crate::gofmt::quote(&c.to_string());
                format!("'{}'", q.trim_start_matches('"').trim_end_matches('"'))
            }
        })
        .collect();
    format!("[{}]", quoted.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(v: &Value) -> String {
        match v {
            Value::String(s) => format!("{s:?}"),
            Value::List(l) => format!("[{}]", l.iter().map(q).collect::<Vec<_>>().join(" ")),
            Value::Map(m) => format!(
                "map[{}]",
                m.iter()
                    .map(|(k, v)| format!("{k}:{}", q(v)))
                    .collect::<Vec<_>>()
                    .join(" ")
            ),
            other => other.to_string(),
        }
    }

    fn show(expr: &str) -> String {
        match parse(expr) {
            Ok(m) => q(&Value::map(m)),
            Err(e) => format!("error: {e}"),
        }
    }

    #[test]
    fn set_syntax() {
        assert_eq!(show("a=b,c.d=1"), r#"map[a:"b" c:map[d:1]]"#);
        assert_eq!(show("list[0]=x,list[2]=z"), r#"map[list:["x" <nil> "z"]]"#);
        assert_eq!(show("a={x,y}"), r#"map[a:["x" "y"]]"#);
        assert_eq!(show(r"a\.b=c"), r#"map[a.b:"c"]"#);
        assert_eq!(
            show("a=null,b=TRUE,c=007,d=-3"),
            r#"map[a:<nil> b:true c:"007" d:-3]"#
        );
        assert_eq!(show("a[0].b=1"), "map[a:[map[b:1]]]");
        assert_eq!(show("a="), r#"map[a:""]"#);
        assert_eq!(show("a"), r#"error: key "a" has no value"#);
        assert_eq!(show("a.b"), r#"error: key "b" has no value"#);
        assert_eq!(
            show("a,b=1"),
            r#"error: key "a" has no value (cannot end with ,)"#
        );
    }

    #[test]
    fn set_string_keeps_strings() {
        let mut m = Map::new();
        parse_into_string("a=1,b=true", &mut m).unwrap();
        assert_eq!(q(&Value::map(m)), r#"map[a:"1" b:"true"]"#);
    }
}
