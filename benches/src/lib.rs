//! Shared helpers for Kokumi's criterion benchmarks in `benches/benches/`.
