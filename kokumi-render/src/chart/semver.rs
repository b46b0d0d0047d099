//! Semantic versions and constraints with the rules of Masterminds/semver v3, which Helm uses
//! for `kubeVersion` and for matching `dependencies[].version` against vendored subcharts.
//!
//! Versions are parsed leniently (`v1.2`, `1`, `1.2.3-rc.1+meta`); constraints support `||`
//! alternatives, comma- or space-separated conjunctions, the operators `=`, `!=`, `>`, `<`, `>=`,
//! `<=`/`=<`, `~`/`~>`, `^`, wildcards (`1.2.x`, `1.*`, `*`, missing parts) and hyphen ranges
//! (`1.2 - 1.4.5`). A version with a prerelease only satisfies a constraint whose version has one
//! too, as in Masterminds v3.

use std::cmp::Ordering;

/// A parsed semantic version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Prerelease identifiers (after `-`), empty when none.
    pub pre: String,
    /// Build metadata (after `+`), ignored in comparisons.
    pub meta: String,
}

impl Version {
    /// Parses a version leniently, as Masterminds `NewVersion` does (`v` prefix, missing minor or
    /// patch allowed).
    pub fn parse(text: &str) -> Option<Version> {
        let s = text.strip_prefix('v').unwrap_or(text);
        let (s, meta) = match s.split_once('+') {
            Some((a, b)) => (a, b.to_string()),
            None => (s, String::new()),
        };
        let (core, pre) = match s.split_once('-') {
            Some((a, b)) => (a, b.to_string()),
            None => (s, String::new()),
        };
        let ident_ok = |p: &str| {
            p.split('.')
                .all(|i| !i.is_empty() && i.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        };
        if (!pre.is_empty() && !ident_ok(&pre)) || (!meta.is_empty() && !ident_ok(&meta)) {
            return None;
        }
        if text.contains("-") && pre.is_empty() || text.ends_with('+') {
            return None;
        }
        let mut parts = core.split('.');
        let mut num = |required: bool| -> Option<u64> {
            match parts.next() {
                Some(p) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => p.parse().ok(),
                Some(_) => None,
                None if required => None,
                None => Some(0),
            }
        };
        let major = num(true)?;
        let minor = num(false)?;
        let patch = num(false)?;
        if parts.next().is_some() {
            return None;
        }
        Some(Version {
            major,
            minor,
            patch,
            pre,
            meta,
        })
    }

    fn core_cmp(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch).cmp(&(other.major, other.minor, other.patch))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core_cmp(other)
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.meta.is_empty() {
            write!(f, "+{}", self.meta)?;
        }
        Ok(())
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let mut ai = a.split('.');
    let mut bi = b.split('.');
    loop {
        match (ai.next(), bi.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(m), Ok(n)) => m.cmp(&n),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Term {
    op: Op,
    con: Version,
    /// Which part was a wildcard or missing: 0 = major, 1 = minor, 2 = patch, 3 = none.
    dirty_at: u8,
}

/// A parsed constraint such as `>=1.25.0-0` or `^1.2 || 2.x`.
#[derive(Debug, Clone)]
pub struct Constraint {
    groups: Vec<Vec<Term>>,
}

fn is_wild(p: &str) -> bool {
    matches!(p, "x" | "X" | "*")
}

fn parse_term(op: Op, text: &str) -> Option<Term> {
    let s = text.strip_prefix('v').unwrap_or(text);
    let (s, meta) = match s.split_once('+') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    let (core, pre) = match s.split_once('-') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
        return None;
    }
    let mut nums = [0u64; 3];
    let mut dirty_at = 3u8;
    for (i, num) in nums.iter_mut().enumerate() {
        match parts.get(i) {
            None => {
                dirty_at = dirty_at.min(i as u8);
            }
            Some(p) if is_wild(p) => {
                dirty_at = dirty_at.min(i as u8);
            }
            Some(p) => {
                if dirty_at < 3 {
                    // A number after a wildcard (`1.x.3`) is ignored like Masterminds does.
                    continue;
                }
                *num = p.parse().ok()?;
            }
        }
    }
    let mut con = Version {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre: pre.to_string(),
        meta: meta.to_string(),
    };
    if dirty_at < 3 {
        // Zero the parts from the wildcard on.
        if dirty_at == 0 {
            con.major = 0;
        }
        if dirty_at <= 1 {
            con.minor = 0;
        }
        con.patch = 0;
    }
    Some(Term { op, con, dirty_at })
}

impl Constraint {
    /// Parses a constraint; `None` when it is not valid Masterminds syntax.
    pub fn parse(text: &str) -> Option<Constraint> {
        let mut groups = Vec::new();
        for alt in text.split("||") {
            let mut terms = Vec::new();
            let normal = alt.replace(',', " ");
            let tokens: Vec<&str> = normal.split_whitespace().collect();
            let mut i = 0;
            while i < tokens.len() {
                // Hyphen range `a - b`.
                if i + 2 < tokens.len() && tokens[i + 1] == "-" {
                    terms.push(parse_term(Op::Ge, tokens[i])?);
                    terms.push(parse_term(Op::Le, tokens[i + 2])?);
                    i += 3;
                    continue;
                }
                let mut tok = tokens[i].to_string();
                // An operator separated from its version by spaces (`>= 1.2`).
                if tok.chars().all(|c| "=<>!~^".contains(c)) && i + 1 < tokens.len() {
                    tok.push_str(tokens[i + 1]);
                    i += 1;
                }
                i += 1;
                let (op, rest) = split_op(&tok)?;
                terms.push(parse_term(op, rest)?);
            }
            if terms.is_empty() {
                return None;
            }
            groups.push(terms);
        }
        Some(Constraint { groups })
    }

    /// Whether `v` satisfies the constraint.
    pub fn matches(&self, v: &Version) -> bool {
        self.groups.iter().any(|g| g.iter().all(|t| t.check(v)))
    }
}

fn split_op(tok: &str) -> Option<(Op, &str)> {
    const OPS: [(&str, Op); 10] = [
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("!=", Op::Ne),
        ("~>", Op::Tilde),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("~", Op::Tilde),
    ];
    if let Some(rest) = tok.strip_prefix('^') {
        return Some((Op::Caret, rest));
    }
    for (p, op) in OPS {
        if let Some(rest) = tok.strip_prefix(p) {
            return Some((op, rest));
        }
    }
    Some((Op::Eq, tok))
}

impl Term {
    /// The exclusive upper bound of the wildcard range (`1.2.x` → `1.3.0`).
    fn wildcard_upper(&self) -> Option<Version> {
        let c = &self.con;
        let v = |major, minor| Version {
            major,
            minor,
            patch: 0,
            pre: String::new(),
            meta: String::new(),
        };
        match self.dirty_at {
            0 => None,
            1 => Some(v(c.major + 1, 0)),
            2 => Some(v(c.major, c.minor + 1)),
            _ => None,
        }
    }

    fn check(&self, v: &Version) -> bool {
        if !v.pre.is_empty() && self.con.pre.is_empty() {
            return false;
        }
        let c = &self.con;
        let dirty = self.dirty_at < 3;
        match self.op {
            Op::Eq => {
                if dirty {
                    v >= c && self.wildcard_upper().is_none_or(|u| v.core_cmp(&u).is_lt())
                } else {
                    v == c || (v.cmp(c) == Ordering::Equal)
                }
            }
            Op::Ne => {
                if dirty {
                    !(v >= c && self.wildcard_upper().is_none_or(|u| v.core_cmp(&u).is_lt()))
                } else {
                    v.cmp(c) != Ordering::Equal
                }
            }
            Op::Gt => {
                if !dirty {
                    return v > c;
                }
                match self.dirty_at {
                    0 => false,
                    1 => v.major > c.major,
                    _ => v.major > c.major || (v.major == c.major && v.minor > c.minor),
                }
            }
            Op::Lt => v < c,
            Op::Ge => v >= c,
            Op::Le => {
                if !dirty {
                    return v <= c;
                }
                match self.dirty_at {
                    0 => true,
                    1 => v.major <= c.major,
                    _ => v.major < c.major || (v.major == c.major && v.minor <= c.minor),
                }
            }
            Op::Tilde => {
                if v < c {
                    return false;
                }
                if self.dirty_at == 0 {
                    return true;
                }
                if self.dirty_at == 1 {
                    return v.major == c.major;
                }
                v.major == c.major && v.minor == c.minor
            }
            Op::Caret => {
                if v < c {
                    return false;
                }
                match self.dirty_at {
                    0 => true,
                    1 => v.major == c.major,
                    _ if c.major > 0 => v.major == c.major,
                    2 => v.major == 0 && v.minor == c.minor,
                    _ if c.minor > 0 => v.major == 0 && v.minor == c.minor,
                    _ => v.major == 0 && v.minor == 0 && v.patch == c.patch,
                }
            }
        }
    }
}

/// Helm's `IsCompatibleRange(constraint, version)`: false when either does not parse.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    match (Constraint::parse(constraint), Version::parse(version)) {
        (Some(c), Some(v)) => c.matches(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_compatible_range as ok;

    #[test]
    fn constraints_like_masterminds() {
        assert!(ok(">=1.25.0-0", "v1.37.0"));
        assert!(!ok(">=1.38.0-0", "v1.37.0"));
        assert!(ok("0.12.*", "0.12.5"));
        assert!(!ok("0.12.*", "0.13.0"));
        assert!(ok("4.38.0", "4.38.0"));
        assert!(!ok("4.38.0", "4.38.1"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok("^1.2.3", "1.9.0"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok(">= 1.19.0-0, < 2.0.0", "1.30.0"));
        assert!(ok("1.2 - 1.4.5", "1.4.5"));
        assert!(ok("<1.0 || >=2.1", "2.1.0"));
        assert!(!ok(">=1.0.0", "1.2.0-beta"));
        assert!(ok("*", "3.0.0"));
        assert!(!ok(">1.x", "1.9.0"));
        assert!(ok(">1.x", "2.0.0"));
        assert!(!ok("not a range", "1.0.0"));
    }
}
