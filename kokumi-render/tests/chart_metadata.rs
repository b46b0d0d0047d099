//! `.Chart` as templates see it, against pins taken from helm 4.3.1 and, when a real helm is
//! available (`$KOKUMI_HELM`, else `helm` on `PATH`; required when `KOKUMI_REQUIRE_TOOLS=1`),
//! against helm itself.

use std::path::PathBuf;
use std::process::Command;

use crate::conformance::{parse_cmd, render_cmd};
use crate::differential::helm_binary;

/// A chart without annotations reads `.Chart.Annotations` as helm's nil `map[string]string`:
/// printed `map[]`, false, empty, and nothing printed for any key (bitnami's common chart reads
/// `.Chart.Annotations.images`), where a nil value failed the render. Not matched: helm's
/// missing key is the string "" (`quote` gives `""`), ours is nil (`quote` gives nothing), and
/// `toJson` gives `{}` where helm's nil map gives `null`.
const TEMPLATE: &str = "\
a: {{ .Chart.Annotations | quote }}
b: {{ if .Chart.Annotations }}yes{{ else }}no{{ end }}
c: {{ len .Chart.Annotations }}
d: \"{{ index .Chart.Annotations \"x\" }}\"
e: \"{{ .Chart.Annotations.images }}\"
";

const HELM: &str = "---
# Source: meta/templates/t.yaml
a: \"map[]\"
b: no
c: 0
d: \"\"
e: \"\"
";

fn write_chart(tag: &str) -> PathBuf {
    crate::one_template_chart(tag, "meta", "t.yaml", TEMPLATE)
}

#[test]
fn missing_annotations_read_like_helms_nil_map() {
    let base = write_chart("ours");
    let out = render_cmd(&base, &parse_cmd("helm template rel meta")).expect("renders");
    let _ = std::fs::remove_dir_all(&base);
    assert_eq!(out, HELM);
}

#[test]
fn pinned_chart_metadata_is_what_helm_prints() {
    let Some(bin) = helm_binary() else {
        return;
    };
    let base = write_chart("helm");
    let out = Command::new(&bin)
        .args(["template", "rel", "meta"])
        .current_dir(&base)
        .output()
        .expect("run helm");
    let _ = std::fs::remove_dir_all(&base);
    assert!(
        out.status.success(),
        "helm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), HELM);
}
