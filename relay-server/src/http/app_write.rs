//! The mini app's writes (docs/miniapp.md): a new request, a message into
//! a ticket, a rating, "did this help?", settings, export and erasure.
//! Bodies are JSON with a size cap per route (413 past it; 400 when they
//! are not the JSON the route takes, with why); nothing is stored unless
//! the whole request is good. A file comes base64 in the JSON and is
//! written to the uploads before the write that files it, and removed if
//! that write fails.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine;
use serde::de::DeserializeOwned;
use shared::*;

use super::app::{Opened, json};
use super::refuse;
use crate::App;
use crate::domain::customer_app::MAX_FILE;
use crate::domain::dialogue::app::{self as writes, Request};
use crate::domain::intake::Sender;
use crate::domain::{DomainError, customer_app};
use crate::files::{FileStore, clean_name, mime_of};
use crate::store::WriteCtx;

/// The largest body of a route that takes no file.
pub const SMALL_BODY: usize = 64 * 1024;
/// The largest body of a route that may carry a file (base64 is 4/3 of it).
pub const FILE_BODY: usize = (MAX_FILE as usize).div_ceil(3) * 4 + SMALL_BODY;

/// The JSON body as `T` (the last extractor of a write route), or the
/// refusal: 413 past the route's cap, 400 for anything that is not a `T`.
pub struct Body<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Response> {
        let raw = Bytes::from_request(req, state)
            .await
            .map_err(|e| refuse(e.status(), e.body_text()))?;
        serde_json::from_slice(&raw).map(Body).map_err(|e| {
            refuse(
                StatusCode::BAD_REQUEST,
                format!("not a request I take: {e}"),
            )
        })
    }
}

/// A rule's refusal as HTTP.
fn status_of(e: &DomainError) -> StatusCode {
    match e.code {
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Busy => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

/// Runs a write for the customer and answers with `ok`'s status and the
/// result as JSON.
async fn write<T: serde::Serialize + Send + 'static>(
    app: &App,
    ok: StatusCode,
    f: impl FnOnce(&mut WriteCtx<'_>) -> Result<T, DomainError> + Send + 'static,
) -> Response {
    match app.store.write(f).await {
        Ok(v) => {
            let mut r = json(&v);
            *r.status_mut() = ok;
            r
        }
        Err(e) => {
            if e.code == ErrorCode::Internal {
                tracing::warn!("mini app: write failed: {e}");
            }
            refuse(status_of(&e), e.message)
        }
    }
}

/// Who wrote, as Telegram's launch data tells it.
fn sender(who: &Opened) -> Sender {
    let u = &who.0.user;
    Sender {
        telegram_user_id: u.id,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        language: u.language_code.clone(),
    }
}

/// A file the customer sent, kept in the uploads: decoded, capped, typed
/// by its name. Its path is returned to remove it if filing fails.
async fn keep_file(
    files: &FileStore,
    up: &AppUpload,
) -> Result<(Attachment, std::path::PathBuf), Response> {
    let name = clean_name(&up.name);
    let Some(mime) = mime_of(&name) else {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "send an image (png, jpg, webp, gif), a PDF or a text file",
        ));
    };
    if up.data.len() > FILE_BODY {
        return Err(too_big());
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(up.data.as_bytes())
        .map_err(|e| {
            refuse(
                StatusCode::BAD_REQUEST,
                format!("the file is not base64: {e}"),
            )
        })?;
    if bytes.is_empty() {
        return Err(refuse(StatusCode::BAD_REQUEST, "the file is empty"));
    }
    if bytes.len() as u64 > MAX_FILE {
        return Err(too_big());
    }
    let id = FileStore::new_upload_id();
    let path = files
        .upload_path(&id)
        .ok_or_else(|| refuse(StatusCode::INTERNAL_SERVER_ERROR, "bad upload id"))?;
    let partial = FileStore::partial(&path);
    let size = bytes.len() as u64;
    let written = async {
        tokio::fs::write(&partial, &bytes).await?;
        tokio::fs::File::open(&partial).await?.sync_all().await?;
        tokio::fs::rename(&partial, &path).await
    }
    .await;
    if let Err(e) = written {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot keep the file: {e}"),
        ));
    }
    let kind = if mime.starts_with("image/") && mime != "image/gif" {
        AttachmentKind::Photo
    } else {
        AttachmentKind::Document
    };
    Ok((
        Attachment {
            kind,
            file_id: format!("{UPLOAD_FILE_PREFIX}{id}"),
            file_name: Some(name),
            mime_type: Some(mime.to_owned()),
            size: Some(size),
        },
        path,
    ))
}

