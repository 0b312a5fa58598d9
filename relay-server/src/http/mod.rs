//! The HTTP surface: the WebSocket endpoint, files, the customer's mini
//! app and a health check.

pub mod accept;
pub mod app;
mod files;
pub mod init_data;
pub mod metrics;

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use shared::{FILES_PATH, MAX_CLIENT_FRAME_BYTES, MAX_UPLOAD_BYTES, WS_PATH};

use crate::App;

pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route(WS_PATH, get(websocket))
        .route(
            FILES_PATH,
            post(files::upload).layer(axum::extract::DefaultBodyLimit::max(
                MAX_UPLOAD_BYTES as usize + 1,
            )),
        )
        .route(&format!("{FILES_PATH}/{{file_id}}"), get(files::download))
        .route(&format!("{}/tickets", app::API), get(app::tickets))
        .route(&format!("{}/tickets/{{id}}", app::API), get(app::ticket))
        .with_state(app)
}

/// A refusal: `{"error": why}` with `status`.
fn refuse(status: StatusCode, why: impl Into<String>) -> Response {
    let body = serde_json::json!({ "error": why.into() }).to_string();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `200 {"status":"ok","seq":N}` while serving, `503` while shutting down.
async fn healthz(State(app): State<Arc<App>>) -> Response {
    let (status, word) = if app.shutdown.is_cancelled() {
        (StatusCode::SERVICE_UNAVAILABLE, "shutting_down")
    } else {
        (StatusCode::OK, "ok")
    };
    let body = format!(r#"{{"status":"{word}","seq":{}}}"#, app.store.head());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn websocket(
    headers: axum::http::HeaderMap,
    ws: WebSocketUpgrade,
    State(app): State<Arc<App>>,
) -> Response {
    let origin = headers
        .get(header::ORIGIN)
        .map(|o| o.to_str().unwrap_or("?"));
    if !app.sync.origin_allowed(origin) {
        tracing::warn!(origin = ?origin, "WebSocket upgrade refused: origin not allowed");
        return refuse(
            StatusCode::FORBIDDEN,
            "origin not allowed: this page's origin is not in sync.allowed_origins",
        );
    }
    ws.max_message_size(MAX_CLIENT_FRAME_BYTES)
        .max_frame_size(MAX_CLIENT_FRAME_BYTES)
        .on_upgrade(move |socket| {
            let tracker = app.sessions.clone();
            tracker.track_future(crate::sync::serve(app, socket))
        })
}
