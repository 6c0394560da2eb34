//! sentencepiece's text normaliser as sp.model specifies it (`nmt_nfkc`): the precompiled
//! character map — a darts-clone double-array trie over UTF-8 byte strings and a table of
//! NUL-terminated replacements — applied longest match first, then the whitespace rules
//! (a dummy prefix, extra whitespace removed, spaces escaped as U+2581 `▁`). It follows the
//! reference package's port of `Normalizer::Normalize` step by step, quirks included.

use thiserror::Error;

/// The escaped space: what a space becomes in sentencepiece's pieces.
pub(crate) const SPACE: &str = "\u{2581}";

/// Why the precompiled character map could not be read.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum CharsMapError {
    /// Shorter than its own declared trie size.
    #[error("character map of {len} bytes declares a trie of {trie} bytes")]
    Truncated { len: usize, trie: usize },
    /// The trie is an array of 32-bit units.
    #[error("character map trie of {0} bytes is not a whole number of units")]
    TrieSize(usize),
}

/// The normalisation rules of one model.
#[derive(Debug)]
pub(crate) struct Normalizer {
    /// The double-array trie's units; empty when the model has no character map.
    units: Vec<u32>,
    /// The replacements the trie's leaves point into, each ended by a NUL byte.
    replacements: Vec<u8>,
    add_dummy_prefix: bool,
    remove_extra_whitespaces: bool,
    escape_whitespaces: bool,
}

/// `NormalizerSpec`'s flags, as sp.model sets them (each defaults to true).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Whitespace {
    pub(crate) add_dummy_prefix: bool,
    pub(crate) remove_extra_whitespaces: bool,
    pub(crate) escape_whitespaces: bool,
}

impl Default for Whitespace {
    fn default() -> Self {
        Whitespace {
            add_dummy_prefix: true,
            remove_extra_whitespaces: true,
            escape_whitespaces: true,
        }
    }
}

/// The offset stored in a unit: where its children start, relative to it.
fn offset(unit: u32) -> usize {
    ((unit >> 10) << ((unit & 0x200) >> 6)) as usize
}

/// The label of a unit; a set top bit (a leaf's value) never equals a byte.
fn label(unit: u32) -> u32 {
    unit & 0x8000_00ff
}

fn has_leaf(unit: u32) -> bool {
    unit & 0x100 != 0
}

impl Normalizer {
    /// Reads the precompiled character map: a little-endian `u32` trie size in bytes, the
    /// trie, then the replacements.
    pub(crate) fn new(charsmap: &[u8], whitespace: Whitespace) -> Result<Self, CharsMapError> {
        let (units, replacements) = if charsmap.is_empty() {
            (Vec::new(), Vec::new())
        } else {
            let head = charsmap.get(..4).ok_or(CharsMapError::Truncated {
                len: charsmap.len(),
                trie: 4,
            })?;
            let trie = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
            if trie % 4 != 0 {
                return Err(CharsMapError::TrieSize(trie));
            }
            let end = trie.checked_add(4).filter(|&end| end <= charsmap.len());
            let end = end.ok_or(CharsMapError::Truncated {
                len: charsmap.len(),
                trie,
            })?;
            let units = charsmap[4..end]
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            (units, charsmap[end..].to_vec())
        };
        Ok(Normalizer {
            units,
            replacements,
            add_dummy_prefix: whitespace.add_dummy_prefix,
            remove_extra_whitespaces: whitespace.remove_extra_whitespaces,
            escape_whitespaces: whitespace.escape_whitespaces,
        })
    }

    /// The replacement a trie leaf's value points at, up to its NUL.
    fn replacement(&self, value: usize) -> Option<&[u8]> {
        let rest = self.replacements.get(value..)?;
        let end = rest.iter().position(|&b| b == 0)?;
        Some(&rest[..end])
    }

