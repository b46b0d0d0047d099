//! Sprig and Helm functions through the engine, pinned against helm v4.3.1.
//!
//! `helm_cases.rs` holds `(expression, output)` pairs: the output is what a real helm printed
//! for `{{ print (EXPRESSION) }}` over `fixtures/funcs/values.yaml` (regenerate with
//! `fixtures/funcs/gen.py`, see `fixtures/funcs/README.md`).

mod helm_cases;
mod table;

use kokumi_render::template::TemplateSet;
use kokumi_render::value::{Map, Value};

/// Dot as Helm builds it for these cases: `.Values` from the fixture values file.
pub(crate) fn data() -> Value {
    let text = include_str!("../fixtures/funcs/values.yaml");
    let values = kokumi_render::yaml::parse::parse(text).expect("fixture values parse");
    let mut d = Map::new();
    d.insert("Values".into(), values);
    Value::map(d)
}

/// Renders `{{ print (expr) }}`; an error renders as `ERR: <message>`.
pub(crate) fn eval(expr: &str, dot: &Value) -> String {
    render(&format!("{{{{ print ({expr}) }}}}"), dot)
}

/// Renders a template text; an error renders as `ERR: <message>`.
pub(crate) fn render(text: &str, dot: &Value) -> String {
    let mut set = TemplateSet::new();
    if let Err(e) = set.add("c/templates/t.yaml", text) {
        return format!("ERR: {e}");
    }
    match set.render("c/templates/t.yaml", dot) {
        Ok(s) => s,
        Err(e) => format!("ERR: {e}"),
    }
}

#[test]
fn functions_match_helm() {
    let dot = data();
    let mut failures = Vec::new();
    for (expr, want) in helm_cases::HELM_CASES {
        let got = eval(expr, &dot);
        if got != *want {
            failures.push(format!("{expr}\n    helm: {want:?}\n    ours: {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ from helm:\n{}",
        failures.len(),
        helm_cases::HELM_CASES.len(),
        failures.join("\n")
    );
}
