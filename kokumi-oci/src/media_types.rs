//! Media types and annotation keys we read and write.

/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// Docker v2 schema 2 image manifest.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// Docker v2 manifest list.
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// OCI empty descriptor / empty JSON config (`{}`).
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
/// OCI tar layer.
pub const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
/// OCI tar+gzip layer.
pub const OCI_LAYER_TAR_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
/// Docker tar+gzip layer.
pub const DOCKER_LAYER_TAR_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
/// OCI image config.
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// Helm chart config (`helm push`).
pub const HELM_CONFIG: &str = "application/vnd.cncf.helm.config.v1+json";
/// Helm chart content layer.
pub const HELM_CHART_CONTENT: &str = "application/vnd.cncf.helm.chart.content.v1.tar+gzip";
/// Legacy Helm chart layer type (Helm 3.0–3.7 experimental OCI support).
pub const HELM_CHART_LEGACY: &str = "application/tar+gzip";
/// Helm chart provenance layer.
pub const HELM_PROVENANCE: &str = "application/vnd.cncf.helm.chart.provenance.v1.prov";

/// Flux OCI artifact content layer.
pub const FLUX_CONTENT: &str = "application/vnd.cncf.flux.content.v1.tar+gzip";
/// Flux OCI artifact config.
pub const FLUX_CONFIG: &str = "application/vnd.cncf.flux.config.v1+json";

/// Kokumi Preparation artifact type (manifest `artifactType`).
pub const PREPARATION_ARTIFACT: &str = "application/vnd.kokumi.preparation.v1";
/// Kokumi Preparation config blob.
pub const PREPARATION_CONFIG: &str = "application/vnd.kokumi.preparation.config.v1+json";

/// The `oci-layout` file content version.
pub const IMAGE_LAYOUT_VERSION: &str = "1.0.0";

/// Annotation: a tag name in an OCI layout's `index.json`.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Annotation: source repository URL.
pub const ANNOTATION_SOURCE: &str = "org.opencontainers.image.source";
/// Annotation: source revision.
pub const ANNOTATION_REVISION: &str = "org.opencontainers.image.revision";
/// Annotation: version of the packaged software.
pub const ANNOTATION_VERSION: &str = "org.opencontainers.image.version";
/// Annotation: human-readable description.
pub const ANNOTATION_DESCRIPTION: &str = "org.opencontainers.image.description";
/// Annotation: title.
pub const ANNOTATION_TITLE: &str = "org.opencontainers.image.title";
/// Annotation: creation time (we never write it by default).
pub const ANNOTATION_CREATED: &str = "org.opencontainers.image.created";
/// Annotation: the Kokumi Order a Preparation was rendered from.
pub const ANNOTATION_KOKUMI_ORDER: &str = "dev.kokumi.order";
/// Annotation: the digest of the Preparation this one supersedes.
pub const ANNOTATION_KOKUMI_PARENT: &str = "dev.kokumi.parent";

/// Whether `media_type` is an image index or manifest list.
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// Whether `media_type` is an image manifest (OCI or Docker v2 schema 2).
pub fn is_manifest(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}
