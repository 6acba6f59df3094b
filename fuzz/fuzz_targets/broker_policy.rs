//! The broker's policy file parser, its ACL decisions and Mosquitto ACL output, client-id
//! ownership, and `$7$` password hashes and files. The checks are in `checks/broker_policy.rs`.
#![no_main]

#[path = "../checks/broker_policy.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
