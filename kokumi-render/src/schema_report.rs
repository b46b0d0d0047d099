//! `values.schema.json` violations worded as helm 4.3.1 prints them.
//!
//! Helm validates with santhosh-tekuri/jsonschema v6, whose report is a tree: every subschema
//! evaluated at an instance location that fails more than once becomes `validation failed`
//! with its failures indented below it, a single failure passes through unchanged, and
//! `type`/`const`/`enum` failures end a subschema's evaluation. We validate with the
//! `jsonschema` crate, which yields a flat list with each error's instance and keyword paths;
//! this module rebuilds v6's tree from those paths and words each failure as v6 does
//! (`got string, want integer`, `missing property 'x'`, `minimum: got 0, want 1`), numbers in
//! Go's `x/text` English form (`1,000`, `1.5×10⁰⁶`).
//!
//! What it does not rebuild: `oneOf` matching several subschemas and a failing `format` (both in
//! the crate's own wording), and helm's order of sibling properties, which is Go's random map
//! order (ours is sorted by name).

use serde_json::Value as Json;

/// One flat error of the `jsonschema` crate, with its paths split into segments.
struct Flat {
    instance: Vec<String>,
    schema: Vec<String>,
    leaf: Leaf,
    /// For `anyOf`/`oneOf`: each subschema's own failures.
    context: Vec<Vec<Flat>>,
}

fn flatten(e: &jsonschema::ValidationError<'_>, root: &Json) -> Flat {
    use jsonschema::error::ValidationErrorKind as K;
    let instance: Vec<String> = e.instance_path().iter().map(|s| s.to_string()).collect();
    let schema: Vec<String> = e.evaluation_path().iter().map(|s| s.to_string()).collect();
    let context = match e.kind() {
        K::AnyOf { context } | K::OneOfNotValid { context } => context
            .iter()
            .map(|errs| errs.iter().map(|e| flatten(e, root)).collect())
            .collect(),
        _ => Vec::new(),
    };
    Flat {
        leaf: leaf(e.kind(), lookup(root, &instance), &e.to_string()),
        instance,
        schema,
        context,
    }
}

/// A failure of one keyword, already worded.
struct Leaf {
    /// v6's evaluation order of the keyword, for sorting siblings.
    rank: u32,
    /// Whether the failure ends the subschema's evaluation (`type`, `const`, `enum`).
    exclusive: bool,
    message: String,
    /// For `required`: the missing property, merged with its siblings into one message.
    missing: Option<String>,
    /// For `anyOf`/`oneOf`: the group's message (the causes come from the context).
    group: Option<&'static str>,
}

/// A node of v6's report.
enum Node {
    /// `- at '<loc>': <message>`.
    Leaf { at: Vec<String>, message: String },
    /// Several failures of one subschema at one location (`validation failed`), or the
    /// subschemas of `allOf`, `anyOf`, `oneOf` (`'allOf' failed`).
    Group {
        at: Vec<String>,
        message: &'static str,
        children: Vec<Node>,
    },
}

/// The v6 report for `instance` against `validator`'s schema (without helm's first line), one
/// line per failure, ending with a newline; empty if the instance is valid.
pub(crate) fn report(validator: &jsonschema::Validator, instance: &Json) -> String {
    let flat: Vec<Flat> = validator
        .iter_errors(instance)
        .map(|e| flatten(&e, instance))
        .collect();
    if flat.is_empty() {
        return String::new();
    }
    let refs: Vec<&Flat> = flat.iter().collect();
    let mut items = evaluate(&refs, 0, 0, &[]);
    // v6 lists the causes of a single `validation failed` at the top, wherever it is.
    if items.len() == 1
        && let Some(Node::Group {
            message: "validation failed",
            ..
        }) = items.first()
        && let Some(Node::Group { children, .. }) = items.pop()
    {
        items = children;
    }
    let mut out = String::new();
    for node in &items {
        display(node, 1, &mut out);
    }
    out.push('\n');
    out.trim_start_matches('\n').to_string()
}

fn lookup<'a>(v: &'a Json, path: &[String]) -> Option<&'a Json> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Json::Object(m) => m.get(seg)?,
            Json::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// How the keyword at `spath[0]` applies a subschema: segments of the schema path and of the
