//! A client's copy of the server state, kept by applying what it sends.

use std::collections::{BTreeMap, HashMap};

use shared::digest::Digester;
use shared::*;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MirrorError {
    /// An event arrived that does not follow the last one applied: the
    /// client must reconnect with `resume_from` = [`Mirror::seq`].
    #[error("event {got} does not follow {have}")]
    Gap { have: Seq, got: Seq },
    #[error("snapshot part {got} arrived, expected {expected}")]
    SnapshotOrder { expected: u32, got: u32 },
}

/// The mirrored state. Closed tickets are dropped (closed is terminal).
#[derive(Debug, Default, Clone)]
pub struct Mirror {
    /// Last seq applied.
    pub seq: Seq,
    pub tickets: BTreeMap<TicketId, Ticket>,
    /// Messages known per ticket, by id.
    pub messages: HashMap<TicketId, BTreeMap<MessageId, Message>>,
    pub customers: HashMap<CustomerId, Customer>,
    pub agents: BTreeMap<AgentId, Agent>,
    pub macros: BTreeMap<MacroId, Macro>,
    pub queues: Vec<Queue>,
    /// This agent's read positions.
    pub read: HashMap<TicketId, MessageId>,
    /// Whose mirror this is (from `welcome`); read markers of others are ignored.
    pub me: Option<AgentId>,
    /// Customer groups: organisations, the groups this agent reads (by
    /// chat id), their live conversations and the messages known of each.
    pub organisations: BTreeMap<OrganisationId, Organisation>,
    pub groups: BTreeMap<i64, Group>,
    pub conversations: BTreeMap<ConversationId, GroupConversation>,
    pub group_messages: HashMap<ConversationId, BTreeMap<GroupMessageId, GroupMessage>>,
    /// Messages the group safety checks held: those waiting for staff,
    /// and those decided while this client watched.
    pub quarantine: BTreeMap<HeldId, HeldMessage>,
    next_part: u32,
}

impl Mirror {
    pub fn new(me: Option<AgentId>) -> Self {
        Mirror {
            me,
            ..Default::default()
        }
    }

    /// Applies one snapshot part. Part 0 drops all local state first.
    pub fn apply_snapshot(&mut self, p: SnapshotPart) -> Result<(), MirrorError> {
        if p.part == 0 {
            let me = self.me;
            // Seq stays 0 (nothing to resume from) until the last part lands.
            *self = Mirror::new(me);
            self.queues = p.queues;
            self.agents = p.agents.into_iter().map(|a| (a.id, a)).collect();
            self.macros = p.macros.into_iter().map(|m| (m.id, m)).collect();
            self.read = p
                .read_markers
                .into_iter()
                .map(|r| (r.ticket_id, r.last_read))
                .collect();
            self.organisations = p.organisations.into_iter().map(|o| (o.id, o)).collect();
            self.groups = p.groups.into_iter().map(|g| (g.chat_id, g)).collect();
            self.conversations = p
                .group_conversations
                .into_iter()
                .map(|c| (c.id, c))
                .collect();
            for m in p.group_messages {
                self.add_group_message(m);
            }
            self.quarantine = p.quarantine.into_iter().map(|h| (h.id, h)).collect();
        } else if p.part != self.next_part {
            return Err(MirrorError::SnapshotOrder {
                expected: self.next_part,
                got: p.part,
            });
        }
        self.next_part = p.part + 1;
        if p.last {
            self.seq = p.seq;
        }
        for c in p.customers {
            self.customers.insert(c.id, c);
        }
        for t in p.tickets {
            self.tickets.insert(t.id, t);
        }
        for m in p.messages {
            self.messages
                .entry(m.ticket_id)
                .or_default()
                .insert(m.id, m);
        }
        Ok(())
    }

