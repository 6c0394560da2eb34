//! A small PDF writer for the kit: pages of filled and stroked rectangles and one embedded
//! TrueType font, nothing more (PDF 1.4, streams deflated). Coordinates are in points from the
//! page's top-left corner, as the layout thinks; the writer turns them into PDF's bottom-left.

use std::fmt::Write as _;
use std::io::Write as _;

use flate2::write::ZlibEncoder;
use flate2::Compression;

use super::font::{Font, FIRST_CODE};

/// One page being drawn.
pub struct Page {
    width: f64,
    height: f64,
    content: String,
}

impl Page {
    pub fn new(width: f64, height: f64) -> Page {
        Page {
            width,
            height,
            content: String::new(),
        }
    }

    pub fn width(&self) -> f64 {
        self.width
    }

    pub fn height(&self) -> f64 {
        self.height
    }

    /// A rectangle filled with `gray` (0 black, 1 white).
    pub fn fill(&mut self, x: f64, y: f64, w: f64, h: f64, gray: f64) {
        let bottom = self.height - y - h;
        let _ = writeln!(
            self.content,
            "{gray:.3} g {x:.2} {bottom:.2} {w:.2} {h:.2} re f"
        );
    }

    /// A rectangle's outline, `line` points wide, in `gray`.
    pub fn stroke(&mut self, x: f64, y: f64, w: f64, h: f64, line: f64, gray: f64) {
        let bottom = self.height - y - h;
        let _ = writeln!(
            self.content,
            "{line:.2} w {gray:.3} G {x:.2} {bottom:.2} {w:.2} {h:.2} re S"
        );
    }

    /// `text` at `size` points, its baseline `baseline` points from the top, in `gray`.
    pub fn text(&mut self, x: f64, baseline: f64, size: f64, text: &str, gray: f64) {
        let y = self.height - baseline;
        let mut literal = String::new();
        for byte in Font::encode(text) {
            match byte {
                b'(' | b')' | b'\\' => {
                    literal.push('\\');
                    literal.push(char::from(byte));
                }
                b' '..=b'~' => literal.push(char::from(byte)),
                _ => {
                    let _ = write!(literal, "\\{byte:03o}");
                }
            }
        }
        let _ = writeln!(
            self.content,
            "BT {gray:.3} g /F1 {size:.2} Tf {x:.2} {y:.2} Td ({literal}) Tj ET"
        );
    }
}

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// A PDF file being assembled: objects numbered from 1, their offsets for the cross-reference.
struct Writer {
    out: Vec<u8>,
    offsets: Vec<usize>,
}

impl Writer {
    fn object(&mut self, body: &str) -> usize {
        self.offsets.push(self.out.len());
        let n = self.offsets.len();
        let _ = write!(self.out, "{n} 0 obj\n{body}\nendobj\n");
        n
    }

    fn stream(&mut self, dictionary: &str, data: &[u8]) -> usize {
        self.offsets.push(self.out.len());
        let n = self.offsets.len();
        let packed = deflate(data);
        let _ = write!(
            self.out,
            "{n} 0 obj\n<< {dictionary} /Filter /FlateDecode /Length {} >>\nstream\n",
            packed.len()
        );
        self.out.extend_from_slice(&packed);
        self.out.extend_from_slice(b"\nendstream\nendobj\n");
        n
    }
}

/// A PDF string literal for document information (ASCII; anything else becomes `?`).
fn info_string(text: &str) -> String {
    let mut out = String::from("(");
    for c in text.chars() {
        match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out.push(')');
    out
}

/// The PDF of `pages`, with `font` embedded and `title` in its document information.
pub fn document(pages: &[Page], font: &Font, title: &str) -> Vec<u8> {
    let mut w = Writer {
        out: b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec(),
        offsets: Vec::new(),
    };
    let font_file = w.stream(&format!("/Length1 {}", font.bytes.len()), &font.bytes);
    let [x0, y0, x1, y1] = font.bbox;
    let descriptor = w.object(&format!(
        "<< /Type /FontDescriptor /FontName /{name} /Flags 32 /FontBBox [{x0} {y0} {x1} {y1}] \
         /ItalicAngle 0 /Ascent {} /Descent {} /CapHeight {} /StemV 80 /FontFile2 {font_file} 0 R >>",
        font.ascent,
        font.descent,
        font.cap_height,
        name = font.name,
    ));
    let widths: Vec<String> = font.widths.iter().map(u16::to_string).collect();
    let font_object = w.object(&format!(
        "<< /Type /Font /Subtype /TrueType /BaseFont /{} /FirstChar {FIRST_CODE} /LastChar 255 \
         /Widths [{}] /Encoding /WinAnsiEncoding /FontDescriptor {descriptor} 0 R >>",
        font.name,
        widths.join(" ")
    ));
    // The page tree comes after its pages' objects; its number is known now.
    let pages_object = w.offsets.len() + 1 + 2 * pages.len();
    let mut kids = Vec::new();
    for page in pages {
        let content = w.stream("", page.content.as_bytes());
        kids.push(w.object(&format!(
            "<< /Type /Page /Parent {pages_object} 0 R /MediaBox [0 0 {:.2} {:.2}] \
             /Resources << /Font << /F1 {font_object} 0 R >> >> /Contents {content} 0 R >>",
            page.width, page.height
        )));
    }
    let kids: Vec<String> = kids.iter().map(|k| format!("{k} 0 R")).collect();
    let tree = w.object(&format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    ));
    debug_assert_eq!(tree, pages_object);
    let catalog = w.object(&format!("<< /Type /Catalog /Pages {tree} 0 R >>"));
    let info = w.object(&format!(
        "<< /Title {} /Producer (cocreate) >>",
        info_string(title)
    ));
    let xref = w.out.len();
    let mut tail = format!("xref\n0 {}\n0000000000 65535 f \n", w.offsets.len() + 1);
    for offset in &w.offsets {
        let _ = writeln!(tail, "{offset:010} 00000 n ");
    }
    let _ = write!(
        tail,
        "trailer\n<< /Size {} /Root {catalog} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        w.offsets.len() + 1
    );
    w.out.extend_from_slice(tail.as_bytes());
    w.out
}
