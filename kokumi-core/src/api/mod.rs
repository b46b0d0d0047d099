//! The `delivery.kokumi.dev/v1alpha1` API types.
