//! Evaluating an Order's overrides against a Menu's [`Overrides`].

use std::fmt::{self, Write as _};

use serde_json::Value;

use super::{AllowedPatch, OverridePolicy, Overrides};
use crate::patch::{
    FieldPath, Patch, PatchOperation, PatchTarget, PathSegment, apply::PatchOrigin,
};

/// What an Order asks to override.
#[derive(Clone, Copy, Debug, Default)]
pub struct OrderOverrides<'a> {
    /// The Order's Helm values (`spec.render.helm.values`).
    pub values: Option<&'a Value>,
    /// The Order's `spec.patches`.
    pub patches: &'a [Patch],
    /// The Order's `spec.edits` (UI edits are held to the patch policy too).
    pub edits: &'a [Patch],
}

/// Which half of the policy a violation is about.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Subject {
    /// A Helm value path.
    Values,
    /// A patch or edit.
    Patch {
        /// `spec.patches` or `spec.edits`.
        origin: PatchOrigin,
        /// Index in that list.
        index: usize,
        /// The patch's target.
        target: PatchTarget,
    },
}

/// The rule an override breaks.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rule {
    /// The policy is `None`: nothing may be overridden.
    PolicyNone,
    /// The path matches no allow-list entry (values, or paths of an allowed target).
    PathNotAllowed,
    /// The patch target matches no allow-list entry.
    TargetNotAllowed,
    /// Under `Restricted`, a patch target must name a kind and a name to be checked.
    TargetTooBroad,
    /// The path does not parse.
    InvalidPath(String),
    /// The patch has none or several operations.
    InvalidPatch,
    /// A Menu allow-list entry does not parse (the Menu must be fixed).
    InvalidAllowList(String),
}

/// One override the Menu does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Values or which patch.
    pub subject: Subject,
    /// Where in the Order (`spec.render.helm.values.ui.color`, `spec.patches[0].set[".spec.replicas"]`).
    pub location: String,
    /// The path being overridden (`ui.color`, `.spec.replicas`).
    pub path: String,
    /// The rule that is broken.
    pub rule: Rule,
    /// What would be allowed instead (allow-list entries or targets), for the report.
    pub allowed: Vec<String>,
}

/// The outcome of [`check_overrides`]: every violation, in Order order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyReport {
    /// The Menu's values policy.
    pub values_policy: OverridePolicy,
    /// The Menu's patches policy.
    pub patches_policy: OverridePolicy,
    /// All violations (empty when the Order is allowed).
    pub violations: Vec<Violation>,
}

/// An Order overrides what its Menu does not allow.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} override(s) not allowed by menu {menu:?}", self.report.violations.len())]
pub struct PolicyError {
    /// The Menu's name.
    pub menu: String,
    /// The full report; [`PolicyReport::render`] gives the text for a status message.
    pub report: PolicyReport,
}

impl PolicyReport {
    /// True when nothing is violated.
    pub fn is_allowed(&self) -> bool {
        self.violations.is_empty()
    }

    /// `Ok` when allowed, otherwise a [`PolicyError`] carrying this report.
    pub fn into_result(self, menu: &str) -> Result<(), PolicyError> {
        if self.is_allowed() {
            Ok(())
        } else {
            Err(PolicyError {
                menu: menu.to_owned(),
                report: self,
            })
        }
    }

