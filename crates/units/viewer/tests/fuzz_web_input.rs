//! The `web_input` fuzz target's checks (`fuzz/checks/web_input.rs`: cookies, CSRF, language
//! choice, the viewer's forms and editor text) on its checked-in corpus
//! (`fuzz/corpus/web_input`): every test run repeats, on stable and without a fuzzer, what the
//! fuzzer asserts (docs/fuzzing.md).

#[path = "../../../../fuzz/checks/web_input.rs"]
mod checks;
#[path = "../../../../fuzz/checks/replay.rs"]
mod replay;

#[test]
fn the_fuzz_corpus_passes_the_web_input_checks() {
    replay::corpus("web_input", checks::check);
}
