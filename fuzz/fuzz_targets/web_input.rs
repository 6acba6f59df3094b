//! What a MoDT web unit reads from a request: cookies, the CSRF check, `Accept-Language` and
//! `?lang=`, and the viewer's form bodies and editor text. The checks are in `checks/web_input.rs`.
#![no_main]

#[path = "../checks/web_input.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::check(data));
