//! go-yaml v2's resolution of plain scalars (`resolve.go`), the one place both directions
//! read it from: the reader ([`super::parse`]) turns a plain scalar into the value it means,
//! the writer ([`super::emit`]) quotes a string whenever written plain it would mean anything
//! else.
//!
//! go-yaml's two patterns (`yamlStyleFloat`, base 60 floats) are matched by hand: compiling
//! them as regexes cost a process a quarter of a million instructions on its first `toYaml`.

use std::borrow::Cow;

/// What a plain scalar's text resolves to, before any tag or the JSON round trip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Plain {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    /// `2001-12-14`, `2001-12-14t21:59:43.10-05:00`: go-yaml decodes it into an interface as the
    /// string it is, but its writer quotes it so that it reads back as a string elsewhere too.
    Timestamp,
    Str,
}

/// Resolves the text of a plain scalar as go-yaml v2's `resolve("", text)` does.
///
/// `<<` is a string here as in go-yaml (a merge key is told by its text where a key is read).
pub(crate) fn resolve(text: &str) -> Plain {
    // go-yaml's hint table: only a sign, a digit, a dot or the first letter of a word in its
    // map can start anything other than a string.
    let Some(&first) = text.as_bytes().first() else {
        return Plain::Null;
    };
    if !matches!(
        first,
        b'+' | b'-' | b'0'
            ..=b'9'
                | b'.'
                | b'y'
                | b'Y'
                | b'n'
                | b'N'
                | b't'
                | b'T'
                | b'f'
                | b'F'
                | b'o'
                | b'O'
                | b'~'
    ) {
        return Plain::Str;
    }
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Plain::Bool(true);
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Plain::Bool(false);
        }
        "~" | "null" | "Null" | "NULL" => return Plain::Null,
        ".nan" | ".NaN" | ".NAN" => return Plain::Float(f64::NAN),
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => {
            return Plain::Float(f64::INFINITY);
        }
        "-.inf" | "-.Inf" | "-.INF" => return Plain::Float(f64::NEG_INFINITY),
        _ => {}
    }
    match first {
        b'.' => crate::funcs::parse_float_go(text).map_or(Plain::Str, Plain::Float),
        b'+' | b'-' | b'0'..=b'9' => resolve_number(text),
        _ => Plain::Str,
    }
}

/// go-yaml's `'D'` and `'S'` cases: a timestamp, then (with every `_` dropped) an int, a uint,
/// a float, or go-yaml's own `0b` binary.
fn resolve_number(text: &str) -> Plain {
    if is_timestamp(text) {
        return Plain::Timestamp;
    }
    let plain = if text.contains('_') {
        Cow::Owned(text.replace('_', ""))
    } else {
        Cow::Borrowed(text)
    };
    if let Some(i) = go_parse_int(&plain) {
        return Plain::Int(i);
    }
    if let Some(u) = go_parse_uint(&plain) {
        return Plain::Uint(u);
    }
    if is_yaml_style_float(&plain)
        && let Some(f) = crate::funcs::parse_float_go(&plain)
    {
        return Plain::Float(f);
    }
    // `ParseInt(rest, 2, 64)`, which takes a sign (`0b-1`); for `-0b`, `ParseInt("-" + rest, 2,
    // 64)`, so `-0b+1` stays a string.
    let binary = if let Some(bin) = plain.strip_prefix("0b") {
        i64::from_str_radix(bin, 2).ok()
    } else if let Some(bin) = plain.strip_prefix("-0b") {
        i64::from_str_radix(&format!("-{bin}"), 2).ok()
    } else {
        None
    };
    binary.map_or(Plain::Str, Plain::Int)
}

/// Whether go-yaml's writer must quote the string `s`: written plain it would resolve to
/// something else, or it is a YAML 1.1 base 60 float (`1:20`), which go-yaml no longer reads
/// but still quotes.
pub(crate) fn needs_quotes(s: &str) -> bool {
    resolve(s) != Plain::Str || is_base60_float(s)
}

/// The number of ASCII digits (or, with `underscore`, digits and `_`) `b` starts with.
fn digits(b: &[u8], underscore: bool) -> usize {
    b.iter()
        .take_while(|c| c.is_ascii_digit() || (underscore && **c == b'_'))
        .count()
}

