//! The lexer: template text to tokens, with Go's token kinds, trim markers and error texts.
//!
//! Go's lexer runs as a state machine feeding the parser one item at a time; this one produces
//! the whole token list up front (ending with `Eof` or an `Error` token), which the parser walks
//! with arbitrary look-ahead. Positions are byte offsets into the source text; tokens are
//! ranges of it, and line numbers are counted only when a message needs one ([`line_at`]).

/// The kind of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// A lexing error; the token text is the message.
    Error,
    /// `true` or `false`.
    Bool,
    /// A printable ASCII character that is not otherwise a token (`,`).
    Char,
    /// A character constant such as `'a'`.
    CharConstant,
    /// A comment `/* ... */` (dropped unless asked for).
    Comment,
    /// `=`.
    Assign,
    /// `:=`.
    Declare,
    /// End of input.
    Eof,
    /// `.Field`.
    Field,
    /// A function name.
    Identifier,
    /// `{{` (with its trim marker, if any).
    LeftDelim,
    /// `(`.
    LeftParen,
    /// A number.
    Number,
    /// `|`.
    Pipe,
    /// A raw string, back-quoted.
    RawString,
    /// `}}` (with its trim marker, if any).
    RightDelim,
    /// `)`.
    RightParen,
    /// A double-quoted string.
    String,
    /// Plain text outside actions.
    Text,
    /// `$x`.
    Variable,
    // Keywords (Go's items above itemKeyword).
    /// `block`.
    Block,
    /// `break`.
    Break,
    /// `continue`.
    Continue,
    /// `.` alone.
    Dot,
    /// `define`.
    Define,
    /// `else`.
    Else,
    /// `end`.
    End,
    /// `if`.
    If,
    /// `nil`.
    Nil,
    /// `range`.
    Range,
    /// `template`.
    Template,
    /// `with`.
    With,
}

impl Tok {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Dot
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Nil
                | Tok::Range
                | Tok::Template
                | Tok::With
        )
    }
}

/// One token: kind and byte range in the source (empty for `Error`, whose message
/// [`lex_into`] returns). It holds no reference to the text, so it is 12 bytes to push and copy,
/// and a token list can be kept for the next file.
///
/// Spaces inside an action are not tokens of their own (Go's `itemSpace`): the token after
/// them says so in `spaced`. That is all the parser needs of them (they separate arguments
/// and end field chains), and it saves a token, and a step over it, for every gap.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Token {
    pub(crate) kind: Tok,
    /// Spaces come right before it, inside the action.
    pub(crate) spaced: bool,
    pos: u32,
    end: u32,
}

/// The longest text the lexer takes: token offsets are 32 bits.
const MAX_LEN: usize = u32::MAX as usize;

/// A lexed file: its tokens, ending with `Eof` or `Error`, and the error's message.
#[cfg(test)]
pub(crate) struct Lexed {
    pub(crate) tokens: Vec<Token>,
    pub(crate) error: String,
}

/// The 1-based line of byte offset `pos` in `src`.
pub(crate) fn line_at(src: &str, pos: usize) -> usize {
    let pos = pos.min(src.len());
    1 + memchr::memchr_iter(b'\n', &src.as_bytes()[..pos]).count()
}

impl Token {
    /// An `Eof` token at `pos`.
    pub(crate) const fn eof(pos: u32) -> Self {
        Token {
            kind: Tok::Eof,
            spaced: false,
            pos,
            end: pos,
        }
    }

    /// Its byte offset in the source.
    pub(crate) fn pos(&self) -> usize {
        self.pos as usize
    }

    /// One past its last byte in the source.
    pub(crate) fn end(&self) -> usize {
        self.end as usize
    }

    /// Whether its text in `src` is `text` (length and first byte first: a cheap test for
    /// name lookups).
    pub(crate) fn is(&self, src: &str, text: &str) -> bool {
        let bytes = src.as_bytes();
        (self.end - self.pos) as usize == text.len()
            && bytes.get(self.pos()) == text.as_bytes().first()
            && bytes.get(self.pos()..self.end()) == Some(text.as_bytes())
    }

