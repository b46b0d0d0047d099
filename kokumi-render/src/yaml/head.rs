//! A fast path for reading a rendered document's head (`apiVersion`, `kind`, `metadata`).
//!
//! Helm decodes every rendered document in full to sort it (`SortManifests` unmarshals into a
//! `SimpleHead`), so a document that is not valid YAML fails the render. Doing that with the full
//! parser ([`super::parse`]) builds a value tree for every byte of output, and on charts that
//! render large CRDs that is most of the render time.
//!
//! [`reduce`] checks, line by line and without allocating a tree, that a document belongs to a
//! plain subset of block YAML which the full parser always accepts: block mappings and sequences
//! with consistent indentation, simple keys, single-line plain and quoted scalars, `{}`, flow
//! sequences of scalars on one line (`command: ["sh", "-c"]`), `|`/`>` block scalars, comments.
//! For such a document it returns only the top-level `apiVersion`, `kind` and `metadata`
//! entries, which parse to the same head as the whole document. Anything outside the subset
//! (anchors, tags, other flow collections, multi-line plain or quoted scalars, tabs, complex
//! keys, unusual characters, values the JSON round trip refuses, any indentation it cannot
//! place) gives `None`, and the caller parses the whole document as before. The subset is deliberately narrow: being wrong here would change what a render
//! accepts, being narrow only costs time. It is read from the bytes a word at a time where it
//! can be (indentation, newlines, lowercase keys, spaces in short values); the tests hold it to
//! the full parser on generated and corpus documents (what it takes, the parser takes, with the
//! same head).
//!
//! [`head_value`] then reads the reduced head without the generic parser when it is only nested
//! block mappings of one-line entries (the usual `metadata`: name, labels, annotations); any
//! other head goes to the full parser, so the value is the parser's either way.

use std::borrow::Cow;

use crate::value::{Map, Value};

/// The top-level entries of `doc` that the head reads, if `doc` is in the plain subset.
///
/// ```
/// use kokumi_render::yaml::head::reduce;
/// let doc = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: |\n    text\n";
/// assert_eq!(reduce(doc).as_deref(), Some("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"));
/// assert_eq!(reduce("a: &anchor 1\n"), None);
/// ```
pub fn reduce(doc: &str) -> Option<Cow<'_, str>> {
    if !chars_ok(doc) {
        return None;
    }
    let mut v = Validator::default();
    // One pass over the bytes, a line at a time, without collecting the lines: the head
    // entries are kept as byte ranges of `doc`. Every boundary the checks below cut at is an
    // ASCII byte (a space, a newline, a quote, `:`), so the ranges are `str` boundaries.
    let mut lines = Lines::new(doc.as_bytes());
    let mut keep: Vec<(usize, usize)> = Vec::new();
    let mut keeping: Option<usize> = None;
    while let Some(line) = lines.next() {
        let (indent, pos) = (line.indent, line.start);
        let rest = &line.text[indent..];
        let Some(&first) = rest.first() else {
            continue;
        };
        if first == b'#' {
            continue;
        }
        // Top-level entries are found at column 0: a document whose root is indented (after a
        // comment line) is left to the full parser.
        if v.root.is_none() && indent != 0 {
            return None;
        }
        // A top-level key ends the entry before it (a `-` at column 0 belongs to that
        // entry's value: a sequence written at its key's indentation).
        if indent == 0 && !is_dash(rest) {
            if let Some(start) = keeping.take() {
                keep.push((start, pos));
            }
            match top_key(rest) {
                Some(true) => keeping = Some(pos),
                Some(false) => {}
                None => return None,
            }
        }
        match v.line(indent, rest)? {
            Next::Line => {}
            Next::Block(parent) => block_scalar_end(&mut lines, parent)?,
            Next::Plain(parent) => plain_scalar_end(&mut lines, parent),
            Next::Quoted(parent, single) => quoted_end(&mut lines, parent, single)?,
        }
    }
    if let Some(start) = keeping.take() {
        keep.push((start, doc.len()));
    }
    if v.root == Some(Kind::Seq) {
        return None;
    }
    // The head entries usually stand together (at the top): then they are a slice of `doc`.
    match keep.as_slice() {
        [] => Some(Cow::Borrowed("")),
        [(start, end)] => doc.get(*start..*end).map(Cow::Borrowed),
        _ => {
            let mut out = String::new();
            for (start, end) in keep {
                out.push_str(doc.get(start..end)?);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Some(Cow::Owned(out))
        }
    }
}

/// Whether a line's text (after its indentation) is a sequence entry: `-` alone or `- `.
#[inline]
fn is_dash(rest: &[u8]) -> bool {
    rest.first() == Some(&b'-') && matches!(rest.get(1), None | Some(b' '))
}

/// `b` without the spaces it starts with.
#[inline]
fn trim_start_spaces(b: &[u8]) -> &[u8] {
    match b {
        // Mostly the one space after `key:` or `-`.
        [b' ', rest @ ..] if rest.first() != Some(&b' ') => rest,
        _ => {
            let mut n = 0;
            while b.get(n) == Some(&b' ') {
                n += 1;
            }
            &b[n..]
        }
    }
}

/// `b` without the spaces it ends with.
#[inline]
fn trim_end_spaces(b: &[u8]) -> &[u8] {
    if b.last() != Some(&b' ') {
        return b;
    }
    let mut n = b.len();
    while n > 0 && b[n - 1] == b' ' {
        n -= 1;
    }
    &b[..n]
}

/// One line of a document: where it starts in the text, its indentation, its bytes without
/// the newline.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    start: usize,
    indent: usize,
    text: &'a [u8],
}

/// The lines of a document in order, each measured once (indentation, then the newline after
/// it), with one line of lookahead (the line that ends a scalar is looked at there and then
/// again by the caller).
struct Lines<'a> {
    doc: &'a [u8],
    from: usize,
    peeked: Option<Line<'a>>,
}

impl<'a> Lines<'a> {
    fn new(doc: &'a [u8]) -> Self {
        Self {
            doc,
            from: 0,
            peeked: None,
        }
    }

    #[inline]
    fn peek(&mut self) -> Option<Line<'a>> {
        if self.peeked.is_none() {
            self.peeked = self.read();
        }
        self.peeked
    }

    #[inline]
    fn next(&mut self) -> Option<Line<'a>> {
        match self.peeked.take() {
            Some(line) => Some(line),
            None => self.read(),
        }
    }

    #[inline(always)]
    fn read(&mut self) -> Option<Line<'a>> {
        let start = self.from;
        let rest = self.doc.get(start..).filter(|r| !r.is_empty())?;
        // The indentation stops at the first other byte, a newline included; the newline is
        // looked for after it.
        let indent = indent_of(rest);
        let len = indent + newline_in(&rest[indent..]).unwrap_or(rest.len() - indent);
        self.from = start + len + 1;
        Some(Line {
            start,
            indent,
            text: &rest[..len],
        })
    }
}

