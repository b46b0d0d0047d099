//! Sprig's string functions.

use crate::gofmt;
use crate::gounicode::{self, is_space, is_title};
use crate::value::{FuncError, ListType, Value};

use super::{arity, as_slice, bytes_to_string, int_arg, map_arg, ok_str, str_arg, strval};

type R = Result<Value, FuncError>;

pub(crate) fn hello(args: &[Value]) -> R {
    arity(args, 0, "hello")?;
    ok_str("Hello!")
}

pub(super) fn one_str<'a>(args: &'a [Value], name: &str) -> Result<&'a str, FuncError> {
    arity(args, 1, name)?;
    str_arg(&args[0])
}

fn two_str<'a>(args: &'a [Value], name: &str) -> Result<(&'a str, &'a str), FuncError> {
    arity(args, 2, name)?;
    Ok((str_arg(&args[0])?, str_arg(&args[1])?))
}

pub(crate) fn trim(args: &[Value]) -> R {
    let s = one_str(args, "trim")?;
    part_of(&args[0], s, s.trim_matches(is_space))
}

/// `part`, a slice of argument `arg` (whose text is `whole`): the argument itself when it is
/// all of it, so an unchanged string is not copied.
fn part_of(arg: &Value, whole: &str, part: &str) -> R {
    if part.len() == whole.len() {
        Ok(arg.clone())
    } else {
        ok_str(part)
    }
}

pub(crate) fn upper(args: &[Value]) -> R {
    let s = one_str(args, "upper")?;
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_lowercase()) {
        return Ok(args[0].clone());
    }
    ok_str(go_upper(s))
}

pub(crate) fn lower(args: &[Value]) -> R {
    let s = one_str(args, "lower")?;
    if s.bytes().all(|b| b.is_ascii() && !b.is_ascii_uppercase()) {
        return Ok(args[0].clone());
    }
    ok_str(go_lower(s))
}

fn go_upper(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_uppercase()
    } else {
        s.chars().map(simple_upper).collect()
    }
}

fn go_lower(s: &str) -> String {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        s.chars().map(simple_lower).collect()
    }
}

/// Go maps one rune to one rune (`unicode.ToUpper`); Rust may expand (`ß` → `SS`), which Go
/// does not, so a multi-char mapping keeps the rune.
/// Go's `unicode.ToUpper`: Unicode's simple mapping, one character for one. Rust gives the full
/// mapping; where that is longer, the simple one is the character itself but for the Greek
/// letters with ypogegrammeni, which map to their titlecase forms.
pub(super) fn simple_upper(c: char) -> char {
    let mut it = c.to_uppercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ => match c {
            '\u{1F80}'..='\u{1F87}' | '\u{1F90}'..='\u{1F97}' | '\u{1FA0}'..='\u{1FA7}' => {
                char::from_u32(c as u32 + 8).unwrap_or(c)
            }
            '\u{1FB3}' => '\u{1FBC}',
            '\u{1FC3}' => '\u{1FCC}',
            '\u{1FF3}' => '\u{1FFC}',
            _ => c,
        },
    }
}

/// Go's `unicode.ToLower`: the simple mapping (`İ` → `i`, where Rust's full one adds a dot).
pub(super) fn simple_lower(c: char) -> char {
    let mut it = c.to_lowercase();
    match (it.next(), it.next()) {
        (Some(u), None) => u,
        _ if c == '\u{130}' => 'i',
        _ => c,
    }
}

/// Go's `unicode.ToTitle`, which `strings.Title` uses: the upper case but for the digraphs
/// (`ǆ` → `ǅ`), the Greek letters with ypogegrammeni (their titlecase forms) and Georgian
/// letters (which have no title case).
fn simple_title(c: char) -> char {
    match c {
        '\u{1C4}'..='\u{1C6}' => '\u{1C5}',
        '\u{1C7}'..='\u{1C9}' => '\u{1C8}',
        '\u{1CA}'..='\u{1CC}' => '\u{1CB}',
        '\u{1F1}'..='\u{1F3}' => '\u{1F2}',
        '\u{10D0}'..='\u{10FA}' | '\u{10FD}'..='\u{10FF}' => c,
        c if is_title(c) => c,
        c => simple_upper(c),
    }
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
pub(crate) fn title(args: &[Value]) -> R {
    let s = one_str(args, "title")?;
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_title_separator(prev) {
            out.push(simple_title(c));
        } else {
            out.push(c);
        }
        prev = c;
    }
    ok_str(out)
}

