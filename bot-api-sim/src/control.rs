//! The control API, for drivers in other processes (the demo, scripts):
//! inject what customers do, read what the bot sent, inject faults.
//! Everything is JSON; see docs/simulator.md.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::state::{Fault, GroupPost, Shared, SimUser};

pub fn router(state: Arc<Shared>) -> Router {
    Router::new()
        .route("/control/users", post(add_user))
        .route("/control/users/{id}/text", post(text))
        .route("/control/users/{id}/photo", post(photo))
        .route("/control/users/{id}/press", post(press))
        .route("/control/users/{id}/edit", post(edit))
        .route("/control/users/{id}/block", post(block))
        .route("/control/users/{id}/unblock", post(unblock))
        .route("/control/groups/{id}/text", post(group_text))
        .route("/control/groups/{id}/post", post(group_post))
        .route("/control/groups/{id}/members", get(group_members))
        .route("/control/groups/{id}/request", post(group_request))
        .route("/control/groups/{id}/press", post(group_press))
        .route("/control/groups/{id}/join", post(group_join))
        .route("/control/groups/{id}/leave", post(group_leave))
        .route("/control/groups/{id}/react", post(group_react))
        .route("/control/groups/{id}/bot", post(group_bot))
        .route("/control/privacy", post(privacy))
        .route("/control/chats/{id}/sent", get(sent))
        .route("/control/chats/{id}/deleted", get(deleted))
        .route("/control/faults", post(fault).delete(clear))
        .route("/control/stats", get(stats))
        .with_state(state)
}

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": message.into()})),
    )
        .into_response()
}

