//! A few runs of the real binary: flags, environment, exit codes.

use assert_cmd::Command;

use crate::support::{Project, order};

fn kokumi(p: &Project) -> Command {
    let mut cmd = Command::cargo_bin("kokumi").unwrap();
    cmd.current_dir(p.dir.path())
        .env("KOKUMI_HOME", p.path("state"))
        .env("KOKUMI_NOW", "2026-01-01T00:00:00Z")
        .env_remove("NO_COLOR");
    cmd
}

#[test]
fn apply_get_promote_through_the_binary() {
    let p = Project::new();
    p.write("hello.yaml", &order("hello", "bin", "Disabled"));
    let out = kokumi(&p)
        .args(["apply", "-f", "hello.yaml"])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("preparation.delivery.kokumi.dev/hello-"),
        "{stdout}"
    );
    assert!(
        p.path("state/orders/hello.yaml").is_file(),
        "KOKUMI_HOME not used"
    );
    let prep = stdout
        .lines()
        .find_map(|l| l.strip_prefix("preparation.delivery.kokumi.dev/"))
        .and_then(|l| l.split_whitespace().next())
        .unwrap()
        .to_owned();
    kokumi(&p).args(["promote", &prep]).assert().success();
    let get = kokumi(&p).args(["get", "servings"]).assert().success();
    let text = String::from_utf8(get.get_output().stdout.clone()).unwrap();
    assert!(text.contains(&prep), "{text}");
}

#[test]
fn exit_codes_and_help() {
    let p = Project::new();
    kokumi(&p)
        .args(["describe", "order", "missing"])
        .assert()
        .code(4);
    kokumi(&p).args(["get", "nonsense"]).assert().code(2);
    kokumi(&p).args(["apply"]).assert().code(2);
    let help = kokumi(&p).arg("--help").assert().success();
    let text = String::from_utf8(help.get_output().stdout.clone()).unwrap();
    for command in [
        "apply",
        "get",
        "describe",
        "show",
        "diff",
        "promote",
        "approve",
        "rollback",
        "render",
        "menu",
        "application",
        "crds",
        "completions",
        "template",
    ] {
        assert!(
            text.contains(command),
            "{command} missing from --help:\n{text}"
        );
    }
    let bash = kokumi(&p).args(["completions", "bash"]).assert().success();
    assert!(String::from_utf8_lossy(&bash.get_output().stdout).contains("_kokumi"));
    kokumi(&p)
        .env("KOKUMI_NOW", "yesterday")
        .args(["get", "orders"])
        .assert()
        .code(2);
}

#[test]
fn the_readme_quick_start_works() {
    // `kokumi apply -f examples/orders/hello.yaml` from the workspace root, with the Recipe.
    let p = Project::new();
    let root = crate::support::workspace();
    let out = Command::cargo_bin("kokumi")
        .unwrap()
        .current_dir(&root)
        .env("KOKUMI_HOME", p.path("state"))
        .args([
            "apply",
            "-f",
            "examples/recipes/strict.yaml",
            "-f",
            "examples/orders/hello.yaml",
        ])
        .assert()
        .success();
    let stdout = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(
        stdout.contains("serving.delivery.kokumi.dev/hello created"),
        "{stdout}"
    );
}
