//! `Recipe`: a render profile — Helm options, output layout and an image policy.
//!
//! Upstream Kokumi declares Recipe but leaves it empty; here it is a real profile that an Order
//! (or a Menu) names with `recipeRef`. Its `helm.values` are the middle layer of the values
//! merge (Menu base → Recipe → Order). Its [`ImagePolicy`] is enforced after rendering and
//! patching: [`ImagePolicy::check`] walks the rendered documents and reports every container
//! image that breaks it.
//!
//! ```
//! use kokumi_core::api::{ImagePolicy, ImageViolationKind};
//! use serde_json::json;
//!
//! let policy = ImagePolicy { require_digest: Some(true), forbid_latest: Some(true), ..Default::default() };
//! let deployment = json!({
//!     "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
//!     "spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:latest"}]}}}
//! });
//! let violations = policy.check([&deployment]);
//! assert_eq!(violations.len(), 2);
//! assert_eq!(violations[0].kind, ImageViolationKind::NotDigestPinned);
//! assert_eq!(violations[0].path, ".spec.template.spec.containers[0].image");
//! assert_eq!(violations[1].kind, ImageViolationKind::LatestTag);
//! ```

use std::fmt;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::order::Layout;
use crate::digest::Digest;

/// A render profile: Helm options, output layout, image policy.
// Each `printcolumn(...)` repeats the same keys, which clippy mistakes for duplicates.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[kube(
    group = "delivery.kokumi.dev",
    version = "v1alpha1",
    kind = "Recipe",
    status = "RecipeStatus",
    derive = "PartialEq",
    derive = "Default",
    shortname = "rcp",
    category = "kokumi",
    doc = "A Recipe: a cluster-scoped render profile (Helm options, output layout, image policy) that Orders and Menus refer to.",
    printcolumn(
        name = "KubeVersion",
        type_ = "string",
        json_path = ".spec.helm.kubeVersion"
    ),
    printcolumn(name = "Layout", type_ = "string", json_path = ".spec.output.layout"),
    printcolumn(
        name = "RequireDigest",
        type_ = "boolean",
        json_path = ".spec.imagePolicy.requireDigest"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct RecipeSpec {
    /// Options for rendering Helm charts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub helm: Option<RecipeHelm>,

    /// How the rendered documents are laid out in the artifact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<RecipeOutput>,

    /// Rules every container image in the rendered documents must follow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_policy: Option<ImagePolicy>,
}

/// Helm options of a Recipe (the `helm template` flags that are not per-Order).
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RecipeHelm {
    /// `.Capabilities.KubeVersion` (`--kube-version`), e.g. `v1.31.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 64),
        regex(pattern = r"^v?[0-9]+\.[0-9]+(\.[0-9]+)?.*$")
    )]
    pub kube_version: Option<String>,

    /// Extra `.Capabilities.APIVersions` (`--api-versions`), e.g. `monitoring.coreos.com/v1`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_versions: Vec<String>,

    /// Render the chart's `crds/` too (`--include-crds`); the Order's own setting wins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[serde(rename = "includeCRDs")]
    pub include_crds: Option<bool>,

    /// Leave out `helm.sh/hook: test` documents (`--skip-tests`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skip_tests: Option<bool>,

    /// Leave out every hook document (`--no-hooks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_hooks: Option<bool>,

    /// Values merged over the Menu's and under the Order's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::schema::preserve_unknown_object")]
    pub values: Option<Value>,
}

/// Output options of a Recipe.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RecipeOutput {
    /// `Single` (one `manifest.yaml`) or `Multi` (one file per source file / template).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layout: Option<Layout>,
}

/// Rules for the container images of the rendered documents.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Eq, Default)]
#[serde(rename_all = "camelCase")]
pub struct ImagePolicy {
    /// Every image must be pinned by digest (`…@sha256:<hex>`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub require_digest: Option<bool>,

    /// No image may use the `latest` tag, written or implied, unless it is pinned by digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forbid_latest: Option<bool>,

    /// If not empty, images must come from one of these registry hosts (`docker.io` for
    /// images without a registry part).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_registries: Vec<String>,
}

