//! Sprig's `camelcase`, `snakecase` and `kebabcase`: huandu/xstrings 1.5's `ToPascalCase`,
//! `ToSnakeCase` and `ToKebabCase`, whose word rules (runs of upper case, numbers glued to the
//! word before them, punctuation kept where it stands) decide every byte of the output.

use crate::gounicode::{is_letter, is_number, is_punct, is_space, is_upper};
use crate::value::{FuncError, Value};

use super::ok_str;
use super::strings::{one_str, simple_lower, simple_upper};

type R = Result<Value, FuncError>;

/// What xstrings writes for `\u{FFFD}`: it decodes its input rune by rune and takes the
/// replacement character for a decoding error, skipping it inside words.
const RUNE_ERROR: char = '\u{FFFD}';

/// xstrings' connectors: `-`, `_` and Go's spaces.
fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings' `isAlphabet`: a letter, but not a CJK ideograph.
fn is_alphabet(c: char) -> bool {
    is_letter(c)
        && !matches!(c, '\u{4E00}'..='\u{9FCC}' | '\u{3400}'..='\u{4D85}' | '\u{20000}'..='\u{2B81D}')
}

/// Sprig's `camelcase` is xstrings' `ToPascalCase`: a connector between two words goes and
/// the next character is upper-cased; connectors at the start, and all but the last of a run,
/// stay. A word that starts upper case has the rest of its upper case run lower-cased
/// (`HTTP_server` → `HttpServer`); other characters keep their case (`aBC` → `ABC`).
pub(crate) fn camelcase(args: &[Value]) -> R {
    ok_str(to_pascal(one_str(args, "camelcase")?))
}

fn to_pascal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    // Leading connectors are written as they are; the first other character is upper-cased.
    let first = loop {
        match chars.next() {
            None => {
                // Only connectors: xstrings writes the last one twice.
                if let Some(last) = s.chars().next_back() {
                    out.push(last);
                }
                return out;
            }
            Some(c) if is_connector(c) => out.push(c),
            Some(c) => break c,
        }
    };
    // Whether the current word started upper case and has been upper case since.
    let mut upper_run = is_upper(first);
    let mut held = simple_upper(first);
    for c in chars {
        let prev = std::mem::replace(&mut held, c);
        if is_connector(prev) {
            if is_connector(c) {
                out.push(prev);
            } else {
                upper_run = is_upper(c);
                held = simple_upper(c);
            }
            continue;
        }
        if upper_run {
            if is_upper(c) {
                held = simple_lower(c);
            } else {
                upper_run = false;
            }
        }
        out.push(prev);
    }
    out.push(held);
    out
}

pub(crate) fn snakecase(args: &[Value]) -> R {
    ok_str(to_delimited(one_str(args, "snakecase")?, '_'))
}

