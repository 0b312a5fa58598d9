//! Who may read what, and the per-connection view that applies it to the
//! event stream.
//!
//! An agent reads the tickets of its queues, the ones assigned to it and
//! the ones a supervisor shared with it. A supervisor reads every ticket
//! outside the restricted queues (Security by default) too. A customer is
//! read with a ticket of theirs one may read. Everything else about the
//! desk (agents, presence, macros, queues) every agent reads.
//!
//! A connection's [`View`] holds what its client holds (the open tickets
//! sent to it, their customers) and turns each event of the log into what
//! that client may be sent: the event itself, a `withheld` placeholder (so
//! `seq` stays gap-free), a `ticket_shown` when a ticket comes into view, or
//! a `ticket_hidden` when one leaves it.

use std::collections::{BTreeSet, HashMap};

use shared::digest::Digester;
use shared::*;

use super::queues::Queues;
use crate::store::view::{Seen, Viewer};

/// The restricted queues: the part of the configuration reads depend on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Access {
    restricted: BTreeSet<QueueId>,
}

impl Access {
    pub fn new(queues: &Queues) -> Self {
        Access {
            restricted: queues
                .all()
                .iter()
                .filter(|q| q.restricted)
                .map(|q| q.id.clone())
                .collect(),
        }
    }

    /// Whether `agent` may read `ticket` (and its messages and customer).
    pub fn may_read(&self, agent: &Agent, ticket: &Ticket) -> bool {
        self.may_read_parts(agent, &ticket.queue, ticket.assignee, &ticket.shared_with)
    }

    /// `may_read` from the ticket's fields it looks at.
    pub fn may_read_parts(
        &self,
        agent: &Agent,
        queue: &QueueId,
        assignee: Option<AgentId>,
        shared_with: &[AgentId],
    ) -> bool {
        assignee == Some(agent.id)
            || shared_with.contains(&agent.id)
            || agent.queues.contains(queue)
            || (agent.role == Role::Supervisor && !self.restricted.contains(queue))
    }

    /// Whether `agent` may read a group's conversations and messages: the
    /// queue of its organisation is one of theirs, or they are a supervisor
    /// and it is not restricted. An unbound group (`None`): supervisors.
    pub fn may_read_group(&self, agent: &Agent, queue: Option<&QueueId>) -> bool {
        match queue {
            Some(q) => {
                agent.queues.contains(q)
                    || (agent.role == Role::Supervisor && !self.restricted.contains(q))
            }
            None => agent.role == Role::Supervisor,
        }
    }

    /// Whether `agent` reads every ticket (a supervisor in every restricted
    /// queue): then nothing needs to be tracked per ticket.
    pub fn reads_all(&self, agent: &Agent) -> bool {
        agent.role == Role::Supervisor && self.restricted.iter().all(|q| agent.queues.contains(q))
    }

    /// The restricted queues as text: a different one means what agents
    /// may read changed without an event (a config change and a restart).
    pub fn fingerprint(&self) -> String {
        let list: Vec<&str> = self.restricted.iter().map(|q| q.0.as_str()).collect();
        format!("restricted: {}", list.join(","))
    }

    /// Whether `event` changed whether `agent` may read some ticket. Each
    /// `ticket_updated` carries the state after the change and what it
    /// changed from, so the state before is known exactly. An upsert of the
    /// agent itself always counts (its role or queues may have moved).
    pub fn changes_view(&self, agent: &Agent, event: &Event) -> bool {
        match event {
            Event::TicketUpdated { ticket, change, .. } => {
                let mut before = ticket.clone();
                match change {
                    TicketChange::Queue { from, .. } => before.queue = from.clone(),
                    TicketChange::Assignee { from, .. } => before.assignee = *from,
                    TicketChange::Shared {
                        agent_id,
                        shared: true,
                    } => before.shared_with.retain(|a| a != agent_id),
                    TicketChange::Shared {
                        agent_id,
                        shared: false,
                    } => before.shared_with.push(*agent_id),
                    _ => return false,
                }
                self.may_read(agent, &before) != self.may_read(agent, ticket)
            }
            Event::AgentUpserted { agent: a } => a.id == agent.id,
            Event::GroupBound { group, from_queue } => {
                self.may_read_group(agent, from_queue.as_ref())
                    != self.may_read_group(agent, group.queue.as_ref())
            }
            _ => false,
        }
    }
}

