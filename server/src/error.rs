//! The HTTP API's error: a status, a stable machine-readable code and a message for people,
//! answered as `{"error": "...", "code": "..."}`.

use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use tracing::{error, warn};

use std::time::Duration;

use crate::limits::Limit;
use crate::session::store::SessionError;
use crate::session::token::TokenError;
use crate::session::UnknownLanguage;
use crate::storage::StorageError;

/// An API error, as answered.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait before trying again (`Retry-After`), for limits.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request", message)
    }

    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 429 (connections, join or admin-key attempts, exports, sensemaking) or 409/413 for a limit, with `Retry-After` when known.
    pub fn limited(
        limit: Limit,
        message: impl Into<String>,
        retry_after: Option<Duration>,
    ) -> Self {
        let (status, code) = match limit {
            Limit::Participants => (StatusCode::CONFLICT, "session_full"),
            Limit::RequestSize => (StatusCode::PAYLOAD_TOO_LARGE, "request_too_large"),
            Limit::Exports => (StatusCode::TOO_MANY_REQUESTS, "too_many_exports"),
            Limit::Assist => (StatusCode::TOO_MANY_REQUESTS, "too_many_requests"),
            Limit::JoinAttempts | Limit::AdminKeyAttempts | Limit::PublicReads => {
                (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
            }
            _ => (StatusCode::TOO_MANY_REQUESTS, "too_many_connections"),
        };
        let mut error = Self::new(status, code, message);
        error.retry_after = retry_after.map(|wait| wait.as_secs().max(1));
        error
    }

    /// A researcher asking for a session that is not recorded for research.
    pub fn not_recorded() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "not_recorded",
            "this session is not recorded for research",
        )
    }

    /// A kicked participant (or one who joined through a kicked invite).
    pub fn revoked() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "revoked",
            "you were removed from this session by a moderator",
        )
    }

    /// A process id that names no process (creating a session in it, reading it).
    pub fn process_not_found() -> Self {
        Self::not_found("process_not_found", "no such process")
    }

    /// A moderator setting `phase` or `timer_ends_at` while an agenda step is current: the
    /// step sets both.
    pub fn step_current() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "step_current",
            "an agenda step is current: its title is the phase and its end the timer; \
             start, end or change steps instead",
        )
    }

    pub fn session_closed() -> Self {
        Self::new(
            StatusCode::CONFLICT,
            "session_closed",
            "the session is closed: nothing in it can change any more",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({ "error": self.message, "code": self.code });
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        error!(error = %e, "storage failed while answering a request");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "storage is unavailable; try again shortly",
        )
    }
}

impl From<SessionError> for ApiError {
    fn from(e: SessionError) -> Self {
        match e {
            SessionError::NotFound => ApiError::not_found("session_not_found", "no such session"),
            SessionError::Storage(e) => e.into(),
            SessionError::Contended => {
                warn!("session update gave up after repeated concurrent changes");
                ApiError::new(StatusCode::CONFLICT, "contended", e.to_string())
            }
        }
    }
}

impl From<TokenError> for ApiError {
    fn from(e: TokenError) -> Self {
        ApiError::new(StatusCode::UNAUTHORIZED, e.code(), e.to_string())
    }
}

impl From<UnknownLanguage> for ApiError {
    fn from(e: UnknownLanguage) -> Self {
        ApiError::bad_request(e.to_string())
    }
}
