//! What became of what participants said: decisions on cards (`decision`) and the published
//! results built from them. Kept as records of their own beside the board, so that they stay
//! writable after the session closes while its board stays read-only.

pub mod decision;
pub mod results;

pub use decision::{Decision, DecisionStatus, DECISIONS};
pub use results::{session_results, Publication, PUBLICATIONS, PUBLISHED};
