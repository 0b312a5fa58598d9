//! Alerts for someone holding ten chats: an unanswered customer message,
//! an SLA deadline about to break or broken, a new VIP or Security ticket,
//! a client group's conversation about to go or gone unanswered.
//! Each rings again every `repeat` until acknowledged; an alert whose cause
//! is gone (the reply went out) disappears by itself.

use std::collections::BTreeMap;

use relay_client::Mirror;
use shared::{Agent, ConversationId, Priority, Ticket, TicketId, TicketStatus, Timestamp};

use crate::config::{AlertScope, Alerts as AlertSettings};
use crate::sla::{self, Level, Target};
use crate::views;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AlertKind {
    /// A VIP customer's, critical, or urgent-queue ticket nobody took yet.
    Urgent,
    Breached(Target),
    Warning(Target),
    Unanswered,
    /// A client group's conversation past its due time, nobody acknowledged.
    GroupOverdue,
    /// A client group's conversation due within the warning lead.
    GroupWarning,
}

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Subject {
    Ticket(TicketId),
    Group(ConversationId),
}

/// One alert: what, about which ticket, and the instant that caused it (a
/// new cause is a new alert, even after the old one was acknowledged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AlertKey {
    pub subject: Subject,
    pub kind: AlertKind,
    pub cause: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AlertState {
    pub raised_at: Timestamp,
    pub acked: bool,
}

#[derive(Debug, Clone, Default)]
pub struct AlertBook {
    pub active: BTreeMap<AlertKey, AlertState>,
    last_ring: Option<Timestamp>,
}

/// What a scan decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scan {
    /// Something changed (redraw).
    pub changed: bool,
    /// Ring the bell (new alerts, or the repeat is due).
    pub ring: bool,
}

fn in_scope(scope: AlertScope, me: Option<&Agent>, t: &Ticket) -> bool {
    let mine = me.is_some_and(|a| t.assignee == Some(a.id));
    match scope {
        AlertScope::Mine => mine,
        AlertScope::MineAndUnassigned => mine || (t.assignee.is_none() && views::serves(me, t)),
        AlertScope::All => true,
    }
}

/// The alerts the state calls for now.
pub fn current(
    mirror: &Mirror,
    me: Option<&Agent>,
    s: &AlertSettings,
    now: Timestamp,
) -> Vec<AlertKey> {
    let mut out = Vec::new();
    for t in mirror.tickets.values() {
        if !views::active(t) || !in_scope(s.scope, me, t) {
            continue;
        }
        let vip = mirror.customers.get(&t.customer_id).is_some_and(|c| c.vip);
        if t.status == TicketStatus::New
            && t.assignee.is_none()
            && (vip
                || t.priority == Priority::Critical
                || s.urgent_queues.iter().any(|q| q == t.queue.as_str()))
        {
            out.push(AlertKey {
                subject: Subject::Ticket(t.id),
                kind: AlertKind::Urgent,
                cause: t.created_at,
            });
        }
        if let Some(w) = t.waiting_since
            && now.0 - w.0 >= s.unanswered_ms
        {
            out.push(AlertKey {
                subject: Subject::Ticket(t.id),
                kind: AlertKind::Unanswered,
                cause: w,
            });
        }
        if let Some(c) = sla::countdown(t, now, s.warning_ms) {
            let kind = match c.level {
                Level::Ok => None,
                Level::Warning => Some(AlertKind::Warning(c.target)),
                Level::Breached => Some(AlertKind::Breached(c.target)),
            };
            if let Some(kind) = kind {
                out.push(AlertKey {
                    subject: Subject::Ticket(t.id),
                    kind,
                    cause: c.due,
                });
            }
        }
    }
    // Client groups' conversations of this agent's queues (the mirror holds
    // no other): overdue and not acknowledged, or about to be.
    for c in mirror.conversations.values() {
        let (Some(_), Some(due)) = (c.owed_since, c.due_at) else {
            continue;
        };
        let kind = if due <= now {
            (c.acked_by.is_none()).then_some(AlertKind::GroupOverdue)
        } else {
            (due.0 - now.0 <= s.warning_ms && c.acked_by.is_none())
                .then_some(AlertKind::GroupWarning)
        };
        if let Some(kind) = kind {
            out.push(AlertKey {
                subject: Subject::Group(c.id),
                kind,
                cause: due,
            });
        }
    }
    out
}

