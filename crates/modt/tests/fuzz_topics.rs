//! The `topics` fuzz target's checks (`fuzz/checks/topics.rs`: topic names and filters,
//! matching, the topic readers and builders) on its checked-in corpus (`fuzz/corpus/topics`):
//! every test run repeats, on stable and without a fuzzer, what the fuzzer asserts
//! (docs/fuzzing.md).

#[path = "../../../fuzz/checks/topics.rs"]
mod checks;
#[path = "../../../fuzz/checks/replay.rs"]
mod replay;

#[test]
fn the_fuzz_corpus_passes_the_topics_checks() {
    replay::corpus("topics", checks::check);
}
