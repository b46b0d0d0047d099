//! `.Capabilities`: the Kubernetes and Helm versions a chart renders for, as helm 4.3.1 reports
//! them under `helm template` (no cluster): Kubernetes `v1.37.0` and the built-in API versions.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::funcs::Param;
use crate::value::{FuncError, Object, Value, named_fields, plain_fields};

/// The group/versions helm 4.3.1 reports without a cluster, in its order.
pub const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "lifecycle.k8s.io/v1alpha1",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// The Kubernetes version (`.Capabilities.KubeVersion`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KubeVersion {
    /// As given, with a `v` prefix (`v1.33.4-gke.1245000`): `.Version` and `.GitVersion`.
    pub version: String,
    /// Normalised for constraint checks (`v1.33.4`): what `String()` returns.
    pub normalized: String,
    /// `.Major`.
    pub major: String,
    /// `.Minor`.
    pub minor: String,
}

impl KubeVersion {
    /// Parses like helm's `ParseKubeVersion` (k8s `ParseGeneric`: at least major.minor, anything
    /// after the numbers is kept in `Version` only).
    pub fn parse(text: &str) -> Result<KubeVersion> {
        let bad = || {
            Error::Invalid(format!(
                "invalid kube version '{text}': could not parse {text:?} as version"
            ))
        };
        let body = text.trim();
        let body = body.strip_prefix('v').unwrap_or(body);
        let end = body
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(body.len());
        let numeric = &body[..end];
        let parts: Vec<&str> = numeric.split('.').collect();
        if parts.len() < 2 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let rest = &body[end..];
        if !rest.is_empty() && !rest.starts_with(['-', '+']) {
            return Err(bad());
        }
        let nums: Vec<u64> = parts
            .iter()
            .map(|p| p.parse::<u64>().map_err(|_| bad()))
            .collect::<Result<_>>()?;
        let normalized = format!(
            "v{}",
            nums.iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(".")
        );
        let version = if text.starts_with('v') {
            text.to_string()
        } else {
            format!("v{text}")
        };
        Ok(KubeVersion {
            version,
            normalized,
            major: nums[0].to_string(),
            minor: nums[1].to_string(),
        })
    }

    fn default_version() -> Self {
        KubeVersion {
            version: "v1.37.0".into(),
            normalized: "v1.37.0".into(),
            major: "1".into(),
            minor: "37".into(),
        }
    }
}

impl KubeVersion {
    /// `String()`: the normalised version, or `Version` where there is none (a `deepCopy`).
    fn string(&self) -> &str {
        if self.normalized.is_empty() {
            &self.version
        } else {
            &self.normalized
        }
    }

    /// What copystructure copies: the exported fields (the normalised version is not one).
    fn copied(&self) -> Self {
        KubeVersion {
            normalized: String::new(),
            ..self.clone()
        }
    }
}

impl Object for KubeVersion {
    fn type_name(&self) -> &str {
        "common.KubeVersion"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" => Some(Value::string(self.version.as_str())),
            "Major" => Some(Value::string(self.major.as_str())),
            "Minor" => Some(Value::string(self.minor.as_str())),
            _ => None,
        }
    }
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        matches!(name, "String" | "GitVersion").then_some(&[])
    }
    fn call(&self, name: &str, _args: &[Value]) -> Option<std::result::Result<Value, FuncError>> {
        match name {
            "String" => Some(Ok(Value::string(self.string()))),
            "GitVersion" => Some(Ok(Value::string(self.version.as_str()))),
            _ => None,
        }
    }
    fn field_string(&self) -> Option<String> {
        Some(self.string().to_owned())
    }
    fn go_format(&self) -> String {
        format!(
            "{{{} {} {} {}}}",
            self.version, self.normalized, self.major, self.minor
        )
    }
    fn to_plain(&self) -> Value {
        plain_fields(self.json_fields().unwrap_or_default())
    }
    fn deep_copy(&self) -> Option<Value> {
        Some(Value::Object(Arc::new(self.copied())))
    }
    fn json_fields(&self) -> Option<Vec<(&'static str, Value)>> {
        Some(named_fields(self, &["Version", "Major", "Minor"]))
    }
}

/// `.Capabilities.APIVersions`: a list with a `Has` method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionSet(pub Vec<String>);

impl Object for VersionSet {
    fn type_name(&self) -> &str {
        "common.VersionSet"
    }
    fn kind(&self) -> &str {
        "slice"
    }
    fn field(&self, _name: &str) -> Option<Value> {
        None
    }
    fn method(&self, name: &str) -> Option<&'static [Param]> {
        (name == "Has").then_some(&[Param::String])
    }
    fn call(&self, name: &str, args: &[Value]) -> Option<std::result::Result<Value, FuncError>> {
        match (name, args) {
            ("Has", [Value::String(s)]) => {
                Some(Ok(Value::Bool(self.0.iter().any(|v| v.as_str() == &**s))))
            }
            _ => None,
        }
    }
    fn go_format(&self) -> String {
        format!("[{}]", self.0.join(" "))
    }
    fn to_plain(&self) -> Value {
        Value::list(self.0.iter().map(|s| Value::string(s.as_str())).collect())
    }
    fn elements(&self) -> Option<Value> {
        Some(self.to_plain())
    }
}

