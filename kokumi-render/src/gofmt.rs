//! Go's `fmt` package over template values: `Sprintf`, `Sprint`, `Sprintln`.
//!
//! The engine uses these for `printf`, `print` and `println`, and Sprig's functions for their
//! `%v`/`%q` formatting. Every verb Go has for the kinds a template can hold is supported:
//! `%v %+v %#v %T %t %d %b %o %O %x %X %c %q %U %e %E %f %F %g %G %s`, with width,
//! precision, `*`, explicit argument indexes (`%[2]d`) and the flags `- + # 0` and space, and
//! Go's output for misuse: `%!d(string=x)` for a bad verb, `%!d(MISSING)`, `%!(EXTRA int=1)`,
//! `%!(BADWIDTH)`, `%!(BADPREC)`, `%!d(BADINDEX)`, `%!(NOVERB)`. Lists and maps format each
//! element with the verb (`[1 %!d(string=a)]`), as Go's `fmt` does.
//!
//! It does not print: every function returns a `String`.
//!
//! ```
//! use kokumi_render::gofmt::sprintf;
//! use kokumi_render::value::Value;
//!
//! let out = sprintf("%s-%05.1f|%-4d|%q", &[Value::from("a"), Value::Float(3.14158), Value::Int(7), Value::from("x")]);
//! assert_eq!(out, "a-003.1|7   |\"x\"");
//! ```

use crate::gounicode::is_print;
use std::fmt::Write as _;

use crate::value::{Map, Value, format_go_float};

/// Go's `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer {
        out: String::with_capacity(format.len() + 16),
    };
    p.do_printf(format, args);
    p.out
}

/// Go's `fmt.Sprint(args...)`: operands printed with `%v`, a space between two operands when
/// neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer { out: String::new() };
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.out.push(' ');
        }
        p.print_arg(arg, 'v', &Flags::default(), true);
        prev_string = is_string;
    }
    p.out
}

/// Go's `fmt.Sprintln(args...)`: operands printed with `%v`, always separated by a space, and
/// a newline at the end.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer { out: String::new() };
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.out.push(' ');
        }
        p.print_arg(arg, 'v', &Flags::default(), true);
    }
    p.out.push('\n');
    p.out
}

/// The text of Go's `encoding/json` type error (Go 1.27, as helm 4.3.1 is built) for a JSON
/// value of kind `json_kind` (`array`, `object`, `number`...) at `path` (object keys as written
/// and array indexes, from the root) that does not fit `go_type`:
/// `json: cannot unmarshal array into Go struct field .metadata.name of type string`. Path
/// tokens are escaped as in a JSON pointer (`~` as `~0`, `/` as `~1`) and joined with `.`; when
/// the text after the last `.` is all digits (an array index, or a key that looks like one) Go
/// leaves out "Go struct field".
///
/// ```
/// use kokumi_render::gofmt::json_type_error;
/// assert_eq!(
///     json_type_error("array", &["metadata", "annotations", "a/b"], "string"),
///     "json: cannot unmarshal array into Go struct field .metadata.annotations.a~1b of type string"
/// );
/// assert_eq!(
///     json_type_error("array", &["keywords", "0"], "string"),
///     "json: cannot unmarshal array into .keywords.0 of type string"
/// );
/// ```
pub fn json_type_error(json_kind: &str, path: &[&str], go_type: &str) -> String {
    let mut field = String::new();
    for token in path {
        field.push('.');
        field.push_str(&token.replace('~', "~0").replace('/', "~1"));
    }
    let last = field.rsplit('.').next().unwrap_or_default();
    let index = !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit());
    let into = if index { "" } else { "Go struct field " };
    format!("json: cannot unmarshal {json_kind} into {into}{field} of type {go_type}")
}

/// Whether encoding/json decodes the object key `key` into the field named `field` (ASCII)
/// when no field has exactly that name: `bytes.EqualFold`, so ASCII letters match either case,
/// and `k`/`s` also match the Kelvin sign and the long s, which fold to them in Unicode.
///
/// ```
/// use kokumi_render::gofmt::json_name_matches;
/// assert!(json_name_matches("Kind", "kind"));
/// assert!(json_name_matches("\u{212A}ind", "kind"));
/// assert!(!json_name_matches("kinds", "kind"));
/// ```
pub fn json_name_matches(key: &str, field: &str) -> bool {
    let mut key = key.chars();
    for f in field.bytes() {
        let Some(c) = key.next() else {
            return false;
        };
        let same = match c {
            '\u{212A}' => f.eq_ignore_ascii_case(&b'k'),
            '\u{17F}' => f.eq_ignore_ascii_case(&b's'),
            _ => c.is_ascii() && (c as u8).eq_ignore_ascii_case(&f),
        };
        if !same {
            return false;
        }
    }
    key.next().is_none()
}

