//! The `broker_policy` fuzz target's checks (`fuzz/checks/broker_policy.rs`: policy files, ACL
//! decisions and output, client ids, password hashes and files) on its checked-in corpus
//! (`fuzz/corpus/broker_policy`): every test run repeats, on stable and without a fuzzer, what
//! the fuzzer asserts (docs/fuzzing.md).

#[path = "../../../fuzz/checks/broker_policy.rs"]
mod checks;
#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[test]
fn the_fuzz_corpus_passes_the_broker_policy_checks() {
    replay::corpus("broker_policy", checks::check);
}
