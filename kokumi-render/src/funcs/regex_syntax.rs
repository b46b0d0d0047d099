//! Go's `regexp/syntax` refusals, worded as Go words them (`missing closing ): `(``, `invalid
//! nested repetition operator: `**``). Rust's `regex` accepts some patterns Go refuses (`a**`,
//! `x{2}{3}`) and words its own refusals differently, so a pattern is first read here the way
//! Go's parser reads it, left to right, keeping only what decides an error: whether an operand
//! precedes a repetition, whether the last token was one, how many groups are open.

/// Go's error for `expr` (`code: `text``), or `None` when Go's parser takes it.
pub(crate) fn go_syntax_error(expr: &str) -> Option<String> {
    check(expr)
        .err()
        .map(|(code, text)| format!("{code}: `{text}`"))
}

type Err<'a> = (&'static str, &'a str);

const MISSING_PAREN: &str = "missing closing )";
const UNEXPECTED_PAREN: &str = "unexpected )";
const MISSING_BRACKET: &str = "missing closing ]";
const INVALID_RANGE: &str = "invalid character class range";
const INVALID_ESCAPE: &str = "invalid escape sequence";
const MISSING_ARGUMENT: &str = "missing argument to repetition operator";
const NESTED_REPEAT: &str = "invalid nested repetition operator";
const REPEAT_SIZE: &str = "invalid repeat count";
const PERL_OP: &str = "invalid or unsupported Perl syntax";
const NAMED_CAPTURE: &str = "invalid named capture";
const TRAILING_BACKSLASH: &str = "trailing backslash at end of expression";

const POSIX_CLASSES: &[&str] = &[
    "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
    "space", "upper", "word", "xdigit",
];

fn check(s: &str) -> Result<(), Err<'_>> {
    let mut t = s;
    // Whether the parse stack's top is an operand a repetition can apply to.
    let mut operand = false;
    let mut open = 0usize;
    // The text from the previous token on, when that token was a repetition.
    let mut last_repeat: Option<&str> = None;
    while let Some(c) = t.chars().next() {
        let mut repeat = None;
        match c {
            '(' if t.starts_with("(?") => {
                let (rest, group) = perl_flags(t)?;
                t = rest;
                if group {
                    // `(?:`, `(?P<n>`; flags alone (`(?i)`) push nothing.
                    open += 1;
                    operand = false;
                }
            }
            '(' => {
                open += 1;
                operand = false;
                t = &t[1..];
            }
            '|' => {
                operand = false;
                t = &t[1..];
            }
            ')' => {
                if open == 0 {
                    return Err((UNEXPECTED_PAREN, s));
                }
                open -= 1;
                operand = true;
                t = &t[1..];
            }
            '[' => {
                t = class(t)?;
                operand = true;
            }
            '*' | '+' | '?' => {
                let before = t;
                t = repetition(before, &before[1..], last_repeat, operand)?;
                repeat = Some(before);
            }
            '{' => match repeat_bounds(t) {
                Some((min, max, after)) => {
                    let before = t;
                    if !(0..=1000).contains(&min) || max > 1000 || (max >= 0 && min > max) {
                        return Err((REPEAT_SIZE, &before[..before.len() - after.len()]));
                    }
                    t = repetition(before, after, last_repeat, operand)?;
                    repeat = Some(before);
                }
                None => {
                    // Not a repetition: a literal `{`.
                    operand = true;
                    t = &t[1..];
                }
            },
            '\\' => {
                let (rest, pushed) = escape_outside_class(t)?;
                t = rest;
                operand |= pushed;
            }
            c => {
                operand = true;
                t = &t[c.len_utf8()..];
            }
        }
        last_repeat = repeat;
    }
    if open > 0 {
        return Err((MISSING_PAREN, s));
    }
    Ok(())
}

/// `parser.repeat`'s checks; returns the text after the operator (and its `?`).
fn repetition<'a>(
    before: &'a str,
    after: &'a str,
    last_repeat: Option<&'a str>,
    operand: bool,
) -> Result<&'a str, Err<'a>> {
    let after = after.strip_prefix('?').unwrap_or(after);
    if let Some(last) = last_repeat {
        return Err((NESTED_REPEAT, &last[..last.len() - after.len()]));
    }
    if !operand {
        return Err((MISSING_ARGUMENT, &before[..before.len() - after.len()]));
    }
    Ok(after)
}

