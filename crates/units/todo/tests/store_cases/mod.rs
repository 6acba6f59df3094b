//! The store suite's cases that are long enough for their own files.

pub(crate) mod keys;
pub(crate) mod pages;
