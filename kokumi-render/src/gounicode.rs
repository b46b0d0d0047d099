//! Go's `unicode` predicates, which templates, Sprig and go-yaml decide by. Go's are the
//! general categories (`IsUpper` is `Lu`, `IsLetter` is `L`), where Rust's `char` methods
//! answer derived properties (`is_uppercase` also holds for `Ⓐ` and `Ⅰ`, `is_alphabetic` for
//! `Ⅰ` and combining vowel signs), so the two differ on exactly the characters a generated
//! test finds.

use unicode_general_category::{GeneralCategory as Gc, get_general_category};

/// `unicode.IsSpace`: the Latin-1 spaces and, above them, the White_Space property.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

/// `unicode.IsUpper`: category Lu.
pub(crate) fn is_upper(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_uppercase();
    }
    get_general_category(c) == Gc::UppercaseLetter
}

/// `unicode.IsLower`: category Ll.
pub(crate) fn is_lower(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_lowercase();
    }
    get_general_category(c) == Gc::LowercaseLetter
}

/// `unicode.IsTitle`: category Lt.
pub(crate) fn is_title(c: char) -> bool {
    !c.is_ascii() && get_general_category(c) == Gc::TitlecaseLetter
}

/// `unicode.IsLetter`: category L.
pub(crate) fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    matches!(
        get_general_category(c),
        Gc::UppercaseLetter
            | Gc::LowercaseLetter
            | Gc::TitlecaseLetter
            | Gc::ModifierLetter
            | Gc::OtherLetter
    )
}

/// `unicode.IsDigit`: category Nd.
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    get_general_category(c) == Gc::DecimalNumber
}

/// `unicode.IsNumber`: category N (Rust's `is_numeric` is the same set).
pub(crate) fn is_number(c: char) -> bool {
    c.is_numeric()
}

/// `unicode.IsPunct`: category P. ASCII symbols such as `$`, `+` and `^` are not punctuation.
pub(crate) fn is_punct(c: char) -> bool {
    matches!(
        get_general_category(c),
        Gc::ConnectorPunctuation
            | Gc::DashPunctuation
            | Gc::OpenPunctuation
            | Gc::ClosePunctuation
            | Gc::InitialPunctuation
            | Gc::FinalPunctuation
            | Gc::OtherPunctuation
    )
}

/// `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and the ASCII space; other
/// spaces (U+00A0), format characters (U+200B) and unassigned code points are not.
pub(crate) fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return (' '..='~').contains(&c);
    }
    !matches!(
        get_general_category(c),
        Gc::SpaceSeparator
            | Gc::LineSeparator
            | Gc::ParagraphSeparator
            | Gc::Control
            | Gc::Format
            | Gc::Surrogate
            | Gc::PrivateUse
            | Gc::Unassigned
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_not_derived_properties() {
        // Other_Uppercase and Other_Lowercase: Rust says upper/lower, Go does not.
        for c in ['Ⓐ', 'Ⅰ', '🅐'] {
            assert!(c.is_uppercase() && !is_upper(c), "{c}");
        }
        for c in ['ⓐ', 'ⅰ', 'ª', 'ʰ'] {
            assert!(c.is_lowercase() && !is_lower(c), "{c}");
        }
        assert!(is_upper('É') && is_lower('ß') && is_title('ǅ') && !is_upper('ǅ'));
        // Letter numbers and combining vowel signs are alphabetic, not letters.
        assert!('Ⅰ'.is_alphabetic() && !is_letter('Ⅰ'));
        assert!('\u{93e}'.is_alphabetic() && !is_letter('\u{93e}'));
        assert!(is_letter('日') && is_letter('ʰ'));
        assert!(is_digit('٣') && !is_digit('²') && is_number('²') && is_number('①'));
        for c in ['!', '-', '_', '(', '«', '¿', '·', '§'] {
            assert!(is_punct(c), "{c}");
        }
        for c in ['$', '+', '<', '^', '`', '|', '~', '€', '£'] {
            assert!(!is_punct(c), "{c}");
        }
        assert!(is_space('\u{85}') && is_space('\u{3000}') && !is_space('\u{200b}'));
        for c in [
            '\u{a0}', '\u{200b}', '\u{2003}', '\u{85}', '\u{7f}', '\u{e000}', '\u{ad}',
        ] {
            assert!(!is_print(c), "{c:?}");
        }
        for c in [' ', '~', 'é', '\u{301}', '€', '①'] {
            assert!(is_print(c), "{c:?}");
        }
    }
}
