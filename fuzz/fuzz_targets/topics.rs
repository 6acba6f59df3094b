//! Topic names and filters: parsing, matching and the protocol's topic readers and builders, with
//! properties (a filter matches the topics made of its literal levels, the matcher agrees with a
//! plain level-by-level reference). The checks are in `checks/topics.rs`.
#![no_main]

#[path = "../checks/topics.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