/// The index of the first newline in `bytes`: sixteen bytes at a time over the first 64 (most
/// lines end there after their indentation, and a call into memchr costs more), then memchr.
#[inline(always)]
fn newline_in(bytes: &[u8]) -> Option<usize> {
    const NL: u128 = u128::from_ne_bytes([b'\n'; 16]);
    const ONES: u128 = u128::from_ne_bytes([0x01; 16]);
    const HIGHS: u128 = u128::from_ne_bytes([0x80; 16]);
    let mut n = 0;
    for w in bytes.chunks_exact(16).take(4) {
        let mut word = [0u8; 16];
        word.copy_from_slice(w);
        // A zero byte of `x` is a newline; the lowest flagged byte is always a true zero.
        let x = u128::from_le_bytes(word) ^ NL;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(n + (found.trailing_zeros() / 8) as usize);
        }
        n += 16;
    }
    memchr::memchr(b'\n', &bytes[n..]).map(|i| n + i)
}

/// The number of spaces a line starts with, counted sixteen bytes at a time (CRD lines are
/// indented deeply, and every line's indentation is read).
#[inline(always)]
fn indent_of(bytes: &[u8]) -> usize {
    const SPACES: u128 = u128::from_ne_bytes([b' '; 16]);
    let mut words = bytes.chunks_exact(16);
    let mut n = 0;
    for w in &mut words {
        let mut word = [0u8; 16];
        word.copy_from_slice(w);
        let diff = u128::from_le_bytes(word) ^ SPACES;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 16;
    }
    n + words.remainder().iter().take_while(|&&b| b == b' ').count()
}

/// Whether a top-level key line names a head field (`Some(true)`), another plain key
/// (`Some(false)`), or something the reduction cannot judge (a quoted key: `None`).
#[inline]
fn top_key(rest: &[u8]) -> Option<bool> {
    if matches!(rest.first(), Some(b'"' | b'\'')) {
        return None;
    }
    let key = memchr::memchr(b':', rest).map_or(rest, |i| &rest[..i]);
    Some(
        [&b"apiVersion"[..], b"kind", b"metadata"]
            .iter()
            .any(|f| key.eq_ignore_ascii_case(f)),
    )
}

/// Only printable characters YAML reads the same way everywhere: no tabs, no carriage returns,
/// no other control characters, no byte-order marks, no Unicode line separators.
fn chars_ok(doc: &str) -> bool {
    // A document of newlines and printable ASCII passes in one vectorised pass; anything else
    // (a control byte or any non-ASCII character) is looked at character by character.
    if ascii_printable(doc.as_bytes()) {
        return true;
    }
    !doc.is_ascii()
        && doc.chars().all(|c| {
            matches!(c,
                '\n'
                | ' '..='~'
                | '\u{a0}'..='\u{2027}'
                | '\u{202a}'..='\u{d7ff}'
                | '\u{e000}'..='\u{fefe}'
                | '\u{ff00}'..='\u{fffd}'
                | '\u{10000}'..='\u{10ffff}')
        })
}

/// Whether every byte is a newline or printable ASCII, checked a block at a time (a loop the
/// compiler vectorises) rather than byte by byte with an early exit.
fn ascii_printable(bytes: &[u8]) -> bool {
    // `b + 1`, read as a signed byte, is above 0x20 exactly for 0x20..=0x7e: one add and one
    // signed compare per byte, which SSE2 has.
    let ok = |b: u8| (b.wrapping_add(1) as i8 > 0x20) | (b == b'\n');
    let mut blocks = bytes.chunks_exact(128);
    for block in &mut blocks {
        let mut bad = false;
        for &b in block {
            bad |= !ok(b);
        }
        if bad {
            return false;
        }
    }
    blocks.remainder().iter().all(|&b| ok(b))
}

/// What may follow a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Next {
    /// The next structural line.
    Line,
    /// The content of a block scalar, indented more than this.
    Block(usize),
    /// Continuation lines of a plain scalar, indented more than this.
    Plain(usize),
    /// Continuation lines of a quoted scalar (single-quoted when `true`), indented more than
    /// this.
    Quoted(usize, bool),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Map,
    Seq,
}

/// What the previous line left open: a key or a `-` with no value on its line.
#[derive(Debug, Clone, Copy)]
struct Pending {
    indent: usize,
    from_map: bool,
}

#[derive(Default)]
struct Validator {
    stack: Vec<(Kind, usize)>,
    pending: Option<Pending>,
    root: Option<Kind>,
}

impl Validator {
    /// Checks one content line (`rest` is the line after its `indent` spaces, not empty).
    /// Returns what may follow it, `None` outside the subset.
    #[inline(always)]
    fn line(&mut self, indent: usize, rest: &[u8]) -> Option<Next> {
        let is_seq = is_dash(rest);
        let kind = if is_seq { Kind::Seq } else { Kind::Map };
        let pending = self.pending.take();
        // `{}` or `[]` on the line after its key (how toYaml | nindent prints empty values).
        if rest.starts_with(b"{}") || rest.starts_with(b"[]") {
            return (pending.is_some_and(|p| indent > p.indent) && trailing_ok(&rest[2..]))
                .then_some(Next::Line);
        }
        let mut opened = false;
        if let Some(p) = pending
            && (indent > p.indent || (indent == p.indent && is_seq && p.from_map))
        {
            self.stack.push((kind, indent));
            opened = true;
        }
        if self.stack.is_empty() {
            if self.root.is_some() {
                return None;
            }
            self.root = Some(kind);
            self.stack.push((kind, indent));
            opened = true;
        }
        // A line at the indentation of the innermost open collection, of its kind (the usual
        // next entry), needs nothing closed.
        if !opened && self.stack.last() != Some(&(kind, indent)) {
            while self.stack.last().is_some_and(|&(_, i)| i > indent) {
                self.stack.pop();
            }
            if self.stack.last() == Some(&(Kind::Seq, indent)) && kind == Kind::Map {
                self.stack.pop();
            }
            if self.stack.last() != Some(&(kind, indent)) {
                return None;
            }
        }
        if is_seq {
            self.seq_entry(indent, rest)
        } else {
            let end = key_end(rest)?;
            self.map_value(indent, &rest[end + 1..])
        }
    }

    fn seq_entry(&mut self, indent: usize, rest: &[u8]) -> Option<Next> {
        let after = &rest[1..];
        let body = trim_start_spaces(after);
        let Some(&first) = body.first() else {
            self.pending = Some(Pending {
                indent,
                from_map: false,
            });
            return Some(Next::Line);
        };
        if first == b'#' {
            if after.first() != Some(&b' ') {
                return None;
            }
            self.pending = Some(Pending {
                indent,
                from_map: false,
            });
            return Some(Next::Line);
        }
        let col = indent + 1 + (after.len() - body.len());
        if is_dash(body) || first == b'?' {
            return None;
        }
        if let Some(end) = key_end(body) {
            self.stack.push((Kind::Map, col));
            return self.map_value(col, &body[end + 1..]);
        }
        value(body, indent)
    }

