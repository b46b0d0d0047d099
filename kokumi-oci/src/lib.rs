//! Kokumi's OCI layer.
//!
//! Registries (wrapping `oci-client`), an on-disk OCI image layout store, copying between stores,
//! referrers, credentials, and Kokumi's reproducible Preparation artifact format.

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
mod transport;

pub use error::{Error, Result};
pub use store::{BlobReader, Digest, Manifest, Reference, Store, StoreLocation, Target};
