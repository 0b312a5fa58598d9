//! The desk's domain records as they travel on the wire.

use crate::ids::*;
use serde::{Deserialize, Serialize};

/// Where a ticket is in its life. `closed` is terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketStatus {
    /// Created, no engineer has replied yet.
    New,
    /// Being worked on.
    Open,
    /// Waiting on the customer; no reply is owed meanwhile.
    PendingOnCustomer,
    /// Solved. The customer's next message opens a new ticket.
    Resolved,
    /// Finished for good.
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 5] = [
        TicketStatus::New,
        TicketStatus::Open,
        TicketStatus::PendingOnCustomer,
        TicketStatus::Resolved,
        TicketStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::New => "new",
            TicketStatus::Open => "open",
            TicketStatus::PendingOnCustomer => "pending_on_customer",
            TicketStatus::Resolved => "resolved",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Ticket priority; `critical` sorts first in every queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Critical,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Low,
        Priority::Normal,
        Priority::High,
        Priority::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
            Priority::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Absolute SLA deadlines computed by the server. Clients only subtract now.
/// A `*_due` is set only while that clock runs: `null` once it stopped
/// (met or missed) and while it is paused (the ticket waits on the customer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaDeadlines {
    /// Due time of the first human reply; `null` once replied.
    pub first_reply_due: Option<Timestamp>,
    /// Due time of the next human reply while the customer is owed one.
    pub next_reply_due: Option<Timestamp>,
    /// Due time of resolution; `null` once resolved.
    pub resolution_due: Option<Timestamp>,
    /// Due time of the next progress update while the ticket is being
    /// worked and the customer has not written (queues with an update clock).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_due: Option<Timestamp>,
    /// Every clock this ticket has had, with its status.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<SlaTargetState>,
}

/// One SLA clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaTarget {
    /// From the ticket's creation to the first human reply.
    FirstReply,
    /// From a customer message (after the first reply) to the next human reply.
    NextReply,
    /// From a human reply to the next one while the ticket is being worked.
    Update,
    /// From the ticket's creation to its resolution.
    Resolution,
}

impl SlaTarget {
    pub const ALL: [SlaTarget; 4] = [
        SlaTarget::FirstReply,
        SlaTarget::NextReply,
        SlaTarget::Update,
        SlaTarget::Resolution,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SlaTarget::FirstReply => "first_reply",
            SlaTarget::NextReply => "next_reply",
            SlaTarget::Update => "update",
            SlaTarget::Resolution => "resolution",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Where an SLA clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Running; `due` is set.
    Active,
    /// Stopped for now (waiting on the customer); `remaining_ms` is kept.
    Paused,
    /// Stopped before its due time.
    Met,
    /// Its due time passed while it ran (it may have stopped since).
    Missed,
}

/// The state of one SLA clock of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTargetState {
    pub target: SlaTarget,
    pub status: SlaStatus,
    /// When it is due while it runs (also after a breach, until it stops).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<Timestamp>,
    /// Business time left while paused, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remaining_ms: Option<i64>,
    /// When it was met, or when it breached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
}

/// How close an SLA clock is to breaking its promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaLevel {
    /// Due within a configured lead time.
    Warning,
    /// Past due.
    Breach,
}

/// One ticket's deadlines after a recompute (`sla_recomputed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSla {
    pub ticket_id: TicketId,
    pub sla: SlaDeadlines,
}

/// A warning or breach the server raised, with what it did about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaAlert {
    pub ticket_id: TicketId,
    pub number: u64,
    pub queue: QueueId,
    pub target: SlaTarget,
    pub level: SlaLevel,
    pub due: Timestamp,
    /// Milliseconds before `due` a warning was set for; `null` for a breach.
    pub lead_ms: Option<i64>,
    pub assignee: Option<AgentId>,
    /// Escalation actions taken ("raise_priority", "move:L2",
    /// "alert_lead", "staff_chat").
    pub actions: Vec<String>,
}

/// Whether an agent takes new chats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    /// Connected and taking new chats.
    Online,
    /// Connected, keeps their chats, takes no new ones.
    Away,
    /// Not connected; after a grace period their chats go back to the queue.
    #[default]
    Offline,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Presence::Online, Presence::Away, Presence::Offline]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A support ticket: one customer's request and its conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    /// Public number shown to customers, e.g. 10042 for "#10042".
    pub number: u64,
    pub customer_id: CustomerId,
    pub status: TicketStatus,
    pub queue: QueueId,
    pub priority: Priority,
    /// Topic tags, lowercase, sorted, unique.
    pub tags: Vec<String>,
    pub assignee: Option<AgentId>,
    /// Topic chosen by the customer (payment, account, ...), if any.
    pub topic: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub first_reply_at: Option<Timestamp>,
    pub resolved_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// The customer has been owed a reply since then; `null` when nobody owes one.
    pub waiting_since: Option<Timestamp>,
    pub sla: SlaDeadlines,
    /// Number of messages (all kinds, notes included) in the ticket.
    pub message_count: u32,
    pub last_message_id: Option<MessageId>,
    /// The customer's rating of the resolution, 1-5 stars, if given.
    #[serde(default)]
    pub csat: Option<u8>,
    /// Agents a supervisor shared the ticket with: they read it although
    /// it is outside their queues. Sorted.
    #[serde(default)]
    pub shared_with: Vec<AgentId>,
}

/// A Telegram user who wrote to the bot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub telegram_user_id: i64,
    pub first_name: String,
    pub last_name: Option<String>,
    pub username: Option<String>,
    /// IETF language tag, e.g. "en", "uk", "zh-hans".
    pub language: Option<String>,
    /// IANA time zone, e.g. "Europe/Kyiv".
    pub time_zone: Option<String>,
    pub vip: bool,
    /// When the customer consented to storing the conversation.
    pub consent_at: Option<Timestamp>,
    /// The customer blocked the bot: nothing more can be sent.
    pub blocked: bool,
    pub created_at: Timestamp,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Author {
    Customer { id: CustomerId },
    Agent { id: AgentId },
    Bot,
}