    /// Applies one event. Events at or below [`Mirror::seq`] are ignored
    /// (already applied); one that skips ahead is a gap.
    pub fn apply_event(&mut self, e: &EventEnvelope) -> Result<bool, MirrorError> {
        if e.seq <= self.seq {
            return Ok(false);
        }
        if e.seq.0 != self.seq.0 + 1 {
            return Err(MirrorError::Gap {
                have: self.seq,
                got: e.seq,
            });
        }
        self.seq = e.seq;
        match &e.event {
            Event::CustomerUpserted { customer } => {
                self.customers.insert(customer.id, customer.clone());
            }
            Event::TicketCreated { ticket } | Event::TicketUpdated { ticket, .. } => {
                if Digester::covers(ticket) {
                    self.tickets.insert(ticket.id, ticket.clone());
                } else {
                    self.tickets.remove(&ticket.id);
                    self.messages.remove(&ticket.id);
                    self.read.remove(&ticket.id);
                }
            }
            Event::MessageAdded { message } | Event::MessageUpdated { message } => {
                if self.tickets.contains_key(&message.ticket_id) {
                    self.messages
                        .entry(message.ticket_id)
                        .or_default()
                        .insert(message.id, message.clone());
                }
            }
            Event::AgentUpserted { agent } => {
                self.agents.insert(agent.id, agent.clone());
            }
            Event::AgentRemoved { agent_id } => {
                self.agents.remove(agent_id);
            }
            Event::MacroUpserted { macro_ } => {
                self.macros.insert(macro_.id, macro_.clone());
            }
            Event::MacroRemoved { macro_id } => {
                self.macros.remove(macro_id);
            }
            Event::PresenceChanged { agent_id, presence } => {
                if let Some(a) = self.agents.get_mut(agent_id) {
                    a.presence = *presence;
                }
            }
            // Alerts are news, not state: clients react to them as they pass.
            Event::SlaAlert { .. } => {}
            Event::SlaRecomputed { tickets } => {
                for moved in tickets {
                    if let Some(t) = self.tickets.get_mut(&moved.ticket_id) {
                        t.sla = moved.sla.clone();
                    }
                }
            }
            Event::Withheld => {}
            Event::CustomerErased {
                customer_id,
                tickets,
            } => {
                self.customers.remove(customer_id);
                self.drop_tickets(tickets);
            }
            Event::TicketsRemoved { tickets } => self.drop_tickets(tickets),
            Event::TicketShown {
                ticket,
                customer,
                messages,
                last_read,
            } => {
                self.customers.insert(customer.id, customer.clone());
                if Digester::covers(ticket) {
                    self.tickets.insert(ticket.id, ticket.clone());
                    self.messages.insert(
                        ticket.id,
                        messages.iter().map(|m| (m.id, m.clone())).collect(),
                    );
                    match last_read {
                        Some(r) => self.read.insert(ticket.id, *r),
                        None => self.read.remove(&ticket.id),
                    };
                }
            }
            Event::TicketHidden { ticket_id } => {
                if let Some(gone) = self.tickets.remove(ticket_id) {
                    self.messages.remove(ticket_id);
                    self.read.remove(ticket_id);
                    let customer = gone.customer_id;
                    if !self.tickets.values().any(|t| t.customer_id == customer) {
                        self.customers.remove(&customer);
                    }
                }
            }
            Event::ReadMarkerMoved { marker } => {
                if Some(marker.agent_id) == self.me && self.tickets.contains_key(&marker.ticket_id)
                {
                    self.read.insert(marker.ticket_id, marker.last_read);
                }
            }
            Event::OrganisationUpserted { organisation } => {
                self.organisations
                    .insert(organisation.id, organisation.clone());
            }
            Event::GroupUpserted { group } | Event::GroupBound { group, .. } => {
                for c in self.conversations.values_mut() {
                    if c.chat_id == group.chat_id {
                        c.queue = group.queue.clone();
                    }
                }
                self.groups.insert(group.chat_id, group.clone());
            }
            Event::GroupMigrated { from, to } => {
                self.groups.remove(from);
                for c in self.conversations.values_mut() {
                    if c.chat_id == *from {
                        c.chat_id = *to;
                    }
                }
            }
            Event::GroupConversationUpdated { conversation } => {
                self.conversations
                    .insert(conversation.id, conversation.clone());
            }
            Event::GroupMessageAdded { message } | Event::GroupMessageUpdated { message } => {
                self.add_group_message(message.clone());
            }
            // News, like SLA alerts.
            Event::GroupAlert { .. } => {}
            Event::GroupPersonErased { telegram_user_id } => {
                for messages in self.group_messages.values_mut() {
                    messages.retain(|_, m| m.author_id != *telegram_user_id);
                }
                for c in self.conversations.values_mut() {
                    if c.opened_by_id == *telegram_user_id {
                        c.opened_by.clear();
                    }
                }
                self.quarantine
                    .retain(|_, h| h.author_id != *telegram_user_id);
            }
            Event::QuarantineUpdated { held } => {
                self.quarantine.insert(held.id, held.clone());
            }
        }
        Ok(true)
    }

