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

/// Inputs that once ran out of memory, hung or aborted (found by probing the fuzz targets'
/// property with known-expensive shapes), each run under the fuzz targets' limits: every one
/// must end quickly with an error naming the limit it hit.
#[test]
fn fuzz_findings_end_with_an_error() {
    let limits = Limits::default()
        .with_max_steps(200_000)
        .with_max_output(1 << 20)
        .with_max_depth(500);
    let cases: &[(&str, &str)] = &[
        // `indent` of a huge count tried to allocate it (capacity overflow abort).
        (
            r#"{{ indent 999999999999 "x" }}"#,
            "indent: output of 1 lines indented by 999999999999 exceeds",
        ),
        (
            r#"{{ nindent 99999999999 "a\nb" }}"#,
            "nindent: output of 2 lines",
        ),
        // A list rebuilt on every iteration: quadratic work that no step counted.
        (
            "{{ $l := list }}{{ range until 100000 }}{{ $l = append $l . }}{{ end }}",
            "execution budget exceeded",
        ),
        // A string doubled forty times: 1 TiB.
        (
            r#"{{ $s := "x" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}"#,
            "output limit exceeded: a value of more than 1048576 bytes",
        ),
        // Maps and lists that share themselves: tiny to build, 2^60 nodes to print.
        (
            r#"{{ $d := dict }}{{ range until 60 }}{{ $d = dict "a" $d "b" $d }}{{ end }}{{ toJson $d | len }}"#,
            "error calling toJson: output limit exceeded: the value expands to more than",
        ),
        (
            "{{ $d := list 1 }}{{ range until 60 }}{{ $d = list $d $d }}{{ end }}{{ toYaml $d | len }}",
            "error calling toYaml: output limit exceeded",
        ),
        (
            r#"{{ $d := list 1 }}{{ range until 40 }}{{ $d = list $d $d }}{{ end }}{{ printf "%v" $d | len }}"#,
            "error calling printf: output limit exceeded",
        ),
        (
            "{{ $d := list 1 }}{{ range until 40 }}{{ $d = list $d $d }}{{ end }}{{ $d }}",
            "error calling print: output limit exceeded",
        ),
        (
            "{{ $d := list 1 }}{{ range until 40 }}{{ $d = list $d $d }}{{ end }}{{ deepCopy $d | len }}",
            "error calling deepCopy: output limit exceeded",
        ),
        // A map set into itself: printed 10,000 levels deep, a quadratic amount of indentation
        // the node count did not see (fuzz timeout).
        (
            r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "2" $d }}{{ toYamlPretty $d }}"#,
            "error calling toYamlPretty: output limit exceeded: the value expands to more than",
        ),
        // uniq compares every pair: 5·10⁹ comparisons.
        (
            "{{ uniq (until 100000) | len }}",
            "execution budget exceeded",
        ),
    ];
    for (text, want) in cases {
        let mut set = TemplateSet::with_limits(limits);
        set.add("c/templates/t.yaml", text).expect("parses");
        let start = std::time::Instant::now();
        let got = set.render("c/templates/t.yaml", &Value::Nil);
        let took = start.elapsed();
        match got {
            Ok(out) => panic!("{text}: rendered {} bytes, want an error", out.len()),
            Err(e) => {
                let msg = e.to_string();
                assert!(
                    msg.contains(want),
                    "{text}:\n{msg}\nwant it to contain {want:?}"
                );
            }
        }
        assert!(took.as_secs() < 20, "{text}: took {took:?}");
    }
}

/// go-yaml's alias-bomb guard, worded as helm's `fromYaml` reports it (checked against helm
/// 4.3.1; the values-file case is in `helm_errors`).
#[test]
fn yaml_alias_bombs_are_refused_like_go_yaml() {
    let mut bomb = String::from("a: &a [1,2,3,4,5,6,7,8,9]");
    let mut prev = 'a';
    for n in ['b', 'c', 'd', 'e', 'f', 'g', 'h'] {
        bomb.push_str(&format!(
            "\n{n}: &{n} [{}]",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = n;
    }
    let mut set = TemplateSet::new();
    set.add("t", "{{ (fromYaml .).Error }}").expect("parses");
    assert_eq!(
        set.render("t", &Value::from(bomb.as_str()))
            .expect("renders"),
        "error converting YAML to JSON: yaml: document contains excessive aliasing"
    );
    // Moderate aliasing is fine.
    let ok = "a: &a [1, 2]\nb: [*a, *a, *a]\n";
    assert_eq!(set.render("t", &Value::from(ok)).expect("renders"), "");
}

/// Deeply nested data (9,000 levels; YAML deeper than go-yaml's 10,000 is refused) is printed, encoded and
/// copied without overflowing the stack: the walks move to a heap-allocated stack when theirs
/// runs low. A fuzz finding: `toYaml` of a deeply nested list overflowed.
/// A map set into itself is a cycle in Go; ours nests a bounded number of levels, so printing
/// and encoding it end on an ordinary 2 MiB thread (the operator's worker threads are that size;
/// 10,000 levels overflowed it in release builds).
#[test]
fn a_map_set_into_itself_prints_on_a_small_stack() {
    let handle = std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            let mut set = TemplateSet::new();
            set.add(
                "t",
                r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "2" $d }}{{ toYamlPretty $d | len }} {{ toJson $d | len }} {{ get (get $d "2") "a" }}"#,
            )
            .expect("parses");
            set.render("t", &Value::Nil).expect("renders")
        })
        .expect("spawn");
    let out = handle.join().expect("no stack overflow");
    let parts: Vec<&str> = out.split(' ').collect();
    assert_eq!(parts.len(), 3, "{out}");
    assert!(
        parts[0].parse::<usize>().is_ok_and(|n| n > 1_000_000),
        "{out}"
    );
    assert!(parts[1].parse::<usize>().is_ok_and(|n| n > 10_000), "{out}");
    assert_eq!(parts[2], "1");
}

#[test]
fn deep_values_do_not_overflow_the_stack() {
    let text = format!("{}x", "- ".repeat(9_000));
    let handle = std::thread::Builder::new()
        .stack_size(4 << 20)
        .spawn(move || {
            let v = kokumi_render::yaml::parse::parse(&text).expect("parses");
            let mut set = TemplateSet::new();
            set.add(
                "t",
                r#"{{ toYaml . | len }} {{ toYamlPretty . | len }} {{ toJson . | len }} {{ printf "%v" . | len }} {{ deepCopy . | toString | len }} {{ . | len }}"#,
            )
            .expect("parses");
            set.render("t", &v).expect("renders")
        })
        .expect("spawn");
    let out = handle.join().expect("no stack overflow");
    let lens: Vec<usize> = out.split(' ').filter_map(|n| n.parse().ok()).collect();
    assert_eq!(lens.len(), 6, "{out}");
    assert!(lens[..5].iter().all(|n| *n > 18_000), "{out}");
    let too_deep = format!("{}y", "- ".repeat(10_001));
    assert_eq!(
        kokumi_render::yaml::parse::parse(&too_deep)
            .expect_err("too deep")
            .to_string(),
        "error converting YAML to JSON: yaml: exceeded max depth of 10000"
    );
}
