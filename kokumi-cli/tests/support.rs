//! A throw-away project directory with the example chart, and a way to run commands in it.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kokumi_cli::local::{Context, TickingClock, run_line};

/// 2026-01-01T00:00:00Z.
pub(crate) const START: i64 = 1_767_225_600;

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// A project directory and the context commands run with.
pub(crate) struct Project {
    /// The directory.
    pub(crate) dir: tempfile::TempDir,
    /// The command context.
    pub(crate) ctx: Context,
}

impl Project {
    /// A directory holding `charts/hello` (the example chart) and an empty state.
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &workspace().join("examples/charts/hello"),
            &dir.path().join("charts/hello"),
        );
        let mut ctx = Context::new(dir.path().join(".kokumi"), dir.path().to_path_buf());
        ctx.clock = Arc::new(TickingClock::new(START));
        Self { dir, ctx }
    }

    /// A path in the project.
    pub(crate) fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Writes a file.
    pub(crate) fn write(&self, rel: &str, content: &str) {
        let path = self.path(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    /// Reads a file.
    pub(crate) fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap()
    }

    /// Runs a command; returns (exit code, stdout, stderr).
    pub(crate) fn run(&self, args: &[&str]) -> (u8, String, String) {
        run_line(&self.ctx, args)
    }

    /// Runs a command that must succeed; returns stdout.
    pub(crate) fn ok(&self, args: &[&str]) -> String {
        let (code, out, err) = self.run(args);
        assert_eq!(
            code, 0,
            "kokumi {args:?} failed:\nstdout:\n{out}\nstderr:\n{err}"
        );
        out
    }

    /// Runs a command that must fail with `code`; returns stderr.
    pub(crate) fn fails(&self, code: u8, args: &[&str]) -> String {
        let (got, out, err) = self.run(args);
        assert_eq!(
            got, code,
            "kokumi {args:?}: expected exit {code}:\nstdout:\n{out}\nstderr:\n{err}"
        );
        err
    }

    /// Every file of the state directory (relative path → content), to prove nothing changed.
    pub(crate) fn state_files(&self) -> std::collections::BTreeMap<String, Vec<u8>> {
        let mut out = std::collections::BTreeMap::new();
        let root = self.path(".kokumi");
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            let Ok(entries) = fs::read_dir(&dir) else {
                continue;
            };
            for e in entries {
                let e = e.unwrap();
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if p.file_name().unwrap() != "lock" {
                    let rel = p.strip_prefix(&root).unwrap().display().to_string();
                    out.insert(rel, fs::read(&p).unwrap());
                }
            }
        }
        out
    }
}

/// An Order for the example chart (path relative to the Order file in the project root).
pub(crate) fn order(name: &str, message: &str, auto_deploy: &str) -> String {
    // The chart names objects after the release, adding `-hello` unless the name has it.
    let object = if name.contains("hello") {
        name.to_owned()
    } else {
        format!("{name}-hello")
    };
    format!(
        r#"apiVersion: delivery.kokumi.dev/v1alpha1
kind: Order
metadata:
  name: {name}
spec:
  source:
    oci: charts/hello
    version: "0.1.0"
  render:
    helm:
      values:
        greeting:
          message: "{message}"
  patches:
    - target:
        kind: Deployment
        name: {object}
      set:
        .spec.replicas: "2"
  autoDeploy: {auto_deploy}
"#
    )
}

/// Replaces digests and 12-hex Preparation suffixes with numbered placeholders (in order of
/// first appearance), so snapshots survive format changes but still tell digests apart.
pub(crate) fn redact(text: &str) -> String {
    let mut seen: Vec<String> = Vec::new();
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    let is_hex = |b: u8| b.is_ascii_digit() || (b'a'..=b'f').contains(&b);
    while i < bytes.len() {
        // A run of lowercase hex of length 64 or 12, not part of a longer word.
        if is_hex(bytes[i]) && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()) {
            let mut j = i;
            while j < bytes.len() && is_hex(bytes[j]) {
                j += 1;
            }
            let run = &text[i..j];
            let bounded = j == bytes.len() || !bytes[j].is_ascii_alphanumeric();
            if bounded
                && (run.len() == 64 || run.len() == 12)
                && run.bytes().any(|b| b.is_ascii_alphabetic())
            {
                let key = &run[..12];
                let n = match seen.iter().position(|s| s == key) {
                    Some(n) => n + 1,
                    None => {
                        seen.push(key.to_owned());
                        seen.len()
                    }
                };
                out.push_str(&format!(
                    "<{}#{n}>",
                    if run.len() == 64 { "digest" } else { "hash" }
                ));
                i = j;
                continue;
            }
            out.push_str(run);
            i = j;
            continue;
        }
        let ch = text[i..].chars().next().unwrap();
        out.push(ch);
        i += ch.len_utf8();
    }
    out
}

/// The name of the only Preparation line in `apply` output.
pub(crate) fn created_preparation(apply_out: &str) -> String {
    apply_out
        .lines()
        .find_map(|l| {
            let rest = l.strip_prefix("preparation.delivery.kokumi.dev/")?;
            Some(rest.split_whitespace().next()?.to_owned())
        })
        .unwrap_or_else(|| panic!("no preparation in:\n{apply_out}"))
}