/// `parseRepeat`: `{n}`, `{n,}` or `{n,m}` (no leading zeros; too long a number is -1).
fn repeat_bounds(s: &str) -> Option<(i64, i64, &str)> {
    let s = s.strip_prefix('{')?;
    let (min, s) = int(s)?;
    let (max, s) = match s.strip_prefix(',') {
        None => (min, s),
        Some(rest) if rest.starts_with('}') => (-1, rest),
        Some(rest) => {
            let (max, rest) = int(rest)?;
            return rest
                .strip_prefix('}')
                .map(|r| (if max < 0 { -1 } else { min }, max, r));
        }
    };
    s.strip_prefix('}').map(|r| (min, max, r))
}

fn int(s: &str) -> Option<(i64, &str)> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || (digits >= 2 && s.starts_with('0')) {
        return None;
    }
    let n = if digits > 8 {
        -1
    } else {
        s[..digits].parse().ok()?
    };
    Some((n, &s[digits..]))
}

/// `parsePerlFlags` at `(?`: a named group (`(?P<name>`, `(?<name>`), or flags ending in `)`
/// or `:`. Returns the rest and whether a group was opened.
fn perl_flags(t: &str) -> Result<(&str, bool), Err<'_>> {
    let b = t.as_bytes();
    let p_name = b.len() > 4 && b[2] == b'P' && b[3] == b'<';
    if p_name || (b.len() > 3 && b[2] == b'<') {
        let start = if p_name { 4 } else { 3 };
        let Some(end) = t.find('>') else {
            return Err((NAMED_CAPTURE, t));
        };
        let name = &t[start..end];
        if name.is_empty() || !name.bytes().all(|c| c == b'_' || c.is_ascii_alphanumeric()) {
            return Err((NAMED_CAPTURE, &t[..=end]));
        }
        return Ok((&t[end + 1..], true));
    }
    let mut rest = &t[2..];
    let mut negated = false;
    let mut saw_flag = false;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            'i' | 'm' | 's' | 'U' => saw_flag = true,
            '-' if !negated => {
                negated = true;
                saw_flag = false;
            }
            ':' | ')' if !negated || saw_flag => return Ok((rest, c == ':')),
            _ => break,
        }
    }
    Err((PERL_OP, &t[..t.len() - rest.len()]))
}

/// An escape outside a class: an assertion (`\A \b \B \z`), `\Q...\E`, a Unicode or
/// Perl class, or one character. Returns the rest and whether it pushed an operand.
fn escape_outside_class(t: &str) -> Result<(&str, bool), Err<'_>> {
    match t.as_bytes().get(1) {
        Some(b'A' | b'b' | b'B' | b'z') => return Ok((&t[2..], true)),
        Some(b'C') => return Err((INVALID_ESCAPE, &t[..2])),
        Some(b'Q') => {
            let body = &t[2..];
            let (lit, rest) = match body.find("\\E") {
                Some(i) => (&body[..i], &body[i + 2..]),
                None => (body, ""),
            };
            return Ok((rest, !lit.is_empty()));
        }
        _ => {}
    }
    if let Some(rest) = unicode_class(t)? {
        return Ok((rest, true));
    }
    if let Some(rest) = perl_class(t) {
        return Ok((rest, true));
    }
    escape(t).map(|rest| (rest, true))
}

/// `\d \D \s \S \w \W`.
fn perl_class(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    (b.len() >= 2 && b[0] == b'\\' && b"dDsSwW".contains(&b[1])).then(|| &t[2..])
}

/// `\pL`, `\p{Greek}`, `\P{^L}`: a class by a name Go knows ([`known_class`]); returns the
/// rest.
fn unicode_class(t: &str) -> Result<Option<&str>, Err<'_>> {
    let b = t.as_bytes();
    if b.len() < 2 || b[0] != b'\\' || !matches!(b[1], b'p' | b'P') {
        return Ok(None);
    }
    let rest = &t[2..];
    let (name, rest) = match rest.chars().next() {
        None => return Err((INVALID_RANGE, t)),
        Some('{') => match t.find('}') {
            Some(end) => (&t[3..end], &t[end + 1..]),
            None => return Err((INVALID_RANGE, t)),
        },
        Some(c) => (&rest[..c.len_utf8()], &rest[c.len_utf8()..]),
    };
    if !known_class(name.strip_prefix('^').unwrap_or(name)) {
        return Err((INVALID_RANGE, &t[..t.len() - rest.len()]));
    }
    Ok(Some(rest))
}

