//! A message someone wrote in a group, as the Telegram adapter hands it
//! to the domain: a value (below both group intake and the safety rules).

use shared::Timestamp;

/// What Telegram says a message carries, beyond its text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traits {
    /// A link (a URL, or text linked to one).
    pub link: bool,
    /// A photo, video, file, voice or video message, an animation.
    pub media: bool,
    /// Forwarded from somewhere.
    pub forward: bool,
    /// Buttons under it (sent through an inline bot).
    pub keyboard: bool,
    /// A reply quoting a message of another chat.
    pub quote: bool,
}

/// A message in a group, as Telegram gave it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupMessage {
    pub chat_id: i64,
    pub title: String,
    pub forum: bool,
    pub message_id: i64,
    /// The forum topic it is in (not the General topic).
    pub topic: Option<i64>,
    pub reply_to: Option<i64>,
    pub author_id: i64,
    pub author_name: String,
    /// The author's @username, without the @.
    pub author_username: Option<String>,
    /// The author's Telegram language (`language_code`).
    pub author_lang: Option<String>,
    /// Written by a bot (another bot, or this one through a channel).
    pub author_is_bot: bool,
    pub text: String,
    pub sticker: bool,
    /// When it was sent (Telegram's date).
    pub sent_at: Timestamp,
    /// Links, media, forwards, buttons, quotes from other chats.
    pub traits: Traits,
}
