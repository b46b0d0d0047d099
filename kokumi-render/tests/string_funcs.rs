//! Generated strings through Go's and Sprig's one-argument string functions, in helm and in
//! us. Each function decides by Go's rules: xstrings' word splitting for `camelcase`,
//! `snakecase` and `kebabcase`, Go's `unicode` categories (`IsUpper` is `Lu`, not Rust's
//! Uppercase property; `IsPrint` for `js` and `quote`), goutils' byte-wise words, the escapers'
//! tables. Twelve hundred strings from a seeded generator over characters of every category
//! that matters go through each, and every result must be helm's byte for byte. Needs a real
//! helm (see `differential`).

use crate::differential::helm_binary;
use crate::yaml_head::Gen;
use crate::yaml_scalars::{assert_no_differences, decode, ours_and_helms};

/// Letters of each case (and title case, and letters with none), digits and other numbers,
/// xstrings' connectors, punctuation and symbols (ASCII and not), spaces Go counts or does not,
/// format and private-use characters, a CJK ideograph, the replacement character.
const CHARS: &[&str] = &[
    "a", "b", "z", "x", "A", "B", "Z", "X", "0", "1", "7", "9", "a", "A", "0", "-", "_", " ", "\t",
    "\n", ".", ",", ":", ";", "!", "?", "'", "\"", "(", ")", "[", "]", "{", "}", "/", "\\", "@",
    "#", "$", "%", "^", "&", "*", "+", "=", "<", ">", "|", "~", "`", "é", "É", "ß", "Σ", "σ", "ς",
    "ǅ", "ǆ", "Ǆ", "ǈ", "İ", "ı", "ﬁ", "Ꭰ", "ꭰ", "𝐀", "Ⓐ", "ⓐ", "Ⅰ", "ⅰ", "ª", "ʰ", "日", "①", "²",
    "٣", "¿", "¡", "«", "»", "·", "§", "€", "£", "\u{a0}", "\u{2003}", "\u{85}", "\u{2028}",
    "\u{200b}", "\u{ad}", "\u{301}", "\u{7f}", "\u{1}", "\u{e000}", "\u{378}", "😀", "\u{fffd}",
    "ab", "AB", "Ab", "aB", "12", "a1", "1a", "A1", "--", "__", "  ",
];

const FUNCS: &[&str] = &[
    "camelcase",
    "snakecase",
    "kebabcase",
    "swapcase",
    "title",
    "untitle",
    "upper",
    "lower",
    "trim",
    "nospace",
    "initials",
    "quote",
    "squote",
    "html",
    "js",
    "urlquery",
    "regexQuoteMeta",
    "clean",
    "base",
    "dir",
    "ext",
];

#[test]
fn generated_strings_through_string_functions_like_helm() {
    use base64::Engine as _;
    let Some(helm) = helm_binary() else {
        return;
    };
    let mut g = Gen(0x5eed_1234_abcd_0003);
    let values: Vec<String> = (0..1200)
        .map(|_| {
            let len = g.next() % 17;
            (0..len).map(|_| g.pick(CHARS)).collect()
        })
        .collect();
    let list: Vec<String> = values
        .iter()
        .map(|v| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(v);
            format!("(b64dec {b64:?})")
        })
        .collect();
    let calls: String = FUNCS
        .iter()
        .map(|f| format!("{f}{{{{ $i }}}}: {{{{ {f} $v | toString | b64enc }}}}\n"))
        .collect();
    let text = format!(
        "{{{{- $l := list {} }}}}\n{{{{- range $i, $v := $l }}}}\n{calls}{{{{- end }}}}\n",
        list.join(" ")
    );
    let (ours, theirs) = ours_and_helms(&helm, "strfuncs", &text);
    let mut wrong = Vec::new();
    for (o, t) in ours.lines().zip(theirs.lines()).filter(|(o, t)| o != t) {
        let key = t.split_once(": ").map_or("", |(k, _)| k);
        let func = key.trim_end_matches(|c: char| c.is_ascii_digit());
        let v = key[func.len()..].parse::<usize>().ok();
        let v = v.and_then(|i| values.get(i)).map_or(key, String::as_str);
        wrong.push(format!(
            "{func} {v:?}: ours {:?}, helm {:?}",
            decode(o),
            decode(t)
        ));
    }
    assert_no_differences(&ours, &theirs, &wrong);
}
