//! Error wording, differentially: small broken charts rendered by us and by a real helm 4.3.1,
//! compared on the message helm prints after `Error: ` (without its CLI hint "Use --debug flag
//! to render out invalid YAML").
//!
//! Each case pins helm's message, so the comparison with our text runs without helm too;
//! `pinned_messages_are_what_helm_prints` re-checks every pin against the real binary
//! (`$KOKUMI_HELM`, else `helm` on `PATH`; required when `KOKUMI_REQUIRE_TOOLS=1`).
//!
//! Deliberate differences are listed in [`DIFFERENCES`] with the reason; everything else must
//! be identical.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::conformance::{parse_cmd, render_cmd};
use crate::differential::helm_binary;

/// One broken chart: files written over a default chart (`Chart.yaml` named after the case,
/// a small `values.yaml`), the extra `helm template` flags, and helm's message.
struct Case {
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    args: &'static str,
    helm: &'static str,
}

const fn case(
    name: &'static str,
    files: &'static [(&'static str, &'static str)],
    args: &'static str,
    helm: &'static str,
) -> Case {
    Case {
        name,
        files,
        args,
        helm,
    }
}

const T: &str = "templates/t.yaml";

const CASES: &[Case] = &[
    // Parse errors.
    case(
        "unclosed",
        &[(T, "a: {{ .Values.s ")],
        "",
        "parse error at (unclosed/templates/t.yaml:1): unclosed action",
    ),
    case(
        "unexpected-end",
        &[(T, "a: {{ end }}")],
        "",
        "parse error at (unexpected-end/templates/t.yaml:1): unexpected {{end}}",
    ),
    case(
        "extra-end",
        &[(T, "a: {{ if true }}x{{ end }}\n{{ end }}")],
        "",
        "parse error at (extra-end/templates/t.yaml:2): unexpected {{end}}",
    ),
    case(
        "missing-end",
        &[(T, "a: {{ if true }}x")],
        "",
        "parse error at (missing-end/templates/t.yaml:1): unexpected EOF",
    ),
    case(
        "unknown-function",
        &[(T, "a: 1\nb: {{ nosuch 1 }}")],
        "",
        "parse error at (unknown-function/templates/t.yaml:2): function \"nosuch\" not defined",
    ),
    case(
        "undefined-variable",
        &[(T, "a: {{ $x }}")],
        "",
        "parse error at (undefined-variable/templates/t.yaml:1): undefined variable \"$x\"",
    ),
    case(
        "bad-number",
        &[(T, "a: {{ 1x }}")],
        "",
        "parse error at (bad-number/templates/t.yaml:1): \"1x\"",
    ),
    case(
        "unterminated-string",
        &[(T, "a: {{ \"abc }}")],
        "",
        "parse error at (unterminated-string/templates/t.yaml:1): unterminated quoted string",
    ),
    case(
        "parse-error-in-helper",
        &[
            (
                "templates/_h.tpl",
                "{{ define \"h\" }}\n{{ if }}{{ end }}{{ end }}",
            ),
            (T, "a: 1"),
        ],
        "",
        "parse error at (parse-error-in-helper/templates/_h.tpl:2): missing value for if",
    ),
    // Function calls: arity and types.
    case(
        "arg-count",
        &[(T, "a: {{ upper }}")],
        "",
        "arg-count/templates/t.yaml:1:6\n  executing \"arg-count/templates/t.yaml\" at <upper>:\n    wrong number of args for upper: want 1 got 0",
    ),
    case(
        "arg-count-many",
        &[(T, "a: {{ upper \"a\" \"b\" }}")],
        "",
        "arg-count-many/templates/t.yaml:1:6\n  executing \"arg-count-many/templates/t.yaml\" at <upper>:\n    wrong number of args for upper: want 1 got 2",
    ),
    case(
        "arg-type-literal",
        &[(T, "a: {{ upper 1 }}")],
        "",
        "arg-type-literal/templates/t.yaml:1:12\n  executing \"arg-type-literal/templates/t.yaml\" at <1>:\n    expected string; found 1",
    ),
    case(
        "arg-type-value",
        &[(T, "a: {{ .Values.m | upper }}")],
        "",
        "arg-type-value/templates/t.yaml:1:18\n  executing \"arg-type-value/templates/t.yaml\" at <upper>:\n    wrong type for value; expected string; got map[string]interface {}",
    ),
    case(
        "index-type",
        &[(T, "a: {{ index .Values.list \"a\" }}")],
        "",
        "template: index-type/templates/t.yaml:1:6: executing \"index-type/templates/t.yaml\" at <index .Values.list \"a\">: error calling index: cannot index slice/array with type string",
    ),
    case(
        "divide-by-zero",
        &[(T, "a: {{ div 1 0 }}")],
        "",
        "template: divide-by-zero/templates/t.yaml:1:6: executing \"divide-by-zero/templates/t.yaml\" at <div 1 0>: error calling div: runtime error: integer divide by zero",
    ),
    case(
        "compare-types",
        &[(T, "a: {{ eq 1 \"a\" }}")],
        "",
        "template: compare-types/templates/t.yaml:1:6: executing \"compare-types/templates/t.yaml\" at <eq 1 \"a\">: error calling eq: incompatible types for comparison: int and string",
    ),
    case(
        "range-float",
        &[(T, "a: {{ range 1.5 }}x{{ end }}")],
        "",
        "range-float/templates/t.yaml:1:12\n  executing \"range-float/templates/t.yaml\" at <1.5>:\n    range can't iterate over 1.5",
    ),
    // required, fail.
    case(
        "required",
        &[(T, "a: 1\nb: {{ required \"x is required\" .Values.x }}")],
        "",
        "execution error at (required/templates/t.yaml:2:6): x is required",
    ),
    case(
        "fail",
        &[(T, "\n\nb: {{ fail \"boom\" }}")],
        "",
        "execution error at (fail/templates/t.yaml:3:6): boom",
    ),
    case(
        "fail-in-include",
        &[
            (
                "templates/_h.tpl",
                "{{ define \"h\" }}{{ fail \"deep\" }}{{ end }}",
            ),
            (T, "a: {{ include \"h\" . }}"),
        ],
        "",
        "execution error at (fail-in-include/templates/t.yaml:1:6): deep",
    ),
    // Values access.
    case(
        "nil-pointer",
        &[(T, "a: {{ .Values.x.y }}")],
        "",
        "nil-pointer/templates/t.yaml:1:13\n  executing \"nil-pointer/templates/t.yaml\" at <.Values.x.y>:\n    nil pointer evaluating interface {}.y",
    ),
    case(
        "nil-pointer-deep",
        &[(T, "a: {{ .Values.x.y.z }}")],
        "",
        "nil-pointer-deep/templates/t.yaml:1:13\n  executing \"nil-pointer-deep/templates/t.yaml\" at <.Values.x.y.z>:\n    nil pointer evaluating interface {}.y",
    ),
    case(
        "field-on-string",
        &[(T, "a: {{ .Values.s.x }}")],
        "",
        "field-on-string/templates/t.yaml:1:13\n  executing \"field-on-string/templates/t.yaml\" at <.Values.s.x>:\n    can't evaluate field x in type interface {}",
    ),
    case(
        "arguments-to-field",
        &[(T, "a: {{ .Values.s 1 }}")],
        "",
        "arguments-to-field/templates/t.yaml:1:13\n  executing \"arguments-to-field/templates/t.yaml\" at <.Values.s>:\n    s is not a method but has arguments",
    ),
    // Templates.
    case(
        "include-undefined",
        &[(T, "a: {{ include \"nope\" . }}")],
        "",
        "include-undefined/templates/t.yaml:1:6\n  executing \"include-undefined/templates/t.yaml\" at <include \"nope\" .>:\n    error calling include:\ntemplate: no template \"nope\" associated with template \"gotpl\"",
    ),
    case(
        "template-undefined",
        &[(T, "a: {{ template \"nope\" . }}")],
        "",
        "template-undefined/templates/t.yaml:1:15\n  executing \"template-undefined/templates/t.yaml\" at <{{template \"nope\" .}}>:\n    template \"nope\" not defined",
    ),
    case(
        "tpl-parse-error",
        &[(T, "a: {{ tpl \"{{ .x\" . }}")],
        "",
        "template: tpl-parse-error/templates/t.yaml:1:6: executing \"tpl-parse-error/templates/t.yaml\" at <tpl \"{{ .x\" .>: error calling tpl: cannot parse template \"{{ .x\": template: gotpl:1: unclosed action",
    ),
    case(
        "invalid-yaml-output",
        &[(T, "a: b\n c: d: e")],
        "",
        "YAML parse error on invalid-yaml-output/templates/t.yaml: error converting YAML to JSON: yaml: line 2: mapping values are not allowed in this context",
    ),
    // go-yaml gives a scanner error on the first line no line number, and words a character
    // that cannot start a token its own way.
    case(
        "yaml-first-line-scanner-error",
        &[(T, "a: b: c\n")],
        "",
        "YAML parse error on yaml-first-line-scanner-error/templates/t.yaml: error converting YAML to JSON: yaml: mapping values are not allowed in this context",
    ),
    case(
        "yaml-bad-token-start",
        &[(T, "x: 1\na: @x\n")],
        "",
        "YAML parse error on yaml-bad-token-start/templates/t.yaml: error converting YAML to JSON: yaml: line 2: found character that cannot start any token",
    ),
    // A rendered document's head (apiVersion, kind, metadata) decoded as JSON: the field path
    // holds the keys as written (a case-insensitive match), JSON-pointer escaped; an all-digit
    // last segment drops "Go struct field"; the first wrong value in sorted key order wins.
    case(
        "head-kind-list",
        &[(T, "Kind: [x]\n")],
        "",
        "YAML parse error on head-kind-list/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .Kind of type string",
    ),
    case(
        "head-annotations-before-name",
        &[(T, "kind: K\nmetadata:\n  name: [x]\n  annotations: [y]\n")],
        "",
        "YAML parse error on head-annotations-before-name/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata.annotations of type map[string]string",
    ),
    case(
        "head-annotation-escaped",
        &[(
            T,
            "kind: K\nmetadata:\n  ANNOTATIONS:\n    \"a~b/c\": [1]\n",
        )],
        "",
        "YAML parse error on head-annotation-escaped/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .metadata.ANNOTATIONS.a~0b~1c of type string",
    ),
    case(
        "head-annotation-digits",
        &[(T, "kind: K\nmetadata:\n  annotations:\n    x.05: {a: 1}\n")],
        "",
        "YAML parse error on head-annotation-digits/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal object into .metadata.annotations.x.05 of type string",
    ),
    case(
        "head-metadata-number",
        &[(T, "Metadata: 5\n")],
        "",
        "YAML parse error on head-metadata-number/templates/t.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal number into Go struct field .Metadata of type struct { Name string \"json:\\\"name\\\"\"; Annotations map[string]string \"json:\\\"annotations\\\"\" }",
    ),
    // Chart.yaml decoded as JSON: paths hold keys as written and array indexes.
    case(
        "chart-yaml-key-as-written",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: chart-yaml-key-as-written\nversion: 0.1.0\nDescription: [x]\n",
            ),
            (T, "a: 1"),
        ],
        "",
        "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .Description of type string",
    ),
    case(
        "chart-yaml-maintainer-index",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: chart-yaml-maintainer-index\nversion: 0.1.0\nmaintainers:\n- name: [x]\n",
            ),
            (T, "a: 1"),
        ],
        "",
        "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into Go struct field .maintainers.0.name of type string",
    ),
    case(
        "chart-yaml-keyword-index",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: chart-yaml-keyword-index\nversion: 0.1.0\nkeywords: [[1]]\n",
            ),
            (T, "a: 1"),
        ],
        "",
        "cannot load Chart.yaml: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal array into .keywords.0 of type string",
    ),
    // Chart files.
    case(
        "bad-values-yaml",
        &[("values.yaml", "a: [\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected node content",
    ),
    case(
        "values-block-mapping",
        &[("values.yaml", "a:\n  b: 1\n c: 2\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 2: did not find expected key",
    ),
    case(
        "values-flow-sequence",
        &[("values.yaml", "a: [1, 2\nb: 3\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected ',' or ']'",
    ),
    case(
        "values-block-sequence",
        &[("values.yaml", "- a\nb: 1\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected '-' indicator",
    ),
    case(
        "values-flow-mapping",
        &[("values.yaml", "a: {x: 1\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected ',' or '}'",
    ),
    case(
        "values-one-brace",
        &[("values.yaml", "{"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected node content",
    ),
    case(
        "values-unterminated-quote",
        &[("values.yaml", "a: \"unterminated\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 2: found unexpected end of stream",
    ),
    case(
        "values-tab-indent",
        &[("values.yaml", "a:\n\t- b\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 2: found character that cannot start any token",
    ),
    case(
        "values-unknown-anchor",
        &[("values.yaml", "a: *nope\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: unknown anchor 'nope' referenced",
    ),
    case(
        "values-sequence-after-map",
        &[("values.yaml", "a: b\n- c\n"), (T, "a: 1")],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: line 1: did not find expected key",
    ),
    case(
        "values-alias-bomb",
        &[
            (
                "values.yaml",
                "a: &a [1,2,3,4,5,6,7,8,9]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\nh: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]",
            ),
            (T, "a: 1"),
        ],
        "",
        "cannot load values.yaml: cannot unmarshal yaml document: error converting YAML to JSON: yaml: document contains excessive aliasing",
    ),
    case(
        "bad-chart-yaml",
        &[("Chart.yaml", "apiVersion: v2\nname: [\n"), (T, "a: 1")],
        "",
        "cannot load Chart.yaml: error converting YAML to JSON: yaml: line 2: did not find expected node content",
    ),
    case(
        "no-chart-name",
        &[
            ("Chart.yaml", "apiVersion: v2\nversion: 0.1.0\n"),
            (T, "a: 1"),
        ],
        "",
        "validation: chart.metadata.name is required",
    ),
    case(
        "library-chart",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: library-chart\nversion: 0.1.0\ntype: library\n",
            ),
            (T, "a: 1"),
        ],
        "",
        "library charts are not installable",
    ),
    case(
        "missing-dependency",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: missing-dependency\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n  repository: file://../sub\n",
            ),
            (T, "a: 1"),
        ],
        "",
        "an error occurred while checking for chart dependencies. You may need to run 'helm dependency build' to fetch missing dependencies: found in Chart.yaml, but missing in charts/ directory: sub",
    ),
    case(
        "kube-version",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: kube-version\nversion: 0.1.0\nkubeVersion: \">=1.99.0\"\n",
            ),
            (T, "a: 1"),
        ],
        "",
        "chart requires kubeVersion: >=1.99.0 which is incompatible with Kubernetes v1.37.0",
    ),
    case(
        "kube-version-flag",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: kube-version-flag\nversion: 0.1.0\nkubeVersion: \"~1.30.0\"\n",
            ),
            (T, "a: 1"),
        ],
        "--kube-version 1.29.3",
        "chart requires kubeVersion: ~1.30.0 which is incompatible with Kubernetes v1.29.3",
    ),
    // values.schema.json.
    case(
        "schema-type",
        &[
            (
                "values.schema.json",
                r#"{"type":"object","properties":{"s":{"type":"integer"}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-type:\n- at '/s': got string, want integer",
    ),
    case(
        "schema-required",
        &[
            (
                "values.schema.json",
                r#"{"type":"object","required":["need"],"properties":{"list":{"type":"array","items":{"type":"string"}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-required:\n- at '': missing property 'need'\n- at '/list': validation failed\n  - at '/list/0': got number, want string\n  - at '/list/1': got number, want string",
    ),
    case(
        "schema-set",
        &[
            (
                "values.schema.json",
                r#"{"type":"object","properties":{"replicas":{"type":"integer","minimum":1}}}"#,
            ),
            (T, "a: 1"),
        ],
        "--set replicas=0",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-set:\n- at '/replicas': minimum: got 0, want 1",
    ),
    case(
        "schema-invalid-json",
        &[("values.schema.json", r#"{"type": "#), (T, "a: 1")],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-invalid-json:\nunexpected EOF",
    ),
    case(
        "schema-after-value",
        &[
            ("values.schema.json", r#"{"type": "object"} x"#),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-after-value:\ninvalid character after top-level value",
    ),
    case(
        "schema-metaschema",
        &[
            (
                "values.schema.json",
                r#"{"properties": {"a": {"minimum": "x", "required": 3}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-metaschema:\n\"file:///values.schema.json#\" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'\n- at '': 'allOf' failed\n  - at '/properties/a': 'allOf' failed\n    - at '/properties/a': validation failed\n      - at '/properties/a/minimum': got string, want number\n      - at '/properties/a/required': got number, want array",
    ),
    // Bitnami's `$schema`: the latest draft, which helm never fetches.
    case(
        "schema-latest-alias",
        &[
            (
                "values.schema.json",
                r##"{"$schema": "http://json-schema.org/schema#", "properties": {"a": {"minimum": "x"}}}"##,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-latest-alias:\n\"file:///values.schema.json#\" is not valid against metaschema: jsonschema validation failed with 'https://json-schema.org/draft/2020-12/schema#'\n- at '': 'allOf' failed\n  - at '/properties/a': 'allOf' failed\n    - at '/properties/a/minimum': got string, want number",
    ),
    case(
        "schema-pointer",
        &[
            (
                "values.schema.json",
                r##"{"properties": {"a": {"$ref": "#/$defs/none"}}}"##,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-pointer:\njson-pointer in \"file:///values.schema.json#/$defs/none\" not found",
    ),
    case(
        "schema-string-keywords",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"minLength":5,"maxLength":1,"pattern":"^x"}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-string-keywords:\n- at '/s': minLength: got 3, want 5\n- at '/s': maxLength: got 3, want 1\n- at '/s': 'str' does not match pattern '^x'",
    ),
    case(
        "schema-enum",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"enum":["a",1,null]}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-enum:\n- at '/s': value must be one of 'a', 1, <nil>",
    ),
    case(
        "schema-object-keywords",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"m":{"additionalProperties":false,"maxProperties":0,"properties":{"b":{}}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-object-keywords:\n- at '/m': maxProperties: got 1, want 0\n- at '/m': additional properties 'a' not allowed",
    ),
    case(
        "schema-big-numbers",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"big":{"maximum":1000,"multipleOf":7}}}"#,
            ),
            ("values.yaml", "big: 1234567\n"),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-big-numbers:\n- at '/big': maximum: got 1.234567×10⁰⁶, want 1,000\n- at '/big': multipleOf: got 1.234567×10⁰⁶, want 7",
    ),
    case(
        "schema-ref-items",
        &[
            (
                "values.schema.json",
                r##"{"$defs":{"p":{"minimum":5,"multipleOf":2}},"properties":{"list":{"items":{"$ref":"#/$defs/p"}}}}"##,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-ref-items:\n- at '/list/0': validation failed\n  - at '/list/0': minimum: got 1, want 5\n  - at '/list/0': multipleOf: got 1, want 2\n- at '/list/1': minimum: got 2, want 5",
    ),
    case(
        "schema-all-of",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"allOf":[{"minLength":5},{"pattern":"^x"}]}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-all-of:\n- at '/s': 'allOf' failed\n  - at '/s': minLength: got 3, want 5\n  - at '/s': 'str' does not match pattern '^x'",
    ),
    case(
        "schema-any-of",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"anyOf":[{"type":"integer"},{"minLength":9}]}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-any-of:\n- at '/s': 'anyOf' failed\n  - at '/s': got string, want integer\n  - at '/s': minLength: got 3, want 9",
    ),
    case(
        "schema-one-of",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"oneOf":[{"type":"integer"},{"minLength":9}]}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-one-of:\n- at '/s': 'oneOf' failed, none matched\n  - at '/s': got string, want integer\n  - at '/s': minLength: got 3, want 9",
    ),
    case(
        "schema-not",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"not":{"type":"string"}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-not:\n- at '/s': 'not' failed",
    ),
    case(
        "schema-const-object",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"const":{"a":1}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-const-object:\n- at '/s': 'const' failed",
    ),
    case(
        "schema-false",
        &[
            ("values.schema.json", r#"{"properties":{"s":false}}"#),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-false:\n- at '/s': false schema",
    ),
    case(
        "schema-if-then",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"if":{"type":"string"},"then":{"minLength":9}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-if-then:\n- at '/s': minLength: got 3, want 9",
    ),
    case(
        "schema-types",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"s":{"type":["integer","null"]}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-types:\n- at '/s': got string, want null or integer",
    ),
    case(
        "schema-type-ends-evaluation",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"m":{"properties":{"a":{"type":"string","minimum":5}}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-type-ends-evaluation:\n- at '/m/a': got number, want string",
    ),
    case(
        "schema-additional-properties-schema",
        &[
            (
                "values.schema.json",
                r#"{"properties":{"m":{"type":"object","additionalProperties":{"type":"string"}}}}"#,
            ),
            (T, "a: 1"),
        ],
        "",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-additional-properties-schema:\n- at '/m/a': got number, want string",
    ),
    case(
        "schema-subchart",
        &[
            ("values.schema.json", r#"{"required":["top"]}"#),
            (
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            ),
            ("charts/sub/values.yaml", "port: 80\n"),
            (
                "charts/sub/values.schema.json",
                r#"{"properties":{"port":{"type":"integer"}}}"#,
            ),
            (T, "a: 1"),
        ],
        "--set sub.port=x",
        "values don't meet the specifications of the schema(s) in the following chart(s):\nschema-subchart:\n- at '': missing property 'top'\nsub:\n- at '/port': got string, want integer",
    ),
    // --set.
    case(
        "set-bad-index",
        &[(T, "a: {{ .Values.a }}")],
        "--set a[x]=1",
        "failed parsing --set data: error parsing index: strconv.Atoi: parsing \"x\": invalid syntax",
    ),
    case(
        "set-no-value",
        &[(T, "a: {{ .Values.a }}")],
        "--set a",
        "failed parsing --set data: key \"a\" has no value",
    ),
    case(
        "set-empty-key",
        &[(T, "a: {{ .Values.a }}")],
        "--set a.=1",
        "failed parsing --set data: key map \"a\" has no value",
    ),
    case(
        "set-negative-index",
        &[(T, "a: {{ .Values.a }}")],
        "--set a[-1]=1",
        "failed parsing --set data: negative -1 index not allowed",
    ),
    case(
        "set-huge-index",
        &[(T, "a: {{ .Values.a }}")],
        "--set a[100001]=1",
        "failed parsing --set data: index of 100001 is greater than maximum supported index of 65536",
    ),
    case(
        "set-unterminated-list",
        &[(T, "a: {{ .Values.a }}")],
        "--set a={b",
        "failed parsing --set data: list must terminate with '}'",
    ),
    case(
        "set-after-index",
        &[(T, "a: {{ .Values.a }}")],
        "--set a[0]b=1",
        "failed parsing --set data: unexpected data at end of array index: ['b']",
    ),
    case(
        "set-string-no-value",
        &[(T, "a: {{ .Values.a }}")],
        "--set-string a",
        "failed parsing --set-string data: key \"a\" has no value",
    ),
    // toYaml reads the JSON it wrote back with go-yaml, whose reader refuses U+007F, and a key
    // holding a NEL (U+0085, left raw in JSON) is a key over two lines to it.
    case(
        "to-yaml-control-character",
        &[(T, "a: {{ mustToYaml (dict \"k\" (b64dec \"YX9i\")) }}")],
        "",
        "template: to-yaml-control-character/templates/t.yaml:1:6: executing \"to-yaml-control-character/templates/t.yaml\" at <mustToYaml (dict \"k\" (b64dec \"YX9i\"))>: error calling mustToYaml: yaml: control characters are not allowed",
    ),
    case(
        "to-yaml-nel-key",
        &[(
            T,
            "a: {{ mustToYaml (dict \"a\" (b64dec \"eMKFecKFeg==\") \"b\" (dict (b64dec \"a8KF\") 1)) }}",
        )],
        "",
        "template: to-yaml-nel-key/templates/t.yaml:1:6: executing \"to-yaml-nel-key/templates/t.yaml\" at <mustToYaml (dict \"a\" (b64dec \"eMKFecKFeg==\") \"b\" (dict (b64dec \"a8KF\") 1))>: error calling mustToYaml: yaml: line 3: did not find expected ',' or '}'",
    ),
    // Sprig's arithmetic and `--set` give int64, which a function's `int` parameter refuses;
    // Go reports a value's type error where its engine last stood: the last argument evaluated
    // inside a parenthesised pipeline.
    case(
        "int64-to-int-param",
        &[(T, "a: {{ trunc (add 1 2) \"abcdef\" }}")],
        "",
        "int64-to-int-param/templates/t.yaml:1:19\n  executing \"int64-to-int-param/templates/t.yaml\" at <2>:\n    wrong type for value; expected int; got int64",
    ),
    case(
        "set-int-is-int64",
        &[(T, "a: {{ indent .Values.p \"x\" }}")],
        "--set p=2",
        "set-int-is-int64/templates/t.yaml:1:20\n  executing \"set-int-is-int64/templates/t.yaml\" at <.Values.p>:\n    wrong type for value; expected int; got int64",
    ),
    case(
        "int64-float-compare",
        &[(T, "a: {{ lt (add 1 1) 3.5 }}")],
        "",
        "template: int64-float-compare/templates/t.yaml:1:6: executing \"int64-float-compare/templates/t.yaml\" at <lt (add 1 1) 3.5>: error calling lt: incompatible types for comparison: int64 and float64",
    ),
    case(
        "range-error-at-last-evaluated",
        &[(T, "a: {{ range $i, $v := add 1 (add 2 3) }}{{ end }}")],
        "",
        "range-error-at-last-evaluated/templates/t.yaml:1:35\n  executing \"range-error-at-last-evaluated/templates/t.yaml\" at <3>:\n    can't use 6 to iterate over more than one variable",
    ),
    // net/url's refusals, Masterminds semver v3's and Sprig's slice (reflect) wording.
    case(
        "url-cut-escape",
        &[(T, "a: {{ urlParse \"%2éh\" }}")],
        "",
        "template: url-cut-escape/templates/t.yaml:1:6: executing \"url-cut-escape/templates/t.yaml\" at <urlParse \"%2éh\">: error calling urlParse: unable to parse url: parse \"%2éh\": invalid URL escape \"%2\\xc3\"",
    ),
    case(
        "url-ip-literal",
        &[(T, "a: {{ urlParse \"//[1.2.3.4]\" }}")],
        "",
        "template: url-ip-literal/templates/t.yaml:1:6: executing \"url-ip-literal/templates/t.yaml\" at <urlParse \"//[1.2.3.4]\">: error calling urlParse: unable to parse url: parse \"//[1.2.3.4]\": invalid IP-literal",
    ),
    case(
        "url-bad-host",
        &[(T, "a: {{ urlParse \"//[zz]\" }}")],
        "",
        "template: url-bad-host/templates/t.yaml:1:6: executing \"url-bad-host/templates/t.yaml\" at <urlParse \"//[zz]\">: error calling urlParse: unable to parse url: parse \"//[zz]\": invalid host: ParseAddr(\"zz\"): unable to parse IP",
    ),
    case(
        "semver-invalid",
        &[(T, "a: {{ semver \"x\" }}")],
        "",
        "template: semver-invalid/templates/t.yaml:1:6: executing \"semver-invalid/templates/t.yaml\" at <semver \"x\">: error calling semver: invalid semantic version",
    ),
    case(
        "slice-out-of-bounds",
        &[(T, "a: {{ slice (list 1 2 3) 1 5 }}")],
        "",
        "template: slice-out-of-bounds/templates/t.yaml:1:6: executing \"slice-out-of-bounds/templates/t.yaml\" at <slice (list 1 2 3) 1 5>: error calling slice: reflect.Value.Slice: slice index out of bounds",
    ),
    // Go's regexp/syntax refusals, which Rust's regex words otherwise or does not make.
    case(
        "regex-nested-repeat",
        &[(T, "a: {{ mustRegexMatch \"a**\" \"x\" }}")],
        "",
        "template: regex-nested-repeat/templates/t.yaml:1:6: executing \"regex-nested-repeat/templates/t.yaml\" at <mustRegexMatch \"a**\" \"x\">: error calling mustRegexMatch: error parsing regexp: invalid nested repetition operator: `**`",
    ),
    case(
        "regex-missing-paren",
        &[(T, "a: {{ mustRegexMatch \"((a)\" \"x\" }}")],
        "",
        "template: regex-missing-paren/templates/t.yaml:1:6: executing \"regex-missing-paren/templates/t.yaml\" at <mustRegexMatch \"((a)\" \"x\">: error calling mustRegexMatch: error parsing regexp: missing closing ): `((a)`",
    ),
    case(
        "regex-bad-class",
        &[(T, "a: {{ mustRegexMatch \"a[z-b]\" \"x\" }}")],
        "",
        "template: regex-bad-class/templates/t.yaml:1:6: executing \"regex-bad-class/templates/t.yaml\" at <mustRegexMatch \"a[z-b]\" \"x\">: error calling mustRegexMatch: error parsing regexp: invalid character class range: `z-b`",
    ),
    // A time.Time parameter is checked before the call, like any typed one.
    case(
        "time-param-literal",
        &[(T, "a: {{ unixEpoch 1700000000 }}")],
        "",
        "time-param-literal/templates/t.yaml:1:16
  executing \"time-param-literal/templates/t.yaml\" at <1700000000>:
    can't handle 1700000000 for arg of type time.Time",
    ),
    // YAML syntax errors in rendered manifests, as libyaml (go-yaml's origin) finds them where
    // saphyr words them otherwise or finds them elsewhere.
    case(
        "yaml-expected-colon",
        &[(T, "a: 1\nb\n")],
        "",
        "YAML parse error on yaml-expected-colon/templates/t.yaml: error converting YAML to JSON: yaml: line 3: could not find expected ':'",
    ),
    case(
        "yaml-quoted-then-more",
        &[(T, "kind: A\nb: \"x\" \"y\"\n")],
        "",
        "YAML parse error on yaml-quoted-then-more/templates/t.yaml: error converting YAML to JSON: yaml: line 1: did not find expected key",
    ),
    case(
        "yaml-tab-indent",
        &[(T, "a: 1\n\tb: 2\n")],
        "",
        "YAML parse error on yaml-tab-indent/templates/t.yaml: error converting YAML to JSON: yaml: line 2: found a tab character that violates indentation",
    ),
    case(
        "yaml-colon-line-start",
        &[(T, "a:\n  b: 1\n:  c: 2\n")],
        "",
        "YAML parse error on yaml-colon-line-start/templates/t.yaml: error converting YAML to JSON: yaml: line 2: did not find expected key",
    ),
    case(
        "yaml-bracket-in-block",
        &[(T, "a:\n  b: 1\n  ]  c: 2\n")],
        "",
        "YAML parse error on yaml-bracket-in-block/templates/t.yaml: error converting YAML to JSON: yaml: line 2: did not find expected key",
    ),
    case(
        "yaml-flow-map-unclosed",
        &[(T, "a:\n  b: {'x'\n  c: 2\n")],
        "",
        "YAML parse error on yaml-flow-map-unclosed/templates/t.yaml: error converting YAML to JSON: yaml: line 2: did not find expected ',' or '}'",
    ),
    case(
        "yaml-alias-before-error",
        &[(T, "a: 1\n*x b: [\n")],
        "",
        "YAML parse error on yaml-alias-before-error/templates/t.yaml: error converting YAML to JSON: yaml: unknown anchor 'x' referenced",
    ),
    case(
        "yaml-map-as-key",
        &[(T, "? {b: 1, a: [x, null]}\n: v\n")],
        "",
        "YAML parse error on yaml-map-as-key/templates/t.yaml: error converting YAML to JSON: yaml: invalid map key: map[interface {}]interface {}{\"a\":[]interface {}{\"x\", interface {}(nil)}, \"b\":1}",
    ),
    // Go's len: a nil read by a field chain is a nil interface, any other nil no value.
    case(
        "len-nil-field",
        &[(T, "a: {{ len .Values.missing }}")],
        "",
        "template: len-nil-field/templates/t.yaml:1:6: executing \"len-nil-field/templates/t.yaml\" at <len .Values.missing>: error calling len: len of nil pointer",
    ),
    case(
        "len-nil-pipeline",
        &[(T, "a: {{ len (.Values.missing) }}")],
        "",
        "template: len-nil-pipeline/templates/t.yaml:1:6: executing \"len-nil-pipeline/templates/t.yaml\" at <len (.Values.missing)>: error calling len: reflect: call of reflect.Value.Type on zero Value",
    ),
    case(
        "len-nil-variable",
        &[(T, "{{ $x := .Values.missing }}a: {{ len $x }}")],
        "",
        "template: len-nil-variable/templates/t.yaml:1:33: executing \"len-nil-variable/templates/t.yaml\" at <len $x>: error calling len: reflect: call of reflect.Value.Type on zero Value",
    ),
    // A definition is parsed as a tree of its own: no enclosing action for a lexer error.
    case(
        "define-header-lex-error",
        &[(T, "{{ define \"x\"\n \"y }}{{ end }}")],
        "",
        "parse error at (define-header-lex-error/templates/t.yaml:2): unterminated quoted string",
    ),
    // Ranging over an integer gives typed ints, not interfaces.
    case(
        "range-int-field",
        &[(T, "a: {{ range 2 }}{{ .Values.x }}{{ end }}")],
        "",
        "range-int-field/templates/t.yaml:1:26
  executing \"range-int-field/templates/t.yaml\" at <.Values.x>:
    can't evaluate field Values in type int",
    ),
    // `split` gives a `map[string]string`, which `hasKey` refuses as Go does.
    case(
        "split-has-key",
        &[(T, "a: {{ hasKey (split \",\" \"a\") \"_0\" }}")],
        "",
        "split-has-key/templates/t.yaml:1:24
  executing \"split-has-key/templates/t.yaml\" at <\"a\">:
    wrong type for value; expected map[string]interface {}; got map[string]string",
    ),
    // So are the elements of Sprig's `[]int`; those of a `[]interface {}` are interfaces.
    case(
        "range-until-field",
        &[(T, "a: {{ range until 1 }}{{ .Values.x }}{{ end }}")],
        "",
        "range-until-field/templates/t.yaml:1:32
  executing \"range-until-field/templates/t.yaml\" at <.Values.x>:
    can't evaluate field Values in type int",
    ),
    case(
        "range-list-field",
        &[(T, "a: {{ range list 1 }}{{ .Values.x }}{{ end }}")],
        "",
        "range-list-field/templates/t.yaml:1:31
  executing \"range-list-field/templates/t.yaml\" at <.Values.x>:
    can't evaluate field Values in type interface {}",
    ),
    // A struct reached through a map is an `interface {}` to Go's error.
    case(
        "object-field-from-map",
        &[(T, "a: {{ .Capabilities.Foo }}")],
        "",
        "object-field-from-map/templates/t.yaml:1:19
  executing \"object-field-from-map/templates/t.yaml\" at <.Capabilities.Foo>:
    can't evaluate field Foo in type interface {}",
    ),
    // Functions over a string's bytes check their argument before the call.
    case(
        "b64enc-list",
        &[(T, "a: {{ b64enc (list 1) }}")],
        "",
        "b64enc-list/templates/t.yaml:1:19
  executing \"b64enc-list/templates/t.yaml\" at <1>:
    wrong type for value; expected string; got []interface {}",
    ),
    case(
        "b64enc-char-literal",
        &[(T, "a: {{ b64enc 'a' }}")],
        "",
        "b64enc-char-literal/templates/t.yaml:1:13
  executing \"b64enc-char-literal/templates/t.yaml\" at <'a'>:
    expected string; found 'a'",
    ),
    // A helper handed the render context where a string belongs: helm names its type.
    case(
        "string-param-context",
        &[(T, "a: {{ upper . }}")],
        "",
        "string-param-context/templates/t.yaml:1:12
  executing \"string-param-context/templates/t.yaml\" at <.>:
    wrong type for value; expected string; got common.Values",
    ),
    case(
        "time-param-value",
        &[(T, "a: {{ dateModify \"1h\" (int64 5) }}")],
        "",
        "time-param-value/templates/t.yaml:1:29
  executing \"time-param-value/templates/t.yaml\" at <5>:
    wrong type for value; expected time.Time; got int64",
    ),
    // Methods of helm's objects and of `common.Values`: Go checks their arguments before
    // the call, where it last stood, without `error calling`.
    case(
        "method-arity",
        &[(T, r#"{{ .Files.Get }}"#)],
        "",
        "method-arity/templates/t.yaml:1:9\n  executing \"method-arity/templates/t.yaml\" at <.Files.Get>:\n    wrong number of args for Get: want 1 got 0",
    ),
    case(
        "method-literal-type",
        &[(T, r#"{{ .Files.Get 1 }}"#)],
        "",
        "method-literal-type/templates/t.yaml:1:14\n  executing \"method-literal-type/templates/t.yaml\" at <1>:\n    expected string; found 1",
    ),
    case(
        "method-nil-literal",
        &[(T, r#"{{ .Files.Get nil }}"#)],
        "",
        "method-nil-literal/templates/t.yaml:1:14\n  executing \"method-nil-literal/templates/t.yaml\" at <nil>:\n    cannot assign nil to string",
    ),
    case(
        "method-value-type",
        &[(T, r#"{{ .Files.Get .Values.m.a }}"#)],
        "",
        "method-value-type/templates/t.yaml:1:21\n  executing \"method-value-type/templates/t.yaml\" at <.Values.m.a>:\n    wrong type for value; expected string; got float64",
    ),
    case(
        "method-zero-params",
        &[(T, r#"{{ .Capabilities.KubeVersion.String 1 }}"#)],
        "",
        "method-zero-params/templates/t.yaml:1:16\n  executing \"method-zero-params/templates/t.yaml\" at <.Capabilities.KubeVersion.String>:\n    wrong number of args for String: want 0 got 1",
    ),
    case(
        "method-arity-in-chain",
        &[(T, r#"{{ now.Format }}"#)],
        "",
        "method-arity-in-chain/templates/t.yaml:1:3\n  executing \"method-arity-in-chain/templates/t.yaml\" at <now>:\n    wrong number of args for Format: want 1 got 0",
    ),
    case(
        "method-arity-after-pipe",
        &[(T, r#"{{ (semver "1.2.3").Major 1 }}"#)],
        "",
        "method-arity-after-pipe/templates/t.yaml:1:11\n  executing \"method-arity-after-pipe/templates/t.yaml\" at <\"1.2.3\">:\n    wrong number of args for Major: want 0 got 1",
    ),
    case(
        "method-pointer-param",
        &[(T, r#"{{ (semver "1.2.3").Compare 1 }}"#)],
        "",
        "method-pointer-param/templates/t.yaml:1:28\n  executing \"method-pointer-param/templates/t.yaml\" at <1>:\n    can't handle 1 for arg of type *semver.Version",
    ),
    case(
        "method-nil-pointer",
        &[(T, r#"{{ (semver "1.2.3").Compare nil }}"#)],
        "",
        "template: method-nil-pointer/templates/t.yaml:1:19: executing \"method-nil-pointer/templates/t.yaml\" at <(semver \"1.2.3\").Compare>: error calling Compare: runtime error: invalid memory address or nil pointer dereference",
    ),
    case(
        "values-table-not-a-table",
        &[(T, r#"{{ .Values.Table "m.a.b" }}"#)],
        "",
        "template: values-table-not-a-table/templates/t.yaml:1:10: executing \"values-table-not-a-table/templates/t.yaml\" at <.Values.Table>: error calling Table: \"a\" is not a table",
    ),
    case(
        "values-path-value-table",
        &[(T, r#"{{ .Values.PathValue "m" }}"#)],
        "",
        "template: values-path-value-table/templates/t.yaml:1:10: executing \"values-path-value-table/templates/t.yaml\" at <.Values.PathValue>: error calling PathValue: \"m\" is not a value",
    ),
    case(
        "values-path-value-empty",
        &[(T, r#"{{ .Values.PathValue "" }}"#)],
        "",
        "template: values-path-value-empty/templates/t.yaml:1:10: executing \"values-path-value-empty/templates/t.yaml\" at <.Values.PathValue>: error calling PathValue: YAML path cannot be empty",
    ),
    case(
        "values-method-final-arg",
        &[(T, r#"{{ 1 | .Values.Table }}"#)],
        "",
        "values-method-final-arg/templates/t.yaml:1:14\n  executing \"values-method-final-arg/templates/t.yaml\" at <.Values.Table>:\n    wrong type for value; expected string; got int",
    ),
    case(
        "values-encode-nil",
        &[(T, r#"{{ .Values.Encode nil }}"#)],
        "",
        "template: values-encode-nil/templates/t.yaml:1:10: executing \"values-encode-nil/templates/t.yaml\" at <.Values.Encode>: error calling Encode: runtime error: invalid memory address or nil pointer dereference",
    ),
    case(
        "values-encode-literal",
        &[(T, r#"{{ .Values.Encode 1 }}"#)],
        "",
        "values-encode-literal/templates/t.yaml:1:18\n  executing \"values-encode-literal/templates/t.yaml\" at <1>:\n    can't handle 1 for arg of type io.Writer",
    ),
];

/// Cases where our message deliberately differs from helm's: (case, our message, why).
/// None at present: YAML syntax errors, the last of them, are now worded by libyaml.
const DIFFERENCES: &[(&str, &str, &str)] = &[];

const DEFAULT_VALUES: &str = "list: [1, 2]\ns: str\nm: {a: 1}\n";

/// Writes every case's chart under a fresh directory named after `tag` and returns it.
fn write_charts(tag: &str) -> PathBuf {
    let base =
        std::env::temp_dir().join(format!("kokumi-helm-errors-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    for c in CASES {
        let dir = base.join(c.name);
        std::fs::create_dir_all(dir.join("templates")).expect("create chart dir");
        let chart_yaml = format!("apiVersion: v2\nname: {}\nversion: 0.1.0\n", c.name);
        std::fs::write(dir.join("Chart.yaml"), chart_yaml).expect("write Chart.yaml");
        std::fs::write(dir.join("values.yaml"), DEFAULT_VALUES).expect("write values.yaml");
        for (path, text) in c.files {
            let path = dir.join(path);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).expect("create chart subdirectory");
            }
            std::fs::write(path, text).expect("write chart file");
        }
    }
    base
}

fn command(c: &Case) -> String {
    format!("helm template rel {} {}", c.name, c.args)
}

/// The message after `Error: ` in what helm or we print, without helm's CLI hint.
fn message(stderr: &str) -> Option<String> {
    let start = stderr.find("Error: ")? + "Error: ".len();
    let msg = &stderr[start..];
    let msg = msg
        .strip_suffix('\n')
        .unwrap_or(msg)
        .trim_end_matches("Use --debug flag to render out invalid YAML\n")
        .trim_end_matches("Use --debug flag to render out invalid YAML");
    Some(msg.trim_end().to_string())
}

fn ours(base: &Path, c: &Case) -> Option<String> {
    match render_cmd(base, &parse_cmd(&command(c))) {
        Ok(_) => None,
        Err(e) => message(&e),
    }
}

fn helm(helm: &Path, base: &Path, c: &Case) -> Option<String> {
    let mut cmd = Command::new(helm);
    cmd.args(["template", "rel", c.name]);
    cmd.args(c.args.split_whitespace());
    let out = cmd.current_dir(base).output().expect("run helm");
    if out.status.success() {
        return None;
    }
    message(&String::from_utf8_lossy(&out.stderr))
}

/// `text` with every run of sibling `- at …` items of a schema report in sorted order.
///
/// Helm walks a schema's `properties` as a Go map, so where several properties fail at one level
/// (the metaschema report of `schema-metaschema`) their order changes from run to run; the
/// messages are the same report when they are the same tree.
fn sibling_order_free(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    sort_siblings(&lines, &mut out);
    out.join("\n")
}

fn sort_siblings(lines: &[&str], out: &mut Vec<String>) {
    let indent = |line: &str| line.len() - line.trim_start_matches(' ').len();
    let is_item = |line: &str| line.trim_start().starts_with("- ");
    let mut i = 0;
    while i < lines.len() {
        if !is_item(lines[i]) {
            out.push(lines[i].to_string());
            i += 1;
            continue;
        }
        let level = indent(lines[i]);
        let mut items: Vec<Vec<String>> = Vec::new();
        while i < lines.len() && is_item(lines[i]) && indent(lines[i]) == level {
            let start = i;
            i += 1;
            while i < lines.len() && indent(lines[i]) > level {
                i += 1;
            }
            let mut item = vec![lines[start].to_string()];
            sort_siblings(&lines[start + 1..i], &mut item);
            items.push(item);
        }
        items.sort();
        out.extend(items.into_iter().flatten());
    }
}

#[test]
fn sibling_order_is_ignored_only_among_siblings() {
    let report = "head:\n- at '': a\n  - at '/b': y\n  - at '/a': x\n- at '/c': z";
    let swapped = "head:\n- at '': a\n  - at '/a': x\n  - at '/b': y\n- at '/c': z";
    assert_eq!(sibling_order_free(report), sibling_order_free(swapped));
    let moved = "head:\n- at '': a\n  - at '/a': x\n- at '/c': z\n  - at '/b': y";
    assert_ne!(sibling_order_free(report), sibling_order_free(moved));
}

#[test]
fn error_messages_match_helm() {
    let base = write_charts("ours");
    let mut failures = Vec::new();
    for c in CASES {
        let want = DIFFERENCES
            .iter()
            .find(|(name, _, _)| *name == c.name)
            .map_or(c.helm, |(_, ours, _)| *ours);
        match ours(&base, c) {
            Some(got) if sibling_order_free(&got) == sibling_order_free(want) => {}
            Some(got) => failures.push(format!("{}: helm says\n{want}\nwe say\n{got}\n", c.name)),
            None => failures.push(format!(
                "{}: we rendered; helm fails with\n{want}\n",
                c.name
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    assert!(CASES.len() >= 40, "only {} cases", CASES.len());
    assert!(
        failures.is_empty(),
        "{} of {} error messages differ from helm's:\n{}",
        failures.len(),
        CASES.len(),
        failures.join("\n")
    );
}

#[test]
fn pinned_messages_are_what_helm_prints() {
    let Some(bin) = helm_binary() else {
        return;
    };
    let base = write_charts("helm");
    let mut failures = Vec::new();
    for c in CASES {
        match helm(&bin, &base, c) {
            Some(got) if sibling_order_free(&got) == sibling_order_free(c.helm) => {}
            got => failures.push(format!(
                "{}: pinned\n{}\nhelm prints\n{got:?}\n",
                c.name, c.helm
            )),
        }
    }
    let _ = std::fs::remove_dir_all(&base);
    assert!(
        failures.is_empty(),
        "pinned helm messages are stale:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_difference_names_a_case() {
    for (name, ours, why) in DIFFERENCES {
        assert!(
            CASES.iter().any(|c| c.name == *name),
            "{name}: no such case"
        );
        assert!(
            !ours.is_empty() && !why.is_empty(),
            "{name}: say what and why"
        );
    }
}