/// instance path it consumes, and how its failures are reported.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Applicator {
    /// A subschema applied to a child of the instance (`properties/x`, `items`, ...).
    Child { schema: usize, rank: u32 },
    /// `$ref`: a subschema at the same location, shown only when it fails more than once.
    Ref,
    /// `allOf/N`: the failing subschemas under `'allOf' failed`.
    AllOf,
}

fn applicator(spath: &[String], has_instance_child: bool) -> Option<Applicator> {
    let kw = spath.first()?.as_str();
    let rest = spath.len() - 1;
    let child = |schema: usize, rank: u32| {
        (has_instance_child && spath.len() >= schema).then_some(Applicator::Child { schema, rank })
    };
    match kw {
        "properties" | "patternProperties" if rest >= 1 => child(2, rank_of(kw)),
        "additionalProperties"
        | "items"
        | "additionalItems"
        | "unevaluatedProperties"
        | "unevaluatedItems" => {
            if kw == "items" && spath.get(1).is_some_and(|s| s.parse::<usize>().is_ok()) {
                child(2, rank_of(kw))
            } else {
                child(1, rank_of(kw))
            }
        }
        "prefixItems" if rest >= 1 => child(2, rank_of(kw)),
        "$ref" | "$dynamicRef" if rest >= 1 => Some(Applicator::Ref),
        "allOf" if rest >= 1 => Some(Applicator::AllOf),
        _ => None,
    }
}

/// The failures of the subschema at schema depth `sd` and instance depth `id`.
fn evaluate(errors: &[&Flat], sd: usize, id: usize, at: &[String]) -> Vec<Node> {
    let mut leaves: Vec<&Flat> = Vec::new();
    // (rank, sort key, node)
    let mut items: Vec<(u32, String, Node)> = Vec::new();
    let mut children: Vec<(Applicator, Vec<String>, Vec<&Flat>)> = Vec::new();
    for e in errors {
        let spath = &e.schema[sd.min(e.schema.len())..];
        let deeper = e.instance.len() > id;
        match applicator(spath, deeper) {
            None => leaves.push(e),
            Some(app) => {
                let key: Vec<String> = match app {
                    Applicator::Child { schema, .. } => {
                        let mut k = spath[..schema].to_vec();
                        k.push(e.instance[id].clone());
                        k
                    }
                    Applicator::Ref => spath[..1].to_vec(),
                    Applicator::AllOf => spath[..1].to_vec(),
                };
                match children.iter_mut().find(|(a, k, _)| *a == app && *k == key) {
                    Some((_, _, list)) => list.push(e),
                    None => children.push((app, key, vec![e])),
                }
            }
        }
    }
    // type, const and enum end the evaluation of a subschema.
    if let Some(first) = leaves.iter().find(|l| l.leaf.exclusive) {
        return vec![Node::Leaf {
            at: at.to_vec(),
            message: first.leaf.message.clone(),
        }];
    }
    // required: one failure naming every missing property.
    let missing: Vec<&str> = leaves
        .iter()
        .filter_map(|l| l.leaf.missing.as_deref())
        .collect();
    if !missing.is_empty() {
        let message = if missing.len() == 1 {
            format!("missing property {}", quote(missing[0]))
        } else {
            let q: Vec<String> = missing.iter().map(|m| quote(m)).collect();
            format!("missing properties {}", q.join(", "))
        };
        items.push((rank_of("required"), String::new(), leaf_node(at, message)));
    }
    for l in leaves.iter().filter(|l| l.leaf.missing.is_none()) {
        let node = match l.leaf.group {
            Some(message) => {
                let sd = l.schema.len() + 1;
                let children = l
                    .context
                    .iter()
                    .filter(|c| !c.is_empty())
                    .map(|c| {
                        let refs: Vec<&Flat> = c.iter().collect();
                        collapse(evaluate(&refs, sd, id, at), at)
                    })
                    .collect();
                Node::Group {
                    at: at.to_vec(),
                    message,
                    children,
                }
            }
            None => leaf_node(at, l.leaf.message.clone()),
        };
        items.push((l.leaf.rank, String::new(), node));
    }
    for (app, key, list) in children {
        match app {
            Applicator::Child { schema, rank } => {
                let mut child_at = at.to_vec();
                child_at.push(key[schema].clone());
                let nodes = evaluate(&list, sd + schema, id + 1, &child_at);
                items.push((rank, key.join("/"), collapse(nodes, &child_at)));
            }
            Applicator::Ref => {
                let nodes = evaluate(&list, sd + 1, id, at);
                let node = if nodes.len() == 1 {
                    nodes.into_iter().next()
                } else {
                    Some(Node::Group {
                        at: at.to_vec(),
                        message: "validation failed",
                        children: nodes,
                    })
                };
                if let Some(node) = node {
                    items.push((rank_of("$ref"), String::new(), node));
                }
            }
            Applicator::AllOf => {
                let mut subs: Vec<(usize, Vec<&Flat>)> = Vec::new();
                for e in list {
                    let n = e.schema[sd + 1].parse::<usize>().unwrap_or(0);
                    match subs.iter_mut().find(|(i, _)| *i == n) {
                        Some((_, l)) => l.push(e),
                        None => subs.push((n, vec![e])),
                    }
                }
                subs.sort_by_key(|(i, _)| *i);
                let children = subs
                    .into_iter()
                    .map(|(_, l)| collapse(evaluate(&l, sd + 2, id, at), at))
                    .collect();
                items.push((
                    rank_of("allOf"),
                    String::new(),
                    Node::Group {
                        at: at.to_vec(),
                        message: "'allOf' failed",
                        children,
                    },
                ));
            }
        }
    }
    items.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    items.into_iter().map(|(_, _, n)| n).collect()
}