/// go-yaml v2's base 60 float:
/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`.
fn is_base60_syntax(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'-' | b'+')));
    if !b.get(i).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    i += digits(&b[i..], true);
    let mut groups = 0;
    while b.get(i) == Some(&b':') {
        i += 1;
        // One digit, or two with the first 0-5; a third digit matches neither way.
        match (b.get(i), b.get(i + 1)) {
            (Some(b'0'..=b'5'), Some(d)) if d.is_ascii_digit() => i += 2,
            (Some(d), _) if d.is_ascii_digit() => i += 1,
            _ => return false,
        }
        if b.get(i).is_some_and(u8::is_ascii_digit) {
            return false;
        }
        groups += 1;
    }
    if groups == 0 {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        i += digits(&b[i..], true);
    }
    i == b.len()
}

fn is_base60_float(s: &str) -> bool {
    let Some(c) = s.bytes().next() else {
        return false;
    };
    if !(c == b'+' || c == b'-' || c.is_ascii_digit()) || !s.contains(':') {
        return false;
    }
    is_base60_syntax(s)
}

/// go-yaml's `parseTimestamp`: `YYYY-M-D`, optionally followed by `T`/`t`/space and
/// `h:m:s[.frac]` and (after `T`/`t`) a `Z` or `±hh:mm` zone.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 5 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let mut p = Parser { b, i: 5 };
    let year: u32 = match s[..4].parse() {
        Ok(y) => y,
        Err(_) => return false,
    };
    let Some(month) = p.num(1, 2) else {
        return false;
    };
    if !p.eat(b'-') {
        return false;
    }
    let Some(day) = p.num(1, 2) else { return false };
    if !(1..=12).contains(&month) || day < 1 || day > days_in(month, year) {
        return false;
    }
    if p.done() {
        return true;
    }
    let sep = b[p.i];
    if !matches!(sep, b'T' | b't' | b' ') {
        return false;
    }
    p.i += 1;
    let (Some(h), true, Some(m), true, Some(sec)) = (
        p.num(1, 2),
        p.eat(b':'),
        p.num(1, 2),
        p.eat(b':'),
        p.num(1, 2),
    ) else {
        return false;
    };
    if h > 23 || m > 59 || sec > 59 {
        return false;
    }
    if p.eat(b'.') {
        let start = p.i;
        while p.i < b.len() && b[p.i].is_ascii_digit() {
            p.i += 1;
        }
        if p.i == start {
            return false;
        }
    }
    if p.done() {
        return sep == b' ';
    }
    if sep == b' ' {
        return false;
    }
    if p.eat(b'Z') {
        return p.done();
    }
    if !(p.eat(b'+') || p.eat(b'-')) {
        return false;
    }
    let (Some(zh), true, Some(zm)) = (p.num(2, 2), p.eat(b':'), p.num(2, 2)) else {
        return false;
    };
    zh <= 24 && zm <= 59 && p.done()
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        while self.i < self.b.len() && self.i - start < max && self.b[self.i].is_ascii_digit() {
            self.i += 1;
        }
        if self.i - start < min {
            return None;
        }
        std::str::from_utf8(&self.b[start..self.i])
            .ok()?
            .parse()
            .ok()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn done(&self) -> bool {
        self.i >= self.b.len()
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// go-yaml's `yamlStyleFloat`: `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`.
fn is_yaml_style_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - start
    };
    if i < b.len() && b[i] == b'.' {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    } else {
        if digits(&mut i) == 0 {
            return false;
        }
        if i < b.len() && b[i] == b'.' {
            i += 1;
            digits(&mut i);
        }
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, then `0x`/`0o`/`0b`/leading-`0` octal or decimal.
fn go_parse_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let magnitude = go_parse_uint_body(body)?;
    if neg {
        if magnitude <= (i64::MAX as u64) + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `strconv.ParseUint(s, 0, 64)` (no sign allowed).
fn go_parse_uint(s: &str) -> Option<u64> {
    go_parse_uint_body(s)
}

fn go_parse_uint_body(s: &str) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let (radix, digits) = if let Some(r) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = s.strip_prefix("0o").or_else(|| s.strip_prefix("0O")) {
        (8, r)
    } else if let Some(r) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        (2, r)
    } else if s.len() > 1 && s.starts_with('0') {
        (8, &s[1..])
    } else {
        (10, s)
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution() {
        for s in [
            "yes",
            "1e3",
            "0x1F",
            "",
            "null",
            "~",
            "2006-01-02",
            "+1",
            ".5",
            "3.0",
            "1_000",
            "0o17",
            "08",
        ] {
            assert!(needs_quotes(s), "{s}");
        }
        for s in ["abc", "-", "1.2.3", "0x", "2006-13-01", "..."] {
            assert!(!needs_quotes(s), "{s}");
        }
        assert!(is_base60_float("1:20"));
        assert!(is_timestamp("2001-12-14t21:59:43.10-05:00"));
        assert!(is_timestamp("2001-12-14 21:59:43.10"));
        assert!(!is_timestamp("2001-02-30"));
    }

    #[test]
    fn hand_matchers_accept_what_go_yamls_patterns_accept() {
        let float =
            regex::Regex::new(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$").unwrap();
        let base60 =
            regex::Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").unwrap();
        let alphabet = ['0', '5', '6', '_', ':', '.', 'e', 'E', '+', '-', 'x'];
        let mut texts = vec![String::new()];
        let mut start = 0;
        for _ in 0..5 {
            let end = texts.len();
            for i in start..end {
                for c in alphabet {
                    let mut t = texts[i].clone();
                    t.push(c);
                    texts.push(t);
                }
            }
            start = end;
        }
        for t in &texts {
            assert_eq!(is_yaml_style_float(t), float.is_match(t), "{t:?}");
            assert_eq!(is_base60_syntax(t), base60.is_match(t), "{t:?}");
        }
        for t in [
            "190:20:30.15",
            "1_0:59",
            "-1:60",
            "1:5",
            "1:05.",
            "+12:34:56._",
        ] {
            assert_eq!(is_base60_syntax(t), base60.is_match(t), "{t:?}");
        }
    }
}