fn is_title_separator(c: char) -> bool {
    if c.is_ascii() {
        return !(c.is_ascii_alphanumeric() || c == '_');
    }
    if c.is_alphanumeric() {
        return false;
    }
    c.is_whitespace()
}

/// goutils' `Uncapitalize`: lower-cases the first letter of each whitespace-separated word.
pub(crate) fn untitle(args: &[Value]) -> R {
    let s = one_str(args, "untitle")?;
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if c.is_whitespace() {
            at_start = true;
            out.push(c);
        } else if at_start {
            out.push(simple_lower(c));
            at_start = false;
        } else {
            out.push(c);
        }
    }
    ok_str(out)
}

/// goutils' `SwapCase`: upper and title case become lower case; lower case becomes title case
/// at the start of a word (which is upper case but for the digraphs: `ǆ` → `ǅ`), upper case
/// elsewhere.
pub(crate) fn swapcase(args: &[Value]) -> R {
    let s = one_str(args, "swapcase")?;
    let mut word_start = true;
    let out: String = s
        .chars()
        .map(|c| {
            if gounicode::is_upper(c) || is_title(c) {
                word_start = false;
                simple_lower(c)
            } else if gounicode::is_lower(c) {
                let title = std::mem::replace(&mut word_start, false);
                if title {
                    simple_title(c)
                } else {
                    simple_upper(c)
                }
            } else {
                word_start = is_space(c);
                c
            }
        })
        .collect();
    ok_str(out)
}

/// goutils' `Initials`: the first character of each whitespace-separated word. goutils reads
/// the string byte by byte and takes each byte as a character (`rune(str[i])`), so a word that
/// starts with a multi-byte character gives its first byte as a Latin-1 one (`Σ` → `Î`), as helm
/// prints.
pub(crate) fn initials(args: &[Value]) -> R {
    let s = one_str(args, "initials")?;
    let mut out = String::new();
    let mut last_space = true;
    for c in s.bytes().map(char::from) {
        if is_space(c) {
            last_space = true;
        } else {
            if last_space {
                out.push(c);
            }
            last_space = false;
        }
    }
    ok_str(out)
}

/// goutils' `DeleteWhiteSpace`, byte by byte like [`initials`]: when a byte is a space (U+0085
/// and U+00A0 count, so a continuation byte can be one), the bytes left come out as Latin-1
/// characters; when none is, the string comes back as it was.
pub(crate) fn nospace(args: &[Value]) -> R {
    let s = one_str(args, "nospace")?;
    if !s.bytes().map(char::from).any(is_space) {
        return Ok(args[0].clone());
    }
    ok_str(
        s.bytes()
            .map(char::from)
            .filter(|&c| !is_space(c))
            .collect::<String>(),
    )
}

pub(crate) fn trunc(args: &[Value]) -> R {
    arity(args, 2, "trunc")?;
    let c = int_arg(&args[0])?;
    let s = str_arg(&args[1])?;
    let len = s.len() as i64;
    let b = s.as_bytes();
    if c < 0 && len + c > 0 {
        return ok_str(bytes_to_string(&b[(len + c) as usize..]));
    }
    if c >= 0 && len > c {
        return ok_str(bytes_to_string(&b[..c as usize]));
    }
    Ok(args[1].clone())
}

pub(crate) fn abbrev(args: &[Value]) -> R {
    arity(args, 2, "abbrev")?;
    let width = int_arg(&args[0])?;
    let s = str_arg(&args[1])?;
    if width < 4 {
        return Ok(args[1].clone());
    }
    ok_str(abbreviate_full(s, 0, width))
}

pub(crate) fn abbrevboth(args: &[Value]) -> R {
    arity(args, 3, "abbrevboth")?;
    let left = int_arg(&args[0])?;
    let right = int_arg(&args[1])?;
    let s = str_arg(&args[2])?;
    if right < 4 || (left > 0 && right < 7) {
        return Ok(args[2].clone());
    }
    ok_str(abbreviate_full(s, left, right))
}