/// What one connection's client holds, and what it may be sent.
#[derive(Debug, Clone)]
pub struct View {
    agent: Agent,
    access: Access,
    /// The agent reads every ticket: `held` and `customers` stay empty and
    /// everything is held.
    all: bool,
    /// Open tickets the client holds, with their customers.
    held: HashMap<TicketId, CustomerId>,
    /// How many held tickets each customer has.
    customers: HashMap<CustomerId, u32>,
}

impl View {
    /// A view holding nothing yet (before a snapshot or a resume).
    pub fn new(agent: Agent, access: Access) -> Self {
        View {
            all: access.reads_all(&agent),
            agent,
            access,
            held: HashMap::new(),
            customers: HashMap::new(),
        }
    }

    pub fn agent(&self) -> &Agent {
        &self.agent
    }

    /// How many tickets the client holds.
    pub fn held(&self) -> usize {
        self.held.len()
    }

    /// Whether the agent reads the groups of `queue` (`None`: unbound).
    pub fn reads_group(&self, queue: Option<&QueueId>) -> bool {
        self.access.may_read_group(&self.agent, queue)
    }

    fn release(&mut self, ticket: TicketId) {
        if let Some(c) = self.held.remove(&ticket)
            && let Some(n) = self.customers.get_mut(&c)
        {
            *n -= 1;
            if *n == 0 {
                self.customers.remove(&c);
            }
        }
    }
}

impl Viewer for View {
    fn holds(&self, ticket: TicketId) -> bool {
        self.all || self.held.contains_key(&ticket)
    }

    fn holds_customer(&self, customer: CustomerId) -> bool {
        self.all || self.customers.contains_key(&customer)
    }

    fn reads_all(&self) -> bool {
        self.all
    }

    fn reads_group(&self, queue: Option<&QueueId>) -> bool {
        View::reads_group(self, queue)
    }

    fn may_read(&self, ticket: &Ticket) -> bool {
        self.access.may_read(&self.agent, ticket)
    }

    fn may_read_parts(
        &self,
        queue: &QueueId,
        assignee: Option<AgentId>,
        shared_with: &[AgentId],
    ) -> bool {
        self.access
            .may_read_parts(&self.agent, queue, assignee, shared_with)
    }

    fn hold_open(&mut self, ticket: TicketId, customer: CustomerId) {
        if !self.all && self.held.insert(ticket, customer).is_none() {
            *self.customers.entry(customer).or_default() += 1;
        }
    }

    fn agent_id(&self) -> AgentId {
        self.agent.id
    }

    fn forget_all(&mut self) {
        self.held.clear();
        self.customers.clear();
    }

    fn hold(&mut self, ticket: &Ticket) {
        if !Digester::covers(ticket) {
            self.release(ticket.id);
            return;
        }
        self.hold_open(ticket.id, ticket.customer_id);
    }

    fn changes_view(&self, event: &Event) -> bool {
        self.access.changes_view(&self.agent, event)
    }

