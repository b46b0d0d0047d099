//! Integration tests of `kokumi-core`, one binary; each topic is a module.

mod crd;
mod digest;
mod document;
mod merge;
mod no_io;
mod patch;
mod policy;
mod samples;
