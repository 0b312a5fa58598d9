//! Records for tests (feature `fixtures`; agent-tui's fixtures build on
//! them).

use crate::*;

/// Ticket `id` (number 10000 + id) of customer 1 in L1: new, normal,
/// unassigned, waiting since 1, no deadlines.
pub fn ticket(id: i64) -> Ticket {
    Ticket {
        id: TicketId(id),
        number: 10000 + id as u64,
        customer_id: CustomerId(1),
        status: TicketStatus::New,
        queue: QueueId::new("L1"),
        priority: Priority::Normal,
        tags: vec![],
        assignee: None,
        topic: None,
        created_at: Timestamp(1),
        updated_at: Timestamp(2),
        first_reply_at: None,
        resolved_at: None,
        closed_at: None,
        waiting_since: Some(Timestamp(1)),
        sla: SlaDeadlines::default(),
        message_count: 0,
        last_message_id: None,
        csat: None,
    }
}