fn leaf_node(at: &[String], message: String) -> Node {
    Node::Leaf {
        at: at.to_vec(),
        message,
    }
}

/// One subschema's failures as one node: itself if single, else `validation failed`.
fn collapse(mut nodes: Vec<Node>, at: &[String]) -> Node {
    if nodes.len() == 1
        && let Some(n) = nodes.pop()
    {
        return n;
    }
    Node::Group {
        at: at.to_vec(),
        message: "validation failed",
        children: nodes,
    }
}

fn display(node: &Node, indent: usize, out: &mut String) {
    out.push('\n');
    for _ in 1..indent {
        out.push_str("  ");
    }
    let (at, message) = match node {
        Node::Leaf { at, message } => (at, message.as_str()),
        Node::Group { at, message, .. } => (at, *message),
    };
    out.push_str(&format!("- at {}: {message}", quote(&pointer(at))));
    if let Node::Group { children, .. } = node {
        for c in children {
            display(c, indent + 1, out);
        }
    }
}

fn pointer(tokens: &[String]) -> String {
    let mut s = String::new();
    for t in tokens {
        s.push('/');
        s.push_str(&t.replace('~', "~0").replace('/', "~1"));
    }
    s
}

/// v6's `quote`: Go's `%q`, with `"` unescaped and `'` escaped, in single quotes.
fn quote(s: &str) -> String {
    let q = crate::gofmt::quote(s);
    let inner = &q[1..q.len().saturating_sub(1).max(1)];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

/// v6's evaluation order of keywords within one subschema.
fn rank_of(kw: &str) -> u32 {
    match kw {
        "$ref" => 5,
        "minProperties" => 10,
        "maxProperties" => 11,
        "required" => 12,
        "dependencies" => 13,
        "properties" => 14,
        "patternProperties" => 15,
        "additionalProperties" => 16,
        "dependentSchemas" => 17,
        "dependentRequired" => 18,
        "minItems" => 20,
        "maxItems" => 21,
        "uniqueItems" => 22,
        "contains" => 23,
        "items" | "prefixItems" => 24,
        "additionalItems" => 25,
        "minLength" => 30,
        "maxLength" => 31,
        "pattern" => 32,
        "contentEncoding" | "contentMediaType" => 33,
        "minimum" => 40,
        "maximum" => 41,
        "exclusiveMinimum" => 42,
        "exclusiveMaximum" => 43,
        "multipleOf" => 44,
        "not" => 50,
        "allOf" => 51,
        "anyOf" => 52,
        "oneOf" => 53,
        "if" | "then" | "else" => 54,
        "unevaluatedProperties" | "unevaluatedItems" => 60,
        _ => 70,
    }
}

fn json_type(v: Option<&Json>) -> &'static str {
    match v {
        None | Some(Json::Null) => "null",
        Some(Json::Bool(_)) => "boolean",
        Some(Json::Number(_)) => "number",
        Some(Json::String(_)) => "string",
        Some(Json::Array(_)) => "array",
        Some(Json::Object(_)) => "object",
    }
}

