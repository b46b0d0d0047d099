//! Where `kokumi apply` puts an Order's Preparations: the state directory's OCI layout always,
//! and the Order's `spec.destination` too when it names one.
//!
//! The CLI and the operator follow one rule, `kokumi_pipeline::destination` (the CLI looks the
//! destination Pantry up in the state, or for `kokumi render` in its files too). The operator pushes
//! to the destination (else its in-cluster registry); locally, an Order without a destination
//! stays on disk, and one with a destination is pushed there as well — the same repository,
//! tagged with the Preparation's name — so that the Argo CD Application `kokumi application`
//! prints can pull it. `show`, `diff` and `rollback` keep reading the local
//! copy. When only the destination changes, the Preparation stays the same (same config hash,
//! same digest): it is pushed to the new repository, its record names that copy, and the old
//! repository keeps its copy. `spec.destination.pantryRef` takes the Pantry's URL and transport flags (a Pantry URL
//! naming only a registry gets the operator's `<namespace>/<order>` repository).
//!
//! Credentials come from the user's docker config (`--registry-config`, else
//! `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`, helpers included), as for `kokumi
//! push`; loopback registries speak plain HTTP unless told otherwise, others need
//! `--plain-http` for it.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use kokumi_oci::auth::{DockerConfig, ProcessHelpers};
use kokumi_oci::layout::LayoutStore;
use kokumi_oci::registry::{Registries, RegistryConfig, RegistryStore};
use kokumi_oci::store::{BlobReader, read_capped};
use kokumi_oci::{Digest, Manifest, Store, StoreLocation};
use kokumi_pipeline::destination::Remote;
use oci_spec::image::Descriptor;

use super::{Failure, exit};

/// How `apply` reaches the registries Orders name as their destination.
#[derive(Debug, Clone, Args, Default)]
pub struct DestinationArgs {
    /// Talk plain HTTP to destination registries (loopback hosts use plain HTTP by default).
    #[arg(long)]
    pub plain_http: bool,
    /// Skip TLS certificate verification for destination registries.
    #[arg(long)]
    pub insecure: bool,
    /// Docker `config.json` with credentials [default: $DOCKER_CONFIG/config.json or
    /// ~/.docker/config.json].
    #[arg(long, value_name = "PATH")]
    pub registry_config: Option<PathBuf>,
}

/// Opens the registry repository `remote` with the user's credentials and `args`' flags.
pub(crate) fn open_remote(
    remote: &Remote,
    args: &DestinationArgs,
    docker: Option<&DockerConfig>,
) -> Result<RegistryStore, Failure> {
    let mut registries = Registries::new(RegistryConfig::default());
    if let Some(docker) = docker {
        registries =
            registries.with_docker_config(docker.clone(), Arc::new(ProcessHelpers::default()));
    }
    if args.plain_http || remote.plain_http {
        registries = registries.plain_http(&remote.host);
    }
    if args.insecure || remote.insecure {
        registries = registries.insecure(&remote.host);
    }
    registries
        .store(&remote.host, &remote.repository)
        .map_err(|e| Failure::new(exit::USAGE, kokumi_pipeline::pipeline::error_chain(&e)))
}

/// The docker config `args` name (which must exist), else the default one (if any).
pub(crate) fn docker_config(args: &DestinationArgs) -> Result<Option<DockerConfig>, Failure> {
    let chain = |e: kokumi_oci::Error| {
        Failure::new(exit::FAILURE, kokumi_pipeline::pipeline::error_chain(&e))
    };
    match &args.registry_config {
        Some(path) => match DockerConfig::load(path).map_err(chain)? {
            Some(config) => Ok(Some(config)),
            None => Err(Failure::new(
                exit::NOT_FOUND,
                format!("registry config {} does not exist", path.display()),
            )),
        },
        None => DockerConfig::load_default().map_err(chain),
    }
}

/// The state's layout and a registry repository as one [`Store`]: every write goes to both
/// (the layout first), reads come from the layout, and an artifact counts as present only when
/// both hold it — so a Preparation whose remote copy was lost is pushed again. Its location is
/// the registry's: that is the `ociRef` a Preparation records and Argo CD pulls.
#[derive(Debug)]
pub(crate) struct Mirrored<'a> {
    pub(crate) local: &'a LayoutStore,
    pub(crate) remote: RegistryStore,
}

