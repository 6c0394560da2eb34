//! Who a session's research outputs disclose how: the session's consent and erasure records
//! turned into the board crate's [`Disclosure`] (which says what the rules mean for a board).

use std::collections::HashSet;

use cocreate_board::Disclosure;
use yrs::ClientID;

use crate::session::{Participant, Role, Session};

/// Builds a [`Disclosure`] from a session's records (a trait because `Disclosure` is the board
/// crate's type, while consent and erasure are the session's).
pub trait SessionDisclosure {
    /// What research outputs may show of `session`, with its `participants`.
    fn for_session(session: &Session, participants: &[Participant]) -> Self;
}

impl SessionDisclosure for Disclosure {
    fn for_session(session: &Session, participants: &[Participant]) -> Self {
        // Who said no, and, where the session asks, citizens who were never asked: research
        // data needs a yes.
        let asks = session.research.consent_required;
        let declined: HashSet<String> = participants
            .iter()
            .filter(|p| {
                p.research_consent == Some(false)
                    || (asks && p.research_consent.is_none() && p.role == Role::Citizen)
            })
            .map(|p| p.id.clone())
            .collect();
        let erased: HashSet<String> = session.erased.keys().cloned().collect();
        let names = participants
            .iter()
            .filter(|_| session.research.keep_names)
            .filter(|p| !declined.contains(&p.id) && !erased.contains(&p.id))
            .map(|p| (p.id.clone(), p.display_name.clone()))
            .collect();
        Disclosure {
            keep_names: session.research.keep_names,
            // With the client ids an unhide restored their text under since, and carried
            // copies whose source was erased.
            redacted_clients: session.with_restored(
                session
                    .erased
                    .values()
                    .filter(|e| e.text)
                    .flat_map(|e| e.clients.iter().copied())
                    .chain(session.carried_redacted.iter().copied())
                    .map(ClientID::new)
                    .collect(),
            ),
            hidden: session
                .items
                .iter()
                .filter(|(_, m)| m.hidden.is_some())
                .map(|(id, _)| id.clone())
                .collect(),
            declined,
            erased,
            names,
        }
    }
}
