//! YAML output byte-identical to Helm's `toYaml` (sigs.k8s.io/yaml over go-yaml v2).
//!
//! sigs.k8s.io/yaml marshals a value to JSON first, reads that JSON back with go-yaml v2 and
//! emits it with go-yaml v2's emitter. That round trip decides what comes out:
//! - map keys are sorted by go-yaml's "natural" order (`s2` before `s10`), not byte order;
//! - numbers are what JSON printed, re-read as YAML: a float with an integral value up to 1e21
//!   prints as an integer (`1e+06` → `1000000`), others in Go's shortest `%g` form
//!   (`123456789.5` → `1.234567895e+08`);
//! - strings that would read back as something else (`"yes"`, `"1e3"`, `"0x1F"`, `""`,
//!   `"2006-01-02"`, `"1:20"`) are double-quoted; strings that cannot be plain (`": "`,
//!   leading/trailing spaces, indicators) are single-quoted; strings with characters YAML
//!   cannot print raw (tabs, emoji, control characters) are double-quoted with escapes;
//!   multi-line strings become `|` literal blocks (with `-`/`+` chomping and an indentation
//!   indicator when they start with a space or break);
//! - lists are not indented under their key; empty collections print as `[]`/`{}`;
//! - plain and quoted scalars are folded at spaces past column 80, as go-yaml v2 does;
//! - what JSON leaves raw, go-yaml reads: a NEL (U+0085) in a string is a line break it folds,
//!   in a key it is an error (a key over two lines), and U+007F or a C1 control is refused;
//! - a string that starts with a BOM has every character escaped (go-yaml's BOM test looks at
//!   the scalar's first bytes, not the current character).
//!
//! The emitter below follows go-yaml v2's `emitterc.go` state for just the events such a
//! document has (block mappings and sequences, empty flow collections, scalars).
//!
//! ```
//! use kokumi_render::value::{Map, Value};
//! use kokumi_render::yaml::emit::to_yaml;
//!
//! let mut m = Map::new();
//! m.insert("enabled".into(), Value::from("yes"));
//! m.insert("items".into(), Value::list(vec![Value::Float(1e6), Value::from("a: b")]));
//! assert_eq!(to_yaml(&Value::map(m)).unwrap(), "enabled: \"yes\"\nitems:\n- 1000000\n- 'a: b'\n");
//! ```

use std::fmt;

use crate::value::{Value, format_go_float};

/// Why a value cannot be marshalled (what `encoding/json` refuses, or go-yaml reading its JSON).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmitError {
    /// A float that JSON cannot represent: `json: unsupported value: NaN`.
    UnsupportedValue(String),
    /// A string holding a character JSON leaves raw and go-yaml's reader refuses (U+007F, the
    /// C1 controls but U+0085, U+FFFE, U+FFFF), met reading the JSON back.
    ControlCharacters,
    /// A map key holding U+0085 (NEL), which go-yaml reads back as a line break: a key over two
    /// lines ends the JSON's flow mapping. The number is the line go-yaml names, the count of
    /// breaks before the `:` after the key.
    MultilineKey(usize),
}

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitError::UnsupportedValue(v) => write!(f, "json: unsupported value: {v}"),
            EmitError::ControlCharacters => f.write_str("yaml: control characters are not allowed"),
            EmitError::MultilineKey(line) => {
                write!(f, "yaml: line {line}: did not find expected ',' or '}}'")
            }
        }
    }
}

impl std::error::Error for EmitError {}

/// sigs.k8s.io/yaml's `Marshal`: the YAML text, ending with a newline.
pub fn to_yaml(v: &Value) -> Result<String, EmitError> {
    let mut e = Emitter::new(false);
    e.node(v, Ctx::ROOT)?;
    if e.unusual_chars {
        let opts = crate::funcs::JsonOpts {
            escape_html: true,
            pretty: false,
        };
        read_back(&crate::funcs::to_json(v, opts)?)?;
    }
    // Document end: a line break unless at the start of a line.
    e.write_indent_root();
    Ok(e.out)
}