/// The text sigs.k8s.io/yaml (helm's YAML decoder) gives a number or bool that a document binds
/// to a Go string field (`appVersion: 1.10`, `name: 123`, an annotation `true`): `true`/`false`,
/// an integer in decimal, a float as `strconv.FormatFloat(f, 'g', -1, 32)`. `None` for any
/// other value. Parsed YAML keeps every number as a float, so an integral value is taken for an
/// integer (`1000000.0` reads as `1000000` where helm has `1e+06`).
///
/// ```
/// use kokumi_render::gofmt::yaml_scalar_text;
/// use kokumi_render::value::Value;
/// assert_eq!(yaml_scalar_text(&Value::Float(1.1)).as_deref(), Some("1.1"));
/// assert_eq!(yaml_scalar_text(&Value::Float(3.14159265358979)).as_deref(), Some("3.1415927"));
/// assert_eq!(yaml_scalar_text(&Value::Float(5.0)).as_deref(), Some("5"));
/// assert_eq!(yaml_scalar_text(&Value::Bool(true)).as_deref(), Some("true"));
/// assert_eq!(yaml_scalar_text(&Value::from("x")), None);
/// ```
pub fn yaml_scalar_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => format!("{}", *f as i64),
        Value::Float(f) if !f.is_finite() => {
            let mut out = String::new();
            let _ = format_go_float(&mut out, *f);
            out
        }
        Value::Float(f) => crate::yaml::parse::float_key(*f),
        _ => return None,
    })
}

/// Go's `strconv.Quote`: a double-quoted Go string literal, with non-printable characters
/// escaped (`\n`, `\t`, `\x1b`, `\u00a0`, ...).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s, false);
    out
}

/// Go's `strconv.QuoteToASCII`: like [`quote`] but every non-ASCII character escaped.
pub fn quote_ascii(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    quote_into(&mut out, s, true);
    out
}

fn quote_into(out: &mut String, s: &str, ascii: bool) {
    out.push('"');
    for c in s.chars() {
        escape_char(out, c, '"', ascii);
    }
    out.push('"');
}

fn escape_char(out: &mut String, c: char, quote: char, ascii: bool) {
    if c == quote || c == '\\' {
        out.push('\\');
        out.push(c);
        return;
    }
    if ascii {
        if (c as u32) < 0x80 && is_print(c) {
            out.push(c);
            return;
        }
    } else if is_print(c) {
        out.push(c);
        return;
    }
    match c {
        '\u{7}' => out.push_str("\\a"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{b}' => out.push_str("\\v"),
        c if (c as u32) < 0x20 || c as u32 == 0x7f => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c if (c as u32) < 0x10000 => {
            let _ = write!(out, "\\u{:04x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\U{:08x}", c as u32);
        }
    }
}

/// Whether Go's `strconv.CanBackquote` holds: the string fits in a raw `` `...` `` literal.
fn can_backquote(s: &str) -> bool {
    s.chars()
        .all(|c| c != '`' && c != '\u{FEFF}' && (c == '\t' || !(c < ' ' || c == '\u{7f}')))
}

#[derive(Default, Clone)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
    /// `%#v`.
    sharp_v: bool,
    /// `%+v`.
    plus_v: bool,
}

struct Printer {
    out: String,
}

/// Go's `parsenum`: the decimal number at `b[start..end]`, whether there was one, and where it
/// ends; an absurdly long one (past 10^6 before its last digit) is none, and takes the rest.
fn parse_num(b: &[u8], start: usize, end: usize) -> (usize, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let (mut n, mut i) = (0usize, start);
    while i < end && b[i].is_ascii_digit() {
        if n > 1_000_000 {
            return (0, false, end);
        }
        n = n * 10 + usize::from(b[i] - b'0');
        i += 1;
    }
    (n, i > start, i)
}

impl Printer {
    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let b = format.as_bytes();
        let end = b.len();
        let mut arg_num = 0usize;
        let mut reordered = false;
        let mut i = 0usize;
        while i < end {
            let lasti = i;
            while i < end && b[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.out.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1; // skip %
            let mut f = Flags::default();
            // flags
            while i < end {
                match b[i] {
                    b'#' => f.sharp = true,
                    b'0' => f.zero = true,
                    b'+' => f.plus = true,
                    b'-' => f.minus = true,
                    b' ' => f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // Go's doPrintf: an argument index, a width (or `*`), a precision (or `.*`), each
            // perhaps after an index; a bad index spoils only this verb.
            let mut good_arg_num = true;
            let mut after_index;
            (arg_num, i, after_index) =
                arg_number(b, i, arg_num, args.len(), &mut reordered, &mut good_arg_num);
            if i < end && b[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if !ok {
                    self.out.push_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    f.minus = true;
                }
                f.width = ok.then_some(w.unsigned_abs() as usize);
                after_index = false;
            } else {
                let (w, ok, next) = parse_num(b, i, end);
                i = next;
                f.width = ok.then_some(w);
                if after_index && ok {
                    good_arg_num = false;
                }
            }
            if i + 1 < end && b[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) =
                    arg_number(b, i, arg_num, args.len(), &mut reordered, &mut good_arg_num);
                if i < end && b[i] == b'*' {
                    i += 1;
                    let (p, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    // A negative precision is no precision, and reported.
                    let ok = ok && p >= 0;
                    if !ok {
                        self.out.push_str("%!(BADPREC)");
                    }
                    f.prec = ok.then_some(p as usize);
                    after_index = false;
                } else {
                    let (p, ok, next) = parse_num(b, i, end);
                    i = next;
                    f.prec = Some(if ok { p } else { 0 });
                }
            }
            if !after_index {
                (arg_num, i, _) =
                    arg_number(b, i, arg_num, args.len(), &mut reordered, &mut good_arg_num);
            }
            if i >= end {
                self.out.push_str("%!(NOVERB)");
                break;
            }
            let verb = match format[i..].chars().next() {
                Some(c) => c,
                None => break,
            };
            i += verb.len_utf8();
            if verb == '%' {
                self.out.push('%');
                continue;
            }
            if !good_arg_num {
                self.bad_arg_num(verb, "BADINDEX");
                continue;
            }
            if arg_num >= args.len() {
                self.bad_arg_num(verb, "MISSING");
                continue;
            }
            if f.minus {
                f.zero = false;
            }
            if verb == 'v' {
                if f.sharp {
                    f.sharp = false;
                    f.sharp_v = true;
                }
                if f.plus {
                    f.plus = false;
                    f.plus_v = true;
                }
            }
            self.print_arg(&args[arg_num], verb, &f, true);
            arg_num += 1;
        }
        if !reordered && arg_num < args.len() {
            self.out.push_str("%!(EXTRA ");
            for (k, arg) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.out.push_str(", ");
                }
                if let Value::Nil = arg {
                    self.out.push_str("<nil>");
                } else {
                    self.out.push_str(arg.type_name());
                    self.out.push('=');
                    self.print_arg(arg, 'v', &Flags::default(), true);
                }
            }
            self.out.push(')');
        }
    }