/// v6's `display` of a primitive: strings quoted, `nil` for null, numbers as written.
fn primitive(v: &Json) -> Option<String> {
    Some(match v {
        Json::String(s) => quote(s),
        Json::Null => "<nil>".into(),
        Json::Bool(b) => b.to_string(),
        Json::Number(n) => n.to_string(),
        Json::Array(_) | Json::Object(_) => return None,
    })
}

fn number(v: Option<&Json>) -> String {
    v.and_then(Json::as_f64)
        .map_or_else(String::new, go_text_float)
}

/// Go's `%v` of a float64 as `golang.org/x/text/message` prints it in English: digit groups
/// (`1,000.5`) and exponents as `×10` with superscript digits (`1.5×10⁰⁶`).
fn go_text_float(f: f64) -> String {
    let mut g = String::new();
    let _ = crate::value::format_go_float(&mut g, f);
    if let Some((mant, exp)) = g.split_once('e') {
        let (sign, digits) = match exp.as_bytes().first() {
            Some(b'-') => ("⁻", &exp[1..]),
            Some(b'+') => ("", &exp[1..]),
            _ => ("", exp),
        };
        let sup: String = digits
            .chars()
            .map(|c| match c {
                '0' => '⁰',
                '1' => '¹',
                '2' => '²',
                '3' => '³',
                '4' => '⁴',
                '5' => '⁵',
                '6' => '⁶',
                '7' => '⁷',
                '8' => '⁸',
                _ => '⁹',
            })
            .collect();
        return format!("{mant}×10{sign}{sup}");
    }
    group_digits(&g)
}

