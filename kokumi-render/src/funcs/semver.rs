//! Masterminds/semver v3 (what Sprig's `semver`/`semverCompare` and Helm's `kubeVersion` check
//! use): loose version parsing (`v1.2`, `1.21.3-gke.100`) and constraints (`>=1.21-0`, `~1.2`,
//! `^0.3`, `1.x`, `1.2 - 1.4`, `>=1 <2 || 3`), including its prerelease rule: a prerelease
//! version only satisfies an AND group whose constraints mention a prerelease.
//!
//! The `semver` crate follows Cargo's rules (different wildcard, caret and prerelease
//! semantics), so this is written against Masterminds' behaviour instead.
//!
//! ```
//! use kokumi_render::funcs::semver::{Constraints, Version};
//!
//! let c = Constraints::parse(">=1.21-0").unwrap();
//! assert!(c.check(&Version::parse("v1.30.2-eks-1234").unwrap()));
//! assert!(!Constraints::parse("<1.21").unwrap().check(&Version::parse("1.21.0").unwrap()));
//! ```

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, LazyLock, Mutex};

use regex::Regex;

use crate::value::{FuncError, Object, Value};

use super::{Param, arity, str_arg};

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

/// The constraint patterns, compiled on first use: a version alone (`Chart.yaml`'s `version`,
/// `semver`) is parsed by hand, so a chart that compares no versions never compiles them.
struct Regexes {
    constraint: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

/// Masterminds' patterns are Go RE2 syntax: read them as Go does (`\s` is ASCII white space
/// there, which also keeps the automata small and quick to build).
fn go_regex(pattern: &str) -> Option<Regex> {
    Regex::new(&super::regex::go_to_rust(pattern)).ok()
}

static RE: LazyLock<Option<Regexes>> = LazyLock::new(|| {
    Some(Regexes {
        constraint: go_regex(&format!(r"^\s*({OPS})\s*({CV})\s*$"))?,
        range: go_regex(&format!(r"\s*({CV})\s+-\s+({CV})\s*"))?,
        find: go_regex(&format!(r"({OPS})\s*({CV})"))?,
        valid: go_regex(&format!(
            r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
        ))?,
    })
});

/// Constraints already parsed in this process, by their text: charts compare against the same
/// few constraints over and over (`semverCompare ">=1.21-0" ...` in every helper).
static PARSED: Mutex<BTreeMap<String, Arc<Constraints>>> = Mutex::new(BTreeMap::new());
const PARSED_MAX: usize = 256;

/// [`Constraints::parse`] through [`PARSED`] (errors are not kept: they are reported again).
fn parse_constraints_cached(c: &str) -> Result<Arc<Constraints>, String> {
    if let Ok(m) = PARSED.lock()
        && let Some(p) = m.get(c)
    {
        return Ok(p.clone());
    }
    let parsed = Arc::new(Constraints::parse(c)?);
    if let Ok(mut m) = PARSED.lock() {
        if m.len() >= PARSED_MAX {
            m.clear();
        }
        m.insert(c.to_string(), parsed.clone());
    }
    Ok(parsed)
}

fn regexes() -> Result<&'static Regexes, String> {
    RE.as_ref()
        .ok_or_else(|| "semver: internal regex error".to_string())
}

/// A semantic version as Masterminds parses it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Prerelease (after `-`), empty if none.
    pub pre: String,
    /// Build metadata (after `+`), empty if none.
    pub metadata: String,
    /// The text it was parsed from.
    pub original: String,
}

const NUM: &str = "0123456789";
const ALLOWED: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789";

fn contains_only(s: &str, set: &str) -> bool {
    s.chars().all(|c| set.contains(c))
}

impl Version {
    /// Masterminds' `NewVersion` (coercing: `1`, `1.2`, `v1.2.3`, leading zeros allowed).
    pub fn parse(v: &str) -> Result<Version, String> {
        let Some(p) = VersionParts::split(v) else {
            return Err("invalid semantic version".into());
        };
        let seg = |s: Option<&str>| -> Result<u64, String> {
            match s {
                None => Ok(0),
                Some(s) => s
                    .parse::<u64>()
                    .map_err(|e| format!("error parsing version segment: {e}")),
            }
        };
        let pre = p.pre.to_string();
        let metadata = p.metadata.to_string();
        let ver = Version {
            major: seg(Some(p.major))?,
            minor: seg(p.minor)?,
            patch: seg(p.patch)?,
            pre,
            metadata,
            original: v.to_string(),
        };
        if !ver.pre.is_empty() {
            for p in ver.pre.split('.') {
                if contains_only(p, NUM) {
                    if p.len() > 1 && p.starts_with('0') {
                        return Err("version segment starts with 0".into());
                    }
                } else if !contains_only(p, ALLOWED) {
                    return Err("invalid prerelease string".into());
                }
            }
        }
        if !ver.metadata.is_empty() && !ver.metadata.split('.').all(|p| contains_only(p, ALLOWED)) {
            return Err("invalid metadata string".into());
        }
        Ok(ver)
    }

