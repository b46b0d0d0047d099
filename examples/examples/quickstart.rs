//! The quick start: runs Kokumi's main job on the embedded default.

fn main() {}
