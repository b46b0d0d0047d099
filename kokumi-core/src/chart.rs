//! `Chart.yaml`, modelled once: [`ChartMetadata`] with its [`Maintainer`]s and [`Dependency`]s.
//!
//! The fields, their JSON names and their order are Helm's `chart.Metadata`, so one value serves
//! every use in the workspace:
//!
//! - `kokumi-render` fills it from `Chart.yaml` (and `requirements.yaml`) with its own decoder,
//!   which reproduces Helm's error messages, and shows it to templates as `.Chart`;
//! - `kokumi-oci` deserialises it with serde to check a chart archive and serialises it as the
//!   config blob of a `helm push` artifact, byte for byte what Helm writes (empty fields are
//!   left out, as Go's `omitempty` does).
//!
//! Deserialising is lenient where YAML typing surprises people: a string field written as a
//! number or boolean (`appVersion: 1.16`) becomes its text, `null` becomes empty. Validation (a
//! name, a SemVer version, the chart type) is the loader's job, not this module's.
//!
//! ```
//! use kokumi_core::chart::ChartMetadata;
//!
//! let md: ChartMetadata = serde_norway::from_str("apiVersion: v2\nname: web\nversion: 1.0.0\nappVersion: 1.16\n").unwrap();
//! assert_eq!(md.app_version, "1.16");
//! assert_eq!(
//!     serde_json::to_string(&md).unwrap(),
//!     r#"{"name":"web","version":"1.0.0","apiVersion":"v2","appVersion":"1.16"}"#
//! );
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// `Chart.yaml`: Helm's `chart.Metadata`, fields in Helm's order (its JSON serialisation order).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChartMetadata {
    /// `name`.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// `home`: the project's home page.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub home: String,
    /// `sources`: source URLs.
    #[serde(
        default,
        deserialize_with = "lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub sources: Vec<String>,
    /// `version` (a semantic version).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub version: String,
    /// `description`: one sentence.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
    /// `keywords`.
    #[serde(
        default,
        deserialize_with = "lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub keywords: Vec<String>,
    /// `maintainers`.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub maintainers: Vec<Maintainer>,
    /// `icon`: an icon URL.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub icon: String,
    /// `apiVersion` (`v1` or `v2`).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub api_version: String,
    /// `condition` (deprecated, kept for `.Chart`).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    /// `tags` (deprecated, kept for `.Chart`).
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub tags: String,
    /// `appVersion`.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub app_version: String,
    /// `deprecated`.
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub deprecated: bool,
    /// `annotations`. `None` (absent or `null`) and an empty map serialise alike (left out), but
    /// templates can tell them apart (`.Chart.Annotations` is nil or an empty map), so both are
    /// kept.
    #[serde(default, skip_serializing_if = "no_annotations")]
    pub annotations: Option<BTreeMap<String, String>>,
    /// `kubeVersion`: a constraint on the Kubernetes version.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub kube_version: String,
    /// `dependencies` (for apiVersion v1 charts: from `requirements.yaml`).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dependencies: Vec<Dependency>,
    /// `type`: `application` (the default) or `library`.
    #[serde(
        default,
        rename = "type",
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub chart_type: String,
}

/// A `maintainers:` entry: Helm's `chart.Maintainer`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Maintainer {
    /// `name`.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub name: String,
    /// `email`.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub email: String,
    /// `url`.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub url: String,
}

/// A `dependencies:` entry: Helm's `chart.Dependency` (`name` and `repository` are always
/// written, as Helm does).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dependency {
    /// The subchart's name (replaced by `alias` once dependencies are processed).
    #[serde(default, deserialize_with = "lenient_string")]
    pub name: String,
    /// The version constraint the vendored chart must satisfy.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub version: String,
    /// Where the chart comes from (not used for rendering).
    #[serde(default, deserialize_with = "lenient_string")]
    pub repository: String,
    /// Comma-separated values paths; the first one that resolves to a bool decides.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub condition: String,
    /// Tags: the chart is disabled when its tags are all false in `.Values.tags`.
    #[serde(
        default,
        deserialize_with = "lenient_strings",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tags: Vec<String>,
    /// Whether the dependency is enabled (set while processing).
    #[serde(
        default,
        deserialize_with = "null_as_default",
        skip_serializing_if = "is_false"
    )]
    pub enabled: bool,
    /// `import-values` entries (strings or `{child, parent}` maps), kept as JSON.
    #[serde(
        default,
        rename = "import-values",
        deserialize_with = "null_as_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub import_values: Vec<Value>,
    /// A new name for the subchart.
    #[serde(
        default,
        deserialize_with = "lenient_string",
        skip_serializing_if = "String::is_empty"
    )]
    pub alias: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn no_annotations(a: &Option<BTreeMap<String, String>>) -> bool {
    a.as_ref().is_none_or(BTreeMap::is_empty)
}

/// The text of a scalar that YAML may have typed as something other than a string.
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl serde::de::Visitor<'_> for Text {
            type Value = Scalar;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string, number, boolean or null")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
            fn visit_none<E: serde::de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(Text)
    }
}

/// A string field that YAML may have typed as a number or boolean (`appVersion: 1.16`).
fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Scalar::deserialize(d)?.0)
}

/// A list of strings (or `null`), each item lenient like [`lenient_string`].
fn lenient_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let items: Option<Vec<Scalar>> = Option::deserialize(d)?;
    Ok(items.unwrap_or_default().into_iter().map(|s| s.0).collect())
}

/// `null` reads as the default (Go leaves the zero value).
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helm_field_order_and_omitempty() {
        let md: ChartMetadata = serde_norway::from_str(
            "type: library\nname: web\nversion: 0.1.0\napiVersion: v2\nannotations: {}\n\
             dependencies:\n- name: db\n  repository: ''\n  import-values: [data]\n\
             maintainers:\n- name: Ann\n  url: https://a.example\n",
        )
        .unwrap();
        assert_eq!(md.annotations, Some(BTreeMap::new()));
        assert_eq!(
            serde_json::to_string(&md).unwrap(),
            r#"{"name":"web","version":"0.1.0","maintainers":[{"name":"Ann","url":"https://a.example"}],"apiVersion":"v2","dependencies":[{"name":"db","repository":"","import-values":["data"]}],"type":"library"}"#
        );
    }

    #[test]
    fn lenient_scalars_and_nulls() {
        let md: ChartMetadata = serde_norway::from_str(
            "name: web\nversion: 1\nappVersion: 1.16\ndeprecated: null\nkeywords: [a, 2, true]\n\
             sources: null\nannotations: null\ndependencies: null\nmaintainers: null\n",
        )
        .unwrap();
        assert_eq!(md.version, "1");
        assert_eq!(md.app_version, "1.16");
        assert!(!md.deprecated);
        assert_eq!(md.keywords, ["a", "2", "true"]);
        assert!(md.sources.is_empty() && md.dependencies.is_empty());
        assert_eq!(md.annotations, None);
    }

    #[test]
    fn wrong_shapes_are_errors() {
        let err = serde_norway::from_str::<ChartMetadata>("name: [a]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "name: invalid type: sequence, expected a string, number, boolean or null at line 1 column 7"
        );
        assert!(serde_norway::from_str::<ChartMetadata>("maintainers: x\n").is_err());
    }
}