    /// Masterminds' `Compare`: -1, 0 or 1 (metadata ignored).
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

/// The pieces of a version as Masterminds' pattern
/// `^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$`
/// captures them. Each optional part starts with its own character (`.`, `-`, `+`), so one
/// left-to-right scan decides what the pattern matches.
struct VersionParts<'a> {
    major: &'a str,
    minor: Option<&'a str>,
    patch: Option<&'a str>,
    pre: &'a str,
    metadata: &'a str,
}

impl<'a> VersionParts<'a> {
    fn split(v: &'a str) -> Option<Self> {
        Self::split_with(v, false)
    }

    /// With `wild`, a number may also be one wildcard (`x`, `X`, `*`), as in a constraint's
    /// version (`2.x.x`); a segment mixing the two is left to the patterns (`None`).
    fn split_with(v: &'a str, wild: bool) -> Option<Self> {
        let s = v.strip_prefix('v').unwrap_or(v);
        let b = s.as_bytes();
        let run = |from: usize, ok: fn(u8) -> bool| {
            from + b[from..].iter().take_while(|&&c| ok(c)).count()
        };
        let digit = |c: u8| c.is_ascii_digit();
        let number_end = |from: usize| match b.get(from) {
            Some(b'x' | b'X' | b'*') if wild => from + 1,
            _ => run(from, digit),
        };
        let end = number_end(0);
        if end == 0 {
            return None;
        }
        let major = &s[..end];
        let mut i = end;
        let number = |i: &mut usize| -> Option<Option<&'a str>> {
            if b.get(*i) != Some(&b'.') {
                return Some(None);
            }
            let end = number_end(*i + 1);
            if end == *i + 1 {
                return None;
            }
            let n = &s[*i + 1..end];
            *i = end;
            Some(Some(n))
        };
        let minor = number(&mut i)?;
        let patch = if minor.is_some() {
            number(&mut i)?
        } else {
            None
        };
        // `[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*`: the longest run of those characters and dots,
        // which must be dot-separated non-empty identifiers (a shorter match would leave a
        // character that no later part of the pattern accepts).
        let idents = |i: &mut usize, lead: u8| -> Option<&'a str> {
            if b.get(*i) != Some(&lead) {
                return Some("");
            }
            let end = run(*i + 1, |c| {
                c.is_ascii_alphanumeric() || c == b'-' || c == b'.'
            });
            let text = &s[*i + 1..end];
            if text.is_empty() || text.split('.').any(str::is_empty) {
                return None;
            }
            *i = end;
            Some(text)
        };
        let pre = idents(&mut i, b'-')?;
        let metadata = idents(&mut i, b'+')?;
        (i == b.len()).then_some(VersionParts {
            major,
            minor,
            patch,
            pre,
            metadata,
        })
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let ap: Vec<&str> = a.split('.').collect();
    let bp: Vec<&str> = b.split('.').collect();
    for i in 0..ap.len().max(bp.len()) {
        let s = ap.get(i).copied().unwrap_or("");
        let o = bp.get(i).copied().unwrap_or("");
        let d = compare_pre_part(s, o);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(a), Ok(b)) => {
            if a > b {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Constraint {
    con: Version,
    op: Op,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

/// A parsed constraint: OR groups of AND-ed comparisons.
#[derive(Debug, Clone)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
    contains_pre: Vec<bool>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "*" | "X")
}

fn parse_one(c: &str) -> Result<Constraint, String> {
    let re = regexes()?;
    if c.is_empty() {
        return Ok(Constraint {
            con: Version::parse("0.0.0")?,
            op: Op::TildeOrEqual,
            minor_dirty: false,
            patch_dirty: false,
            dirty: true,
        });
    }
    let Some(m) = re.constraint.captures(c) else {
        return Err(format!("improper constraint: {}", crate::gofmt::quote(c)));
    };
    let g = |i: usize| m.get(i).map_or("", |x| x.as_str());
    build_constraint(g(1), g(2), g(3), g(4), g(5), g(6))
}

/// A constraint from the pieces the constraint pattern captures: the operator, the whole
/// version, its major, `.minor`, `.patch` and `-prerelease` groups.
fn build_constraint(
    op: &str,
    whole: &str,
    major: &str,
    minor: &str,
    patch: &str,
    pre: &str,
) -> Result<Constraint, String> {
    let g = |i: usize| match i {
        2 => whole,
        3 => major,
        4 => minor,
        5 => patch,
        _ => pre,
    };
    let op = match op {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
    let ver = if is_x(g(3)) || g(3).is_empty() {
        dirty = true;
        format!("0.0.0{}", g(6))
    } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        format!("{}.0.0{}", g(3), g(6))
    } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        format!("{}{}.0{}", g(3), g(4), g(6))
    } else {
        g(2).to_string()
    };
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        con,
        op,
        minor_dirty,
        patch_dirty,
        dirty,
    })
}