    fn bad_arg_num(&mut self, verb: char, what: &str) {
        self.out.push_str("%!");
        self.out.push(verb);
        self.out.push('(');
        self.out.push_str(what);
        self.out.push(')');
    }

    fn bad_verb(&mut self, verb: char, v: &Value, f: &Flags) {
        self.out.push_str("%!");
        self.out.push(verb);
        self.out.push('(');
        match v {
            Value::Nil => self.out.push_str("<nil>"),
            other => {
                self.out.push_str(other.type_name());
                self.out.push('=');
                let mut g = f.clone();
                g.sharp_v = false;
                g.plus_v = false;
                self.print_arg(other, 'v', &g, true);
            }
        }
        self.out.push(')');
    }

    /// Pads `s` to the width with spaces (or zeros when asked), left or right.
    fn pad(&mut self, s: &str, f: &Flags) {
        let Some(w) = f.width else {
            self.out.push_str(s);
            return;
        };
        let n = s.chars().count();
        if n >= w {
            self.out.push_str(s);
            return;
        }
        let fill = if f.zero { '0' } else { ' ' };
        if f.minus {
            self.out.push_str(s);
            for _ in n..w {
                self.out.push(' ');
            }
        } else {
            for _ in n..w {
                self.out.push(fill);
            }
            self.out.push_str(s);
        }
    }

    /// Pads a number: zeros go after the sign.
    fn pad_number(&mut self, s: &str, f: &Flags, zero_ok: bool) {
        if f.zero
            && zero_ok
            && !f.minus
            && let Some(w) = f.width
        {
            {
                let n = s.chars().count();
                if n < w {
                    let (sign, rest) = match s.as_bytes().first() {
                        Some(b'+' | b'-' | b' ') => s.split_at(1),
                        _ => ("", s),
                    };
                    self.out.push_str(sign);
                    for _ in n..w {
                        self.out.push('0');
                    }
                    self.out.push_str(rest);
                    return;
                }
            }
        }
        let g = Flags {
            zero: false,
            ..f.clone()
        };
        self.pad(s, &g);
    }

    fn print_arg(&mut self, v: &Value, verb: char, f: &Flags, top: bool) {
        crate::value::grow(|| self.print_arg_inner(v, verb, f, top));
    }