async fn add_user(State(s): State<Arc<Shared>>, Json(u): Json<SimUser>) -> Response {
    if u.id <= 0 || u.id >= 1 << 40 {
        return bad("user ids are 1..2^40, as Telegram's");
    }
    s.add_user(u);
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct Text {
    text: String,
    #[serde(default)]
    reply_to: Option<i64>,
}

async fn text(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<Text>) -> Response {
    Json(json!({"message_id": s.customer_text(id, &b.text, b.reply_to)})).into_response()
}

#[derive(Deserialize)]
struct Photo {
    #[serde(default)]
    caption: Option<String>,
}

async fn photo(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<Photo>,
) -> Response {
    Json(json!({"message_id": s.customer_photo(id, b.caption.as_deref())})).into_response()
}

#[derive(Deserialize)]
struct Press {
    message_id: i64,
    data: String,
}

async fn press(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<Press>,
) -> Response {
    match s.press(id, b.message_id, &b.data) {
        Ok(q) => Json(json!({"callback_query_id": q})).into_response(),
        Err(e) => bad(e),
    }
}

#[derive(Deserialize)]
struct Edit {
    message_id: i64,
    text: String,
}

async fn edit(State(s): State<Arc<Shared>>, Path(id): Path<i64>, Json(b): Json<Edit>) -> Response {
    match s.customer_edit(id, b.message_id, &b.text) {
        Ok(()) => Json(json!({"ok": true})).into_response(),
        Err(e) => bad(e),
    }
}

async fn block(State(s): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    s.set_blocked(id, true);
    Json(json!({"ok": true})).into_response()
}

async fn unblock(State(s): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    s.set_blocked(id, false);
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct GroupText {
    title: String,
    user_id: i64,
    text: String,
    #[serde(default)]
    thread: Option<i64>,
    #[serde(default)]
    reply_to: Option<i64>,
}

async fn group_text(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<GroupText>,
) -> Response {
    if id > -1_000_000_000_000 {
        return bad("supergroup ids are below -1000000000000, as Telegram's");
    }
    let id = s.group_reply(id, &b.title, b.user_id, &b.text, b.thread, b.reply_to);
    Json(json!({"message_id": id})).into_response()
}

#[derive(Deserialize)]
struct Post {
    title: String,
    user_id: i64,
    #[serde(flatten)]
    post: GroupPost,
}

/// A member posts with a photo, a forward, a quote or buttons.
async fn group_post(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<Post>,
) -> Response {
    if let Some(r) = not_a_supergroup(id) {
        return r;
    }
    match s.group_post(id, &b.title, b.user_id, &b.post) {
        Ok(m) => Json(json!({"message_id": m})).into_response(),
        Err(e) => (axum::http::StatusCode::FORBIDDEN, Json(json!({"error": e}))).into_response(),
    }
}

/// Someone asks to join a group that approves new members.
async fn group_request(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<Join>,
) -> Response {
    if let Some(r) = not_a_supergroup(id) {
        return r;
    }
    s.join_request(id, &b.title, b.user_id);
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct GroupPress {
    user_id: i64,
    message_id: i64,
    data: String,
}

/// A member presses a button of the bot's message in a group.
async fn group_press(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<GroupPress>,
) -> Response {
    match s.press_in(id, b.user_id, b.message_id, &b.data) {
        Ok(cb) => Json(json!({"callback_query_id": cb})).into_response(),
        Err(e) => bad(e),
    }
}

/// Whom the bot banned and restricted in a group, its join requests and
/// the messages it pinned.
async fn group_members(State(s): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    let (banned, restricted) = s.members(id);
    let (waiting, approved, declined, pinned) = s.requests(id);
    let restricted: serde_json::Map<String, Value> = restricted
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    Json(json!({
        "banned": banned,
        "restricted": restricted,
        "requests": {"waiting": waiting, "approved": approved, "declined": declined},
        "pinned": pinned,
        "bans": s.bans(id),
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Join {
    title: String,
    user_id: i64,
}

async fn group_join(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<Join>,
) -> Response {
    if id > -1_000_000_000_000 {
        return bad("supergroup ids are below -1000000000000, as Telegram's");
    }
    Json(json!({"message_id": s.group_join(id, &b.title, b.user_id)})).into_response()
}

fn not_a_supergroup(id: i64) -> Option<Response> {
    (id > -1_000_000_000_000).then(|| bad("supergroup ids are below -1000000000000, as Telegram's"))
}

async fn group_leave(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<Join>,
) -> Response {
    if let Some(r) = not_a_supergroup(id) {
        return r;
    }
    Json(json!({"message_id": s.group_leave(id, &b.title, b.user_id)})).into_response()
}

#[derive(Deserialize)]
struct React {
    user_id: i64,
    message_id: i64,
    emoji: String,
}

async fn group_react(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<React>,
) -> Response {
    if let Some(r) = not_a_supergroup(id) {
        return r;
    }
    if !s.has_chat(id) {
        return bad("no such group: someone must write in it first");
    }
    s.group_react(id, b.user_id, b.message_id, &b.emoji);
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct BotStatus {
    title: String,
    user_id: i64,
    status: String,
}

async fn group_bot(
    State(s): State<Arc<Shared>>,
    Path(id): Path<i64>,
    Json(b): Json<BotStatus>,
) -> Response {
    if let Some(r) = not_a_supergroup(id) {
        return r;
    }
    if !["member", "administrator", "left", "kicked"].contains(&b.status.as_str()) {
        return bad("status is member, administrator, left or kicked");
    }
    s.group_bot_status(id, &b.title, b.user_id, &b.status);
    Json(json!({"ok": true})).into_response()
}

#[derive(Deserialize)]
struct Privacy {
    on: bool,
}

async fn privacy(State(s): State<Arc<Shared>>, Json(b): Json<Privacy>) -> Response {
    s.set_privacy_mode(b.on);
    Json(json!({"ok": true})).into_response()
}

async fn sent(State(s): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    Json(s.sent(id)).into_response()
}

async fn deleted(State(s): State<Arc<Shared>>, Path(id): Path<i64>) -> Response {
    Json(json!({"message_ids": s.deleted(id)})).into_response()
}

async fn fault(State(s): State<Arc<Shared>>, Json(f): Json<Fault>) -> Response {
    s.inject(f);
    Json(json!({"ok": true})).into_response()
}

async fn clear(State(s): State<Arc<Shared>>) -> Response {
    s.clear_faults();
    Json(json!({"ok": true})).into_response()
}

async fn stats(State(s): State<Arc<Shared>>) -> Response {
    Json(s.stats()).into_response()
}