fn group_digits(s: &str) -> String {
    let (neg, s) = s.strip_prefix('-').map_or((false, s), |r| (true, r));
    let (int, frac) = s.split_once('.').map_or((s, None), |(i, f)| (i, Some(f)));
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

fn count(n: usize) -> String {
    group_digits(&n.to_string())
}

fn leaf(kind: &jsonschema::error::ValidationErrorKind, at: Option<&Json>, fallback: &str) -> Leaf {
    use jsonschema::error::{TypeKind, ValidationErrorKind as K};
    let plain = |kw: &str, message: String| Leaf {
        rank: rank_of(kw),
        exclusive: false,
        message,
        missing: None,
        group: None,
    };
    let limit = |kw: &str, limit: &Json| {
        plain(
            kw,
            format!("{kw}: got {}, want {}", number(at), number(Some(limit))),
        )
    };
    let len = |v: Option<&Json>| match v {
        Some(Json::String(s)) => s.chars().count(),
        Some(Json::Array(a)) => a.len(),
        Some(Json::Object(o)) => o.len(),
        _ => 0,
    };
    let size = |kw: &str, want: u64| {
        plain(
            kw,
            format!(
                "{kw}: got {}, want {}",
                count(len(at)),
                group_digits(&want.to_string())
            ),
        )
    };
    match kind {
        K::Type { kind } => {
            const ORDER: [&str; 7] = [
                "null", "boolean", "number", "integer", "string", "array", "object",
            ];
            let mut want: Vec<String> = match kind {
                TypeKind::Single(t) => vec![t.to_string()],
                TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect(),
            };
            want.sort_by_key(|t| ORDER.iter().position(|o| o == t));
            Leaf {
                rank: 0,
                exclusive: true,
                message: format!("got {}, want {}", json_type(at), want.join(" or ")),
                missing: None,
                group: None,
            }
        }
        K::Constant { expected_value } => Leaf {
            rank: 1,
            exclusive: true,
            message: primitive(expected_value)
                .map_or_else(|| "'const' failed".into(), |w| format!("value must be {w}")),
            missing: None,
            group: None,
        },
        K::Enum { options } => {
            let want: Option<Vec<String>> = options
                .as_array()
                .map(|a| a.iter().map(primitive).collect::<Option<Vec<_>>>())
                .unwrap_or_default();
            let message = match want {
                Some(w) if w.len() == 1 => format!("value must be {}", w[0]),
                Some(w) => format!("value must be one of {}", w.join(", ")),
                None => "'enum' failed".into(),
            };
            Leaf {
                rank: 2,
                exclusive: true,
                message,
                missing: None,
                group: None,
            }
        }
        K::Required { property } => Leaf {
            rank: rank_of("required"),
            exclusive: false,
            message: String::new(),
            missing: Some(
                property
                    .as_str()
                    .map_or_else(|| property.to_string(), str::to_string),
            ),
            group: None,
        },
        K::Minimum { limit: l } => limit("minimum", l),
        K::Maximum { limit: l } => limit("maximum", l),
        K::ExclusiveMinimum { limit: l } => limit("exclusiveMinimum", l),
        K::ExclusiveMaximum { limit: l } => limit("exclusiveMaximum", l),
        K::MultipleOf { multiple_of, .. } => plain(
            "multipleOf",
            format!(
                "multipleOf: got {}, want {}",
                number(at),
                go_text_float(*multiple_of)
            ),
        ),
        K::MinLength { limit } => size("minLength", *limit),
        K::MaxLength { limit } => size("maxLength", *limit),
        K::MinItems { limit } => size("minItems", *limit),
        K::MaxItems { limit } => size("maxItems", *limit),
        K::MinProperties { limit } => size("minProperties", *limit),
        K::MaxProperties { limit } => size("maxProperties", *limit),
        K::Pattern { pattern } => plain(
            "pattern",
            format!(
                "{} does not match pattern {}",
                quote(at.and_then(Json::as_str).unwrap_or_default()),
                quote(pattern)
            ),
        ),
        K::AdditionalProperties { unexpected } => {
            let mut names = unexpected.clone();
            names.sort();
            let q: Vec<String> = names.iter().map(|n| quote(n)).collect();
            plain(
                "additionalProperties",
                format!("additional properties {} not allowed", q.join(", ")),
            )
        }
        K::UniqueItems => {
            let items = at
                .and_then(Json::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            let pair = (0..items.len())
                .flat_map(|i| (i + 1..items.len()).map(move |j| (i, j)))
                .find(|(i, j)| items[*i] == items[*j])
                .unwrap_or((0, 0));
            plain(
                "uniqueItems",
                format!("items at {} and {} are equal", pair.0, pair.1),
            )
        }
        K::AdditionalItems { limit } => plain(
            "additionalItems",
            format!(
                "last {} additionalItem(s) not allowed",
                len(at).saturating_sub(*limit)
            ),
        ),
        K::FalseSchema => plain("false", "false schema".into()),
        K::Not { .. } => plain("not", "'not' failed".into()),
        K::AnyOf { .. } => Leaf {
            group: Some("'anyOf' failed"),
            ..plain("anyOf", String::new())
        },
        K::OneOfNotValid { .. } => Leaf {
            group: Some("'oneOf' failed, none matched"),
            ..plain("oneOf", String::new())
        },
        K::Contains => plain("contains", "no items match contains schema".into()),
        _ => plain("", fallback.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_go_text() {
        assert_eq!(go_text_float(1000.0), "1,000");
        assert_eq!(go_text_float(5000.5), "5,000.5");
        assert_eq!(go_text_float(-1234.0), "-1,234");
        assert_eq!(go_text_float(1234567.0), "1.234567×10⁰⁶");
        assert_eq!(go_text_float(1.2345678901e10), "1.2345678901×10¹⁰");
        assert_eq!(go_text_float(1e-7), "1×10⁻⁰⁷");
        assert_eq!(go_text_float(10.0), "10");
    }

    #[test]
    fn locations_quote_like_v6() {
        assert_eq!(quote(&pointer(&[])), "''");
        assert_eq!(
            quote(&pointer(&["a/b".into(), "it's".into()])),
            r"'/a~1b/it\'s'"
        );
    }
}
