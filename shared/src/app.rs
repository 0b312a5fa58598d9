//! The customer's mini app (docs/miniapp.md): what `/app/api` answers.
//! Only what the customer may see of their tickets, in their language:
//! never an internal note, and none of the desk's own fields (assignee
//! ids, priority, tags, SLA clocks, queue ids).

use crate::ids::*;
use crate::model::{AttachmentKind, TicketStatus};
use serde::{Deserialize, Serialize};

/// Who wrote a message, as the customer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AppFrom {
    /// The customer.
    Me,
    /// An engineer.
    Support,
    /// The bot (receipts, notices, questions).
    Bot,
    /// Someone else of the customer's company, in a ticket shared with
    /// them (their first name in [`AppMessage::name`]).
    Colleague,
}

/// A file with a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFile {
    pub kind: AttachmentKind,
    pub name: Option<String>,
    pub size: Option<u64>,
}

/// One message of a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppMessage {
    pub id: MessageId,
    pub from: AppFrom,
    /// A colleague's first name (only with [`AppFrom::Colleague`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub text: String,
    pub files: Vec<AppFile>,
    pub at: Timestamp,
}

/// A ticket in the customer's list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppTicket {
    pub id: TicketId,
    pub number: u64,
    pub status: TicketStatus,
    /// The status in the customer's language.
    pub status_text: String,
    /// The team it is with (the queue's name).
    pub team: String,
    /// The topic in the customer's language.
    pub topic: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// While the first reply is awaited: the bot's honest estimate, in
    /// words, as in the receipt.
    pub eta: Option<String>,
    /// Since when a reply has been owed to the customer.
    pub waiting_since: Option<Timestamp>,
    /// The customer's rating, 1-5.
    pub csat: Option<u8>,
    /// Resolved or closed and not rated yet: the stars are offered.
    pub can_rate: bool,
    /// Still open: the customer may write into it.
    pub can_write: bool,
    /// The newest message, for the list.
    pub last: Option<AppMessage>,
    /// A ticket of the customer's company, made from a conversation in
    /// this group: shown to read (they write in the group), never to
    /// write into or rate from the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// A ticket with its thread, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppThread {
    pub ticket: AppTicket,
    pub messages: Vec<AppMessage>,
}

/// A clarifying question of a topic, in the customer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppQuestion {
    pub key: String,
    pub text: String,
}

/// A topic the new-request form offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppTopic {
    pub key: String,
    pub label: String,
    /// Asked in this order; every one needs an answer.
    pub questions: Vec<AppQuestion>,
    /// A screenshot is asked for (it may be left out).
    pub screenshot: bool,
}

/// What the new-request form needs to know (`GET /app/api/form`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppForm {
    /// The desk's consent question, when the customer has not agreed yet:
    /// a request needs `consent: true`.
    pub consent: Option<String>,
    /// Empty: no topic to choose.
    pub topics: Vec<AppTopic>,
    /// The customer's open ticket: a new request joins it, as a message
    /// in the chat with the bot would.
    pub open_ticket: Option<TicketId>,
    /// The longest text accepted, in characters.
    pub max_text: usize,
    /// The largest screenshot accepted, in bytes.
    pub max_file: u64,
}

/// A new request (`POST /app/api/tickets`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppNewRequest {
    pub topic: Option<String>,
    /// The answers to the topic's questions, in order.
    #[serde(default)]
    pub answers: Vec<String>,
    pub text: String,
    /// The customer agreed to the consent question shown with the form.
    #[serde(default)]
    pub consent: bool,
    #[serde(default)]
    pub screenshot: Option<AppUpload>,
}

/// A file sent from the app: its name and its bytes in base64 (at most
/// `AppForm::max_file` bytes once decoded).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppUpload {
    pub name: String,
    pub data: String,
}

/// A message into an open ticket (`POST /app/api/tickets/{id}/messages`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppReply {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub file: Option<AppUpload>,
}

/// A rating (`POST /app/api/tickets/{id}/rating`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppRating {
    pub stars: u8,
}

/// Where a request or message went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppFiled {
    pub ticket: TicketId,
    pub number: u64,
    /// It joined the customer's open ticket instead of opening one.
    pub joined: bool,
}

/// A knowledge-base article, in the customer's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppArticle {
    pub id: String,
    pub title: String,
    pub body: String,
}

/// The customer's settings (`GET`/`PUT /app/api/settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppSettings {
    /// The language the bot and the app speak to them (en, uk, ru, zh).
    pub language: String,
    /// Their IANA time zone; `None`: the desk's.
    pub time_zone: Option<String>,
    /// When the bot holds what is not urgent until morning, in their
    /// zone: "22:00-08:00", or "" for never.
    pub quiet_hours: String,
    /// "all", or "essential": replies and the resolution only (no status
    /// changes, no follow-ups).
    pub notifications: String,
}

/// A change of settings: only the fields given change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSettingsChange {
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub time_zone: Option<String>,
    /// "HH:MM-HH:MM", or "" for none.
    #[serde(default)]
    pub quiet_hours: Option<String>,
    /// "all" or "essential".
    #[serde(default)]
    pub notifications: Option<String>,
}

/// Erasing everything the desk keeps of the customer (`POST
/// /app/api/erase`): the words they were asked to type, as a confirmation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppErase {
    pub confirm: String,
}
