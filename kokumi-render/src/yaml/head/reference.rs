//! The reduction as it was first written, line by line on `&str`, kept only as the oracle the
//! tests hold [`super::reduce`] to: both must accept the same documents and return the same
//! head text for each. Not used outside tests; change it only together with the subset.

use std::borrow::Cow;

pub(super) fn reduce(doc: &str) -> Option<Cow<'_, str>> {
    if !chars_ok(doc) {
        return None;
    }
    let mut v = Validator::default();
    // One pass over the text, a line at a time, without collecting the lines: the head
    // entries are kept as byte ranges of `doc`.
    let mut lines = Lines::new(doc);
    let mut keep: Vec<(usize, usize)> = Vec::new();
    let mut keeping: Option<usize> = None;
    while let Some(line) = lines.next() {
        let (indent, pos) = (line.indent, line.start);
        let rest = &line.text[indent..];
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        // Top-level entries are found at column 0: a document whose root is indented (after a
        // comment line) is left to the full parser.
        if v.root.is_none() && indent != 0 {
            return None;
        }
        // A top-level key ends the entry before it (a `-` at column 0 belongs to that
        // entry's value: a sequence written at its key's indentation).
        if indent == 0 && !rest.starts_with("- ") && rest != "-" {
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
        [(start, end)] => Some(Cow::Borrowed(&doc[*start..*end])),
        _ => {
            let mut out = String::new();
            for (start, end) in keep {
                out.push_str(&doc[start..end]);
                if !out.ends_with('\n') {
                    out.push('\n');
                }
            }
            Some(Cow::Owned(out))
        }
    }
}

/// One line of a document: where it starts in the text, its indentation, its text without
/// the newline.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    start: usize,
    indent: usize,
    text: &'a str,
}

/// The lines of a document in order, each measured once (indentation, then the newline after
/// it), with one line of lookahead (the line that ends a scalar is looked at there and then
/// again by the caller).
struct Lines<'a> {
    doc: &'a str,
    from: usize,
    peeked: Option<Line<'a>>,
}

impl<'a> Lines<'a> {
    fn new(doc: &'a str) -> Self {
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
        let line = self.peek();
        self.peeked = None;
        line
    }

    #[inline]
    fn read(&mut self) -> Option<Line<'a>> {
        let start = self.from;
        let rest = self.doc.as_bytes().get(start..).filter(|r| !r.is_empty())?;
        // The indentation stops at the first other byte, a newline included; the newline is
        // looked for after it.
        let indent = indent_of(rest);
        let len = indent + newline_in(&rest[indent..]).unwrap_or(rest.len() - indent);
        self.from = start + len + 1;
        let text = self.doc.get(start..start + len)?;
        Some(Line {
            start,
            indent,
            text,
        })
    }
}

/// The index of the first newline in `bytes`: a word at a time over the first 32 bytes (most
/// lines end there after their indentation, and a call into memchr costs more), then memchr.
#[inline]
fn newline_in(bytes: &[u8]) -> Option<usize> {
    const NL: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    let mut n = 0;
    for w in bytes.chunks_exact(8).take(4) {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        // A zero byte of `x` is a newline; the lowest flagged byte is always a true zero.
        let x = u64::from_le_bytes(word) ^ NL;
        let found = x.wrapping_sub(ONES) & !x & HIGHS;
        if found != 0 {
            return Some(n + (found.trailing_zeros() / 8) as usize);
        }
        n += 8;
    }
    memchr::memchr(b'\n', &bytes[n..]).map(|i| n + i)
}

