//! Session tokens: HS256 JSON Web Tokens (RFC 7519) naming a session, a participant, a role
//! and an expiry. Only the server signs and reads them; the header is fixed, so `alg: none`
//! and algorithm confusion cannot be asked for.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{Identity, Role};

/// `{"alg":"HS256","typ":"JWT"}`, base64url: the only header issued or accepted.
const HEADER: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

/// Why a token was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("token is malformed")]
    Malformed,
    #[error("token signature is invalid")]
    BadSignature,
    #[error("token has expired")]
    Expired,
}

impl TokenError {
    /// The API's error code for it.
    pub fn code(&self) -> &'static str {
        match self {
            TokenError::Expired => "token_expired",
            TokenError::Malformed | TokenError::BadSignature => "invalid_token",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Claims {
    sid: String,
    sub: String,
    role: Role,
    name: String,
    iat: u64,
    exp: u64,
}

/// The key tokens are signed with.
#[derive(Clone)]
pub struct TokenKey {
    mac: Hmac<Sha256>,
}

impl TokenKey {
    pub fn new(secret: &[u8]) -> Self {
        TokenKey {
            // HMAC takes keys of any length.
            mac: Hmac::new_from_slice(secret).expect("HMAC accepts any key length"),
        }
    }

    /// A token for `identity`, valid until `expires_at` (seconds since the epoch).
    pub fn issue(&self, identity: &Identity, issued_at: u64, expires_at: u64) -> String {
        let claims = Claims {
            sid: identity.session.clone(),
            sub: identity.participant.clone(),
            role: identity.role,
            name: identity.name.clone(),
            iat: issued_at,
            exp: expires_at,
        };
        let claims = serde_json::to_vec(&claims).expect("claims serialize");
        let signed = format!("{HEADER}.{}", URL_SAFE_NO_PAD.encode(claims));
        let signature = URL_SAFE_NO_PAD.encode(self.sign(signed.as_bytes()));
        format!("{signed}.{signature}")
    }

    /// Checks the signature and expiry (`now` in seconds since the epoch) and returns who
    /// the token names.
    pub fn verify(&self, token: &str, now: u64) -> Result<Identity, TokenError> {
        self.verify_until(token, now).map(|(identity, _)| identity)
    }

    /// [`TokenKey::verify`], also returning when the token expires (seconds since the epoch):
    /// a connection admitted with it is closed then.
    pub fn verify_until(&self, token: &str, now: u64) -> Result<(Identity, u64), TokenError> {
        let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
        let (header, claims) = signed.split_once('.').ok_or(TokenError::Malformed)?;
        if header != HEADER {
            return Err(TokenError::Malformed);
        }
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac.clone();
        mac.update(signed.as_bytes());
        mac.verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let claims = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| TokenError::Malformed)?;
        let claims: Claims = serde_json::from_slice(&claims).map_err(|_| TokenError::Malformed)?;
        if claims.exp <= now {
            return Err(TokenError::Expired);
        }
        let identity = Identity {
            session: claims.sid,
            participant: claims.sub,
            role: claims.role,
            name: claims.name,
        };
        Ok((identity, claims.exp))
    }

    fn sign(&self, bytes: &[u8]) -> Vec<u8> {
        let mut mac = self.mac.clone();
        mac.update(bytes);
        mac.finalize().into_bytes().to_vec()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            session: "s1".into(),
            participant: "p_1".into(),
            role: Role::Citizen,
            name: "Ann".into(),
        }
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() {
        let key = TokenKey::new(b"secret");
        let token = key.issue(&identity(), 100, 200);
        assert_eq!(key.verify(&token, 150), Ok(identity()));
        assert_eq!(key.verify_until(&token, 150), Ok((identity(), 200)));
        assert_eq!(key.verify(&token, 200), Err(TokenError::Expired));
        assert_eq!(
            TokenKey::new(b"other").verify(&token, 150),
            Err(TokenError::BadSignature)
        );
    }

    #[test]
    fn tampered_tokens_are_refused() {
        let key = TokenKey::new(b"secret");
        let token = key.issue(&identity(), 100, 200);
        let (header, rest) = token.split_once('.').unwrap();
        let (claims, signature) = rest.split_once('.').unwrap();
        let decoded = String::from_utf8(URL_SAFE_NO_PAD.decode(claims).unwrap()).unwrap();
        let promoted = URL_SAFE_NO_PAD.encode(decoded.replace("citizen", "moderator"));
        let forged = format!("{header}.{promoted}.{signature}");
        assert_eq!(key.verify(&forged, 150), Err(TokenError::BadSignature));
        let none = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        assert_eq!(
            key.verify(&format!("{none}.{claims}."), 150),
            Err(TokenError::Malformed)
        );
        assert_eq!(key.verify("garbage", 150), Err(TokenError::Malformed));
    }
}
