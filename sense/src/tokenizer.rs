//! The SentencePiece unigram tokenizer of sp.model: the pieces and their scores, the
//! normaliser, and the Viterbi segmentation of the normalised text into the pieces whose
//! scores sum highest. It reproduces the reference package's tokenizer id for id, including
//! what it does differently from the C++ library: every piece can match text (`<s>`,
//! `</s>`, `<unk>` and the user-defined ones too), and each character no piece starts with is
//! its own `<unk>`.

use std::collections::HashMap;

use thiserror::Error;

use crate::normalizer::{CharsMapError, Normalizer, Whitespace};
use crate::proto::{self, ProtoError, Value};

/// The id of `<unk>`: text no piece covers, and the whole of a text that normalises to nothing.
pub const UNK: u32 = 0;
/// The id of `<s>`, which the encoder puts before every text's pieces.
pub const BOS: u32 = 1;
/// The id of `</s>`, which the encoder puts after every text's pieces.
pub const EOS: u32 = 2;

/// How much worse than the worst piece an unknown character scores (sentencepiece's
/// `kUnkPenalty`).
const UNK_PENALTY: f64 = 10.0;

/// Why sp.model could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenizerError {
    #[error(transparent)]
    Proto(#[from] ProtoError),
    #[error(transparent)]
    CharsMap(#[from] CharsMapError),
    /// A piece without its text.
    #[error("piece {0} has no text")]
    PieceText(usize),
    /// A piece's text is not UTF-8.
    #[error("piece {0} is not UTF-8")]
    PieceUtf8(usize),
    /// Fewer pieces than the special ones (`<unk>`, `<s>`, `</s>`).
    #[error("{0} pieces, fewer than the 3 special ones")]
    TooFewPieces(usize),
}

/// A unigram model's vocabulary and normaliser.
#[derive(Debug)]
pub(crate) struct Tokenizer {
    /// Piece text -> id; a text twice keeps its last id, as the reference does.
    ids: HashMap<Box<str>, u32>,
    /// Each piece's log-probability, by id.
    scores: Vec<f32>,
    /// The longest piece, in characters: no match is looked for beyond it.
    max_chars: usize,
    /// What an unknown character scores: the worst piece's score less `UNK_PENALTY`.
    unk_score: f64,
    normalizer: Normalizer,
}

impl Tokenizer {
    /// Reads a serialised `ModelProto`: the pieces (field 1: text, score) and the normaliser
    /// spec (field 3: precompiled character map and whitespace flags).
    pub(crate) fn from_model_proto(model: &[u8]) -> Result<Self, TokenizerError> {
        let mut ids = HashMap::new();
        let mut scores = Vec::new();
        let mut max_chars = 0;
        let mut charsmap: &[u8] = &[];
        let mut whitespace = Whitespace::default();
        for field in proto::fields(model) {
            match field? {
                (1, Value::Bytes(piece)) => {
                    let index = scores.len();
                    let (text, score) = read_piece(piece, index)?;
                    max_chars = max_chars.max(text.chars().count());
                    ids.insert(Box::from(text), index as u32);
                    scores.push(score);
                }
                (3, Value::Bytes(spec)) => {
                    for field in proto::fields(spec) {
                        match field? {
                            (2, Value::Bytes(map)) => charsmap = map,
                            (3, Value::Varint(v)) => whitespace.add_dummy_prefix = v != 0,
                            (4, Value::Varint(v)) => whitespace.remove_extra_whitespaces = v != 0,
                            (5, Value::Varint(v)) => whitespace.escape_whitespaces = v != 0,
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        if scores.len() <= EOS as usize {
            return Err(TokenizerError::TooFewPieces(scores.len()));
        }
        let worst = scores.iter().copied().fold(f32::INFINITY, f32::min);
        Ok(Tokenizer {
            ids,
            scores,
            max_chars,
            unk_score: f64::from(worst) - UNK_PENALTY,
            normalizer: Normalizer::new(charsmap, whitespace)?,
        })
    }

    /// The number of pieces: every id is below it.
    pub(crate) fn pieces(&self) -> usize {
        self.scores.len()
    }

    /// The ids of `text`'s pieces, without `<s>` and `</s>`: `[UNK]` when the text normalises
    /// to nothing.
    pub(crate) fn tokenize(&self, text: &str) -> Vec<u32> {
        let normalized = self.normalizer.normalize(text);
        if normalized.is_empty() {
            return vec![UNK];
        }
        self.viterbi(&normalized)
    }

    /// The best segmentation of `text` into pieces. `best[p]` is the best score of a
    /// segmentation of the first `p` characters, `last[p]` the (start, id) of its last piece;
    /// ties keep the earlier piece, as sentencepiece's lattice does. Scores add up in `f64`
    /// like the reference, so equal sums break ties the same way.
    fn viterbi(&self, text: &str) -> Vec<u32> {
        // Byte offsets of the character boundaries, the end included.
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let chars = bounds.len() - 1;
        let mut best = vec![f64::NEG_INFINITY; chars + 1];
        let mut last = vec![(0usize, UNK); chars + 1];
        best[0] = 0.0;
        for start in 0..chars {
            let base = best[start];
            let mut single = false;
            for end in start + 1..=chars.min(start + self.max_chars) {
                let Some(&id) = self.ids.get(&text[bounds[start]..bounds[end]]) else {
                    continue;
                };
                let score = base + f64::from(self.scores[id as usize]);
                if score > best[end] {
                    best[end] = score;
                    last[end] = (start, id);
                }
                single |= end == start + 1;
            }
            if !single {
                let score = base + self.unk_score;
                if score > best[start + 1] {
                    best[start + 1] = score;
                    last[start + 1] = (start, UNK);
                }
            }
        }
        let mut ids = Vec::new();
        let mut end = chars;
        while end > 0 {
            let (start, id) = last[end];
            ids.push(id);
            end = start;
        }
        ids.reverse();
        ids
    }
}

/// A `SentencePiece` message: its text (field 1) and score (field 2, 0 when absent).
fn read_piece(piece: &[u8], index: usize) -> Result<(&str, f32), TokenizerError> {
    let mut text = None;
    let mut score = 0.0;
    for field in proto::fields(piece) {
        match field? {
            (1, Value::Bytes(bytes)) => {
                text =
                    Some(std::str::from_utf8(bytes).map_err(|_| TokenizerError::PieceUtf8(index))?);
            }
            (2, Value::Fixed32(bits)) => score = f32::from_bits(bits),
            _ => {}
        }
    }
    Ok((text.ok_or(TokenizerError::PieceText(index))?, score))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A serialised `SentencePiece` message.
    fn piece(text: &str, score: f32) -> Vec<u8> {
        let mut out = vec![0x0a, text.len() as u8];
        out.extend_from_slice(text.as_bytes());
        out.push(0x15);
        out.extend_from_slice(&score.to_le_bytes());
        out
    }

    /// A `ModelProto` of the given pieces and no character map.
    fn model(pieces: &[(&str, f32)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (text, score) in pieces {
            let p = piece(text, *score);
            out.push(0x0a);
            out.push(p.len() as u8);
            out.extend_from_slice(&p);
        }
        out
    }

    fn tokenizer() -> Tokenizer {
        Tokenizer::from_model_proto(&model(&[
            ("<unk>", 0.0),
            ("<s>", 0.0),
            ("</s>", 0.0),
            ("▁", -2.0),
            ("a", -3.0),
            ("b", -3.0),
            ("ab", -4.0),
            ("▁ab", -4.5),
            ("▁a", -9.0),
        ]))
        .unwrap()
    }

    #[test]
    fn picks_the_best_segmentation() {
        let t = tokenizer();
        assert_eq!(t.tokenize("ab"), vec![7]); // ▁ab beats ▁ + ab (-6) and ▁a + b
        assert_eq!(t.tokenize("ab ba"), vec![7, 3, 5, 4]);
        assert_eq!(t.tokenize(""), vec![UNK]);
        assert_eq!(t.tokenize("   "), vec![UNK]);
    }

    #[test]
    fn unknown_characters_are_one_unk_each() {
        let t = tokenizer();
        assert_eq!(t.tokenize("a€€b"), vec![3, 4, UNK, UNK, 5]);
        // The special pieces match text, as in the reference package.
        assert_eq!(t.tokenize("<s>"), vec![3, 1]);
    }

    #[test]
    fn malformed_models_are_errors() {
        assert_eq!(
            Tokenizer::from_model_proto(&[]).unwrap_err(),
            TokenizerError::TooFewPieces(0)
        );
        assert_eq!(
            Tokenizer::from_model_proto(&[0x0a, 0x05, 0x0a]).unwrap_err(),
            TokenizerError::Proto(ProtoError::Truncated)
        );
        assert_eq!(
            Tokenizer::from_model_proto(&[0x0a, 0x02, 0x15, 0x00]).unwrap_err(),
            TokenizerError::Proto(ProtoError::Truncated)
        );
        assert_eq!(
            Tokenizer::from_model_proto(&[0x0a, 0x02, 0x08, 0x01]).unwrap_err(),
            TokenizerError::PieceText(0)
        );
        assert_eq!(
            Tokenizer::from_model_proto(&[0x0a, 0x03, 0x0a, 0x01, 0xff]).unwrap_err(),
            TokenizerError::PieceUtf8(0)
        );
        // Every cut of a good model is an error or a smaller model, never a panic.
        let good = model(&[("<unk>", 0.0), ("<s>", 0.0), ("</s>", 0.0), ("▁a", -1.0)]);
        for len in 0..good.len() {
            let _ = Tokenizer::from_model_proto(&good[..len]);
        }
        let mut bad_map = model(&[("<unk>", 0.0), ("<s>", 0.0), ("</s>", 0.0)]);
        bad_map.extend_from_slice(&[0x1a, 0x04, 0x12, 0x02, 0x09, 0x00]);
        assert_eq!(
            Tokenizer::from_model_proto(&bad_map).unwrap_err(),
            TokenizerError::CharsMap(CharsMapError::Truncated { len: 2, trie: 4 })
        );
    }
}
