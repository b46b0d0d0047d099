//! Integration tests of kokumi-render (one binary; topic files below).

mod go_semantics;
mod template_fuzz;
mod template_helm;
