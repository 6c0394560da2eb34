//! Sensemaking (issue 29): the quality of themes and similar cards on a labelled set
//! (`quality`), and the API: every endpoint and role, what is never input, runs in history and
//! export, 503 without the model. Needs the model: scripts/sense-model.sh fetches it.

mod quality;

use std::path::PathBuf;
use std::sync::OnceLock;

use cocreate_sense::Model;

/// Where the model is: $COCREATE_SENSE_MODEL, else target/sense-model at the repository root
/// (where scripts/sense-model.sh puts it). Fails, saying how to get it, when it is not there.
fn model_dir() -> PathBuf {
    let dir = std::env::var_os("COCREATE_SENSE_MODEL")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/sense-model"));
    assert!(
        dir.join("weights.npz").is_file() && dir.join("sp.model").is_file(),
        "no sense model in {}: run scripts/sense-model.sh (or set COCREATE_SENSE_MODEL to where \
         it is); the sensemaking tests need it",
        dir.display()
    );
    dir
}

/// The model, loaded once for the quality tests.
fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = model_dir();
        Model::load(&dir)
            .unwrap_or_else(|e| panic!("the sense model in {} does not load: {e}", dir.display()))
    })
}