    /// Keeps a group message of a conversation (one in none is not shown).
    fn add_group_message(&mut self, m: GroupMessage) {
        if let Some(c) = m.conversation_id {
            self.group_messages.entry(c).or_default().insert(m.id, m);
        }
    }

    fn drop_tickets(&mut self, tickets: &[TicketId]) {
        for t in tickets {
            self.tickets.remove(t);
            self.messages.remove(t);
            self.read.remove(t);
        }
    }

    /// Applies whatever in a server frame changes state. Returns true when
    /// the frame was a snapshot part or events.
    pub fn apply(&mut self, msg: &ServerMessage) -> Result<bool, MirrorError> {
        match msg {
            ServerMessage::Snapshot(p) => self.apply_snapshot((**p).clone()).map(|_| true),
            ServerMessage::Events { events } => {
                for e in events {
                    self.apply_event(e)?;
                }
                Ok(true)
            }
            ServerMessage::Welcome { agent, .. } => {
                self.me = Some(agent.id);
                Ok(false)
            }
            _ => Ok(false),
        }
    }

    /// Adds messages fetched with `load_older`.
    pub fn add_older(&mut self, messages: &[Message]) {
        for m in messages {
            if self.tickets.contains_key(&m.ticket_id) {
                self.messages
                    .entry(m.ticket_id)
                    .or_default()
                    .insert(m.id, m.clone());
            }
        }
    }

    /// The state digest over the last `tail` messages of each ticket (see
    /// `shared::digest`); equal to the server's when in sync.
    pub fn digest(&self, tail: u32) -> String {
        let mut d = Digester::new();
        for t in self.tickets.values() {
            d.ticket(t);
            if let Some(ms) = self.messages.get(&t.id) {
                let skip = ms.len().saturating_sub(tail as usize);
                for m in ms.values().skip(skip) {
                    d.message(m);
                }
            }
        }
        d.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(id: i64) -> Ticket {
        Ticket {
            sla: SlaDeadlines {
                first_reply_due: Some(Timestamp(900_001)),
                ..Default::default()
            },
            ..shared::fixtures::ticket(id)
        }
    }

    #[test]
    fn recomputed_deadlines_replace_only_the_listed_tickets_sla() {
        let mut m = Mirror::new(None);
        for id in [1, 2] {
            m.tickets.insert(TicketId(id), ticket(id));
        }
        let sla = SlaDeadlines {
            first_reply_due: Some(Timestamp(4_500_001)),
            resolution_due: Some(Timestamp(9_000_001)),
            ..Default::default()
        };
        let e = EventEnvelope {
            seq: Seq(1),
            at: Timestamp(5),
            event: Event::SlaRecomputed {
                tickets: vec![
                    TicketSla {
                        ticket_id: TicketId(2),
                        sla: sla.clone(),
                    },
                    // Not mirrored (closed, or never seen): ignored.
                    TicketSla {
                        ticket_id: TicketId(7),
                        sla: sla.clone(),
                    },
                ],
            },
        };
        assert_eq!(m.apply_event(&e), Ok(true));
        let mut want = ticket(2);
        want.sla = sla;
        assert_eq!(m.tickets[&TicketId(2)], want);
        assert_eq!(m.tickets[&TicketId(1)], ticket(1));
        assert!(!m.tickets.contains_key(&TicketId(7)));
        assert_eq!(m.seq, Seq(1));
    }
}
