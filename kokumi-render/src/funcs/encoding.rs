//! Encodings and serialisation: base64/base32, checksums, and Helm's and Sprig's JSON, YAML and
//! TOML functions.

use base64::Engine as _;
use sha2::Digest as _;

use crate::value::{FuncError, Map, Value};
use crate::yaml;

use super::json::{JsonOpts, to_json as json_text};
use super::{arity, ok_str, str_arg};

type R = Result<Value, FuncError>;

fn one_bytes<'a>(args: &'a [Value], name: &str) -> Result<&'a [u8], FuncError> {
    arity(args, 1, name)?;
    super::bytes_arg(&args[0])
}

fn one<'a>(args: &'a [Value], name: &str) -> Result<&'a str, FuncError> {
    arity(args, 1, name)?;
    str_arg(&args[0])
}

/// Go's `base64.StdEncoding`: padded, line breaks ignored, lenient about trailing bits.
fn b64_engine() -> base64::engine::GeneralPurpose {
    base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
    )
}

pub(crate) fn b64enc(args: &[Value]) -> R {
    ok_str(b64_engine().encode(one_bytes(args, "b64enc")?))
}

pub(crate) fn b64dec(args: &[Value]) -> R {
    match b64_decode(one(args, "b64dec")?.as_bytes()) {
        Ok(bytes) => ok_str(super::bytes_to_string(&bytes)),
        Err(at) => ok_str(format!("illegal base64 data at input byte {at}")),
    }
}

