//! What `kokumi template` writes to stderr, line for line what helm 4.3.1 writes: the values
//! warnings helm logs as they arise (before the `Error:` of a render that then fails), the
//! failure it logs itself, and its words for a CHART that is not a local path. Pinned, and
//! compared with a real helm whose configuration is an empty directory (so no chart
//! repositories).

use std::path::Path;

use crate::support::Project;

/// A chart `top` with a subchart `sub`, whose template fails when `.Values.fail` is set.
fn write_charts(p: &Project) {
    p.write(
        "top/Chart.yaml",
        "apiVersion: v2\nname: top\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n",
    );
    p.write("top/values.yaml", "c: 2\nglobal:\n  h: 2\nsub:\n  s: 1\n");
    p.write(
        "top/templates/cm.yaml",
        "{{ if .Values.fail }}{{ fail \"stop\" }}{{ end }}c: {{ toJson .Values.c }}\n",
    );
    p.write(
        "top/charts/sub/Chart.yaml",
        "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
    );
    p.write("top/charts/sub/values.yaml", "s: 3\n");
    p.write(
        "top/charts/sub/templates/cm.yaml",
        "s: {{ toJson .Values.s }}\n",
    );
}

const SKIPPED: &str = "level=INFO msg=\"warning: skipped value for top.c: Not a table.\"\n";
const FAILED: &str = "Error: execution error at (top/templates/cm.yaml:1:24): stop\n\nUse --debug flag to render out invalid YAML\n";

/// (arguments, exit status 0, stderr) as helm 4.3.1 gives them.
fn cases() -> Vec<(Vec<&'static str>, bool, String)> {
    vec![
        // Coalescing warnings on a render that succeeds (helm coalesces twice, so twice).
        (
            vec!["rel", "top", "--set", "c.d=1"],
            true,
            SKIPPED.repeat(2),
        ),
        // ... and on one that then fails: the warnings come first.
        (
            vec!["rel", "top", "--set", "c.d=1", "--set", "fail=1"],
            false,
            format!("{}{FAILED}", SKIPPED.repeat(2)),
        ),
        // Globals, quoted as Go quotes (`%q` inside a quoted message).
        (
            vec!["rel", "top", "--set", "global.h.k=1"],
            true,
            [
                "level=INFO msg=\"warning: destination for top.global.h is a table. Ignoring non-table value (2)\"\n",
                "level=INFO msg=\"warning: destination for top.global.h is a table. Ignoring non-table value (2)\"\n",
                "level=INFO msg=\"Conflict: cannot merge map onto non-map for \\\"h\\\". Skipping.\"\n",
            ]
            .concat(),
        ),
        // helm logs this failure before it returns it.
        (
            vec!["rel", "top", "--set", "sub=3"],
            false,
            "level=ERROR msg=\"chart dependencies processing failed\" error=\"type mismatch on sub: %!t(int64=3)\"\nError: chart dependencies processing failed: type mismatch on sub: %!t(int64=3)\n".into(),
        ),
        // A CHART that is not a local path: helm would look in its chart repositories.
        (
            vec!["rel", "nochart"],
            false,
            "Error: non-absolute URLs should be in form of repo_name/path_to_chart, got: nochart\n"
                .into(),
        ),
        (
            vec!["rel", "stable/nochart"],
            false,
            "Error: repo stable not found\n".into(),
        ),
        (
            vec!["rel", "./nochart"],
            false,
            "Error: path \"./nochart\" not found\n".into(),
        ),
    ]
}

/// Runs `bin template ARGS` in `dir`; (success, stdout, stderr).
fn template(bin: &Path, dir: &Path, args: &[&str]) -> (bool, String, String) {
    let config = dir.join(".helm-home");
    let out = std::process::Command::new(bin)
        .arg("template")
        .args(args)
        .current_dir(dir)
        .env("HELM_CACHE_HOME", config.join("cache"))
        .env("HELM_CONFIG_HOME", config.join("config"))
        .env("HELM_DATA_HOME", config.join("data"))
        .env("HOME", &config)
        .output()
        .expect("running the command");
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn stderr_is_what_helm_writes() {
    let p = Project::new();
    write_charts(&p);
    let kokumi = assert_cmd::cargo::cargo_bin("kokumi");
    let helm = crate::oci::helm();
    for (args, ok, stderr) in cases() {
        let (our_ok, our_out, our_err) = template(&kokumi, p.dir.path(), &args);
        assert_eq!(
            (our_ok, our_err.as_str()),
            (ok, stderr.as_str()),
            "{args:?}"
        );
        if let Some(helm) = &helm {
            let (helm_ok, helm_out, helm_err) = template(helm, p.dir.path(), &args);
            assert_eq!((our_ok, &our_err), (helm_ok, &helm_err), "{args:?}: helm");
            assert_eq!(our_out, helm_out, "{args:?}: stdout");
        }
    }
}