    /// Its text in `src`, the source it was lexed from.
    pub(crate) fn text<'s>(&self, src: &'s str) -> &'s str {
        src.get(self.pos()..self.end()).unwrap_or_default()
    }

    /// Go's `item.String()`, as used in "unexpected X in Y" messages (`src` as for
    /// [`text`](Self::text)).
    pub(crate) fn describe(&self, src: &str) -> String {
        let text = self.text(src);
        match self.kind {
            Tok::Eof => "EOF".to_string(),
            // Never reached from the parser, which reports errors with the lexer message.
            Tok::Error => "error".to_string(),
            k if k.is_keyword() => format!("<{text}>"),
            _ => {
                if text.chars().count() > 10 {
                    let head: String = text.chars().take(10).collect();
                    format!("{}...", go_quote(&head))
                } else {
                    go_quote(text)
                }
            }
        }
    }
}

/// Go's `%q` for a string (strconv.Quote): printable runes kept, others escaped.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// ASCII bytes that are identifier characters (`[A-Za-z0-9_]`), by value.
static ASCII_WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// How many bytes at the start of `s` are ASCII identifier characters: eight at a time while
/// they last (names average about ten bytes), then byte by byte.
fn ascii_word_len(s: &[u8]) -> usize {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut n = 0;
    while let Some(chunk) = s.get(n..n + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        // Bytes with their high bit set end the run (handled below, byte by byte); for the
        // others each test below keeps its answer in the byte's high bit, with no carry
        // between bytes (no sum passes 0xff).
        let ascii = !w & HIGH;
        let w = w & !HIGH;
        let at_least = |x: u64, lo: u8| x + LOW * u64::from(0x80 - lo);
        let above = |x: u64, hi: u8| x + LOW * u64::from(0x7f - hi);
        // `x | 0x20` folds upper-case letters onto lower-case (and nothing else onto them).
        let folded = w | (LOW * 0x20);
        let letter = at_least(folded, b'a') & !above(folded, b'z');
        let digit = at_least(w, b'0') & !above(w, b'9');
        // `_` exactly (folding would also take DEL): a zero byte of `w ^ '_'`.
        let underscore = !((w ^ (LOW * u64::from(b'_'))) + LOW * 0x7f);
        let stop = !(letter | digit | underscore) & HIGH | !ascii & HIGH;
        if stop != 0 {
            return n + (stop.trailing_zeros() / 8) as usize;
        }
        n += 8;
    }
    n + s[n..]
        .iter()
        .position(|&b| !ASCII_WORD[usize::from(b)])
        .unwrap_or(s.len() - n)
}

/// text/template's `isAlphaNumeric`: `_`, a letter or a decimal digit (`²` and `Ⅰ` are not).
fn is_alnum(c: char) -> bool {
    c == '_' || crate::gounicode::is_letter(c) || crate::gounicode::is_digit(c)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    start: usize,
    tokens: &'a mut Vec<Token>,
    error: String,
    /// Spaces were skipped since the last token.
    spaced: bool,
    paren_depth: usize,
    emit_comments: bool,
}

/// Splits `src` into tokens. The list always ends with an `Eof` or `Error` token.
#[cfg(test)]
pub(crate) fn lex(src: &str, emit_comments: bool) -> Lexed {
    let mut tokens = Vec::new();
    let error = lex_into(src, emit_comments, &mut tokens);
    Lexed { tokens, error }
}

/// [`lex`] into `tokens` (emptied first, so that one list serves file after file); returns
/// the error token's message (empty without one).
pub(crate) fn lex_into(src: &str, emit_comments: bool, tokens: &mut Vec<Token>) -> String {
    tokens.clear();
    // About one token per 16 bytes of template text.
    tokens.reserve(src.len() / 16 + 1);
    let mut lx = Lexer {
        src,
        pos: 0,
        start: 0,
        tokens,
        error: String::new(),
        spaced: false,
        paren_depth: 0,
        emit_comments,
    };
    if src.len() > MAX_LEN {
        lx.error("template text longer than 4 GiB".to_string());
    } else {
        lx.run();
    }
    lx.error
}

enum Step {
    /// An action was opened: lex inside it.
    Action,
    /// A comment was consumed: lex text again.
    Text,
    /// EOF or an error.
    Stop,
}

