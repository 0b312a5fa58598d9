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
/// Top-level domains Telegram turns into links when written bare.
const TLDS: &[&str] = &[
    "com", "org", "net", "io", "ru", "ua", "me", "ly", "top", "xyz", "cn", "app", "info", "biz",
    "co", "dev", "site", "online", "shop", "link", "cc",
];

/// Whether a word is one Telegram shows as a link: a URL with a scheme,
/// `www.`, or a bare domain with a known ending (`example.com/path`).
fn is_link(word: &str) -> bool {
    let w = word.trim_end_matches(['.', ',', '!', '?', ')', ';', ':']);
    if w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www.") {
        return w.len() > 8;
    }
    let host = w.split('/').next().unwrap_or_default();
    let mut parts = host.rsplitn(2, '.');
    match (parts.next(), parts.next()) {
        (Some(tld), Some(name)) => {
            TLDS.contains(&tld.to_ascii_lowercase().as_str())
                && !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        }
        _ => false,
    }
}

/// The entities Telegram finds in a message's text: a leading bot
/// command, links, and @mentions (offsets and lengths in UTF-16 units).
pub fn entities(text: &str) -> Option<Value> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut first = true;
    for piece in text.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end_matches(char::is_whitespace);
        let len = word.encode_utf16().count();
        if first && word.starts_with('/') {
            out.push(json!({"type": "bot_command", "offset": offset, "length": len}));
        } else if is_link(word) {
            let w = word.trim_end_matches(['.', ',', '!', '?', ')', ';', ':']);
            out.push(json!({"type": "url", "offset": offset, "length": w.encode_utf16().count()}));
        } else if word.starts_with('@') && word.len() >= 6 {
            out.push(json!({"type": "mention", "offset": offset, "length": len}));
        }
        if !word.is_empty() {
            first = false;
        }
        offset += piece.encode_utf16().count();
    }
    (!out.is_empty()).then_some(Value::Array(out))
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