    /// The rest of a mapping entry at `indent`, `after` its key's `:` (nothing, or a space
    /// first: [`key_end`] checked that).
    #[inline(always)]
    fn map_value(&mut self, indent: usize, after: &[u8]) -> Option<Next> {
        let body = trim_start_spaces(after);
        match body.first() {
            None | Some(b'#') => {
                self.pending = Some(Pending {
                    indent,
                    from_map: true,
                });
                Some(Next::Line)
            }
            Some(_) => value(body, indent),
        }
    }
}

/// The bytes a plain simple key may hold, and the `:` that ends it (so one lookup per byte
/// both finds the end and checks the key): ASCII letters and digits, `_ $ / . -`.
const KEY_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = b.is_ascii_alphanumeric() || matches!(b, b'_' | b'$' | b'/' | b'.' | b'-');
        c += 1;
    }
    t
};

/// Where the `:` after a simple plain or quoted key at the start of `b` is, if `b` is such a
/// key, the `:`, and then nothing or a space.
#[inline(always)]
fn key_end(b: &[u8]) -> Option<usize> {
    let end = match *b.first()? {
        b'"' => {
            let close = 1 + memchr::memchr(b'"', &b[1..])?;
            if memchr::memchr(b'\\', &b[1..close]).is_some() {
                return None;
            }
            close + 1
        }
        b'\'' => 2 + memchr::memchr(b'\'', &b[1..])?,
        first => {
            // One pass up to the `:`: any byte a simple key cannot hold before it (or no `:`
            // at all) refuses the line either way.
            let mut end = 0;
            loop {
                // Lowercase letters (most of any key) are skipped eight at a time; any other
                // byte goes through the table.
                if let Some(w) = b.get(end..end + 8) {
                    let run = lowercase_run(u64::from_le_bytes(w.try_into().unwrap_or_default()));
                    end += run;
                    if run == 8 {
                        continue;
                    }
                }
                if !KEY_BYTE[usize::from(*b.get(end)?)] {
                    break;
                }
                end += 1;
            }
            if end == 0
                || end > 1000
                || b[end] != b':'
                || matches!(first, b'.' | b'-')
                || (end == 4 && matches!(&b[..4], b"null" | b"Null" | b"NULL"))
            {
                return None;
            }
            return matches!(b.get(end + 1), None | Some(b' ')).then_some(end);
        }
    };
    if end > 1000 || b.get(end) != Some(&b':') {
        return None;
    }
    matches!(b.get(end + 1), None | Some(b' ')).then_some(end)
}

/// How many of the eight bytes of `w` (in memory order) are ASCII lowercase letters before
/// the first that is not. With the high bits cleared no byte carries into the next: a byte is
/// at least `a` when adding 0x1f sets its high bit, and not above `z` when adding 0x05 leaves
/// it clear; a byte whose high bit was set is no letter.
#[inline(always)]
fn lowercase_run(w: u64) -> usize {
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    const TO_A: u64 = u64::from_ne_bytes([0x80 - b'a'; 8]);
    const PAST_Z: u64 = u64::from_ne_bytes([0x80 - b'z' - 1; 8]);
    let x = w & LOWS;
    let lower = (x + TO_A) & !(x + PAST_Z) & !w & HIGHS;
    ((!lower & HIGHS).trailing_zeros() / 8) as usize
}

/// Splits `key: value` into the key text and what follows the `:`, if the key is a simple
/// plain or quoted key.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let end = key_end(s.as_bytes())?;
    Some((s.get(..end)?, s.get(end + 1..)?))
}

/// Checks a value that starts on its key's (or `-`'s) line (`body` is not empty and does not
/// start with a space). `parent` is the indentation a block scalar's content must exceed.
#[inline(always)]
fn value(body: &[u8], parent: usize) -> Option<Next> {
    let first = body[0];
    match first {
        b'|' | b'>' => {
            let mut h = &body[1..];
            if let Some((b'-' | b'+', r)) = h.split_first() {
                h = r;
            }
            let trail = trim_start_spaces(h);
            if !(trail.is_empty() || (trail[0] == b'#' && trail.len() < h.len())) {
                return None;
            }
            Some(Next::Block(parent))
        }
        b'"' | b'\'' => match scan_quoted(&body[1..], first == b'\'')? {
            Some(end) => trailing_ok(&body[1 + end..]).then_some(Next::Line),
            None => Some(Next::Quoted(parent, first == b'\'')),
        },
        b'[' | b'{' => {
            let end = if first == b'[' {
                flow_sequence(body)?
            } else {
                body.starts_with(b"{}").then_some(2)?
            };
            trailing_ok(&body[end..]).then_some(Next::Line)
        }
        b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b']' | b'}' | b',' | b'#' | b'?' | b':' => None,
        _ => {
            // A comment ends the scalar: it cannot continue on the next lines. One pass finds
            // the first ` #` and any `: ` before it.
            let (cut, colon_space) = comment_and_colon(body);
            let (text, commented) = match cut {
                Some(p) => (&body[..p], true),
                None => (body, false),
            };
            let text = trim_end_spaces(text);
            // Only text starting like a number or `inf`/`nan` can be one that is not finite.
            let numeric = matches!(
                first,
                b'0'..=b'9' | b'.' | b'+' | b'-' | b'i' | b'I' | b'n' | b'N'
            );
            if colon_space
                || text.last() == Some(&b':')
                || (first == b'-' && matches!(text.get(1), None | Some(b' ')))
                || (numeric && not_finite(text))
            {
                return None;
            }
            Some(if commented {
                Next::Line
            } else {
                Next::Plain(parent)
            })
        }
    }
}

/// A flow sequence closed on its line, as manifests write `command` and `args`: `[]`, or
/// items that are quoted scalars or short plain words, separated by commas. Returns the length
/// up to its `]`. Plain items are only letters, digits and `._/=`-, starting with a letter, a
/// digit, `.` or `/` (no indicators, no `: `, no comments, and a non-finite number refused);
/// nested collections, empty items and a trailing comma are left to the full parser.
fn flow_sequence(b: &[u8]) -> Option<usize> {
    let spaces = |mut i: usize| {
        while b.get(i) == Some(&b' ') {
            i += 1;
        }
        i
    };
    let mut i = spaces(1);
    if b.get(i) == Some(&b']') {
        return Some(i + 1);
    }
    loop {
        let first = *b.get(i)?;
        i = match first {
            b'\'' | b'"' => i + 1 + scan_quoted(&b[i + 1..], first == b'\'')??,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'/' => {
                let start = i;
                while b.get(i).is_some_and(|&c| {
                    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'/' | b'=' | b'-')
                }) {
                    i += 1;
                }
                if not_finite(&b[start..i]) {
                    return None;
                }
                i
            }
            _ => return None,
        };
        i = spaces(i);
        match b.get(i)? {
            b']' => return Some(i + 1),
            b',' => i = spaces(i + 1),
            _ => return None,
        }
        if b.get(i) == Some(&b']') {
            return None;
        }
    }
}

