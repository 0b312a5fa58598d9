//! `/v1/files`: an engineer's upload (`POST`, to send with `attach`), and
//! an attachment's download (`GET /v1/files/{file_id}`): a customer's file
//! fetched from Telegram once (getFile) and then served from the cache.
//! Both take the agent's token as `Authorization: Bearer <token>`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use shared::{Agent, Attachment, MAX_UPLOAD_BYTES, Uploaded};
use teloxide::net::Download;
use teloxide::prelude::Requester;
use teloxide::types::FileId;
use tokio::io::AsyncWriteExt;

use super::refuse;
use crate::App;
use crate::domain::agents;
use crate::files::{FileStore, clean_name, mime_of};
use crate::store::read::ReadFor;
use crate::store::rows;

/// Telegram lets bots download files up to this size.
const TELEGRAM_DOWNLOAD_MAX: u64 = 20 * 1024 * 1024;
/// Uploads of one agent waiting to be sent, at most.
const MAX_WAITING_UPLOADS: u64 = 20;
/// An upload not sent within this long is removed.
const STALE_UPLOAD: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// The agent whose token the request carries.
async fn agent(app: &App, headers: &HeaderMap) -> Result<Agent, Response> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            refuse(
                StatusCode::UNAUTHORIZED,
                "send the agent token as Authorization: Bearer <token>",
            )
        })?;
    let hash = agents::token_hash(token);
    match app
        .store
        .readers()
        .read_for(ReadFor::Token, move |c| rows::agent_by_token_hash(c, &hash))
        .await
    {
        Ok(Some(a)) => Ok(a),
        Ok(None) => Err(refuse(StatusCode::UNAUTHORIZED, "unknown or revoked token")),
        Err(e) => Err(refuse(StatusCode::SERVICE_UNAVAILABLE, e.to_string())),
    }
}

/// `POST /v1/files?name=scan.pdf`: the body is the file. Answers
/// `{"upload_id": "...", "size": N}`.
pub async fn upload(
    State(app): State<Arc<App>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let agent = match agent(&app, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let name = uri
        .query()
        .and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "name")
                .map(|(_, v)| v.into_owned())
        })
        .map(|n| clean_name(&n));
    let Some(name) = name else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "name the file: POST /v1/files?name=<file name>",
        );
    };
    if let Some(len) = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
        && len > MAX_UPLOAD_BYTES
    {
        return too_big();
    }
    // Uploads not sent within a day are forgotten; an agent has a bounded
    // number waiting, so no token can fill the disk.
    let files = app.files.clone();
    let before = app.store.now() - STALE_UPLOAD;
    let agent_id = agent.id;
    let waiting = app
        .store
        .write(move |ctx| {
            for id in rows::drop_stale_uploads(ctx, before)? {
                if let Some(p) = files.upload_path(&id) {
                    let _ = std::fs::remove_file(p);
                }
            }
            rows::uploads_waiting(ctx, agent_id)
        })
        .await;
    match waiting {
        Ok(n) if n >= MAX_WAITING_UPLOADS => {
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{n} of your uploads wait to be sent; send them or wait a day"),
            );
        }
        Ok(_) => {}
        Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    }
    let id = FileStore::new_upload_id();
    let Some(path) = app.files.upload_path(&id) else {
        return refuse(StatusCode::INTERNAL_SERVER_ERROR, "bad upload id");
    };
    let partial = FileStore::partial(&path);
    let size = match write_body(body, &partial).await {
        Ok(size) => size,
        Err(r) => {
            let _ = tokio::fs::remove_file(&partial).await;
            return r;
        }
    };
    if size == 0 {
        let _ = tokio::fs::remove_file(&partial).await;
        return refuse(StatusCode::BAD_REQUEST, "the file is empty");
    }
    if let Err(e) = tokio::fs::rename(&partial, &path).await {
        return refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot keep the file: {e}"),
        );
    }
    let row = rows::Upload {
        id: id.clone(),
        agent_id: agent.id,
        mime_type: mime_of(&name).map(str::to_owned),
        file_name: name,
        size,
    };
    if let Err(e) = app
        .store
        .write(move |ctx| rows::insert_upload(ctx, &row, ctx.now))
        .await
    {
        let _ = tokio::fs::remove_file(&path).await;
        return refuse(StatusCode::SERVICE_UNAVAILABLE, e.to_string());
    }
    let body = serde_json::to_string(&Uploaded {
        upload_id: id,
        size,
    })
    .unwrap_or_default();
    (
        StatusCode::CREATED,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

fn too_big() -> Response {
    refuse(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "a file sent to Telegram is at most {} MB",
            MAX_UPLOAD_BYTES >> 20
        ),
    )
}

/// Streams the body to `path`, refusing it past the upload limit.
async fn write_body(body: Body, path: &std::path::Path) -> Result<u64, Response> {
    let io = |e: std::io::Error| {
        refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot write the file: {e}"),
        )
    };
    let mut file = tokio::fs::File::create(path).await.map_err(io)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            refuse(
                StatusCode::BAD_REQUEST,
                format!("the upload broke off: {e}"),
            )
        })?;
        size += chunk.len() as u64;
        if size > MAX_UPLOAD_BYTES {
            return Err(too_big());
        }
        file.write_all(&chunk).await.map_err(io)?;
    }
    file.flush().await.map_err(io)?;
    file.sync_all().await.map_err(io)?;
    Ok(size)
}