/// Go's `\s`.
fn is_go_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

/// The common single comparison, `[op][ ]version` (`>=1.21-0`, `<1.25.0`, `~1.2`) with plain
/// numbers, parsed without the patterns; `None` for anything else (wildcards, ranges, lists,
/// `||`, or text the patterns would refuse), which [`Constraints::parse_with_patterns`] takes.
/// On its inputs the patterns can only match one way: one group, one comparison, the operator
/// the longest one written (no version starts with `=`, `>`, `<` or `~`).
fn parse_simple(c: &str) -> Option<Result<Constraints, String>> {
    const OPS: [&str; 11] = [">=", "=>", "<=", "=<", "!=", "~>", "=", ">", "<", "~", "^"];
    let t = c.trim_matches(is_go_space);
    let (op, rest) = OPS
        .iter()
        .find_map(|o| t.strip_prefix(o).map(|r| (*o, r)))
        .unwrap_or(("", t));
    let whole = rest.trim_start_matches(is_go_space);
    let p = VersionParts::split_with(whole, true)?;
    let dotted = |s: Option<&str>| s.map_or(0, |n| n.len() + 1);
    let major_at = usize::from(whole.starts_with('v'));
    let minor_at = major_at + p.major.len();
    let patch_at = minor_at + dotted(p.minor);
    let pre_end = patch_at + dotted(p.patch) + if p.pre.is_empty() { 0 } else { p.pre.len() + 1 };
    let c = build_constraint(
        op,
        whole,
        p.major,
        &whole[minor_at..patch_at],
        &whole[patch_at..patch_at + dotted(p.patch)],
        &whole[patch_at + dotted(p.patch)..pre_end],
    );
    Some(c.map(|c| Constraints {
        contains_pre: vec![!c.con.pre.is_empty()],
        groups: vec![vec![c]],
    }))
}

impl Constraints {
    /// Masterminds' `NewConstraint`.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        match parse_simple(c) {
            Some(r) => r,
            None => Self::parse_with_patterns(c),
        }
    }

    /// [`parse`](Self::parse) with Masterminds' patterns, for every form.
    fn parse_with_patterns(c: &str) -> Result<Constraints, String> {
        let re = regexes()?;
        // rewrite "a - b" ranges
        let mut text = c.to_string();
        let ranges: Vec<(String, String, String)> = re
            .range
            .captures_iter(c)
            .map(|m| {
                (
                    m.get(0).map_or("", |x| x.as_str()).to_string(),
                    m.get(1).map_or("", |x| x.as_str()).to_string(),
                    m.get(11).map_or("", |x| x.as_str()).to_string(),
                )
            })
            .collect();
        for (whole, a, b) in ranges {
            text = text.replacen(&whole, &format!(">= {a}, <= {b} "), 1);
        }
        let mut groups = Vec::new();
        let mut contains_pre = Vec::new();
        for part in text.split("||") {
            if !re.valid.is_match(part) {
                return Err(format!(
                    "improper constraint: {}",
                    crate::gofmt::quote(part)
                ));
            }
            let mut found: Vec<&str> = re.find.find_iter(part).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(part);
            }
            let mut group = Vec::with_capacity(found.len());
            let mut pre = false;
            for s in found {
                let pc = parse_one(s)?;
                if !pc.con.pre.is_empty() {
                    pre = true;
                }
                group.push(pc);
            }
            groups.push(group);
            contains_pre.push(pre);
        }
        Ok(Constraints {
            groups,
            contains_pre,
        })
    }

    /// Masterminds' `Check`.
    pub fn check(&self, v: &Version) -> bool {
        self.groups
            .iter()
            .zip(&self.contains_pre)
            .any(|(group, pre)| group.iter().all(|c| c.check(v, *pre)))
    }
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    v.compare(c) == Ordering::Equal
                }
            }
            Op::NotEqual => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                v.compare(c) != Ordering::Equal
            }
            Op::Greater => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    v.compare(c) == Ordering::Greater
                }
            }
            Op::Less => v.compare(c) == Ordering::Less,
            Op::GreaterEqual => v.compare(c) != Ordering::Less,
            Op::LessEqual => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => {
                if v.compare(c) == Ordering::Less {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                c.patch == v.patch
            }
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }
}