    /// The report as text, like a compiler diagnostic. `menu` names the Menu in the summary.
    pub fn render(&self, menu: &str) -> String {
        let mut out = String::new();
        if self.violations.is_empty() {
            let _ = writeln!(
                out,
                "ok: all overrides are allowed by Menu {menu:?} (values: {:?}, patches: {:?})",
                self.values_policy, self.patches_policy
            );
            return out;
        }
        for v in &self.violations {
            let (area, policy) = match v.subject {
                Subject::Values => ("values", self.values_policy),
                Subject::Patch { .. } => ("patches", self.patches_policy),
            };
            let _ = writeln!(out, "error[{area}]: {}", headline(v, policy));
            let _ = writeln!(out, "  --> {}", v.location);
            if let Subject::Patch { target, .. } = &v.subject {
                let _ = writeln!(out, "   = target: {target}");
            }
            match &v.rule {
                Rule::PolicyNone => {
                    let _ = writeln!(
                        out,
                        "   = help: Menu {menu:?} does not allow {} overrides",
                        if area == "values" { "value" } else { "patch" }
                    );
                }
                Rule::InvalidPath(msg) | Rule::InvalidAllowList(msg) => {
                    let _ = writeln!(out, "   = note: {msg}");
                }
                _ => {}
            }
            if !v.allowed.is_empty() {
                let label = match v.rule {
                    Rule::TargetNotAllowed | Rule::TargetTooBroad => "allowed targets",
                    _ => "allowed paths",
                };
                let _ = writeln!(out, "   = {label}: {}", v.allowed.join(", "));
            }
            out.push('\n');
        }
        let n = self.violations.len();
        let _ = writeln!(
            out,
            "error: {n} override{} not allowed by Menu {menu:?} (values: {:?}, patches: {:?})",
            if n == 1 { " is" } else { "s are" },
            self.values_policy,
            self.patches_policy
        );
        out
    }
}

fn headline(v: &Violation, policy: OverridePolicy) -> String {
    match &v.rule {
        Rule::PolicyNone => format!(
            "`{}` cannot be overridden: the policy is {policy:?}",
            v.path
        ),
        Rule::PathNotAllowed => match v.subject {
            Subject::Values => format!("`{}` is not in the values allow-list", v.path),
            Subject::Patch { .. } => {
                format!("`{}` is not an allowed path for this target", v.path)
            }
        },
        Rule::TargetNotAllowed => "the patch target is not in the allow-list".to_owned(),
        Rule::TargetTooBroad => {
            "the patch target must name a kind and a name when the policy is Restricted".to_owned()
        }
        Rule::InvalidPath(_) => format!("`{}` is not a valid path", v.path),
        Rule::InvalidPatch => {
            "the patch must have exactly one of set, jsonPatch or mergePatch".to_owned()
        }
        Rule::InvalidAllowList(_) => {
            format!("the Menu's allow-list entry `{}` is invalid", v.path)
        }
    }
}

impl fmt::Display for PolicyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render("menu"))
    }
}

/// A compiled allow-list pattern; it allows the path it names and everything below it.
struct Pattern {
    path: FieldPath,
}

impl Pattern {
    fn compile(source: &str) -> Result<Self, String> {
        let mut path = FieldPath::parse_pattern(source).map_err(|e| e.to_string())?;
        if path.segments().last() != Some(&PathSegment::Rest) {
            path = path.child(PathSegment::Rest);
        }
        Ok(Self { path })
    }

    fn allows(&self, path: &FieldPath) -> bool {
        self.path.matches(path)
    }
}

fn compile_all(
    sources: &[String],
    subject: &Subject,
    violations: &mut Vec<Violation>,
    location: &str,
) -> Vec<Pattern> {
    let mut out = Vec::new();
    for s in sources {
        match Pattern::compile(s) {
            Ok(p) => out.push(p),
            Err(msg) => violations.push(Violation {
                subject: subject.clone(),
                location: location.to_owned(),
                path: s.clone(),
                rule: Rule::InvalidAllowList(msg),
                allowed: Vec::new(),
            }),
        }
    }
    out
}

/// Every leaf an override touches: maps are walked, empty maps touch nothing, everything else
/// (scalars, `null` deletions, lists and their items) is a leaf. Lists are walked into so that
/// `[*]` patterns can allow list items; an empty list is a leaf itself.
fn leaves(value: &Value, prefix: &FieldPath, out: &mut Vec<FieldPath>) {
    match value {
        Value::Object(m) => {
            for (k, v) in m {
                leaves(v, &prefix.child(PathSegment::Key(k.clone())), out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, &prefix.child(PathSegment::Index(i)), out);
            }
        }
        _ => out.push(prefix.clone()),
    }
}