    fn print_arg_inner(&mut self, v: &Value, verb: char, f: &Flags, top: bool) {
        if verb == 'T' {
            let t = v.type_name().to_string();
            self.pad(&t, f);
            return;
        }
        match v {
            Value::Nil => {
                // A nil inside a list or map is written bare, whatever the verb and width.
                if f.sharp_v && !top {
                    self.out.push_str("interface {}(nil)");
                } else if !top {
                    self.out.push_str("<nil>");
                } else if verb == 'v' {
                    self.pad("<nil>", f);
                } else {
                    self.bad_verb(verb, v, f);
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }, f),
                _ => self.bad_verb(verb, v, f),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_int(*i, verb, f, v),
            Value::Float(x) => self.fmt_float(*x, verb, f, v),
            Value::String(s) => self.fmt_string(s, verb, f, v),
            Value::Bytes(bytes) => match verb {
                'x' | 'X' => {
                    let b = &bytes[..f.prec.map_or(bytes.len(), |p| p.min(bytes.len()))];
                    let h = hex_bytes(b, verb == 'X', f);
                    self.pad(&h, f);
                }
                's' | 'q' => {
                    let s = String::from_utf8_lossy(bytes);
                    self.fmt_string(&s, verb, f, v);
                }
                _ => {
                    if f.sharp_v {
                        self.out.push_str("[]byte{");
                        for (k, byte) in bytes.iter().enumerate() {
                            if k > 0 {
                                self.out.push_str(", ");
                            }
                            let _ = write!(self.out, "0x{byte:x}");
                        }
                        self.out.push('}');
                    } else {
                        self.out.push('[');
                        for (k, byte) in bytes.iter().enumerate() {
                            if k > 0 {
                                self.out.push(' ');
                            }
                            self.fmt_int(i64::from(*byte), verb, f, &Value::Int(i64::from(*byte)));
                        }
                        self.out.push(']');
                    }
                }
            },
            Value::List(items) => {
                if f.sharp_v {
                    self.sharp_list(items.list_type().name(), items, verb, f);
                } else {
                    self.out.push('[');
                    for (k, item) in items.iter().enumerate() {
                        if k > 0 {
                            self.out.push(' ');
                        }
                        self.print_arg(item, verb, f, false);
                    }
                    self.out.push(']');
                }
            }
            Value::Map(map) => {
                if f.sharp_v {
                    self.sharp_map(v.type_name(), map, verb, f);
                } else {
                    self.out.push_str("map[");
                    for (k, (key, item)) in map.iter().enumerate() {
                        if k > 0 {
                            self.out.push(' ');
                        }
                        self.fmt_string(key, verb, f, &Value::string(key.as_str()));
                        self.out.push(':');
                        self.print_arg(item, verb, f, false);
                    }
                    self.out.push(']');
                }
            }
            Value::Object(o) => {
                // Go's map and slice types (`map[string]string`, `common.VersionSet`) under
                // `%#v`; a nil one (`.Chart.Annotations` without any) is `TYPE(nil)`.
                let elements = (f.sharp_v && verb == 'v').then(|| o.elements()).flatten();
                match elements {
                    Some(_) if matches!(o.to_plain(), Value::Nil) => {
                        self.out.push_str(o.type_name());
                        self.out.push_str("(nil)");
                    }
                    Some(Value::List(items)) => self.sharp_list(o.type_name(), &items, verb, f),
                    Some(Value::Map(map)) => self.sharp_map(o.type_name(), &map, verb, f),
                    _ if matches!(verb, 'v' | 's') => self.pad(&o.go_format(), f),
                    _ => self.bad_verb(verb, v, f),
                }
            }
        }
    }

    /// `%#v` of a slice: `[]int{1, 2}`.
    fn sharp_list(&mut self, type_name: &str, items: &[Value], verb: char, f: &Flags) {
        self.out.push_str(type_name);
        self.out.push('{');
        for (k, item) in items.iter().enumerate() {
            if k > 0 {
                self.out.push_str(", ");
            }
            self.print_arg(item, verb, f, false);
        }
        self.out.push('}');
    }

    /// `%#v` of a map: `map[string]interface {}{"a":1}`.
    fn sharp_map(&mut self, type_name: &str, map: &Map, verb: char, f: &Flags) {
        self.out.push_str(type_name);
        self.out.push('{');
        for (k, (key, item)) in map.iter().enumerate() {
            if k > 0 {
                self.out.push_str(", ");
            }
            self.out.push_str(&quote(key));
            self.out.push(':');
            self.print_arg(item, verb, f, false);
        }
        self.out.push('}');
    }

    fn fmt_string(&mut self, s: &str, verb: char, f: &Flags, v: &Value) {
        if matches!(verb, 'x' | 'X') {
            // The precision counts bytes here (Go's fmtSbx), characters elsewhere.
            let b = s.as_bytes();
            let b = &b[..f.prec.map_or(b.len(), |p| p.min(b.len()))];
            let h = hex_bytes(b, verb == 'X', f);
            self.pad(&h, f);
            return;
        }
        let s = match f.prec {
            Some(p) if matches!(verb, 'v' | 's' | 'q') => truncate_chars(s, p),
            _ => s,
        };
        match verb {
            'v' => {
                if f.sharp_v {
                    let q = quote(s);
                    self.pad(&q, f);
                } else {
                    self.pad(s, f);
                }
            }
            's' => self.pad(s, f),
            'q' => {
                let q = if f.sharp && can_backquote(s) {
                    format!("`{s}`")
                } else if f.plus {
                    quote_ascii(s)
                } else {
                    quote(s)
                };
                self.pad(&q, f);
            }
            _ => self.bad_verb(verb, v, f),
        }
    }