/// Direction of a message in a ticket's thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// From the customer.
    Inbound,
    /// To the customer (an engineer's reply or a bot message).
    Outbound,
    /// Internal note, never sent to the customer.
    Note,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Inbound => "inbound",
            MessageKind::Outbound => "outbound",
            MessageKind::Note => "note",
        }
    }
}

/// What an attachment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttachmentKind {
    Photo,
    Document,
    Video,
    Voice,
    Audio,
    Sticker,
    Other,
}

/// Metadata of a file attached to a message (the bytes stay in Telegram).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub kind: AttachmentKind,
    /// Telegram file_id, usable with getFile.
    pub file_id: String,
    pub file_name: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
}

/// Delivery of an outbound message. Telegram gives no delivered/read
/// receipts: `sent` means Telegram accepted it, nothing more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Queued,
    Sent,
    Failed,
    /// Telegram's answers to two tries were lost (or the server stopped
    /// twice while sending it), so it was not sent a third time: the
    /// customer may have it, even twice, or not at all. The engineer
    /// decides whether to send it again.
    Uncertain,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Queued => "queued",
            DeliveryState::Sent => "sent",
            DeliveryState::Failed => "failed",
            DeliveryState::Uncertain => "uncertain",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Queued, Self::Sent, Self::Failed, Self::Uncertain]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub state: DeliveryState,
    /// Why it failed, when `state` is `failed`.
    pub reason: Option<String>,
    pub updated_at: Timestamp,
}

/// One entry in a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub kind: MessageKind,
    pub author: Author,
    pub text: String,
    pub attachments: Vec<Attachment>,
    pub telegram_message_id: Option<i64>,
    pub created_at: Timestamp,
    /// Set when the text was edited after it was first stored.
    pub edited_at: Option<Timestamp>,
    /// Outbound messages only.
    pub delivery: Option<Delivery>,
}

/// What an agent may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Acts on tickets in their own queues and tickets assigned to them.
    Agent,
    /// Acts on every ticket.
    Supervisor,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Supervisor => "supervisor",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "agent" => Some(Role::Agent),
            "supervisor" => Some(Role::Supervisor),
            _ => None,
        }
    }
}

/// A support engineer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agent {
    pub id: AgentId,
    /// Unique login name.
    pub name: String,
    pub display_name: String,
    pub role: Role,
    pub queues: Vec<QueueId>,
    /// How many chats the agent holds at once.
    pub capacity: u32,
    #[serde(default)]
    pub presence: Presence,
}

/// A canned response. `{name}`-style variables are filled in by the client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Macro {
    pub id: MacroId,
    pub shortcut: String,
    pub title: String,
    /// The body in the desk's default language, English
    /// ([`DEFAULT_LANGUAGE`]).
    pub body: String,
    /// The body in other languages, by primary language code
    /// (`"uk"`, `"ru"`, `"zh"`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub translations: std::collections::BTreeMap<String, String>,
    /// `null` for a global macro.
    pub owner: Option<AgentId>,
}

/// The language of [`Macro::body`].
pub const DEFAULT_LANGUAGE: &str = "en";

/// The primary language of an IETF tag, lower case: `"ru-RU"` -> `"ru"`,
/// `"zh-hans"` -> `"zh"`.
pub fn primary_language(tag: &str) -> String {
    tag.split(['-', '_'])
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// A macro's body for one reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MacroBody<'a> {
    pub text: &'a str,
    /// The primary language `text` is in.
    pub language: &'a str,
    /// False when the reader's language has no body and `text` is the
    /// default one.
    pub matched: bool,
}

impl Macro {
    /// The body for a customer who reads `language` (an IETF tag; `None`
    /// when unknown, which reads the default).
    pub fn body_for(&self, language: Option<&str>) -> MacroBody<'_> {
        let wanted = language.map(primary_language);
        match wanted.as_deref() {
            None | Some("") | Some(DEFAULT_LANGUAGE) => MacroBody {
                text: &self.body,
                language: DEFAULT_LANGUAGE,
                matched: true,
            },
            Some(code) => match self.translations.get_key_value(code) {
                Some((code, text)) => MacroBody {
                    text,
                    language: code,
                    matched: true,
                },
                None => MacroBody {
                    text: &self.body,
                    language: DEFAULT_LANGUAGE,
                    matched: false,
                },
            },
        }
    }
}

/// A language's name in English, for engineers: `"uk"` -> `"Ukrainian"`.
pub fn language_name(code: &str) -> String {
    match primary_language(code).as_str() {
        "en" => "English".into(),
        "uk" => "Ukrainian".into(),
        "ru" => "Russian".into(),
        "zh" => "Chinese".into(),
        "de" => "German".into(),
        "fr" => "French".into(),
        "es" => "Spanish".into(),
        "pl" => "Polish".into(),
        "" => "unknown".into(),
        other => other.to_owned(),
    }
}

/// A queue and its SLA targets, as configured on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queue {
    pub id: QueueId,
    pub name: String,
    /// Only the queue's members (and whom a ticket is assigned or shared
    /// to) read its tickets; supervisors outside it do not.
    #[serde(default)]
    pub restricted: bool,
    pub first_reply_minutes: u32,
    pub next_reply_minutes: u32,
    pub resolution_minutes: u32,
}

/// How far an agent has read a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadMarker {
    pub agent_id: AgentId,
    pub ticket_id: TicketId,
    pub last_read: MessageId,
}
