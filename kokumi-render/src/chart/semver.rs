//! Version checks the chart loader needs (dependency version ranges, `kubeVersion`, Chart.yaml
//! `version`), answered by the one Masterminds semver implementation in [`crate::funcs::semver`]
//! that `semverCompare` uses too.

use crate::funcs::semver::{Version, semver_compare_str};

/// Whether `text` is a valid semantic version, as Chart.yaml's `version` must be.
pub fn is_valid_version(text: &str) -> bool {
    Version::parse(text).is_ok()
}

/// Helm's `IsCompatibleRange(constraint, version)`: false when either does not parse.
pub fn is_compatible_range(constraint: &str, version: &str) -> bool {
    semver_compare_str(constraint, version).unwrap_or(false)
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
