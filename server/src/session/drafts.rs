//! Private drafts (issue 27): while a private step runs, each participant writes their new
//! cards into a room of their own, `<session>:drafts:<participant>`, which admits its owner
//! alone — no other citizen, observer or moderator, so no draft reaches any other browser, nor
//! the session's board, history or exports. The reveal (`api/drafts.rs`) puts every draft on
//! the board at once in its author's name and empties the draft rooms. A separate document per
//! participant keeps what is private out of every message by construction, rather than by
//! filtering a shared document's updates.

/// Between the session's id and the participant's in a draft room's name.
const DRAFTS: &str = ":drafts:";

/// The name of `participant`'s draft room in `session`.
pub fn drafts_room(session: &str, participant: &str) -> String {
    format!("{session}{DRAFTS}{participant}")
}

/// The session and the owner of a draft room, if `room` names one.
pub fn drafts_owner(room: &str) -> Option<(&str, &str)> {
    let (session, participant) = room.split_once(DRAFTS)?;
    (!session.is_empty() && !participant.is_empty() && !participant.contains(':'))
        .then_some((session, participant))
}

/// The session whose records a room follows: its own, or the one a draft room belongs to.
pub fn session_of(room: &str) -> &str {
    drafts_owner(room).map_or(room, |(session, _)| session)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_room_names_its_session_and_owner() {
        let room = drafts_room("s1", "p_ann");
        assert_eq!(drafts_owner(&room), Some(("s1", "p_ann")));
        assert_eq!(session_of(&room), "s1");
        assert_eq!(session_of("s1"), "s1");
        for other in ["s1", ":drafts:p", "s1:drafts:", "s1:drafts:p:x"] {
            assert_eq!(drafts_owner(other), None, "{other}");
        }
    }
}
