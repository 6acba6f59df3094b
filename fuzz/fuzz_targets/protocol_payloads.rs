//! Every payload type of `modt::protocol` decoded from arbitrary bytes, and what the state unit
//! and the SDK do with an incoming payload (limits, legacy echo and conversion, the correlation
//! probe). The checks are in `checks/protocol_payloads.rs`.
#![no_main]

#[path = "../checks/protocol_payloads.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
