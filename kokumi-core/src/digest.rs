//! Digest identity: the [`Digest`] type, canonical JSON and the Order config hash.
//!
//! Everything Kokumi names by content goes through this module:
//!
//! - [`Digest`] is a validated `sha256:<64 lowercase hex>` (the only algorithm Kokumi writes);
//!   [`Digest::of_bytes`] hashes bytes with SHA-256. It is the one digest type of the workspace:
//!   `kokumi-oci` uses it for registry and layout content too. A digest with another algorithm
//!   (the OCI spec also allows `sha512:`, which registries and tools do not use in practice) is
//!   rejected with [`DigestError::Algorithm`], naming the digest, rather than modelled: every
//!   digest Kokumi compares, names Preparations by or stores as a blob path is then 32 bytes, and
//!   a registry that answers with another algorithm fails loudly instead of being half-supported.
//! - [`canonical_json`] serialises a [`serde_json::Value`] deterministically: object keys sorted
//!   by their UTF-8 bytes, no insignificant whitespace, numbers in one spelling (integers as
//!   integers, floats in Rust's shortest round-trip form, `-0.0` as `0`, floats with an integral
//!   value and magnitude below 2^53 as integers). Two values that are equal as JSON documents give
//!   the same bytes, whatever order their keys were written in.
//! - [`ConfigInputs`] is the set of *resolved* inputs of one render; [`ConfigInputs::config_hash`]
//!   is the digest of their canonical JSON. Same inputs ⇒ same hash, in any process.
//! - [`preparation_name`] builds `<order>-<first 12 hex of the artifact digest>`.
//!
//! It does not hash files or talk to registries; callers hand it bytes or values.
//!
//! ```
//! use kokumi_core::digest::{Digest, canonical_json};
//! use serde_json::json;
//!
//! let a = canonical_json(&json!({"b": 1, "a": [true, null, 2.5]}));
//! assert_eq!(a, r#"{"a":[true,null,2.5],"b":1}"#);
//! let d = Digest::of_bytes(a.as_bytes());
//! assert_eq!(d, d.to_string().parse::<Digest>().unwrap());
//! assert!(d.to_string().starts_with("sha256:"));
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::patch::Patch;

/// Why a string is not a [`Digest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The string does not start with `sha256:` (other algorithms, such as `sha512:`, are not
    /// supported).
    #[error("digest {input:?} is not a sha256 digest; kokumi supports only \"sha256:<hex>\"")]
    Algorithm {
        /// The rejected input.
        input: String,
    },
    /// The hex part is not exactly 64 characters.
    #[error("digest {input:?} has {len} hex characters, expected 64")]
    Length {
        /// The rejected input.
        input: String,
        /// How many characters followed `sha256:`.
        len: usize,
    },
    /// The hex part contains something other than `0-9a-f`.
    #[error(
        "digest {input:?} contains {found:?} at position {position}; only lowercase hex is allowed"
    )]
    Hex {
        /// The rejected input.
        input: String,
        /// The offending character.
        found: char,
        /// Its position in the input (in characters).
        position: usize,
    },
}

/// A SHA-256 content digest, displayed and serialised as `sha256:<64 lowercase hex>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 32]);

impl Digest {
    /// The prefix every digest string carries.
    pub const PREFIX: &'static str = "sha256:";
    /// The regular expression a digest string matches (used in the JSON schema).
    pub const PATTERN: &'static str = "^sha256:[a-f0-9]{64}$";

    /// Parses `sha256:<64 lowercase hex>` (the same as [`str::parse`]).
    pub fn parse(input: &str) -> Result<Self, DigestError> {
        input.parse()
    }

    /// SHA-256 of `bytes`.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        Self(Sha256::digest(bytes).into())
    }

    /// SHA-256 of the [`canonical_json`] of `value`.
    pub fn of_canonical_json(value: &Value) -> Self {
        Self::of_bytes(canonical_json(value).as_bytes())
    }

    /// A digest from its 32 raw bytes.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The 32 raw bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lowercase hex characters, without the `sha256:` prefix.
    pub fn hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The algorithm part, always `sha256`.
    pub const fn algorithm(&self) -> &'static str {
        "sha256"
    }

    /// The first `n` hex characters (at most 64), as used in Preparation names.
    pub fn short_hex(&self, n: usize) -> String {
        let mut hex = self.hex();
        hex.truncate(n.min(64));
        hex
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Self::PREFIX)?;
        f.write_str(&self.hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let Some(hex_part) = input.strip_prefix(Self::PREFIX) else {
            return Err(DigestError::Algorithm {
                input: input.to_owned(),
            });
        };
        for (i, c) in hex_part.chars().enumerate() {
            if !matches!(c, '0'..='9' | 'a'..='f') {
                return Err(DigestError::Hex {
                    input: input.to_owned(),
                    found: c,
                    position: Self::PREFIX.len() + i,
                });
            }
        }
        if hex_part.len() != 64 {
            return Err(DigestError::Length {
                input: input.to_owned(),
                len: hex_part.len(),
            });
        }
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| DigestError::Length {
            input: input.to_owned(),
            len: hex_part.len(),
        })?;
        Ok(Self(bytes))
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = Cow::<'de, str>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Digest {
    fn schema_name() -> Cow<'static, str> {
        "Digest".into()
    }

    fn inline_schema() -> bool {
        true
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": Self::PATTERN,
            "description": "A SHA-256 content digest: sha256:<64 lowercase hex>."
        })
    }
}

/// Longest Kubernetes object name (a DNS subdomain).
const MAX_NAME_LEN: usize = 253;

