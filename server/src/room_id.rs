//! Room names: what a client may put after `/ws/`.

use std::fmt;

/// Longest accepted room name, in bytes. Long enough for a UUID with a prefix, short enough to
/// sit in storage keys and log lines.
pub const MAX_ROOM_NAME_LEN: usize = 128;

/// A validated room name: 1 to 128 characters from `A-Z a-z 0-9 - _ . :`, not starting with
/// `.`. The restricted set keeps names safe in file names, storage keys, URLs and logs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RoomId(String);

/// Why a room name was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InvalidRoomId {
    #[error("room name is empty")]
    Empty,
    #[error("room name is longer than {MAX_ROOM_NAME_LEN} bytes")]
    TooLong,
    #[error("room name may only contain A-Z a-z 0-9 - _ . : and may not start with '.'")]
    BadCharacter,
}

impl RoomId {
    /// Validates a room name taken from the network.
    pub fn parse(name: &str) -> Result<Self, InvalidRoomId> {
        if name.is_empty() {
            return Err(InvalidRoomId::Empty);
        }
        if name.len() > MAX_ROOM_NAME_LEN {
            return Err(InvalidRoomId::TooLong);
        }
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':');
        if name.starts_with('.') || !name.chars().all(allowed) {
            return Err(InvalidRoomId::BadCharacter);
        }
        Ok(RoomId(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_character_set() {
        for name in [
            "a",
            "journey-map_2.v1",
            "session:AB12",
            &"x".repeat(MAX_ROOM_NAME_LEN),
        ] {
            assert_eq!(
                RoomId::parse(name).map(|r| r.to_string()),
                Ok(name.to_string())
            );
        }
    }

    #[test]
    fn refuses_everything_else() {
        assert_eq!(RoomId::parse(""), Err(InvalidRoomId::Empty));
        assert_eq!(
            RoomId::parse(&"x".repeat(MAX_ROOM_NAME_LEN + 1)),
            Err(InvalidRoomId::TooLong)
        );
        for name in [".hidden", "a/b", "a b", "ünï", "a%2F", "..", "a\0"] {
            assert_eq!(
                RoomId::parse(name),
                Err(InvalidRoomId::BadCharacter),
                "{name:?}"
            );
        }
    }
}
