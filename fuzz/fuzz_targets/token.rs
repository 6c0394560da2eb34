//! Session tokens as a client may present them (`?token=`, `Authorization: Bearer`), through
//! `TokenKey::verify`: any string, tokens the server issued and then changed, and claims of
//! the fuzzer's choosing behind a valid signature (what a leaked key would let through: the
//! claims parser must still hold).
//!
//! Beyond "no crash": a changed token never verifies (no second spelling of a signature or
//! header is accepted), and an unchanged one names exactly whom it was issued for.
#![no_main]

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use cocreate_server::session::token::{TokenError, TokenKey};
use cocreate_server::session::{Identity, Role};
use hmac::{Hmac, Mac};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sha2::Sha256;

const SECRET: &[u8] = b"fuzz-secret";
/// "Now" for every verification; tokens carry expiries on both sides of it.
const NOW: u64 = 1_700_000_000;
/// `{"alg":"HS256","typ":"JWT"}`: the header the server issues.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

#[derive(Arbitrary, Debug)]
enum Case {
    /// Any string at all.
    Raw(String),
    /// A token issued for `identity`, then changed by `change` (or not, when it is a no-op).
    Tampered {
        identity: Person,
        expires_at: u64,
        change: Change,
    },
    /// Claims bytes signed with the right key.
    Signed(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Person {
    session: String,
    participant: String,
    role: u8,
    name: String,
}

#[derive(Arbitrary, Debug)]
enum Change {
    FlipBit {
        at: usize,
        bit: u8,
    },
    Truncate(usize),
    Insert {
        at: usize,
        text: String,
    },
    /// Replaces segment `segment % 3` (header, claims, signature).
    Segment {
        segment: u8,
        text: String,
    },
}

impl Change {
    fn apply(&self, token: &str) -> Vec<u8> {
        let mut bytes = token.as_bytes().to_vec();
        let at = |i: usize| i % (bytes.len() + 1);
        match self {
            Change::FlipBit { at: i, bit } => {
                let i = i % bytes.len();
                bytes[i] ^= 1 << (bit % 8);
            }
            Change::Truncate(len) => bytes.truncate(at(*len)),
            Change::Insert { at: i, text } => {
                let i = at(*i);
                bytes.splice(i..i, text.bytes());
            }
            Change::Segment { segment, text } => {
                let mut segments: Vec<&str> = token.split('.').collect();
                segments[usize::from(segment % 3)] = text;
                bytes = segments.join(".").into_bytes();
            }
        }
        bytes
    }
}

fuzz_target!(|case: Case| {
    let key = TokenKey::new(SECRET);
    match case {
        Case::Raw(token) => {
            let _ = key.verify(&token, NOW);
        }
        Case::Tampered {
            identity,
            expires_at,
            change,
        } => {
            let identity = Identity {
                session: identity.session,
                participant: identity.participant,
                role: Role::ALL[usize::from(identity.role) % Role::ALL.len()],
                name: identity.name,
            };
            let token = key.issue(&identity, NOW.saturating_sub(60), expires_at);
            let changed = change.apply(&token);
            let Ok(changed) = String::from_utf8(changed) else {
                return; // a query string or header carries text
            };
            let verified = key.verify(&changed, NOW);
            if changed == token {
                let expected = if expires_at > NOW {
                    Ok(identity)
                } else {
                    Err(TokenError::Expired)
                };
                assert_eq!(verified, expected, "an issued token reads back differently");
            } else {
                assert!(verified.is_err(), "a changed token verified: {changed:?}");
            }
        }
        Case::Signed(claims) => {
            let signed = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(claims));
            let mut mac = Hmac::<Sha256>::new_from_slice(SECRET).expect("any key length");
            mac.update(signed.as_bytes());
            let signature = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
            let _ = key.verify(&format!("{signed}.{signature}"), NOW);
        }
    }
});