    fn fmt_int(&mut self, i: i64, verb: char, f: &Flags, v: &Value) {
        match verb {
            'v' | 'd' => self.fmt_integer(i, 10, false, f),
            'b' => self.fmt_integer(i, 2, false, f),
            'o' | 'O' => {
                let mut g = f.clone();
                if verb == 'O' {
                    g.sharp = false;
                }
                let s = integer_string(i, 8, false, &g, verb == 'O');
                self.pad_number(&s, &g, g.prec.is_none());
            }
            'x' => self.fmt_integer(i, 16, false, f),
            'X' => self.fmt_integer(i, 16, true, f),
            'c' => {
                let c = char::from_u32(u32::try_from(i).unwrap_or(0xFFFD)).unwrap_or('\u{FFFD}');
                self.pad(&c.to_string(), f);
            }
            'q' => {
                let c = char::from_u32(u32::try_from(i).unwrap_or(0xFFFD)).unwrap_or('\u{FFFD}');
                let mut q = String::from("'");
                if f.sharp && c != '\'' && is_print(c) && c != '\\' {
                    q.push(c);
                } else if f.plus {
                    escape_char(&mut q, c, '\'', true);
                } else {
                    escape_char(&mut q, c, '\'', false);
                }
                q.push('\'');
                self.pad(&q, f);
            }
            'U' => {
                let mut s = format!("U+{i:04X}");
                if i < 0 {
                    s = format!("U+{:04X}", i as u64);
                }
                if f.sharp
                    && let Some(c) = u32::try_from(i).ok().and_then(char::from_u32)
                    && is_print(c)
                {
                    s.push_str(" '");
                    s.push(c);
                    s.push('\'');
                }
                self.pad(&s, f);
            }
            'e' | 'E' | 'f' | 'F' | 'g' | 'G' if false => {}
            _ => self.bad_verb(verb, v, f),
        }
    }

    fn fmt_integer(&mut self, i: i64, base: u32, upper: bool, f: &Flags) {
        let s = integer_string(i, base, upper, f, false);
        self.pad_number(&s, f, f.prec.is_none());
    }

    fn fmt_float(&mut self, x: f64, verb: char, f: &Flags, v: &Value) {
        let body = match verb {
            'v' if f.prec.is_some() && !f.sharp_v => {
                format_g(x, f.prec.unwrap_or(6).max(1), f.sharp)
            }
            'v' => {
                if f.sharp_v {
                    let mut s = String::new();
                    let _ = format_go_float(&mut s, x);
                    s
                } else {
                    let mut s = String::new();
                    let _ = format_go_float(&mut s, x);
                    if f.sharp {
                        s = sharp_g(&s, None);
                    }
                    s
                }
            }
            'g' | 'G' => {
                let s = match f.prec {
                    None => {
                        let mut s = String::new();
                        let _ = format_go_float(&mut s, x);
                        if f.sharp { sharp_g(&s, None) } else { s }
                    }
                    Some(p) => format_g(x, p.max(1), f.sharp),
                };
                upper_if(s, verb == 'G' && x.is_finite())
            }
            'e' | 'E' => {
                let s = format_e(x, f.prec.unwrap_or(6), f.sharp);
                upper_if(s, verb == 'E' && x.is_finite())
            }
            'f' | 'F' => format_f(x, f.prec.unwrap_or(6), f.sharp),
            'b' => format_b(x),
            'x' | 'X' => {
                let mut s = format_x(x, f.prec);
                if f.sharp && x.is_finite() {
                    // Go pads `%#x` to the precision, but `%#X` only keeps the point.
                    s = sharp_x(&s, if verb == 'x' { f.prec.unwrap_or(6) } else { 0 });
                }
                upper_if(s, verb == 'X' && x.is_finite())
            }
            _ => {
                self.bad_verb(verb, v, f);
                return;
            }
        };
        let mut s = body;
        if !x.is_nan() && !s.starts_with('-') {
            if f.plus {
                s.insert(0, '+');
            } else if f.space {
                s.insert(0, ' ');
            }
        } else if x.is_nan() && (f.plus || f.space) {
            s.insert(0, if f.plus { '+' } else { ' ' });
        }
        if x.is_infinite() && x > 0.0 {
            // Go keeps the sign of +Inf; a space flag replaces it.
            s = if f.space && !f.plus {
                " Inf".into()
            } else {
                "+Inf".into()
            };
        }
        let finite = x.is_finite();
        self.pad_number(&s, f, finite);
    }
}

/// Go's `argNumber`: an explicit `[n]` at `b[i..]` gives argument `n − 1`; a malformed or
/// out-of-range one leaves `arg_num` and spoils the verb (`good`). Returns the argument, where
/// the format goes on, and whether an index was read.
fn arg_number(
    b: &[u8],
    i: usize,
    arg_num: usize,
    num_args: usize,
    reordered: &mut bool,
    good: &mut bool,
) -> (usize, usize, bool) {
    if i >= b.len() || b[i] != b'[' {
        return (arg_num, i, false);
    }
    *reordered = true;
    let f = &b[i..];
    // Go's parseArgNumber: at least `[n]`, the number running up to the first `]`.
    let (index, width, ok) = match f.iter().position(|&c| c == b']') {
        Some(close) if f.len() >= 3 => match parse_num(f, 1, close) {
            (n, true, next) if next == close => (n.checked_sub(1), close + 1, true),
            _ => (None, close + 1, false),
        },
        _ => (None, 1, false),
    };
    match index {
        Some(index) if ok && index < num_args => (index, i + width, true),
        _ => {
            *good = false;
            (arg_num, i + width, ok)
        }
    }
}

