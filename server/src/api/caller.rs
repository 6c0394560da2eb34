//! Who calls a session endpoint: the bearer token's participant, checked against the session
//! the path names (or the token's own, where the path names none) and the roles the endpoint
//! admits, before the handler runs. `Caller<Moderators>` in a handler's arguments is the rule.
//! Reading the bearer token and checking membership live here too: joining by invite uses
//! them; and the organiser's admin key, which creating sessions and processes requires.

use std::collections::HashMap;
use std::marker::PhantomData;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, Path};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use sha2::{Digest, Sha256};

use super::limit_attempts;
use crate::error::ApiError;
use crate::limits::Limit;
use crate::session::{now_secs, Identity, Role, Session};
use crate::state::AppState;

/// The roles an endpoint admits, as a type, so a handler's signature says who may call it.
pub trait Admits {
    const ROLES: &'static [Role];
}

/// Moderators only: session settings and moderation.
pub struct Moderators;

/// Moderators and researchers: the session's records (researchers while it is recorded).
pub struct Researchers;

/// Every participant of the session, whatever their role.
pub struct Everyone;

/// Those who may edit the board (moderators, citizens): whose reports count.
pub struct Editors;

impl Admits for Moderators {
    const ROLES: &'static [Role] = &[Role::Moderator];
}

impl Admits for Researchers {
    const ROLES: &'static [Role] = &[Role::Moderator, Role::Researcher];
}

impl Admits for Editors {
    const ROLES: &'static [Role] = &[Role::Moderator, Role::Citizen];
}

impl Admits for Everyone {
    const ROLES: &'static [Role] = &Role::ALL;
}

/// A caller whose token checks out (who they are), who belongs to the session (as it is now),
/// is not revoked, and holds one of the roles `R` admits. Handlers take it apart in their
/// arguments, `Caller(who, session, ..)`; only the extractor below makes one.
pub struct Caller<R>(pub Identity, pub Session, pub PhantomData<fn() -> R>);

impl<R: Admits> FromRequestParts<AppState> for Caller<R> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let identity = identity(state, &parts.headers)?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let id = params.get("id").unwrap_or(&identity.session);
        let session = state
            .sessions
            .get(id)
            .await?
            .ok_or_else(|| ApiError::not_found("session_not_found", "no such session"))?;
        check_member(&identity, &session)?;
        if !R::ROLES.contains(&identity.role) {
            let allowed: Vec<&str> = R::ROLES.iter().map(|r| r.as_str()).collect();
            return Err(ApiError::forbidden(format!(
                "only a {} may do this; your role is {}",
                allowed.join(" or "),
                identity.role.as_str()
            )));
        }
        Ok(Caller(identity, session, PhantomData))
    }
}

/// The bearer token of a request (a participant's token, or the admin key).
pub(super) fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let missing = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send a token: Authorization: Bearer <token>",
        )
    };
    let value = headers.get(AUTHORIZATION).ok_or_else(missing)?;
    let value = value.to_str().map_err(|_| missing())?;
    value
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or_else(missing)
}

/// Who the request's token names, once it checks out.
fn identity(state: &AppState, headers: &HeaderMap) -> Result<Identity, ApiError> {
    Ok(state.tokens.verify(bearer(headers)?, now_secs())?)
}

/// Refuses a token for another session, or of a kicked participant.
pub(super) fn check_member(identity: &Identity, session: &Session) -> Result<(), ApiError> {
    if identity.session != session.id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "wrong_session",
            "this token is for another session",
        ));
    }
    if session.is_revoked(&identity.participant) {
        return Err(ApiError::revoked());
    }
    Ok(())
}

/// Who sent a request, as far as no token says: the client's address (`--client-ip-header`'s
/// behind a proxy), which attempt limits count, and the request's headers (the admin key, the
/// host that links are built on).
pub struct Requester {
    pub ip: IpAddr,
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Requester {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let ConnectInfo(peer) = ConnectInfo::<SocketAddr>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Requester {
            ip: state.guards.client_ip(peer, &parts.headers),
            headers: parts.headers.clone(),
        })
    }
}

/// Lets the organiser's request through (creating sessions and processes); an address that
/// presented too many wrong keys lately is told to wait, whatever key it presents now.
pub fn require_admin_key(state: &AppState, requester: &Requester) -> Result<(), ApiError> {
    let (ip, headers) = (requester.ip, &requester.headers);
    let message = "too many wrong admin keys from your address; wait a moment and try again";
    let limiter = &state.guards.admin_keys;
    limit_attempts(state, limiter, Limit::AdminKeyAttempts, ip, message)?;
    let key = bearer(headers).map_err(|_| admin_key_error())?;
    if !constant_time_eq(key.as_bytes(), state.admin_key.as_bytes()) {
        return Err(admin_key_error());
    }
    state.guards.admin_keys.succeeded(ip);
    Ok(())
}

fn admin_key_error() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "invalid_admin_key",
        "creating sessions needs the admin key: Authorization: Bearer <admin key>",
    )
}

/// Compares secrets without an early exit that would time how much of a guess was right, or
/// whether its length was: the SHA-256 digests (always 32 bytes) are compared, every byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(&b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn secrets_match_only_when_equal_whatever_their_lengths() {
        let key = b"0123456789abcdef0123456789abcdef";
        assert!(constant_time_eq(key, key));
        assert!(!constant_time_eq(key, b"0123456789abcdef0123456789abcdeF"));
        assert!(!constant_time_eq(key, &key[..31]));
        assert!(!constant_time_eq(key, b""));
        assert!(!constant_time_eq(key, &[key.as_slice(), b"0"].concat()));
        assert!(constant_time_eq(b"", b""));
    }
}