impl<'a> Lexer<'a> {
    fn emit(&mut self, kind: Tok) {
        // Both fit: the text is at most `MAX_LEN` long.
        self.tokens.push(Token {
            kind,
            spaced: std::mem::take(&mut self.spaced),
            pos: self.start as u32,
            end: self.pos as u32,
        });
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) -> Step {
        self.tokens.push(Token {
            kind: Tok::Error,
            spaced: false,
            pos: self.start as u32,
            end: self.start as u32,
        });
        self.error = msg;
        Step::Stop
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        match self.src.as_bytes().get(self.pos) {
            None => None,
            Some(&b) if b.is_ascii() => Some(char::from(b)),
            Some(_) => self.rest().chars().next(),
        }
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// Moves past a run of identifier characters (Go's `isAlphaNumeric`), ASCII bytes first.
    fn skip_alnum(&mut self) {
        let bytes = self.src.as_bytes();
        loop {
            let rest = bytes.get(self.pos..).unwrap_or_default();
            self.pos += ascii_word_len(rest);
            match self.peek() {
                Some(c) if !c.is_ascii() && is_alnum(c) => self.pos += c.len_utf8(),
                _ => return,
            }
        }
    }

    fn run(&mut self) {
        loop {
            match self.lex_text() {
                Step::Stop => return,
                Step::Text => continue,
                Step::Action => {}
            }
            loop {
                match self.lex_inside_action() {
                    Ok(true) => break, // action closed
                    Ok(false) => {}
                    Err(()) => return,
                }
            }
        }
    }

    /// The offset in `rest()` of the next `{{`.
    fn find_left(&self) -> Option<usize> {
        let rest = self.rest().as_bytes();
        let mut from = 0;
        while let Some(off) = memchr::memchr(b'{', &rest[from..]) {
            let at = from + off;
            if rest.get(at + 1) == Some(&b'{') {
                return Some(at);
            }
            from = at + 1;
        }
        None
    }

    /// Text up to the next `{{`; then the left delimiter. `Stop` at EOF or error.
    fn lex_text(&mut self) -> Step {
        match self.find_left() {
            Some(off) => {
                let delim = self.pos + off;
                let mut trim = false;
                let after = &self.src[delim + LEFT.len()..];
                if after.len() >= 2 && after.as_bytes()[0] == b'-' && is_space(after.as_bytes()[1])
                {
                    trim = true;
                }
                let mut text_end = delim;
                if trim {
                    let text = self
                        .src
                        .as_bytes()
                        .get(self.start..delim)
                        .unwrap_or_default();
                    text_end = match text.iter().rposition(|&b| !is_space(b)) {
                        Some(last) => self.start + last + 1,
                        None => self.start,
                    };
                }
                self.pos = text_end;
                if self.pos > self.start {
                    self.emit(Tok::Text);
                }
                self.pos = delim;
                self.start = delim;
                self.lex_left_delim(trim)
            }
            None => {
                self.pos = self.src.len();
                if self.pos > self.start {
                    self.emit(Tok::Text);
                }
                self.tokens.push(Token::eof(self.pos as u32));
                Step::Stop
            }
        }
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.src.as_bytes().get(self.pos..).unwrap_or_default();
        if r.len() >= 4 && is_space(r[0]) && r[1] == b'-' && r[2..].starts_with(RIGHT.as_bytes()) {
            return (true, true);
        }
        if r.starts_with(RIGHT.as_bytes()) {
            return (true, false);
        }
        (false, false)
    }

    fn lex_left_delim(&mut self, trim: bool) -> Step {
        self.pos += LEFT.len();
        let trim_len = if trim { 2 } else { 0 };
        let after_marker = self.pos + trim_len;
        if self.src[after_marker..].starts_with(LEFT_COMMENT) {
            self.pos = after_marker;
            self.start = self.pos;
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.pos += trim_len;
        self.start = self.pos;
        self.paren_depth = 0;
        Step::Action
    }

    fn lex_comment(&mut self) -> Step {
        self.pos += LEFT_COMMENT.len();
        let Some(end) = self.rest().find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".to_string());
        };
        self.pos += end + RIGHT_COMMENT.len();
        let (is_delim, trim) = self.at_right_delim();
        if !is_delim {
            return self.error("comment ends before closing delimiter".to_string());
        }
        if self.emit_comments {
            self.emit(Tok::Comment);
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.skip_leading_space();
        }
        self.start = self.pos;
        Step::Text
    }

    fn skip_leading_space(&mut self) {
        while self.pos < self.src.len() && is_space(self.src.as_bytes()[self.pos]) {
            self.pos += 1;
        }
    }

    fn lex_right_delim(&mut self, trim: bool) {
        if trim {
            self.pos += 2; // " -"
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(Tok::RightDelim);
        if trim {
            self.skip_leading_space();
            self.start = self.pos;
        }
    }

    /// Lexes one token inside an action. `Ok(true)` when the action closed.
    fn lex_inside_action(&mut self) -> Result<bool, ()> {
        let bytes = self.src.as_bytes();
        // The common tokens first, by their first byte: none of them can start a delimiter.
        match bytes.get(self.pos) {
            Some(b'.') => {
                self.pos += 1;
                if bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos -= 1;
                    self.lex_number()?;
                } else {
                    self.lex_field_or_variable(Tok::Field)?;
                }
                return Ok(false);
            }
            Some(&b) if b.is_ascii_alphabetic() || b == b'_' => {
                self.lex_identifier()?;
                return Ok(false);
            }
            Some(b'"') => {
                self.pos += 1;
                self.lex_quote()?;
                return Ok(false);
            }
            Some(b'$') => {
                self.pos += 1;
                self.lex_field_or_variable(Tok::Variable)?;
                return Ok(false);
            }
            Some(b'|') => {
                self.pos += 1;
                self.emit(Tok::Pipe);
                return Ok(false);
            }
            // Spaces, unless they may start a ` -}}` trim marker.
            Some(&b) if is_space(b) && bytes.get(self.pos + 1) != Some(&b'-') => {
                self.lex_space();
                return Ok(false);
            }
            _ => {}
        }
        let (is_delim, trim) = self.at_right_delim();
        if is_delim {
            if self.paren_depth == 0 {
                self.lex_right_delim(trim);
                return Ok(true);
            }
            self.error("unclosed left paren".to_string());
            return Err(());
        }
        let Some(c) = self.next() else {
            self.error("unclosed action".to_string());
            return Err(());
        };
        match c {
            c if c.is_ascii() && is_space(c as u8) => {
                self.pos -= 1;
                self.lex_space();
            }
            '=' => self.emit(Tok::Assign),
            ':' => {
                if self.peek() != Some('=') {
                    self.error("expected :=".to_string());
                    return Err(());
                }
                self.next();
                self.emit(Tok::Declare);
            }
            '|' => self.emit(Tok::Pipe),
            '"' => self.lex_quote()?,
            '`' => self.lex_raw_quote()?,
            '$' => self.lex_field_or_variable(Tok::Variable)?,
            '\'' => self.lex_char()?,
            '.' => {
                let next = self.peek();
                if matches!(next, Some(d) if d.is_ascii_digit()) {
                    self.pos -= 1;
                    self.lex_number()?;
                } else {
                    self.lex_field_or_variable(Tok::Field)?;
                }
            }
            '+' | '-' | '0'..='9' => {
                self.pos -= 1;
                self.lex_number()?;
            }
            c if is_alnum(c) => {
                self.pos -= c.len_utf8();
                self.lex_identifier()?;
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                if self.paren_depth == 0 {
                    self.error("unexpected right paren".to_string());
                    return Err(());
                }
                self.paren_depth -= 1;
                self.emit(Tok::RightParen);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
            c => {
                self.error(format!("unrecognized character in action: {}", go_u(c)));
                return Err(());
            }
        }
        Ok(false)
    }

    fn lex_space(&mut self) {
        // Stop before a " -}}" trim marker so the delimiter check sees it.
        let bytes = self.src.as_bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if !is_space(b)
                || (bytes.get(self.pos + 1) == Some(&b'-')
                    && bytes[self.pos + 2..].starts_with(RIGHT.as_bytes()))
            {
                break;
            }
            self.pos += 1;
        }
        if self.pos > self.start {
            self.spaced = true;
            self.start = self.pos;
        }
    }

    fn at_terminator(&self) -> bool {
        let r = self.src.as_bytes().get(self.pos..).unwrap_or_default();
        match r.first() {
            None => true,
            Some(&b) if is_space(b) => true,
            Some(b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            _ => r.starts_with(RIGHT.as_bytes()),
        }
    }

    fn lex_identifier(&mut self) -> Result<(), ()> {
        self.skip_alnum();
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", go_u(c)));
            return Err(());
        }
        let word = &self.src[self.start..self.pos];
        // Keywords are 2 to 8 bytes long.
        let kind = if !(2..=8).contains(&word.len()) {
            Tok::Identifier
        } else {
            keyword(word)
        };
        self.emit(kind);
        Ok(())
    }

    fn lex_field_or_variable(&mut self, kind: Tok) -> Result<(), ()> {
        if self.at_terminator() {
            self.emit(if kind == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return Ok(());
        }
        self.skip_alnum();
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            self.error(format!("bad character {}", go_u(c)));
            return Err(());
        }
        self.emit(kind);
        Ok(())
    }

    fn lex_char(&mut self) -> Result<(), ()> {
        loop {
            match self.next() {
                Some('\\') => {
                    if self.next().is_some_and(|c| c != '\n') {
                        continue;
                    }
                    self.error("unterminated character constant".to_string());
                    return Err(());
                }
                None | Some('\n') => {
                    self.error("unterminated character constant".to_string());
                    return Err(());
                }
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::CharConstant);
        Ok(())
    }

    fn lex_number(&mut self) -> Result<(), ()> {
        if !self.scan_number() {
            let text = &self.src[self.start..self.pos];
            self.error(format!("bad number syntax: {}", go_quote(text)));
            return Err(());
        }
        self.emit(Tok::Number);
        Ok(())
    }

    /// Takes the next byte if it is one of `valid` (all ASCII, so a byte of a multi-byte
    /// character never matches).
    fn accept(&mut self, valid: &str) -> bool {
        match self.src.as_bytes().get(self.pos) {
            Some(b) if valid.as_bytes().contains(b) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if let Some(c) = self.peek()
            && is_alnum(c)
        {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Result<(), ()> {
        loop {
            // Jump to the next quote, backslash or newline: nothing else ends or escapes.
            let rest = self.src.as_bytes().get(self.pos..).unwrap_or_default();
            let Some(off) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
                self.pos = self.src.len();
                self.error("unterminated quoted string".to_string());
                return Err(());
            };
            let b = rest[off];
            self.pos += off + 1;
            match b {
                b'"' => break,
                b'\\' if self.next().is_some_and(|c| c != '\n') => {}
                _ => {
                    self.error("unterminated quoted string".to_string());
                    return Err(());
                }
            }
        }
        self.emit(Tok::String);
        Ok(())
    }

    fn lex_raw_quote(&mut self) -> Result<(), ()> {
        // The memchr crate's search: raw strings hold whole blocks (rules, dashboards), where
        // `str::find`'s generic byte search cost ~460 instructions per string.
        match memchr::memchr(b'`', self.rest().as_bytes()) {
            Some(off) => {
                self.pos += off + 1;
                self.emit(Tok::RawString);
                Ok(())
            }
            None => {
                self.error("unterminated raw quoted string".to_string());
                Err(())
            }
        }
    }
}

/// The token kind of an identifier-shaped word: a keyword, `true`/`false`, or a name.
fn keyword(word: &str) -> Tok {
    // By first byte, so that most function names are told apart without a comparison.
    let candidate = match word.as_bytes().first() {
        Some(b'b') if word.len() == 5 => {
            if word == "block" {
                return Tok::Block;
            }
            ("break", Tok::Break)
        }
        Some(b'c') => ("continue", Tok::Continue),
        Some(b'd') => ("define", Tok::Define),
        Some(b'e') if word.len() == 4 => ("else", Tok::Else),
        Some(b'e') => ("end", Tok::End),
        Some(b'f') => ("false", Tok::Bool),
        Some(b'i') => ("if", Tok::If),
        Some(b'n') => ("nil", Tok::Nil),
        Some(b'r') => ("range", Tok::Range),
        Some(b't') if word.len() == 4 => ("true", Tok::Bool),
        Some(b't') => ("template", Tok::Template),
        Some(b'w') => ("with", Tok::With),
        _ => return Tok::Identifier,
    };
    if word == candidate.0 {
        candidate.1
    } else {
        Tok::Identifier
    }
}

/// Go's `%#U`: `U+0023 '#'`.
fn go_u(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, String)> {
        let lexed = lex(src, false);
        lexed
            .tokens
            .into_iter()
            .map(|t| {
                let text = if t.kind == Tok::Error {
                    lexed.error.clone()
                } else {
                    t.text(src).to_string()
                };
                (t.kind, text)
            })
            .collect()
    }

    #[test]
    fn trim_markers_eat_surrounding_space() {
        let toks = kinds("a  {{- .x -}}  \n b");
        assert_eq!(toks[0], (Tok::Text, "a".to_string()));
        assert_eq!(toks[2], (Tok::Field, ".x".to_string()));
        assert_eq!(toks[4], (Tok::Text, "b".to_string()));
    }

    #[test]
    fn comments_are_dropped_and_trim() {
        let toks = kinds("a {{- /* c */ -}} b");
        assert_eq!(toks[0], (Tok::Text, "a".to_string()));
        assert_eq!(toks[1], (Tok::Text, "b".to_string()));
        assert_eq!(toks[2].0, Tok::Eof);
    }

    #[test]
    fn quoted_strings_keep_escapes_and_multibyte_text() {
        let toks = kinds(r#"{{ "a\"b\\" "é\n" `r"aw` }}"#);
        assert_eq!(toks[1], (Tok::String, r#""a\"b\\""#.to_string()));
        assert_eq!(toks[2], (Tok::String, r#""é\n""#.to_string()));
        assert_eq!(toks[3], (Tok::RawString, "`r\"aw`".to_string()));
        assert_eq!(
            kinds("{{ \"a\\\nb\" }}").last().unwrap().1,
            "unterminated quoted string"
        );
        assert_eq!(
            kinds("{{ \"ab\\").last().unwrap().1,
            "unterminated quoted string"
        );
    }

    #[test]
    fn spaces_mark_the_next_token() {
        let src = "{{ .a.b  .c| x \t}} {{- .d -}}";
        let lexed = lex(src, false);
        let marks: Vec<(Tok, &str, bool)> = lexed
            .tokens
            .iter()
            .map(|t| (t.kind, t.text(src), t.spaced))
            .collect();
        assert_eq!(
            marks,
            [
                (Tok::LeftDelim, "{{", false),
                (Tok::Field, ".a", true),
                (Tok::Field, ".b", false),
                (Tok::Field, ".c", true),
                (Tok::Pipe, "|", false),
                (Tok::Identifier, "x", true),
                (Tok::RightDelim, "}}", true),
                (Tok::LeftDelim, "{{", false),
                (Tok::Field, ".d", false),
                (Tok::RightDelim, "}}", false),
                (Tok::Eof, "", false),
            ]
        );
    }

    #[test]
    fn word_runs_end_at_the_first_other_byte_whatever_its_place() {
        for b in 0..=255u8 {
            for at in 0..20 {
                let mut s = vec![b'a'; 20];
                s[at] = b;
                let want = if ASCII_WORD[usize::from(b)] { 20 } else { at };
                assert_eq!(ascii_word_len(&s), want, "byte {b:#x} at {at}");
            }
        }
        assert_eq!(ascii_word_len(b"Values_09Zz.x"), 11);
        assert_eq!(ascii_word_len(b""), 0);
    }

    #[test]
    fn keywords_and_names_that_look_like_them() {
        let words = [
            ("block", Tok::Block),
            ("break", Tok::Break),
            ("continue", Tok::Continue),
            ("define", Tok::Define),
            ("else", Tok::Else),
            ("end", Tok::End),
            ("if", Tok::If),
            ("nil", Tok::Nil),
            ("range", Tok::Range),
            ("template", Tok::Template),
            ("with", Tok::With),
            ("true", Tok::Bool),
            ("false", Tok::Bool),
            ("blocks", Tok::Identifier),
            ("brake", Tok::Identifier),
            ("ends", Tok::Identifier),
            ("elsе", Tok::Identifier),
            ("tpl", Tok::Identifier),
            ("trim", Tok::Identifier),
            ("within", Tok::Identifier),
            ("b", Tok::Identifier),
            ("include", Tok::Identifier),
        ];
        for (word, kind) in words {
            assert_eq!(keyword(word), kind, "{word}");
        }
    }

    #[test]
    fn errors() {
        assert_eq!(kinds("{{ .x ").last().unwrap().1, "unclosed action");
        assert_eq!(
            kinds("{{ 3k }}").last().unwrap().1,
            "bad number syntax: \"3k\""
        );
        assert_eq!(
            kinds("{{ \"ab }}").last().unwrap().1,
            "unterminated quoted string"
        );
        assert_eq!(
            kinds("{{/* x */ .y }}").last().unwrap().1,
            "comment ends before closing delimiter"
        );
        assert_eq!(kinds("{{ ) }}").last().unwrap().1, "unexpected right paren");
        assert_eq!(kinds("{{ ( }}").last().unwrap().1, "unclosed left paren");
    }
}