impl AlertBook {
    /// Brings the book up to date with `keys` (from [`current`]).
    pub fn update(&mut self, keys: Vec<AlertKey>, now: Timestamp, repeat_ms: i64) -> Scan {
        let mut scan = Scan::default();
        let before = self.active.len();
        let fresh: BTreeMap<AlertKey, AlertState> = keys
            .into_iter()
            .map(|k| {
                let st = self.active.get(&k).copied().unwrap_or_else(|| {
                    scan.ring = true;
                    AlertState {
                        raised_at: now,
                        acked: false,
                    }
                });
                (k, st)
            })
            .collect();
        scan.changed = scan.ring || fresh.len() != before;
        self.active = fresh;
        if self.unacked() == 0 {
            scan.ring = false;
            self.last_ring = None;
            return scan;
        }
        let due = self.last_ring.is_none_or(|t| now.0 - t.0 >= repeat_ms);
        scan.ring |= due;
        if scan.ring {
            self.last_ring = Some(now);
        }
        scan
    }

    pub fn unacked(&self) -> usize {
        self.active.values().filter(|s| !s.acked).count()
    }

    /// Acknowledges every alert, or those of one ticket or conversation.
    pub fn ack(&mut self, subject: Option<Subject>) -> usize {
        let mut n = 0;
        for (k, s) in &mut self.active {
            if !s.acked && subject.is_none_or(|t| t == k.subject) {
                s.acked = true;
                n += 1;
            }
        }
        n
    }

    /// The most severe unacknowledged alert of a ticket.
    pub fn worst(&self, ticket: TicketId) -> Option<AlertKind> {
        self.active
            .iter()
            .filter(|(k, s)| k.subject == Subject::Ticket(ticket) && !s.acked)
            .map(|(k, _)| k.kind)
            .min()
    }

    /// Alerts, unacknowledged first, then most severe, then oldest.
    pub fn listed(&self) -> Vec<(AlertKey, AlertState)> {
        let mut v: Vec<_> = self.active.iter().map(|(k, s)| (*k, *s)).collect();
        v.sort_by_key(|(k, s)| (s.acked, k.kind, s.raised_at, k.subject));
        v
    }
}

impl AlertKind {
    pub fn describe(self) -> String {
        match self {
            AlertKind::Urgent => "new VIP / urgent ticket".into(),
            AlertKind::Breached(t) => format!("{} SLA breached", t.label()),
            AlertKind::Warning(t) => format!("{} SLA about to breach", t.label()),
            AlertKind::Unanswered => "customer waiting for a reply".into(),
            AlertKind::GroupOverdue => "client group: unanswered, overdue".into(),
            AlertKind::GroupWarning => "client group: answer due soon".into(),
        }
    }
}

