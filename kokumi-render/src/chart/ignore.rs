//! `.helmignore` rules and Go's `path.Match`, as helm's loader applies them.
//!
//! Helm's rules have one surprise we keep: a negated rule (`!pattern`) marks every path it does
//! *not* match as ignored. Only the top-level chart's `.helmignore` is read when loading a
//! directory; `templates/.?*` (hidden files under `templates/`) is always ignored.

/// Go's `path.Match`: `*` (no `/`), `?`, `[...]` classes with `^` and ranges, `\` escapes.
/// Returns `None` for a malformed pattern.
pub fn go_match(pattern: &str, name: &str) -> Option<bool> {
    // Every path of a chart is checked against every rule while loading: match ASCII text (the
    // usual case) byte by byte, without collecting both strings into `char` vectors first.
    if pattern.is_ascii() && name.is_ascii() {
        return match_from(pattern.as_bytes(), name.as_bytes());
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

/// One symbol of a pattern or name: a `char`, or a byte of ASCII-only text.
trait Sym: Copy + PartialEq {
    fn ch(self) -> char;
}

impl Sym for char {
    fn ch(self) -> char {
        self
    }
}

impl Sym for u8 {
    fn ch(self) -> char {
        char::from(self)
    }
}

fn match_from<T: Sym>(p: &[T], n: &[T]) -> Option<bool> {
    let (mut pi, mut ni) = (0usize, 0usize);
    // Backtracking point for the last `*`.
    let mut star: Option<(usize, usize)> = None;
    let mut malformed = false;
    loop {
        if pi < p.len() {
            match p[pi].ch() {
                '*' => {
                    star = Some((pi, ni));
                    pi += 1;
                    continue;
                }
                '?' if ni < n.len() && n[ni].ch() != '/' => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' => match class(p, pi, n.get(ni).map(|c| c.ch())) {
                    Some((true, next)) if ni < n.len() && n[ni].ch() != '/' => {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        malformed = true;
                        break;
                    }
                },
                '\\' => {
                    if pi + 1 >= p.len() {
                        malformed = true;
                        break;
                    }
                    if ni < n.len() && n[ni] == p[pi + 1] {
                        pi += 2;
                        ni += 1;
                        continue;
                    }
                }
                c if c != '?' && ni < n.len() && n[ni].ch() == c => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        } else if ni == n.len() {
            return Some(true);
        }
        // Mismatch: let the last star eat one more (non-slash) character.
        match star {
            Some((sp, sn)) if sn < n.len() && n[sn].ch() != '/' => {
                star = Some((sp, sn + 1));
                pi = sp + 1;
                ni = sn + 1;
            }
            _ => break,
        }
    }
    if malformed {
        return None;
    }
    // Go reports a malformed pattern even after a mismatch; check the rest of the pattern.
    if !pattern_ok(p) {
        return None;
    }
    Some(false)
}

/// Matches a `[...]` class starting at `p[start]` against `c`; returns (matched, index after `]`).
fn class<T: Sym>(p: &[T], start: usize, c: Option<char>) -> Option<(bool, usize)> {
    let mut i = start + 1;
    let negate = i < p.len() && p[i].ch() == '^';
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        if i >= p.len() {
            return None;
        }
        if p[i].ch() == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        let mut lo = p[i].ch();
        if lo == '\\' {
            i += 1;
            lo = p.get(i)?.ch();
        } else if lo == '-' || lo == ']' {
            return None;
        }
        i += 1;
        let mut hi = lo;
        if i + 1 < p.len() && p[i].ch() == '-' && p[i + 1].ch() != ']' {
            i += 1;
            hi = p[i].ch();
            if hi == '\\' {
                i += 1;
                hi = p.get(i)?.ch();
            }
            i += 1;
        }
        if let Some(c) = c
            && lo <= c
            && c <= hi
        {
            matched = true;
        }
    }
    Some((matched != negate, i))
}

fn pattern_ok<T: Sym>(p: &[T]) -> bool {
    let mut i = 0;
    while i < p.len() {
        match p[i].ch() {
            '\\' => {
                if i + 1 >= p.len() {
                    return false;
                }
                i += 2;
            }
            '[' => match class(p, i, None) {
                Some((_, next)) => i = next,
                None => return false,
            },
            _ => i += 1,
        }
    }
    true
}

#[derive(Debug, Clone)]
struct Rule {
    pattern: String,
    negate: bool,
    must_dir: bool,
    kind: RuleKind,
}

#[derive(Debug, Clone, Copy)]
enum RuleKind {
    /// `/pattern`: matched against the whole path.
    Anchored,
    /// Contains `/`: matched against the whole path.
    Path,
    /// No `/`: matched against the base name.
    Base,
}

/// A parsed `.helmignore`.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    rules: Vec<Rule>,
}

