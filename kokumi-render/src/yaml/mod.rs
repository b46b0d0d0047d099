//! YAML as Helm reads and writes it: [`parse`] (sigs.k8s.io/yaml over go-yaml v2 decoding) and
//! the emitter used by `toYaml` (sigs.k8s.io/yaml encoding).

pub mod emit;
pub mod head;
pub mod parse;
mod resolve;