/// A server SLA alert in one line: "SLA warning: #10042 first reply due
/// in 5m00s" / "SLA breach: #10042 first reply missed, 2m10s over ·
/// escalated: alert_lead".
pub fn server_alert_text(a: &shared::SlaAlert, now: Timestamp) -> String {
    let target = a.target.as_str().replace('_', " ");
    let gap = crate::sla::span((a.due.0 - now.0).unsigned_abs() / 1000);
    let mut s = match a.level {
        shared::SlaLevel::Warning if a.due.0 > now.0 => {
            format!("SLA warning: #{} {target} due in {gap}", a.number)
        }
        shared::SlaLevel::Warning => format!("SLA warning: #{} {target} due now", a.number),
        shared::SlaLevel::Breach if a.due.0 >= now.0 => {
            format!("SLA breach: #{} {target} missed just now", a.number)
        }
        shared::SlaLevel::Breach => {
            format!("SLA breach: #{} {target} missed, {gap} over", a.number)
        }
    };
    if !a.actions.is_empty() {
        s.push_str(&format!(" · escalated: {}", a.actions.join(", ")));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;
    use shared::{AgentId, QueueId};

    #[test]
    fn raises_rings_repeats_and_clears() {
        let s = AlertSettings::default();
        let mut m = mirror();
        let me = m.agents.get(&ME).cloned();
        // Waiting 3 minutes (over the 2-minute threshold), deadline in 10 minutes.
        let t = add_ticket(&mut m, 1, |t| t.waiting_since = Some(NOW.minus(180)));
        // Someone else's: out of scope.
        add_ticket(&mut m, 2, |t| {
            t.assignee = Some(AgentId(2));
            t.waiting_since = Some(NOW.minus(900));
        });
        let mut book = AlertBook::default();
        let keys = current(&m, me.as_ref(), &s, NOW);
        assert_eq!(
            keys,
            vec![AlertKey {
                subject: Subject::Ticket(t),
                kind: AlertKind::Unanswered,
                cause: NOW.minus(180)
            }]
        );
        assert_eq!(
            book.update(keys, NOW, s.repeat_ms),
            Scan {
                changed: true,
                ring: true
            }
        );
        // A second later: nothing new, no repeat yet.
        let later = NOW.plus(1);
        let scan = book.update(current(&m, me.as_ref(), &s, later), later, s.repeat_ms);
        assert_eq!(scan, Scan::default());
        // After `repeat`, it rings again until acknowledged.
        let later = NOW.plus(60);
        assert!(
            book.update(current(&m, me.as_ref(), &s, later), later, s.repeat_ms)
                .ring
        );
        assert_eq!(book.ack(None), 1);
        let later = NOW.plus(200);
        // Five minutes before the deadline (NOW+600) a warning comes, a new alert.
        let later2 = NOW.plus(301);
        assert!(
            !book
                .update(current(&m, me.as_ref(), &s, later), later, s.repeat_ms)
                .ring
        );
        let scan = book.update(current(&m, me.as_ref(), &s, later2), later2, s.repeat_ms);
        assert!(scan.ring);
        assert_eq!(book.worst(t), Some(AlertKind::Warning(Target::FirstReply)));
        // Breach, then the reply goes out: the alerts go away.
        let later3 = NOW.plus(601);
        book.update(current(&m, me.as_ref(), &s, later3), later3, s.repeat_ms);
        assert_eq!(book.worst(t), Some(AlertKind::Breached(Target::FirstReply)));
        let tk = m.tickets.get_mut(&t).unwrap();
        tk.waiting_since = None;
        tk.sla.first_reply_due = None;
        tk.sla.resolution_due = None;
        let scan = book.update(current(&m, me.as_ref(), &s, later3), later3, s.repeat_ms);
        assert!(scan.changed && !scan.ring);
        assert!(book.active.is_empty());
    }

    #[test]
    fn new_vip_and_security_tickets_alert_until_taken() {
        let s = AlertSettings::default();
        let mut m = mirror();
        let me = m.agents.get(&ME).cloned();
        let vip = add_customer(&mut m, 7, "Vip", true);
        let a = add_ticket(&mut m, 1, |t| {
            t.customer_id = vip;
            t.sla = Default::default();
        });
        let b = add_ticket(&mut m, 2, |t| {
            t.queue = QueueId::new("SECURITY");
            t.sla = Default::default();
        });
        let keys = current(
            &m,
            Some(&me.clone().unwrap()),
            &AlertSettings {
                scope: AlertScope::All,
                ..s.clone()
            },
            NOW,
        );
        assert_eq!(
            keys.iter().map(|k| (k.subject, k.kind)).collect::<Vec<_>>(),
            vec![
                (Subject::Ticket(a), AlertKind::Urgent),
                (Subject::Ticket(b), AlertKind::Urgent)
            ]
        );
        m.tickets.get_mut(&a).unwrap().assignee = Some(ME);
        let keys = current(
            &m,
            me.as_ref(),
            &AlertSettings {
                scope: AlertScope::All,
                ..s
            },
            NOW,
        );
        assert_eq!(keys.len(), 1);
    }

    #[test]
    fn client_groups_alert_when_overdue_or_about_to_be_until_acknowledged() {
        let mut m = mirror();
        add_groups(&mut m);
        let me = m.agents.get(&ME).cloned();
        let s = AlertSettings::default();
        let groups = |m: &Mirror| -> Vec<(Subject, AlertKind)> {
            current(m, me.as_ref(), &s, NOW)
                .into_iter()
                .filter(|k| matches!(k.subject, Subject::Group(_)))
                .map(|k| (k.subject, k.kind))
                .collect()
        };
        // 1: overdue; 2: due in 3 minutes (within the default warning
        // lead); 3: answered; 4: overdue but acknowledged.
        assert_eq!(
            groups(&m),
            [
                (Subject::Group(ConversationId(1)), AlertKind::GroupOverdue),
                (Subject::Group(ConversationId(2)), AlertKind::GroupWarning),
            ]
        );
        let mut book = AlertBook::default();
        let scan = book.update(current(&m, me.as_ref(), &s, NOW), NOW, 60_000);
        assert!(scan.ring);
        // Someone acknowledged it on the server: it is gone here too.
        m.conversations
            .get_mut(&ConversationId(1))
            .unwrap()
            .acked_by = Some(AgentId(2));
        assert_eq!(
            groups(&m),
            [(Subject::Group(ConversationId(2)), AlertKind::GroupWarning)]
        );
    }
}
