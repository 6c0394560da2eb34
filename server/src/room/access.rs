//! Access and identity in a session's room: who may edit, who was removed, what each member
//! is told about the session, and presence that says who a member really is.

use std::sync::Arc;

use bytes::Bytes;
use cocreate_protocol::{close, cocreate, AwarenessUpdate, Message};
use tracing::info;

use super::frames::encode;
use super::Room;
use crate::close_reason::ReasonCode;
use crate::session::{Identity, Role, Session, SessionState};

/// Close reason for a kicked participant's connections.
pub(crate) const REMOVED: &str = "removed from the session by a moderator";

/// Close reason for a researcher's connection to a session's live room.
pub(crate) const REPLAY_ONLY: &str =
    "researchers follow a session through replay (the history API), not in the live room";

/// Whether `identity` may enter its session's live room. Researchers may not: the live room
/// shows what the research disclosure rules withhold from them (display names, in items and
/// in presence; the items of participants who declined research consent), so they use the
/// history API and replay, which apply those rules. Returns the close reason.
pub(crate) fn live_refusal(identity: &Identity) -> Option<&'static str> {
    (identity.role == Role::Researcher).then_some(REPLAY_ONLY)
}

/// What a connection may do in a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Its updates are logged and relayed.
    Edit,
    /// Its updates are dropped; it still sees the board live.
    ReadOnly,
    /// A moderator removed its participant: it is closed.
    Removed,
}

/// The access of a connection naming `identity` in a room of `session` (`None`: an open room,
/// where everyone edits). A connection without identity in a session's room only watches.
pub(super) fn access(session: Option<&Session>, identity: Option<&Identity>) -> Access {
    match (session, identity) {
        (None, _) => Access::Edit,
        (Some(session), Some(identity)) if session.is_revoked(&identity.participant) => {
            Access::Removed
        }
        (Some(session), Some(identity)) if session.can_edit(identity.role) => Access::Edit,
        (Some(_), _) => Access::ReadOnly,
    }
}

/// Whether a participant's draft room takes writing now: only while a private step (drafts)
/// or a secret vote (votes kept apart until revealed) is under way, so that what a step
/// allowed stops when it ends.
pub(super) fn drafts_open(session: &Session) -> bool {
    session
        .agenda
        .running()
        .is_some_and(|c| c.step.private || c.step.secret)
}

/// A member's access in a room (`drafts`: a participant's draft room): [`access`], and in a
/// draft room only while [`drafts_open`].
pub(super) fn member_access(
    drafts: bool,
    session: Option<&Session>,
    identity: Option<&Identity>,
) -> Access {
    match access(session, identity) {
        Access::Edit if drafts && !session.is_some_and(drafts_open) => Access::ReadOnly,
        other => other,
    }
}

impl Room {
    /// Follows the session's new state: each member's access, and what clients are told.
    /// Kicked members are closed; members that become writable get a sync step 1, so that
    /// edits the server dropped while they were read-only are sent again.
    pub(super) fn session_changed(&mut self, session: Arc<Session>, event: &str) {
        if self.session.is_none() {
            return;
        }
        let step1 = self.frames.step1(self.awareness.doc());
        for member in self.members.values_mut() {
            let Some(identity) = &member.identity else {
                continue;
            };
            let writable = match member_access(self.drafts, Some(&session), Some(identity)) {
                Access::Removed => {
                    let reason = ReasonCode::Revoked.reason(REMOVED);
                    member.outbox.close(close::POLICY_VIOLATION, reason);
                    continue;
                }
                access => access == Access::Edit,
            };
            if member.writable && !writable {
                member.outbox.send(read_only_frame(&session, identity));
            } else if !member.writable && writable {
                member.outbox.send(step1.clone());
            }
            member.writable = writable;
            member
                .outbox
                .send_cocreate(session_frame(&session, identity, event));
        }
        self.context.steps.watch(&session);
        info!(room = %self.id, event, state = ?session.state, "session changed");
        self.session = Some(session);
    }

    /// Makes a member's presence say who the member is: name, role and participant come from
    /// its token, and a client id another participant's connection owns cannot be taken over.
    pub(super) fn bind_presence(&self, conn: u64, mut update: AwarenessUpdate) -> AwarenessUpdate {
        let Some(identity) = self.members.get(&conn).and_then(|m| m.identity.as_ref()) else {
            return update;
        };
        update
            .clients
            .retain(|client, _| match self.presence.local_owner(*client) {
                Some(owner) if owner != conn => self
                    .members
                    .get(&owner)
                    .and_then(|m| m.identity.as_ref())
                    .is_none_or(|other| other.participant == identity.participant),
                _ => true,
            });
        for entry in update.clients.values_mut() {
            entry.json = stamp_identity(&entry.json, identity);
        }
        update
    }
}

/// The session message (type 101) for one member.
pub(super) fn session_frame(session: &Session, identity: &Identity, event: &str) -> Bytes {
    let message = session_message(session, identity, event);
    encode(&cocreate::session(&message.to_string()))
}

/// What a session message says to one member, before any fields an event adds.
pub(super) fn session_message(
    session: &Session,
    identity: &Identity,
    event: &str,
) -> serde_json::Value {
    serde_json::json!({
        "event": event,
        "session": session.view_for(identity.role),
        "you": identity.you(session),
    })
}

/// The protocol's permission-denied message, telling a member why it is read-only.
pub(super) fn read_only_frame(session: &Session, identity: &Identity) -> Bytes {
    encode(&Message::Auth(Some(read_only_reason(session, identity))))
}