/// goutils' `AbbreviateFull` (byte offsets, like Go).
fn abbreviate_full(s: &str, offset: i64, max_width: i64) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if s.is_empty() || max_width < 4 || len <= max_width {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max_width - 3 {
        offset = len - (max_width - 3);
    }
    if offset <= 4 {
        return format!("{}...", bytes_to_string(&b[..(max_width - 3) as usize]));
    }
    if max_width < 7 {
        return s.to_string();
    }
    if offset + max_width - 3 < len {
        let rest = bytes_to_string(&b[offset as usize..]);
        return format!("...{}", abbreviate_full(&rest, 0, max_width - 3));
    }
    format!(
        "...{}",
        bytes_to_string(&b[(len - (max_width - 3)) as usize..])
    )
}

pub(crate) fn substr(args: &[Value]) -> R {
    arity(args, 3, "substr")?;
    let start = int_arg(&args[0])?;
    let end = int_arg(&args[1])?;
    let s = str_arg(&args[2])?;
    let b = s.as_bytes();
    let len = b.len() as i64;
    let oob = |lo: i64, hi: i64| {
        if hi > len || hi < 0 {
            FuncError::new(format!(
                "runtime error: slice bounds out of range [:{hi}] with length {len}"
            ))
        } else {
            FuncError::new(format!(
                "runtime error: slice bounds out of range [{lo}:{hi}]"
            ))
        }
    };
    if start < 0 {
        if end < 0 || end > len {
            return Err(oob(0, end));
        }
        return ok_str(bytes_to_string(&b[..end as usize]));
    }
    if end < 0 || end > len {
        if start > len {
            return Err(FuncError::new(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            )));
        }
        return ok_str(bytes_to_string(&b[start as usize..]));
    }
    if start > end {
        return Err(oob(start, end));
    }
    ok_str(bytes_to_string(&b[start as usize..end as usize]))
}

/// Outputs larger than this are refused rather than allocated (a template budget, not Go's).
const MAX_REPEAT: usize = 64 << 20;

pub(crate) fn repeat(args: &[Value]) -> R {
    arity(args, 2, "repeat")?;
    let count = int_arg(&args[0])?;
    let s = str_arg(&args[1])?;
    if count < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    if (count as u128) * (s.len() as u128) > MAX_REPEAT as u128 {
        return Err(FuncError::new(format!(
            "repeat: output of {count} × {} bytes exceeds the {MAX_REPEAT}-byte limit",
            s.len()
        )));
    }
    ok_str(s.repeat(count as usize))
}

pub(crate) fn trim_all(args: &[Value]) -> R {
    let (cutset, s) = two_str(args, "trimAll")?;
    part_of(&args[1], s, s.trim_matches(|c| cutset.contains(c)))
}

pub(crate) fn trim_suffix(args: &[Value]) -> R {
    let (suffix, s) = two_str(args, "trimSuffix")?;
    part_of(&args[1], s, s.strip_suffix(suffix).unwrap_or(s))
}

pub(crate) fn trim_prefix(args: &[Value]) -> R {
    let (prefix, s) = two_str(args, "trimPrefix")?;
    part_of(&args[1], s, s.strip_prefix(prefix).unwrap_or(s))
}

pub(crate) fn contains(args: &[Value]) -> R {
    let (sub, s) = two_str(args, "contains")?;
    Ok(Value::Bool(s.contains(sub)))
}

pub(crate) fn has_prefix(args: &[Value]) -> R {
    let (p, s) = two_str(args, "hasPrefix")?;
    Ok(Value::Bool(s.starts_with(p)))
}

pub(crate) fn has_suffix(args: &[Value]) -> R {
    let (p, s) = two_str(args, "hasSuffix")?;
    Ok(Value::Bool(s.ends_with(p)))
}

pub(crate) fn quote(args: &[Value]) -> R {
    let mut out = String::new();
    for v in args.iter().filter(|v| !matches!(v, Value::Nil)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&gofmt::quote(&strval(v)));
    }
    ok_str(out)
}