/// A JSON Pointer as a field path (numeric segments become indexes; `-` becomes an index past
/// any real one).
fn pointer_path(pointer: &str) -> Result<FieldPath, String> {
    if pointer.is_empty() {
        return Ok(FieldPath::root());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(format!("JSON pointer {pointer:?} must start with '/'"));
    };
    let segments = rest
        .split('/')
        .map(|raw| {
            let key = raw.replace("~1", "/").replace("~0", "~");
            if key == "-" {
                PathSegment::Index(usize::MAX)
            } else if !key.is_empty()
                && key.chars().all(|c| c.is_ascii_digit())
                && (key == "0" || !key.starts_with('0'))
            {
                key.parse()
                    .map(PathSegment::Index)
                    .unwrap_or(PathSegment::Key(key))
            } else {
                PathSegment::Key(key)
            }
        })
        .collect();
    Ok(FieldPath::from_segments(segments))
}

/// The same path with every index read as a map key (a pointer's `/0` may be either).
fn indexes_as_keys(path: &FieldPath) -> FieldPath {
    FieldPath::from_segments(
        path.segments()
            .iter()
            .map(|s| match s {
                PathSegment::Index(i) => PathSegment::Key(i.to_string()),
                other => other.clone(),
            })
            .collect(),
    )
}

/// One path a patch changes.
struct Touched {
    location: String,
    path: Result<FieldPath, String>,
    display: String,
}

fn touched_paths(patch: &Patch, base: &str) -> Option<Vec<Touched>> {
    let mut out = Vec::new();
    match patch.operation()? {
        PatchOperation::Set(entries) => {
            for path in entries.keys() {
                out.push(Touched {
                    location: format!("{base}.set[{path:?}]"),
                    path: FieldPath::parse(path).map_err(|e| e.to_string()),
                    display: path.clone(),
                });
            }
        }
        PatchOperation::JsonPatch(ops) => {
            for (j, op) in ops.iter().enumerate() {
                let name = serde_json::to_value(op.op)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default();
                if name == "test" {
                    continue;
                }
                out.push(Touched {
                    location: format!("{base}.jsonPatch[{j}] ({name} {})", op.path),
                    path: pointer_path(&op.path),
                    display: op.path.clone(),
                });
                if name == "move"
                    && let Some(from) = &op.from
                {
                    out.push(Touched {
                        location: format!("{base}.jsonPatch[{j}] (move from {from})"),
                        path: pointer_path(from),
                        display: from.clone(),
                    });
                }
            }
        }
        PatchOperation::MergePatch(mp) => {
            let mut paths = Vec::new();
            leaves(mp, &FieldPath::root(), &mut paths);
            for p in paths {
                out.push(Touched {
                    location: format!("{base}.mergePatch{p}"),
                    display: p.to_string(),
                    path: Ok(p),
                });
            }
        }
    }
    Some(out)
}

fn target_allows(allowed: &AllowedPatch, target: &PatchTarget) -> bool {
    let a = &allowed.target;
    target.kind.as_deref() == Some(a.kind.as_str())
        && (a.name == "*" || target.name.as_deref() == Some(a.name.as_str()))
        && a.namespace
            .as_ref()
            .is_none_or(|ns| target.namespace.as_deref() == Some(ns.as_str()))
}

fn describe_allowed(a: &AllowedPatch) -> String {
    match &a.target.namespace {
        Some(ns) => format!("{}/{} in {ns}", a.target.kind, a.target.name),
        None => format!("{}/{}", a.target.kind, a.target.name),
    }
}

/// Checks an Order's overrides against a Menu's policy and returns every violation.
pub fn check_overrides(overrides: &Overrides, order: OrderOverrides<'_>) -> PolicyReport {
    let mut violations = Vec::new();
    check_values(overrides, order.values, &mut violations);
    for (origin, list) in [
        (PatchOrigin::Order, order.patches),
        (PatchOrigin::Edit, order.edits),
    ] {
        for (index, patch) in list.iter().enumerate() {
            check_patch(overrides, origin, index, patch, &mut violations);
        }
    }
    PolicyReport {
        values_policy: overrides.values.policy,
        patches_policy: overrides.patches.policy,
        violations,
    }
}

