//! Telegram JSON objects, shaped as the real Bot API sends them.

use serde_json::{Value, json};

use crate::state::SimUser;

pub fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

pub fn user(u: &SimUser) -> Value {
    let mut v = json!({"id": u.id, "is_bot": false, "first_name": u.first_name});
    if let Some(l) = &u.last_name {
        v["last_name"] = json!(l);
    }
    if let Some(n) = &u.username {
        v["username"] = json!(n);
    }
    if let Some(c) = &u.language_code {
        v["language_code"] = json!(c);
    }
    v
}

pub fn bot_user(id: i64, username: &str) -> Value {
    json!({"id": id, "is_bot": true, "first_name": "Support Desk", "username": username})
}

pub fn private_chat(u: &SimUser) -> Value {
    let mut v = json!({"id": u.id, "type": "private", "first_name": u.first_name});
    if let Some(l) = &u.last_name {
        v["last_name"] = json!(l);
    }
    if let Some(n) = &u.username {
        v["username"] = json!(n);
    }
    v
}

pub fn group_chat(id: i64, title: &str, forum: bool) -> Value {
    let mut v = json!({"id": id, "type": "supergroup", "title": title});
    if forum {
        v["is_forum"] = json!(true);
    }
    v
}

/// `bot_command` entities for a leading `/command`.
pub fn entities(text: &str) -> Option<Value> {
    if !text.starts_with('/') {
        return None;
    }
    let len: usize = text
        .split_whitespace()
        .next()
        .map_or(0, |c| c.encode_utf16().count());
    Some(json!([{"type": "bot_command", "offset": 0, "length": len}]))
}

pub fn photo_sizes(file_id: &str, size: u64) -> Value {
    json!([
        {"file_id": format!("{file_id}-s"), "file_unique_id": format!("{file_id}-us"), "width": 90, "height": 67, "file_size": size / 10},
        {"file_id": file_id, "file_unique_id": format!("{file_id}-u"), "width": 1280, "height": 960, "file_size": size},
    ])
}

pub fn kicked(chat: Value, from: Value, bot: Value, blocked: bool) -> Value {
    let (old, new) = if blocked {
        ("member", "kicked")
    } else {
        ("kicked", "member")
    };
    let mut new_member = json!({"user": bot.clone(), "status": new});
    if blocked {
        new_member["until_date"] = json!(0);
    }
    let mut old_member = json!({"user": bot, "status": old});
    if !blocked {
        old_member["until_date"] = json!(0);
    }
    json!({"chat": chat, "from": from, "date": now_secs(), "old_chat_member": old_member, "new_chat_member": new_member})
}