/// Largest blob buffered to be written twice (Preparation artifacts are far smaller).
const MAX_MIRRORED_BLOB: u64 = 512 * 1024 * 1024;

#[async_trait::async_trait]
impl Store for Mirrored<'_> {
    async fn resolve(&self, reference: &str) -> kokumi_oci::Result<Descriptor> {
        self.local.resolve(reference).await?;
        self.remote.resolve(reference).await
    }

    async fn get_manifest(&self, digest: &Digest) -> kokumi_oci::Result<Manifest> {
        self.local.get_manifest(digest).await
    }

    async fn put_manifest(
        &self,
        manifest: &Manifest,
        tag: Option<&str>,
    ) -> kokumi_oci::Result<Digest> {
        self.local.put_manifest(manifest, tag).await?;
        self.remote.put_manifest(manifest, tag).await
    }

    async fn has_blob(&self, digest: &Digest) -> kokumi_oci::Result<bool> {
        Ok(self.local.has_blob(digest).await? && self.remote.has_blob(digest).await?)
    }

    async fn get_blob(&self, digest: &Digest) -> kokumi_oci::Result<BlobReader> {
        self.local.get_blob(digest).await
    }

    async fn put_blob(
        &self,
        digest: &Digest,
        size: u64,
        data: BlobReader,
    ) -> kokumi_oci::Result<()> {
        let bytes =
            read_capped(data, size.min(MAX_MIRRORED_BLOB), &format!("blob {digest}")).await?;
        if !self.local.has_blob(digest).await? {
            self.local
                .put_blob(digest, size, Box::pin(std::io::Cursor::new(bytes.clone())))
                .await?;
        }
        if !self.remote.has_blob(digest).await? {
            self.remote
                .put_blob(digest, size, Box::pin(std::io::Cursor::new(bytes)))
                .await?;
        }
        Ok(())
    }

    /// Each side by its own cheapest path (for the registry, one `POST ?mount=` when the blob
    /// is already there); the bytes count as sent when either side needed them.
    async fn ensure_blob_bytes(&self, bytes: Vec<u8>) -> kokumi_oci::Result<bool> {
        let local = self.local.ensure_blob_bytes(bytes.clone()).await?;
        let remote = self.remote.ensure_blob_bytes(bytes).await?;
        Ok(local || remote)
    }

    async fn list_tags(&self) -> kokumi_oci::Result<Vec<String>> {
        self.local.list_tags().await
    }

    async fn referrers(
        &self,
        subject: &Digest,
        artifact_type: Option<&str>,
    ) -> kokumi_oci::Result<Vec<Descriptor>> {
        self.local.referrers(subject, artifact_type).await
    }

    async fn delete_manifest(&self, digest: &Digest) -> kokumi_oci::Result<()> {
        self.local.delete_manifest(digest).await?;
        self.remote.delete_manifest(digest).await
    }

    fn location(&self) -> StoreLocation {
        self.remote.location()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kokumi_oci::testing::TestRegistry;

    /// Each side of the mirror gets a blob it lacks, and the answer says whether any bytes
    /// went out.
    #[tokio::test]
    async fn ensure_blob_bytes_fills_whichever_side_lacks_the_blob() {
        let Some(registry) = TestRegistry::start() else {
            return;
        };
        let dir = tempfile::tempdir().unwrap();
        let local = LayoutStore::create(dir.path()).await.unwrap();
        let remote = registry.store("team/mirror");
        let mirrored = Mirrored {
            local: &local,
            remote: remote.clone(),
        };
        let only_local = b"only in the layout".to_vec();
        let digest = Digest::of_bytes(&only_local);
        local.put_blob_bytes(only_local.clone()).await.unwrap();
        assert!(!remote.has_blob(&digest).await.unwrap());

        assert!(
            mirrored
                .ensure_blob_bytes(only_local.clone())
                .await
                .unwrap()
        );
        assert!(remote.has_blob(&digest).await.unwrap());
        assert!(!mirrored.ensure_blob_bytes(only_local).await.unwrap());

        let fresh = b"in neither".to_vec();
        let fresh_digest = Digest::of_bytes(&fresh);
        assert!(mirrored.ensure_blob_bytes(fresh).await.unwrap());
        assert!(local.has_blob(&fresh_digest).await.unwrap());
        assert!(remote.has_blob(&fresh_digest).await.unwrap());
    }
}
