//! Queue tabs and the order of tickets in them, computed from the mirror.

use relay_client::Mirror;
use shared::{Agent, MessageKind, Priority, QueueId, Role, Ticket, TicketId, TicketStatus};

/// A tab of the queue screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueTab {
    /// Assigned to me.
    Mine,
    /// Nobody's yet, in queues I serve (every queue for supervisors).
    Unassigned,
    Queue(QueueId),
    /// Everything I can see, resolved tickets included.
    All,
}

impl QueueTab {
    pub fn title(&self) -> String {
        match self {
            QueueTab::Mine => "Mine".into(),
            QueueTab::Unassigned => "Unassigned".into(),
            QueueTab::Queue(q) => q.to_string(),
            QueueTab::All => "All".into(),
        }
    }
}

/// The tabs for this agent: Mine, Unassigned, one per queue, All.
pub fn tabs(mirror: &Mirror) -> Vec<QueueTab> {
    let mut t = vec![QueueTab::Mine, QueueTab::Unassigned];
    t.extend(mirror.queues.iter().map(|q| QueueTab::Queue(q.id.clone())));
    t.push(QueueTab::All);
    t
}

/// Whether the ticket is still being worked (not resolved or closed).
pub fn active(t: &Ticket) -> bool {
    matches!(
        t.status,
        TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
    )
}

/// Whether `me` serves the ticket's queue.
pub fn serves(me: Option<&Agent>, t: &Ticket) -> bool {
    me.is_none_or(|a| a.role == Role::Supervisor || a.queues.contains(&t.queue))
}

pub fn in_tab(tab: &QueueTab, me: Option<&Agent>, t: &Ticket) -> bool {
    match tab {
        QueueTab::Mine => active(t) && me.is_some_and(|a| t.assignee == Some(a.id)),
        QueueTab::Unassigned => active(t) && t.assignee.is_none() && serves(me, t),
        QueueTab::Queue(q) => active(t) && &t.queue == q,
        QueueTab::All => true,
    }
}

/// The queue order: critical > VIP > longest waiting > topic, then number.
/// Resolved tickets go last.
pub fn order_key<'a>(
    mirror: &Mirror,
    t: &'a Ticket,
) -> (bool, bool, bool, i64, bool, &'a str, u64) {
    let vip = mirror.customers.get(&t.customer_id).is_some_and(|c| c.vip);
    (
        !active(t),
        t.priority != Priority::Critical,
        !vip,
        t.waiting_since.map_or(i64::MAX, |w| w.0),
        t.topic.is_none(),
        t.topic.as_deref().unwrap_or_default(),
        t.number,
    )
}

/// The tickets of `tab`, in queue order.
pub fn rows(mirror: &Mirror, me: Option<&Agent>, tab: &QueueTab) -> Vec<TicketId> {
    let mut v: Vec<(_, TicketId)> = mirror
        .tickets
        .values()
        .filter(|t| in_tab(tab, me, t))
        .map(|t| (order_key(mirror, t), t.id))
        .collect();
    v.sort_unstable();
    v.into_iter().map(|(_, id)| id).collect()
}

/// How many tickets each tab holds, in one pass.
pub fn counts(mirror: &Mirror, me: Option<&Agent>, tabs: &[QueueTab]) -> Vec<usize> {
    let mut n = vec![0; tabs.len()];
    for t in mirror.tickets.values() {
        for (i, tab) in tabs.iter().enumerate() {
            if in_tab(tab, me, t) {
                n[i] += 1;
            }
        }
    }
    n
}

/// Customer messages after my read marker.
pub fn unread(mirror: &Mirror, ticket: TicketId) -> usize {
    let read = mirror.read.get(&ticket).copied();
    mirror.messages.get(&ticket).map_or(0, |ms| {
        ms.values()
            .rev()
            .take_while(|m| read.is_none_or(|r| m.id > r))
            .filter(|m| m.kind == MessageKind::Inbound)
            .count()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::*;

    #[test]
    fn orders_critical_then_vip_then_longest_waiting_then_topic() {
        let mut m = mirror();
        add_ticket(&mut m, 1, |t| t.waiting_since = Some(NOW.minus(60)));
        add_ticket(&mut m, 2, |t| t.waiting_since = Some(NOW.minus(600)));
        add_ticket(&mut m, 3, |t| {
            t.waiting_since = Some(NOW.minus(10));
            t.priority = Priority::Critical;
        });
        add_ticket(&mut m, 4, |_| {});
        let vip = add_customer(&mut m, 99, "Vip", true);
        m.tickets.get_mut(&TicketId(4)).unwrap().customer_id = vip;
        add_ticket(&mut m, 5, |t| t.topic = Some("account".into()));
        add_ticket(&mut m, 6, |t| t.topic = None);
        add_ticket(&mut m, 7, |t| t.status = TicketStatus::Resolved);
        let order: Vec<i64> = rows(&m, None, &QueueTab::All).iter().map(|t| t.0).collect();
        assert_eq!(order, vec![3, 4, 2, 1, 5, 6, 7]);
        let active: Vec<i64> = rows(&m, None, &QueueTab::Unassigned)
            .iter()
            .map(|t| t.0)
            .collect();
        assert_eq!(active, vec![3, 4, 2, 1, 5, 6]);
    }
}
