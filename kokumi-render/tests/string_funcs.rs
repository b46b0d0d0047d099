//! Generated strings through Go's and Sprig's one-argument string functions, and generated
//! `printf` calls, in helm and in us. Each function decides by Go's rules: xstrings' word splitting for `camelcase`,
//! `snakecase` and `kebabcase`, Go's `unicode` categories (`IsUpper` is `Lu`, not Rust's
//! Uppercase property; `IsPrint` for `js` and `quote`), goutils' byte-wise words, the escapers'
//! tables. Twelve hundred strings from a seeded generator over characters of every category
//! that matters go through each, and every result must be helm's byte for byte. The `printf`
//! test draws formats (flags, widths, precisions, `*`, argument indexes, bad verbs) and
//! arguments of every Go type a template meets (int, int64, float64, strings, nil, lists, maps,
//! bytes). Needs a real helm (see `differential`).

use crate::differential::helm_binary;
use crate::yaml_head::Gen;
use crate::yaml_scalars::{assert_no_differences, decode, generated_list, ours_and_helms};

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
    let Some(helm) = helm_binary() else {
        return;
    };
    let (values, bind) = generated_list(0x5eed_1234_abcd_0003, 1200, 17, CHARS);
    let calls: String = FUNCS
        .iter()
        .map(|f| format!("{f}{{{{ $i }}}}: {{{{ {f} $v | toString | b64enc }}}}\n"))
        .collect();
    let text = format!("{bind}{{{{- range $i, $v := $l }}}}\n{calls}{{{{- end }}}}\n");
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

/// Arguments of each Go type a template meets, as template expressions.
const PRINTF_ARGS: &[&str] = &[
    "(int 5)",
    "(int -12)",
    "0",
    "42",
    "-7",
    "65",
    "3.5",
    "-0.25",
    "1e21",
    "1e-7",
    "100000.0",
    "123456789.0",
    "12345678901234567890.0",
    "(float64 2)",
    "(float64 \"NaN\")",
    "(float64 \"+Inf\")",
    "(mulf 1.5 3)",
    "(int64 255)",
    "(div 7 2)",
    "(max 3 9)",
    "(sub 0 9223372036854775807)",
    "(toDecimal \"0777\")",
    "(atoi \"12\")",
    "\"hi\"",
    "\"héllo wörld\"",
    "\"\"",
    "\"a\\tb\"",
    "\"ǅ\"",
    "true",
    "false",
    "nil",
    "(list 1 \"a\" 2.5)",
    "(list)",
    "(list 1.0 \"two\")",
    "(dict \"b\" 1 \"a\" \"x\")",
    "(dict)",
    "(dict \"z\" 1.0 \"a\" (list \"x\"))",
    "(list (list 1) (dict \"k\" nil))",
    "(b64dec \"aGk=\")",
];

/// Verbs with their flags, widths and precisions (`*d` takes a width argument first).
const PRINTF_VERBS: &[&str] = &[
    "v", "d", "s", "q", "x", "X", "o", "b", "e", "E", "f", "F", "g", "G", "c", "t", "U", "T", "+v",
    "#v", "+q", "#q", "#x", "#X", "#o", " d", "+d", "05d", "-5d|", "8.3f", ".2f", ".0f", "10s|",
    "-10s|", ".3s", ".1e", "#g", "08b", "6.2v", "# x", "+.3e", "#U", "-8q|", "05s", "3c", "%",
    "*d", "[2]d", "[1]*d", ".*f", "!", "z", "5t", ".3g", "[3]v", "#.2x",
];

#[test]
fn generated_printf_calls_like_helm() {
    let Some(helm) = helm_binary() else {
        return;
    };
    let mut g = Gen(0x5eed_1234_abcd_0004);
    let calls: Vec<(String, Vec<&str>)> = (0..1500)
        .map(|_| {
            let verbs: Vec<&str> = (0..1 + g.next() % 3)
                .map(|_| g.pick(PRINTF_VERBS))
                .collect();
            let wanted: usize = verbs
                .iter()
                .map(|v| match *v {
                    "%" => 0,
                    v if v.contains('*') => 2,
                    _ => 1,
                })
                .sum();
            // Now and then one argument too few or too many.
            let count = match g.next() % 6 {
                0 => wanted + 1,
                1 => wanted.saturating_sub(1),
                _ => wanted,
            };
            let format = verbs.iter().map(|v| format!("%{v}")).collect::<Vec<_>>();
            let args = (0..count).map(|_| g.pick(PRINTF_ARGS)).collect();
            (format.join(" "), args)
        })
        .collect();
    let text: String = calls
        .iter()
        .enumerate()
        .map(|(i, (format, args))| {
            format!(
                "p{i}: {{{{ printf {format:?} {} | b64enc }}}}\n",
                args.join(" ")
            )
        })
        .collect();
    let (ours, theirs) = ours_and_helms(&helm, "printf", &text);
    let mut wrong = Vec::new();
    for (o, t) in ours.lines().zip(theirs.lines()).filter(|(o, t)| o != t) {
        let key = t.split_once(": ").map_or("", |(k, _)| k);
        let call = key.get(1..).and_then(|i| i.parse::<usize>().ok());
        let call = call.and_then(|i| calls.get(i));
        let shown = call.map_or(key.to_owned(), |(f, a)| format!("{f:?} {}", a.join(" ")));
        wrong.push(format!(
            "printf {shown}: ours {:?}, helm {:?}",
            decode(o),
            decode(t)
        ));
    }
    assert_no_differences(&ours, &theirs, &wrong);
}
