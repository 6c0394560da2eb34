//! The printable kit of a session (issue 30, part 1): its board as prepared, on A4 or A3
//! landscape sheets in the session's language, for a paper workshop on the same board as the
//! online one. A journey map or blueprint is tiled over as many sheets as it needs, each cell
//! large enough for sticky notes and named by a zone code (`B3`: the second stage, the third
//! lane); a canvas gets one sheet with its frames. Every sheet carries the session's title, its
//! join code and a QR code to join online, and four marker QR codes at its corners that say
//! which session, which part of the grid and which version of the kit it is, so that a photo
//! of it can be mapped back to stages and lanes. A last sheet holds empty card slips with a box
//! for the zone code, for notes written away from the wall.

use qrcode::{Color, QrCode};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::font::Font;
use super::pdf::{self, Page};
use crate::session::Session;

/// The kit's format, in its markers: a reader knows how to map a sheet of this version.
pub const KIT_VERSION: u32 = 1;

/// A sheet size, landscape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Paper {
    A4,
    A3,
}

impl Paper {
    pub fn parse(name: &str) -> Option<Paper> {
        match name.to_ascii_lowercase().as_str() {
            "a4" => Some(Paper::A4),
            "a3" => Some(Paper::A3),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Paper::A4 => "a4",
            Paper::A3 => "a3",
        }
    }

    /// Width and height in points, landscape.
    fn size(self) -> (f64, f64) {
        match self {
            Paper::A4 => (841.89, 595.28),
            Paper::A3 => (1190.55, 841.89),
        }
    }
}

/// Blank margin around everything, in points.
const MARGIN: f64 = 20.0;
/// A corner marker's side.
const MARKER: f64 = 54.0;
/// The lane titles' column and the stage titles' row.
const LANE_HEAD: f64 = 104.0;
const STAGE_HEAD: f64 = 30.0;
/// The smallest cell: a 51 mm (2 in) sticky note and some room around it.
const MIN_CELL: f64 = 150.0;

/// Stage and lane titles by kind, for a board whose titles were left empty (the seed leaves
/// them empty and the web client shows these, from its i18n files: a test holds the two alike).
const AXIS_TITLES: &[(&str, [&str; 4])] = &[
    (
        "stage.aware",
        [
            "Become aware",
            "Bewust worden",
            "Prise de conscience",
            "Aufmerksam werden",
        ],
    ),
    (
        "stage.apply",
        ["Apply", "Aanvragen", "Demande", "Beantragen"],
    ),
    ("stage.wait", ["Wait", "Wachten", "Attente", "Warten"]),
    (
        "stage.receive",
        ["Receive", "Ontvangen", "Réception", "Erhalten"],
    ),
    (
        "stage.follow-up",
        ["Follow up", "Opvolgen", "Suivi", "Nachbereiten"],
    ),
    ("stage.custom", ["Stage", "Fase", "Étape", "Phase"]),
    (
        "lane.actions",
        ["Actions", "Acties", "Actions", "Handlungen"],
    ),
    (
        "lane.touchpoints",
        [
            "Touchpoints",
            "Contactpunten",
            "Points de contact",
            "Kontaktpunkte",
        ],
    ),
    (
        "lane.thoughts",
        ["Thoughts", "Gedachten", "Pensées", "Gedanken"],
    ),
    (
        "lane.emotions",
        ["Emotions", "Emoties", "Émotions", "Gefühle"],
    ),
    (
        "lane.pain-points",
        [
            "Pain points",
            "Knelpunten",
            "Points de friction",
            "Schmerzpunkte",
        ],
    ),
    (
        "lane.opportunities",
        ["Opportunities", "Kansen", "Opportunités", "Chancen"],
    ),
    (
        "lane.physical-evidence",
        [
            "Physical evidence",
            "Fysiek bewijs",
            "Preuves physiques",
            "Physische Belege",
        ],
    ),
    (
        "lane.customer-actions",
        [
            "Customer actions",
            "Acties van de klant",
            "Actions de l'usager",
            "Handlungen der Kundschaft",
        ],
    ),
    (
        "lane.frontstage",
        [
            "Frontstage actions",
            "Frontstage-acties",
            "Actions visibles (front)",
            "Frontstage-Aktionen",
        ],
    ),
    (
        "lane.backstage",
        [
            "Backstage actions",
            "Backstage-acties",
            "Actions invisibles (back)",
            "Backstage-Aktionen",
        ],
    ),
    (
        "lane.support",
        [
            "Support processes",
            "Ondersteunende processen",
            "Processus de support",
            "Unterstützungsprozesse",
        ],
    ),
    ("lane.custom", ["Lane", "Baan", "Ligne", "Zeile"]),
];

