//! Paper and board in one workshop (issue 30): the printable kit of a session's board
//! (`kit.rs`), drawn by a small PDF writer (`pdf.rs`) with one embedded font (`font.rs`).

mod font;
pub mod kit;
mod pdf;

use std::path::Path;
use std::sync::Arc;

use tracing::{info, warn};

pub use font::Font;

/// Loads the kit's font from `path`; `None` (the kit is off, its endpoint answers 503
/// `kit_unavailable`) when it cannot be read, and the log says why.
pub fn load_font(path: &Path) -> Option<Arc<Font>> {
    match Font::load(path) {
        Ok(font) => {
            info!(font = %path.display(), name = %font.name, "paper kit on: font loaded");
            Some(Arc::new(font))
        }
        Err(e) => {
            warn!(font = %path.display(), error = %e, "paper kit off: its font could not be loaded (install fonts-dejavu-core or pass --kit-font)");
            None
        }
    }
}