    /// The longest character-map match at the start of `data`: its replacement and how many
    /// bytes of `data` it consumes. Without a match, one UTF-8 character is kept as it is.
    /// `data` must not be empty.
    fn normalize_prefix<'a>(&'a self, data: &'a [u8]) -> (&'a [u8], usize) {
        let mut best: Option<(usize, usize)> = None;
        if let Some(&root) = self.units.first() {
            let mut node = offset(root);
            for (i, &byte) in data.iter().enumerate() {
                node ^= byte as usize;
                let Some(&unit) = self.units.get(node) else {
                    break;
                };
                if label(unit) != u32::from(byte) {
                    break;
                }
                node ^= offset(unit);
                if has_leaf(unit) {
                    let Some(&leaf) = self.units.get(node) else {
                        break;
                    };
                    best = Some((i + 1, (leaf & 0x7fff_ffff) as usize));
                }
            }
        }
        if let Some((len, value)) = best {
            if let Some(replacement) = self.replacement(value) {
                return (replacement, len);
            }
        }
        // `data` starts at a character boundary of a valid UTF-8 string.
        let len = utf8_len(data[0]).min(data.len());
        (&data[..len], len)
    }

    /// `text` normalised: the string the tokenizer segments ("" when nothing is left).
    pub(crate) fn normalize(&self, text: &str) -> String {
        let raw = text.as_bytes();
        let strip = self.remove_extra_whitespaces;
        let mut pos = 0;
        if strip {
            while pos < raw.len() {
                let (piece, len) = self.normalize_prefix(&raw[pos..]);
                if piece != b" " {
                    break;
                }
                pos += len;
            }
        }
        if pos >= raw.len() {
            return String::new();
        }
        let space: &[u8] = if self.escape_whitespaces {
            SPACE.as_bytes()
        } else {
            b" "
        };
        let mut out = Vec::with_capacity(raw.len() + 8);
        if self.add_dummy_prefix {
            out.extend_from_slice(space);
        }
        let mut prev_is_space = strip;
        while pos < raw.len() {
            let (mut piece, len) = self.normalize_prefix(&raw[pos..]);
            pos += len;
            if strip && prev_is_space {
                while let [b' ', rest @ ..] = piece {
                    piece = rest;
                }
            }
            let Some(&last) = piece.last() else { continue };
            for &byte in piece {
                if byte == b' ' {
                    out.extend_from_slice(space);
                } else {
                    out.push(byte);
                }
            }
            prev_is_space = last == b' ';
        }
        if strip {
            while out.ends_with(space) {
                out.truncate(out.len() - space.len());
            }
        }
        // Replacements from a well-formed map are whole UTF-8 characters.
        String::from_utf8(out)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

/// The length of the UTF-8 sequence a leading byte starts.
fn utf8_len(first: u8) -> usize {
    match first {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        0xf0..=0xf7 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A map with no trie: only the whitespace rules apply.
    fn plain() -> Normalizer {
        Normalizer::new(&[], Whitespace::default()).unwrap()
    }

    #[test]
    fn whitespace_rules_without_a_map() {
        let n = plain();
        assert_eq!(n.normalize(""), "");
        assert_eq!(n.normalize("   "), "");
        assert_eq!(n.normalize("a"), "▁a");
        assert_eq!(n.normalize("  a  b  "), "▁a▁b");
        assert_eq!(n.normalize("é ü"), "▁é▁ü");
    }

    #[test]
    fn malformed_maps_are_errors() {
        assert_eq!(
            Normalizer::new(&[8, 0], Whitespace::default()).unwrap_err(),
            CharsMapError::Truncated { len: 2, trie: 4 }
        );
        assert_eq!(
            Normalizer::new(&[8, 0, 0, 0, 1], Whitespace::default()).unwrap_err(),
            CharsMapError::Truncated { len: 5, trie: 8 }
        );
        assert_eq!(
            Normalizer::new(&[3, 0, 0, 0, 1, 2, 3], Whitespace::default()).unwrap_err(),
            CharsMapError::TrieSize(3)
        );
    }

    #[test]
    fn a_broken_trie_never_panics() {
        // Units pointing anywhere: every walk must stay in bounds and fall back to the input.
        let mut map = 16u32.to_le_bytes().to_vec();
        for unit in [0xffff_ffffu32, 0x0000_0161, 0x8000_0000, 0x0fff_ff00] {
            map.extend_from_slice(&unit.to_le_bytes());
        }
        map.extend_from_slice(b"x");
        let n = Normalizer::new(&map, Whitespace::default()).unwrap();
        for text in ["abc", "a", "é", "\u{0}", "😀 x"] {
            let _ = n.normalize(text);
        }
    }
}
