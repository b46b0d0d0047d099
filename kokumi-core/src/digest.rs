//! digest (work in progress).
