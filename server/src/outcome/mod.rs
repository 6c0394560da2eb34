//! What became of what participants said: decisions on cards (`decision`), the published
//! results built from them, and where carried cards went (`carried`). Kept as records of their own beside the board, so that they stay
//! writable after the session closes while its board stays read-only.

pub mod carried;
pub mod decision;
pub mod results;

pub use carried::{CarriedTo, CARRIED_TO};
pub use decision::{Decision, DecisionStatus, DECISIONS};
pub use results::{session_results, Publication, PUBLICATIONS, PUBLISHED, UNDECIDED};
