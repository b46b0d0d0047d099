//! A native Helm chart renderer for Kokumi.
//!
//! Renders Helm charts the way `helm template` does (Go text/template semantics, Sprig and Helm
//! functions, subcharts, values schema, CRDs, hooks, Helm 4 output order) and passes manifest
//! bundles through. It reads charts from bytes or a directory and returns its output; it never
//! prints and never touches a network.
//!
//! # The template engine, and why it is ours
//!
//! [`template`] is a Go `text/template` written for this crate. We evaluated `gotmpl` 0.6, the
//! most complete Rust port of `text/template`, and did not take it: its functions see only
//! their arguments and it cannot call methods on data, so `.Files.Get "x"` and
//! `.Capabilities.APIVersions.Has "apps/v1"` fail with "can't give argument to non-function",
//! and `include`/`tpl` (which must reach the template set being executed) would need
//! workarounds around the library rather than through it. Conformance decides: Helm users read
//! Go's exact error texts and rely on Go's quirks (a missing key prints `<no value>`, `eq 1 1.0`
//! is an error, `index "str" 1` is a byte), and the engine had to match them on 38 real charts.
//! Owning the engine also lets functions be resolved to pointers at parse time, dot and maps be
//! passed by reference count, and `include`/`tpl` see the set directly; see [`template`] for the
//! design.
//!
//! # Fuzzing
//!
//! `kokumi-render/fuzz` is a cargo-fuzz crate (its own workspace) with three targets, each
//! asserting that any input ends with a result or an error, never a panic, a hang or unbounded
//! memory: `parse_execute` (template text), `chart_archive` (chart `.tgz` bytes: archive
//! safety rules, loading, rendering) and `data_formats` (YAML, JSON, TOML and `--set` parsing,
//! then YAML/JSON/TOML output). cargo-fuzz runs on a stable toolchain without a sanitizer:
//!
//! ```text
//! cargo install cargo-fuzz
//! cd kokumi-render/fuzz
//! cargo fuzz run --sanitizer none parse_execute corpus/parse_execute seeds/parse_execute -- \
//!     -max_total_time=300 -timeout=10 -rss_limit_mb=2048
//! ```
//!
//! `kokumi-render/fuzz/README.md` has the other targets and how to turn a finding into a test.
//! The template property also runs on random inputs in the ordinary test suite
//! (`tests/template_fuzz.rs`), together with every input that once aborted, hung or exhausted
//! memory, so a stable-only CI checks it too.

pub mod capabilities;
pub mod chart;
pub mod error;
pub mod funcs;
pub mod gofmt;
mod gounicode;
pub mod log;
pub mod objects;
pub mod output;
pub mod render;
pub mod schema_refs;
mod schema_report;
pub mod strvals;
pub mod template;
pub mod value;
pub mod values;
mod worker;
pub mod yaml;