/// The default title of a stage or lane of `kind` (`root`: `stage` or `lane`) in `language`.
fn axis_title(root: &str, kind: &str, language: &str) -> String {
    let column = ["en", "nl", "fr", "de"]
        .iter()
        .position(|l| *l == language)
        .unwrap_or(0);
    let find = |key: &str| {
        AXIS_TITLES
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, titles)| titles[column].to_owned())
    };
    find(&format!("{root}.{kind}"))
        .or_else(|| find(&format!("{root}.custom")))
        .unwrap_or_default()
}

/// A stage or lane as the sheet shows it.
#[derive(Clone, Debug)]
pub struct Axis {
    pub id: String,
    pub title: String,
}

/// What the kit is drawn from: the session and its board's stages, lanes and canvas frames.
pub struct Board {
    pub stages: Vec<Axis>,
    pub lanes: Vec<Axis>,
    /// A canvas's frames: title and rectangle in board units.
    pub frames: Vec<(String, [f64; 4])>,
}

impl Board {
    /// The stages and lanes of `board` (as `board_json` reads it) in their order (an empty
    /// title as the web client shows it in `language`), and its groups (a canvas's frames).
    pub fn read(board: &Value, language: &str) -> Board {
        let axis = |root: &str, singular: &str| {
            // `order` is a fractional-index key ("a0", "a1", …): keys sort as strings.
            let mut found: Vec<(String, Axis)> = board[root]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(id, v)| {
                    let title = match v["title"].as_str().map(str::trim) {
                        Some(title) if !title.is_empty() => title.to_owned(),
                        _ => axis_title(singular, v["kind"].as_str().unwrap_or_default(), language),
                    };
                    let order = match &v["order"] {
                        Value::String(key) => key.clone(),
                        other => other.to_string(),
                    };
                    (
                        order,
                        Axis {
                            id: id.clone(),
                            title,
                        },
                    )
                })
                .collect();
            found.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
            found.into_iter().map(|(_, a)| a).collect()
        };
        let frames = board["items"]
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(_, item)| item["type"] == "group")
            .map(|(_, item)| {
                let n = |k: &str| item[k].as_f64().unwrap_or_default();
                let title = item["text"].as_str().unwrap_or_default().to_owned();
                (title, [n("x"), n("y"), n("w").max(1.0), n("h").max(1.0)])
            })
            .collect();
        Board {
            stages: axis("stages", "stage"),
            lanes: axis("lanes", "lane"),
            frames,
        }
    }

    /// A short hash of the grid (stage and lane ids in order): a photo of a sheet is read
    /// against the grid it was printed from.
    pub fn version(&self) -> String {
        let mut hasher = Sha256::new();
        for axis in self
            .stages
            .iter()
            .chain([&Axis {
                id: "|".into(),
                title: String::new(),
            }])
            .chain(&self.lanes)
        {
            hasher.update(axis.id.as_bytes());
            hasher.update(b"\n");
        }
        hasher
            .finalize()
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect()
    }
}

