//! Kokumi's OCI layer.
//!
//! Registries (wrapping `oci-client`), an on-disk OCI image layout store, copying between stores,
//! referrers, credentials, and Kokumi's reproducible Preparation artifact format.
//!
//! The main abstraction is [`Store`], one repository-scoped content store, implemented by
//! [`registry::RegistryStore`] and [`layout::LayoutStore`]; everything else works through it:
//! [`copy`] between any two stores, [`artifact`] packs and pulls Preparations, [`source`] reads
//! Helm charts and manifest bundles (and builds `helm push` artifacts), [`extract`] reads
//! untrusted layers safely. Every read is digest-verified.
//!
//! This crate does not render charts, apply patches or decide anything about Orders: it moves
//! and checks bytes. Libraries never print; progress goes through callbacks.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use kokumi_oci::artifact::{pack, pull, PreparationMeta};
//! use kokumi_oci::extract::Limits;
//! use kokumi_oci::layout::LayoutStore;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = LayoutStore::create(dir.path()).await.unwrap();
//! let packed = pack(&[("manifest.yaml", b"kind: ConfigMap\n".as_slice())], &PreparationMeta::new("web")).unwrap();
//! let digest = packed.push(&store, Some("v1")).await.unwrap();
//! let prep = pull(&store, "v1", &Limits::default()).await.unwrap();
//! assert_eq!(prep.digest, digest);
//! assert_eq!(prep.file("manifest.yaml").unwrap(), b"kind: ConfigMap\n");
//! # });
//! ```

pub mod artifact;
pub mod auth;
pub mod copy;
pub mod error;
pub mod extract;
pub mod layout;
pub mod media_types;
pub mod referrers;
pub mod registry;
pub mod source;
pub mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod transport;

pub use error::{Error, Result};
pub use store::{BlobReader, Digest, DigestExt, Manifest, Reference, Store, StoreLocation, Target};