/// What the Recipe controller last observed.
#[derive(Serialize, Deserialize, JsonSchema, Clone, Debug, PartialEq, Default)]
#[serde(rename_all = "camelCase")]
pub struct RecipeStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// `Ready` (Kubernetes conventions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::schema::conditions")]
    pub conditions: Vec<Condition>,
}

/// One container image that breaks an [`ImagePolicy`].
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ImageViolation {
    /// Index of the document in the rendered output (0-based).
    pub document: usize,
    /// `kind` of the document.
    pub kind_of_document: String,
    /// `metadata.name` of the document.
    pub name: String,
    /// Where the image is, kokumi path syntax: `.spec.template.spec.containers[0].image`.
    pub path: String,
    /// The image as written.
    pub image: String,
    /// Which rule it breaks.
    pub kind: ImageViolationKind,
}

/// The rule an image breaks.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ImageViolationKind {
    /// `requireDigest` is set and the image has no `@sha256:` digest.
    NotDigestPinned,
    /// `forbidLatest` is set and the image is `:latest` (or has no tag) without a digest.
    LatestTag,
    /// The registry is not in `allowedRegistries`.
    RegistryNotAllowed,
}

impl fmt::Display for ImageViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = match self.kind {
            ImageViolationKind::NotDigestPinned => "is not pinned by digest",
            ImageViolationKind::LatestTag => "uses the latest tag",
            ImageViolationKind::RegistryNotAllowed => "comes from a registry that is not allowed",
        };
        write!(
            f,
            "document {} ({} {}) {}: image {:?} {rule}",
            self.document, self.kind_of_document, self.name, self.path, self.image
        )
    }
}

/// The parts of an image reference that the policy looks at.
#[derive(Debug, PartialEq, Eq)]
struct ImageRef<'a> {
    registry: &'a str,
    tag: Option<&'a str>,
    digest: Option<&'a str>,
}

fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let (registry, rest) = match name.split_once('/') {
        Some((first, rest))
            if first.contains('.') || first.contains(':') || first == "localhost" =>
        {
            (first, rest)
        }
        _ => ("docker.io", name),
    };
    let last = rest.rsplit('/').next().unwrap_or(rest);
    let tag = last.split_once(':').map(|(_, tag)| tag);
    ImageRef {
        registry,
        tag,
        digest,
    }
}

const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

impl ImagePolicy {
    /// `true` when the policy has no rule to enforce.
    pub fn is_empty(&self) -> bool {
        !self.require_digest.unwrap_or(false)
            && !self.forbid_latest.unwrap_or(false)
            && self.allowed_registries.is_empty()
    }

    /// Every violation in `documents`, in document order, then path order.
    ///
    /// Images are found wherever a `containers`, `initContainers` or `ephemeralContainers` list
    /// of objects with an `image` string appears, so Pods, workload templates, CronJobs and
    /// custom resources that embed pod specs are all covered.
    pub fn check<'a>(&self, documents: impl IntoIterator<Item = &'a Value>) -> Vec<ImageViolation> {
        let mut out = Vec::new();
        if self.is_empty() {
            return out;
        }
        for (index, doc) in documents.into_iter().enumerate() {
            let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
            let name = doc
                .pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("");
            let mut images = Vec::new();
            collect_images(doc, &mut String::new(), &mut images);
            for (path, image) in images {
                for violation in self.rules_broken(image) {
                    out.push(ImageViolation {
                        document: index,
                        kind_of_document: kind.to_owned(),
                        name: name.to_owned(),
                        path: path.clone(),
                        image: image.to_owned(),
                        kind: violation,
                    });
                }
            }
        }
        out
    }

    fn rules_broken(&self, image: &str) -> Vec<ImageViolationKind> {
        let parsed = parse_image(image);
        let pinned = parsed.digest.is_some_and(|d| d.parse::<Digest>().is_ok());
        let mut broken = Vec::new();
        if self.require_digest.unwrap_or(false) && !pinned {
            broken.push(ImageViolationKind::NotDigestPinned);
        }
        if self.forbid_latest.unwrap_or(false)
            && !pinned
            && parsed.tag.is_none_or(|t| t == "latest")
        {
            broken.push(ImageViolationKind::LatestTag);
        }
        if !self.allowed_registries.is_empty()
            && !self.allowed_registries.iter().any(|r| r == parsed.registry)
        {
            broken.push(ImageViolationKind::RegistryNotAllowed);
        }
        broken
    }
}

