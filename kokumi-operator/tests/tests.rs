//! Integration tests: the fake API server itself, then the controllers' scenarios on it.
#![allow(unreachable_pub)]

mod application;
mod e2e;
mod fake_api;
mod scenarios;
mod support;
