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
        shared_with: vec![],
    }
}

/// Customer `id` (Telegram user 5000 + id), "Ann", English.
pub fn customer(id: i64) -> Customer {
    Customer {
        id: CustomerId(id),
        telegram_user_id: 5000 + id,
        first_name: "Ann".into(),
        last_name: None,
        username: None,
        language: Some("en".into()),
        time_zone: None,
        vip: false,
        consent_at: None,
        blocked: false,
        created_at: Timestamp(1),
    }
}

/// Inbound message `id` of ticket 1 from customer 1, "hello".
pub fn message(id: i64) -> Message {
    Message {
        id: MessageId(id),
        ticket_id: TicketId(1),
        kind: MessageKind::Inbound,
        author: Author::Customer { id: CustomerId(1) },
        text: "hello".into(),
        attachments: vec![],
        telegram_message_id: None,
        created_at: Timestamp(1),
        edited_at: None,
        delivery: None,
    }
}