/// The Preparation name for an Order and an artifact digest:
/// `<order>-<first 12 hex of the digest>`. Same input ⇒ same name, so a retry never duplicates.
///
/// Order names near the 253-character limit are shortened (and stripped of a trailing `-` or
/// `.`) so the result is still a valid object name; the digest part is never cut.
pub fn preparation_name(order: &str, artifact: &Digest) -> String {
    let suffix = artifact.short_hex(12);
    let mut prefix = order;
    let room = MAX_NAME_LEN - suffix.len() - 1;
    if prefix.len() > room {
        let mut cut = room;
        while !prefix.is_char_boundary(cut) {
            cut -= 1;
        }
        prefix = prefix[..cut].trim_end_matches(['-', '.']);
    }
    format!("{prefix}-{suffix}")
}

/// Serialises `value` as canonical JSON: keys sorted by UTF-8 bytes, no whitespace, numbers in
/// one stable spelling (see the module docs). Strings are escaped like `serde_json` does
/// (only `"`, `\` and control characters; everything else stays UTF-8).
pub fn canonical_json(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
    }
}

/// Floats with an integral value below this magnitude are written as integers.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_992.0;

fn write_number(n: &serde_json::Number, out: &mut String) {
    use std::fmt::Write as _;
    if let Some(i) = n.as_i64() {
        let _ = write!(out, "{i}");
    } else if let Some(u) = n.as_u64() {
        let _ = write!(out, "{u}");
    } else if let Some(f) = n.as_f64() {
        if f == 0.0 {
            out.push('0');
        } else if f.fract() == 0.0 && f.abs() < MAX_SAFE_INTEGER {
            #[allow(clippy::cast_possible_truncation)]
            let _ = write!(out, "{}", f as i64);
        } else {
            // Rust's Display for f64 is the shortest string that round-trips; use exponent
            // form for very large or small magnitudes so the spelling stays short and unique.
            if f.abs() >= 1e21 || f.abs() < 1e-6 {
                let _ = write!(out, "{f:e}");
            } else {
                let _ = write!(out, "{f}");
            }
        }
    } else {
        // arbitrary_precision is not enabled, so this is unreachable in practice; fall back to
        // serde_json's own spelling rather than panicking.
        out.push_str(&n.to_string());
    }
}

fn write_string(s: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    // Copy runs of characters that need no escaping in one go.
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{08}' => "\\b",
            '\u{0c}' => "\\f",
            c if (c as u32) < 0x20 => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
        start = i + c.len_utf8();
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// The resolved inputs of one render, hashed into the Order's config hash.
///
/// "Resolved" means: tags are already resolved to digests, the Menu/Recipe/Order values are
/// already merged, and the patch lists are in application order. Two renders with equal
/// `ConfigInputs` produce the same artifact, so the operator can skip re-rendering when the
/// hash is unchanged.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigInputs {
    /// The source reference as written (e.g. `oci://ghcr.io/org/chart:1.2.3`).
    pub source_ref: String,
    /// The digest the source reference resolved to.
    pub source_digest: Digest,
    /// Render options (Helm release name, namespace, includeCRDs, Recipe profile, layout ...),
    /// as the API object serialises them.
    pub render: Value,
    /// The merged values (Menu base → Recipe → Order).
    pub values: Value,
    /// Menu patches followed by Order patches.
    pub patches: Vec<Patch>,
    /// UI edits, applied after the patches.
    pub edits: Vec<Patch>,
    /// Renderer name, e.g. `kokumi-render`.
    pub renderer_name: String,
    /// Renderer version: a new renderer may render differently, so it is part of the identity.
    pub renderer_version: String,
}

impl ConfigInputs {
    /// The canonical JSON these inputs hash to (useful for debugging a changed hash).
    pub fn canonical(&self) -> String {
        // Serialising plain data structs into a Value cannot fail: every map key is a string.
        let value = serde_json::to_value(self).unwrap_or(Value::Null);
        canonical_json(&value)
    }

    /// The config hash: [`Digest::of_bytes`] of a version tag plus [`ConfigInputs::canonical`].
    pub fn config_hash(&self) -> Digest {
        let mut bytes = b"kokumi.config.v1\n".to_vec();
        bytes.extend_from_slice(self.canonical().as_bytes());
        Digest::of_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_displays() {
        let s = format!("sha256:{}", "ab".repeat(32));
        let d: Digest = s.parse().unwrap();
        assert_eq!(d.to_string(), s);
        assert_eq!(d.short_hex(12), "abababababab");
        assert_eq!(preparation_name("podinfo", &d), "podinfo-abababababab");
        let long = format!("{}-x", "a".repeat(239));
        let name = preparation_name(&long, &d);
        assert_eq!(name.len(), 252);
        assert!(name.ends_with("a-abababababab"), "{name}");
    }

    #[test]
    fn rejects_bad_digests() {
        let upper = format!("sha256:{}", "AB".repeat(32));
        assert!(matches!(
            upper.parse::<Digest>(),
            Err(DigestError::Hex { position: 7, .. })
        ));
        assert!(matches!(
            "sha512:00".parse::<Digest>(),
            Err(DigestError::Algorithm { .. })
        ));
        assert!(matches!(
            "sha256:abc".parse::<Digest>(),
            Err(DigestError::Length { len: 3, .. })
        ));
    }

    #[test]
    fn known_sha256() {
        assert_eq!(
            Digest::of_bytes(b"").to_string(),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn canonical_numbers() {
        let v = json!([1, -1, 1.0, -0.0, 2.5, 1e300, 18446744073709551615u64, 1e-9]);
        assert_eq!(
            canonical_json(&v),
            "[1,-1,1,0,2.5,1e300,18446744073709551615,1e-9]"
        );
    }

    #[test]
    fn canonical_escapes() {
        let v = json!({"é\n": "a\"b\\\u{1}"});
        assert_eq!(canonical_json(&v), r#"{"é\n":"a\"b\\\u0001"}"#);
    }
}
