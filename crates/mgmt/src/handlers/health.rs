//! `/health` (the process answers) and `/ready` (the store answers), outside authentication, for
//! load balancers and orchestrators. Neither says anything about the configuration.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// `GET /health`: 200 while the process serves.
pub async fn health() -> Response {
    status(StatusCode::OK, "ok")
}

/// `GET /ready`: 200 when the store answers, 503 otherwise.
pub async fn ready(State(state): State<AppState>) -> Response {
    match state.store().revision(state.instance()).await {
        Ok(_) => status(StatusCode::OK, "ready"),
        Err(err) => {
            tracing::warn!(%err, "not ready: the store does not answer");
            status(StatusCode::SERVICE_UNAVAILABLE, "the store does not answer")
        }
    }
}

fn status(code: StatusCode, text: &str) -> Response {
    let body = serde_json::json!({"status": text});
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}