    fn see(&mut self, event: &Event) -> Seen {
        match event {
            Event::CustomerUpserted { customer } => pass_if(self.holds_customer(customer.id)),
            Event::TicketCreated { ticket } | Event::TicketUpdated { ticket, .. } => {
                match (self.may_read(ticket), self.holds(ticket.id)) {
                    (true, true) => {
                        self.hold(ticket);
                        Seen::Pass
                    }
                    // New to this client: it comes with its customer and
                    // tail (a closed one is only dropped: pass it).
                    (true, false) if Digester::covers(ticket) => {
                        if matches!(event, Event::TicketCreated { .. })
                            && self.holds_customer(ticket.customer_id)
                        {
                            self.hold(ticket);
                            Seen::Pass
                        } else {
                            Seen::Show(Box::new(ticket.clone()))
                        }
                    }
                    (true, false) => Seen::Pass,
                    (false, true) => {
                        self.release(ticket.id);
                        Seen::Hide(ticket.id)
                    }
                    (false, false) => Seen::Withhold,
                }
            }
            Event::MessageAdded { message } | Event::MessageUpdated { message } => {
                pass_if(self.holds(message.ticket_id))
            }
            Event::ReadMarkerMoved { marker } => {
                pass_if(marker.agent_id == self.agent.id && self.holds(marker.ticket_id))
            }
            Event::SlaAlert { alert } => pass_if(self.holds(alert.ticket_id)),
            Event::SlaRecomputed { tickets } => {
                let mine: Vec<TicketSla> = tickets
                    .iter()
                    .filter(|t| self.holds(t.ticket_id))
                    .cloned()
                    .collect();
                if mine.len() == tickets.len() {
                    Seen::Pass
                } else if mine.is_empty() {
                    Seen::Withhold
                } else {
                    Seen::Rewrite(Box::new(Event::SlaRecomputed { tickets: mine }))
                }
            }
            Event::AgentUpserted { agent } if agent.id == self.agent.id => {
                if agent.role != self.agent.role || agent.queues != self.agent.queues {
                    self.agent = agent.clone();
                    self.all = self.access.reads_all(agent);
                    Seen::Resync
                } else {
                    self.agent = agent.clone();
                    Seen::Pass
                }
            }
            // Ids only, of records that no longer exist: every client
            // gets them (a resumed one may hold them from before, and what
            // it held can no longer be told from the tables).
            Event::CustomerErased { tickets, .. } | Event::TicketsRemoved { tickets } => {
                for t in tickets {
                    self.release(*t);
                }
                Seen::Pass
            }
            Event::AgentUpserted { .. }
            | Event::AgentRemoved { .. }
            | Event::MacroUpserted { .. }
            | Event::MacroRemoved { .. }
            | Event::PresenceChanged { .. }
            | Event::OrganisationUpserted { .. }
            | Event::GroupMigrated { .. }
            | Event::GroupPersonErased { .. } => Seen::Pass,
            Event::GroupUpserted { group } => pass_if(self.reads_group(group.queue.as_ref())),
            Event::GroupBound { .. } if self.access.changes_view(&self.agent, event) => {
                Seen::Resync
            }
            Event::GroupBound { group, .. } => pass_if(self.reads_group(group.queue.as_ref())),
            Event::GroupConversationUpdated { conversation } => {
                pass_if(self.reads_group(conversation.queue.as_ref()))
            }
            Event::GroupMessageAdded { message } | Event::GroupMessageUpdated { message } => {
                pass_if(self.reads_group(message.queue.as_ref()))
            }
            Event::GroupAlert { alert } => pass_if(self.reads_group(alert.queue.as_ref())),
            Event::QuarantineUpdated { held } => pass_if(self.reads_group(held.queue.as_ref())),
            // Never in the log; nothing to decide.
            Event::Withheld | Event::TicketShown { .. } | Event::TicketHidden { .. } => {
                Seen::Withhold
            }
        }
    }
}

