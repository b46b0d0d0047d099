//! Kokumi's OCI layer.
//!
//! Registries (wrapping `oci-client`), an on-disk OCI image layout store, copying between stores,
//! referrers, credentials, and Kokumi's reproducible Preparation artifact format.
