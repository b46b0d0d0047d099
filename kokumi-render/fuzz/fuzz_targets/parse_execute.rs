//! Parse and execute arbitrary template text; any panic, hang or stack overflow is a bug.
//!
//! The input's first line is a helper file (its `define`s join the set), the rest the template
//! executed against Helm-shaped data, under tight limits so every input ends quickly.
#![no_main]

use kokumi_render::template::{Limits, TemplateSet};
use kokumi_render::value::{Map, Value};
use libfuzzer_sys::fuzz_target;

const SLOW_BY_DESIGN: &[&str] = &[
    "genPrivateKey",
    "genCA",
    "genSelfSigned",
    "genSignedCert",
    "bcrypt",
    "htpasswd",
    "derivePassword",
    "AES",
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // Key generation and password hashing are slow by design (an RSA-4096 key can take
    // seconds); they would only show up as timeouts.
    if SLOW_BY_DESIGN.iter().any(|f| text.contains(f)) {
        return;
    }
    let (helpers, main) = text.split_once('\n').unwrap_or(("", text));
    let limits = Limits::default()
        .with_max_steps(200_000)
        .with_max_output(1 << 20)
        .with_max_depth(500);
    let mut set = TemplateSet::with_limits(limits);
    if set.add("c/templates/_h.tpl", helpers).is_err() {
        return;
    }
    if set.add("c/templates/t.yaml", main).is_err() {
        return;
    }
    let values = Value::from_json(&serde_json::json!({
        "a": 1, "s": "str", "m": {"x": 1, "l": [1, "b", null]}, "n": null, "t": true
    }));
    let mut root = Map::new();
    root.insert("Values".into(), values);
    let _ = set.render("c/templates/t.yaml", &Value::map(root));
});
