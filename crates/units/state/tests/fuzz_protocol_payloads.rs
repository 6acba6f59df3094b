//! The `protocol_payloads` fuzz target's checks (`fuzz/checks/protocol_payloads.rs`: every
//! payload type, the state unit's limits, the legacy echo, the correlation probe) on its
//! checked-in corpus (`fuzz/corpus/protocol_payloads`): every test run repeats, on stable and
//! without a fuzzer, what the fuzzer asserts (docs/fuzzing.md).

#[path = "../../../../fuzz/checks/protocol_payloads.rs"]
mod checks;
#[path = "../../../../fuzz/checks/replay.rs"]
mod replay;

#[test]
fn the_fuzz_corpus_passes_the_protocol_payloads_checks() {
    replay::corpus("protocol_payloads", checks::check);
}