/// Go's `intFromArg`: the `*` width or precision from argument `arg_num` (an integer within
/// ±10^6), whether there was one, and the next argument.
fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    let Some(v) = args.get(arg_num) else {
        return (0, false, arg_num);
    };
    match v {
        Value::Int(n) | Value::Int64(n) if (-1_000_000..=1_000_000).contains(n) => {
            (*n, true, arg_num + 1)
        }
        _ => (0, false, arg_num + 1),
    }
}

fn truncate_chars(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((idx, _)) => &s[..idx],
        None => s,
    }
}

fn hex_bytes(bytes: &[u8], upper: bool, f: &Flags) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for (k, b) in bytes.iter().enumerate() {
        if f.space && k > 0 {
            out.push(' ');
        }
        if f.sharp && (f.space || k == 0) {
            out.push_str(if upper { "0X" } else { "0x" });
        }
        if upper {
            let _ = write!(out, "{b:02X}");
        } else {
            let _ = write!(out, "{b:02x}");
        }
    }
    out
}

fn integer_string(i: i64, base: u32, upper: bool, f: &Flags, o_prefix: bool) -> String {
    let neg = i < 0;
    let u = i.unsigned_abs();
    let mut digits = match base {
        2 => format!("{u:b}"),
        8 => format!("{u:o}"),
        16 if upper => format!("{u:X}"),
        16 => format!("{u:x}"),
        _ => u.to_string(),
    };
    if let Some(p) = f.prec {
        if p == 0 && u == 0 {
            digits.clear();
        }
        while digits.len() < p {
            digits.insert(0, '0');
        }
    }
    let mut prefix = String::new();
    if f.sharp {
        match base {
            2 => prefix.push_str("0b"),
            8 if !digits.starts_with('0') => prefix.push('0'),
            16 if upper => prefix.push_str("0X"),
            16 => prefix.push_str("0x"),
            _ => {}
        }
    }
    if o_prefix {
        prefix.push_str("0o");
    }
    let sign = if neg {
        "-"
    } else if f.plus {
        "+"
    } else if f.space {
        " "
    } else {
        ""
    };
    format!("{sign}{prefix}{digits}")
}

/// Go's `%e` with `prec` digits after the point.
fn format_e(x: f64, prec: usize, sharp: bool) -> String {
    if !x.is_finite() {
        return special(x);
    }
    let s = format!("{x:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut mant = mant.to_string();
    if sharp && prec == 0 {
        mant.push('.');
    }
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mant}e{sign}{:02}", exp.abs())
}

/// Go's `%f` with `prec` digits after the point.
fn format_f(x: f64, prec: usize, sharp: bool) -> String {
    if !x.is_finite() {
        return special(x);
    }
    let mut s = format!("{x:.prec$}");
    if sharp && prec == 0 {
        s.push('.');
    }
    s
}

