//! The document-head fast path (`yaml::head::reduce`) against the full parser, on every document
//! of every golden `helm template` output in the shared corpus: where the fast path accepts a
//! document, the full parse must succeed and give the same `apiVersion`, `kind` and `metadata`.
//! It must also accept most of the corpus, or it is not the fast path it claims to be.

use kokumi_render::output::split_manifests;
use kokumi_render::value::Value;
use kokumi_render::yaml::head::{head_value, reduce};
use kokumi_render::yaml::parse::parse;

#[test]
#[allow(clippy::print_stderr)]
fn fast_heads_agree_with_full_parses_on_the_corpus() {
    let Some(corpus) = crate::conformance::corpus_dir() else {
        return;
    };
    let (mut docs, mut fast, mut bytes, mut fast_bytes) = (0usize, 0usize, 0usize, 0usize);
    let mut direct = 0usize;
    let mut entries: Vec<_> = std::fs::read_dir(corpus.join("golden"))
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            name.ends_with(".yaml") && !name.ends_with(".values.yaml")
        })
        .collect();
    entries.sort();
    for path in entries {
        let text = std::fs::read_to_string(&path).expect("golden output");
        for doc in split_manifests(&text) {
            // The golden output carries the `# Source:` comment; the head sees the document.
            docs += 1;
            bytes += doc.len();
            let Some(reduced) = reduce(doc) else {
                continue;
            };
            fast += 1;
            fast_bytes += doc.len();
            let full = parse(doc).unwrap_or_else(|e| {
                panic!("{}: fast path accepted what fails: {e}", path.display())
            });
            let head = parse(&reduced).expect("reduced document parses");
            if let Some(v) = head_value(&reduced) {
                direct += 1;
                assert_eq!(
                    v,
                    head,
                    "{}: head read directly differs in\n{doc}",
                    path.display()
                );
            }
            let (full, head) = (full.as_map(), head.as_map());
            for k in ["apiVersion", "kind", "metadata"] {
                assert_eq!(
                    full.and_then(|m| m.get(k)),
                    head.and_then(|m| m.get(k)),
                    "{}: {k} differs in\n{doc}",
                    path.display()
                );
            }
        }
    }
    eprintln!(
        "fast path: {fast}/{docs} documents, {fast_bytes}/{bytes} bytes, {direct} heads read directly"
    );
    assert!(
        direct * 100 >= fast * 90,
        "only {direct} of {fast} heads read directly"
    );
    assert!(docs > 500, "only {docs} documents in the corpus");
    // Measured: 900 of 978 documents, 94% of the bytes.
    assert!(
        fast_bytes * 100 >= bytes * 85,
        "the fast path took only {fast_bytes} of {bytes} bytes"
    );
}

/// A small deterministic generator (xorshift), so a failure names a reproducible document.
pub(crate) struct Gen(pub(crate) u64);

impl Gen {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.next().is_multiple_of(n)
    }

    pub(crate) fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[(self.next() % from.len() as u64) as usize]
    }
}

const KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata",
    "name",
    "annotations",
    "labels",
    "namespace",
    "spec",
    "helm.sh/hook",
    "a.b/c_d-e",
    "y",
    "on",
    "1",
    "010",
    "1.0",
    "0x1F",
    "true",
    "\"q k\"",
    "'s q'",
    "\"\"",
    "null",
    "~",
    "-x",
    ".x",
    "$v",
];