/// Whether Go's `unicodeTable` knows `name`: `Any`, `ASCII`, `Assigned`, a general category by
/// its code or alias, or a script by its long name, compared loosely (case, spaces,
/// underscores and hyphens aside). Script codes (`Grek`), binary properties (`Alphabetic`)
/// and `key=value` forms are not Go's.
fn known_class(name: &str) -> bool {
    let loose = |s: &str| -> String {
        s.chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-'))
            .flat_map(char::to_lowercase)
            .collect()
    };
    let name = loose(name);
    CLASS_NAMES.iter().any(|n| loose(n) == name)
}

/// `parseEscape`: one escaped character (a punctuation mark, an octal, `\x` hex or a C
/// escape); returns the rest.
fn escape(s: &str) -> Result<&str, Err<'_>> {
    let t = &s[1..];
    let Some(c) = t.chars().next() else {
        return Err((TRAILING_BACKSLASH, ""));
    };
    let mut t = &t[c.len_utf8()..];
    let octal = |t: &str| t.bytes().next().is_some_and(|d| (b'0'..=b'7').contains(&d));
    let ok = match c {
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => true,
        '1'..='7' | '0' if c == '0' || octal(t) => {
            for _ in 0..2 {
                if octal(t) {
                    t = &t[1..];
                }
            }
            true
        }
        'x' => match t.chars().next() {
            None => false,
            Some('{') => {
                t = &t[1..];
                let digits = t.bytes().take_while(u8::is_ascii_hexdigit).count();
                let value = u32::from_str_radix(&t[..digits.min(8)], 16).unwrap_or(u32::MAX);
                match t[digits..].chars().next() {
                    Some('}') if digits > 0 && digits <= 8 && value <= 0x10FFFF => {
                        t = &t[digits + 1..];
                        true
                    }
                    // Go stops at the first character that is not a hex digit or `}`.
                    Some(c) => {
                        t = &t[(digits + c.len_utf8()).min(t.len())..];
                        false
                    }
                    None => {
                        t = "";
                        false
                    }
                }
            }
            Some(first) => {
                let after_first = &t[first.len_utf8()..];
                match after_first.chars().next() {
                    Some(second) => {
                        t = &after_first[second.len_utf8()..];
                        first.is_ascii_hexdigit() && second.is_ascii_hexdigit()
                    }
                    None => {
                        t = after_first;
                        false
                    }
                }
            }
        },
        'a' | 'f' | 'n' | 'r' | 't' | 'v' => true,
        _ => false,
    };
    if ok {
        Ok(t)
    } else {
        Err((INVALID_ESCAPE, &s[..s.len() - t.len()]))
    }
}

/// `parseClass` at `[`: returns the rest after `]`.
fn class(s: &str) -> Result<&str, Err<'_>> {
    let mut t = &s[1..];
    if let Some(rest) = t.strip_prefix('^') {
        t = rest;
    }
    let mut first = true;
    while first || !t.starts_with(']') {
        first = false;
        if t.starts_with("[:")
            && let Some(i) = t[2..].find(":]")
        {
            let name = &t[..i + 4];
            let inner = &name[2..name.len() - 2];
            if !POSIX_CLASSES.contains(&inner.strip_prefix('^').unwrap_or(inner)) {
                return Err((INVALID_RANGE, name));
            }
            t = &t[name.len()..];
            continue;
        }
        if let Some(rest) = unicode_class(t)? {
            t = rest;
            continue;
        }
        if let Some(rest) = perl_class(t) {
            t = rest;
            continue;
        }
        let range = t;
        let (lo, rest) = class_char(t, s)?;
        t = rest;
        if t.len() >= 2 && t.starts_with('-') && !t[1..].starts_with(']') {
            let (hi, rest) = class_char(&t[1..], s)?;
            t = rest;
            if hi < lo {
                return Err((INVALID_RANGE, &range[..range.len() - t.len()]));
            }
        }
    }
    Ok(&t[1..])
}

/// One character of a class, plain or escaped, and the rest.
fn class_char<'a>(t: &'a str, whole: &'a str) -> Result<(char, &'a str), Err<'a>> {
    let Some(c) = t.chars().next() else {
        return Err((MISSING_BRACKET, whole));
    };
    if c != '\\' {
        return Ok((c, &t[c.len_utf8()..]));
    }
    let rest = escape(t)?;
    Ok((escaped_char(&t[..t.len() - rest.len()]), rest))
}

