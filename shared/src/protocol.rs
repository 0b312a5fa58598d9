//! The WebSocket sync protocol between the relay server and agent clients.
//! docs/protocol.md describes it for implementers in other languages.

use crate::event::EventEnvelope;
use crate::figures::DeskFigures;
use crate::groups::*;
use crate::ids::*;
use crate::model::*;
use crate::safety::*;
use serde::{Deserialize, Serialize};

/// Version of this protocol. A client must send exactly this in `hello`.
pub const PROTOCOL_VERSION: u32 = 5;

/// Largest frame (text message) the server accepts from a client.
pub const MAX_CLIENT_FRAME_BYTES: usize = 1024 * 1024;

/// Longest message text, in UTF-16 code units as Telegram counts them.
pub const MAX_TEXT_UTF16: usize = 4096;

/// WebSocket path of the sync endpoint.
pub const WS_PATH: &str = "/v1/ws";

/// HTTP path of files: `POST` uploads an engineer's file, `GET
/// {FILES_PATH}/{file_id}` downloads an attachment. Both take the agent's
/// token as `Authorization: Bearer <token>`.
pub const FILES_PATH: &str = "/v1/files";

/// Largest file an engineer can send: Telegram's limit for bots' uploads.
pub const MAX_UPLOAD_BYTES: u64 = 50 * 1024 * 1024;

/// Largest image sent as a photo; a larger one goes as a document.
pub const MAX_PHOTO_BYTES: u64 = 10 * 1024 * 1024;

/// Longest caption of a file, in UTF-16 code units.
pub const MAX_CAPTION_UTF16: usize = 1024;

/// Prefix of the `file_id` of a file an engineer uploaded (before and
/// after it reaches Telegram): `upload:<upload_id>`.
pub const UPLOAD_FILE_PREFIX: &str = "upload:";

/// Close codes the server uses, with their meaning.
pub mod close {
    /// The server is shutting down; reconnect later.
    pub const GOING_AWAY: u16 = 1001;
    /// The client broke the WebSocket protocol (RFC 6455): reserved bits or
    /// opcodes, an unmasked frame, a control frame over 125 bytes or
    /// fragmented, a continuation out of place.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text frame was not valid UTF-8.
    pub const INVALID_DATA: u16 = 1007;
    /// A frame was over [`super::MAX_CLIENT_FRAME_BYTES`].
    pub const TOO_BIG: u16 = 1009;
    /// Internal server error.
    pub const INTERNAL: u16 = 1011;
    /// The server is at a limit (every read connection busy); reconnect
    /// after a short wait.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// Missing or wrong token.
    pub const UNAUTHORIZED: u16 = 4001;
    /// `hello.protocol` differs from the server's.
    pub const PROTOCOL_MISMATCH: u16 = 4002;
    /// The first frame was not a valid `hello`.
    pub const BAD_HANDSHAKE: u16 = 4003;
    /// No `hello` arrived in time.
    pub const HANDSHAKE_TIMEOUT: u16 = 4004;
    /// The client could not keep up with the stream.
    pub const TOO_SLOW: u16 = 4008;
    /// The agent was removed or its token replaced.
    pub const REVOKED: u16 = 4009;
}

/// Every frame a client sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientMessage {
    /// First frame of a connection.
    Hello {
        protocol: u32,
        token: String,
        /// The last `seq` the client applied, to resume from; `null` for a snapshot.
        resume_from: Option<Seq>,
        /// Free-form client name and version, for logs.
        #[serde(default)]
        client: Option<String>,
        /// A read-only monitor (a wallboard, a script): it gets the same
        /// stream, but its connection does not make the agent online,
        /// writes nothing (no presence events, no auto-assignment) and
        /// every command that would change something is `forbidden`.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        monitor: bool,
    },
    /// A command; answered by `ok` or `error` carrying the same `id`.
    Command { id: CommandId, command: Command },
    /// Ask for the digest of the server's state (see docs/protocol.md).
    Digest,
}

