//! `/healthz` (the process answers) and `/readyz` (it can serve: storage reachable, not
//! shutting down), as load balancers and Kubernetes probes expect.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

use crate::error::ApiError;
use crate::registry::Registry;
use crate::storage::SharedStorage;

/// A storage check slower than this counts as unreachable.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/readyz` looks at.
#[derive(Clone)]
pub struct Readiness {
    /// Cancelled on shutdown: no longer ready.
    pub(crate) shutdown: CancellationToken,
    /// Must answer within [`READY_CHECK_TIMEOUT`].
    pub(crate) storage: SharedStorage,
    /// Reports how many rooms are loaded.
    pub(crate) registry: Arc<Registry>,
}

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<Readiness>) -> Response {
    if state.shutdown.is_cancelled() {
        return ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "server is shutting down",
        )
        .into_response();
    }
    match tokio::time::timeout(READY_CHECK_TIMEOUT, state.storage.check()).await {
        Ok(Ok(())) => {
            Json(json!({ "status": "ready", "rooms": state.registry.loaded() })).into_response()
        }
        Ok(Err(e)) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            format!("storage unavailable: {e}"),
        )
        .into_response(),
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "storage_unavailable",
            "storage check timed out",
        )
        .into_response(),
    }
}
