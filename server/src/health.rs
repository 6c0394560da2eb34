//! `/healthz` (the process answers) and `/readyz` (it can serve: storage reachable, not
//! shutting down), as load balancers and Kubernetes probes expect.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

/// A storage check slower than this counts as unreachable.
const READY_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    if state.shutdown.is_cancelled() {
        return unavailable("shutting_down", "server is shutting down".into());
    }
    match tokio::time::timeout(READY_CHECK_TIMEOUT, state.storage.check()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "rooms": state.registry.loaded() })),
        ),
        Ok(Err(e)) => unavailable("storage_unavailable", format!("storage unavailable: {e}")),
        Err(_) => unavailable("storage_unavailable", "storage check timed out".into()),
    }
}

fn unavailable(code: &str, error: String) -> (StatusCode, Json<Value>) {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "error": error, "code": code })),
    )
}