const VALUES: &[&str] = &[
    "v1",
    "Pod",
    "a b  c",
    "'it''s'",
    "''",
    "\"x y\"",
    "\"\"",
    "\"a\\u0026b\"",
    "\"\\u00e9\"",
    "\"\\uD800\"",
    "\"\\u12\"",
    "\"\\u12G4\"",
    "\"\\x41\"",
    "\"t\\tn\\n\"",
    "~",
    "null",
    "Null",
    "yes",
    "off",
    "0x1F",
    "0o17",
    "010",
    "1e3",
    "-5",
    "+7",
    "1_000",
    ".5",
    ".inf",
    "-.Inf",
    ".nan",
    "1e999",
    "2024-01-02",
    "{}",
    "[]",
    "[a]",
    "{a: 1}",
    "|",
    ">-",
    "&a x",
    "*a",
    "!!str 1",
    "a # c",
    "a#b",
    "a: b",
    "a:",
    "-",
    "- x",
    "-x",
    ":x",
    "?x",
    "`x`",
    "%x",
    "@x",
    "\"open",
    "'open",
    "close\"",
    "é ü",
    "a\u{a0}",
    "'#'",
    "\"# not\" # yes",
    "x\u{2028}y",
];

/// A generated document: mostly well-formed block mappings (each `key:` opens a deeper level,
/// later lines return to any open level), with now and then a sequence, a comment, an odd
/// indentation or a value from the full pool, so both sides of the subset's border are hit.
fn document(g: &mut Gen) -> String {
    let mut doc = String::new();
    let mut levels = vec![0usize];
    let key = |g: &mut Gen| {
        if g.one_in(5) {
            g.pick(KEYS)
        } else {
            g.pick(&KEYS[..19])
        }
    };
    if g.one_in(2) {
        doc.push_str("apiVersion: v1\nkind: K\nmetadata:\n");
        levels.push(2);
    }
    for _ in 0..(2 + g.next() % 10) {
        let mut indent = *levels.last().unwrap_or(&0);
        if g.one_in(4) {
            let keep = 1 + (g.next() as usize) % levels.len();
            levels.truncate(keep);
            indent = *levels.last().unwrap_or(&0);
        }
        if g.one_in(25) {
            indent += 1 + (g.next() % 3) as usize;
        }
        let value = if g.one_in(4) {
            g.pick(VALUES)
        } else {
            g.pick(&VALUES[..9])
        };
        let body = match g.next() % 14 {
            0..=2 => {
                levels.push(indent + 2);
                format!("{}:", key(g))
            }
            3 => format!("- {value}"),
            4 => format!("- {}: {value}", key(g)),
            5 => "# comment".to_string(),
            6 => String::new(),
            7 => value.to_string(),
            _ => format!("{}: {value}", key(g)),
        };
        doc.push_str(&" ".repeat(indent));
        doc.push_str(&body);
        doc.push('\n');
    }
    doc
}

fn head_of(v: &Value) -> Vec<Option<Value>> {
    ["apiVersion", "kind", "metadata"]
        .iter()
        .map(|k| v.as_map().and_then(|m| m.get(*k)).cloned())
        .collect()
}

/// Many small generated documents, in and out of the subset: whatever [`reduce`] accepts must
/// parse in full and have the head of its reduced text, and whatever [`head_value`] reads must
/// be what the parser reads. Most documents head-first, so the direct reading is exercised.
#[test]
#[allow(clippy::print_stderr)]
fn generated_documents_agree_with_the_full_parser() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let (mut reduced_n, mut direct_n) = (0, 0);
    let total = 30_000;
    for _ in 0..total {
        let doc = document(&mut g);
        let Some(reduced) = reduce(&doc) else {
            continue;
        };
        reduced_n += 1;
        let full =
            parse(&doc).unwrap_or_else(|e| panic!("reduce accepted {doc:?}, which fails: {e}"));
        let head =
            parse(&reduced).unwrap_or_else(|e| panic!("{reduced:?} from {doc:?} fails: {e}"));
        assert_eq!(head_of(&full), head_of(&head), "{doc:?}");
        if let Some(v) = head_value(&reduced) {
            direct_n += 1;
            assert_eq!(v, head, "read directly from {reduced:?} (of {doc:?})");
        }
    }
    eprintln!("generated: {reduced_n}/{total} reduced, {direct_n} read directly");
    assert!(
        reduced_n > total / 20,
        "only {reduced_n} generated documents in the subset"
    );
    assert!(
        direct_n > reduced_n / 4,
        "only {direct_n} heads read directly"
    );
}