pub(crate) fn kebabcase(args: &[Value]) -> R {
    ok_str(to_delimited(one_str(args, "kebabcase")?, '-'))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Only replacement characters, or nothing at all (past the end).
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// The next character of `s` that is not a replacement character, and the bytes up to and
/// including it; `None` when only replacement characters are left (their bytes are `s.len()`).
fn next_valid(s: &str) -> (Option<char>, usize) {
    for (i, c) in s.char_indices() {
        if c != RUNE_ERROR {
            return (Some(c), i + c.len_utf8());
        }
    }
    (None, s.len())
}

/// xstrings' `nextWord`: splits the first word off `s`, returning its kind, the word and the
/// rest.
fn next_word(s: &str) -> (Kind, &str, &str) {
    if s.is_empty() {
        return (Kind::Invalid, "", "");
    }
    let (Some(first), mut end) = next_valid(s) else {
        return (Kind::Invalid, s, "");
    };
    // Extends the word over following characters for which `take` holds; a trailing run of
    // replacement characters goes with the word.
    let extend = |end: &mut usize, take: &dyn Fn(char) -> bool| {
        while *end < s.len() {
            let (c, len) = next_valid(&s[*end..]);
            if c.is_some_and(|c| !take(c)) {
                break;
            }
            *end += len;
        }
    };
    let kind = if is_connector(first) {
        extend(&mut end, &is_connector);
        Kind::Connector
    } else if is_punct(first) {
        extend(&mut end, &is_punct);
        Kind::Punct
    } else if is_upper(first) {
        let (second, len) = next_valid(&s[end..]);
        // Only replacement characters left: xstrings looks at the upper case letter again.
        let second = second.unwrap_or(first);
        if end < s.len() && is_upper(second) {
            // An upper case run; when a lower case letter follows it, its last letter starts
            // the next word (`HTTPServer` is `HTTP` and `Server`).
            let mut last_len = len;
            end += len;
            let mut stopped_at = None;
            while end < s.len() {
                let (c, len) = next_valid(&s[end..]);
                match c {
                    Some(c) if !is_upper(c) => {
                        stopped_at = Some(c);
                        break;
                    }
                    _ => {
                        last_len = len;
                        end += len;
                    }
                }
            }
            if end < s.len() && stopped_at.is_some_and(is_alphabet) {
                end -= last_len;
            }
        } else if end < s.len() && is_alphabet(second) {
            end += len;
            extend(&mut end, &|c| is_alphabet(c) && !is_upper(c));
        }
        Kind::Upper
    } else if is_alphabet(first) {
        extend(&mut end, &|c| is_alphabet(c) && !is_upper(c));
        Kind::Alphabet
    } else if is_number(first) {
        extend(&mut end, &is_number);
        Kind::Number
    } else {
        extend(&mut end, &|c| {
            !(is_connector(c) || is_alphabet(c) || is_number(c) || is_punct(c))
        });
        Kind::Other
    };
    (kind, &s[..end], &s[end..])
}

/// xstrings' `toLower`: upper case words are lower-cased, connector words become `sep`s (one
/// for each connector), other words are written as they are.
fn write_word(out: &mut String, kind: Kind, word: &str, sep: char) {
    if kind != Kind::Upper && kind != Kind::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        if is_connector(c) {
            out.push(sep);
        } else if is_upper(c) {
            out.push(simple_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// `camelCaseToLowerCase`: words joined by `sep`, a number glued to the word before it unless
/// letters follow the number (`Bld4Floor3rd` → `bld4_floor_3rd`), punctuation and connectors
/// written where they stand.
fn to_delimited(s: &str, sep: char) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    let (mut kind, mut word, mut rest) = next_word(s);
    // Whether what follows a word takes a separator before it.
    let joins = |k: Kind| !matches!(k, Kind::Connector | Kind::Punct);
    while !rest.is_empty() {
        if kind != Kind::Connector {
            write_word(&mut out, kind, word, sep);
        }
        let (prev, last) = (kind, word);
        (kind, word, rest) = next_word(rest);
        match prev {
            Kind::Number => {
                while matches!(kind, Kind::Alphabet | Kind::Number) {
                    write_word(&mut out, kind, word, sep);
                    (kind, word, rest) = next_word(rest);
                }
                if kind != Kind::Invalid && joins(kind) {
                    out.push(sep);
                }
            }
            Kind::Connector => write_word(&mut out, prev, last, sep),
            Kind::Punct => {}
            _ if kind != Kind::Number => {
                if joins(kind) {
                    out.push(sep);
                }
            }
            _ if rest.is_empty() => {}
            _ => {
                let number = word;
                (kind, word, rest) = next_word(rest);
                if kind != Kind::Alphabet {
                    // The number belongs to the word before it (`Bld4` in `Bld4Floor`).
                    write_word(&mut out, Kind::Number, number, sep);
                    if joins(kind) {
                        out.push(sep);
                    }
                } else {
                    // Letters follow the number: it starts a word (`HTTP2xx` → `http_2xx`).
                    out.push(sep);
                    write_word(&mut out, Kind::Number, number, sep);
                    while matches!(kind, Kind::Alphabet | Kind::Number) {
                        write_word(&mut out, kind, word, sep);
                        (kind, word, rest) = next_word(rest);
                    }
                    if kind != Kind::Invalid && joins(kind) {
                        out.push(sep);
                    }
                }
            }
        }
    }
    write_word(&mut out, kind, word, sep);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xstrings_documented_examples() {
        for (input, snake) in [
            ("FirstName", "first_name"),
            ("HTTPServer", "http_server"),
            ("NoHTTPS", "no_https"),
            ("GO_PATH", "go_path"),
            ("GO PATH", "go_path"),
            ("GO-PATH", "go_path"),
            ("http2xx", "http_2xx"),
            ("HTTP20xOK", "http_20x_ok"),
            ("Duration2m3s", "duration_2m3s"),
            ("Bld4Floor3rd", "bld4_floor_3rd"),
        ] {
            assert_eq!(to_delimited(input, '_'), snake, "{input}");
            assert_eq!(to_delimited(input, '-'), snake.replace('_', "-"), "{input}");
        }
        for (input, camel) in [
            ("some_words", "SomeWords"),
            ("http_server", "HttpServer"),
            ("no_https", "NoHttps"),
            ("_complex__case_", "_Complex_Case_"),
            ("some words", "SomeWords"),
            ("", ""),
            ("a", "A"),
            ("__", "___"),
            ("GOLANG_IS_GREAT", "GolangIsGreat"),
            ("aBC", "ABC"),
            ("HTTP_server", "HttpServer"),
        ] {
            assert_eq!(to_pascal(input), camel, "{input}");
        }
    }

    #[test]
    fn replacement_characters_go_with_the_word_after_them() {
        // As helm gives them.
        assert_eq!(to_delimited("\u{FFFD}", '_'), "\u{FFFD}");
        assert_eq!(to_delimited("ab\u{FFFD}Cd", '_'), "ab_\u{FFFD}cd");
        assert_eq!(to_delimited("A\u{FFFD}", '_'), "a\u{FFFD}");
        assert_eq!(to_delimited("\u{FFFD}aB", '_'), "\u{FFFD}a_b");
    }
}
