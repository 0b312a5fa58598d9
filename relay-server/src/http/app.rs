//! The customer's mini app over HTTP (docs/miniapp.md): `/app/api/...`.
//! Every request carries Telegram's launch data as
//! `Authorization: tma <initData>`, checked (`init_data::verify`, with
//! the bot's token and `[miniapp] max_age`) before anything is read: a
//! forged, altered, stale or missing one is 401 and reads nothing. The
//! customer is the Telegram user the data names, and sees only their own
//! tickets; another's is 404, like one that does not exist.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Path, State};
use axum::http::Uri;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use super::init_data::{self, Launch};
use super::refuse;
use crate::App;
use crate::domain::{DomainError, customer_app};
use crate::store::StoreError;
use crate::store::read::ReadFor;
use crate::store::read::Reader;

/// Where the app's API lives.
pub const API: &str = "/app/api";

/// The Telegram user who opened the app, their launch data checked.
pub struct Opened(pub Launch);

impl FromRequestParts<Arc<App>> for Opened {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Self, Response> {
        if !app.desk.miniapp.enabled {
            return Err(refuse(
                StatusCode::NOT_FOUND,
                "the mini app is off here ([miniapp] enabled = false)",
            ));
        }
        let Some(token) = app.bot_token.as_deref() else {
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "this desk runs without a Telegram bot: nothing can check who opened the app",
            ));
        };
        let Some(data) = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("tma "))
        else {
            return Err(refuse(
                StatusCode::UNAUTHORIZED,
                "send Telegram's launch data as Authorization: tma <initData>",
            ));
        };
        init_data::verify(
            data.trim(),
            token,
            app.store.now(),
            app.desk.miniapp.max_age,
        )
        .map(Opened)
        .map_err(|e| {
            // At debug: refusals cost an attacker nothing, the log must not grow with them.
            tracing::debug!("mini app: launch data refused: {e}");
            refuse(StatusCode::UNAUTHORIZED, e.to_string())
        })
    }
}

/// `200` with `value` as JSON.
pub(super) fn json(value: &impl Serialize) -> Response {
    match serde_json::to_string(value) {
        Ok(body) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response(),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// Runs a read for the app on a client's share of the readers.
async fn read<T: Serialize + Send + 'static>(
    app: &App,
    f: impl FnOnce(&Reader) -> Result<Result<T, DomainError>, StoreError> + Send + 'static,
) -> Result<T, Response> {
    match app.store.readers().read_for(ReadFor::Client, f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(refuse(StatusCode::BAD_REQUEST, e.to_string())),
        Err(e) => {
            tracing::warn!("mini app: read failed: {e}");
            Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "try again in a moment",
            ))
        }
    }
}

/// `GET /app/api/tickets`: the customer's tickets and their company's
/// shared ones, newest first.
pub async fn tickets(State(app): State<Arc<App>>, Opened(who): Opened) -> Response {
    let (desk, now) = (app.desk.clone(), app.store.now());
    match read(&app, move |c| {
        let lang = who.user.language_code.as_deref();
        Ok(customer_app::tickets(c, &desk, who.user.id, lang, now))
    })
    .await
    {
        Ok(list) => json(&list),
        Err(r) => r,
    }
}

/// `GET /app/api/tickets/{id}`: one of theirs (or their company's) with
/// its thread.
pub async fn ticket(
    State(app): State<Arc<App>>,
    Opened(who): Opened,
    Path(id): Path<i64>,
) -> Response {
    let (desk, now) = (app.desk.clone(), app.store.now());
    let id = shared::TicketId(id);
    match read(&app, move |c| {
        let lang = who.user.language_code.as_deref();
        Ok(customer_app::thread(c, &desk, who.user.id, lang, id, now))
    })
    .await
    {
        Ok(Some(thread)) => json(&thread),
        Ok(None) => refuse(StatusCode::NOT_FOUND, "no such ticket of yours"),
        Err(r) => r,
    }
}

/// What the customer's own settings-like reads take: the reader, the
/// desk, their Telegram id and the language their Telegram speaks.
type OwnRead<T> =
    fn(&Reader, &crate::domain::desk::Desk, i64, Option<&str>) -> Result<T, DomainError>;

/// `200` with what `f` reads for the user who opened the app.
async fn own<T: Serialize + Send + 'static>(app: &App, who: Launch, f: OwnRead<T>) -> Response {
    let desk = app.desk.clone();
    match read(app, move |c| {
        Ok(f(c, &desk, who.user.id, who.user.language_code.as_deref()))
    })
    .await
    {
        Ok(v) => json(&v),
        Err(r) => r,
    }
}

/// `GET /app/api/form`: what the new-request form offers.
pub async fn form(State(app): State<Arc<App>>, Opened(who): Opened) -> Response {
    own(&app, who, customer_app::form).await
}

/// `GET /app/api/settings`.
pub async fn settings(State(app): State<Arc<App>>, Opened(who): Opened) -> Response {
    own(&app, who, customer_app::settings).await
}

/// `GET /app/api/articles?q=...`: the knowledge base, searched or popular.
pub async fn articles(State(app): State<Arc<App>>, Opened(who): Opened, uri: Uri) -> Response {
    let desk = app.desk.clone();
    let q: String = uri
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "q")
                .map(|(_, v)| v.chars().take(200).collect())
        })
        .unwrap_or_default();
    match read(&app, move |c| {
        let lang = match customer_app::lang_of(c, who.user.id, who.user.language_code.as_deref()) {
            Ok(l) => l,
            Err(e) => return Ok(Err(e)),
        };
        Ok(customer_app::articles(c, &desk, lang, &q))
    })
    .await
    {
        Ok(list) => json(&list),
        Err(r) => r,
    }
}
