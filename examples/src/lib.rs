//! Shared helpers for the runnable Kokumi examples in `examples/examples/`.
