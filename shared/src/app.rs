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
}

/// A ticket with its thread, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppThread {
    pub ticket: AppTicket,
    pub messages: Vec<AppMessage>,
}