impl Rules {
    /// Parses `.helmignore` text; errors like helm's (`double-star (**) syntax is not supported`).
    pub fn parse(text: &str) -> Result<Rules, String> {
        let mut rules = Rules::default();
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for line in text.lines() {
            rules.add(line)?;
        }
        Ok(rules)
    }

    /// Adds helm's default rule (`templates/.?*`).
    pub fn add_defaults(&mut self) {
        let _ = self.add("templates/.?*");
    }

    fn add(&mut self, line: &str) -> Result<(), String> {
        let mut rule = line.trim();
        if rule.is_empty() || rule.starts_with('#') {
            return Ok(());
        }
        if rule.contains("**") {
            return Err("double-star (**) syntax is not supported".into());
        }
        if go_match(rule, "abc").is_none() {
            return Err("syntax error in pattern".into());
        }
        let negate = rule.starts_with('!');
        if negate {
            rule = &rule[1..];
        }
        let must_dir = rule.ends_with('/');
        if must_dir {
            rule = &rule[..rule.len() - 1];
        }
        let (kind, pattern) = if let Some(rest) = rule.strip_prefix('/') {
            (RuleKind::Anchored, rest)
        } else if rule.contains('/') {
            (RuleKind::Path, rule)
        } else {
            (RuleKind::Base, rule)
        };
        self.rules.push(Rule {
            pattern: pattern.to_string(),
            negate,
            must_dir,
            kind,
        });
        Ok(())
    }

    /// Whether `path` (slash-separated, relative to the chart) is ignored.
    pub fn ignore(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for r in &self.rules {
            let target = match r.kind {
                RuleKind::Anchored | RuleKind::Path => path,
                RuleKind::Base => path.rsplit('/').next().unwrap_or(path),
            };
            let matched = go_match(&r.pattern, target).unwrap_or(false);
            if r.negate {
                if r.must_dir && !is_dir {
                    return true;
                }
                if !matched {
                    return true;
                }
                continue;
            }
            if r.must_dir && !is_dir {
                continue;
            }
            if matched {
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_match() {
        assert_eq!(go_match("*.txt", "a.txt"), Some(true));
        assert_eq!(go_match("*.txt", "d/a.txt"), Some(false));
        assert_eq!(go_match("a?c", "abc"), Some(true));
        assert_eq!(go_match("[a-c]x", "bx"), Some(true));
        assert_eq!(go_match("[^a-c]x", "bx"), Some(false));
        assert_eq!(go_match("templates/.?*", "templates/.hidden"), Some(true));
        assert_eq!(go_match("templates/.?*", "templates/x.yaml"), Some(false));
        assert_eq!(go_match("[", "a"), None);
        assert_eq!(go_match("*", ""), Some(true));
        assert_eq!(go_match("a*b*c", "axxbyyc"), Some(true));
        // Non-ASCII text takes the `char` path: `?` is one character, not one byte.
        assert_eq!(go_match("?x", "\u{e9}x"), Some(true));
        assert_eq!(go_match("??x", "\u{e9}x"), Some(false));
        assert_eq!(go_match("[\u{e0}-\u{ff}]*", "\u{e9}t\u{e9}"), Some(true));
        assert_eq!(go_match("[\u{e0}-\u{ff}]", "e"), Some(false));
        assert_eq!(go_match("\u{e9}[", "x"), None);
    }

    #[test]
    fn helmignore_rules() {
        let mut r = Rules::parse("# comment\n.git/\n*.tmp\n/ci\ndocs/*.md\n").unwrap();
        r.add_defaults();
        assert!(r.ignore(".git", true));
        assert!(!r.ignore(".git", false));
        assert!(r.ignore("templates/x.tmp", false));
        assert!(r.ignore("ci", true));
        assert!(r.ignore("docs/a.md", false));
        assert!(!r.ignore("README.md", false));
        assert!(r.ignore("templates/.swp", false));
        assert!(Rules::parse("a/**/b").is_err());
    }
}
