//! Integration tests of kokumi-render (one binary; topic files below).

mod chart_fixtures;
mod conformance;
mod go_semantics;
