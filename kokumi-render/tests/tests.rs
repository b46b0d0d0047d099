//! Integration tests of kokumi-render (one binary; topic files below).

mod chart_fixtures;
mod chart_metadata;
mod conformance;
mod differential;
mod funcs;
mod go_semantics;
mod helm_errors;
mod manifest_heads;
mod template_corpus;
mod template_fuzz;
mod template_helm;
mod yaml_emit;
mod yaml_head;
