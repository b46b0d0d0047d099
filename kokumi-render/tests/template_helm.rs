//! Helm's engine-bound functions and rules (include, tpl, required, fail, lookup, in-place map
//! mutation, limits), with outputs and error texts pinned from a real `helm template` 4.3.1.

use kokumi_render::template::{Limits, TemplateSet};
use kokumi_render::value::{Map, Value};

use crate::go_semantics::run_with;

const HELPERS: &str = r#"{{ define "r" }}{{ include "r" . }}{{ end }}
{{- define "show" }}{{ .Values.added }}{{ end }}
{{- define "tn" }}{{ .Template.Name }} {{ .Template.BasePath }}{{ end }}
{{- define "miss" }}{{ .Values.missing }}{{ end }}
{{- define "a" }}{{ include "b" . }}{{ end }}
{{- define "b" }}{{ fail "deep" }}{{ end }}
{{- define "bad" }}{{ .Values.s.x }}{{ end }}"#;

fn run(text: &str) -> String {
    run_with(text, HELPERS)
}

#[test]
fn include_renders_with_the_given_dot_and_keeps_the_callers_template() {
    assert_eq!(
        run(r#"x: {{ include "tn" . }}"#),
        "x: c/templates/t.yaml c/templates"
    );
    // `.Values` has no `.Template`: Go's nil-interface error, as helm reports it.
    assert_eq!(
        run(r#"{{ include "tn" .Values }}"#),
        "ERR: c/templates/t.yaml:1:3\n  executing \"c/templates/t.yaml\" at <include \"tn\" .Values>:\n    error calling include:\nc/templates/_h.tpl:3:30\n  executing \"tn\" at <.Template.Name>:\n    nil pointer evaluating interface {}.Name"
    );
}

/// Helm's render context, `.Values` and `.Template` are its named map type `common.Values`;
/// the other maps are plain. Reflection tells them apart, in helm and here.
#[test]
fn the_render_context_and_values_are_common_values() {
    let Some(helm) = crate::differential::helm_binary() else {
        return;
    };
    let text = r#"a: {{ typeOf $ }} {{ typeOf .Values }} {{ typeOf .Template }} {{ typeOf .Subcharts }} {{ printf "%T" (dict) }} {{ kindOf . }}
b: {{ typeOf (deepCopy .Values) }} {{ typeOf (merge (dict) .Values) }} {{ typeOf (index $ "Values") }} {{ has .Values (list .Values) }} {{ has (dict) (list .Values) }}
c: {{ $_ := set .Values "k" 1 }}{{ typeOf .Values }} {{ .Values.k }}
"#;
    let (ours, theirs) = crate::yaml_scalars::ours_and_helms(&helm, "values-type", text);
    assert_eq!(ours, theirs);
    assert!(ours.contains("a: common.Values common.Values common.Values map[string]interface {}"));
}

/// An action prints a struct field through its pointer type's `String` method, a copy handed
/// to a function without it: `.Capabilities.KubeVersion` is `v1.37.0`, its `print` the struct.
#[test]
fn a_kube_version_field_prints_through_its_string_method() {
    let Some(helm) = crate::differential::helm_binary() else {
        return;
    };
    let text = r#"a: "{{ .Capabilities.KubeVersion }} {{ $k := .Capabilities.KubeVersion }}{{ $k }} {{ .Capabilities.KubeVersion | print }}"
"#;
    let (ours, theirs) = crate::yaml_scalars::ours_and_helms(&helm, "kube-version-print", text);
    assert_eq!(ours, theirs);
    assert!(ours.contains(r#"a: "v1.37.0 v1.37.0 {v1.37.0 v1.37.0 1 37}""#));
}

/// `.Files` (a `map[string][]byte`) and `.Capabilities.APIVersions` (a `[]string`) are Go maps
/// and slices to the engine: an empty one is false, `len` and `index` work on them, and ranging
/// gives a file's bytes, not the base64 text `toJson` would show.
#[test]
fn files_and_api_versions_are_a_map_and_a_slice() {
    let Some(helm) = crate::differential::helm_binary() else {
        return;
    };
    let text = r#"a: {{ if .Files.Glob "files/e/*" }}yes{{ else }}no{{ end }} {{ if .Files.Glob "files/d/*" }}yes{{ else }}no{{ end }}
b: {{ len (.Files.Glob "files/d/*") }} {{ len .Capabilities.APIVersions | int | gt 5 }}
c: {{ range $p, $c := .Files.Glob "files/d/*" }}{{ $p }}={{ toString $c }};{{ typeOf $c }};{{ end }}
d: {{ index (.Files.Glob "files/d/*") "files/d/a.txt" | toString }} [{{ index (.Files.Glob "files/d/*") "nope" }}] {{ index .Capabilities.APIVersions 0 }}
e: {{ empty (.Files.Glob "files/e/*") }} {{ empty (.Files.Glob "files/d/*") }} {{ default "dflt" (.Files.Glob "files/e/*") }}
f: {{ with .Files.Glob "files/e/*" }}w{{ else }}nw{{ end }} {{ and (.Files.Glob "files/e/*") 1 }} {{ not (.Files.Glob "files/e/*") }}
g: {{ range .Files.Glob "files/e/*" }}x{{ else }}empty{{ end }} {{ first .Capabilities.APIVersions }}
"#;
    let files = [("files/d/a.txt", "hello"), ("files/d/b.conf", "wor ld")];
    let (ours, theirs) = crate::yaml_scalars::ours_and_helms_with(&helm, "files-map", text, &files);
    assert_eq!(ours, theirs);
    assert!(ours.contains("c: files/d/a.txt=hello;[]uint8;files/d/b.conf=wor ld;[]uint8;"));
}

/// `tpl` executes the text it was given even when that is empty inside another `tpl` (Go keeps
/// the older non-empty `gotpl` only for lookups by name).
#[test]
fn an_empty_tpl_inside_a_tpl_renders_nothing() {
    let Some(helm) = crate::differential::helm_binary() else {
        return;
    };
    let text = r#"a: {{ tpl "a{{ tpl \"\" . }}b{{ tpl \"{{/* c */}}\" . }}c" . }}
b: {{ tpl "{{ define \"x\" }}X{{ end }}e{{ tpl \"\" . }}f{{ include \"x\" . }}" . }}
"#;
    let (ours, theirs) = crate::yaml_scalars::ours_and_helms(&helm, "tpl-empty", text);
    assert_eq!(ours, theirs);
    assert!(ours.contains("a: abc\nb: efX"), "{ours}");
}

#[test]
fn include_keeps_no_value_but_tpl_removes_it() {
    assert_eq!(
        run(r#"{{ len (tpl "{{ .Values.missing }}" .) }} {{ len (include "miss" .) }}"#),
        "0 10"
    );
}

#[test]
fn tpl_defines_are_visible_inside_the_tpl_only() {
    assert_eq!(
        run(
            r#"x: {{ tpl "{{ define \"in\" }}IN{{ .Values.s }}{{ end }}{{ include \"in\" . }}" . }}"#
        ),
        "x: INstr"
    );
    assert_eq!(
        run(r#"x: {{ tpl "{{ define \"only\" }}o{{ end }}" . }}|{{ include "only" . }}"#),
        "ERR: c/templates/t.yaml:1:52\n  executing \"c/templates/t.yaml\" at <include \"only\" .>:\n    error calling include:\ntemplate: no template \"only\" associated with template \"gotpl\""
    );
}

#[test]
fn required_and_fail_report_the_outermost_location() {
    assert_eq!(
        run(r#"x: {{ required "need" "" }}"#),
        "ERR: execution error at (c/templates/t.yaml:1:6): need"
    );
    assert_eq!(run(r#"x: {{ required "need" .Values.s }}"#), "x: str");
    assert_eq!(
        run(r#"x: {{ include "a" . }}"#),
        "ERR: execution error at (c/templates/t.yaml:1:6): deep"
    );
    assert_eq!(
        run(r#"x: {{ tpl "{{ fail \"boom\" }}" . }}"#),
        "ERR: execution error at (c/templates/t.yaml:1:6): boom"
    );
    assert_eq!(
        run_with(
            "\nx: {{ include \"h\" . }}",
            "{{ define \"h\" }}\n  {{- required \"need it\" .Values.zzz }}{{ end }}"
        ),
        "ERR: execution error at (c/templates/t.yaml:2:6): need it"
    );
}

#[test]
fn nested_errors_use_helm4_layout() {
    assert_eq!(
        run("\nx: {{ include \"bad\" . }}"),
        "ERR: c/templates/t.yaml:2:6\n  executing \"c/templates/t.yaml\" at <include \"bad\" .>:\n    error calling include:\nc/templates/_h.tpl:7:29\n  executing \"bad\" at <.Values.s.x>:\n    can't evaluate field x in type interface {}"
    );
    // A tpl failure keeps Go's one-line text, as helm prints it.
    assert_eq!(
        run(r#"{{ tpl "{{ .Values.s.x }}" . }}"#),
        "ERR: template: c/templates/t.yaml:1:3: executing \"c/templates/t.yaml\" at <tpl \"{{ .Values.s.x }}\" .>: error calling tpl: error during tpl function execution for \"{{ .Values.s.x }}\": template: gotpl:1:10: executing \"gotpl\" at <.Values.s.x>: can't evaluate field x in type interface {}"
    );
}

#[test]
fn include_recursion_stops_at_helms_limit() {
    let out = run(r#"x: {{ include "r" . }}"#);
    assert!(
        out.starts_with("ERR: template: c/templates/t.yaml:1:6: executing \"c/templates/t.yaml\" at <include \"r\" .>: error calling include: template: c/templates/_h.tpl:1:19: executing \"r\""),
        "{}",
        &out[..200]
    );
    assert!(out.ends_with(
        "error calling include: rendering template has a nested reference name: r: unable to execute template"
    ));
    // helm 4.3.1 prints 1002 "executing" frames for this template.
    assert_eq!(out.matches("executing").count(), 1002);
}

#[test]
fn lookup_is_an_empty_map() {
    assert_eq!(
        run(r#"x: {{ lookup "v1" "Pod" "ns" "n" }}|{{ lookup "v1" "Pod" "ns" "n" | len }}"#),
        "x: map[]|0"
    );
}

#[test]
fn map_mutation_is_visible_through_every_reference() {
    assert_eq!(
        run(
            r#"x: {{ $_ := set .Values "added" "yes" }}{{ .Values.added }} {{ include "show" . }}"#
        ),
        "x: yes yes"
    );
    assert_eq!(
        run(r#"{{ $d := dict "a" (dict "b" 1) }}{{ $_ := set $d.a "c" 2 }}{{ $d }}"#),
        "map[a:map[b:1 c:2]]"
    );
    assert_eq!(
        run(r#"{{ $c := .Values.m }}{{ $_ := set $c "w" 1 }}{{ .Values.m.w }}"#),
        "1"
    );
    assert_eq!(
        run(r#"{{ $x := merge .Values.m (dict "q" 1) }}{{ .Values.m.q }}"#),
        "1"
    );
    assert_eq!(
        run(r#"{{ $_ := set .Values.m.z "e" 5 }}{{ .Values.m }} {{ toJson .Values.m.z }}"#),
        r#"map[x:1 y:two z:map[deep:d e:5]] {"deep":"d","e":5}"#
    );
    assert_eq!(
        run(r#"{{ $_ := unset .Values.m "x" }}{{ keys .Values.m | sortAlpha }}"#),
        "[y z]"
    );
}

#[test]
fn deep_copies_are_independent_of_their_source() {
    assert_eq!(
        run(
            r#"{{ $c := deepCopy .Values.m }}{{ $_ := set $c "x" 9 }}{{ .Values.m.x }} {{ $c.x }}"#
        ),
        "1 9"
    );
    assert_eq!(
        run(r#"{{ $_ := mergeOverwrite (deepCopy .Values.m) (dict "x" 5) }}{{ .Values.m.x }}"#),
        "1"
    );
    assert_eq!(
        run(
            r#"{{ $c := deepCopy .Values.m }}{{ $_ := set $c.z "deep" "changed" }}{{ .Values.m.z.deep }}"#
        ),
        "d"
    );
}

#[test]
fn mutations_persist_across_renders_of_one_set_until_reset() {
    let mut set = TemplateSet::new();
    set.add("c/templates/a.yaml", r#"{{ $_ := set .Values "k" "v" }}"#)
        .unwrap();
    set.add("c/templates/b.yaml", r#"[{{ .Values.k }}]"#)
        .unwrap();
    let mut data = Map::new();
    data.insert("Values".into(), Value::map(Map::new()));
    let data = Value::map(data);
    assert_eq!(set.render("c/templates/b.yaml", &data).unwrap(), "[]");
    set.render("c/templates/a.yaml", &data).unwrap();
    assert_eq!(set.render("c/templates/b.yaml", &data).unwrap(), "[v]");
    set.reset();
    assert_eq!(set.render("c/templates/b.yaml", &data).unwrap(), "[]");
}

#[test]
fn step_budget_ends_a_runaway_template() {
    let mut set = TemplateSet::with_limits(Limits::default().with_max_steps(10_000));
    set.add("t", "{{ range 1000000000 }}x{{ end }}").unwrap();
    let err = set.render("t", &Value::Nil).unwrap_err().to_string();
    assert!(
        err.contains("execution budget exceeded: more than 10000 steps"),
        "{err}"
    );
}

#[test]
fn output_cap_ends_a_template_that_writes_too_much() {
    let mut set = TemplateSet::with_limits(Limits::default().with_max_output(1000));
    set.add("t", "{{ range 100000 }}0123456789{{ end }}")
        .unwrap();
    let err = set.render("t", &Value::Nil).unwrap_err().to_string();
    assert!(
        err.contains("output limit exceeded: more than 1000 bytes"),
        "{err}"
    );
}

#[test]
fn mutual_recursion_ends_at_the_depth_limit_without_overflowing_the_stack() {
    // Alternating names escape Helm's per-name limit; the total depth limit catches them.
    let mut set = TemplateSet::new();
    set.add(
        "t",
        r#"{{ define "p" }}{{ template "q" . }}{{ end }}{{ define "q" }}{{ template "p" . }}{{ end }}{{ template "p" . }}"#,
    )
    .unwrap();
    // A small thread stack, like a test harness or a tokio worker.
    let err = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || set.render("t", &Value::Nil).unwrap_err().to_string())
        .unwrap()
        .join()
        .unwrap();
    assert!(
        err.contains("exceeded maximum template depth (10000)"),
        "{}",
        &err[..err.len().min(300)]
    );
}

#[test]
fn deeply_nested_input_is_a_parse_error_not_a_crash() {
    let deep = format!("{{{{ {}1{} }}}}", "(".repeat(20_000), ")".repeat(20_000));
    let mut set = TemplateSet::new();
    let err = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || set.add("t", &deep).unwrap_err().to_string())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(err, "parse error at (t:1): max expression depth exceeded");
    let nested_ifs = format!(
        "{}x{}",
        "{{ if 1 }}".repeat(20_000),
        "{{ end }}".repeat(20_000)
    );
    let mut set = TemplateSet::new();
    let err = std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(move || set.add("t", &nested_ifs).unwrap_err().to_string())
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(err, "parse error at (t:1): max expression depth exceeded");
}

/// Renders `text` as the one template of a chart that also holds `files`, checks it against a
/// real helm when there is one, and returns ours.
fn ours_checked_against_helm(name: &str, text: &str, files: &[(&str, &str)]) -> String {
    match crate::differential::helm_binary() {
        Some(helm) => {
            let (ours, theirs) = crate::yaml_scalars::ours_and_helms_with(&helm, name, text, files);
            assert_eq!(ours, theirs, "helm renders {name} otherwise");
            ours
        }
        None => {
            let base = crate::one_template_chart(name, name, "t.yaml", text);
            for (path, content) in files {
                std::fs::write(base.join(name).join(path), content).expect("write chart file");
            }
            let ours = crate::conformance::render_cmd(
                &base,
                &crate::conformance::parse_cmd(&format!("helm template rel {name}")),
            )
            .expect("renders");
            let _ = std::fs::remove_dir_all(&base);
            ours
        }
    }
}

/// Helm's `common.Values` has methods (`YAML`, `AsMap`, `Table`, `PathValue`, `Encode`), which
/// a template reaches as fields of `$`, `.Values` or `.Template` and which hide a value of the
/// same name, as in Go; a plain map inside has none.
#[test]
fn common_values_methods_are_reachable_as_in_go() {
    let text = r#"yaml: {{ .Values.YAML | quote }}
asMap: {{ .Values.AsMap | typeOf }} {{ .Values.AsMap.YAML }} {{ .Template.AsMap }}
table: {{ .Values.Table "a.b" }} {{ .Values.Table "a.b" | typeOf }} {{ "a" | .Values.Table | keys | sortAlpha }}
nested: {{ (.Values.Table "a").Table "b" | toJson | quote }}
nestedYaml: {{ (.Values.Table "a").YAML | quote }}
pathValue: d={{ .Values.PathValue "a.b.d" }} {{ .Values.PathValue "a.b.c" | typeOf }} {{ .Values.PathValue "YAML" }}
plain: {{ .Values.a.YAML | typeOf }}
set: {{ $_ := set .Values.a "new" (dict "k" 1) }}{{ .Values.Table "a.new" }}
"#;
    let values = "a:\n  b:\n    c: 1\n    d: [1, 2]\n  s: str\nYAML: shadowed\n";
    let ours = ours_checked_against_helm("values-methods", text, &[("values.yaml", values)]);
    let body = ours.split_once("t.yaml\n").map_or("", |(_, b)| b);
    assert_eq!(
        body,
        r#"yaml: "YAML: shadowed\na:\n  b:\n    c: 1\n    d:\n    - 1\n    - 2\n  s: str\n"
asMap: map[string]interface {} shadowed map[BasePath:values-methods/templates Name:values-methods/templates/t.yaml]
table: map[c:1 d:[1 2]] common.Values [b s]
nested: "{\"c\":1,\"d\":[1,2]}"
nestedYaml: "b:\n  c: 1\n  d:\n  - 1\n  - 2\ns: str\n"
pathValue: d=[1 2] float64 shadowed
plain: <nil>
set: map[k:1]
"#
    );
}

/// `.Chart.Annotations` is a `map[string]string`, nil when Chart.yaml has none: it prints and
/// indexes as an empty map, and encodes as `null`.
#[test]
fn chart_annotations_are_a_nil_string_map_when_absent() {
    let text = r#"a: {{ toJson .Chart.Annotations }} {{ .Chart.Annotations }} {{ typeOf .Chart.Annotations }} {{ len .Chart.Annotations }} {{ index .Chart.Annotations "x" | quote }}
b: {{ toJson .Chart | sha256sum }} {{ toYaml .Chart | sha256sum }}
"#;
    let ours = ours_checked_against_helm("annotations-nil", text, &[]);
    assert!(
        ours.contains(r#"a: null map[] map[string]string 0 """#),
        "{ours}"
    );
}

/// `toJson` writes a struct's fields in its declaration order (`.Capabilities`, its
/// `KubeVersion` and `HelmVersion`), where `toYaml` sorts them; `deepCopy` keeps an object's
/// type and drops its unexported fields (a `KubeVersion`'s normalised version, everything of a
/// `semver.Version`), as copystructure does.
#[test]
fn structs_encode_in_field_order_and_copy_as_copystructure_does() {
    let text = r#"kube: {{ toJson .Capabilities.KubeVersion | quote }}
helm: {{ toRawJson .Capabilities.HelmVersion | quote }}
caps: {{ toJson .Capabilities | trunc 25 | quote }}
capsEnd: {{ toJson .Capabilities | trunc -120 | quote }}
yaml: {{ toYaml .Capabilities.KubeVersion | quote }}
copy: {{ deepCopy .Capabilities.KubeVersion | typeOf }} {{ deepCopy .Capabilities.KubeVersion }} {{ (deepCopy .Capabilities).KubeVersion }}
copies: {{ (deepCopy .Capabilities.APIVersions).Has "v1" }} {{ deepCopy (semver "1.2.3") }} {{ deepCopy .Files | typeOf }}
copyJson: {{ deepCopy .Capabilities.KubeVersion | toJson | quote }}
"#;
    let ours = ours_checked_against_helm("struct-json", text, &[]);
    let body = ours.split_once("t.yaml\n").map_or("", |(_, b)| b);
    assert_eq!(
        body,
        r#"kube: "{\"Version\":\"v1.37.0\",\"Major\":\"1\",\"Minor\":\"37\"}"
helm: "{\"version\":\"v4.3.1\",\"git_commit\":\"c0d08d0d6d9424d4a14febb5e8a3e51b0dd00dff\",\"git_tree_state\":\"clean\",\"go_version\":\"go1.27.2\",\"kube_client_version\":\"v1.37\"}"
caps: "{\"KubeVersion\":{\"Version\""
capsEnd: "d08d0d6d9424d4a14febb5e8a3e51b0dd00dff\",\"git_tree_state\":\"clean\",\"go_version\":\"go1.27.2\",\"kube_client_version\":\"v1.37\"}}"
yaml: "Major: \"1\"\nMinor: \"37\"\nVersion: v1.37.0"
copy: common.KubeVersion {v1.37.0  1 37} v1.37.0
copies: true 0.0.0 engine.files
copyJson: "{\"Version\":\"v1.37.0\",\"Major\":\"1\",\"Minor\":\"37\"}"
"#
    );
}

/// Sprig's typed slices: `until` is a `[]int`, `splitList`, `keys`, `sortAlpha`, `toStrings`,
/// the regexp lists and `.Files.Lines` are `[]string`, `chunk` a `[][]interface {}`; `slice`
/// and `deepCopy` keep the type, the functions that build a new list give `[]interface {}`,
/// deep equality tells them apart, and ranging over a `[]int` gives `int`s.
#[test]
fn sprig_returns_typed_slices() {
    let text = r#"a: T {{ typeOf (until 2) }} {{ typeOf (untilStep 0 4 2) }} {{ typeOf (splitList "," "a") }} {{ typeOf (keys (dict "a" 1)) }} {{ typeOf (sortAlpha (list 2 1)) }} {{ typeOf (toStrings (list 1)) }}
b: T {{ typeOf (regexFindAll "a" "aa" -1) }} {{ typeOf (regexFindAll "z" "aa" -1) }} {{ typeOf (regexSplit "a" "bab" -1) }} {{ typeOf (regexSplit "a" "bab" 0) }} {{ typeOf (.Files.Lines "x") }} {{ typeOf (chunk 1 (list 1)) }} {{ typeOf (first (chunk 1 (list 1))) }}
c: T {{ typeOf (slice (until 3) 1) }} {{ typeOf (deepCopy (until 3)) }} {{ typeOf (rest (until 3)) }} {{ typeOf (append (splitList "," "a") 1) }} {{ deepEqual (until 2) (list 0 1) }} {{ deepEqual (until 2) (until 2) }}
d: {{ printf "%T %v %#v %#v" (until 2) (until 2) (splitList "," "a,b") (chunk 1 (list 1 nil)) | quote }}
e: T {{ typeIsLike "[]int" (until 1) }} {{ kindOf (until 1) }} {{ has 1 (until 2) }} {{ until 3 }} {{ toJson (splitList "," "a,b") }} {{ range (until 2) }}{{ typeOf . }}{{ end }}
"#;
    let ours = ours_checked_against_helm("typed-slices", text, &[]);
    let body = ours.split_once("t.yaml\n").map_or("", |(_, b)| b);
    assert_eq!(
        body,
        r#"a: T []int []int []string []string []string []string
b: T []string []string []string []string []string [][]interface {} []interface {}
c: T []int []int []interface {} []interface {} false true
d: "[]int [0 1] []string{\"a\", \"b\"} [][]interface {}{[]interface {}{1}, []interface {}{interface {}(nil)}}"
e: T true slice true [0 1 2] ["a","b"] intint
"#
    );
}

/// `split` and `splitn` give Sprig's `map[string]string` (which the dict functions refuse, as
/// in Go), and `%#v` names a map or slice by its Go type, a nil map as `(nil)`.
#[test]
fn split_is_a_string_map_and_sharp_v_names_types() {
    let text = r#"a: |-
  {{ typeOf (split "," "a,b") }} {{ (split "," "a,b")._1 }} {{ (split "," "a,b")._5 | quote }} {{ split "," "a,b" }} {{ index (split "," "a,b") "_0" }} {{ len (split "," "a,b") }} {{ toJson (split "," "a,b") }} {{ splitn "," 2 "a,b,c" }}
b: |-
  {{ range $k, $v := split "," "x,y" }}{{ $k }}={{ $v }} {{ end }} {{ printf "%v %#v" (split ":" "i:t") (split ":" "i:t") | quote }} {{ toYaml (split ":" "i:t") | quote }} {{ empty (split "," "") }} {{ kindOf (split "," "a") }}
c: |-
  {{ (split ":" "nginx:1.2")._0 | upper }} {{ eq (split "," "a")._0 "a" }} {{ deepCopy (split "," "a") | typeOf }} {{ typeOf (index (split "," "a") "_9") }}
d: |-
  {{ printf "%#v" .Values }} {{ printf "%#v" .Capabilities.APIVersions | trunc 40 }} {{ printf "%#v" .Chart.Annotations }} {{ printf "%#v" (dict "a" (list 1)) }}
"#;
    let ours = ours_checked_against_helm("split-map", text, &[("values.yaml", "a: 1\n")]);
    let body = ours.split_once("t.yaml\n").map_or("", |(_, b)| b);
    assert_eq!(
        body,
        r#"a: |-
  map[string]string b "" map[_0:a _1:b] a 2 {"_0":"a","_1":"b"} map[_0:a _1:b,c]
b: |-
  _0=x _1=y  "map[_0:i _1:t] map[string]string{\"_0\":\"i\", \"_1\":\"t\"}" "_0: i\n_1: t" false map
c: |-
  NGINX true map[string]string string
d: |-
  common.Values{"a":1} common.VersionSet{"v1", "admissionregist map[string]string(nil) map[string]interface {}{"a":[]interface {}{1}}
"#
    );
}
