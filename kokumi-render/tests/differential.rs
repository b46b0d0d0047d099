//! Differential test against a real helm: every corpus chart's own `ci/*.yaml` values file is
//! rendered by helm (twice, to tell random lines apart) and by us in-process, and compared with
//! compare.py's rule.
//!
//! helm is `$KOKUMI_HELM`, else `helm` on `PATH`. Without it the test prints a notice and
//! passes, unless `KOKUMI_REQUIRE_TOOLS=1` (CI), where it fails with install instructions.
//! Fails only when a case listed in `tests/differential-baseline.txt` stops matching.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::conformance::{chart_path, compare, corpus_dir, parse_cmd, read_baseline, render_cmd};

#[allow(clippy::panic, clippy::print_stderr)]
pub(crate) fn helm_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KOKUMI_HELM") {
        return Some(PathBuf::from(p));
    }
    if Command::new("helm")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Some(PathBuf::from("helm"));
    }
    let msg = "helm is not available: set KOKUMI_HELM to a helm 4.3.1 binary \
               (install one with `bash ../shared/tools/get-helm DIR`) or put helm on PATH";
    if std::env::var("KOKUMI_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{msg}");
    }
    eprintln!("notice: {msg}; skipping the differential test");
    None
}

fn helm_template(helm: &Path, corpus: &Path, args: &[&str]) -> Result<String, String> {
    let out = Command::new(helm)
        .arg("template")
        .args(args)
        .current_dir(corpus)
        .output()
        .map_err(|e| format!("running helm: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn ci_values_match_real_helm() {
    let Some(corpus) = corpus_dir() else {
        return;
    };
    let Some(helm) = helm_binary() else {
        return;
    };
    let mut cases = Vec::new();
    let mut charts: Vec<_> = std::fs::read_dir(corpus.join("charts"))
        .expect("charts/")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .collect();
    charts.sort();
    for chart in charts {
        let Ok(dir) = std::fs::read_dir(corpus.join("charts").join(&chart).join("ci")) else {
            continue;
        };
        let mut files: Vec<_> = dir
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|f| f.ends_with(".yaml") || f.ends_with(".yml"))
            .collect();
        files.sort();
        for f in files {
            cases.push((chart.clone(), f));
        }
    }
    let baseline = read_baseline("differential-baseline.txt");
    let mut passed = Vec::new();
    let mut failures = Vec::new();
    for (chart, file) in &cases {
        let name = format!("{chart}/ci/{file}");
        let chart_arg = chart_path(&corpus, &format!("charts/{chart}"))
            .display()
            .to_string();
        let values_arg = format!("charts/{chart}/ci/{file}");
        let args = ["rel", &chart_arg, "--namespace", "ns", "-f", &values_arg];
        let first = helm_template(&helm, &corpus, &args);
        let cmd = parse_cmd(&format!("helm template {}", args.join(" ")));
        let ours = render_cmd(&corpus, &cmd);
        let result = match (&first, &ours) {
            (Ok(want), Ok(got)) => {
                let second = helm_template(&helm, &corpus, &args).ok();
                let alt = second.as_deref().filter(|s| s != want);
                compare(want, alt, false, got)
            }
            (Err(want), Err(got)) => compare(want, None, true, got),
            (Ok(_), Err(got)) => Err(format!("helm rendered, we failed: {got}")),
            (Err(want), Ok(_)) => Err(format!("helm failed ({}), we rendered", want.trim())),
        };
        match result {
            Ok(_) => passed.push(name),
            Err(why) => failures.push((name, why)),
        }
    }
    println!(
        "{}/{} ci values files identical to helm",
        passed.len(),
        cases.len()
    );
    for (name, why) in &failures {
        println!("FAIL {name}: {why}");
    }
    let newly: Vec<_> = passed.iter().filter(|p| !baseline.contains(p)).collect();
    if !newly.is_empty() {
        println!("newly passing (add to tests/differential-baseline.txt): {newly:?}");
    }
    let regressed: Vec<_> = baseline.iter().filter(|b| !passed.contains(b)).collect();
    assert!(
        regressed.is_empty(),
        "cases in the baseline no longer match helm: {regressed:?}"
    );
}