/// Whether `s` may hold a character the JSON round trip treats specially: U+007F, U+0080 to
/// U+009F (NEL among them) or U+FFFE/U+FFFF. A quick byte test; [`read_back`] tells.
fn has_unusual_chars(s: &str) -> bool {
    memchr::memchr3(0x7F, 0xC2, 0xEF, s.as_bytes()).is_some()
}

/// What go-yaml meets reading back `json`, the text `json.Marshal` wrote: a character its reader
/// refuses, or a key holding a NEL, which it reads as a line break (every other break is escaped
/// in JSON), and a key over two lines ends the flow mapping. Its reader checks characters one
/// raw chunk of 512 bytes at a time, so a refused character later in the text may still be met
/// first, while the parser reaches the key.
fn read_back(json: &str) -> Result<(), EmitError> {
    let refused = json
        .char_indices()
        .find(|&(_, c)| matches!(c, '\u{7F}'..='\u{84}' | '\u{86}'..='\u{9F}' | '\u{FFFE}' | '\u{FFFF}'))
        .map(|(i, _)| i);
    // The first key holding a NEL: where its `:` is, and the breaks before it.
    let (mut breaks, mut in_string, mut escaped, mut nel) = (0, false, false, false);
    let mut key = None;
    for (i, c) in json.char_indices() {
        if !in_string {
            in_string = c == '"';
            nel = false;
        } else if escaped {
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == '\u{85}' {
            breaks += 1;
            nel = true;
        } else if c == '"' {
            in_string = false;
            if nel && json[i + 1..].starts_with(':') {
                key = Some((i + 1, breaks));
                break;
            }
        }
    }
    match (refused, key) {
        (Some(at), Some((colon, line))) if at >= decoded_before(json, colon) => {
            Err(EmitError::MultilineKey(line))
        }
        (Some(_), _) => Err(EmitError::ControlCharacters),
        (None, Some((_, line))) => Err(EmitError::MultilineKey(line)),
        (None, None) => Ok(()),
    }
}

/// How far go-yaml's reader has decoded `text` once its scanner has looked at the few
/// characters after byte `at`: it fills a raw buffer of 512 bytes, decodes every whole
/// character in it and keeps a split one for the next fill.
fn decoded_before(text: &str, at: usize) -> usize {
    let need = (at + 4).min(text.len());
    let mut end = 0;
    while end < need {
        let mut next = (end + 512).min(text.len());
        while !text.is_char_boundary(next) {
            next -= 1;
        }
        end = next;
    }
    end
}

/// Helm's `toYamlPretty` (go-yaml v3's encoder with a 2-space indent, no JSON round trip):
/// lists are indented under their key, long lines are not folded, floats print in Go's `%g`
/// form (`1e+06`), NaN and infinities as `.nan`/`.inf`, multi-line strings with tabs stay
/// literal blocks, and bytes (`.Files.GetBytes`) are a sequence of numbers.
pub fn to_yaml_pretty(v: &Value) -> Result<String, EmitError> {
    let mut e = Emitter::new(true);
    e.node(v, Ctx::ROOT)?;
    e.write_indent_root();
    Ok(e.out)
}

/// go-yaml's scalar styles.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

#[derive(Clone, Copy)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

impl Ctx {
    const ROOT: Ctx = Ctx {
        root: true,
        mapping: false,
        simple_key: false,
    };
    const SEQ: Ctx = Ctx {
        root: false,
        mapping: false,
        simple_key: false,
    };
    const MAP_VALUE: Ctx = Ctx {
        root: false,
        mapping: true,
        simple_key: false,
    };
    const SIMPLE_KEY: Ctx = Ctx {
        root: false,
        mapping: true,
        simple_key: true,
    };
}

struct Emitter {
    out: String,
    column: usize,
    indent: i64,
    indents: Vec<i64>,
    whitespace: bool,
    indention: bool,
    best_width: usize,
    best_indent: i64,
    /// go-yaml v3 flavour (`toYamlPretty`).
    pretty: bool,
    /// A string or key may hold a character the JSON round trip of `toYaml` refuses or folds.
    unusual_chars: bool,
}

/// The result of go-yaml's `analyze_scalar`.
struct Analysis {
    multiline: bool,
    block_plain_allowed: bool,
    single_quoted_allowed: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_blank(c: Option<char>) -> bool {
    matches!(c, Some(' ' | '\t'))
}

fn is_blankz(c: Option<char>) -> bool {
    match c {
        None | Some('\0') => true,
        Some(c) => c == ' ' || c == '\t' || is_break(c),
    }
}

/// go-yaml's `is_printable` (on the UTF-8 encoding; 4-byte characters are not printable).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

/// go-yaml's `analyze_scalar`. With `v3`, a tab is not a special character (it only rules
/// out plain and single-quoted styles, so a multi-line string with tabs stays a literal block),
/// as go-yaml v3 has it; v2 escapes tabs in double quotes.
fn analyze(value: &str, v3: bool) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain_allowed: true,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let block_indicators = value.starts_with("---") || value.starts_with("...");
    // ASCII text is analysed as its bytes, which are its characters.
    if value.is_ascii() {
        analyze_chars(value.as_bytes(), v3, block_indicators)
    } else {
        let chars: Vec<char> = value.chars().collect();
        analyze_chars(&chars, v3, block_indicators)
    }
}

/// [`analyze`] over the characters of a non-empty scalar.
fn analyze_chars<C: Copy + Into<char>>(chars: &[C], v3: bool, indicators: bool) -> Analysis {
    let mut block_indicators = indicators;
    let mut line_breaks = false;
    let mut special_characters = false;
    let mut leading_space = false;
    let mut leading_break = false;
    let mut trailing_space = false;
    let mut trailing_break = false;
    let mut break_space = false;
    let mut space_break = false;
    let mut tab_characters = false;
    let mut previous_space = false;
    let mut previous_break = false;
    let n = chars.len();
    let mut preceded_by_whitespace = true;
    for i in 0..n {
        let c: char = chars[i].into();
        let next = chars.get(i + 1).map(|&x| x.into());
        let first = i == 0;
        let last = i + 1 == n;
        let followed_by_whitespace = last || is_blank(next);
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_indicators = true,
                '?' | ':' | '-' if followed_by_whitespace => block_indicators = true,
                _ => {}
            }
        } else {
            match c {
                ':' if followed_by_whitespace => block_indicators = true,
                '#' if preceded_by_whitespace => block_indicators = true,
                _ => {}
            }
        }
        if v3 && c == '\t' {
            tab_characters = true;
        } else if !is_printable(c) {
            special_characters = true;
        }
        if c == ' ' {
            if first {
                leading_space = true;
            }
            if last {
                trailing_space = true;
            }
            if previous_break {
                break_space = true;
            }
            previous_space = true;
            previous_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if first {
                leading_break = true;
            }
            if last {
                trailing_break = true;
            }
            if previous_space {
                space_break = true;
            }
            previous_space = false;
            previous_break = true;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_whitespace = is_blankz(Some(c));
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain_allowed: true,
        single_quoted_allowed: true,
        block_allowed: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain_allowed = false;
    }
    if trailing_space {
        a.block_allowed = false;
    }
    if break_space {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || tab_characters || special_characters {
        a.block_plain_allowed = false;
        a.single_quoted_allowed = false;
    }
    if space_break || special_characters {
        a.block_allowed = false;
    }
    if line_breaks {
        a.block_plain_allowed = false;
    }
    if block_indicators {
        a.block_plain_allowed = false;
    }
    a
}

/// The style go-yaml's `stringv` asks for.
fn string_style(s: &str) -> Style {
    let can_use_plain = !super::resolve::needs_quotes(s);
    if s.contains('\n') {
        Style::Literal
    } else if can_use_plain {
        Style::Plain
    } else {
        Style::Double
    }
}

/// go-yaml v2's map key order (sorter.go): numbers before strings, digit runs compared by
/// value, non-letters before letters.
fn key_less(a: &str, b: &str) -> bool {
    // Map keys are nearly always ASCII: compare their bytes, which are their characters,
    // without decoding them into vectors first.
    if a.is_ascii() && b.is_ascii() {
        return key_less_in(a.as_bytes(), b.as_bytes());
    }
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    key_less_in(&ar, &br)
}

/// A character of a key: a `char`, or an ASCII byte (the same character).
trait KeyChar: Copy + PartialOrd {
    fn is_alphabetic(self) -> bool;
    fn is_ascii_digit(self) -> bool;
    fn is_zero(self) -> bool;
    fn digit(self) -> i64;
}

impl KeyChar for char {
    /// go-yaml's sorter asks `unicode.IsLetter`.
    fn is_alphabetic(self) -> bool {
        crate::gounicode::is_letter(self)
    }
    fn is_ascii_digit(self) -> bool {
        char::is_ascii_digit(&self)
    }
    fn is_zero(self) -> bool {
        self == '0'
    }
    fn digit(self) -> i64 {
        i64::from(self as u8 - b'0')
    }
}

impl KeyChar for u8 {
    fn is_alphabetic(self) -> bool {
        self.is_ascii_alphabetic()
    }
    fn is_ascii_digit(self) -> bool {
        u8::is_ascii_digit(&self)
    }
    fn is_zero(self) -> bool {
        self == b'0'
    }
    fn digit(self) -> i64 {
        i64::from(self - b'0')
    }
}

fn key_less_in<C: KeyChar>(ar: &[C], br: &[C]) -> bool {
    let mut i = 0;
    while i < ar.len() && i < br.len() {
        if ar[i] == br[i] {
            i += 1;
            continue;
        }
        let al = ar[i].is_alphabetic();
        let bl = br[i].is_alphabetic();
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i].is_zero() || br[i].is_zero() {
            let mut j = i;
            while j > 0 && ar[j - 1].is_ascii_digit() {
                j -= 1;
                if !ar[j].is_zero() {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while ai < ar.len() && ar[ai].is_ascii_digit() {
            an = an.wrapping_mul(10).wrapping_add(ar[ai].digit());
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && br[bi].is_ascii_digit() {
            bn = bn.wrapping_mul(10).wrapping_add(br[bi].digit());
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Sorts keys with go-yaml's order (a merge sort: the order need not be total).
#[cfg(test)]
fn sort_keys(keys: &mut Vec<&str>) {
    let mut scratch = Vec::with_capacity(keys.len() / 2 + 1);
    merge_sort_by_key(keys, |k: &&str| *k, &mut scratch);
}

/// go-yaml's top-down merge sort of `items` by [`key_less`] on `key`: the left half is the
/// first `len / 2` items, and a right item goes first only if it is less than the left one,
/// so the result is go-yaml's even where its order is not total. `scratch` holds a copy of
/// the left half while merging.
fn merge_sort_by_key<T: Copy>(
    items: &mut [T],
    key: impl Fn(&T) -> &str + Copy,
    scratch: &mut Vec<T>,
) {
    if items.len() < 2 {
        return;
    }
    let mid = items.len() / 2;
    merge_sort_by_key(&mut items[..mid], key, scratch);
    merge_sort_by_key(&mut items[mid..], key, scratch);
    scratch.clear();
    scratch.extend_from_slice(&items[..mid]);
    let (mut i, mut j, mut k) = (0, mid, 0);
    while i < scratch.len() && j < items.len() {
        if key_less(key(&items[j]), key(&scratch[i])) {
            items[k] = items[j];
            j += 1;
        } else {
            items[k] = scratch[i];
            i += 1;
        }
        k += 1;
    }
    while i < scratch.len() {
        items[k] = scratch[i];
        i += 1;
        k += 1;
    }
}

/// Whether a map's keys, in their byte order, are already in go-yaml's order, so that
/// sorting can be skipped. Only decided for ASCII keys without digits: between those go-yaml's
/// order is total (non-letters before letters, each by byte, shorter prefix first), so keys in
/// order pair by pair are sorted. Other maps are sorted.
fn keys_in_order(map: &crate::value::Map) -> bool {
    let simple = |k: &str| k.bytes().all(|b| b.is_ascii() && !b.is_ascii_digit());
    let mut prev: Option<&str> = None;
    for k in map.keys() {
        if !simple(k) {
            return false;
        }
        if let Some(p) = prev
            && !key_less(p, k)
        {
            return false;
        }
        prev = Some(k);
    }
    true
}

/// What the JSON round trip does to a string: JSON leaves U+0085 (NEL) raw, and go-yaml reads
/// it back as a line break inside a double-quoted scalar, folding it like YAML folds breaks
/// (spaces around it dropped, one break becomes a space, `n` breaks become `n-1` newlines).
fn fold_nel(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('\u{85}') {
        return std::borrow::Cow::Borrowed(s);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '\u{85}' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        while out.ends_with(' ') {
            out.pop();
        }
        let mut breaks = 0;
        while i < chars.len() && (chars[i] == '\u{85}' || chars[i] == ' ') {
            if chars[i] == '\u{85}' {
                breaks += 1;
            }
            i += 1;
        }
        if breaks == 1 {
            out.push(' ');
        } else {
            for _ in 1..breaks {
                out.push('\n');
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// How JSON then go-yaml turn a float into a YAML scalar.
fn float_scalar(f: f64) -> Result<String, EmitError> {
    if !f.is_finite() {
        let mut s = String::new();
        let _ = format_go_float(&mut s, f);
        return Err(EmitError::UnsupportedValue(s));
    }
    // A whole number well inside i64 prints in JSON as its digits ("-0" as "0" once read back).
    if f.fract() == 0.0 && f.abs() < 1e15 {
        return Ok((f as i64).to_string());
    }
    let json = crate::funcs::json_float(f);
    if !json.contains(['.', 'e', 'E']) {
        if let Ok(i) = json.parse::<i64>() {
            return Ok(i.to_string());
        }
        if let Ok(u) = json.parse::<u64>() {
            return Ok(u.to_string());
        }
    }
    let back: f64 = json.parse().unwrap_or(f);
    let mut s = String::new();
    let _ = format_go_float(&mut s, back);
    Ok(s)
}

impl Emitter {
    fn new(pretty: bool) -> Self {
        Emitter {
            pretty,
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            best_width: if pretty { usize::MAX } else { 80 },
            best_indent: 2,
            unusual_chars: false,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_str(&mut self, s: &str) {
        self.out.push_str(s);
        self.column += if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        };
    }

    /// Whether a scalar writer would copy `s` unchanged, one column per byte: ASCII without
    /// line breaks, without a byte `escaped` says needs escaping, and either without spaces or
    /// ending before the column where a space becomes a folding point.
    fn verbatim(&self, s: &str, allow_breaks: bool, escaped: impl Fn(u8) -> bool) -> bool {
        let mut spaces = false;
        for b in s.bytes() {
            if b >= 0x80 || b == b'\n' || b == b'\r' || escaped(b) {
                return false;
            }
            spaces |= b == b' ';
        }
        !spaces || !allow_breaks || self.column + s.len() <= self.best_width.saturating_add(1)
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { self.best_indent } else { 0 };
        } else if !indentless {
            self.indent += self.best_indent;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indent_root(&mut self) {
        // Document end: write_indent at indent -1 (= 0).
        self.indent = -1;
        if !self.indention || self.column > 0 || !self.whitespace {
            self.put_break();
        }
    }

    fn write_indicator(
        &mut self,
        ind: &str,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        self.write_str(ind);
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    fn node(&mut self, v: &Value, ctx: Ctx) -> Result<(), EmitError> {
        crate::value::grow(|| self.node_inner(v, ctx))
    }

    fn node_inner(&mut self, v: &Value, ctx: Ctx) -> Result<(), EmitError> {
        match v {
            Value::Nil => self.scalar("null", Style::Plain, ctx),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx),
            Value::Int(i) | Value::Int64(i) => self.scalar(&i.to_string(), Style::Plain, ctx),
            Value::Float(f) if self.pretty => {
                let s = if f.is_nan() {
                    ".nan".to_string()
                } else if f.is_infinite() {
                    if *f > 0.0 {
                        ".inf".to_string()
                    } else {
                        "-.inf".to_string()
                    }
                } else {
                    let mut s = String::new();
                    let _ = format_go_float(&mut s, *f);
                    s
                };
                self.scalar(&s, Style::Plain, ctx)
            }
            Value::Float(f) => {
                let s = float_scalar(*f)?;
                self.scalar(&s, Style::Plain, ctx)
            }
            Value::String(s) if !self.pretty => {
                self.unusual_chars |= has_unusual_chars(s);
                let s = fold_nel(s);
                self.scalar(&s, string_style(&s), ctx)
            }
            Value::String(s) => self.scalar(s, string_style(s), ctx),
            // go-yaml v3 marshals a []byte as a sequence of its bytes.
            Value::Bytes(b) if self.pretty => {
                let items: Vec<Value> = b.iter().map(|x| Value::Int(i64::from(*x))).collect();
                self.node(&Value::list(items), ctx)
            }
            Value::Bytes(b) => {
                use base64::Engine as _;
                let s = base64::engine::general_purpose::STANDARD.encode(b);
                self.scalar(&s, string_style(&s), ctx)
            }
            Value::List(items) => {
                if items.is_empty() {
                    self.empty_flow("[", "]");
                    return Ok(());
                }
                let indentless = !self.pretty && ctx.mapping && !self.indention;
                self.increase_indent(false, indentless);
                for item in items.iter() {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Ctx::SEQ)?;
                }
                self.pop_indent();
                Ok(())
            }
            Value::Map(map) => {
                if map.is_empty() {
                    self.empty_flow("{", "}");
                    return Ok(());
                }
                self.increase_indent(false, false);
                if !self.pretty && !self.unusual_chars {
                    self.unusual_chars = map.keys().any(|k| has_unusual_chars(k));
                }
                if keys_in_order(map) {
                    for (k, v) in map.iter() {
                        self.map_entry(k, v)?;
                    }
                } else {
                    let mut entries: Vec<(&str, &Value)> =
                        map.iter().map(|(k, v)| (k.as_str(), v)).collect();
                    let mut scratch = Vec::with_capacity(entries.len() / 2 + 1);
                    merge_sort_by_key(&mut entries, |e| e.0, &mut scratch);
                    for (k, v) in entries {
                        self.map_entry(k, v)?;
                    }
                }
                self.pop_indent();
                Ok(())
            }
            Value::Object(o) => {
                let plain = o.to_plain();
                self.node(&plain, ctx)
            }
        }
    }

    /// One `key: value` entry of a block mapping.
    fn map_entry(&mut self, k: &str, val: &Value) -> Result<(), EmitError> {
        self.write_indent();
        let a = analyze(k, self.pretty);
        let simple = !a.multiline && k.len() <= 128;
        if simple {
            self.scalar_analyzed(k, string_style(k), Ctx::SIMPLE_KEY, &a);
            self.write_indicator(":", false, false, false);
        } else {
            self.write_indicator("?", true, false, true);
            self.scalar_analyzed(k, string_style(k), Ctx::MAP_VALUE, &a);
            self.write_indent();
            self.write_indicator(":", true, false, true);
        }
        self.node(val, Ctx::MAP_VALUE)
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, s: &str, style: Style, ctx: Ctx) -> Result<(), EmitError> {
        let a = analyze(s, self.pretty);
        self.scalar_analyzed(s, style, ctx, &a);
        Ok(())
    }

    fn scalar_analyzed(&mut self, s: &str, requested: Style, ctx: Ctx, a: &Analysis) {
        let _ = ctx.root;
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain {
            if !a.block_plain_allowed {
                style = Style::Single;
            }
            if s.is_empty() && ctx.simple_key {
                style = Style::Single;
            }
        }
        if style == Style::Single && !a.single_quoted_allowed {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::Double;
        }
        self.increase_indent(true, false);
        let allow_breaks = !ctx.simple_key;
        match style {
            Style::Plain => self.write_plain(s, allow_breaks),
            Style::Single => self.write_single(s, allow_breaks),
            Style::Double => self.write_double(s, allow_breaks),
            Style::Literal => self.write_literal(s),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, s: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        if self.verbatim(s, allow_breaks, |_| false) {
            self.out.push_str(s);
            self.column += s.len();
            self.whitespace = false;
            self.indention = false;
            return;
        }
        self.write_plain_chars(s, allow_breaks);
    }

    /// [`write_plain`](Self::write_plain)'s body, character by character (folding at spaces
    /// past the width, line breaks doubled).
    fn write_plain_chars(&mut self, s: &str, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let mut spaces = false;
        let mut breaks = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
            i += 1;
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_break(&mut self, c: char) {
        if c == '\n' {
            self.put_break();
        } else {
            self.out.push(c);
            self.column = 0;
        }
    }

    fn write_single(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        if self.verbatim(s, allow_breaks, |b| b == b'\'') {
            self.out.push_str(s);
            self.column += s.len();
            self.write_indicator("'", false, false, false);
            self.whitespace = false;
            self.indention = false;
            return;
        }
        self.write_single_chars(s, allow_breaks);
    }

    /// [`write_single`](Self::write_single) after the opening quote, character by character.
    fn write_single_chars(&mut self, s: &str, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        let mut breaks = false;
        for i in 0..n {
            let c = chars[i];
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.best_width
                    && i > 0
                    && i < n - 1
                    && chars.get(i + 1) != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        if self.verbatim(s, allow_breaks, |b| {
            b < 0x20 || b == 0x7F || b == b'"' || b == b'\\'
        }) {
            self.out.push_str(s);
            self.column += s.len();
            self.write_indicator("\"", false, false, false);
            self.whitespace = false;
            self.indention = false;
            return;
        }
        self.write_double_chars(s, allow_breaks);
    }

    /// [`write_double`](Self::write_double) after the opening quote, character by character.
    fn write_double_chars(&mut self, s: &str, allow_breaks: bool) {
        let chars: Vec<char> = s.chars().collect();
        let n = chars.len();
        let mut spaces = false;
        // go-yaml's BOM test looks at the scalar's first bytes wherever it is asked about, so
        // a scalar that starts with U+FEFF has every character escaped (`"\uFEFF\x61"`).
        let escape_all = s.starts_with('\u{FEFF}');
        for i in 0..n {
            let c = chars[i];
            if escape_all
                || !is_printable(c)
                || c == '\u{FEFF}'
                || is_break(c)
                || c == '"'
                || c == '\\'
            {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let v = c as u32;
                        let (ch, w) = if v <= 0xFF {
                            ('x', 2)
                        } else if v <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(ch);
                        let hex = format!("{v:0w$X}");
                        self.write_str(&hex);
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > self.best_width && i > 0 && i < n - 1 {
                    self.write_indent();
                    if chars.get(i + 1) == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        // block scalar hints
        let chars: Vec<char> = s.chars().collect();
        if chars.first().is_some_and(|c| *c == ' ' || is_break(*c)) {
            let hint = char::from(b'0' + self.best_indent as u8);
            self.write_indicator(&hint.to_string(), false, false, false);
        }
        let chomp = match chars.len() {
            0 => Some('-'),
            n => {
                if !is_break(chars[n - 1]) {
                    Some('-')
                } else if n == 1 || is_break(chars[n - 2]) {
                    Some('+')
                } else {
                    None
                }
            }
        };
        if let Some(c) = chomp {
            self.write_indicator(&c.to_string(), false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in chars {
            if is_break(c) {
                self.write_break(c);
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_order_is_natural() {
        let mut k = vec!["s10", "s2", "s1", "a", "B", "", "1", "-"];
        sort_keys(&mut k);
        assert_eq!(k, vec!["", "-", "1", "B", "a", "s1", "s2", "s10"]);
    }

    #[test]
    fn ascii_keys_compare_as_their_characters() {
        let keys = [
            "", "0", "00", "01", "1", "10", "a0", "a00", "a01", "a1", "a10", "a-1", "A", "a", "_",
            "x9y", "x10y", "0a", "a0b0", "a00b", "-", "z", "Z9",
        ];
        for a in keys {
            for b in keys {
                let chars = |s: &str| s.chars().collect::<Vec<char>>();
                assert_eq!(
                    key_less_in(a.as_bytes(), b.as_bytes()),
                    key_less_in(&chars(a), &chars(b)),
                    "{a:?} < {b:?}"
                );
            }
        }
    }

    /// The emitter's state after writing `s` at `column` with `write`, for comparing the
    /// verbatim fast paths with the character loops.
    fn written(
        column: usize,
        s: &str,
        allow_breaks: bool,
        write: fn(&mut Emitter, &str, bool),
    ) -> (String, usize, bool, bool) {
        let mut e = Emitter::new(false);
        e.indent = 2;
        e.out = " ".repeat(column);
        e.column = column;
        e.whitespace = false;
        e.indention = false;
        write(&mut e, s, allow_breaks);
        (e.out, e.column, e.whitespace, e.indention)
    }

    #[test]
    fn verbatim_scalars_are_written_as_the_character_loops_write_them() {
        let texts = [
            String::new(),
            "abc".to_string(),
            "a b".to_string(),
            "a  b".to_string(),
            " lead".to_string(),
            "trail ".to_string(),
            format!("{} {}", "x".repeat(70), "y".repeat(12)),
            format!("{} {} z", "x".repeat(76), "y"),
            format!("{}  {}", "x".repeat(79), "y"),
            "x ".repeat(60),
        ];
        for column in [0, 3, 60, 77, 78, 79, 80, 81, 82, 90] {
            for t in &texts {
                for allow in [true, false] {
                    let fast = written(column, t, allow, |e, s, a| e.write_plain(s, a));
                    let slow = written(column, t, allow, |e, s, a| {
                        e.put(' ');
                        e.write_plain_chars(s, a);
                    });
                    assert_eq!(fast, slow, "plain {t:?} at {column}");
                    let fast = written(column, t, allow, |e, s, a| e.write_single(s, a));
                    let slow = written(column, t, allow, |e, s, a| {
                        e.write_indicator("'", true, false, false);
                        e.write_single_chars(s, a);
                    });
                    assert_eq!(fast, slow, "single {t:?} at {column}");
                    let fast = written(column, t, allow, |e, s, a| e.write_double(s, a));
                    let slow = written(column, t, allow, |e, s, a| {
                        e.write_indicator("\"", true, false, false);
                        e.write_double_chars(s, a);
                    });
                    assert_eq!(fast, slow, "double {t:?} at {column}");
                }
            }
        }
    }

    #[test]
    fn maps_in_go_yaml_order_are_not_sorted_again() {
        let sets: [&[&str]; 6] = [
            &["a", "b", "c"],
            &[
                "app.kubernetes.io/name",
                "app.kubernetes.io/part-of",
                "helm.sh/chart",
            ],
            &["aB", "a_b"],
            &["A", "Z", "_", "a", "z"],
            &["-", ".", "/", "a"],
            &["s1", "s10", "s2"],
        ];
        for keys in sets {
            let map: crate::value::Map = keys.iter().map(|k| (k.to_string(), Value::Nil)).collect();
            let mut sorted: Vec<&str> = map.keys().map(String::as_str).collect();
            sort_keys(&mut sorted);
            let byte_order: Vec<&str> = map.keys().map(String::as_str).collect();
            if keys_in_order(&map) {
                assert_eq!(sorted, byte_order, "{keys:?}");
            }
        }
        let map = |keys: &[&str]| -> crate::value::Map {
            keys.iter().map(|k| (k.to_string(), Value::Nil)).collect()
        };
        assert!(keys_in_order(&map(&[
            "app.kubernetes.io/name",
            "helm.sh/chart"
        ])));
        // `_` sorts after `B` by byte but before it in go-yaml (non-letters first).
        assert!(!keys_in_order(&map(&["aB", "a_b"])));
        assert!(!keys_in_order(&map(&["s1", "s2"])));
    }

    #[test]
    fn whole_floats_print_as_the_json_round_trip_prints_them() {
        for f in [
            0.0,
            -0.0,
            1.0,
            -3.0,
            8080.0,
            1e6,
            999_999_999_999_999.0,
            1e15,
            1e20,
            2e21,
        ] {
            let json = crate::funcs::json_float(f);
            let want = match json.parse::<i64>() {
                Ok(i) if !json.contains(['.', 'e', 'E']) => i.to_string(),
                _ => {
                    let mut s = String::new();
                    let _ = format_go_float(&mut s, json.parse().unwrap_or(f));
                    s
                }
            };
            assert_eq!(float_scalar(f).ok(), Some(want), "{f}");
        }
    }
}
