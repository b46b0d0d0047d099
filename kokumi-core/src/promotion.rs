//! promotion (work in progress).