fn read_only_reason(session: &Session, identity: &Identity) -> String {
    if !identity.role.edits() {
        format!(
            "read-only: {}s do not edit the board",
            identity.role.as_str()
        )
    } else if session.state == SessionState::Locked {
        "read-only: a moderator locked the session".to_owned()
    } else if session.can_edit(identity.role) {
        // the session takes edits, so this is a draft room between private steps
        "read-only: drafts are written only while a private step or a secret vote is under way"
            .to_owned()
    } else {
        "read-only: the session is closed".to_owned()
    }
}

/// An awareness state with `user.name`, `user.role` and `user.participant` set from the
/// token. `null` (a removal) stays as it is; a state that is not an object becomes one.
fn stamp_identity(json: &str, identity: &Identity) -> Arc<str> {
    use serde_json::{Map, Value};
    let mut state = match serde_json::from_str::<Value>(json) {
        Ok(Value::Null) => return Arc::from(json),
        Ok(Value::Object(state)) => state,
        _ => Map::new(),
    };
    let user = state
        .entry("user")
        .or_insert_with(|| Value::Object(Map::new()));
    if !user.is_object() {
        *user = Value::Object(Map::new());
    }
    if let Value::Object(user) = user {
        user.insert("name".into(), Value::from(identity.name.as_str()));
        user.insert("role".into(), Value::from(identity.role.as_str()));
        user.insert(
            "participant".into(),
            Value::from(identity.participant.as_str()),
        );
    }
    Arc::from(Value::Object(state).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(state: &str, revoked: &[&str]) -> Session {
        let revoked: serde_json::Map<_, _> = revoked
            .iter()
            .map(|p| (p.to_string(), serde_json::Value::from(1)))
            .collect();
        serde_json::from_value(serde_json::json!({
            "id": "s1", "title": "t", "template": "canvas", "language": "en",
            "state": state, "phase": "diverge", "timer_ends_at": null,
            "votes_per_participant": 3, "created_at": 0, "join_code": "J",
            "revoked": revoked,
        }))
        .expect("a valid session")
    }

    fn identity(participant: &str, role: Role) -> Identity {
        Identity {
            session: "s1".into(),
            participant: participant.into(),
            role,
            name: "Ann".into(),
        }
    }

    #[test]
    fn everyone_edits_an_open_room() {
        assert_eq!(access(None, None), Access::Edit);
        assert_eq!(
            access(None, Some(&identity("p", Role::Observer))),
            Access::Edit
        );
    }

    #[test]
    fn a_connection_without_identity_only_watches_a_session() {
        assert_eq!(access(Some(&session("open", &[])), None), Access::ReadOnly);
    }

    #[test]
    fn roles_edit_as_the_session_state_allows() {
        let cases = [
            ("open", Role::Moderator, Access::Edit),
            ("open", Role::Citizen, Access::Edit),
            ("open", Role::Observer, Access::ReadOnly),
            ("open", Role::Researcher, Access::ReadOnly),
            ("locked", Role::Moderator, Access::Edit),
            ("locked", Role::Citizen, Access::ReadOnly),
            ("closed", Role::Moderator, Access::ReadOnly),
            ("closed", Role::Citizen, Access::ReadOnly),
        ];
        for (state, role, expected) in cases {
            let got = access(Some(&session(state, &[])), Some(&identity("p", role)));
            assert_eq!(got, expected, "{role:?} in a {state} session");
        }
    }

    #[test]
    fn a_removed_participant_is_removed_whatever_its_role() {
        let session = session("open", &["kicked"]);
        for role in [Role::Moderator, Role::Citizen, Role::Observer] {
            let got = access(Some(&session), Some(&identity("kicked", role)));
            assert_eq!(got, Access::Removed);
        }
        let other = access(Some(&session), Some(&identity("p", Role::Citizen)));
        assert_eq!(other, Access::Edit);
    }

    #[test]
    fn only_researchers_are_kept_out_of_the_live_room() {
        for role in Role::ALL {
            let refused = live_refusal(&identity("p", role));
            assert_eq!(refused.is_some(), role == Role::Researcher, "{role:?}");
        }
        assert!(
            ReasonCode::ReplayOnly.reason(REPLAY_ONLY).len() <= 123,
            "a close reason fits a close frame"
        );
    }

    #[test]
    fn the_read_only_reason_names_the_cause() {
        let observer = identity("p", Role::Observer);
        let citizen = identity("p", Role::Citizen);
        assert_eq!(
            read_only_reason(&session("open", &[]), &observer),
            "read-only: observers do not edit the board"
        );
        assert_eq!(
            read_only_reason(&session("locked", &[]), &citizen),
            "read-only: a moderator locked the session"
        );
        assert_eq!(
            read_only_reason(&session("closed", &[]), &citizen),
            "read-only: the session is closed"
        );
    }

    #[test]
    fn presence_is_stamped_with_the_token_identity() {
        let id = identity("p7", Role::Citizen);
        let stamped = stamp_identity(
            r#"{"cursor":{"x":1},"user":{"name":"Mallory","role":"moderator","color":"red"}}"#,
            &id,
        );
        let state: serde_json::Value = serde_json::from_str(&stamped).unwrap();
        assert_eq!(
            state,
            serde_json::json!({
                "cursor": {"x": 1},
                "user": {"name": "Ann", "role": "citizen", "participant": "p7", "color": "red"},
            })
        );
    }

    #[test]
    fn a_removed_presence_stays_removed_and_odd_states_become_objects() {
        let id = identity("p7", Role::Observer);
        assert_eq!(&*stamp_identity("null", &id), "null");
        for odd in ["42", "not json", r#"{"user":"x"}"#] {
            let state: serde_json::Value = serde_json::from_str(&stamp_identity(odd, &id)).unwrap();
            assert_eq!(
                state["user"],
                serde_json::json!({"name": "Ann", "role": "observer", "participant": "p7"}),
                "from {odd}"
            );
        }
    }
}
