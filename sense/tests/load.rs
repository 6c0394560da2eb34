//! Loading fails with an error saying what is wrong, and never with a panic: a missing
//! directory, a missing file, or a file that is not the pinned one. Needs no model.

use std::path::Path;

use cocreate_sense::{LoadError, Model};

#[test]
fn a_missing_model_says_how_to_fetch_it() {
    let err = Model::load(Path::new("/nonexistent/sense-model")).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("sp.model") && message.contains("scripts/sense-model.sh"),
        "{message}"
    );
}

#[test]
fn files_other_than_the_pinned_ones_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("sp.model"), b"not a sentencepiece model").unwrap();
    std::fs::write(dir.path().join("weights.npz"), b"not a zip").unwrap();
    match Model::load(dir.path()).unwrap_err() {
        LoadError::Checksum {
            path,
            expected,
            actual,
        } => {
            assert!(path.ends_with("sp.model"));
            assert_eq!(expected.len(), 64);
            assert_ne!(actual, expected);
        }
        err => panic!("expected a checksum error, got {err:?}"),
    }
}