/// The number of spaces a line starts with, counted eight bytes at a time (CRD lines are
/// indented deeply, and every line's indentation is read).
#[inline]
fn indent_of(bytes: &[u8]) -> usize {
    const SPACES: u64 = u64::from_ne_bytes([b' '; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut n = 0;
    for w in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(w);
        let diff = u64::from_le_bytes(word) ^ SPACES;
        if diff != 0 {
            return n + (diff.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + words.remainder().iter().take_while(|&&b| b == b' ').count()
}

/// Whether a top-level key line names a head field (`Some(true)`), another plain key
/// (`Some(false)`), or something the reduction cannot judge (a quoted key: `None`).
fn top_key(rest: &str) -> Option<bool> {
    if rest.starts_with(['"', '\'']) {
        return None;
    }
    let key = rest.split(':').next().unwrap_or(rest);
    Some(
        ["apiVersion", "kind", "metadata"]
            .iter()
            .any(|f| key.eq_ignore_ascii_case(f)),
    )
}

/// Only printable characters YAML reads the same way everywhere: no tabs, no carriage returns,
/// no other control characters, no byte-order marks, no Unicode line separators.
fn chars_ok(doc: &str) -> bool {
    if doc.is_ascii() {
        return ascii_printable(doc.as_bytes());
    }
    doc.chars().all(|c| {
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
    let ok = |b: u8| b == b'\n' || (0x20..0x7f).contains(&b);
    let mut blocks = bytes.chunks_exact(64);
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
    /// Checks one content line (`rest` is the line after its `indent` spaces). Returns
    /// `Some(Some(parent))` when the line opens a block scalar whose content must be indented
    /// more than `parent`, `Some(None)` for an ordinary line, `None` outside the subset.
    fn line(&mut self, indent: usize, rest: &str) -> Option<Next> {
        let is_seq = rest == "-" || rest.starts_with("- ");
        let kind = if is_seq { Kind::Seq } else { Kind::Map };
        let pending = self.pending.take();
        // `{}` or `[]` on the line after its key (how toYaml | nindent prints empty values).
        if rest.starts_with("{}") || rest.starts_with("[]") {
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
        if !opened {
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
            self.map_entry(indent, rest)
        }
    }

    fn seq_entry(&mut self, indent: usize, rest: &str) -> Option<Next> {
        let after = &rest[1..];
        let body = after.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            if !body.is_empty() && !after.starts_with(' ') {
                return None;
            }
            self.pending = Some(Pending {
                indent,
                from_map: false,
            });
            return Some(Next::Line);
        }
        let col = indent + 1 + (after.len() - body.len());
        if body.starts_with("- ") || body == "-" || body.starts_with('?') {
            return None;
        }
        if split_key(body).is_some() {
            self.stack.push((Kind::Map, col));
            return self.map_entry(col, body);
        }
        value(body, indent)
    }

    fn map_entry(&mut self, indent: usize, rest: &str) -> Option<Next> {
        let (_, after) = split_key(rest)?;
        let body = after.trim_start_matches(' ');
        if body.is_empty() || body.starts_with('#') {
            if !body.is_empty() && !after.starts_with(' ') {
                return None;
            }
            self.pending = Some(Pending {
                indent,
                from_map: true,
            });
            return Some(Next::Line);
        }
        if !after.starts_with(' ') {
            return None;
        }
        value(body, indent)
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

/// Splits `key: value` into the key text and what follows the `:`, if the key is a simple
/// plain or quoted key.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let end = match b.first()? {
        b'"' => {
            let close = 1 + s[1..].find('"')?;
            if s[1..close].contains('\\') {
                return None;
            }
            close + 1
        }
        b'\'' => {
            let close = 1 + s[1..].find('\'')?;
            close + 1
        }
        _ => {
            // One pass up to the `:`: any byte a simple key cannot hold before it (or no `:`
            // at all) refuses the line either way.
            let end = b.iter().position(|&c| !KEY_BYTE[usize::from(c)])?;
            if b[end] != b':' {
                return None;
            }
            let key = &s[..end];
            let first = key.as_bytes().first()?;
            if matches!(first, b'.' | b'-')
                || key.len() > 1000
                || matches!(key, "null" | "Null" | "NULL")
            {
                return None;
            }
            end
        }
    };
    if end > 1000 {
        return None;
    }
    let after = s[end..].strip_prefix(':')?;
    if !(after.is_empty() || after.starts_with(' ')) {
        return None;
    }
    Some((&s[..end], after))
}

/// Checks a value that starts on its key's (or `-`'s) line. `parent` is the indentation a block
/// scalar's content must exceed.
fn value(body: &str, parent: usize) -> Option<Next> {
    let first = body.as_bytes()[0];
    match first {
        b'|' | b'>' => {
            let mut h = &body[1..];
            if let Some(r) = h.strip_prefix(['-', '+']) {
                h = r;
            }
            let trail = h.trim_start_matches(' ');
            if !(trail.is_empty() || (trail.starts_with('#') && trail.len() < h.len())) {
                return None;
            }
            Some(Next::Block(parent))
        }
        b'"' | b'\'' => match scan_quoted(&body[1..], first == b'\'')? {
            Some(end) => trailing_ok(&body[1 + end..]).then_some(Next::Line),
            None => Some(Next::Quoted(parent, first == b'\'')),
        },
        b'[' | b'{' => {
            let empty = body.starts_with("[]") || body.starts_with("{}");
            (empty && trailing_ok(&body[2..])).then_some(Next::Line)
        }
        b'&' | b'*' | b'!' | b'%' | b'@' | b'`' | b']' | b'}' | b',' | b'#' | b'?' | b':' => None,
        _ => {
            // A comment ends the scalar: it cannot continue on the next lines. One pass finds
            // the first ` #` and any `: ` before it (a short line: a plain loop beats setting
            // up a substring search twice).
            let (cut, colon_space) = comment_and_colon(body.as_bytes());
            let (text, commented) = match cut {
                Some(p) => (&body[..p], true),
                None => (body, false),
            };
            let text = text.trim_end_matches(' ');
            // Only text starting like a number or `inf`/`nan` can be one that is not finite.
            let numeric = matches!(
                first,
                b'0'..=b'9' | b'.' | b'+' | b'-' | b'i' | b'I' | b'n' | b'N'
            );
            if colon_space
                || text.ends_with(':')
                || (first == b'-' && (text.len() == 1 || text.as_bytes()[1] == b' '))
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

/// In a plain scalar's text: where a ` #` comment starts (at its space), and whether a `: `
/// comes before it. Jumps between `#` and `:` bytes with memchr rather than looking at every
/// byte (descriptions in CRDs are long lines with few of either).
pub(super) fn comment_and_colon(bytes: &[u8]) -> (Option<usize>, bool) {
    let mut colon_space = false;
    // Short values (`type: string`) are cheaper to look at byte by byte than to set up a
    // vector search for.
    if bytes.len() < 24 {
        for (i, &b) in bytes.iter().enumerate() {
            if b == b'#' && i > 0 && bytes[i - 1] == b' ' {
                return (Some(i - 1), colon_space);
            }
            if b == b':' && bytes.get(i + 1) == Some(&b' ') {
                colon_space = true;
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

/// Whether a plain scalar might resolve to an infinity or NaN, which the JSON round trip
/// refuses (`.inf`, `-.Inf`, `.NaN`, `1e999`, ...).
pub(super) fn not_finite(text: &str) -> bool {
    let t = text.trim_start_matches(['+', '-']);
    // `f64::from_str` reads only digits, `.`, or the words inf, infinity and nan: any other
    // letter first means it is not a number at all.
    if t.as_bytes()
        .first()
        .is_some_and(|b| b.is_ascii_alphabetic() && !matches!(b, b'i' | b'I' | b'n' | b'N'))
    {
        return false;
    }
    if let Some(word) = t.strip_prefix('.')
        && (word.eq_ignore_ascii_case("inf") || word.eq_ignore_ascii_case("nan"))
    {
        return true;
    }
    text.parse::<f64>().is_ok_and(|f| !f.is_finite())
}

/// Scans quoted-scalar text (after the opening quote, or a continuation line) for its closing
/// quote: `Some(Some(end))` just past it, `Some(None)` when the line ends first, `None` for
/// escapes outside the subset (only `\\ \" \n \t \r \/ \0 \b \f` and `\u` with four hex digits
/// naming a character are taken, and no escaped line break).
fn scan_quoted(text: &str, single: bool) -> Option<Option<usize>> {
    let b = text.as_bytes();
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
                        let hex = text.get(i + 2..i + 6)?;
                        if !hex.bytes().all(|c| c.is_ascii_hexdigit()) {
                            return None;
                        }
                        let code = u32::from_str_radix(hex, 16).ok()?;
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
fn trailing_ok(tail: &str) -> bool {
    let t = tail.trim_start_matches(' ');
    t.is_empty() || (t.starts_with('#') && t.len() < tail.len())
}

/// Takes the continuation lines of a plain scalar that started on the line before: lines
/// indented more than `parent` that can only be more of the scalar (no indicator first, no
/// `: `, no ` #`), and blank lines between them. The first other line is left for the caller.
fn plain_scalar_end(lines: &mut Lines<'_>, parent: usize) {
    while let Some(line) = lines.peek() {
        let text = &line.text[line.indent..];
        if text.is_empty() {
            lines.next();
            continue;
        }
        let first = text.as_bytes()[0];
        // Inside a plain scalar only `: ` and ` #` end it; the indicators that would start
        // something else at the start of a line are refused all the same, to stay narrow.
        let indicator = matches!(
            first,
            b'?' | b':' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'%' | b'@'
        ) || (first == b'-' && matches!(text.as_bytes().get(1), None | Some(b' ')));
        if line.indent <= parent || indicator || text.ends_with(':') || {
            let (cut, colon_space) = comment_and_colon(text.as_bytes());
            cut.is_some() || colon_space
        } {
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
