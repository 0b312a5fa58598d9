//! The event log: every state change the server makes, in order.

use crate::groups::*;
use crate::ids::*;
use crate::model::*;
use crate::safety::*;
use serde::{Deserialize, Serialize};

/// One entry of the event log, as stored and as streamed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventEnvelope {
    /// Gap-free, increasing position in the log.
    pub seq: Seq,
    /// When the change was committed.
    pub at: Timestamp,
    pub event: Event,
}

/// A state change. Records are carried whole, so applying an event is a
/// replace, never a merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A customer was created or changed.
    CustomerUpserted { customer: Customer },
    /// A ticket was opened.
    TicketCreated { ticket: Ticket },
    /// A ticket changed; `ticket` is its new state.
    TicketUpdated {
        ticket: Ticket,
        /// Who made the change; `null` for the system or the customer.
        by: Option<AgentId>,
        change: TicketChange,
    },
    /// A message was added to a ticket's thread.
    MessageAdded { message: Message },
    /// A message changed (edited, delivery state); `message` is its new state.
    MessageUpdated { message: Message },
    /// An agent was added or changed.
    AgentUpserted { agent: Agent },
    /// An agent was removed; its connections are closed.
    AgentRemoved { agent_id: AgentId },
    /// A macro was added or changed.
    MacroUpserted {
        #[serde(rename = "macro")]
        macro_: Macro,
    },
    /// A macro was removed.
    MacroRemoved { macro_id: MacroId },
    /// An agent's read position in a ticket moved.
    ReadMarkerMoved { marker: ReadMarker },
    /// An agent came online, went away or offline.
    PresenceChanged {
        agent_id: AgentId,
        presence: Presence,
    },
    /// An SLA clock is about to break its promise, or broke it.
    SlaAlert { alert: SlaAlert },
    /// Deadlines moved because a calendar or SLA policy changed (the
    /// server recomputes them at start). Each listed ticket's `sla` is
    /// replaced; nothing else about it changed. Sent in batches, one per
    /// ticket range (sorted by ticket id), so a config change over a large
    /// desk is a few events.
    SlaRecomputed { tickets: Vec<TicketSla> },
    /// A customer's data was erased (on their request or by retention):
    /// drop the customer and these tickets with their messages. Events
    /// that carried their data are `withheld` in the log from now on.
    CustomerErased {
        customer_id: CustomerId,
        tickets: Vec<TicketId>,
    },
    /// Tickets were removed by retention (closed longer than the desk
    /// keeps them): drop them with their messages.
    TicketsRemoved { tickets: Vec<TicketId> },
    /// Never stored: sent to a client in place of an event it may not
    /// read (about a ticket outside its view), so its `seq` stays gap-free.
    Withheld,
    /// Never stored: a ticket came into this client's view (it was
    /// created in one of its queues, assigned or shared to its agent, or
    /// moved into one of its queues). Carries what a snapshot would: the
    /// ticket, its customer, the last `snapshot_tail` messages and this
    /// agent's read position. Replaces the event that caused it.
    TicketShown {
        ticket: Ticket,
        customer: Customer,
        messages: Vec<Message>,
        last_read: Option<MessageId>,
    },
    /// Never stored: a ticket left this client's view (moved to a queue
    /// the agent may not read, unassigned from it, its share withdrawn).
    /// The client drops the ticket, its messages, and its customer unless
    /// another ticket it holds is theirs. Replaces the event that caused it.
    TicketHidden { ticket_id: TicketId },
    /// An organisation was added or changed.
    OrganisationUpserted { organisation: Organisation },
    /// The bot is in a group (new, renamed, its standing changed).
    GroupUpserted { group: Group },
    /// A group was bound to an organisation, moved to another, or unbound
    /// (`group.organisation_id: null`); `from_queue` is the queue it had.
    /// Who reads its conversations may have changed: a client that may
    /// read it now and could not before (or the reverse) is sent a fresh
    /// snapshot instead.
    GroupBound {
        group: Group,
        from_queue: Option<QueueId>,
    },
    /// A group upgraded to a supergroup got a new chat id; its
    /// conversations moved to `to` (their messages keep the chat id they
    /// were sent in).
    GroupMigrated { from: i64, to: i64 },
    /// A conversation started or changed (its clock, last activity,
    /// acknowledgement, ticket).
    GroupConversationUpdated { conversation: GroupConversation },
    /// A message was added to a group.
    GroupMessageAdded { message: GroupMessage },
    /// A group message changed (edited, delivered, failed).
    GroupMessageUpdated { message: GroupMessage },
    /// A conversation's answer is due soon, or overdue.
    GroupAlert { alert: GroupAlert },
    /// A person known from groups was erased: drop their group messages;
    /// conversations they opened stay, without their name. Events that
    /// carried their data are `withheld` in the log from now on.
    GroupPersonErased { telegram_user_id: i64 },
    /// A message was held by the group safety checks, or staff decided on
    /// it (approved, banned).
    QuarantineUpdated { held: HeldMessage },
}

impl Event {
    /// The Telegram user whose personal data a group event carries (the
    /// author of a message, who opened a conversation, who is waiting).
    pub fn group_person(&self) -> Option<i64> {
        match self {
            Event::GroupMessageAdded { message } | Event::GroupMessageUpdated { message } => {
                Some(message.author_id)
            }
            Event::GroupConversationUpdated { conversation } => Some(conversation.opened_by_id),
            Event::GroupAlert { alert } => Some(alert.who_id),
            Event::QuarantineUpdated { held } => Some(held.author_id),
            _ => None,
        }
    }

    /// The ticket this event is about, if any.
    pub fn ticket_id(&self) -> Option<TicketId> {
        match self {
            Event::TicketCreated { ticket } | Event::TicketUpdated { ticket, .. } => {
                Some(ticket.id)
            }
            Event::MessageAdded { message } | Event::MessageUpdated { message } => {
                Some(message.ticket_id)
            }
            Event::ReadMarkerMoved { marker } => Some(marker.ticket_id),
            Event::SlaAlert { alert } => Some(alert.ticket_id),
            Event::TicketShown { ticket, .. } => Some(ticket.id),
            Event::TicketHidden { ticket_id } => Some(*ticket_id),
            _ => None,
        }
    }
}

/// What a `ticket_updated` event changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum TicketChange {
    Status {
        from: TicketStatus,
        to: TicketStatus,
    },
    Assignee {
        from: Option<AgentId>,
        to: Option<AgentId>,
    },
    Queue {
        from: QueueId,
        to: QueueId,
        note: Option<String>,
    },
    Tags {
        added: Vec<String>,
        removed: Vec<String>,
    },
    Priority {
        from: Priority,
        to: Priority,
    },
    /// A message was added (counters, `waiting_since`, SLA moved).
    Thread {
        message_id: MessageId,
    },
    /// The customer rated the resolution (1-5 stars).
    Csat {
        rating: u8,
    },
    /// A supervisor shared the ticket with an agent (`shared: true`) or
    /// withdrew the share.
    Shared {
        agent_id: AgentId,
        shared: bool,
    },
    /// A clock breached: the ticket streams with it `missed`. (Deadlines
    /// moved by a config change come as `Event::SlaRecomputed`.)
    Sla,
}