/// The character an escape that [`escape`] took stands for.
fn escaped_char(e: &str) -> char {
    let body = &e[1..];
    let mut chars = body.chars();
    match chars.next() {
        Some('x') => {
            let hex = body[1..].trim_start_matches('{').trim_end_matches('}');
            u32::from_str_radix(hex, 16)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{0}')
        }
        Some(d @ '0'..='7') if body.len() > 1 || d == '0' => u32::from_str_radix(body, 8)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{0}'),
        Some('a') => '\u{7}',
        Some('f') => '\u{c}',
        Some('n') => '\n',
        Some('r') => '\r',
        Some('t') => '\t',
        Some('v') => '\u{b}',
        Some(c) => c,
        None => '\u{0}',
    }
}

/// Go's class names: the specials, the general categories (codes, long names, the other
/// aliases of Unicode's PropertyValueAliases), the scripts of Unicode 16.
const CLASS_NAMES: &[&str] = &[
    "Any",
    "ASCII",
    "Assigned",
    "C",
    "Other",
    "Cc",
    "Control",
    "cntrl",
    "Cf",
    "Format",
    "Cn",
    "Unassigned",
    "Co",
    "Private_Use",
    "Cs",
    "Surrogate",
    "L",
    "Letter",
    "LC",
    "Cased_Letter",
    "Ll",
    "Lowercase_Letter",
    "Lm",
    "Modifier_Letter",
    "Lo",
    "Other_Letter",
    "Lt",
    "Titlecase_Letter",
    "Lu",
    "Uppercase_Letter",
    "M",
    "Mark",
    "Combining_Mark",
    "Mc",
    "Spacing_Mark",
    "Me",
    "Enclosing_Mark",
    "Mn",
    "Nonspacing_Mark",
    "N",
    "Number",
    "Nd",
    "Decimal_Number",
    "digit",
    "Nl",
    "Letter_Number",
    "No",
    "Other_Number",
    "P",
    "Punctuation",
    "punct",
    "Pc",
    "Connector_Punctuation",
    "Pd",
    "Dash_Punctuation",
    "Pe",
    "Close_Punctuation",
    "Pf",
    "Final_Punctuation",
    "Pi",
    "Initial_Punctuation",
    "Po",
    "Other_Punctuation",
    "Ps",
    "Open_Punctuation",
    "S",
    "Symbol",
    "Sc",
    "Currency_Symbol",
    "Sk",
    "Modifier_Symbol",
    "Sm",
    "Math_Symbol",
    "So",
    "Other_Symbol",
    "Z",
    "Separator",
    "Zl",
    "Line_Separator",
    "Zp",
    "Paragraph_Separator",
    "Zs",
    "Space_Separator",
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Garay",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Gurung_Khema",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Kirat_Rai",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Ol_Onal",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Sunuwar",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Todhri",
    "Toto",
    "Tulu_Tigalari",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

#[cfg(test)]
mod tests {
    use super::go_syntax_error;

    #[test]
    fn refusals_read_as_gos() {
        // Each as helm words it.
        for (expr, err) in [
            ("(", "missing closing ): `(`"),
            ("((a)", "missing closing ): `((a)`"),
            (")", "unexpected ): `)`"),
            ("a)", "unexpected ): `a)`"),
            ("[a", "missing closing ]: `[a`"),
            ("a[b", "missing closing ]: `[b`"),
            ("\\q", "invalid escape sequence: `\\q`"),
            ("*", "missing argument to repetition operator: `*`"),
            ("+a", "missing argument to repetition operator: `+`"),
            ("a**", "invalid nested repetition operator: `**`"),
            ("x{1001}", "invalid repeat count: `{1001}`"),
            ("(?<", "invalid or unsupported Perl syntax: `(?<`"),
            ("(?i", "invalid or unsupported Perl syntax: `(?i`"),
            ("(?P<>a)", "invalid named capture: `(?P<>`"),
            ("a\\", "trailing backslash at end of expression: ``"),
            ("[[:foo:]]", "invalid character class range: `[:foo:]`"),
            ("[z-a]", "invalid character class range: `z-a`"),
            ("\\p{Grek}", "invalid character class range: `\\p{Grek}`"),
            (
                "\\p{Alphabetic}+",
                "invalid character class range: `\\p{Alphabetic}`",
            ),
        ] {
            assert_eq!(go_syntax_error(expr).as_deref(), Some(err), "{expr}");
        }
        for ok in [
            "a{,2}",
            "x{2",
            "^*",
            "\\b+",
            "(?i)a",
            "[]a]",
            "[a-]",
            "\\x{41}",
            "(?:a)*",
            "\\pL+",
            "\\p{old italic}",
            "\\P{^Lu}",
        ] {
            assert_eq!(go_syntax_error(ok), None, "{ok}");
        }
    }
}