/// The zone code of stage `s` and lane `l` (0-based): `A1`, `B3`, … (`AA` after `Z`).
pub fn zone_code(s: usize, l: usize) -> String {
    let mut letters = String::new();
    let mut n = s;
    loop {
        letters.insert(0, char::from(b'A' + (n % 26) as u8));
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    format!("{letters}{}", l + 1)
}

/// The words on the sheets, in the session's language (English for any other).
struct Words {
    join: &'static str,
    sheet: &'static str,
    slips: &'static str,
    zone: &'static str,
    how: &'static str,
    canvas: &'static str,
}

fn words(language: &str) -> Words {
    match language {
        "nl" => Words {
            join: "Online meedoen met de code",
            sheet: "Blad",
            slips: "Kaartjes: één idee per kaartje, met de code van het vak waar het hoort",
            zone: "Vak",
            how: "Eén idee per briefje; plak het in het vak waar het hoort.",
            canvas: "Canvas",
        },
        "fr" => Words {
            join: "Participer en ligne avec le code",
            sheet: "Feuille",
            slips: "Fiches : une idée par fiche, avec le code de la case où elle va",
            zone: "Case",
            how: "Une idée par note ; collez-la dans la case où elle va.",
            canvas: "Canevas",
        },
        "de" => Words {
            join: "Online mitmachen mit dem Code",
            sheet: "Blatt",
            slips: "Karten: eine Idee pro Karte, mit dem Code des Feldes, in das sie gehört",
            zone: "Feld",
            how: "Eine Idee pro Zettel; kleben Sie ihn in das Feld, in das er gehört.",
            canvas: "Leinwand",
        },
        _ => Words {
            join: "Join online with the code",
            sheet: "Sheet",
            slips: "Card slips: one idea per slip, with the code of the box it belongs in",
            zone: "Box",
            how: "One idea per note; stick it in the box where it belongs.",
            canvas: "Canvas",
        },
    }
}

/// `n` items split into parts of at most `most`, as evenly as possible: their ranges.
fn split(n: usize, most: usize) -> Vec<std::ops::Range<usize>> {
    if n == 0 {
        // One empty part: a board without stages or lanes still gets its sheet.
        return std::iter::once(0..0).collect();
    }
    let parts = n.div_ceil(most.max(1));
    let size = n.div_ceil(parts);
    (0..parts)
        .map(|p| p * size..((p + 1) * size).min(n))
        .filter(|r| !r.is_empty())
        .collect()
}

/// Draws `text` as a QR code of side `side` at (`x`, `y`).
fn qr(page: &mut Page, x: f64, y: f64, side: f64, text: &str) {
    let Ok(code) = QrCode::new(text.as_bytes()) else {
        return;
    };
    let modules = code.width();
    // A quiet zone of two modules on each side.
    let unit = side / (modules + 4) as f64;
    page.fill(x, y, side, side, 1.0);
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color == Color::Dark {
            let (col, row) = (i % modules, i / modules);
            let (mx, my) = (x + (col + 2) as f64 * unit, y + (row + 2) as f64 * unit);
            // A hair wider than a module, so that neighbours print without a seam.
            page.fill(mx, my, unit + 0.05, unit + 0.05, 0.0);
        }
    }
}

/// What a sheet's markers say: `cocreate-kit <version> <session> <grid version> <sheet>/<of>
/// <corner> s<first>-<last> l<first>-<last>` (stage and lane indexes, 0-based).
pub fn marker_text(
    session: &str,
    grid: &str,
    sheet: (usize, usize),
    corner: &str,
    stages: &std::ops::Range<usize>,
    lanes: &std::ops::Range<usize>,
) -> String {
    let last = |r: &std::ops::Range<usize>| r.end.saturating_sub(1).max(r.start);
    format!(
        "cocreate-kit {KIT_VERSION} {session} {grid} {}/{} {corner} s{}-{} l{}-{}",
        sheet.0,
        sheet.1,
        stages.start,
        last(stages),
        lanes.start,
        last(lanes)
    )
}

/// The kit of `session` (its board read into `board`) as a PDF; `join_url` is where the join
/// QR code leads.
pub fn kit(session: &Session, board: &Board, paper: Paper, join_url: &str, font: &Font) -> Vec<u8> {
    let (width, height) = paper.size();
    let words = words(&session.language);
    let grid_w = width - 2.0 * MARGIN;
    let grid_h = height - 2.0 * MARGIN - 2.0 * (MARKER + 8.0);
    let grid_top = MARGIN + MARKER + 8.0;
    let stage_parts = split(
        board.stages.len(),
        ((grid_w - LANE_HEAD) / MIN_CELL).floor() as usize,
    );
    let lane_parts = split(
        board.lanes.len(),
        ((grid_h - STAGE_HEAD) / MIN_CELL).floor() as usize,
    );
    let sheets = stage_parts.len() * lane_parts.len() + 1;
    let version = board.version();
    let mut pages = Vec::new();
    let mut sheet = 0;
    for lanes in &lane_parts {
        for stages in &stage_parts {
            sheet += 1;
            let mut page = Page::new(width, height);
            frame(&mut page, session, &words, join_url, font, (sheet, sheets));
            let corners = corners(width, height);
            for (corner, (x, y)) in corners {
                let text = marker_text(
                    &session.id,
                    &version,
                    (sheet, sheets),
                    corner,
                    stages,
                    lanes,
                );
                qr(&mut page, x, y, MARKER, &text);
            }
            if board.stages.is_empty() {
                canvas(&mut page, board, &words, font, grid_top, grid_w, grid_h);
            } else {
                grid(
                    &mut page, board, stages, lanes, font, grid_top, grid_w, grid_h,
                );
            }
            pages.push(page);
        }
    }
    pages.push(slips(
        session,
        board,
        &words,
        font,
        (sheets, sheets),
        width,
        height,
    ));
    pdf::document(&pages, font, &format!("{} (paper kit)", session.title))
}