/// A change an agent asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Command {
    /// Send text to the customer.
    Reply { ticket_id: TicketId, text: String },
    /// Add an internal note (never sent to the customer).
    Note { ticket_id: TicketId, text: String },
    /// Assign the ticket to oneself.
    Take { ticket_id: TicketId },
    /// Assign to an agent, or unassign with `agent_id: null` (the field
    /// is required, so a forgotten field never unassigns by accident).
    Assign {
        ticket_id: TicketId,
        #[serde(deserialize_with = "required_nullable")]
        agent_id: Option<AgentId>,
    },
    /// Move to another queue and/or agent, with an optional note. An
    /// unassigned ticket is assigned in its new queue as the queue does.
    Transfer {
        ticket_id: TicketId,
        #[serde(default)]
        queue: Option<QueueId>,
        #[serde(default)]
        agent_id: Option<AgentId>,
        #[serde(default)]
        note: Option<String>,
        /// An escalation: the customer gets the `escalate` macro ("Your
        /// question went to an expert. We will be back by {eta}.").
        #[serde(default)]
        tell_customer: bool,
    },
    SetStatus {
        ticket_id: TicketId,
        status: TicketStatus,
    },
    /// Add and remove tags.
    SetTags {
        ticket_id: TicketId,
        #[serde(default)]
        add: Vec<String>,
        #[serde(default)]
        remove: Vec<String>,
    },
    SetPriority {
        ticket_id: TicketId,
        priority: Priority,
    },
    /// Mark messages up to and including `up_to` as read by this agent.
    MarkRead {
        ticket_id: TicketId,
        up_to: MessageId,
    },
    /// Fetch messages older than `before` (or the newest when `null`).
    LoadOlder {
        ticket_id: TicketId,
        #[serde(default)]
        before: Option<MessageId>,
        #[serde(default = "default_page")]
        limit: u32,
    },
    /// Fetch the tickets of this ticket's customer (closed ones included),
    /// newest first: the customer panel's history and CSAT.
    History {
        ticket_id: TicketId,
        #[serde(default = "default_history")]
        limit: u32,
    },
    /// Switch one's own presence: `away` keeps one's chats and takes no
    /// new ones; `online` takes new ones again; `offline` hands one's
    /// chats back to their queues after the grace period.
    SetPresence { presence: Presence },
    /// Send the customer a file uploaded with `POST /v1/files` (its
    /// `upload_id`), with an optional caption: an image up to 10 MB as a
    /// photo, anything else as a document. Delivered like a reply.
    Attach {
        ticket_id: TicketId,
        upload_id: String,
        #[serde(default)]
        caption: String,
    },
    /// What the customer would be sent if `command` were applied now,
    /// rendered by the server in the customer's language; changes
    /// nothing. Answered by `preview`.
    Preview {
        ticket_id: TicketId,
        command: Box<Command>,
    },
    /// Supervisors: let an agent read and work a ticket outside their
    /// queues (`shared: true`), or withdraw that (`false`).
    Share {
        ticket_id: TicketId,
        agent_id: AgentId,
        shared: bool,
    },
    /// Answer in a customer group: posted by the bot as a reply to the
    /// client's waiting message (else the conversation's last one), in its
    /// forum topic. It answers the conversation (the clock stops) at once.
    GroupReply {
        conversation_id: ConversationId,
        text: String,
    },
    /// Acknowledge a conversation's unanswered-chat alert: it is not
    /// repeated. The clock keeps running until staff answer.
    GroupAck { conversation_id: ConversationId },
    /// Turn a group conversation into a ticket of its organisation's queue,
    /// for the client who opened it. The group is told the ticket's number;
    /// replies to the ticket go into the group, in the conversation.
    GroupTicket { conversation_id: ConversationId },
    /// Supervisors: bind a group the bot is in to an organisation, or
    /// unbind it (`organisation_id: null`; the field is required).
    GroupBind {
        chat_id: i64,
        #[serde(deserialize_with = "required_nullable")]
        organisation_id: Option<OrganisationId>,
    },
    /// A one-time code that links the Telegram account which sends it to
    /// the bot in a private chat (`/link CODE`) to this agent: its messages
    /// in customer groups are then staff's. Answered by `link_code`.
    LinkTelegram,
    /// Approve a held message: the bot posts it back in the group, quoted
    /// with its author's name, it joins its conversation as the client's,
    /// and the author's newcomer limits are lifted.
    QuarantineApprove { held_id: HeldId },
    /// Ban a held message's author from every group of the organisation
    /// (their other held messages go with it).
    QuarantineBan { held_id: HeldId },
    /// Group safety's figures over the last `days` days (1-366), for the
    /// groups this agent reads. Changes nothing; answered by
    /// `safety_figures`.
    SafetyFigures {
        #[serde(default = "week")]
        days: u32,
    },
    /// The leads' dashboard: today's and this week's figures of the
    /// tickets this agent may read, as of one seq (§18). Changes nothing;
    /// answered by `desk_figures`.
    DeskFigures,
}

