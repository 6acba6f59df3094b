//! Replays a fuzz target's checked-in corpus (`fuzz/corpus/TARGET/*`) through its checks, so
//! the workspace's tests run, on stable and without a fuzzer, the assertions the fuzzer runs.

use std::path::PathBuf;

/// Runs `check` on every file of `fuzz/corpus/{target}`; fails naming the file that fails,
/// and fails when the corpus is missing or empty (a test that checks nothing would pass).
pub(crate) fn corpus(target: &str, check: fn(&[u8])) {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = manifest
        .ancestors()
        .map(|d| d.join("fuzz").join("corpus").join(target))
        .find(|d| d.is_dir())
        .unwrap_or_else(|| panic!("no fuzz/corpus/{target} above {}", manifest.display()));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    files.retain(|p| p.is_file());
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs", dir.display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        if std::panic::catch_unwind(|| check(&data)).is_err() {
            failed.push(file.display().to_string());
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {} inputs of fuzz/corpus/{target} fail the checks: {failed:?}",
        failed.len(),
        files.len()
    );
}
