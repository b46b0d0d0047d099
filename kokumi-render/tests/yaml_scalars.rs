//! Generated plain scalars through helm and through us. go-yaml decides for every plain scalar
//! whether it is a string, a number, a bool, null or a timestamp, and `toYaml` quotes exactly the
//! strings that would read back as something else; Go's `strconv` rules (signs, base prefixes,
//! underscores, range errors) sit underneath. Four thousand strings from a seeded generator over
//! the characters and words that matter are written with `toYaml` and read back with `fromYaml`,
//! and every line must be helm's byte for byte. A second test does the same for arbitrary
//! strings (controls, breaks, quotes, indicators, non-ASCII, long lines) as `toYaml` keys,
//! values and list items, `toJson`, `quote`, `squote` and `%q`. Needs a real helm (see
//! `differential`).

use std::process::Command;

use crate::conformance::{parse_cmd, render_cmd};
use crate::differential::helm_binary;
use crate::yaml_head::Gen;

const PIECES: &[&str] = &[
    "0",
    "1",
    "2",
    "3",
    "5",
    "7",
    "8",
    "9",
    "0",
    "1",
    "6",
    "4",
    "+",
    "-",
    ".",
    "_",
    ":",
    "e",
    "E",
    "x",
    "X",
    "o",
    "O",
    "b",
    "B",
    "a",
    "f",
    "F",
    "t",
    "T",
    "z",
    "Z",
    " ",
    ",",
    "0x",
    "0o",
    "0b",
    "inf",
    "Inf",
    ".inf",
    "-.inf",
    ".nan",
    "NaN",
    "true",
    "True",
    "yes",
    "No",
    "off",
    "null",
    "Null",
    "~",
    "-0",
    "1_",
    "::",
    "2001-12-14",
    "2001-1-1",
    "12:30",
    "1e3",
    "0.",
    "<<",
    "=",
    "y",
    "n",
];

/// Distinct scalars, each safe inside a Go string literal and plain after `k: ` in YAML.
fn scalars(seed: u64, count: usize) -> Vec<String> {
    let mut g = Gen(seed);
    let mut out = std::collections::BTreeSet::new();
    while out.len() < count {
        let len = 1 + g.next() % 12;
        let s: String = (0..len).map(|_| g.pick(PIECES)).collect();
        let s = s.trim();
        let plain = !s.is_empty()
            && !s.contains(": ")
            && !s.contains(" #")
            && !s.ends_with(':')
            && !s.starts_with(['?', ':', ',', '#'])
            && !s.starts_with("- ")
            && s != "-";
        if plain {
            out.insert(s.to_owned());
        }
    }
    out.into_iter().collect()
}

fn template(values: &[String]) -> String {
    let list: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
    format!(
        "{{{{- $l := list {} }}}}\n\
         y: {{{{ toYaml $l | b64enc }}}}\n\
         {{{{- range $i, $v := $l }}}}\n\
         {{{{- $m := printf \"k: %s\" $v | fromYaml }}}}\n\
         i{{{{ $i }}}}: {{{{ printf \"%s %v\" (kindOf $m.k) $m.k | b64enc }}}}\n\
         {{{{- end }}}}\n",
        list.join(" ")
    )
}

/// A chart `name` with the one template `text`, rendered by us and by helm.
pub(crate) fn ours_and_helms(helm: &std::path::Path, name: &str, text: &str) -> (String, String) {
    ours_and_helms_with(helm, name, text, &[])
}

/// [`ours_and_helms`] for a chart that also holds `files` (path in the chart, content).
pub(crate) fn ours_and_helms_with(
    helm: &std::path::Path,
    name: &str,
    text: &str,
    files: &[(&str, &str)],
) -> (String, String) {
    let base = crate::one_template_chart(name, name, "t.yaml", text);
    for (path, content) in files {
        let path = base.join(name).join(path);
        std::fs::create_dir_all(path.parent().expect("a file in a folder")).expect("create dir");
        std::fs::write(path, content).expect("write chart file");
    }
    let ours =
        render_cmd(&base, &parse_cmd(&format!("helm template rel {name}"))).expect("renders");
    let theirs = Command::new(helm)
        .args(["template", "rel", name])
        .current_dir(&base)
        .output()
        .expect("run helm");
    let _ = std::fs::remove_dir_all(&base);
    assert!(
        theirs.status.success(),
        "helm failed: {}",
        String::from_utf8_lossy(&theirs.stderr)
    );
    (ours, String::from_utf8_lossy(&theirs.stdout).into_owned())
}