/// The four marker positions: top left, top right, bottom left, bottom right.
fn corners(width: f64, height: f64) -> [(&'static str, (f64, f64)); 4] {
    let (right, bottom) = (width - MARGIN - MARKER, height - MARGIN - MARKER);
    [
        ("tl", (MARGIN, MARGIN)),
        ("tr", (right, MARGIN)),
        ("bl", (MARGIN, bottom)),
        ("br", (right, bottom)),
    ]
}

/// What every sheet has besides its grid: the title and sheet number on top, the join code and
/// its QR code at the bottom.
fn frame(
    page: &mut Page,
    session: &Session,
    words: &Words,
    join_url: &str,
    font: &Font,
    sheet: (usize, usize),
) {
    let (width, height) = (page.width(), page.height());
    let left = MARGIN + MARKER + 14.0;
    let room = width - 2.0 * left;
    for (n, line) in font.wrap(&session.title, 20.0, room, 1).iter().enumerate() {
        page.text(left, MARGIN + 22.0 + n as f64 * 22.0, 20.0, line, 0.0);
    }
    let sheet_line = format!("{} {} / {} · {}", words.sheet, sheet.0, sheet.1, words.how);
    if let Some(line) = font.wrap(&sheet_line, 11.0, room, 1).first() {
        page.text(left, MARGIN + 44.0, 11.0, line, 0.2);
    }
    let join = format!("{} {}", words.join, session.join_code);
    let qr_x = width - MARGIN - MARKER - 14.0 - MARKER;
    qr(page, qr_x, height - MARGIN - MARKER, MARKER, join_url);
    page.text(left, height - MARGIN - 30.0, 16.0, &join, 0.0);
    if let Some(line) = font.wrap(join_url, 9.0, qr_x - left - 10.0, 1).first() {
        page.text(left, height - MARGIN - 12.0, 9.0, line, 0.3);
    }
}

/// The stages `stages` × lanes `lanes` of a journey map or blueprint: headers and empty cells,
/// each with its zone code.
#[allow(clippy::too_many_arguments)]
fn grid(
    page: &mut Page,
    board: &Board,
    stages: &std::ops::Range<usize>,
    lanes: &std::ops::Range<usize>,
    font: &Font,
    top: f64,
    width: f64,
    height: f64,
) {
    let cell_w = (width - LANE_HEAD) / stages.len().max(1) as f64;
    let cell_h = (height - STAGE_HEAD) / lanes.len().max(1) as f64;
    for (col, s) in stages.clone().enumerate() {
        let x = MARGIN + LANE_HEAD + col as f64 * cell_w;
        page.fill(x, top, cell_w, STAGE_HEAD, 0.88);
        page.stroke(x, top, cell_w, STAGE_HEAD, 1.0, 0.0);
        if let Some(line) = font
            .wrap(&board.stages[s].title, 13.0, cell_w - 12.0, 1)
            .first()
        {
            page.text(x + 6.0, top + 20.0, 13.0, line, 0.0);
        }
    }
    for (row, l) in lanes.clone().enumerate() {
        let y = top + STAGE_HEAD + row as f64 * cell_h;
        page.fill(MARGIN, y, LANE_HEAD, cell_h, 0.88);
        page.stroke(MARGIN, y, LANE_HEAD, cell_h, 1.0, 0.0);
        for (n, line) in font
            .wrap(&board.lanes[l].title, 12.0, LANE_HEAD - 10.0, 4)
            .iter()
            .enumerate()
        {
            page.text(MARGIN + 5.0, y + 18.0 + n as f64 * 14.0, 12.0, line, 0.0);
        }
        for (col, s) in stages.clone().enumerate() {
            let x = MARGIN + LANE_HEAD + col as f64 * cell_w;
            page.stroke(x, y, cell_w, cell_h, 1.0, 0.0);
            page.text(
                x + cell_w - 26.0,
                y + cell_h - 6.0,
                11.0,
                &zone_code(s, l),
                0.45,
            );
        }
    }
}

/// A canvas's sheet: its frames where they are, scaled to the sheet.
fn canvas(
    page: &mut Page,
    board: &Board,
    words: &Words,
    font: &Font,
    top: f64,
    width: f64,
    height: f64,
) {
    page.stroke(MARGIN, top, width, height, 1.0, 0.0);
    page.text(MARGIN + 6.0, top + 16.0, 12.0, words.canvas, 0.45);
    let (mut x0, mut y0, mut x1, mut y1) = (f64::MAX, f64::MAX, f64::MIN, f64::MIN);
    for (_, [x, y, w, h]) in &board.frames {
        (x0, y0, x1, y1) = (x0.min(*x), y0.min(*y), x1.max(x + w), y1.max(y + h));
    }
    if board.frames.is_empty() {
        return;
    }
    let scale = ((width - 20.0) / (x1 - x0)).min((height - 30.0) / (y1 - y0));
    for (title, [x, y, w, h]) in &board.frames {
        let (px, py) = (
            MARGIN + 10.0 + (x - x0) * scale,
            top + 24.0 + (y - y0) * scale,
        );
        page.stroke(px, py, w * scale, h * scale, 1.5, 0.0);
        if let Some(line) = font.wrap(title, 13.0, w * scale - 10.0, 1).first() {
            page.text(px + 5.0, py + 17.0, 13.0, line, 0.0);
        }
    }
}

/// The last sheet: eight empty card slips with a box for the zone code, and the codes' legend.
fn slips(
    session: &Session,
    board: &Board,
    words: &Words,
    font: &Font,
    sheet: (usize, usize),
    width: f64,
    height: f64,
) -> Page {
    let mut page = Page::new(width, height);
    page.text(
        MARGIN,
        MARGIN + 20.0,
        16.0,
        &font
            .wrap(words.slips, 16.0, width - 2.0 * MARGIN, 1)
            .concat(),
        0.0,
    );
    page.text(
        MARGIN,
        MARGIN + 38.0,
        10.0,
        &format!(
            "{} · {} {} / {}",
            session.title, words.sheet, sheet.0, sheet.1
        ),
        0.3,
    );
    let legend_h = if board.stages.is_empty() { 0.0 } else { 60.0 };
    let (cols, rows) = (4usize, 2usize);
    let top = MARGIN + 52.0;
    let slip_w = (width - 2.0 * MARGIN) / cols as f64;
    let slip_h = (height - top - MARGIN - legend_h) / rows as f64;
    for row in 0..rows {
        for col in 0..cols {
            let (x, y) = (MARGIN + col as f64 * slip_w, top + row as f64 * slip_h);
            page.stroke(x + 4.0, y + 4.0, slip_w - 8.0, slip_h - 8.0, 0.75, 0.3);
            page.text(x + 12.0, y + 24.0, 11.0, &format!("{}:", words.zone), 0.3);
            page.stroke(x + 52.0, y + 10.0, 46.0, 20.0, 0.75, 0.3);
        }
    }
    if !board.stages.is_empty() {
        let stages: Vec<String> = board
            .stages
            .iter()
            .enumerate()
            .map(|(i, s)| {
                format!(
                    "{} {}",
                    zone_code(i, 0).trim_end_matches(char::is_numeric),
                    s.title
                )
            })
            .collect();
        let lanes: Vec<String> = board
            .lanes
            .iter()
            .enumerate()
            .map(|(i, l)| format!("{} {}", i + 1, l.title))
            .collect();
        let y = height - MARGIN - legend_h + 18.0;
        for (n, line) in [stages.join(" · "), lanes.join(" · ")].iter().enumerate() {
            if let Some(line) = font.wrap(line, 10.0, width - 2.0 * MARGIN, 1).first() {
                page.text(MARGIN, y + n as f64 * 16.0, 10.0, line, 0.0);
            }
        }
    }
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_titles_are_the_web_clients() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web-client/src/i18n");
        for (column, language) in ["en", "nl", "fr", "de"].iter().enumerate() {
            let source = std::fs::read_to_string(dir.join(format!("{language}.ts"))).unwrap();
            for (key, titles) in AXIS_TITLES {
                let line = source
                    .lines()
                    .find(|l| l.trim_start().starts_with(&format!("'{key}':")))
                    .unwrap_or_else(|| panic!("{key} missing in {language}.ts"));
                let quoted = [
                    format!("'{}'", titles[column]),
                    format!("\"{}\"", titles[column]),
                ];
                assert!(
                    quoted.iter().any(|q| line.contains(q.as_str())),
                    "{language}: {line} vs {}",
                    titles[column]
                );
            }
        }
        assert_eq!(axis_title("lane", "pain-points", "nl"), "Knelpunten");
        assert_eq!(axis_title("stage", "something", "fr"), "Étape");
    }

    #[test]
    fn zone_codes_name_stage_by_letter_and_lane_by_number() {
        assert_eq!(zone_code(0, 0), "A1");
        assert_eq!(zone_code(1, 2), "B3");
        assert_eq!(zone_code(25, 0), "Z1");
        assert_eq!(zone_code(26, 9), "AA10");
    }

    #[test]
    fn a_board_is_split_into_even_parts() {
        assert_eq!(split(5, 4), vec![0..3, 3..5]);
        assert_eq!(split(6, 2), vec![0..2, 2..4, 4..6]);
        assert_eq!(split(5, 7), vec![0..5]);
        assert!(matches!(split(0, 3).as_slice(), [only] if only.is_empty()));
    }
}
