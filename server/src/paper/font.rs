//! The kit's one font: a TrueType file (DejaVu Sans from the distribution's `fonts-dejavu-core`
//! by default) embedded whole in every PDF, so that the sheet prints the same everywhere. Text is
//! written in the PDF's WinAnsi encoding (Windows-1252), which holds every letter of Dutch,
//! French, German and English; a character outside it prints as `?`.

use std::path::Path;

/// A loaded font: its bytes and the metrics a PDF and the layout need.
pub struct Font {
    pub bytes: Vec<u8>,
    /// The PostScript name, without spaces (the PDF's `BaseFont`).
    pub name: String,
    /// Advance widths in 1/1000 em of the WinAnsi codes 32 to 255.
    pub widths: Vec<u16>,
    pub ascent: i32,
    pub descent: i32,
    pub cap_height: i32,
    pub bbox: [i32; 4],
}

/// Why the font could not be loaded: the kit is off and says so.
#[derive(Debug, thiserror::Error)]
pub enum FontError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("not a TrueType font: {0}")]
    Parse(String),
}

/// The first WinAnsi code with a width (space).
pub const FIRST_CODE: u8 = 32;

impl Font {
    pub fn load(path: &Path) -> Result<Font, FontError> {
        let bytes = std::fs::read(path)?;
        let face =
            ttf_parser::Face::parse(&bytes, 0).map_err(|e| FontError::Parse(e.to_string()))?;
        let em = f64::from(face.units_per_em());
        let scale = |v: i16| (f64::from(v) * 1000.0 / em).round() as i32;
        let widths = (FIRST_CODE..=255)
            .map(|code| {
                let advance = char_of(code)
                    .and_then(|c| face.glyph_index(c))
                    .and_then(|g| face.glyph_hor_advance(g))
                    .unwrap_or(0);
                (f64::from(advance) * 1000.0 / em).round() as u16
            })
            .collect();
        let name = face
            .names()
            .into_iter()
            .filter(|n| n.name_id == ttf_parser::name_id::POST_SCRIPT_NAME)
            .find_map(|n| n.to_string())
            .unwrap_or_else(|| "KitFont".into())
            .replace(' ', "");
        let bbox = face.global_bounding_box();
        Ok(Font {
            name,
            widths,
            ascent: scale(face.ascender()),
            descent: scale(face.descender()),
            cap_height: scale(face.capital_height().unwrap_or(face.ascender())),
            bbox: [
                scale(bbox.x_min),
                scale(bbox.y_min),
                scale(bbox.x_max),
                scale(bbox.y_max),
            ],
            bytes,
        })
    }

    /// `text` in WinAnsi bytes.
    pub fn encode(text: &str) -> Vec<u8> {
        text.chars().map(code_of).collect()
    }

    /// How wide `text` prints at `size` points.
    pub fn width(&self, text: &str, size: f64) -> f64 {
        let units: u32 = Font::encode(text)
            .into_iter()
            .map(|code| {
                let index = usize::from(code.saturating_sub(FIRST_CODE));
                u32::from(self.widths.get(index).copied().unwrap_or(500))
            })
            .sum();
        f64::from(units) * size / 1000.0
    }

    /// `text` broken into lines no wider than `width` at `size` (words kept whole unless one
    /// alone is wider), at most `max_lines` (the last one ending in `…` if text was left).
    pub fn wrap(&self, text: &str, size: f64, width: f64, max_lines: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if self.width(&candidate, size) <= width || line.is_empty() {
                line = candidate;
            } else {
                lines.push(std::mem::replace(&mut line, word.to_owned()));
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        if lines.len() > max_lines {
            lines.truncate(max_lines);
            if let Some(last) = lines.last_mut() {
                while !last.is_empty() && self.width(&format!("{last}…"), size) > width {
                    last.pop();
                }
                last.push('…');
            }
        }
        lines
    }
}

/// The characters Windows-1252 puts at 0x80 to 0x9F (the rest of 0xA0 to 0xFF is Latin-1).
const WIN_ANSI_HIGH: [(u8, char); 27] = [
    (0x80, '€'),
    (0x82, '‚'),
    (0x83, 'ƒ'),
    (0x84, '„'),
    (0x85, '…'),
    (0x86, '†'),
    (0x87, '‡'),
    (0x88, 'ˆ'),
    (0x89, '‰'),
    (0x8A, 'Š'),
    (0x8B, '‹'),
    (0x8C, 'Œ'),
    (0x8E, 'Ž'),
    (0x91, '‘'),
    (0x92, '’'),
    (0x93, '“'),
    (0x94, '”'),
    (0x95, '•'),
    (0x96, '–'),
    (0x97, '—'),
    (0x98, '˜'),
    (0x99, '™'),
    (0x9A, 'š'),
    (0x9B, '›'),
    (0x9C, 'œ'),
    (0x9E, 'ž'),
    (0x9F, 'Ÿ'),
];

/// The character WinAnsi `code` stands for.
fn char_of(code: u8) -> Option<char> {
    match code {
        0x80..=0x9F => WIN_ANSI_HIGH
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, ch)| *ch),
        _ => Some(char::from(code)),
    }
}

/// The WinAnsi code of `c`; `?` for a character it does not hold (or a control character).
fn code_of(c: char) -> u8 {
    match c {
        ' '..='~' | '\u{A0}'..='\u{FF}' => c as u8,
        _ => WIN_ANSI_HIGH
            .iter()
            .find(|(_, ch)| *ch == c)
            .map_or(b'?', |(code, _)| *code),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_languages_letters_are_in_win_ansi_and_others_print_as_a_question_mark() {
        let encoded = Font::encode("Knelpunten: één œuvre, Grüße — €5 ж");
        let back: String = encoded.iter().map(|&c| char_of(c).unwrap_or('?')).collect();
        assert_eq!(back, "Knelpunten: één œuvre, Grüße — €5 ?");
    }
}