/// In a plain scalar's text: where a ` #` comment starts (at its space), and whether a `: `
/// comes before it. Jumps between `#` and `:` bytes with memchr rather than looking at every
/// byte (descriptions in CRDs are long lines with few of either).
fn comment_and_colon(bytes: &[u8]) -> (Option<usize>, bool) {
    let mut colon_space = false;
    // Short values (`type: string`) are cheaper to look at byte by byte than to set up a
    // vector search for. Both marks hold a space, so only spaces are looked at: the `:`
    // before one, the `#` after it (most short values have no space at all).
    if bytes.len() < 24 {
        if !has_space(bytes) {
            return (None, false);
        }
        for (i, &b) in bytes.iter().enumerate() {
            if b == b' ' {
                if i > 0 && bytes[i - 1] == b':' {
                    colon_space = true;
                }
                if bytes.get(i + 1) == Some(&b'#') {
                    return (Some(i), colon_space);
                }
            }
        }
        return (None, colon_space);
    }
    for i in memchr::memchr2_iter(b'#', b':', bytes) {
        if bytes[i] == b'#' {
            if i > 0 && bytes[i - 1] == b' ' {
                return (Some(i - 1), colon_space);
            }
        } else if bytes.get(i + 1) == Some(&b' ') {
            colon_space = true;
        }
    }
    (None, colon_space)
}

/// Whether a short text (below 24 bytes) holds a space, looked for a word at a time: words
/// from the start and one ending at the end (they may overlap), so no byte is read twice in
/// vain and none is missed.
#[inline(always)]
fn has_space(bytes: &[u8]) -> bool {
    // A byte of `x` is zero exactly where `w` has a space; the test sets a high bit exactly
    // for the zero bytes, as no addition carries across bytes.
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    const LOWS: u64 = u64::from_ne_bytes([0x7f; 8]);
    let zero = |w: u64| {
        let x = w ^ SPACES;
        !(((x & LOWS) + LOWS) | x | LOWS) != 0
    };
    let n = bytes.len();
    if n < 4 {
        return bytes.contains(&b' ');
    }
    if n < 8 {
        // Two four-byte words, the second ending at the end, as one: a zero byte of either is
        // a space.
        let word = |at: usize| {
            let w: [u8; 4] = bytes[at..at + 4].try_into().unwrap_or_default();
            u64::from(u32::from_le_bytes(w))
        };
        return zero(word(0) | (word(n - 4) << 32));
    }
    let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default());
    let mut at = 0;
    while at + 8 < n {
        if zero(word(at)) {
            return true;
        }
        at += 8;
    }
    zero(word(n - 8))
}

/// Whether a plain scalar might resolve to an infinity or NaN, which the JSON round trip
/// refuses (`.inf`, `-.Inf`, `.NaN`, `1e999`, ...).
fn not_finite(text: &[u8]) -> bool {
    let mut t = text;
    while let Some((b'+' | b'-', r)) = t.split_first() {
        t = r;
    }
    // `f64::from_str` reads only digits, `.`, or the words inf, infinity and nan: any other
    // letter first means it is not a number at all.
    match t.first() {
        Some(b'i' | b'I' | b'n' | b'N') => {
            // Then only those words, after at most one sign, are a number (`Float ::= Sign?
            // ('inf' | 'infinity' | 'nan' | Number)`, case-insensitively), and not a finite one.
            return text.len() - t.len() <= 1
                && [&b"inf"[..], b"infinity", b"nan"]
                    .iter()
                    .any(|w| t.eq_ignore_ascii_case(w));
        }
        Some(b) if b.is_ascii_alphabetic() => return false,
        _ => {}
    }
    // Up to 300 digits are a finite number (`f64::MAX` has 309), and so are they with one
    // sign; with more signs they are no number at all.
    if (1..=300).contains(&t.len()) && t.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if let Some(word) = t.strip_prefix(b".")
        && (word.eq_ignore_ascii_case(b"inf") || word.eq_ignore_ascii_case(b"nan"))
    {
        return true;
    }
    // The text is cut from the document at ASCII bytes, so it is UTF-8.
    std::str::from_utf8(text).is_ok_and(|s| s.parse::<f64>().is_ok_and(|f| !f.is_finite()))
}

