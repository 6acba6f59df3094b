//! Other untrusted text: broker policy files, Mosquitto password hashes, password files, and
//! the viewer's editor input. None may panic; editor text round-trips.
#![no_main]

use libfuzzer_sys::fuzz_target;
use modt_broker::{passwd, BrokerPolicy};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(policy) = BrokerPolicy::parse(text) {
        let _ = modt_broker::mosquitto::acl_file(&policy);
        for name in policy.account_names() {
            let _ = policy.may_publish(name, name, text);
            let _ = policy.may_subscribe(name, name, text);
        }
    }
    let _ = passwd::verify(data, text);
    let _ = passwd::parse_password_file(text);
    if let Ok(v) = modt_viewer::value::parse(text, false) {
        let shown = modt_viewer::value::edit_text(&v);
        let back = modt_viewer::value::parse(&shown, false)
            .unwrap_or_else(|_| modt_viewer::value::parse(&shown, true).expect("text always parses"));
        assert_eq!(back, v, "editor text round-trips");
    }
});