fn week() -> u32 {
    7
}

fn yes() -> bool {
    true
}

fn default_history() -> u32 {
    20
}

fn default_page() -> u32 {
    50
}

/// A field that must be present but may be `null`.
fn required_nullable<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d)
}

/// The `kind` of every command, as on the wire.
pub const COMMAND_KINDS: &[&str] = &[
    "reply",
    "note",
    "take",
    "assign",
    "transfer",
    "set_status",
    "set_tags",
    "set_priority",
    "mark_read",
    "load_older",
    "history",
    "set_presence",
    "attach",
    "preview",
    "share",
    "group_reply",
    "group_ack",
    "group_ticket",
    "group_bind",
    "link_telegram",
    "quarantine_approve",
    "quarantine_ban",
    "safety_figures",
    "desk_figures",
];

impl Command {
    /// The ticket the command is about; `None` for `set_presence` and the
    /// group commands.
    pub fn ticket_id(&self) -> Option<TicketId> {
        Some(match self {
            Command::Reply { ticket_id, .. }
            | Command::Note { ticket_id, .. }
            | Command::Take { ticket_id }
            | Command::Assign { ticket_id, .. }
            | Command::Transfer { ticket_id, .. }
            | Command::SetStatus { ticket_id, .. }
            | Command::SetTags { ticket_id, .. }
            | Command::SetPriority { ticket_id, .. }
            | Command::MarkRead { ticket_id, .. }
            | Command::LoadOlder { ticket_id, .. }
            | Command::History { ticket_id, .. }
            | Command::Attach { ticket_id, .. }
            | Command::Preview { ticket_id, .. }
            | Command::Share { ticket_id, .. } => *ticket_id,
            Command::SetPresence { .. }
            | Command::GroupReply { .. }
            | Command::GroupAck { .. }
            | Command::GroupTicket { .. }
            | Command::GroupBind { .. }
            | Command::LinkTelegram
            | Command::QuarantineApprove { .. }
            | Command::QuarantineBan { .. }
            | Command::SafetyFigures { .. }
            | Command::DeskFigures => return None,
        })
    }
}

/// What an accepted command produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CommandResult {
    /// The change was made (or had been made by an earlier try of this id).
    Applied {
        /// The message created by `reply` or `note`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message_id: Option<MessageId>,
    },
    /// The ticket already was as asked; no event was written.
    Unchanged,
    /// `load_older`'s page, oldest first; `more` says whether older ones exist.
    Messages { messages: Vec<Message>, more: bool },
    /// `history`'s page, newest first; `more` says whether older ones exist.
    Tickets { tickets: Vec<Ticket>, more: bool },
    /// `link_telegram`'s answer: the code, and until when it works.
    LinkCode { code: String, expires_at: Timestamp },
    /// `safety_figures`' answer.
    SafetyFigures { figures: SafetyFigures },
    /// `desk_figures`' answer.
    DeskFigures { figures: Box<DeskFigures> },
    /// `group_ticket`'s answer: the ticket the conversation became (or
    /// had become before).
    Ticket { ticket_id: TicketId, number: u64 },
    /// `preview`'s answer: the texts the customer would be sent, in order
    /// (empty when the command sends nothing), and the language they are in.
    Preview {
        texts: Vec<String>,
        #[serde(default)]
        language: Option<String>,
    },
}