fn collect_images<'a>(value: &'a Value, path: &mut String, out: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = path.len();
                push_key(path, key);
                if CONTAINER_LISTS.contains(&key.as_str())
                    && let Value::Array(items) = child
                {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(image) = item.get("image").and_then(Value::as_str) {
                            out.push((format!("{path}[{i}].image"), image));
                        }
                    }
                } else {
                    collect_images(child, path, out);
                }
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                collect_images(item, path, out);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn push_key(path: &mut String, key: &str) {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if plain {
        path.push('.');
        path.push_str(key);
    } else {
        path.push_str(&format!("[{key:?}]"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PINNED: &str =
        "ghcr.io/org/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    #[test]
    fn parses_image_references() {
        assert_eq!(
            parse_image("nginx"),
            ImageRef {
                registry: "docker.io",
                tag: None,
                digest: None
            }
        );
        assert_eq!(
            parse_image("localhost:5000/team/app:1.2"),
            ImageRef {
                registry: "localhost:5000",
                tag: Some("1.2"),
                digest: None
            }
        );
        assert_eq!(
            parse_image("library/redis:7"),
            ImageRef {
                registry: "docker.io",
                tag: Some("7"),
                digest: None
            }
        );
        assert_eq!(parse_image(PINNED).registry, "ghcr.io");
        assert!(parse_image(PINNED).digest.is_some());
    }

    #[test]
    fn empty_policy_reports_nothing() {
        let doc = json!({"kind": "Pod", "spec": {"containers": [{"image": "nginx"}]}});
        assert!(ImagePolicy::default().check([&doc]).is_empty());
    }

    #[test]
    fn finds_every_container_list_including_cronjobs() {
        let policy = ImagePolicy {
            require_digest: Some(true),
            ..Default::default()
        };
        let cron = json!({
            "kind": "CronJob", "metadata": {"name": "nightly"},
            "spec": {"jobTemplate": {"spec": {"template": {"spec": {
                "initContainers": [{"name": "init", "image": PINNED}],
                "containers": [{"name": "a", "image": "busybox:1.36"}],
            }}}}}
        });
        let got = policy.check([&json!({"kind": "ConfigMap"}), &cron]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].document, 1);
        assert_eq!(
            got[0].path,
            ".spec.jobTemplate.spec.template.spec.containers[0].image"
        );
        assert_eq!(
            got[0].to_string(),
            "document 1 (CronJob nightly) .spec.jobTemplate.spec.template.spec.containers[0].image: \
             image \"busybox:1.36\" is not pinned by digest"
        );
    }

    #[test]
    fn latest_rule_allows_pinned_and_tagged() {
        let policy = ImagePolicy {
            forbid_latest: Some(true),
            ..Default::default()
        };
        let pod = json!({"kind": "Pod", "spec": {"containers": [
            {"image": "nginx"}, {"image": "nginx:latest"}, {"image": "nginx:1.27"},
            {"image": format!("nginx:latest@{}", PINNED.split_once('@').unwrap().1)},
            {"image": "localhost:5000/app"},
        ]}});
        let got: Vec<_> = policy.check([&pod]).into_iter().map(|v| v.path).collect();
        assert_eq!(
            got,
            [
                ".spec.containers[0].image",
                ".spec.containers[1].image",
                ".spec.containers[4].image"
            ]
        );
    }

    #[test]
    fn registry_allow_list() {
        let policy = ImagePolicy {
            allowed_registries: vec!["ghcr.io".into()],
            ..Default::default()
        };
        let pod =
            json!({"kind": "Pod", "spec": {"containers": [{"image": PINNED}, {"image": "nginx"}]}});
        let got = policy.check([&pod]);
        assert_eq!(got.len(), 1);
        assert_eq!(got[0].kind, ImageViolationKind::RegistryNotAllowed);
        assert_eq!(got[0].image, "nginx");
    }
}