pub(crate) fn squote(args: &[Value]) -> R {
    let mut out = String::new();
    for v in args.iter().filter(|v| !matches!(v, Value::Nil)) {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push('\'');
        out.push_str(&v.to_string());
        out.push('\'');
    }
    ok_str(out)
}

pub(crate) fn cat(args: &[Value]) -> R {
    let parts: Vec<String> = args
        .iter()
        .filter(|v| !matches!(v, Value::Nil))
        .map(Value::to_string)
        .collect();
    ok_str(parts.join(" "))
}

/// `s` with `spaces` before every line, after a newline first when `newline` (`nindent`):
/// built in one buffer of the exact size, so the usual `include | nindent` chain allocates once
/// here instead of growing a buffer and copying it again.
fn do_indent(spaces: i64, s: &str, newline: bool) -> String {
    let n = spaces.max(0) as usize;
    let mut out = String::with_capacity(indented_len(n, s, newline));
    write_indented(&mut out, n, s, newline);
    out
}

/// The length of `s` indented by `spaces` (after a newline when `newline`).
pub(crate) fn indented_len(spaces: usize, s: &str, newline: bool) -> usize {
    let lines = memchr::memchr_iter(b'\n', s.as_bytes()).count() + 1;
    usize::from(newline) + s.len() + spaces * lines
}

/// Appends `s` to `out` with `spaces` before every line, after a newline first when
/// `newline`: what `indent` (`nindent`) returns, written in place.
pub(crate) fn write_indented(out: &mut String, spaces: usize, s: &str, newline: bool) {
    const SPACES: &str = "                                                                ";
    let owned;
    let pad = match SPACES.get(..spaces) {
        Some(p) => p,
        None => {
            owned = " ".repeat(spaces);
            owned.as_str()
        }
    };
    if newline {
        out.push('\n');
    }
    out.push_str(pad);
    for (i, line) in s.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(pad);
        }
        out.push_str(line);
    }
}

/// Whether indenting `s` by `n` stays within the `repeat` limit (else `indent` refuses it).
pub(crate) fn indent_fits(n: i64, s: &str) -> bool {
    let lines = s.bytes().filter(|b| *b == b'\n').count() as u128 + 1;
    (n as u128) * lines + s.len() as u128 <= MAX_REPEAT as u128
}

pub(crate) fn indent(args: &[Value]) -> R {
    arity(args, 2, "indent")?;
    let n = int_arg(&args[0])?;
    if n < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let s = str_arg(&args[1])?;
    indent_limit(n, s, "indent")?;
    ok_str(do_indent(n, s, false))
}

/// Refuses an indentation whose result would exceed the `repeat` limit (Go would try to
/// allocate it).
fn indent_limit(n: i64, s: &str, name: &str) -> Result<(), FuncError> {
    if !indent_fits(n, s) {
        let lines = s.bytes().filter(|b| *b == b'\n').count() as u128 + 1;
        return Err(FuncError::new(format!(
            "{name}: output of {lines} lines indented by {n} exceeds the {MAX_REPEAT}-byte limit"
        )));
    }
    Ok(())
}

pub(crate) fn nindent(args: &[Value]) -> R {
    arity(args, 2, "nindent")?;
    let n = int_arg(&args[0])?;
    if n < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let s = str_arg(&args[1])?;
    indent_limit(n, s, "nindent")?;
    ok_str(do_indent(n, s, true))
}

pub(crate) fn replace(args: &[Value]) -> R {
    arity(args, 3, "replace")?;
    let old = str_arg(&args[0])?;
    let new = str_arg(&args[1])?;
    let src = str_arg(&args[2])?;
    if !old.is_empty() && !src.contains(old) {
        return Ok(args[2].clone());
    }
    ok_str(src.replace(old, new))
}

pub(crate) fn plural(args: &[Value]) -> R {
    arity(args, 3, "plural")?;
    let one = str_arg(&args[0])?;
    let many = str_arg(&args[1])?;
    let count = int_arg(&args[2])?;
    ok_str(if count == 1 { one } else { many })
}