/// How the server brings a client up to date after `welcome`. (Later on
/// the same connection, a client that fell too far behind the live stream
/// may be sent a fresh snapshot as well: apply it the same way.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// The missed events follow, then live ones.
    Events,
    /// A snapshot follows (drop all local state), then live events.
    Snapshot,
}

/// Error codes of `error` frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not valid JSON, or not a valid message of a known type.
    BadFrame,
    /// The frame's `type` is not one the server knows.
    UnknownType,
    /// A field's value is not acceptable (empty text, bad tag, ...).
    Invalid,
    /// The ticket, agent or queue does not exist.
    NotFound,
    /// The agent may not act on this ticket.
    Forbidden,
    /// The ticket's state does not allow this (e.g. it is closed).
    Conflict,
    /// The server failed; the command was not applied.
    Internal,
    /// The server is at a limit (every read connection busy); nothing was
    /// done. Try again shortly.
    Busy,
}

/// Every frame the server sends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// Answer to a good `hello`.
    Welcome {
        protocol: u32,
        server_version: String,
        agent: Agent,
        /// How the client will be brought up to date.
        sync: SyncMode,
        /// Messages per ticket carried in snapshots (and covered by the digest).
        snapshot_tail: u32,
        /// The desk's time zone (IANA), in which customers whose own zone
        /// is unknown are told times.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        time_zone: Option<String>,
        /// Whether the server runs a Telegram bot. Without one, replies
        /// are kept and wait to be sent until a bot is configured.
        #[serde(default = "yes")]
        telegram: bool,
    },
    /// One part of a snapshot; apply parts in order, `last: true` ends it.
    Snapshot(Box<SnapshotPart>),
    /// Events in `seq` order, each exactly once.
    Events { events: Vec<EventEnvelope> },
    /// The command `id` succeeded.
    Ok {
        id: CommandId,
        /// Seq of the last event the command wrote, if it wrote any.
        seq: Option<Seq>,
        result: CommandResult,
    },
    /// A frame or command failed and changed nothing.
    Error {
        /// The command id, when the failing frame was a command.
        id: Option<CommandId>,
        code: ErrorCode,
        message: String,
    },
    /// Answer to `digest`.
    Digest {
        seq: Seq,
        digest: String,
        tickets: u32,
    },
}

/// One part of a snapshot. The first part carries queues, agents, macros
/// and the agent's read markers; every part carries a batch of tickets with
/// their customers and the tail of their messages.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotPart {
    /// The state is as of this seq; live events continue after it.
    pub seq: Seq,
    pub part: u32,
    pub last: bool,
    #[serde(default)]
    pub queues: Vec<Queue>,
    #[serde(default)]
    pub agents: Vec<Agent>,
    #[serde(default)]
    pub macros: Vec<Macro>,
    #[serde(default)]
    pub read_markers: Vec<ReadMarker>,
    /// First part only: organisations and the groups this agent may read.
    #[serde(default)]
    pub organisations: Vec<Organisation>,
    #[serde(default)]
    pub groups: Vec<Group>,
    /// First part only: the readable groups' conversations that are owed
    /// or were active in the last 7 days, with their last `snapshot_tail`
    /// messages.
    #[serde(default)]
    pub group_conversations: Vec<GroupConversation>,
    #[serde(default)]
    pub group_messages: Vec<GroupMessage>,
    /// First part only: the held messages of the readable groups that wait
    /// for staff (at most 500, oldest first).
    #[serde(default)]
    pub quarantine: Vec<HeldMessage>,
    pub tickets: Vec<Ticket>,
    pub customers: Vec<Customer>,
    pub messages: Vec<Message>,
}

/// The answer to an upload (`POST /v1/files`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Uploaded {
    pub upload_id: String,
    pub size: u64,
}

/// Counts a string's length the way Telegram does: UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}
