//! Parse arbitrary text as the data formats a render reads: YAML (values files, `fromYaml`,
//! `fromYamlArray`), JSON (`fromJson`), TOML (`fromToml`) and `--set` expressions; then emit
//! what was parsed with `toYaml`, `toYamlPretty` and `toJson`. Any panic, hang or unbounded
//! memory is a bug; bad input ends in an error (or Helm's `Error` key).
//!
//! The first byte picks the format, the rest is the text.
#![no_main]

use kokumi_render::chart::load::load_values;
use kokumi_render::funcs;
use kokumi_render::strvals;
use kokumi_render::value::Value;
use kokumi_render::yaml;
use libfuzzer_sys::fuzz_target;

fn emit(v: &Value) {
    let _ = yaml::emit::to_yaml(v);
    let _ = yaml::emit::to_yaml_pretty(v);
    for name in ["toJson", "toPrettyJson", "toToml"] {
        if let Some(f) = funcs::lookup(name) {
            let _ = f(std::slice::from_ref(v));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match which % 6 {
        0 => {
            if let Ok(m) = load_values(text) {
                emit(&Value::map(m));
            }
        }
        1 => {
            if let Ok(docs) = yaml::parse::parse_all(text) {
                docs.iter().for_each(emit);
            }
        }
        2 => {
            if let Ok(m) = strvals::parse(text) {
                emit(&Value::map(m));
            }
            let _ = strvals::parse_into_string(text, &mut Default::default());
        }
        n => {
            let name = ["fromYaml", "fromJson", "fromToml"][usize::from(n - 3)];
            let array = ["fromYamlArray", "fromJsonArray", "fromToml"][usize::from(n - 3)];
            for name in [name, array] {
                if let Some(f) = funcs::lookup(name)
                    && let Ok(v) = f(&[Value::from(text)])
                {
                    emit(&v);
                }
            }
        }
    }
});