pub(crate) fn to_string(args: &[Value]) -> R {
    arity(args, 1, "toString")?;
    match &args[0] {
        Value::String(_) => Ok(args[0].clone()),
        other => ok_str(strval(other).into_owned()),
    }
}

/// Sprig's `strslice`: the string forms of a list's non-nil elements.
pub(crate) fn strslice(v: &Value) -> Vec<String> {
    match as_slice(v) {
        Some(items) => items
            .iter()
            .filter(|x| !matches!(x, Value::Nil))
            .map(|x| strval(x).into_owned())
            .collect(),
        None => match v {
            Value::Nil => Vec::new(),
            other => vec![strval(other).into_owned()],
        },
    }
}

pub(crate) fn join(args: &[Value]) -> R {
    arity(args, 2, "join")?;
    let sep = str_arg(&args[0])?;
    ok_str(strslice(&args[1]).join(sep))
}

/// Go's `strings.SplitN` (n < 0: all).
fn go_split<'a>(s: &'a str, sep: &str, n: i64) -> Vec<&'a str> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let mut parts: Vec<&str> = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if n > 0 && parts.len() as i64 == n - 1 {
                parts.push(rest);
                return parts;
            }
            let len = rest.chars().next().map_or(1, char::len_utf8);
            parts.push(&rest[..len]);
            rest = &rest[len..];
        }
        return parts;
    }
    if n < 0 {
        s.split(sep).collect()
    } else {
        s.splitn(n as usize, sep).collect()
    }
}

/// `split`'s and `splitn`'s result: a `map[string]string` from `_0`, `_1`, ... to the parts.
fn parts_map(parts: &[&str]) -> Value {
    let parts = parts
        .iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), (*p).to_owned()))
        .collect();
    Value::Object(std::sync::Arc::new(crate::objects::StringMap(Some(parts))))
}

pub(crate) fn split(args: &[Value]) -> R {
    let (sep, s) = two_str(args, "split")?;
    Ok(parts_map(&go_split(s, sep, -1)))
}

pub(crate) fn splitn(args: &[Value]) -> R {
    arity(args, 3, "splitn")?;
    let sep = str_arg(&args[0])?;
    let n = int_arg(&args[1])?;
    let s = str_arg(&args[2])?;
    Ok(parts_map(&go_split(s, sep, n)))
}

pub(crate) fn split_list(args: &[Value]) -> R {
    let (sep, s) = two_str(args, "splitList")?;
    Ok(Value::typed_list(
        ListType::String,
        go_split(s, sep, -1).into_iter().map(Value::from).collect(),
    ))
}

/// `getHostByName`: Helm answers `""` unless DNS lookups are enabled, which `helm template`
/// does not do by default; a renderer has no network.
pub(crate) fn get_host_by_name(args: &[Value]) -> R {
    one_str(args, "getHostByName")?;
    ok_str("")
}

/// goutils' `WrapCustom(str, width, newline, wrapLongWords)`.
fn wrap_custom(s: &str, width: i64, newline: &str, wrap_long: bool) -> String {
    let width = if width < 1 { 1 } else { width as usize };
    let b = s.as_bytes();
    let len = b.len();
    let mut out = String::with_capacity(len + 8);
    let mut offset = 0usize;
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        // Go slices bytes: the window and the searches may cut a character.
        let window_end = (offset + width + 1).min(len);
        let space = b[offset..window_end].iter().rposition(|&c| c == b' ');
        match space {
            Some(sp) if sp > 0 => {
                out.push_str(&bytes_to_string(&b[offset..offset + sp]));
                out.push_str(newline);
                offset += sp + 1;
            }
            _ => {
                if wrap_long {
                    out.push_str(&bytes_to_string(&b[offset..offset + width]));
                    out.push_str(newline);
                    offset += width;
                } else {
                    match memchr::memchr(b' ', &b[offset + width..]) {
                        Some(sp) => {
                            let at = offset + width + sp;
                            out.push_str(&bytes_to_string(&b[offset..at]));
                            out.push_str(newline);
                            offset = at + 1;
                        }
                        None => {
                            out.push_str(&bytes_to_string(&b[offset..]));
                            offset = len;
                        }
                    }
                }
            }
        }
    }
    out.push_str(&bytes_to_string(&b[offset..]));
    out
}

