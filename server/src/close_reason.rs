//! Why the server closes a connection, as its close frame's reason: `code: text`. The code is
//! stable and machine-readable, so that a browser says it in its person's language (the web
//! client translates `apiError.<code>`); the text after it says the rest in English, for
//! people, logs and tests, and may change. Codes the HTTP API answers too mean the same there.

use std::fmt::Display;

use crate::session::token::TokenError;

/// The stable code a close reason starts with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReasonCode {
    /// The room's name is not one a room can have.
    InvalidRoom,
    /// A session's room needs a token and none was sent.
    MissingToken,
    /// The token does not check out.
    InvalidToken,
    /// The token expired, on connecting or while connected.
    TokenExpired,
    /// The token's session does not exist (any more).
    SessionNotFound,
    /// The token is for another session than the room's.
    WrongSession,
    /// A moderator removed the participant from the session.
    Revoked,
    /// A draft room admits its writer alone.
    DraftsPrivate,
    /// Researchers follow a session through replay, not in the live room.
    ReplayOnly,
    /// The connection sent faster than its limits for too long.
    TooManyRequests,
    /// The connection set presence for more awareness clients than one connection may.
    TooManyPresences,
    /// The connection kept sending edits the zone rules refuse.
    TooManyRefusals,
    /// An update wrote under a client id someone else owns.
    ForgedUpdate,
    /// A frame that breaks the wire grammar or is not spoken here (a text frame, an unknown
    /// message type).
    InvalidMessage,
    /// An update that cannot be decoded, applied or carried by the document.
    InvalidUpdate,
    /// A message larger than the server takes.
    MessageTooBig,
    /// The board's document would grow past its limit.
    BoardFull,
    /// Storage cannot take or give what the connection needs now.
    StorageUnavailable,
    /// The connection could not keep up with its room.
    TooSlow,
    /// The room failed and is reloading.
    RoomUnavailable,
}

impl ReasonCode {
    /// The code as it starts a close reason.
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::InvalidRoom => "invalid_room",
            ReasonCode::MissingToken => "missing_token",
            ReasonCode::InvalidToken => "invalid_token",
            ReasonCode::TokenExpired => "token_expired",
            ReasonCode::SessionNotFound => "session_not_found",
            ReasonCode::WrongSession => "wrong_session",
            ReasonCode::Revoked => "revoked",
            ReasonCode::DraftsPrivate => "drafts_private",
            ReasonCode::ReplayOnly => "replay_only",
            ReasonCode::TooManyRequests => "too_many_requests",
            ReasonCode::TooManyPresences => "too_many_presences",
            ReasonCode::TooManyRefusals => "too_many_refusals",
            ReasonCode::ForgedUpdate => "forged_update",
            ReasonCode::InvalidMessage => "invalid_message",
            ReasonCode::InvalidUpdate => "invalid_update",
            ReasonCode::MessageTooBig => "message_too_big",
            ReasonCode::BoardFull => "board_full",
            ReasonCode::StorageUnavailable => "storage_unavailable",
            ReasonCode::TooSlow => "too_slow",
            ReasonCode::RoomUnavailable => "room_unavailable",
        }
    }

    /// The close reason `code: text`.
    pub fn reason(self, text: impl Display) -> String {
        format!("{}: {text}", self.as_str())
    }
}

impl From<&TokenError> for ReasonCode {
    fn from(e: &TokenError) -> Self {
        match e {
            TokenError::Expired => ReasonCode::TokenExpired,
            TokenError::Malformed | TokenError::BadSignature => ReasonCode::InvalidToken,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_error_closes_with_the_code_the_api_answers_it_with() {
        for e in [
            TokenError::Expired,
            TokenError::Malformed,
            TokenError::BadSignature,
        ] {
            assert_eq!(ReasonCode::from(&e).as_str(), e.code());
        }
    }

    #[test]
    fn a_reason_starts_with_its_code() {
        assert_eq!(
            ReasonCode::Revoked.reason("removed from the session by a moderator"),
            "revoked: removed from the session by a moderator"
        );
    }
}