/// Sprig's `semverCompare constraint version`.
pub fn semver_compare_str(constraint: &str, version: &str) -> Result<bool, String> {
    let c = parse_constraints_cached(constraint)?;
    let v = Version::parse(version)?;
    Ok(c.check(&v))
}

pub(crate) fn semver_compare(args: &[Value]) -> Result<Value, FuncError> {
    arity(args, 2, "semverCompare")?;
    let c = str_arg(&args[0])?;
    let v = str_arg(&args[1])?;
    semver_compare_str(c, v)
        .map(Value::Bool)
        .map_err(FuncError::new)
}

/// The `*semver.Version` a template gets from `semver`: prints as its normalised form, and has
/// Masterminds' methods (`Major`, `Minor`, `Patch`, `Prerelease`, `Metadata`, `Original`,
/// `String`, `Compare`, `LessThan`, `GreaterThan`, `Equal`).
#[derive(Debug)]
pub struct SemverObject(pub Version);

impl Object for SemverObject {
    fn type_name(&self) -> &str {
        "*semver.Version"
    }
    fn kind(&self) -> &str {
        "ptr"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        match name {
            "Major" | "Minor" | "Patch" | "Prerelease" | "Metadata" | "Original" | "String" => {
                Some(&[])
            }
            "Compare" | "LessThan" | "GreaterThan" | "Equal" => {
                Some(&[Param::Object("*semver.Version")])
            }
            _ => None,
        }
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<Result<Value, FuncError>> {
        let v = &self.0;
        let other = || -> Result<Version, FuncError> {
            match args.first() {
                Some(Value::Object(o)) => Version::parse(&o.go_format()).map_err(FuncError::new),
                // Go's method dereferences the nil it was given.
                _ => Err(FuncError::new(
                    "runtime error: invalid memory address or nil pointer dereference",
                )),
            }
        };
        Some(match name {
            "Major" => Ok(Value::Int(v.major as i64)),
            "Minor" => Ok(Value::Int(v.minor as i64)),
            "Patch" => Ok(Value::Int(v.patch as i64)),
            "Prerelease" => Ok(Value::from(v.pre.as_str())),
            "Metadata" => Ok(Value::from(v.metadata.as_str())),
            "Original" => Ok(Value::from(v.original.as_str())),
            "String" => Ok(Value::from(v.to_string())),
            "Compare" => other().map(|o| Value::Int(v.compare(&o) as i64)),
            "LessThan" => other().map(|o| Value::Bool(v.compare(&o) == Ordering::Less)),
            "GreaterThan" => other().map(|o| Value::Bool(v.compare(&o) == Ordering::Greater)),
            "Equal" => other().map(|o| Value::Bool(v.compare(&o) == Ordering::Equal)),
            _ => return None,
        })
    }
    fn go_format(&self) -> String {
        self.0.to_string()
    }
    fn to_plain(&self) -> Value {
        Value::from(self.0.to_string())
    }
    /// Every field of a `semver.Version` is unexported: the copy is `0.0.0`.
    fn deep_copy(&self) -> Option<Value> {
        Some(Value::Object(std::sync::Arc::new(SemverObject(
            Version::default(),
        ))))
    }
}

pub(crate) fn semver_fn(args: &[Value]) -> Result<Value, FuncError> {
    arity(args, 1, "semver")?;
    let v = Version::parse(str_arg(&args[0])?).map_err(FuncError::new)?;
    Ok(Value::Object(Arc::new(SemverObject(v))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(c: &str, v: &str) -> bool {
        semver_compare_str(c, v).unwrap()
    }

    #[test]
    fn constraints_like_masterminds() {
        assert!(ok(">=1.21-0", "1.37.0"));
        assert!(ok(">=1.21-0", "v1.30.2-eks-a1b2"));
        assert!(!ok(">=1.21", "v1.30.2-eks-a1b2"));
        assert!(ok("<1.25.0-0", "1.24.9"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok("^1.2", "1.9.0"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("^0.0.3", "0.0.3"));
        assert!(ok("1.x", "1.5.0"));
        assert!(!ok("1.x", "2.0.0"));
        assert!(ok("1.2 - 1.4.5", "1.4.5"));
        assert!(!ok("1.2 - 1.4.5", "1.4.6"));
        assert!(ok(">=1 <2 || 3", "3.0.0"));
        assert!(ok(">= 1.19-0, < 1.25-0", "1.20.1"));
        assert!(ok("*", "4.0.0"));
        assert!(ok("!=1.2.x", "1.3.0"));
        assert!(!ok("!=1.2.x", "1.2.4"));
        assert!(ok(">1.2", "1.3.0"));
        assert!(!ok(">1.2", "1.2.9"));
        assert!(ok("<=1.2", "1.2.9"));
        assert!(semver_compare_str("foo", "1.0.0").is_err());
        assert!(semver_compare_str(">1", "x.y").is_err());
    }

    #[test]
    fn versions_compare() {
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(
            v("1.0.0-alpha").compare(&v("1.0.0-alpha.1")),
            Ordering::Less
        );
        assert_eq!(v("1.0.0-2").compare(&v("1.0.0-10")), Ordering::Less);
        assert_eq!(v("1.0.0-rc").compare(&v("1.0.0")), Ordering::Less);
        assert_eq!(v("v1.2").to_string(), "1.2.0");
    }

    /// The hand-written split accepts and captures exactly what Masterminds' version pattern
    /// does, on every string over the characters that matter, up to five long.
    #[test]
    fn version_split_is_the_pattern() {
        let re = Regex::new(
            r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
        )
        .unwrap();
        let mut cases = every_string(&['1', '0', '.', '-', '+', 'v', 'a', ' ', 'é'], 5);
        cases.extend(
            [
                "v1.2.3-rc.1+build.5",
                "1.21.3-gke.100",
                "01.002.0003",
                "1.2.3.4",
                "1..2",
                "v",
            ]
            .map(String::from),
        );
        for v in &cases {
            let want = re.captures(v).map(|m| {
                let g = |i: usize| m.get(i).map(|x| x.as_str().trim_start_matches('.'));
                (
                    g(1).unwrap_or(""),
                    g(2),
                    g(3),
                    g(5).unwrap_or(""),
                    g(8).unwrap_or(""),
                )
            });
            let got =
                VersionParts::split(v).map(|p| (p.major, p.minor, p.patch, p.pre, p.metadata));
            assert_eq!(got, want, "{v:?}");
        }
    }

    /// Every string over `alphabet` of at most `max_len` characters (the empty one included).
    fn every_string(alphabet: &[char], max_len: usize) -> Vec<String> {
        let mut all = vec![String::new()];
        let mut frontier = vec![String::new()];
        for _ in 0..max_len {
            let next: Vec<String> = frontier
                .iter()
                .flat_map(|p| alphabet.iter().map(move |&c| format!("{p}{c}")))
                .collect();
            all.extend(next.iter().cloned());
            frontier = next;
        }
        all
    }

    /// The pattern-free path gives exactly what the patterns give, wherever it answers.
    #[test]
    fn simple_constraints_are_the_patterns() {
        let alphabet = [
            '>', '<', '=', '~', '^', '!', '1', '0', '.', '-', 'x', '*', ' ', 'v', '+',
        ];
        let mut cases = every_string(&alphabet, 4);
        cases.extend(
            [
                ">=1.21-0",
                "<1.25.0-0",
                " ~> v1.2.3-rc.1+b.2 ",
                "^0.0.3",
                "=>1",
                "!=1.2.3",
                "<= 1.19",
                "2.x.x",
                "~1.X",
                "*",
                "1.*.3-rc",
                "x1",
                "1.2x",
                "1.2.3.4",
                ">=1.2-",
                ">1.0.0-a..b",
                "\t>1\n",
            ]
            .map(String::from),
        );
        let mut answered = 0;
        for c in &cases {
            if let Some(fast) = parse_simple(c) {
                answered += 1;
                let slow = Constraints::parse_with_patterns(c);
                assert_eq!(format!("{fast:?}"), format!("{slow:?}"), "{c:?}");
            }
        }
        assert!(answered > 500, "{answered}");
    }
}