/// `.Capabilities.HelmVersion`: the helm build we imitate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmVersion;

impl HelmVersion {
    const FIELDS: [(&'static str, &'static str, &'static str); 5] = [
        ("Version", "version", "v4.3.1"),
        (
            "GitCommit",
            "git_commit",
            "c0d08d0d6d9424d4a14febb5e8a3e51b0dd00dff",
        ),
        ("GitTreeState", "git_tree_state", "clean"),
        ("GoVersion", "go_version", "go1.27.2"),
        ("KubeClientVersion", "kube_client_version", "v1.37"),
    ];
}

impl Object for HelmVersion {
    fn type_name(&self) -> &str {
        "version.BuildInfo"
    }
    fn field(&self, name: &str) -> Option<Value> {
        Self::FIELDS
            .iter()
            .find(|(f, _, _)| *f == name)
            .map(|(_, _, v)| Value::string(*v))
    }
    fn go_format(&self) -> String {
        let vals: Vec<&str> = Self::FIELDS.iter().map(|(_, _, v)| *v).collect();
        format!("{{{}}}", vals.join(" "))
    }
    fn to_plain(&self) -> Value {
        plain_fields(self.json_fields().unwrap_or_default())
    }
    fn json_fields(&self) -> Option<Vec<(&'static str, Value)>> {
        Some(
            Self::FIELDS
                .iter()
                .map(|(_, json, v)| (*json, Value::string(*v)))
                .collect(),
        )
    }
}

/// `.Capabilities`.
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// `.KubeVersion`.
    pub kube_version: Arc<KubeVersion>,
    /// `.APIVersions`.
    pub api_versions: Arc<VersionSet>,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self::new(None, &[]).unwrap_or_else(|_| Capabilities {
            kube_version: Arc::new(KubeVersion::default_version()),
            api_versions: Arc::new(VersionSet(Vec::new())),
        })
    }
}

impl Capabilities {
    /// helm's defaults, with `--kube-version` and extra `--api-versions` applied.
    pub fn new(kube_version: Option<&str>, extra_api_versions: &[String]) -> Result<Self> {
        let kube = match kube_version {
            Some(v) => KubeVersion::parse(v)?,
            None => KubeVersion::default_version(),
        };
        let mut apis: Vec<String> = DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect();
        apis.extend(extra_api_versions.iter().cloned());
        Ok(Capabilities {
            kube_version: Arc::new(kube),
            api_versions: Arc::new(VersionSet(apis)),
        })
    }
}

impl Object for Capabilities {
    fn type_name(&self) -> &str {
        "*common.Capabilities"
    }
    fn kind(&self) -> &str {
        "ptr"
    }
    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "KubeVersion" => Some(Value::Object(self.kube_version.clone())),
            "APIVersions" => Some(Value::Object(self.api_versions.clone())),
            "HelmVersion" => Some(Value::Object(Arc::new(HelmVersion))),
            _ => None,
        }
    }
    fn go_format(&self) -> String {
        format!(
            "&{{{} {} {}}}",
            self.kube_version.go_format(),
            self.api_versions.go_format(),
            HelmVersion.go_format()
        )
    }
    fn to_plain(&self) -> Value {
        plain_fields(self.json_fields().unwrap_or_default())
    }
    fn deep_copy(&self) -> Option<Value> {
        Some(Value::Object(Arc::new(Capabilities {
            kube_version: Arc::new(self.kube_version.copied()),
            api_versions: self.api_versions.clone(),
        })))
    }
    fn json_fields(&self) -> Option<Vec<(&'static str, Value)>> {
        Some(named_fields(
            self,
            &["KubeVersion", "APIVersions", "HelmVersion"],
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_helm_4_3_1() {
        let caps = Capabilities::default();
        assert_eq!(caps.kube_version.go_format(), "{v1.37.0 v1.37.0 1 37}");
        assert_eq!(caps.api_versions.0.len(), 57);
        let has = |s: &str| caps.api_versions.call("Has", &[Value::string(s)]);
        assert_eq!(has("apps/v1"), Some(Ok(Value::Bool(true))));
        assert_eq!(has("apps/v1/Deployment"), Some(Ok(Value::Bool(false))));
    }

    #[test]
    fn kube_version_parsing() {
        let k = KubeVersion::parse("1.33.4-gke.1245000").unwrap();
        assert_eq!(k.version, "v1.33.4-gke.1245000");
        assert_eq!(k.normalized, "v1.33.4");
        assert_eq!((k.major.as_str(), k.minor.as_str()), ("1", "33"));
        assert!(KubeVersion::parse("banana").is_err());
        assert!(KubeVersion::parse("1").is_err());
    }
}
