//! A native Helm chart renderer for Kokumi.
//!
//! Renders Helm charts the way `helm template` does (Go text/template semantics, Sprig and Helm
//! functions, subcharts, values schema, CRDs, hooks, Helm 4 output order) and passes manifest
//! bundles through. It reads charts from bytes or a directory and returns its output; it never
//! prints and never touches a network.

pub mod capabilities;
pub mod chart;
pub mod error;
pub mod funcs;
pub mod gofmt;
pub mod objects;
pub mod output;
pub mod render;
pub mod strvals;
pub mod template;
pub mod value;
pub mod values;
pub mod yaml;