fn b64_value(c: u8) -> Option<u8> {
    match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// Go's `base64.StdEncoding.DecodeString`, quantum by quantum, so a bad input fails at the
/// byte offset Go reports (`illegal base64 data at input byte N`).
fn b64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut dbuf = [0u8; 4];
        let mut dlen = 4;
        let mut j = 0;
        let mut trailing_error = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = b64_value(c) {
                dbuf[j] = v;
                j += 1;
                continue;
            }
            if c == b'\n' || c == b'\r' {
                continue;
            }
            if c != b'=' {
                return Err(si - 1);
            }
            match j {
                0 | 1 => return Err(si - 1),
                2 => {
                    while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                        si += 1;
                    }
                    if si == src.len() {
                        return Err(src.len());
                    }
                    if src[si] != b'=' {
                        return Err(si - 1);
                    }
                    si += 1;
                }
                _ => {}
            }
            while si < src.len() && (src[si] == b'\n' || src[si] == b'\r') {
                si += 1;
            }
            if si < src.len() {
                trailing_error = Some(si);
            }
            dlen = j;
            break;
        }
        let n = u32::from(dbuf[0]) << 18
            | u32::from(dbuf[1]) << 12
            | u32::from(dbuf[2]) << 6
            | u32::from(dbuf[3]);
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..dlen - 1]);
        if let Some(at) = trailing_error {
            return Err(at);
        }
    }
    Ok(out)
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Go's `base32.StdEncoding.EncodeToString`.
fn b32_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(5) * 8);
    for chunk in data.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from(buf[0]) << 32
            | u64::from(buf[1]) << 24
            | u64::from(buf[2]) << 16
            | u64::from(buf[3]) << 8
            | u64::from(buf[4]);
        let chars = match chunk.len() {
            1 => 2,
            2 => 4,
            3 => 5,
            4 => 7,
            _ => 8,
        };
        for i in 0..8 {
            if i < chars {
                out.push(char::from(B32[((n >> (35 - 5 * i)) & 31) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Go's `base32.StdEncoding.DecodeString`; the error is Go's `illegal base32 data at input
/// byte N`, N counted after line breaks are dropped. Go decodes quantum by quantum: a bad
/// character fails where it stands, before any length check, and padding ends the input
/// (what follows a complete padding run is ignored).
fn b32_decode(s: &str) -> Result<Vec<u8>, usize> {
    let src: Vec<u8> = s.bytes().filter(|c| *c != b'\r' && *c != b'\n').collect();
    let olen = src.len();
    let mut at = 0;
    let mut out = Vec::with_capacity(olen / 8 * 5);
    let mut end = false;
    while at < olen && !end {
        let mut quantum = [0u8; 8];
        let mut len = 8;
        let mut j = 0;
        while j < 8 {
            let Some(&c) = src.get(at) else {
                // The input ends inside a quantum: padding is missing.
                return Err(at - j);
            };
            at += 1;
            let left = olen - at;
            if c == b'=' && j >= 2 && left < 8 {
                if left + j < 7 {
                    return Err(olen);
                }
                if let Some(k) = (0..7 - j).find(|&k| k < left && src[at + k] != b'=') {
                    return Err(at + k - 1);
                }
                if matches!(j, 1 | 3 | 6) {
                    return Err(at - 1);
                }
                len = j;
                end = true;
                break;
            }
            let Some(v) = B32.iter().position(|x| *x == c) else {
                return Err(at - 1);
            };
            quantum[j] = v as u8;
            j += 1;
        }
        let n = quantum.iter().fold(0u64, |n, &v| (n << 5) | u64::from(v));
        let bytes = match len {
            8 => 5,
            7 => 4,
            5 => 3,
            4 => 2,
            _ => 1,
        };
        out.extend((0..bytes).map(|i| (n >> (32 - 8 * i)) as u8));
    }
    Ok(out)
}

pub(crate) fn b32enc(args: &[Value]) -> R {
    ok_str(b32_encode(one_bytes(args, "b32enc")?))
}

pub(crate) fn b32dec(args: &[Value]) -> R {
    match b32_decode(one(args, "b32dec")?) {
        Ok(bytes) => ok_str(super::bytes_to_string(&bytes)),
        Err(at) => ok_str(format!("illegal base32 data at input byte {at}")),
    }
}

pub(crate) fn sha1sum(args: &[Value]) -> R {
    ok_str(hex::encode(sha1::Sha1::digest(one_bytes(args, "sha1sum")?)))
}

pub(crate) fn sha256sum(args: &[Value]) -> R {
    ok_str(hex::encode(sha2::Sha256::digest(one_bytes(
        args,
        "sha256sum",
    )?)))
}

pub(crate) fn sha512sum(args: &[Value]) -> R {
    ok_str(hex::encode(sha2::Sha512::digest(one_bytes(
        args,
        "sha512sum",
    )?)))
}

/// Adler-32 (RFC 1950) as a decimal string.
pub(crate) fn adler32sum(args: &[Value]) -> R {
    let s = one_bytes(args, "adler32sum")?;
    let (mut a, mut b) = (1u32, 0u32);
    for chunk in s.chunks(5552) {
        for &x in chunk {
            a += u32::from(x);
            b += a;
        }
        a %= 65521;
        b %= 65521;
    }
    ok_str(((b << 16) | a).to_string())
}

// --- JSON --------------------------------------------------------------------------------

const PLAIN: JsonOpts = JsonOpts {
    escape_html: true,
    pretty: false,
};

pub(crate) fn to_json(args: &[Value]) -> R {
    arity(args, 1, "toJson")?;
    ok_str(json_text(&args[0], PLAIN).unwrap_or_default())
}

pub(crate) fn must_to_json(args: &[Value]) -> R {
    arity(args, 1, "mustToJson")?;
    json_text(&args[0], PLAIN)
        .map(Value::from)
        .map_err(|e| FuncError::new(e.to_string()))
}

pub(crate) fn to_pretty_json(args: &[Value]) -> R {
    arity(args, 1, "toPrettyJson")?;
    ok_str(
        json_text(
            &args[0],
            JsonOpts {
                escape_html: true,
                pretty: true,
            },
        )
        .unwrap_or_default(),
    )
}

pub(crate) fn must_to_pretty_json(args: &[Value]) -> R {
    arity(args, 1, "mustToPrettyJson")?;
    json_text(
        &args[0],
        JsonOpts {
            escape_html: true,
            pretty: true,
        },
    )
    .map(Value::from)
    .map_err(|e| FuncError::new(e.to_string()))
}

fn raw_json(args: &[Value], name: &str) -> R {
    arity(args, 1, name)?;
    json_text(
        &args[0],
        JsonOpts {
            escape_html: false,
            pretty: false,
        },
    )
    .map(Value::from)
    .map_err(|e| FuncError::new(e.to_string()))
}

pub(crate) fn to_raw_json(args: &[Value]) -> R {
    raw_json(args, "toRawJson")
}

pub(crate) fn must_to_raw_json(args: &[Value]) -> R {
    raw_json(args, "mustToRawJson")
}

/// Decodes JSON like Go's `json.Unmarshal` into `interface{}`, with Go's error wording for
/// the common cases.
fn decode_json(s: &str) -> Result<Value, String> {
    match serde_json::from_str::<serde_json::Value>(s) {
        Ok(j) => Ok(Value::from_json(&j)),
        Err(e) => Err(go_json_error(s, &e)),
    }
}

pub(crate) fn go_json_error(s: &str, e: &serde_json::Error) -> String {
    if e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    // The offending character, from serde's line/column, and what came before it.
    let Some(line) = s.lines().nth(e.line().saturating_sub(1)) else {
        return e.to_string();
    };
    let before: Vec<char> = line.chars().take(e.column().saturating_sub(1)).collect();
    let Some(c) = line.chars().nth(e.column().saturating_sub(1)) else {
        return e.to_string();
    };
    let first_line = e.line() <= 1 || s.lines().take(e.line() - 1).all(|l| l.trim().is_empty());
    let at_start = first_line && before.iter().all(|c| c.is_whitespace());
    let msg = e.to_string();
    // A number cut short: after its sign, decimal point or exponent (`-x`, `1.x`, `1e-x`).
    let digits_before = |i: usize| {
        before[..i]
            .iter()
            .rev()
            .take_while(|c| c.is_ascii_digit())
            .count()
    };
    let in_number = match before.last() {
        Some('-') => true,
        Some('+') => before.len() >= 2 && matches!(before[before.len() - 2], 'e' | 'E'),
        Some('.' | 'e' | 'E') => digits_before(before.len() - 1) > 0,
        _ => false,
    };
    let what = match before.last() {
        _ if at_start => "looking for beginning of value",
        _ if in_number => "in numeric literal",
        _ if msg.starts_with("trailing characters") => "after top-level value",
        _ if msg.starts_with("key must be a string")
            || (msg.starts_with("trailing comma") && c == '}') =>
        {
            "looking for beginning of object key string"
        }
        _ if msg.starts_with("expected `:`") => "after object key",
        _ if msg.starts_with("expected `,` or `}`") => "after object key:value pair",
        _ if msg.starts_with("expected `,` or `]`") => "after array element",
        _ => "looking for beginning of value",
    };
    format!("invalid character {} {what}", go_char_quote(c))
}

fn go_char_quote(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        '\\' => "'\\\\'".into(),
        c if crate::gounicode::is_print(c) => format!("'{c}'"),
        c => {
            let q = crate::gofmt::quote(&c.to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Map(_) => "object",
        Value::List(_) => "array",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Nil => "null",
        _ => "number",
    }
}

/// Helm's `fromJson`: a map; a problem lands in the map's `Error` key.
pub(crate) fn from_json(args: &[Value]) -> R {
    let s = one(args, "fromJson")?;
    let mut m = Map::new();
    match decode_json(s) {
        Ok(Value::Map(decoded)) => return Ok(Value::Map(decoded)),
        Ok(Value::Nil) => {}
        Ok(other) => {
            m.insert(
                "Error".into(),
                Value::from(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    json_kind(&other)
                )),
            );
        }
        Err(e) => {
            m.insert("Error".into(), Value::from(e));
        }
    }
    Ok(Value::map(m))
}

/// Helm's `fromJsonArray`: a list; a problem becomes its only element.
pub(crate) fn from_json_array(args: &[Value]) -> R {
    let s = one(args, "fromJsonArray")?;
    Ok(match decode_json(s) {
        Ok(Value::List(l)) => Value::List(l),
        Ok(Value::Nil) => Value::list(Vec::new()),
        Ok(other) => Value::list(vec![Value::from(format!(
            "json: cannot unmarshal {} into Go value of type []interface {{}}",
            json_kind(&other)
        ))]),
        Err(e) => Value::list(vec![Value::from(e)]),
    })
}

/// Sprig's `mustFromJson`: any JSON value, or the error.
pub(crate) fn must_from_json(args: &[Value]) -> R {
    let s = one(args, "mustFromJson")?;
    decode_json(s).map_err(FuncError::new)
}

// --- YAML --------------------------------------------------------------------------------

fn yaml_text(v: &Value) -> Result<String, FuncError> {
    let mut s = yaml::emit::to_yaml(v).map_err(|e| FuncError::new(e.to_string()))?;
    if s.ends_with('\n') {
        s.pop();
    }
    Ok(s)
}

pub(crate) fn to_yaml(args: &[Value]) -> R {
    arity(args, 1, "toYaml")?;
    ok_str(yaml_text(&args[0]).unwrap_or_default())
}

pub(crate) fn must_to_yaml(args: &[Value]) -> R {
    arity(args, 1, "mustToYaml")?;
    yaml_text(&args[0]).map(Value::from)
}

/// `toYamlPretty` (go-yaml v3 with a 2-space indent): lists indented under their key, no
/// folding of long lines.
pub(crate) fn to_yaml_pretty(args: &[Value]) -> R {
    arity(args, 1, "toYamlPretty")?;
    let mut s = yaml::emit::to_yaml_pretty(&args[0]).unwrap_or_default();
    if s.ends_with('\n') {
        s.pop();
    }
    ok_str(s)
}

fn yaml_error_text(e: &yaml::parse::YamlError) -> String {
    e.to_string()
}

fn yaml_kind(v: &Value) -> &'static str {
    json_kind(v)
}

/// Helm's `fromYaml`: a map; a problem lands in the map's `Error` key.
pub(crate) fn from_yaml(args: &[Value]) -> R {
    let s = one(args, "fromYaml")?;
    let mut m = Map::new();
    match yaml::parse::parse(s) {
        Ok(Value::Map(decoded)) => return Ok(Value::Map(decoded)),
        Ok(Value::Nil) => {}
        Ok(other) => {
            m.insert(
                "Error".into(),
                Value::from(format!(
                    "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    yaml_kind(&other)
                )),
            );
        }
        Err(e) => {
            m.insert("Error".into(), Value::from(yaml_error_text(&e)));
        }
    }
    Ok(Value::map(m))
}

/// Helm's `fromYamlArray`: a list; a problem becomes its only element.
pub(crate) fn from_yaml_array(args: &[Value]) -> R {
    let s = one(args, "fromYamlArray")?;
    Ok(match yaml::parse::parse(s) {
        Ok(Value::List(l)) => Value::List(l),
        Ok(Value::Nil) => Value::list(Vec::new()),
        Ok(other) => Value::list(vec![Value::from(format!(
            "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
            yaml_kind(&other)
        ))]),
        Err(e) => Value::list(vec![Value::from(yaml_error_text(&e))]),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base32_round_trip() {
        for s in ["", "f", "fo", "foo", "foob", "fooba", "foobar"] {
            let e = b32_encode(s.as_bytes());
            assert_eq!(b32_decode(&e).unwrap(), s.as_bytes(), "{s} -> {e}");
        }
        assert_eq!(b32_encode(b"foobar"), "MZXW6YTBOI======");
    }
}
