//! Customer groups on the wire (docs/groups.md): organisations, the
//! Telegram groups the bot is in, the conversations inside them and their
//! messages, and the unanswered-chat alert.

use serde::{Deserialize, Serialize};

use crate::ids::*;
use crate::model::{Delivery, SlaLevel};

/// A client company: its groups' conversations belong to `queue`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    pub id: OrganisationId,
    pub name: String,
    pub vip: bool,
    pub queue: QueueId,
    /// The language its groups are written to in (en, uk, ru, zh).
    pub language: String,
    /// How long a client's message may wait for staff, in business time.
    pub reply_sla_minutes: u32,
}

/// A Telegram group the bot is in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// Telegram's chat id (negative).
    pub chat_id: i64,
    pub title: String,
    /// A forum: each topic is a conversation.
    pub forum: bool,
    /// `null` while unbound (only supervisors see it then).
    pub organisation_id: Option<OrganisationId>,
    /// The organisation's queue: who reads this group.
    pub queue: Option<QueueId>,
    /// The bot's standing in it: member, administrator, left, kicked.
    pub bot_status: String,
}

/// Who wrote a group message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupSide {
    /// The client's people.
    Customer,
    /// An engineer (in Telegram, or from the workstation through the bot).
    Staff,
    /// A bot (this one's own notices included): never an answer.
    Bot,
}

impl GroupSide {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupSide::Customer => "customer",
            GroupSide::Staff => "staff",
            GroupSide::Bot => "bot",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Customer, Self::Staff, Self::Bot]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// A conversation inside a group, with who owes a reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupConversation {
    pub id: ConversationId,
    pub chat_id: i64,
    /// The queue of the group's organisation: who reads it (`null`:
    /// unbound, supervisors only).
    pub queue: Option<QueueId>,
    /// The forum topic it is (`null` outside forum topics).
    pub thread_id: Option<i64>,
    /// Who opened it (the first message's author): their Telegram user id
    /// and name.
    pub opened_by_id: i64,
    pub opened_by: String,
    pub opened_at: Timestamp,
    pub last_at: Timestamp,
    /// A client's message has waited for staff since then.
    pub owed_since: Option<Timestamp>,
    /// When staff's answer is due (`null` while unbound: no SLA).
    pub due_at: Option<Timestamp>,
    /// When the last unanswered-chat alert went out.
    pub alerted_at: Option<Timestamp>,
    /// An engineer acknowledged the alert: it is not repeated (until
    /// staff answer and a client's message makes it owed again).
    pub acked_by: Option<AgentId>,
    /// The ticket it was turned into.
    pub ticket_id: Option<TicketId>,
    pub message_count: u32,
}

/// A message of a group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupMessage {
    pub id: GroupMessageId,
    pub chat_id: i64,
    /// `null` for a message in no conversation (a pleasantry on its own).
    pub conversation_id: Option<ConversationId>,
    /// Telegram's id in `chat_id`; `null` until a reply from the
    /// workstation is delivered.
    pub telegram_message_id: Option<i64>,
    /// Telegram's id of the message it replies to.
    pub reply_to: Option<i64>,
    /// The author's Telegram user id (0 for what the desk posts).
    pub author_id: i64,
    pub author_name: String,
    pub side: GroupSide,
    /// Written from the workstation by this engineer.
    pub agent_id: Option<AgentId>,
    pub text: String,
    pub sent_at: Timestamp,
    pub edited_at: Option<Timestamp>,
    /// Replies from the workstation only.
    pub delivery: Option<Delivery>,
    /// Who reads it (the group's queue; `null`: supervisors only).
    pub queue: Option<QueueId>,
}

/// A conversation's clock: its answer is due soon (`warning`), or overdue
/// (`breach`, repeated every 15 minutes until acknowledged or answered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupAlert {
    pub conversation_id: ConversationId,
    pub chat_id: i64,
    pub queue: Option<QueueId>,
    pub organisation: String,
    pub group_title: String,
    pub level: SlaLevel,
    pub due: Timestamp,
    pub owed_since: Timestamp,
    /// Who is waiting (Telegram user id, name), and an excerpt of what
    /// they asked.
    pub who_id: i64,
    pub who: String,
    pub excerpt: String,
    /// 0 for the first breach alert, then 1, 2, ... for its repeats.
    pub repeat: u32,
}
