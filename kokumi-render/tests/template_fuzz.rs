//! The fuzz target's property, run over random inputs in the normal test suite: parsing and
//! executing any template text ends (with output or an error) and never panics.
//!
//! Inputs are built from template fragments, so most of them parse and exercise the executor;
//! `cargo fuzz run parse_execute` (in `kokumi-render/fuzz`) explores the same property with
//! coverage guidance.

use kokumi_render::template::{Limits, TemplateSet};
use kokumi_render::value::{Map, Value};
use proptest::prelude::*;

const FRAGMENTS: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    " ",
    "\n",
    "x",
    "if ",
    "else ",
    "end",
    "range ",
    "with ",
    "define \"a\"",
    "template \"a\" ",
    "block \"b\" .",
    "break",
    "continue",
    ".",
    ".Values",
    ".Values.m",
    ".x",
    ".l",
    "$",
    "$x",
    "$y",
    ":=",
    "=",
    "|",
    "(",
    ")",
    ",",
    "\"s\"",
    "`r`",
    "1",
    "-2",
    "1.5",
    "0x1F",
    "'c'",
    "nil",
    "true",
    "and ",
    "or ",
    "not ",
    "eq ",
    "lt ",
    "len ",
    "index ",
    "slice ",
    "print ",
    "printf \"%v %d\" ",
    "include \"a\" ",
    "tpl \"{{ . }}\" ",
    "required \"r\" ",
    "default 1 ",
    "dict \"k\" ",
    "list ",
    "set ",
    "toYaml ",
    "quote ",
    "/* c */",
    "{{/* c */}}",
    "$.Values.s",
    "{{ end }}",
    "{{ else }}",
];

fn render(helpers: &str, main: &str) {
    let limits = Limits::default()
        .with_max_steps(50_000)
        .with_max_output(1 << 20)
        .with_max_depth(200);
    let mut set = TemplateSet::with_limits(limits);
    if set.add("c/templates/_h.tpl", helpers).is_err()
        || set.add("c/templates/t.yaml", main).is_err()
    {
        return;
    }
    let values = Value::from_json(&serde_json::json!({
        "a": 1, "s": "str", "m": {"x": 1, "l": [1, "b", null]}, "n": null, "t": true
    }));
    let mut root = Map::new();
    root.insert("Values".into(), values);
    // Errors are fine; panics are not. The error text must be printable.
    if let Err(e) = set.render("c/templates/t.yaml", &Value::map(root)) {
        let _ = e.to_string();
    }
}

fn fragments() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn fragment_soup_never_panics(helpers in fragments(), main in fragments()) {
        render(&helpers, &main);
    }

    #[test]
    fn arbitrary_text_never_panics(main in "\\PC{0,200}") {
        render("", &main);
    }
}

#[test]
fn well_formed_soup_actually_executes() {
    // Guard against the property passing only because everything fails to parse.
    let mut set = TemplateSet::new();
    set.add("t", r#"{{ define "a" }}[{{ . }}]{{ end }}{{ range $i, $v := list 1 2 }}{{ include "a" $v }}{{ end }}"#)
        .unwrap();
    assert_eq!(set.render("t", &Value::Nil).unwrap(), "[1][2]");
}
