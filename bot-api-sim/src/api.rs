//! The Bot API: `/bot{token}/{method}` and `/file/bot{token}/{path}`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::params::Params;
use crate::state::{Gate, Sent, Shared};

pub fn router(state: Arc<Shared>) -> Router {
    Router::new().fallback(handle).with_state(state)
}

fn ok(result: Value) -> Response {
    axum::Json(json!({"ok": true, "result": result})).into_response()
}

fn err(code: u16, description: impl Into<String>) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::BAD_REQUEST);
    let body = json!({"ok": false, "error_code": code, "description": description.into()});
    (status, axum::Json(body)).into_response()
}

fn too_many(retry_after: u64) -> Response {
    let body = json!({
        "ok": false,
        "error_code": 429,
        "description": format!("Too Many Requests: retry after {retry_after}"),
        "parameters": {"retry_after": retry_after},
    });
    (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response()
}

/// Ends the connection without an answer, as a network failure would.
/// (`resume_unwind` skips the panic hook: no noise; the connection task ends.)
fn drop_connection() -> ! {
    std::panic::resume_unwind(Box::new("simulated dropped connection"))
}

/// Methods Telegram rate-limits as sends.
const SENDS: &[&str] = &[
    "sendmessage",
    "sendphoto",
    "senddocument",
    "sendvideo",
    "sendaudio",
    "sendvoice",
    "sendanimation",
    "sendsticker",
    "sendlocation",
    "sendcontact",
    "senddice",
    "copymessage",
    "forwardmessage",
];

async fn handle(State(s): State<Arc<Shared>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if let Some(rest) = path.strip_prefix("/file/bot") {
        return file(&s, rest);
    }
    let Some((token, method)) = path.strip_prefix("/bot").and_then(|r| r.split_once('/')) else {
        return err(404, "Not Found");
    };
    if token != s.config.token {
        return err(401, "Unauthorized");
    }
    let method = method.trim_end_matches('/').to_ascii_lowercase();
    s.count(|c| c.requests += 1);
    let latency = s.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let p = match Params::from_request(req).await {
        Ok(p) => p,
        Err(e) => return err(400, format!("Bad Request: {e}")),
    };
    let answer = if SENDS.contains(&method.as_str()) {
        send(&s, &method, &p)
    } else {
        other(&s, &method, &p).await
    };
    if !answer.status().is_success() && answer.status() != StatusCode::TOO_MANY_REQUESTS {
        s.count(|c| c.errors += 1);
    }
    answer
}

fn file(s: &Shared, rest: &str) -> Response {
    let Some((token, path)) = rest.split_once('/') else {
        return err(404, "Not Found");
    };
    if token != s.config.token {
        return err(401, "Unauthorized");
    }
    // teloxide sends the path as one segment ("photos%2Ffile_1.jpg").
    let path = &percent_decode(path);
    // The file's own size (as getFile said), its content derived from its path.
    let size = s.file_size_at(path).unwrap_or(1024).min(20 << 20) as usize;
    let bytes = file_bytes(path, size);
    (
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response()
}

/// `%2F` and the like back to their characters.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What the simulator serves for the file at `path`: `size` bytes that
/// repeat the path (tests compare what the relay hands out with this).
pub fn file_bytes(path: &str, size: usize) -> Vec<u8> {
    path.bytes().cycle().take(size).collect()
}

fn utf16(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Checks inline keyboard buttons the way Telegram does: a web_app button
/// only in a private chat, at an https:// address.
fn check_markup(markup: &Option<Value>, chat: i64) -> Result<(), &'static str> {
    let Some(rows) = markup.as_ref().and_then(|m| m.get("inline_keyboard")) else {
        return Ok(());
    };
    let Some(rows) = rows.as_array() else {
        return Err(
            "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays",
        );
    };
    for b in rows.iter().flat_map(|r| r.as_array().into_iter().flatten()) {
        if b["text"].as_str().is_none_or(str::is_empty) {
            return Err("Bad Request: text buttons are unallowed in the inline keyboard");
        }
        if let Some(d) = b["callback_data"].as_str()
            && (d.is_empty() || d.len() > 64)
        {
            return Err("Bad Request: BUTTON_DATA_INVALID");
        }
        if let Some(app) = b.get("web_app") {
            if chat < 0 {
                return Err("Bad Request: BUTTON_TYPE_INVALID");
            }
            if !app["url"]
                .as_str()
                .is_some_and(|u| u.starts_with("https://"))
            {
                return Err(
                    "Bad Request: inline keyboard button Web App URL is invalid: Only HTTPS links are allowed",
                );
            }
        }
    }
    Ok(())
}

fn send(s: &Shared, method: &str, p: &Params) -> Response {
    let Some(chat) = p.int("chat_id") else {
        return match p.str("chat_id") {
            Some(_) => err(400, "Bad Request: chat not found"),
            None => err(400, "Bad Request: chat_id is empty"),
        };
    };
    if let Err((code, d)) = s.check_chat(chat) {
        return err(code, d);
    }
    let markup = p.json("reply_markup");
    if let Err(d) = check_markup(&markup, chat) {
        return err(400, d);
    }
    let text = match method {
        "sendmessage" => {
            let t = p.str("text").unwrap_or_default();
            if t.trim().is_empty() {
                return err(400, "Bad Request: message text is empty");
            }
            if utf16(&t) > 4096 {
                return err(400, "Bad Request: message is too long");
            }
            Some(t)
        }
        _ => {
            let c = p.str("caption");
            if c.as_deref().is_some_and(|c| utf16(c) > 1024) {
                return err(400, "Bad Request: message caption is too long");
            }
            c
        }
    };
    let drop_after = match s.gate_send(chat) {
        Gate::TooMany { retry_after } => return too_many(retry_after),
        Gate::DropBefore => drop_connection(),
        Gate::Go { drop_after } => drop_after,
    };
    let reply_to = p
        .json("reply_parameters")
        .and_then(|r| r["message_id"].as_i64())
        .or_else(|| p.int("reply_to_message_id"));
    let sent = Sent {
        chat_id: chat,
        message_id: 0,
        method: String::new(),
        text: text.clone(),
        file: p.uploads.first().map(|u| crate::state::SentFile {
            file_name: u.file_name.clone(),
            size: u.size as u64,
            text: u.text.clone(),
        }),
        reply_markup: markup.clone(),
        reply_to,
        thread_id: p.int("message_thread_id"),
        edits: 0,
        at_ms: 0,
    };
    let upload = p.uploads.first().map(|u| u.size as u64);
    let media_id = upload.map(|size| s.new_upload_file(size));
    let msg = s.record_sent(
        chat,
        method,
        |m| {
            match method {
                "sendmessage" => m["text"] = json!(text),
                "sendphoto" => {
                    let id = media_id.clone().or_else(|| p.str("photo")).unwrap_or_default();
                    m["photo"] = crate::updates::photo_sizes(&id, upload.unwrap_or(1000));
                }
                "senddocument" => {
                    let id = media_id.clone().or_else(|| p.str("document")).unwrap_or_default();
                    let name = p.uploads.first().and_then(|u| u.file_name.clone());
                    m["document"] = json!({"file_id": id, "file_unique_id": format!("{id}-u"), "file_name": name});
                }
                _ => {}
            }
            if method != "sendmessage"
                && let Some(c) = &text
            {
                m["caption"] = json!(c);
            }
            if let Some(k) = &markup {
                m["reply_markup"] = k.clone();
            }
        },
        sent,
    );
    if drop_after {
        drop_connection();
    }
    ok(msg)
}

async fn other(s: &Shared, method: &str, p: &Params) -> Response {
    match method {
        "getme" => {
            let mut me = s.bot_json();
            me["can_join_groups"] = json!(true);
            me["can_read_all_group_messages"] = json!(!s.privacy_mode());
            me["supports_inline_queries"] = json!(false);
            me["can_connect_to_business"] = json!(false);
            me["has_main_web_app"] = json!(false);
            ok(me)
        }
        "getupdates" => get_updates(s, p).await,
        "editmessagetext" | "editmessagecaption" => {
            let (Some(chat), Some(id)) = (p.int("chat_id"), p.int("message_id")) else {
                return err(400, "Bad Request: message identifier is not specified");
            };
            let text = p.str("text").or_else(|| p.str("caption"));
            if method == "editmessagetext" && text.as_deref().is_none_or(|t| t.trim().is_empty()) {
                return err(400, "Bad Request: message text is empty");
            }
            let markup = p.json("reply_markup");
            if let Err(d) = check_markup(&markup, chat) {
                return err(400, d);
            }
            match s.edit_sent(chat, id, text, Some(markup)) {
                Ok(m) => ok(m),
                Err((code, d)) => err(code, d),
            }
        }
        "editmessagereplymarkup" => {
            let (Some(chat), Some(id)) = (p.int("chat_id"), p.int("message_id")) else {
                return err(400, "Bad Request: message identifier is not specified");
            };
            let markup = p.json("reply_markup");
            if let Err(d) = check_markup(&markup, chat) {
                return err(400, d);
            }
            match s.edit_sent(chat, id, None, Some(markup)) {
                Ok(m) => ok(m),
                Err((code, d)) => err(code, d),
            }
        }
        "deletemessage" => match (p.int("chat_id"), p.int("message_id")) {
            (Some(chat), Some(id)) => match s.delete_messages(chat, &[id]) {
                Ok(_) => ok(json!(true)),
                Err((code, d)) => err(code, d),
            },
            (None, _) => err(400, "Bad Request: chat_id is empty"),
            (_, None) => err(400, "Bad Request: message identifier is not specified"),
        },
        "deletemessages" => {
            let ids: Option<Vec<i64>> = p
                .json("message_ids")
                .and_then(|v| serde_json::from_value(v).ok());
            match (p.int("chat_id"), ids) {
                (Some(chat), Some(ids)) if (1..=100).contains(&ids.len()) => {
                    match s.delete_messages(chat, &ids) {
                        Ok(_) => ok(json!(true)),
                        Err((code, d)) => err(code, d),
                    }
                }
                (None, _) => err(400, "Bad Request: chat_id is empty"),
                _ => err(
                    400,
                    "Bad Request: message_ids must be 1-100 message identifiers",
                ),
            }
        }
        "banchatmember" | "unbanchatmember" | "restrictchatmember" => {
            match (p.int("chat_id"), p.int("user_id")) {
                (Some(chat), Some(user)) => {
                    let action = match method {
                        "banchatmember" => "ban",
                        "unbanchatmember" => "unban",
                        _ => "restrict",
                    };
                    let mut permissions = p.json("permissions");
                    if action == "restrict" && permissions.is_none() {
                        return err(400, "Bad Request: permissions are required");
                    }
                    if let (Some(perm), Some(until)) = (permissions.as_mut(), p.int("until_date")) {
                        perm["until_date"] = json!(until);
                    }
                    match s.moderate_member(chat, user, action, permissions) {
                        Ok(()) => ok(json!(true)),
                        Err((code, d)) => err(code, d),
                    }
                }
                (None, _) => err(400, "Bad Request: chat_id is empty"),
                (_, None) => err(400, "Bad Request: user_id is empty"),
            }
        }
        "approvechatjoinrequest" | "declinechatjoinrequest" => {
            match (p.int("chat_id"), p.int("user_id")) {
                (Some(chat), Some(user)) => {
                    match s.answer_request(chat, user, method == "approvechatjoinrequest") {
                        Ok(()) => ok(json!(true)),
                        Err((code, d)) => err(code, d),
                    }
                }
                (None, _) => err(400, "Bad Request: chat_id is empty"),
                (_, None) => err(400, "Bad Request: user_id is empty"),
            }
        }
        "pinchatmessage" => match (p.int("chat_id"), p.int("message_id")) {
            (Some(chat), Some(id)) => match s.pin(chat, id) {
                Ok(()) => ok(json!(true)),
                Err((code, d)) => err(code, d),
            },
            (None, _) => err(400, "Bad Request: chat_id is empty"),
            (_, None) => err(400, "Bad Request: message identifier is not specified"),
        },
        "answercallbackquery" => match p.str("callback_query_id") {
            Some(id) => match s.answer_callback(&id) {
                Ok(()) => ok(json!(true)),
                Err((code, d)) => err(code, d),
            },
            None => err(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            ),
        },
        "sendchataction" => match p.int("chat_id").map(|c| s.check_chat(c)) {
            Some(Ok(())) => ok(json!(true)),
            Some(Err((code, d))) => err(code, d),
            None => err(400, "Bad Request: chat_id is empty"),
        },
        "getchat" => match p.int("chat_id").and_then(|c| s.chat_json(c)) {
            Some(c) => ok(c),
            None => err(400, "Bad Request: chat not found"),
        },
        "getfile" => {
            s.count(|c| c.get_file += 1);
            match p.str("file_id").and_then(|f| s.file(&f).map(|x| (f, x))) {
                Some((id, (path, size))) => ok(
                    json!({"file_id": id, "file_unique_id": format!("{id}-u"), "file_size": size, "file_path": path}),
                ),
                None => err(400, "Bad Request: invalid file_id"),
            }
        }
        "setwebhook" => {
            s.set_webhook(p.str("url"));
            ok(json!(true))
        }
        "deletewebhook" => {
            s.set_webhook(None);
            if p.bool("drop_pending_updates") {
                s.drop_pending();
            }
            ok(json!(true))
        }
        "getwebhookinfo" => ok(
            json!({"url": s.webhook().unwrap_or_default(), "has_custom_certificate": false, "pending_update_count": 0}),
        ),
        "setchatmenubutton" => {
            // Omitted: Telegram's default (the list of commands).
            let button = p
                .json("menu_button")
                .unwrap_or_else(|| json!({"type": "default"}));
            if button["type"] == "web_app"
                && button["web_app"]["url"]
                    .as_str()
                    .is_none_or(|u| !u.starts_with("https://"))
            {
                return err(400, "Bad Request: BUTTON_URL_INVALID");
            }
            // A chat's own button: a chat Telegram knows, that has not
            // blocked the bot.
            if let Some(chat) = p.int("chat_id")
                && let Err((code, d)) = s.check_chat(chat)
            {
                return err(code, d);
            }
            s.set_menu_button(p.int("chat_id"), button);
            ok(json!(true))
        }
        "setmycommands"
        | "deletemycommands"
        | "setmydescription"
        | "setmyshortdescription"
        | "setmyname"
        | "logout"
        | "close" => ok(json!(true)),
        "getmycommands" => ok(json!([])),
        _ => err(404, "Not Found"),
    }
}

async fn get_updates(s: &Shared, p: &Params) -> Response {
    if s.webhook().is_some() {
        return err(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
        );
    }
    let offset = p.int("offset");
    let limit = p.int("limit").unwrap_or(100).clamp(1, 100) as usize;
    let timeout = Duration::from_secs(p.int("timeout").unwrap_or(0).clamp(0, 50) as u64);
    let allowed = p
        .json("allowed_updates")
        .and_then(|v| serde_json::from_value::<Vec<String>>(v).ok());
    let generation = s.begin_poll(offset, allowed);
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let notified = s.updates_ready.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        match s.take_updates(generation, offset, limit) {
            Err(()) => {
                return err(
                    409,
                    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
                );
            }
            Ok(updates) if !updates.is_empty() || tokio::time::Instant::now() >= deadline => {
                return ok(json!(updates));
            }
            Ok(_) => {}
        }
        let _ = tokio::time::timeout_at(deadline, notified).await;
    }
}