/// Go's `%.Ng`: `prec` significant digits, `%e` when the exponent is < -4 or >= prec, trailing
/// zeros removed unless `#`.
fn format_g(x: f64, prec: usize, sharp: bool) -> String {
    if !x.is_finite() {
        return special(x);
    }
    if x == 0.0 {
        let mut s = if x.is_sign_negative() {
            "-0".to_string()
        } else {
            "0".to_string()
        };
        if sharp {
            s.push('.');
            for _ in 1..prec {
                s.push('0');
            }
        }
        return s;
    }
    let e = format!("{:.*e}", prec - 1, x);
    let (mant, exp) = e.split_once('e').unwrap_or((e.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let p = prec as i32;
    if exp < -4 || exp >= p {
        let mut mant = mant.to_string();
        if !sharp {
            mant = trim_zeros(&mant);
        } else if !mant.contains('.') {
            mant.push('.');
        }
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p - 1 - exp).max(0) as usize;
        let mut s = format!("{x:.decimals$}");
        if !sharp {
            s = trim_zeros(&s);
        } else if !s.contains('.') {
            s.push('.');
        }
        s
    }
}

fn trim_zeros(s: &str) -> String {
    if !s.contains('.') {
        return s.to_string();
    }
    let t = s.trim_end_matches('0');
    t.strip_suffix('.').unwrap_or(t).to_string()
}

/// `%#g`/`%#v` for a shortest representation: keep a decimal point, pad to 6 significant digits.
fn sharp_g(s: &str, _prec: Option<usize>) -> String {
    let (mant, exp) = match s.find('e') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let mut mant = mant.to_string();
    if mant
        .chars()
        .any(|c| !(c.is_ascii_digit() || c == '.' || c == '-'))
    {
        return s.to_string();
    }
    if !mant.contains('.') {
        mant.push('.');
    }
    let digits = mant.chars().filter(char::is_ascii_digit).count();
    let significant = mant
        .trim_start_matches('-')
        .trim_start_matches(['0', '.'])
        .chars()
        .filter(char::is_ascii_digit)
        .count()
        .max(if digits == 0 { 0 } else { 1 });
    for _ in significant..6 {
        mant.push('0');
    }
    format!("{mant}{exp}")
}

/// `%X`, `%E`, `%G` upper-case a number; `NaN` and `±Inf` stay as they are.
fn upper_if(s: String, upper: bool) -> String {
    if upper { s.to_uppercase() } else { s }
}

/// `%#x` for a float: Go's `fmtFloat` keeps a point and pads with zeros to `digits` digits,
/// counting from the first non-zero character after the sign, the `x` included (`%#x` of 3 is
/// `0x1.8000p+01`).
fn sharp_x(s: &str, digits: usize) -> String {
    let body = s.strip_prefix('-').unwrap_or(s);
    let sign = &s[..s.len() - body.len()];
    let (num, tail) = body.split_at(body.find(['p', 'P']).unwrap_or(body.len()));
    let mut digits = digits as i64;
    let mut seen_nonzero = false;
    for c in num.chars().filter(|&c| c != '.') {
        seen_nonzero |= c != '0';
        if seen_nonzero {
            digits -= 1;
        }
    }
    let mut out = format!("{sign}{num}");
    if !num.contains('.') {
        out.push('.');
    }
    for _ in 0..digits.max(0) {
        out.push('0');
    }
    out.push_str(tail);
    out
}

fn special(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// Go's `%b` for floats: decimal mantissa, binary exponent (`4503599627370496p-52`).
fn format_b(x: f64) -> String {
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let e = if exp == 0 {
        -1074
    } else {
        mant |= 1u64 << 52;
        exp - 1075
    };
    if exp == 0x7ff {
        return special(x);
    }
    let sign = if neg { "-" } else { "" };
    let esign = if e >= 0 { "+" } else { "" };
    format!("{sign}{mant}p{esign}{e}")
}

/// Go's `%x` for floats: `0x1.8p+01`.
fn format_x(x: f64, prec: Option<usize>) -> String {
    if !x.is_finite() {
        return special(x);
    }
    let bits = x.to_bits();
    let neg = bits >> 63 != 0;
    let sign = if neg { "-" } else { "" };
    if x == 0.0 {
        let frac = match prec {
            Some(p) if p > 0 => format!(".{}", "0".repeat(p)),
            _ => String::new(),
        };
        return format!("{sign}0x0{frac}p+00");
    }
    let raw_exp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut exp;
    if raw_exp == 0 {
        // subnormal: normalise
        exp = -1022;
        while mant & (1u64 << 52) == 0 {
            mant <<= 1;
            exp -= 1;
        }
        mant &= (1u64 << 52) - 1;
    } else {
        exp = raw_exp - 1023;
    }
    // 52 bits of fraction = 13 hex digits
    let mut lead: u64 = 1;
    let mut frac_digits = 13usize;
    let mut frac = mant;
    if let Some(p) = prec
        && p < 13
    {
        {
            let shift = (13 - p) * 4;
            let full = (lead << 52) | frac;
            let half = 1u64 << (shift - 1);
            let rem = full & ((1u64 << shift) - 1);
            let mut kept = full >> shift;
            if rem > half || (rem == half && kept & 1 == 1) {
                kept += 1;
            }
            if kept >> (p * 4) >= 2 {
                kept >>= 1;
                exp += 1;
            }
            lead = kept >> (p * 4);
            frac = kept & ((1u64 << (p * 4)) - 1);
            frac_digits = p;
        }
    }
    let mut fs = if frac_digits == 0 {
        String::new()
    } else {
        format!("{frac:0frac_digits$x}")
    };
    if prec.is_none() {
        fs = fs.trim_end_matches('0').to_string();
    } else if let Some(p) = prec {
        while fs.len() < p {
            fs.push('0');
        }
    }
    let dot = if fs.is_empty() { "" } else { "." };
    let esign = if exp < 0 { '-' } else { '+' };
    format!("{sign}0x{lead}{dot}{fs}p{esign}{:02}", exp.abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::from(v)
    }

    #[test]
    fn verbs() {
        let cases: &[(&str, Vec<Value>, &str)] = &[
            ("%d", vec![Value::Int(42)], "42"),
            (
                "%5d|%-5d|%05d",
                vec![Value::Int(-4), Value::Int(4), Value::Int(-4)],
                "   -4|4    |-0004",
            ),
            (
                "%x %X %o %O %b",
                vec![
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(8),
                    Value::Int(5),
                ],
                "ff FF 10 0o10 101",
            ),
            (
                "%#x %#o %+d % d",
                vec![Value::Int(255), Value::Int(8), Value::Int(3), Value::Int(3)],
                "0xff 010 +3  3",
            ),
            ("%.3d", vec![Value::Int(7)], "007"),
            (
                "%c %q %U %#U",
                vec![
                    Value::Int(65),
                    Value::Int(65),
                    Value::Int(0x1F600),
                    Value::Int(65),
                ],
                "A 'A' U+1F600 U+0041 'A'",
            ),
            ("%s %q %v", vec![s("a"), s("b\n"), s("c")], "a \"b\\n\" c"),
            (
                "%x % x %#x",
                vec![s("hi"), s("hi"), s("hi")],
                "6869 68 69 0x6869",
            ),
            (
                "%.2s|%5.1s|%-3s|",
                vec![s("hello"), s("xyz"), s("a")],
                "he|    x|a  |",
            ),
            (
                "%f %.2f %e %g",
                vec![
                    Value::Float(3.0),
                    Value::Float(3.14158),
                    Value::Float(1234.5678),
                    Value::Float(1e6),
                ],
                "3.000000 3.14 1.234568e+03 1e+06",
            ),
            (
                "%.3g %g %v",
                vec![
                    Value::Float(1234.5678),
                    Value::Float(0.0001),
                    Value::Float(1e21),
                ],
                "1.23e+03 0.0001 1e+21",
            ),
            (
                "%8.3f|%-8.2f|%08.3f",
                vec![
                    Value::Float(3.14158),
                    Value::Float(2.5),
                    Value::Float(-3.14158),
                ],
                "   3.142|2.50    |-003.142",
            ),
            (
                "%t %v",
                vec![Value::Bool(true), Value::Bool(false)],
                "true false",
            ),
            ("%d", vec![s("x")], "%!d(string=x)"),
            ("%s", vec![Value::Int(3)], "%!s(int=3)"),
            ("%d %d", vec![Value::Int(1)], "1 %!d(MISSING)"),
            (
                "%d",
                vec![Value::Int(1), s("a"), Value::Nil],
                "1%!(EXTRA string=a, <nil>)",
            ),
            ("%v %d", vec![Value::Nil, Value::Nil], "<nil> %!d(<nil>)"),
            (
                "%T %T %T %T",
                vec![Value::Int(1), Value::Float(1.0), s("a"), Value::Nil],
                "int float64 string <nil>",
            ),
            ("%[2]d %[1]d", vec![Value::Int(1), Value::Int(2)], "2 1"),
            ("%[3]d", vec![Value::Int(1)], "%!d(BADINDEX)"),
            (
                "%*d|%-*d",
                vec![Value::Int(4), Value::Int(1), Value::Int(3), Value::Int(2)],
                "   1|2  ",
            ),
            ("100%%", vec![], "100%"),
            ("%", vec![], "%!(NOVERB)"),
            ("%z", vec![Value::Int(1)], "%!z(int=1)"),
            (
                "%#v %#v %#v",
                vec![s("a"), Value::Int(1), Value::Float(1.0)],
                "\"a\" 1 1",
            ),
            ("%+q", vec![s("é")], "\"\\u00e9\""),
            ("%#q", vec![s("a\"b")], "`a\"b`"),
            ("%b", vec![Value::Float(1.0)], "4503599627370496p-52"),
            ("%x", vec![Value::Float(1.0)], "0x1p+00"),
            ("%x", vec![Value::Float(3.0)], "0x1.8p+01"),
            ("%6.2f%%", vec![Value::Float(99.5)], " 99.50%"),
            ("%05s", vec![s("ab")], "000ab"),
            ("%+.1e", vec![Value::Float(12345.0)], "+1.2e+04"),
            ("%v", vec![Value::Float(f64::INFINITY)], "+Inf"),
            ("%f", vec![Value::Float(f64::NEG_INFINITY)], "-Inf"),
            ("%5.1f", vec![Value::Float(f64::NAN)], "  NaN"),
        ];
        for (fmt, args, want) in cases {
            assert_eq!(sprintf(fmt, args), *want, "format {fmt:?}");
        }
    }

    #[test]
    fn collections() {
        let list = Value::list(vec![Value::Int(1), s("a"), Value::Nil]);
        assert_eq!(sprintf("%v", std::slice::from_ref(&list)), "[1 a <nil>]");
        assert_eq!(
            sprintf("%d", std::slice::from_ref(&list)),
            "[1 %!d(string=a) <nil>]"
        );
        assert_eq!(
            sprintf("%#v", std::slice::from_ref(&list)),
            "[]interface {}{1, \"a\", interface {}(nil)}"
        );
        let mut m = crate::value::Map::new();
        m.insert("b".into(), Value::Float(2.0));
        m.insert("a".into(), s("x"));
        let map = Value::map(m);
        assert_eq!(sprintf("%v", std::slice::from_ref(&map)), "map[a:x b:2]");
        assert_eq!(
            sprintf("%q", std::slice::from_ref(&map)),
            "map[\"a\":\"x\" \"b\":%!q(float64=2)]"
        );
        assert_eq!(
            sprintf("%#v", std::slice::from_ref(&map)),
            "map[string]interface {}{\"a\":\"x\", \"b\":2}"
        );
    }

    #[test]
    fn sprint_spacing() {
        assert_eq!(sprint(&[Value::Int(1), Value::Int(2)]), "1 2");
        assert_eq!(sprint(&[s("a"), Value::Int(1), s("b")]), "a1b");
        assert_eq!(
            sprint(&[Value::Int(1), s("a"), Value::Int(2), Value::Int(3)]),
            "1a2 3"
        );
        assert_eq!(sprint(&[Value::Nil, Value::Nil]), "<nil> <nil>");
        assert_eq!(sprintln(&[s("a"), s("b")]), "a b\n");
    }

    #[test]
    fn quoting() {
        assert_eq!(
            quote("a\tb\"c\\\u{1b}\u{a0}é😀"),
            "\"a\\tb\\\"c\\\\\\x1b\\u00a0é😀\""
        );
        assert_eq!(quote_ascii("é😀"), "\"\\u00e9\\U0001f600\"");
    }
}
