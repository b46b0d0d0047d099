//! `toYaml`, `toJson` and `toPrettyJson` over tricky values, byte for byte against helm 4.3.1.
//!
//! `fixtures/yaml_emit/values.yaml` holds strings that look like booleans, numbers, nulls,
//! dates and base-60 floats, indicators, leading/trailing spaces, tabs, emoji, multi-line
//! text, long lines (folded at column 80), awkward keys, nested lists of maps and floats of
//! every magnitude. The `.expected` files are what helm printed for `{{ toYaml .Values }}`,
//! `{{ toYamlPretty .Values }}`, `{{ toJson .Values }}` and `{{ toPrettyJson .Values }}` with
//! that file as the chart's values. `toYamlPretty` is also rendered live by a real helm on the
//! fixture chart `charts/pretty` (values and template-built dicts, lists and scalars).

use kokumi_render::funcs::lookup;
use kokumi_render::value::Value;

fn values() -> Value {
    let text = include_str!("../fixtures/yaml_emit/values.yaml");
    kokumi_render::yaml::parse::parse(text).expect("fixture values parse")
}

fn call(name: &str, v: &Value) -> String {
    let f = lookup(name).expect("function exists");
    f(std::slice::from_ref(v))
        .expect("call succeeds")
        .to_string()
}

fn first_difference(a: &str, b: &str) -> String {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            return format!("line {}:\n  helm: {x:?}\n  ours: {y:?}", i + 1);
        }
    }
    format!(
        "line counts differ: helm {} ours {}",
        a.lines().count(),
        b.lines().count()
    )
}

#[test]
fn to_yaml_matches_helm() {
    let want = include_str!("../fixtures/yaml_emit/toYaml.expected");
    let got = call("toYaml", &values());
    // helm's template wrote the (newline-trimmed) toYaml output followed by a newline.
    let got = format!("{got}\n");
    assert!(got == want, "{}", first_difference(want, &got));
}

#[test]
fn to_yaml_pretty_matches_helm() {
    let want = include_str!("../fixtures/yaml_emit/toYamlPretty.expected");
    let got = call("toYamlPretty", &values());
    let got = format!("{got}\n");
    assert!(got == want, "{}", first_difference(want, &got));
}

#[test]
fn to_json_matches_helm() {
    let want = include_str!("../fixtures/yaml_emit/toJson.expected");
    let got = call("toJson", &values());
    assert!(got == want, "{}", first_difference(want, &got));
}

#[test]
fn to_pretty_json_matches_helm() {
    let want = include_str!("../fixtures/yaml_emit/toPrettyJson.expected");
    let got = call("toPrettyJson", &values());
    assert!(got == want, "{}", first_difference(want, &got));
}

#[test]
fn root_scalars_and_empties() {
    let y = |v: Value| call("toYaml", &v);
    assert_eq!(y(Value::from("abc")), "abc");
    assert_eq!(y(Value::from("a: b")), "'a: b'");
    assert_eq!(y(Value::Float(1.5)), "1.5");
    assert_eq!(y(Value::Nil), "null");
    assert_eq!(y(Value::list(vec![])), "[]");
    assert_eq!(y(Value::from("")), "\"\"");
    assert_eq!(y(Value::from("x\n")), "|\n  x");
    assert_eq!(y(Value::from("x\n\n")), "|+\n  x\n");
    // A float JSON cannot carry makes toYaml empty, as helm's swallowed error does.
    assert_eq!(y(Value::Float(f64::NAN)), "");
}

/// `toYamlPretty` differentially: the fixture chart `charts/pretty` (nested lists of maps,
/// multi-line strings, empty collections, special strings, numbers, nulls, awkward keys, from
/// values and from `dict`/`list`/`fromYaml`) rendered by a real helm and by us, byte for byte.
#[test]
fn to_yaml_pretty_matches_real_helm() {
    let Some(helm) = crate::differential::helm_binary() else {
        return;
    };
    let base = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = std::process::Command::new(helm)
        .args(["template", "rel", "charts/pretty"])
        .current_dir(&base)
        .output()
        .expect("run helm");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want = String::from_utf8(out.stdout).expect("utf-8");
    let cmd = crate::conformance::parse_cmd("helm template rel charts/pretty");
    let got = crate::conformance::render_cmd(&base, &cmd).expect("we render");
    assert!(got == want, "{}", first_difference(&want, &got));
    // The pinned copy that `chart_fixtures` compares against without helm is current.
    let pinned = std::fs::read_to_string(base.join("expected/pretty.yaml")).expect("pinned");
    assert!(pinned == want, "expected/pretty.yaml is stale");
}
