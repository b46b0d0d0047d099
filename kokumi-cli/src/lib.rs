//! The library behind the `kokumi` command's local mode.
//!
//! Every command of the local lifecycle (`apply`, `get`, `describe`, `show`, `diff`,
//! `promote`, `approve`, `rollback`, `render`, `menu check`, `application`, `crds`,
//! `completions`) is a function in [`local`] that writes to the streams it is given, so tests
//! call it without a process. The binary (`src/main.rs`) only parses and dispatches. The
//! pipeline itself lives in `kokumi-pipeline`; this crate adds the state directory, tables and
//! the command-line surface. It does not talk to a cluster.
//!
//! ```no_run
//! use kokumi_cli::local::{Context, run_line};
//! let ctx = Context::new("/tmp/kokumi-doc/.kokumi".into(), "/tmp".into());
//! let (code, out, err) = run_line(&ctx, &["get", "orders"]);
//! assert_eq!(code, 0, "{err}");
//! println!("{out}");
//! ```

pub mod failure;
pub mod local;
pub mod oci;
pub mod progress;
