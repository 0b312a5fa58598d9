//! teloxide's types into the domain's.

use shared::{Attachment, AttachmentKind, Priority, Timestamp};
use teloxide::types::{ChatKind, Message, MessageEntityKind, MessageKind, PublicChatKind, User};

use crate::domain::group_message::Traits;
use crate::domain::groups::intake::GroupMessage;
use crate::domain::intake::{Inbound, Sender};

pub fn sender(u: &User) -> Sender {
    Sender {
        telegram_user_id: u.id.0 as i64,
        first_name: u.first_name.clone(),
        last_name: u.last_name.clone(),
        username: u.username.clone(),
        language: u.language_code.clone(),
    }
}

/// What a message carries as files (metadata only).
pub fn attachments(m: &Message) -> Vec<Attachment> {
    let mut out = Vec::new();
    if let Some(p) = m
        .photo()
        .and_then(|sizes| sizes.iter().max_by_key(|s| s.width * s.height))
    {
        out.push(Attachment {
            kind: AttachmentKind::Photo,
            file_id: p.file.id.0.clone(),
            file_name: None,
            mime_type: Some("image/jpeg".into()),
            size: Some(u64::from(p.file.size)),
        });
    }
    if let Some(d) = m.document() {
        out.push(Attachment {
            kind: AttachmentKind::Document,
            file_id: d.file.id.0.clone(),
            file_name: d.file_name.clone(),
            mime_type: d.mime_type.as_ref().map(|m| m.to_string()),
            size: Some(u64::from(d.file.size)),
        });
    }
    if let Some(a) = m.animation() {
        out.push(Attachment {
            kind: AttachmentKind::Other,
            file_id: a.file.id.0.clone(),
            file_name: a.file_name.clone().or_else(|| Some("animation.mp4".into())),
            mime_type: a.mime_type.as_ref().map(|m| m.to_string()),
            size: Some(u64::from(a.file.size)),
        });
    }
    let simple = [
        (m.video().map(|v| &v.file), AttachmentKind::Video),
        (m.voice().map(|v| &v.file), AttachmentKind::Voice),
        (m.audio().map(|v| &v.file), AttachmentKind::Audio),
        (m.sticker().map(|v| &v.file), AttachmentKind::Sticker),
        (m.video_note().map(|v| &v.file), AttachmentKind::Video),
    ];
    for (file, kind) in simple {
        if let Some(f) = file {
            out.push(Attachment {
                kind,
                file_id: f.id.0.clone(),
                file_name: None,
                mime_type: None,
                size: Some(u64::from(f.size)),
            });
        }
    }
    out
}

/// Customer text as we keep it: control characters (other than tab and
/// newlines) become spaces, so nothing a customer sends is refused.
pub fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\n' | '\t' | '\r') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Words for a message with no text and no file we keep (a location, a
/// poll...), so the engineer sees that something arrived.
fn describe(m: &Message) -> String {
    if let Some(l) = m.location() {
        format!("[location: {:.5}, {:.5}]", l.latitude, l.longitude)
    } else if let Some(v) = m.venue() {
        format!("[venue: {}]", v.title)
    } else if let Some(c) = m.contact() {
        // The phone number stays in Telegram: never ask for, nor keep, more personal data than needed.
        format!("[contact shared: {}]", c.first_name)
    } else if let Some(p) = m.poll() {
        format!("[poll: {}]", p.question)
    } else if let Some(d) = m.dice() {
        format!("[dice: {}]", d.value)
    } else {
        "[a kind of message this desk cannot show yet]".to_owned()
    }
}

/// A private-chat message from a customer, as the domain files it.
pub fn inbound(m: &Message) -> Option<Inbound> {
    let from = m.from.as_ref()?;
    if from.is_bot {
        return None;
    }
    let attachments = attachments(m);
    let mut text = clean(m.text().or(m.caption()).unwrap_or_default());
    if text.trim().is_empty() && attachments.is_empty() {
        // Never dropped silently: what can't be shown is described.
        text = describe(m);
    }
    Some(Inbound {
        sender: sender(from),
        chat_id: m.chat.id.0,
        text,
        attachments,
        telegram_message_id: Some(i64::from(m.id.0)),
        sent_at: Some(Timestamp(m.date.timestamp_millis())),
        queue: None,
        topic: None,
        priority: Priority::Normal,
    })
}

/// Whether a chat is a forum (a supergroup with topics).
pub fn is_forum(chat: &teloxide::types::Chat) -> bool {
    matches!(&chat.kind, ChatKind::Public(p) if matches!(&p.kind, PublicChatKind::Supergroup(s) if s.is_forum))
}

/// A message someone wrote in a group, as the domain files it; `None` for
/// service messages (members joining, a pinned message, a topic created).
pub fn group_message(m: &Message) -> Option<GroupMessage> {
    if !matches!(m.kind, MessageKind::Common(_)) {
        return None;
    }
    let from = m.from.as_ref()?;
    let topic = m
        .is_topic_message
        .then(|| m.thread_id.map(|t| i64::from(t.0.0)))
        .flatten();
    // In a topic, a message that replies to nothing "replies" to the
    // topic's first message: that is no reply.
    let reply_to = m
        .reply_to_message()
        .map(|r| i64::from(r.id.0))
        .filter(|r| Some(*r) != topic);
    let sticker = m.sticker().is_some();
    let mut text = clean(m.text().or(m.caption()).unwrap_or_default());
    if text.trim().is_empty() {
        text = match attachments(m).first() {
            Some(a) => format!("[{}]", format!("{:?}", a.kind).to_lowercase()),
            None => describe(m),
        };
    }
    let name = match &from.last_name {
        Some(l) if !l.is_empty() => format!("{} {l}", from.first_name),
        _ => from.first_name.clone(),
    };
    Some(GroupMessage {
        chat_id: m.chat.id.0,
        title: m.chat.title().unwrap_or_default().to_owned(),
        forum: is_forum(&m.chat),
        message_id: i64::from(m.id.0),
        topic,
        reply_to,
        author_id: from.id.0 as i64,
        author_name: name,
        author_username: from.username.clone(),
        author_lang: from.language_code.clone(),
        author_is_bot: from.is_bot,
        text,
        sticker,
        sent_at: Timestamp(m.date.timestamp_millis()),
        traits: traits(m),
    })
}

/// What a group message carries beyond its text, for the newcomer limits.
pub fn traits(m: &Message) -> Traits {
    let link = m
        .entities()
        .into_iter()
        .chain(m.caption_entities())
        .flatten()
        .any(|e| {
            matches!(
                e.kind,
                MessageEntityKind::Url | MessageEntityKind::TextLink { .. }
            )
        });
    let media = m.photo().is_some()
        || m.video().is_some()
        || m.document().is_some()
        || m.animation().is_some()
        || m.audio().is_some()
        || m.voice().is_some()
        || m.video_note().is_some();
    Traits {
        link,
        media,
        forward: m.forward_origin().is_some(),
        keyboard: m.reply_markup().is_some() || m.via_bot.is_some(),
        quote: matches!(&m.kind, MessageKind::Common(c) if c.external_reply.is_some()),
    }
}