fn pass_if(yes: bool) -> Seen {
    if yes { Seen::Pass } else { Seen::Withhold }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::Settings;

    fn access() -> Access {
        Access::new(
            &crate::domain::desk::Desk::from_settings(&Settings::defaults())
                .unwrap()
                .queues,
        )
    }

    fn agent(id: i64, role: Role, queues: &[&str]) -> Agent {
        Agent {
            id: AgentId(id),
            name: format!("a{id}"),
            display_name: format!("A{id}"),
            role,
            queues: queues.iter().map(|q| QueueId::new(*q)).collect(),
            capacity: 5,
            presence: Presence::Online,
        }
    }

    fn ticket(id: i64, queue: &str) -> Ticket {
        Ticket {
            queue: QueueId::new(queue),
            customer_id: CustomerId(100 + id),
            ..shared::fixtures::ticket(id)
        }
    }

    #[test]
    fn agents_read_their_queues_assigned_and_shared_tickets_supervisors_all_but_restricted() {
        let a = access();
        let l1 = agent(1, Role::Agent, &["L1"]);
        let lead = agent(2, Role::Supervisor, &["L1"]);
        let sec = agent(3, Role::Agent, &["SECURITY"]);
        let security = ticket(1, "SECURITY");
        let l2 = ticket(2, "L2");
        assert!(a.may_read(&l1, &ticket(3, "L1")));
        assert!(!a.may_read(&l1, &l2));
        assert!(!a.may_read(&l1, &security));
        assert!(
            a.may_read(&lead, &l2),
            "supervisors read unrestricted queues"
        );
        assert!(!a.may_read(&lead, &security), "SECURITY is restricted");
        assert!(a.may_read(&sec, &security));
        let assigned = Ticket {
            assignee: Some(l1.id),
            ..security.clone()
        };
        assert!(a.may_read(&l1, &assigned));
        let shared = Ticket {
            shared_with: vec![l1.id],
            ..security
        };
        assert!(a.may_read(&l1, &shared));
        assert!(a.may_read(&lead, &ticket(4, "NO-SUCH-QUEUE")));
        assert_eq!(a.fingerprint(), "restricted: SECURITY");
    }

    fn updated(ticket: &Ticket, change: TicketChange) -> Event {
        Event::TicketUpdated {
            ticket: ticket.clone(),
            by: None,
            change,
        }
    }

    #[test]
    fn a_view_shows_hides_and_withholds_as_tickets_move() {
        let mut v = View::new(agent(1, Role::Agent, &["L1"]), access());
        let customer = Customer {
            id: CustomerId(101),
            ..shared::fixtures::customer(101)
        };
        // A new customer's first ticket: the customer was not held yet, so
        // the customer event is withheld and the ticket is shown.
        assert_eq!(
            v.see(&Event::CustomerUpserted {
                customer: customer.clone()
            }),
            Seen::Withhold
        );
        let mut t = ticket(1, "L1");
        assert_eq!(
            v.see(&Event::TicketCreated { ticket: t.clone() }),
            Seen::Show(Box::new(t.clone()))
        );
        v.hold(&t);
        assert_eq!(v.see(&Event::CustomerUpserted { customer }), Seen::Pass);
        let msg = Event::MessageAdded {
            message: Message {
                ticket_id: t.id,
                ..shared::fixtures::message(1)
            },
        };
        assert_eq!(v.see(&msg), Seen::Pass);
        // Escalated to SECURITY: hidden, and its messages withheld.
        t.queue = QueueId::new("SECURITY");
        let moved = updated(
            &t,
            TicketChange::Queue {
                from: QueueId::new("L1"),
                to: t.queue.clone(),
                note: None,
            },
        );
        assert!(v.changes_view(&moved));
        assert_eq!(v.see(&moved), Seen::Hide(t.id));
        assert_eq!(v.see(&msg), Seen::Withhold);
        assert_eq!(v.held(), 0);
        // Shared back to the agent: shown again.
        t.shared_with = vec![AgentId(1)];
        let shared = updated(
            &t,
            TicketChange::Shared {
                agent_id: AgentId(1),
                shared: true,
            },
        );
        assert!(v.changes_view(&shared));
        assert_eq!(v.see(&shared), Seen::Show(Box::new(t.clone())));
        // Someone else's read marker, and deadlines of tickets not held.
        v.hold(&t);
        let marker = |agent| Event::ReadMarkerMoved {
            marker: ReadMarker {
                agent_id: AgentId(agent),
                ticket_id: t.id,
                last_read: MessageId(1),
            },
        };
        assert_eq!(v.see(&marker(2)), Seen::Withhold);
        assert_eq!(v.see(&marker(1)), Seen::Pass);
        let sla = |id| TicketSla {
            ticket_id: TicketId(id),
            sla: SlaDeadlines::default(),
        };
        assert_eq!(
            v.see(&Event::SlaRecomputed {
                tickets: vec![sla(1), sla(9)]
            }),
            Seen::Rewrite(Box::new(Event::SlaRecomputed {
                tickets: vec![sla(1)]
            }))
        );
        assert_eq!(
            v.see(&Event::SlaRecomputed {
                tickets: vec![sla(9)]
            }),
            Seen::Withhold
        );
        // A change to the agent's own queues asks for a fresh snapshot.
        assert_eq!(
            v.see(&Event::AgentUpserted {
                agent: agent(1, Role::Agent, &["L1", "L2"])
            }),
            Seen::Resync
        );
        assert_eq!(
            v.see(&Event::AgentUpserted {
                agent: agent(2, Role::Agent, &["L2"])
            }),
            Seen::Pass
        );
    }

    #[test]
    fn a_supervisor_of_every_restricted_queue_is_sent_everything_as_it_is() {
        let lead = agent(2, Role::Supervisor, &["L1", "SECURITY"]);
        assert!(access().reads_all(&lead));
        assert!(!access().reads_all(&agent(3, Role::Supervisor, &["L1"])));
        let mut v = View::new(lead, access());
        let customer = Customer {
            id: CustomerId(101),
            ..shared::fixtures::customer(101)
        };
        assert_eq!(v.see(&Event::CustomerUpserted { customer }), Seen::Pass);
        let t = ticket(1, "SECURITY");
        assert_eq!(
            v.see(&Event::TicketCreated { ticket: t.clone() }),
            Seen::Pass
        );
        let msg = Event::MessageAdded {
            message: Message {
                ticket_id: TicketId(77),
                ..shared::fixtures::message(1)
            },
        };
        assert_eq!(v.see(&msg), Seen::Pass);
        assert_eq!(v.held(), 0, "nothing tracked per ticket");
    }

    #[test]
    fn changes_of_other_fields_never_change_the_view() {
        let v = View::new(agent(1, Role::Agent, &["L1"]), access());
        let t = ticket(1, "L2");
        assert!(!v.changes_view(&updated(&t, TicketChange::Sla)));
        // Moving between two queues the agent reads neither of.
        assert!(!v.changes_view(&updated(
            &t,
            TicketChange::Queue {
                from: QueueId::new("VIP"),
                to: t.queue.clone(),
                note: None
            }
        )));
    }

    /// What `store::view::sync` says first (the welcome's mode) for a
    /// client resuming from `from`.
    async fn resumes_with(d: &crate::domain::testkit::Desk0, from: Seq) -> SyncMode {
        use crate::store::view::{SnapshotSpec, SyncSpec, sync};
        let lead = d.store.readers().read({
            let id = d.lead_id;
            move |c| crate::store::rows::load_agent(c, id)
        });
        let lead = lead.await.unwrap().unwrap();
        let mut v = View::new(lead, d.desk.access().clone());
        let spec = SyncSpec {
            resume_from: Some(from),
            resume_limit: 1_000_000,
            snapshot: SnapshotSpec {
                queues: d.desk.queues.all().to_vec(),
                tail: 20,
                chunk: 100,
                budget: 1 << 20,
                now: d.now(),
            },
            replay_chunk: 100,
        };
        let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
        let mode = std::sync::Arc::new(std::sync::Mutex::new(None));
        let m = mode.clone();
        d.store
            .readers()
            .read(move |c| {
                sync(
                    c,
                    spec,
                    &mut v,
                    move |sync| {
                        *m.lock().unwrap() = Some(sync);
                        String::new()
                    },
                    &tx,
                )
            })
            .await
            .unwrap();
        rx.close();
        mode.lock().unwrap().take().unwrap()
    }

    #[tokio::test]
    async fn a_resume_from_before_the_kept_log_gets_a_snapshot() {
        use crate::domain::testkit::{Desk0, at, settings};
        let d = Desk0::new(settings(), at("2026-01-05T10:00:00Z")).await;
        d.customer_writes(1, "en", "hello").await;
        let early = d.store.head();
        assert!(early.0 > 2);
        assert_eq!(resumes_with(&d, Seq(1)).await, SyncMode::Events);
        d.advance(std::time::Duration::from_secs(31 * 86_400));
        d.customer_writes(2, "en", "a month later").await;
        d.write(|ctx, desk| {
            let mut pending = crate::domain::retention::Pending::default();
            while pending.any() {
                crate::domain::retention::prune(ctx, &desk.retention, 500, &mut pending)?;
            }
            Ok(())
        })
        .await
        .unwrap();
        // Events after seq 1 are gone: only a snapshot can follow. From
        // `early` nothing missed was removed: it still resumes.
        assert_eq!(resumes_with(&d, Seq(1)).await, SyncMode::Snapshot);
        assert_eq!(resumes_with(&d, early).await, SyncMode::Events);
        assert_eq!(resumes_with(&d, d.store.head()).await, SyncMode::Events);
    }
}
