//! Coverage of a board: for every stage × lane, how many cards and which themes, with the
//! cells that are empty or thin flagged ("no pain points yet in Wait"), for the heat map on
//! the board. Cards outside the grid (canvas notes) are counted apart.

use serde::Serialize;
use serde_json::Value;

use super::cards::Card;
use super::themes::Themes;

/// A cell with fewer cards than this is thin: one voice is not yet a picture of a stage.
pub const THIN_CELL: usize = 2;

/// A stage or a lane, in the board's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Axis {
    pub id: String,
    pub title: String,
}

/// One stage × lane.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub stage: String,
    pub lane: String,
    pub cards: usize,
    /// Indices of the themes its cards belong to, in theme order.
    pub themes: Vec<usize>,
    /// `empty`, `thin` (fewer than [`THIN_CELL`] cards), or none.
    pub flag: Option<&'static str>,
}

/// The coverage of a board.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    pub stages: Vec<Axis>,
    pub lanes: Vec<Axis>,
    /// Stage by stage, lane by lane within each.
    pub cells: Vec<Cell>,
    /// Cards on no cell (canvas notes, or a stage or lane since removed).
    pub unplaced: usize,
}

/// The stages or lanes of `board` (its `stages` or `lanes` root), in their order.
pub fn axes(board: &Value, root: &str) -> Vec<Axis> {
    let mut axes: Vec<(String, Axis)> = board[root]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, axis)| {
            let order = axis["order"].as_str().unwrap_or_default().to_owned();
            let title = axis["title"].as_str().unwrap_or_default().to_owned();
            (
                order,
                Axis {
                    id: id.clone(),
                    title,
                },
            )
        })
        .collect();
    axes.sort_by(|a, b| (&a.0, &a.1.id).cmp(&(&b.0, &b.1.id)));
    axes.into_iter().map(|(_, axis)| axis).collect()
}

/// The coverage of `board` by `cards`, grouped into `themes`.
pub fn coverage(board: &Value, cards: &[Card], themes: &Themes) -> Coverage {
    let (stages, lanes) = (axes(board, "stages"), axes(board, "lanes"));
    let mut theme_of = vec![None; cards.len()];
    for (index, theme) in themes.themes.iter().enumerate() {
        theme
            .items
            .iter()
            .for_each(|&card| theme_of[card] = Some(index));
    }
    let mut cells = Vec::with_capacity(stages.len() * lanes.len());
    let mut placed = 0;
    for stage in &stages {
        for lane in &lanes {
            let inside: Vec<usize> = (0..cards.len())
                .filter(|&i| {
                    cards[i].stage.as_deref() == Some(stage.id.as_str())
                        && cards[i].lane.as_deref() == Some(lane.id.as_str())
                })
                .collect();
            placed += inside.len();
            let mut in_themes: Vec<usize> = inside.iter().filter_map(|&i| theme_of[i]).collect();
            in_themes.sort_unstable();
            in_themes.dedup();
            cells.push(Cell {
                stage: stage.id.clone(),
                lane: lane.id.clone(),
                cards: inside.len(),
                themes: in_themes,
                flag: match inside.len() {
                    0 => Some("empty"),
                    n if n < THIN_CELL => Some("thin"),
                    _ => None,
                },
            });
        }
    }
    Coverage {
        stages,
        lanes,
        cells,
        unplaced: cards.len() - placed,
    }
}