pub(crate) fn assert_no_differences(ours: &str, theirs: &str, wrong: &[String]) {
    assert_eq!(ours.lines().count(), theirs.lines().count(), "line counts");
    assert!(
        wrong.is_empty(),
        "{} differences:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

pub(crate) fn decode(line: &str) -> String {
    use base64::Engine as _;
    let b64 = line.split_once(": ").map_or("", |(_, v)| v);
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|_| line.to_owned())
}

#[test]
fn generated_scalars_read_and_write_like_helm() {
    let Some(helm) = helm_binary() else {
        return;
    };
    let values = scalars(0x5eed_1234_abcd_0001, 4000);
    let (ours, theirs) = ours_and_helms(&helm, "scalars", &template(&values));
    let mut wrong = Vec::new();
    for (o, t) in ours.lines().zip(theirs.lines()).filter(|(o, t)| o != t) {
        let key = t.split_once(": ").map_or("", |(k, _)| k);
        let (o, t) = (decode(o), decode(t));
        if key == "y" {
            // The toYaml list: one `- value` line per scalar, in order.
            for ((v, ol), tl) in values.iter().zip(o.lines()).zip(t.lines()) {
                if ol != tl {
                    wrong.push(format!("toYaml {v:?}: ours {ol:?}, helm {tl:?}"));
                }
            }
        } else {
            let v = key.strip_prefix('i').and_then(|i| i.parse::<usize>().ok());
            let v = v.and_then(|i| values.get(i)).map_or(key, String::as_str);
            wrong.push(format!("fromYaml {v:?}: ours {o:?}, helm {t:?}"));
        }
    }
    assert_no_differences(&ours, &theirs, &wrong);
}

/// Pieces of arbitrary strings: what YAML and JSON escape, quote, fold or refuse.
const CHARS: &[&str] = &[
    "a", "b", "c", "X", "Y", "Z", "0", "1", "9", " ", "a", "b", "0", " ", " ", "\t", "\n", "\r",
    ":", "#", "-", "?", ",", "[", "]", "{", "}", "&", "*", "!", "|", ">", "'", "\"", "%", "@", "`",
    "\\", "/", "=", "~", ".", "+", "_", "é", "中", "😀", "\u{2028}", "\0", "\u{7}", "\u{7f}",
    "\u{85}", "\u{feff}", "\u{a0}", " \n", " #", "- ", ": ", "\n\n", "  ", "yes", "null", "1.5",
    "0x1F", "---", "...", "<<", "\ta", "a\t",
];

#[test]
fn generated_strings_write_like_helm() {
    let Some(helm) = helm_binary() else {
        return;
    };
    let (values, bind) = generated_list(0x5eed_1234_abcd_0002, 1500, 31, CHARS);
    let text = format!(
        "{bind}\
         {{{{- range $i, $v := $l }}}}\n\
         y{{{{ $i }}}}: {{{{ toYaml (dict \"k\" $v \"l\" (list $v) $v 1) | b64enc }}}}\n\
         j{{{{ $i }}}}: {{{{ toJson (list $v) | b64enc }}}}\n\
         q{{{{ $i }}}}: {{{{ printf \"%q %v %s\" $v (quote $v) (squote $v) | b64enc }}}}\n\
         {{{{- end }}}}\n"
    );
    let (ours, theirs) = ours_and_helms(&helm, "strings", &text);
    let mut wrong = Vec::new();
    for (o, t) in ours.lines().zip(theirs.lines()).filter(|(o, t)| o != t) {
        let key = t.split_once(": ").map_or("", |(k, _)| k);
        let v = key.get(1..).and_then(|i| i.parse::<usize>().ok());
        let v = v.and_then(|i| values.get(i)).map_or(key, String::as_str);
        wrong.push(format!(
            "{key} {v:?}: ours {:?}, helm {:?}",
            decode(o),
            decode(t)
        ));
    }
    assert_no_differences(&ours, &theirs, &wrong);
}

/// `count` strings of fewer than `max_pieces` pieces each, drawn from `pieces` by a generator
/// seeded with `seed`, and the template line that binds them to `$l` (each written as `b64dec`
/// of its base64, so any character survives the string literal).
pub(crate) fn generated_list(
    seed: u64,
    count: usize,
    max_pieces: u64,
    pieces: &[&str],
) -> (Vec<String>, String) {
    let mut g = Gen(seed);
    let values: Vec<String> = (0..count)
        .map(|_| {
            let len = g.next() % max_pieces;
            (0..len).map(|_| g.pick(pieces)).collect()
        })
        .collect();
    let bind = bind_list(&values);
    (values, bind)
}

/// The template line that binds `values` to `$l`, each written as `b64dec` of its base64 so
/// any text survives the template's own quoting.
pub(crate) fn bind_list(values: &[String]) -> String {
    use base64::Engine as _;
    let list: Vec<String> = values
        .iter()
        .map(|v| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(v);
            format!("(b64dec {b64:?})")
        })
        .collect();
    format!("{{{{- $l := list {} }}}}\n", list.join(" "))
}