/// `GET /v1/files/{file_id}`: an attachment of a ticket the agent may see.
pub async fn download(
    State(app): State<Arc<App>>,
    Path(file_id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let agent = match agent(&app, &headers).await {
        Ok(a) => a,
        Err(r) => return r,
    };
    let id = file_id.clone();
    let found = app
        .store
        .readers()
        .read_for(ReadFor::Client, move |c| {
            let Some((ticket, attachment)) = rows::attachment(c, &id)? else {
                return Ok(None);
            };
            Ok(rows::load_ticket(c, ticket)?.map(|t| (t, attachment)))
        })
        .await;
    let (ticket, attachment) = match found {
        // A file of a ticket the agent may not read is answered like one
        // that does not exist (docs/privacy.md, "Who may read what").
        Ok(Some(x)) if app.desk.access().may_read(&agent, &x.0) => x,
        Ok(_) => return refuse(StatusCode::NOT_FOUND, "no message has this attachment"),
        Err(e) => return refuse(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
    };
    tracing::debug!(agent = %agent.name, ticket = ticket.number, "file requested");
    let path = match app.files.uploaded(&file_id) {
        Some(p) => p,
        None => {
            let cached = app.files.cache_path(&file_id);
            if tokio::fs::try_exists(&cached).await.unwrap_or(false) {
                app.files.touch(&cached);
            } else if let Err(r) = fetch(&app, &file_id, &cached).await {
                return r;
            }
            cached
        }
    };
    serve(&path, &attachment).await
}

/// Fetches a Telegram file into the cache.
async fn fetch(app: &App, file_id: &str, dest: &std::path::Path) -> Result<(), Response> {
    let Some(bot) = &app.bot else {
        return Err(refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "this server has no Telegram bot to fetch files with",
        ));
    };
    let _slot = app
        .fetches
        .acquire()
        .await
        .map_err(|_| refuse(StatusCode::SERVICE_UNAVAILABLE, "shutting down"))?;
    let unreachable = |e: String| refuse(StatusCode::BAD_GATEWAY, format!("Telegram: {e}"));
    let token = app.bot_token.as_deref().unwrap_or_default();
    let file = bot
        .get_file(FileId(file_id.to_owned()))
        .await
        .map_err(|e| unreachable(crate::telegram::mask(&e.to_string(), token)))?;
    if u64::from(file.meta.size) > TELEGRAM_DOWNLOAD_MAX {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Telegram lets bots download files up to 20 MB; open it in Telegram",
        ));
    }
    let partial = FileStore::partial(dest);
    let mut out = tokio::fs::File::create(&partial)
        .await
        .map_err(|e| refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let got = bot.download_file(&file.path, &mut out).await;
    let done = match got {
        Ok(()) => match out.flush().await {
            Ok(()) => out.sync_all().await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        },
        Err(e) => Err(crate::telegram::mask(&e.to_string(), token)),
    };
    if let Err(e) = done.and(
        tokio::fs::rename(&partial, dest)
            .await
            .map_err(|e| e.to_string()),
    ) {
        let _ = tokio::fs::remove_file(&partial).await;
        return Err(unreachable(e));
    }
    let (files, keep) = (app.files.clone(), dest.to_owned());
    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || files.evict(&keep)).await {
        tracing::warn!("file cache: cannot evict: {e}");
    }
    Ok(())
}

/// Streams a file with its type and name.
async fn serve(path: &std::path::Path, a: &Attachment) -> Response {
    let file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => return refuse(StatusCode::GONE, format!("the file is no longer kept: {e}")),
    };
    let len = file.metadata().await.map(|m| m.len()).unwrap_or_default();
    let name = a
        .file_name
        .as_deref()
        .map_or_else(|| default_name(a), clean_name);
    let mime = a
        .mime_type
        .clone()
        .or_else(|| mime_of(&name).map(str::to_owned))
        .unwrap_or_else(|| "application/octet-stream".into());
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = rfc5987(&name);
    let disposition = format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}");
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CONTENT_LENGTH, len.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}

/// Percent-encodes a file name for `filename*=UTF-8''...` (RFC 5987:
/// everything but letters, digits and `!#$&+-.^_`|~` is `%XX`).
fn rfc5987(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A name for a file Telegram gave none (photos): `photo-<id tail>.jpg`.
fn default_name(a: &Attachment) -> String {
    let tail: String = a
        .file_id
        .chars()
        .rev()
        .take(8)
        .filter(char::is_ascii_alphanumeric)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    match a.kind {
        shared::AttachmentKind::Photo => format!("photo-{tail}.jpg"),
        shared::AttachmentKind::Voice => format!("voice-{tail}.ogg"),
        shared::AttachmentKind::Video => format!("video-{tail}.mp4"),
        _ => format!("file-{tail}"),
    }
}