fn check_values(overrides: &Overrides, values: Option<&Value>, violations: &mut Vec<Violation>) {
    let policy = overrides.values.policy;
    let Some(values) = values else { return };
    if policy == OverridePolicy::All {
        return;
    }
    let mut paths = Vec::new();
    match values {
        Value::Object(_) => leaves(values, &FieldPath::root(), &mut paths),
        Value::Null => {}
        _ => paths.push(FieldPath::root()),
    }
    let patterns = if policy == OverridePolicy::Restricted {
        compile_all(
            &overrides.values.allowed,
            &Subject::Values,
            violations,
            "menu spec.overrides.values.allowed",
        )
    } else {
        Vec::new()
    };
    for path in paths {
        let rule = match policy {
            OverridePolicy::None => Rule::PolicyNone,
            _ if patterns.iter().any(|p| p.allows(&path)) => continue,
            _ => Rule::PathNotAllowed,
        };
        let dotted = path.to_dotted();
        let (dotted, location) = if path.is_empty() {
            (
                "(all values)".to_owned(),
                "spec.render.helm.values".to_owned(),
            )
        } else {
            let location = format!("spec.render.helm.values.{dotted}");
            (dotted, location)
        };
        violations.push(Violation {
            subject: Subject::Values,
            location,
            path: dotted,
            rule,
            allowed: match policy {
                OverridePolicy::Restricted => overrides.values.allowed.clone(),
                _ => Vec::new(),
            },
        });
    }
}

fn check_patch(
    overrides: &Overrides,
    origin: PatchOrigin,
    index: usize,
    patch: &Patch,
    violations: &mut Vec<Violation>,
) {
    let policy = overrides.patches.policy;
    if policy == OverridePolicy::All {
        return;
    }
    let list = match origin {
        PatchOrigin::Edit => "spec.edits",
        _ => "spec.patches",
    };
    let base = format!("{list}[{index}]");
    let subject = Subject::Patch {
        origin,
        index,
        target: patch.target.clone(),
    };
    let violation = |location: String, path: String, rule: Rule, allowed: Vec<String>| Violation {
        subject: subject.clone(),
        location,
        path,
        rule,
        allowed,
    };
    let Some(touched) = touched_paths(patch, &base) else {
        violations.push(violation(
            base,
            String::new(),
            Rule::InvalidPatch,
            Vec::new(),
        ));
        return;
    };
    if policy == OverridePolicy::None {
        for t in touched {
            violations.push(violation(
                t.location,
                t.display,
                Rule::PolicyNone,
                Vec::new(),
            ));
        }
        return;
    }
    // Restricted.
    let all_targets: Vec<String> = overrides
        .patches
        .allowed
        .iter()
        .map(describe_allowed)
        .collect();
    if patch.target.kind.is_none() || patch.target.name.is_none() {
        violations.push(violation(
            format!("{base}.target"),
            patch.target.to_string(),
            Rule::TargetTooBroad,
            all_targets,
        ));
        return;
    }
    let entries: Vec<&AllowedPatch> = overrides
        .patches
        .allowed
        .iter()
        .filter(|a| target_allows(a, &patch.target))
        .collect();
    if entries.is_empty() {
        violations.push(violation(
            format!("{base}.target"),
            patch.target.to_string(),
            Rule::TargetNotAllowed,
            all_targets,
        ));
        return;
    }
    let mut patterns = Vec::new();
    let mut allowed_paths = Vec::new();
    for entry in &entries {
        patterns.extend(compile_all(
            &entry.paths,
            &subject,
            violations,
            "menu spec.overrides.patches.allowed",
        ));
        allowed_paths.extend(entry.paths.iter().cloned());
    }
    for t in touched {
        match t.path {
            Err(msg) => violations.push(violation(
                t.location,
                t.display,
                Rule::InvalidPath(msg),
                Vec::new(),
            )),
            Ok(path) => {
                let as_keys = indexes_as_keys(&path);
                if patterns
                    .iter()
                    .any(|p| p.allows(&path) || p.allows(&as_keys))
                {
                    continue;
                }
                violations.push(violation(
                    t.location,
                    t.display,
                    Rule::PathNotAllowed,
                    allowed_paths.clone(),
                ));
            }
        }
    }
}
