//! document (work in progress).
