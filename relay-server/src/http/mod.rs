//! The HTTP surface: the WebSocket endpoint, files, the customer's mini
//! app and a health check.

pub mod accept;
pub mod app;
pub mod app_demo;
mod app_live;
mod app_pages;
mod app_write;
mod files;
pub mod init_data;
pub mod metrics;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
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
        .merge(app_routes())
        .with_state(app)
}

/// The customer's mini app: its pages under `/app/`, its API under
/// `/app/api` (docs/miniapp.md). Bodies are capped per route (413).
fn app_routes() -> Router<Arc<App>> {
    let api = |p: &str| format!("{}{p}", app::API);
    let small = DefaultBodyLimit::max(app_write::SMALL_BODY);
    let file = DefaultBodyLimit::max(app_write::FILE_BODY);
    Router::new()
        .route(
            &api("/tickets"),
            get(app::tickets).post(app_write::request).layer(file),
        )
        .route(&api("/tickets/{id}"), get(app::ticket))
        .route(
            &api("/tickets/{id}/messages"),
            post(app_write::reply).layer(file),
        )
        .route(
            &api("/tickets/{id}/rating"),
            post(app_write::rate).layer(small),
        )
        .route(&api("/form"), get(app::form))
        .route(&api("/articles"), get(app::articles))
        .route(
            &api("/articles/{id}/helped"),
            post(app_write::helped).layer(small),
        )
        .route(
            &api("/settings"),
            get(app::settings).put(app_write::settings).layer(small),
        )
        .route(&api("/export"), post(app_write::export).layer(small))
        .route(&api("/erase"), post(app_write::erase).layer(small))
        .route(&api("/events"), get(app_live::events))
        .route("/app", get(app_pages::to_index))
        .route("/app/", get(app_pages::index))
        .route("/app/{file}", get(app_pages::file))
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