fn too_big() -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("a file is at most {} MB", MAX_FILE >> 20),
    )
}

/// Keeps the optional file, runs the write, and removes the file again
/// when the write did not file it.
async fn with_file<T: serde::Serialize + Send + 'static>(
    app: &App,
    file: Option<&AppUpload>,
    f: impl FnOnce(&mut WriteCtx<'_>, Vec<Attachment>) -> Result<T, DomainError> + Send + 'static,
) -> Response {
    let kept = match file {
        Some(up) => match keep_file(&app.files, up).await {
            Ok(k) => Some(k),
            Err(r) => return r,
        },
        None => None,
    };
    let (attachments, path) = match kept {
        Some((a, p)) => (vec![a], Some(p)),
        None => (vec![], None),
    };
    let r = write(app, StatusCode::CREATED, move |ctx| f(ctx, attachments)).await;
    if !r.status().is_success()
        && let Some(p) = path
    {
        let _ = tokio::fs::remove_file(p).await;
    }
    r
}

/// `POST /app/api/tickets`: a new request from the form.
pub async fn request(
    State(app): State<Arc<App>>,
    who: Opened,
    Body(req): Body<AppNewRequest>,
) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    with_file(&app, req.screenshot.as_ref(), move |ctx, attachments| {
        let r = Request {
            topic: req.topic,
            answers: req.answers,
            text: req.text,
            attachments,
            consent: req.consent,
        };
        writes::request(ctx, &desk, &sender, &r)
    })
    .await
}

/// `POST /app/api/tickets/{id}/messages`: a message into one of theirs.
pub async fn reply(
    State(app): State<Arc<App>>,
    who: Opened,
    Path(id): Path<i64>,
    Body(req): Body<AppReply>,
) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    with_file(&app, req.file.as_ref(), move |ctx, attachments| {
        writes::reply(ctx, &desk, &sender, TicketId(id), &req.text, attachments)
    })
    .await
}

/// `POST /app/api/tickets/{id}/rating`: 1-5 stars for a resolved one.
pub async fn rate(
    State(app): State<Arc<App>>,
    who: Opened,
    Path(id): Path<i64>,
    Body(req): Body<AppRating>,
) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    write(&app, StatusCode::OK, move |ctx| {
        writes::rate(ctx, &desk, &sender, TicketId(id), req.stars)?;
        Ok(req)
    })
    .await
}

/// "Did this help?" under an article.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Helped {
    pub helped: bool,
    /// What they searched for, if they found it by searching.
    #[serde(default)]
    pub search: String,
}

/// `POST /app/api/articles/{id}/helped`.
pub async fn helped(
    State(app): State<Arc<App>>,
    who: Opened,
    Path(article): Path<String>,
    Body(req): Body<Helped>,
) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    write(&app, StatusCode::OK, move |ctx| {
        writes::article_helped(ctx, &desk, &sender, &article, &req.search, req.helped)?;
        Ok(serde_json::json!({ "helped": req.helped }))
    })
    .await
}

/// `PUT /app/api/settings`: language and time zone.
pub async fn settings(
    State(app): State<Arc<App>>,
    who: Opened,
    Body(req): Body<AppSettingsChange>,
) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    write(&app, StatusCode::OK, move |ctx| {
        let c = writes::settings(ctx, &sender, &req)?;
        customer_app::settings(ctx, &desk, c.telegram_user_id, None)
    })
    .await
}

/// `POST /app/api/export`: the export, sent in the chat with the bot.
pub async fn export(State(app): State<Arc<App>>, who: Opened) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    write(&app, StatusCode::ACCEPTED, move |ctx| {
        writes::export(ctx, &desk, &sender)?;
        Ok(serde_json::json!({ "sent_to": "chat" }))
    })
    .await
}

/// `POST /app/api/erase` with `{"confirm":"erase"}`.
pub async fn erase(
    State(app): State<Arc<App>>,
    who: Opened,
    Body(req): Body<AppErase>,
) -> Response {
    let (desk, sender) = (app.desk.clone(), sender(&who));
    // The files and the WAL follow in the background, as after /forgetme.
    write(&app, StatusCode::OK, move |ctx| {
        writes::erase(ctx, &desk, &sender, &req.confirm)?;
        Ok(serde_json::json!({ "erased": true }))
    })
    .await
}