pub(crate) fn wrap(args: &[Value]) -> R {
    arity(args, 2, "wrap")?;
    let w = int_arg(&args[0])?;
    ok_str(wrap_custom(str_arg(&args[1])?, w, "\n", false))
}

pub(crate) fn wrap_with(args: &[Value]) -> R {
    arity(args, 3, "wrapWith")?;
    let w = int_arg(&args[0])?;
    // goutils wraps with "\n" when given no separator.
    let sep = match str_arg(&args[1])? {
        "" => "\n",
        sep => sep,
    };
    ok_str(wrap_custom(str_arg(&args[2])?, w, sep, true))
}

// --- URLs ------------------------------------------------------------------------------------

/// Sprig's `urlJoin`: builds a URL from a dict with the keys `urlParse` produces.
pub(crate) fn url_join(args: &[Value]) -> R {
    arity(args, 1, "urlJoin")?;
    let m = map_arg(&args[0])?;
    let get = |k: &str| -> String {
        match m.get(k) {
            Some(Value::String(s)) => s.to_string(),
            _ => String::new(),
        }
    };
    let scheme = get("scheme");
    let host = get("host");
    let userinfo = get("userinfo");
    let opaque = get("opaque");
    let path = get("path");
    let query = get("query");
    let fragment = get("fragment");
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || !userinfo.is_empty() {
            if !host.is_empty() || !path.is_empty() || !userinfo.is_empty() {
                out.push_str("//");
            }
            if !userinfo.is_empty() {
                out.push_str(&userinfo);
                out.push('@');
            }
            out.push_str(&host);
        }
        if !path.is_empty() && !path.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        out.push_str(&path);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&fragment);
    }
    ok_str(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_strings_come_back_as_they_are_and_changed_ones_change() {
        let s = |x: &str| Value::from(x);
        let out = |r: R| r.map(|v| v.to_string()).unwrap_or_else(|e| e.to_string());
        assert_eq!(out(trim(&[s(" a\t")])), "a");
        assert_eq!(out(trim(&[s("a b")])), "a b");
        assert_eq!(out(upper(&[s("AB-1")])), "AB-1");
        assert_eq!(out(upper(&[s("ab-é")])), "AB-É");
        assert_eq!(out(lower(&[s("ab-1")])), "ab-1");
        assert_eq!(out(lower(&[s("AÉ")])), "aé");
        assert_eq!(out(trim_all(&[s("-"), s("-a-")])), "a");
        assert_eq!(out(trim_all(&[s("-"), s("a")])), "a");
        assert_eq!(out(trim_suffix(&[s("-"), s("a-")])), "a");
        assert_eq!(out(trim_suffix(&[s("-"), s("a")])), "a");
        assert_eq!(out(trim_prefix(&[s("-"), s("-a")])), "a");
        assert_eq!(out(replace(&[s("z"), s("y"), s("ab")])), "ab");
        assert_eq!(out(replace(&[s(""), s("x"), s("ab")])), "xaxbx");
        assert_eq!(out(replace(&[s("a"), s("y"), s("ab")])), "yb");
        // A non-string is refused as before.
        assert!(out(upper(&[Value::Int(1)])).contains("expected string"));
    }

    #[test]
    fn split_like_go() {
        assert_eq!(go_split("a,b,,c", ",", -1), vec!["a", "b", "", "c"]);
        assert_eq!(go_split("abc", "", -1), vec!["a", "b", "c"]);
        assert_eq!(go_split("a/b/c", "/", 2), vec!["a", "b/c"]);
        assert!(go_split("a", "/", 0).is_empty());
    }

    #[test]
    fn indents_every_line_at_any_width() {
        assert_eq!(do_indent(2, "a\n\nb\n", false), "  a\n  \n  b\n  ");
        assert_eq!(do_indent(0, "a", true), "\na");
        let wide = do_indent(70, "x\ny", true);
        let pad = " ".repeat(70);
        assert_eq!(wide, format!("\n{pad}x\n{pad}y"));
        assert_eq!(wide.capacity(), wide.len());
    }
}
