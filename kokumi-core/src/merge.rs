//! merge (work in progress).