/// Scans quoted-scalar text (after the opening quote, or a continuation line) for its closing
/// quote: `Some(Some(end))` just past it, `Some(None)` when the line ends first, `None` for
/// escapes outside the subset (only `\\ \" \n \t \r \/ \0 \b \f` and `\u` with four hex digits
/// naming a character are taken, and no escaped line break).
fn scan_quoted(b: &[u8], single: bool) -> Option<Option<usize>> {
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' if single => {
                if b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                return Some(Some(i + 1));
            }
            b'"' if !single => return Some(Some(i + 1)),
            b'\\' if !single => {
                match b.get(i + 1)? {
                    b'\\' | b'"' | b'n' | b't' | b'r' | b'/' | b'0' | b'b' | b'f' => i += 2,
                    // `\uXXXX`, as Go's JSON encoder writes `<`, `>` and `&` (toJson output
                    // quoted into YAML): four hex digits naming a character, not a surrogate.
                    b'u' => {
                        let mut code = 0;
                        for &c in b.get(i + 2..i + 6)? {
                            code = code * 16 + char::from(c).to_digit(16)?;
                        }
                        char::from_u32(code)?;
                        i += 6;
                    }
                    _ => return None,
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    Some(None)
}

/// Takes the continuation lines of a quoted scalar that started on the line before and was not
/// closed there. They must be indented more than `parent` (saphyr refuses less than the block's
/// indentation; we ask for more), and what follows the closing quote must be nothing or a
/// comment; `None` otherwise, or if the scalar is never closed.
fn quoted_end(lines: &mut Lines<'_>, parent: usize, single: bool) -> Option<()> {
    while let Some(line) = lines.next() {
        let indent = line.indent;
        if indent == line.text.len() {
            continue;
        }
        if indent <= parent {
            return None;
        }
        if let Some(end) = scan_quoted(&line.text[indent..], single)? {
            return trailing_ok(&line.text[indent + end..]).then_some(());
        }
    }
    None
}

/// After a quoted scalar or an empty collection: nothing, or spaces and a comment.
#[inline]
fn trailing_ok(tail: &[u8]) -> bool {
    let t = trim_start_spaces(tail);
    t.is_empty() || (t[0] == b'#' && t.len() < tail.len())
}

/// Takes the continuation lines of a plain scalar that started on the line before: lines
/// indented more than `parent` that can only be more of the scalar (no indicator first, no
/// `: `, no ` #`), and blank lines between them. The first other line is left for the caller.
fn plain_scalar_end(lines: &mut Lines<'_>, parent: usize) {
    while let Some(line) = lines.peek() {
        let text = &line.text[line.indent..];
        let Some(&first) = text.first() else {
            lines.next();
            continue;
        };
        // Inside a plain scalar only `: ` and ` #` end it; the indicators that would start
        // something else at the start of a line are refused all the same, to stay narrow.
        if line.indent <= parent
            || matches!(
                first,
                b'?' | b':' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@'
            )
            || is_dash(text)
            || text.last() == Some(&b':')
            || {
                let (cut, colon_space) = comment_and_colon(text);
                cut.is_some() || colon_space
            }
        {
            return;
        }
        lines.next();
    }
}

/// Takes the content lines of a block scalar whose content must be indented more than
/// `parent`, leaving the first line after it for the caller; `None` for layouts outside the
/// subset.
fn block_scalar_end(lines: &mut Lines<'_>, parent: usize) -> Option<()> {
    let mut content: Option<usize> = None;
    let mut leading_blank_max = 0;
    while let Some(line) = lines.peek() {
        let indent = line.indent;
        let blank = indent == line.text.len();
        match content {
            None if blank => leading_blank_max = leading_blank_max.max(indent),
            None => {
                if indent <= parent {
                    return Some(());
                }
                if leading_blank_max > indent {
                    return None;
                }
                content = Some(indent);
            }
            Some(c) => {
                if !blank && indent < c {
                    return Some(());
                }
            }
        }
        lines.next();
    }
    Some(())
}

/// The value [`super::parse::parse`] gives for a head that [`reduce`] returned, read without the
/// generic parser when the head is only nested block mappings of one-line entries: `key: value`
/// or `key:` with plain, single-quoted, or backslash-free double-quoted scalars, `{}` and `[]`.
/// Anything else (sequences, block scalars, scalars continued on the next line, escapes) gives
/// `None`, and the caller parses the reduced text in full. Scalars and keys resolve through the
/// parser's own functions, so `yes`, `~`, `010` or a key `1.0` mean what they mean there.
///
/// ```
/// use kokumi_render::value::Value;
/// use kokumi_render::yaml::head::head_value;
/// let v = head_value("kind: Pod\nmetadata:\n  name: 'it''s'\n  labels: {}\n").unwrap();
/// assert_eq!(v, kokumi_render::yaml::parse::parse("kind: Pod\nmetadata:\n  name: 'it''s'\n  labels: {}\n").unwrap());
/// assert_eq!(head_value("kind: Pod\nmetadata:\n  name: a\n    b\n"), None);
/// ```
pub fn head_value(reduced: &str) -> Option<Value> {
    // The open mappings, outermost first, with their indentation; `keys[i]` is the key in
    // `open[i]` whose value `open[i + 1]` is.
    let mut open: Vec<(usize, Map)> = Vec::new();
    let mut keys: Vec<String> = Vec::new();
    // A key with nothing after it on its line: null, or the mapping on the lines below.
    let mut pending: Option<(usize, String)> = None;
    // The indentation of a key whose value was an empty `{}` or `[]` on the line below it
    // (`annotations:\n    {}`, as `toYaml` of an empty map indented under its key leaves it):
    // nothing may follow deeper.
    let mut flow_under: Option<usize> = None;
    for line in reduced.split('\n') {
        let indent = indent_of(line.as_bytes());
        let rest = &line[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        if flow_under.take().is_some_and(|at| indent > at) {
            return None;
        }
        if let Some((at, key)) = pending.take() {
            if indent > at {
                if let Some(v) = empty_flow(rest) {
                    open.last_mut()?.1.insert(key, v);
                    flow_under = Some(at);
                    continue;
                }
                keys.push(key);
                open.push((indent, Map::new()));
            } else {
                open.last_mut()?.1.insert(key, Value::Nil);
            }
        }
        if open.is_empty() {
            if indent != 0 {
                return None;
            }
            open.push((0, Map::new()));
        }
        while open.last().is_some_and(|&(i, _)| i > indent) {
            let (_, map) = open.pop()?;
            open.last_mut()?.1.insert(keys.pop()?, Value::map(map));
        }
        let (at, map) = open.last_mut()?;
        if *at != indent {
            return None;
        }
        let (key, after) = split_key(rest)?;
        let key = match key.as_bytes().first()? {
            b'"' | b'\'' => key[1..key.len() - 1].to_string(),
            _ => super::parse::plain_key(key).ok()?,
        };
        let body = after.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            pending = Some((indent, key));
            continue;
        }
        map.insert(key, one_line_value(body)?);
    }
    if let Some((_, key)) = pending {
        open.last_mut()?.1.insert(key, Value::Nil);
    }
    while open.len() > 1 {
        let (_, map) = open.pop()?;
        open.last_mut()?.1.insert(keys.pop()?, Value::map(map));
    }
    Some(open.pop().map_or(Value::Nil, |(_, map)| Value::map(map)))
}

/// `{}` or `[]` alone (but for a comment), as a value.
fn empty_flow(rest: &str) -> Option<Value> {
    let b = rest.as_bytes();
    let v = match b.get(..2)? {
        b"{}" => Value::map(Map::new()),
        b"[]" => Value::list(Vec::new()),
        _ => return None,
    };
    trailing_ok(&b[2..]).then_some(v)
}

/// A value that starts after its key on the same line and, in a reduced head that
/// [`head_value`] reads, ends there (a continuation would be a deeper line, which it refuses).
fn one_line_value(body: &str) -> Option<Value> {
    let b = body.as_bytes();
    match b[0] {
        b'"' => {
            let close = 1 + memchr::memchr2(b'"', b'\\', &b[1..])?;
            (b[close] == b'"' && trailing_ok(&b[close + 1..]))
                .then(|| Value::string(&body[1..close]))
        }
        b'\'' => {
            let mut text = String::new();
            let mut from = 1;
            loop {
                let q = from + memchr::memchr(b'\'', &b[from..])?;
                text.push_str(&body[from..q]);
                if b.get(q + 1) == Some(&b'\'') {
                    text.push('\'');
                    from = q + 2;
                } else {
                    return trailing_ok(&b[q + 1..]).then(|| Value::string(text));
                }
            }
        }
        b'{' | b'[' => {
            let v = match b.get(..2)? {
                b"{}" => Value::map(Map::new()),
                b"[]" => Value::list(Vec::new()),
                _ => return None,
            };
            trailing_ok(&b[2..]).then_some(v)
        }
        b'|' | b'>' | b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b']' | b'}' | b',' | b'#'
        | b'?' | b':' => None,
        _ => {
            let (cut, colon_space) = comment_and_colon(b);
            let text = cut.map_or(body, |p| &body[..p]).trim_end_matches(' ');
            if colon_space || text.ends_with(':') || (b[0] == b'-' && text.len() == 1) {
                return None;
            }
            if b[0] == b'-' && b.get(1) == Some(&b' ') {
                return None;
            }
            super::parse::plain_value(text).ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_indentation_across_words() {
        for n in 0..40 {
            let line = format!("{}x: 1", " ".repeat(n));
            assert_eq!(indent_of(line.as_bytes()), n, "{line:?}");
            assert_eq!(indent_of(" ".repeat(n).as_bytes()), n);
        }
    }

    #[test]
    fn finds_newlines_in_words_and_beyond() {
        for (len, fill) in (0..80).flat_map(|n| [(n, b'x'), (n, 0x0b), (n, 0x8a)]) {
            for at in 0..len {
                let mut bytes = vec![fill; len];
                bytes[at] = b'\n';
                if at + 1 < len {
                    bytes[len - 1] = b'\n';
                }
                assert_eq!(newline_in(&bytes), Some(at), "{len} {at}");
            }
            assert_eq!(newline_in(&vec![fill; len]), None);
        }
    }

    #[test]
    fn printable_ascii_is_exactly_newline_and_space_to_tilde() {
        for b in 0..=255u8 {
            let expected = b == b'\n' || (0x20..0x7f).contains(&b);
            // Alone, and in a long run so the block loop sees it at every position.
            assert_eq!(ascii_printable(&[b]), expected, "{b:#x}");
            for at in [0, 63, 127, 128, 200] {
                let mut run = vec![b'a'; 300];
                run[at] = b;
                assert_eq!(ascii_printable(&run), expected, "{b:#x} at {at}");
            }
        }
    }

    /// A small deterministic generator (xorshift), so a failure names a reproducible document.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Pieces of lines that sit on both sides of the subset's border: indicators, quotes and
    /// escapes, comments, block scalar headers, odd bytes (tab, CR, non-ASCII), head keys.
    const PIECES: &[&str] = &[
        "a",
        "key",
        "kind",
        "Kind",
        "metadata",
        "apiVersion",
        "name",
        "x.y/z_w-v",
        "$v",
        "null",
        "Null",
        "NULL",
        "~",
        "1",
        "-5",
        ".inf",
        "-.Inf",
        ".NaN",
        "1e999",
        "0x1F",
        "yes",
        ": ",
        ":",
        " ",
        "  ",
        "   ",
        "- ",
        "-",
        "--",
        "#",
        " #",
        " # c",
        "#x",
        "'",
        "''",
        "\"",
        "\\",
        "\\\"",
        "\\u00e9",
        "\\uD800",
        "\\u12G4",
        "\\x41",
        "\\n",
        "|",
        "|-",
        ">+",
        "|2",
        "{}",
        "[]",
        "{",
        "}",
        "[",
        "]",
        ",",
        "?",
        "&a",
        "*a",
        "!t",
        "%",
        "@",
        "`",
        "\t",
        "\r",
        "\r\n",
        "é",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "text with words",
        "a: b",
        "x:",
        "\"q\"",
        "'s'",
        "[a, 'b']",
        "['",
        "\", ",
        ", ]",
        "[ ",
        " ]",
    ];

    /// A generated document: lines shaped like block YAML (`key: value`, `key:`, `- value`,
    /// `- key: value`, continuations, comments, blank lines) at indentations that mostly follow
    /// the nesting the lines before opened, with a random piece put in now and then; sometimes
    /// without a final newline.
    fn document(g: &mut Gen) -> String {
        const KEYS: &[&str] = &[
            "kind",
            "metadata",
            "name",
            "a",
            "x.y/z_w-v",
            "\"q k\"",
            "'s'",
            "NULL",
            "-x",
            ".x",
            "~",
        ];
        const VALUES: &[&str] = &[
            "v1",
            "Pod",
            "text with words",
            "'it''s'",
            "\"d q\"",
            "1",
            "{}",
            "['grpc_health_probe']",
            "[a, \"b c\", 2]",
        ];
        let mut doc = String::new();
        let mut indents = vec![0usize];
        if g.below(2) == 0 {
            doc.push_str("apiVersion: v1\nkind: K\nmetadata:\n");
            indents.push(2);
        }
        for _ in 0..1 + g.below(12) {
            let indent = match g.below(12) {
                0 => g.below(8),
                1 | 2 => {
                    let deeper = indents.last().copied().unwrap_or(0) + 1 + g.below(3);
                    indents.push(deeper);
                    deeper
                }
                _ => {
                    indents.truncate(1 + g.below(indents.len()));
                    indents.last().copied().unwrap_or(0)
                }
            };
            let key = KEYS[g.below(KEYS.len())];
            let value = VALUES[g.below(VALUES.len())];
            let mut line = match g.below(9) {
                0 | 1 => format!("{key}: {value}"),
                2 => format!("{key}:"),
                3 => format!("- {value}"),
                4 => format!("- {key}: {value}"),
                5 => value.to_string(),
                6 => "# c".to_string(),
                7 => String::new(),
                _ => format!("{key}: |"),
            };
            if g.below(4) == 0 {
                let mut at = g.below(line.len() + 1);
                while !line.is_char_boundary(at) {
                    at -= 1;
                }
                line.insert_str(at, PIECES[g.below(PIECES.len())]);
            }
            doc.push_str(&" ".repeat(indent));
            doc.push_str(&line);
            if g.below(15) != 0 {
                doc.push('\n');
            }
        }
        doc
    }

    /// What `reduce` takes, the full parser takes, and the head read from what it keeps (by
    /// `head_value` when it can) is the head of the whole document. Whether it took `doc`.
    fn agrees_with_the_parser(doc: &str) -> bool {
        let Some(r) = reduce(doc) else {
            return false;
        };
        let full = crate::yaml::parse::parse(doc)
            .unwrap_or_else(|e| panic!("taken, but the parser refuses it ({e}): {doc:?}"));
        let parsed =
            crate::yaml::parse::parse(&r).unwrap_or_else(|e| panic!("{e}: {r:?} of {doc:?}"));
        if let Some(v) = head_value(&r) {
            assert_eq!(v, parsed, "{r:?} of {doc:?}");
        }
        assert_eq!(
            crate::output::head_debug(&parsed),
            crate::output::head_debug(&full),
            "{doc:?}"
        );
        true
    }

    /// On generated documents, on both sides of the subset's border.
    #[test]
    #[allow(clippy::print_stderr)]
    fn agrees_with_the_parser_on_generated_documents() {
        let mut g = Gen(0x2545_F491_4F6C_DD1D);
        let mut accepted = 0;
        let total = 200_000;
        for _ in 0..total {
            let doc = document(&mut g);
            accepted += usize::from(agrees_with_the_parser(&doc));
        }
        eprintln!("generated: {accepted}/{total} in the subset");
        // Both sides of the border are reached.
        assert!(
            accepted > total / 50,
            "only {accepted} of {total} in the subset"
        );
        assert!(
            accepted < total * 9 / 10,
            "{accepted} of {total} in the subset"
        );
    }

    #[test]
    fn agrees_with_the_parser_on_edges() {
        for doc in [
            "",
            "\n",
            "   ",
            "kind: Pod",
            "kind: Pod\nmetadata:",
            "kind: Pod\nmetadata:\n  name: a",
            "kind: Pod\r\nmetadata:\r\n  name: a\r\n",
            "kind: Pod \nmetadata:  \n  name: a   \n",
            "kind: Pod\nmetadata:\n  name: 'a # b'\n  x: \"c # d\" # e\n",
            "kind: Pod\nmetadata:\n  name: a#b\n  x: a #b\n",
            "kind: Pod\nmetadata:\n\tname: a\n",
            "kind: Pod\nmetadata:\n  name: é ü\n  x: \"\\u00e9\"\n",
            "kind: Pod\nmetadata:\n  name: a\u{2028}\n",
            "kind: P\nspec:\n  x: |\n    a\n\n   \n    b\n  y: 1",
            "kind: P\nspec:\n  x: >-\n\n      a\n    b\n",
            "kind: P\nspec:\n  x: |\n      \n    a\n",
            "kind: P\nspec:\n  x: |\n     \n    a\n",
            "kind: P\nspec:\n  x: |\n    \n    a\n",
            "kind: P\nspec:\n  - a\n  -\n    b: 1\n  - c: d\n    e: f\n",
            "kind: P\nspec:\n  x: a long plain value, longer than twenty-four bytes: and a colon\n",
            "kind: P\nspec:\n  x: a long plain value, longer than twenty-four bytes # a comment\n",
            "kind: P\nspec:\n  x: a long plain value, longer than twenty-four bytes\n    continued here\n    and here:\n",
            "kind: P\nk:",
            "kind: P\nk: ",
            "kind: P\n-",
            "kind: P\nmetadata:\n  annotations:\n    {}\n  labels:\n    a: b\n",
            "kind: P\nmetadata:\n  annotations:\n    [] # c\n  name: x\n",
            "kind: P\nmetadata:\n  annotations:\n    {}#c\n",
            "kind: P\nmetadata:\n  annotations:\n    {}\n    x: 1\n",
            "kind: P\nmetadata:\n  annotations:\n    {}\n      x: 1\n",
            "kind: P\nmetadata:\n  annotations:\n  {}\n",
            "kind: P\nmetadata:\n  annotations:\n    {a: b}\n",
            "kind: P\nmetadata:\n  annotations:\n\n    {}\n\n  name: x\n",
        ] {
            agrees_with_the_parser(doc);
        }
        // An empty map below its key (Grafana dashboards' `annotations:\n    {}`) is read
        // without the full parser; anything deeper after it is not.
        let head = |doc: &str| reduce(doc).and_then(|r| head_value(&r));
        let v = head("kind: P\nmetadata:\n  annotations:\n    {}\n  labels:\n    a: b\n");
        let want = crate::yaml::parse::parse(
            "kind: P\nmetadata:\n  annotations: {}\n  labels:\n    a: b\n",
        );
        assert_eq!(v, want.ok());
        assert_eq!(
            head("kind: P\nmetadata:\n  annotations:\n    {}\n    x: 1\n"),
            None
        );
        assert_eq!(
            head("kind: P\nmetadata:\n  annotations:\n    {}\n      x: 1\n"),
            None
        );
    }

    /// The corpus documents and, for each, copies with one piece of [`PIECES`] put in at
    /// random places.
    #[test]
    #[allow(clippy::print_stderr)]
    fn agrees_with_the_parser_on_the_corpus() {
        let shared = std::env::var_os("KOKUMI_SHARED").map_or_else(
            || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared"),
            std::path::PathBuf::from,
        );
        let golden = shared.join("helm-corpus/golden");
        let Ok(dir) = std::fs::read_dir(&golden) else {
            let msg = format!("the helm corpus is missing at {}", golden.display());
            assert!(
                std::env::var("KOKUMI_REQUIRE_TOOLS").as_deref() != Ok("1"),
                "{msg}"
            );
            eprintln!("notice: {msg}; skipping");
            return;
        };
        let mut paths: Vec<_> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        let mut g = Gen(0x9E37_79B9_7F4A_7C15);
        let (mut docs, mut taken, mut mutated) = (0, 0, 0);
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for doc in crate::output::split_manifests(&text) {
                docs += 1;
                taken += usize::from(agrees_with_the_parser(doc));
                for _ in 0..8 {
                    let mut at = g.below(doc.len() + 1);
                    while !doc.is_char_boundary(at) {
                        at -= 1;
                    }
                    let piece = PIECES[g.below(PIECES.len())];
                    let m = format!("{}{piece}{}", &doc[..at], &doc[at..]);
                    agrees_with_the_parser(&m);
                    mutated += 1;
                }
            }
        }
        assert!(docs > 500, "only {docs} corpus documents");
        // The fast path is the usual one: most rendered documents are in the subset.
        assert!(
            taken > docs * 9 / 10,
            "{taken} of {docs} corpus documents in the subset"
        );
        eprintln!(
            "parser agreement: {docs} corpus documents ({taken} in the subset), {mutated} mutated copies"
        );
    }

    #[test]
    fn not_finite_is_what_parsing_says() {
        let long = |n: usize| "9".repeat(n);
        let mut texts: Vec<String> = [
            "",
            "-",
            "+",
            "+-",
            "inf",
            "-inf",
            "+inf",
            "+-inf",
            "--inf",
            "Inf",
            "INF",
            "infinity",
            "-Infinity",
            "INFINITY",
            "infinit",
            "infinityy",
            "nan",
            "NaN",
            "-nan",
            "+NAN",
            "nano",
            "n",
            "i",
            "I",
            "N",
            "integer",
            "int64",
            "Name",
            "null",
            "no",
            "1",
            "-1",
            "+1",
            "+-1",
            "--1",
            "0",
            "007",
            "1e999",
            "-1e999",
            "1e308",
            "1E309",
            "1.5",
            ".5",
            ".5e999",
            ".inf",
            "-.Inf",
            "+.INF",
            ".nan",
            ".NaN",
            "-.nan",
            ".infx",
            "1_0",
            "0x1F",
            "1e",
            "e5",
            "-e5",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for n in [299, 300, 301, 308, 309, 310, 400] {
            texts.push(long(n));
            texts.push(format!("-{}", long(n)));
            texts.push(format!("+-{}", long(n)));
        }
        // What Rust's float parser says, and YAML's `.inf`/`.nan` words.
        let parsed = |t: &str| {
            let word = t.trim_start_matches(['+', '-']).strip_prefix('.');
            word.is_some_and(|w| w.eq_ignore_ascii_case("inf") || w.eq_ignore_ascii_case("nan"))
                || t.parse::<f64>().is_ok_and(|f| !f.is_finite())
        };
        texts.extend(
            [
                "inf",
                "-Infinity",
                "nan",
                "NaN",
                ".inf",
                "-.Inf",
                ".nan",
                "infinite",
                "nano",
                "i",
                "n",
            ]
            .map(String::from),
        );
        for t in &texts {
            assert_eq!(not_finite(t.as_bytes()), parsed(t), "{t:?}");
        }
        assert!(not_finite(long(400).as_bytes()) && !not_finite(long(300).as_bytes()));
    }

    #[test]
    fn lowercase_runs_stop_at_the_first_other_byte() {
        let mut g = Gen(0xD1B5_4A32_D192_ED03);
        let pool = b"abyz`{@AZ09:-_ \x7f\x80\xe1\xff";
        for _ in 0..20_000 {
            let w: [u8; 8] = std::array::from_fn(|_| pool[g.below(pool.len())]);
            let naive = w.iter().take_while(|b| b.is_ascii_lowercase()).count();
            assert_eq!(lowercase_run(u64::from_le_bytes(w)), naive, "{w:?}");
        }
    }

    #[test]
    fn finds_a_space_at_every_place_in_short_texts() {
        for n in 0..24 {
            for fill in [b'a', b'!', 0x1f, 0x21, 0xa0, 0xe9] {
                assert!(!has_space(&vec![fill; n]), "{n} {fill:#x}");
                for at in 0..n {
                    let mut text = vec![fill; n];
                    text[at] = b' ';
                    assert!(has_space(&text), "{n} {fill:#x} {at}");
                }
            }
        }
    }

    #[test]
    fn comments_and_colons_are_found_byte_by_byte() {
        // The first ` #` (where it starts) and whether a `: ` comes before it.
        let naive = |b: &[u8]| {
            let mut colon_space = false;
            for i in 0..b.len() {
                if b[i] == b'#' && i > 0 && b[i - 1] == b' ' {
                    return (Some(i - 1), colon_space);
                }
                colon_space |= b[i] == b':' && b.get(i + 1) == Some(&b' ');
            }
            (None, colon_space)
        };
        let mut g = Gen(0x94D0_49BB_1331_11EB);
        let pool = [" ", "#", ":", "a", "  ", ": ", " #", "é"];
        for _ in 0..20_000 {
            let text: String = (0..g.below(40))
                .map(|_| pool[g.below(pool.len())])
                .collect();
            assert_eq!(
                comment_and_colon(text.as_bytes()),
                naive(text.as_bytes()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn keeps_only_the_head_entries() {
        let doc = "# c\napiVersion: v1\nkind: Secret\ndata:\n  x: 1\nmetadata:\n  name: a\n  annotations:\n    \"helm.sh/hook\": pre-install\n";
        assert_eq!(
            reduce(doc).as_deref(),
            Some(
                "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  annotations:\n    \"helm.sh/hook\": pre-install\n"
            )
        );
    }

    #[test]
    fn accepts_common_block_layouts() {
        let doc = "kind: X\nspec:\n  list:\n  - a\n  - b: 1\n    c: \"q\" # note\n  -\n    d: 'it''s'\n  empty: []\n  obj: {}\n  text: |-\n    line one\n\n    line: two\n  folded: >\n    x\nother:\n- - nested\n";
        // The nested `- -` is outside the subset.
        assert_eq!(reduce(doc), None);
        let doc = doc.replace("- - nested", "- nested");
        assert_eq!(reduce(&doc).as_deref(), Some("kind: X\n"));
    }

    #[test]
    fn refuses_what_it_cannot_judge() {
        for doc in [
            "a: &x 1\n",
            "a: *x\n",
            "a: !!str 1\n",
            "a: {b: 1}\n",
            "a: one\n  two: x\n",
            "a: one\n  - two\n",
            "a: one\n  # c\n  two\n",
            "a: one # c\n  two\n",
            "a: \"open\nclose\"\n",
            "a: 'open\n  close' x\n",
            "a: \"open \\\n  close\"\n",
            "a: 'never closed\n",
            "a:\tb\n",
            "a: b: c\n",
            "? a\n: b\n",
            "a: .inf\n",
            "a: -.inf\n",
            "null: 1\n",
            "- a\n",
            "just text\n",
            "a: 1\n b: 2\n",
            "a:\n    b: 1\n  c: 2\n",
            "a: |\n    x\n  y: 1\n",
            "a: |x\n",
            "\"kind\": Pod\n",
            "a: \"\\x41\"\n",
            "a: 1\r\n",
            "a: 1e999\n",
            "a: [é\n",
            "a: .NaN\n",
            "a: +.inf\n",
            "a: .5e999\n",
            "a: 1\n{}\n",
            "# c\n  kind: Pod\n",
            "a: \"\\uD800\"\n",
            "a: \"\\u12\"\n",
            "a: \"\\u+123\"\n",
            "a: \"\\u12G4\"\n",
            "a: [1, ]\n",
            "a: [, 1]\n",
            "a: [1,, 2]\n",
            "a: [a b]\n",
            "a: [[a]]\n",
            "a: [a, [b]]\n",
            "a: [a, {b: 1}]\n",
            "a: ['a' 'b']\n",
            "a: ['a'b]\n",
            "a: [a #c]\n",
            "a: [a] b\n",
            "a: [.inf]\n",
            "a: [1, -.Inf]\n",
            "a: [-]\n",
            "a: [-1]\n",
            "a: [a: b]\n",
            "a: [a:b]\n",
            "a: [a,\n  b]\n",
            "a: ['open\n",
            "a: [\"\\x41\"]\n",
            "a: [&x a]\n",
            "a: [*x]\n",
        ] {
            assert_eq!(reduce(doc), None, "{doc:?}");
        }
    }

    #[test]
    fn agrees_with_the_full_parser() {
        let docs = [
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    a: \"1\"\ndata:\n  k: |\n    a: b\n      c\n",
            "kind: A\nkind: B\nmetadata:\n  name: n\n",
            "metadata:\n  annotations:\n    helm.sh/hook: test\n    helm.sh/hook-weight: \"-5\"\n  name: t\nkind: Pod\n",
            "kind: K\nspec:\n  - x\n",
            "kind: y\nmetadata: {}\n",
            "kind: K\nmetadata:\n- a\n- b\nspec: 1\n",
            "kind: K\nmetadata:\n  name: a\n    \"b\" [c] `d`, {e}\n    --f\n",
            "kind: K\nmetadata:\n  name: 'a\n    b: # c\n\n    it''s'\n  x: \"q\n   \\\"r\\\"\" # d\n",
            "kind: K\nmetadata:\n  name: a\n    b\n\n    c\nspec:\n- x\n  y\n- k: v\n    w\n  l: 1\n",
            "kind: K\nmetadata:\n  annotations:\n    {}\n  name: .x\nspec:\n  - ./run\n",
            "kind: K\nmetadata:\n  name: \"a\\u0026b\\u00E9\"\ndata:\n  x: \"{\\u003c\\u003e}\"\n",
            "kind: Pod\nmetadata:\n  name: t\nspec:\n  containers:\n    - command: ['grpc_health_probe']\n      args:  ['-addr=x.ns:9999']\n",
            "kind: K\nmetadata:\n  finalizers: [a, \"b c\"]\nspec:\n  a: [ 1 , 2.5,x.y/z=w-v ]\n  b: []\n  c: [ ] # c\n  d:\n  - [1e3, 0x1F, null, true]\n",
        ];
        for doc in docs {
            let reduced = reduce(doc).unwrap_or_else(|| panic!("{doc:?} is in the subset"));
            let full = crate::yaml::parse::parse(doc).unwrap();
            let head = crate::yaml::parse::parse(&reduced).unwrap();
            let (full, head) = (full.as_map().unwrap(), head.as_map().unwrap());
            for k in ["apiVersion", "kind", "metadata"] {
                assert_eq!(full.get(k), head.get(k), "{doc:?}: {k}");
            }
        }
    }
}
