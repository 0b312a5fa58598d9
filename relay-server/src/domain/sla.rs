//! SLA deadlines as absolute times, derived from a ticket's state and its
//! queue's targets. Calendar time for now: business hours, pauses and
//! per-priority policies come with the routing work (issue 5).

use shared::{Queue, SlaDeadlines, Ticket, TicketStatus};

/// The deadlines a ticket has in its current state.
pub fn deadlines(t: &Ticket, queue: Option<&Queue>) -> SlaDeadlines {
    let Some(q) = queue else {
        return SlaDeadlines::default();
    };
    let active = matches!(t.status, TicketStatus::New | TicketStatus::Open);
    let finished = matches!(t.status, TicketStatus::Resolved | TicketStatus::Closed);
    SlaDeadlines {
        first_reply_due: (t.first_reply_at.is_none() && !finished)
            .then(|| t.created_at.plus_minutes(q.first_reply_minutes)),
        next_reply_due: match (t.first_reply_at, t.waiting_since) {
            (Some(_), Some(since)) if active => Some(since.plus_minutes(q.next_reply_minutes)),
            _ => None,
        },
        resolution_due: (!finished).then(|| t.created_at.plus_minutes(q.resolution_minutes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use shared::*;

    fn queue() -> Queue {
        Queue {
            id: QueueId::new("L1"),
            name: "L1".into(),
            first_reply_minutes: 15,
            next_reply_minutes: 30,
            resolution_minutes: 240,
        }
    }

    fn ticket() -> Ticket {
        Ticket {
            id: TicketId(1),
            number: 10001,
            customer_id: CustomerId(1),
            status: TicketStatus::New,
            queue: QueueId::new("L1"),
            priority: Priority::Normal,
            tags: vec![],
            assignee: None,
            topic: None,
            created_at: Timestamp(1_000_000),
            updated_at: Timestamp(1_000_000),
            first_reply_at: None,
            resolved_at: None,
            closed_at: None,
            waiting_since: Some(Timestamp(1_000_000)),
            sla: SlaDeadlines::default(),
            message_count: 1,
            last_message_id: Some(MessageId(1)),
            csat: None,
        }
    }

    #[test]
    fn new_ticket_owes_first_reply_and_resolution() {
        let d = deadlines(&ticket(), Some(&queue()));
        assert_eq!(d.first_reply_due, Some(Timestamp(1_000_000 + 15 * 60_000)));
        assert_eq!(d.next_reply_due, None);
        assert_eq!(d.resolution_due, Some(Timestamp(1_000_000 + 240 * 60_000)));
    }

    #[test]
    fn after_first_reply_the_next_reply_clock_runs_from_waiting_since() {
        let mut t = ticket();
        t.status = TicketStatus::Open;
        t.first_reply_at = Some(Timestamp(2_000_000));
        t.waiting_since = Some(Timestamp(3_000_000));
        let d = deadlines(&t, Some(&queue()));
        assert_eq!(d.first_reply_due, None);
        assert_eq!(d.next_reply_due, Some(Timestamp(3_000_000 + 30 * 60_000)));
    }

    #[test]
    fn pending_and_resolved_tickets_owe_no_reply() {
        let mut t = ticket();
        t.first_reply_at = Some(Timestamp(2_000_000));
        t.status = TicketStatus::PendingOnCustomer;
        assert_eq!(deadlines(&t, Some(&queue())).next_reply_due, None);
        t.status = TicketStatus::Resolved;
        assert_eq!(deadlines(&t, Some(&queue())), SlaDeadlines::default());
    }
}
