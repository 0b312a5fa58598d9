//! A ticket's own floor: saving a change with its SLA clocks brought in
//! line, its reassignment deadline moved and `ticket_updated` appended,
//! and closing. Every rule that changes a ticket saves it through here.

use shared::*;

use super::DomainError;
use super::queues::Queues;
use super::sla;
use crate::store::{self, WriteCtx, rows};

/// Closes a ticket for the desk or the customer (`by: null`): closed and,
/// if it was not yet, resolved now; nobody owes a reply any more.
pub fn close(ctx: &mut WriteCtx<'_>, queues: &Queues, t: &mut Ticket) -> Result<(), DomainError> {
    let from = t.status;
    t.status = TicketStatus::Closed;
    t.closed_at = Some(ctx.now);
    t.resolved_at.get_or_insert(ctx.now);
    t.waiting_since = None;
    let change = TicketChange::Status {
        from,
        to: TicketStatus::Closed,
    };
    save(ctx, queues, t, None, change)
}

/// Saves a changed ticket with its SLA clocks brought in line, the
/// reassignment limit moved, and appends `ticket_updated`.
pub fn save(
    ctx: &mut WriteCtx<'_>,
    queues: &Queues,
    ticket: &mut Ticket,
    by: Option<AgentId>,
    change: TicketChange,
) -> Result<(), DomainError> {
    ticket.updated_at = ctx.now;
    // A resolved or closed ticket that comes back to life counts on its
    // assignee's load again: if they are full, it goes back to its queue
    // (where someone with room gets it) rather than over their capacity.
    if let TicketChange::Status { from, to } = &change
        && matches!(from, TicketStatus::Resolved | TicketStatus::Closed)
        && matches!(
            to,
            TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
        )
        && let Some(agent) = ticket.assignee
        && let Some((_, holding, capacity)) = store::agents::load_of(ctx, agent)?
        && holding >= capacity
    {
        ticket.assignee = None;
    }
    sla::track(ctx, queues, ticket)?;
    rows::save_ticket(ctx, ticket)?;
    if let TicketChange::Status { from, to } = &change {
        store::tickets::set_status_since(ctx, ticket.id)?;
        store::tickets::log_status(ctx, ticket.id, *from, *to, by)?;
    }
    schedule_reassign(ctx, queues, ticket)?;
    ctx.append(Event::TicketUpdated {
        ticket: ticket.clone(),
        by,
        change,
    })?;
    Ok(())
}

/// When the assignee of `t` loses it for not replying: the queue's
/// `reassign_after` of business time after they got it or the customer
/// last wrote, whichever is later, while a reply is owed.
pub fn schedule_reassign(
    ctx: &WriteCtx<'_>,
    queues: &Queues,
    t: &Ticket,
) -> Result<(), DomainError> {
    let at = match (
        t.assignee,
        t.waiting_since,
        queues
            .config(&t.queue)
            .and_then(|q| q.reassign_after.map(|after| (q, after))),
    ) {
        (Some(_), Some(since), Some((q, after)))
            if matches!(t.status, TicketStatus::New | TicketStatus::Open) =>
        {
            let assigned = store::tickets::assigned_at(ctx, t.id)?;
            let from = assigned.unwrap_or(since).max(since);
            Some(q.calendar.add_business(from, after))
        }
        _ => None,
    };
    store::tickets::set_reassign_at(ctx, t.id, at)?;
    Ok(())
}
