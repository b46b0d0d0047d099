//! Broken YAML, as chart authors write it, read by helm and by us: the message of each syntax
//! error (what libyaml, which go-yaml ports, calls the problem, and go-yaml's line for it) and
//! the value of each document that still parses. The documents are a Deployment with one or
//! two random edits each (a stray indent, tab, colon, dash, quote, bracket, anchor, alias or
//! line break inserted, deleted or swapped in), read through `fromYaml`, which hands the
//! decoder's error back as `.Error` instead of stopping the render, so one helm run reads two
//! thousand of them. Needs a real helm (see `differential`).

use crate::differential::helm_binary;
use crate::yaml_head::Gen;
use crate::yaml_scalars::{assert_no_differences, bind_list, decode, ours_and_helms};

const BASE: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
    tier: "front"
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: 'nginx:1.25'
          args: [--port, "8080", {a: b}]
          env:
            - name: A
              value: |
                line one
                line two
          ports:
            - containerPort: 80
"#;

const EDITS: &[&str] = &[
    " ", "  ", "\t", ":", "- ", "\n", "'", "\"", "[", "]", "{", "}", ",", "#", "&a ", "*a", "!t ",
    "? ", "|", ">", "x", "%", "@", "`", "\n  ", "\n- ", ": ",
];

fn broken_documents(seed: u64, count: usize) -> Vec<String> {
    let mut g = Gen(seed);
    (0..count)
        .map(|_| {
            let mut doc: Vec<char> = BASE.chars().collect();
            for _ in 0..1 + g.next() % 2 {
                let at = (g.next() % doc.len() as u64) as usize;
                let edit: Vec<char> = g.pick(EDITS).chars().collect();
                match g.next() % 10 {
                    0..=3 => {
                        doc.splice(at..at, edit);
                    }
                    4..=6 => {
                        let end = (at + 1 + (g.next() % 3) as usize).min(doc.len());
                        doc.drain(at..end);
                    }
                    _ => {
                        doc.splice(at..at + 1, edit);
                    }
                }
            }
            doc.into_iter().collect()
        })
        .collect()
}

/// Documents (by index) read differently, and why. libyaml 0.2.5 (libyaml-safer's origin)
/// stops a flow plain scalar at `x:` followed by `]` or `}` ("found unexpected ':'") where
/// go-yaml v2, from an older libyaml, reads on and misses the closing bracket; saphyr, which
/// reads what libyaml is not asked about, takes a tab in a block scalar's indentation and `?`
/// or `>` inside flow collections, which go-yaml refuses. Checking every document with libyaml
/// as well would cost a second parse of each values file (2 ms for kube-prometheus-stack's).
const KNOWN: &[(usize, &str)] = &[
    (
        300,
        "`x:]` in a flow collection: libyaml 0.2.5's error, not go-yaml v2's",
    ),
    (
        538,
        "a tab in a block scalar's indentation, taken by saphyr",
    ),
    (
        835,
        "`?` in a flow sequence's plain scalar, taken by saphyr",
    ),
    (1177, "`?` in a flow mapping's key, taken by saphyr"),
    (
        1351,
        "a tab in a block scalar's indentation, taken by saphyr",
    ),
    (1393, "`>` as a flow mapping's value, taken by saphyr"),
    (
        1776,
        "`x:}` in a flow collection: libyaml 0.2.5's error, not go-yaml v2's",
    ),
];

#[test]
fn broken_yaml_errors_like_helm() {
    let Some(helm) = helm_binary() else {
        return;
    };
    let docs = broken_documents(0x5eed_1234_abcd_0005, 2000);
    let text = format!(
        "{}{{{{- range $i, $d := $l }}}}\n\
         e{{{{ $i }}}}: {{{{ fromYaml $d | toJson | b64enc }}}}\n{{{{- end }}}}\n",
        bind_list(&docs)
    );
    let (ours, theirs) = ours_and_helms(&helm, "yamlerrors", &text);
    let errors = theirs.matches(": eyJFcnJvciI6").count();
    assert!(
        errors > docs.len() / 2,
        "only {errors} of {} documents fail to parse",
        docs.len()
    );
    let mut wrong = Vec::new();
    let mut known = Vec::new();
    for (o, t) in ours.lines().zip(theirs.lines()).filter(|(o, t)| o != t) {
        let key = t.split_once(": ").map_or("", |(k, _)| k);
        let index = key.strip_prefix('e').and_then(|i| i.parse::<usize>().ok());
        if let Some(i) = index.filter(|i| KNOWN.iter().any(|(k, _)| k == i)) {
            known.push(i);
            continue;
        }
        let doc = index.and_then(|i| docs.get(i)).map_or(key, String::as_str);
        wrong.push(format!(
            "{key} {doc:?}:\n  ours {}\n  helm {}",
            decode(o),
            decode(t)
        ));
    }
    assert_no_differences(&ours, &theirs, &wrong);
    let fixed: Vec<_> = KNOWN.iter().filter(|(i, _)| !known.contains(i)).collect();
    assert!(
        fixed.is_empty(),
        "now read like helm, drop from KNOWN: {fixed:?}"
    );
}
