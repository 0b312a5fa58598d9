//! Who holds a ticket. Capacity per agent (unresolved tickets held, kept
//! by a database trigger in `agents.holding`), presence, the returning
//! customer's previous engineer, least-loaded or round-robin per queue,
//! the overflow queue, reassignment when the assignee owes a reply too
//! long, and the backlog handed out as agents come online or free up.

use shared::*;

use super::desk::Desk;
use super::notify;
use super::outbox::desk_note;
use super::queues::AssignMode;
use super::{DomainError, ticket};
use crate::store::{self, Db, WriteCtx, rows};

pub use crate::store::agents::Candidate;

/// The pure choice among `candidates` (online, serving the queue, under
/// capacity; sorted by id). `previous`: the customer's previous engineer;
/// `cursor`: the agent the queue's round-robin gave the last ticket to;
/// `exclude`: an agent who must not get it (reassignment).
pub fn choose(
    mode: AssignMode,
    candidates: &[Candidate],
    previous: Option<AgentId>,
    cursor: Option<AgentId>,
    exclude: Option<AgentId>,
) -> Option<AgentId> {
    if mode == AssignMode::Manual {
        return None;
    }
    let open = |c: &&Candidate| Some(c.id) != exclude && c.holding < c.capacity;
    if let Some(p) = previous
        && candidates.iter().filter(open).any(|c| c.id == p)
    {
        return Some(p);
    }
    match mode {
        AssignMode::LeastLoaded => candidates
            .iter()
            .filter(open)
            .min_by_key(|c| (c.holding, c.last_assigned_at.unwrap_or(i64::MIN), c.id))
            .map(|c| c.id),
        AssignMode::RoundRobin => {
            let after = cursor.map_or(i64::MIN, |a| a.0);
            let mut open = candidates.iter().filter(open);
            let first = open.clone().next().map(|c| c.id);
            open.find(|c| c.id.0 > after).map(|c| c.id).or(first)
        }
        AssignMode::Manual => None,
    }
}

/// Gives the ticket to `to` (or takes it from its assignee with `None`),
/// refusing an agent at capacity. `by`: who did it (`None`: the desk).
pub fn set_assignee(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    ticket: &mut Ticket,
    to: Option<AgentId>,
    by: Option<AgentId>,
) -> Result<(), DomainError> {
    if ticket.assignee == to {
        return Ok(());
    }
    if let Some(a) = to {
        let (name, holding, capacity) = store::agents::load_of(ctx, a)?
            .ok_or_else(|| DomainError::not_found(format!("agent {a} does not exist")))?;
        let unresolved = matches!(
            ticket.status,
            TicketStatus::New | TicketStatus::Open | TicketStatus::PendingOnCustomer
        );
        if unresolved && holding >= capacity {
            return Err(DomainError::conflict(format!(
                "{name} is at capacity ({holding} of {capacity} chats)"
            )));
        }
        store::agents::note_assigned(ctx, a, &ticket.queue)?;
    }
    store::tickets::set_assigned_at(ctx, ticket.id, to.map(|_| ctx.now))?;
    let from = std::mem::replace(&mut ticket.assignee, to);
    ticket::save(
        ctx,
        &desk.queues,
        ticket,
        by,
        TicketChange::Assignee { from, to },
    )?;
    if let (None, Some(to)) = (from, to) {
        notify::assigned(ctx, desk, ticket, to)?;
    }
    Ok(())
}

/// Assigns an unassigned ticket automatically, when its queue does:
/// the customer's previous engineer if online and under capacity, else by
/// the queue's mode. When every online agent of the queue is full and the
/// queue has an overflow queue, the ticket moves there (once) and is
/// tried again. Returns the agent chosen.
pub fn auto_assign(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    exclude: Option<AgentId>,
) -> Result<Option<AgentId>, DomainError> {
    if !desk.rules.auto_assign || !matches!(t.status, TicketStatus::New | TicketStatus::Open) {
        return Ok(None);
    }
    for hop in 0..2 {
        let Some(q) = desk.queues.config(&t.queue) else {
            return Ok(None);
        };
        let (chosen, full) = decide(ctx, desk, t, exclude)?;
        if let Some(a) = chosen {
            set_assignee(ctx, desk, t, Some(a), None)?;
            return Ok(Some(a));
        }
        match (&q.overflow, hop, t.assignee) {
            (Some(over), 0, None) if full && q.assignment != AssignMode::Manual => {
                let note = format!(
                    "Overflow: every online agent of {} is at capacity.",
                    t.queue
                );
                move_queue(ctx, desk, t, over, &note)?;
            }
            _ => return Ok(None),
        }
    }
    Ok(None)
}

/// Moves a ticket to another queue by the desk's own rules, with the
/// reason in the `queue` change and as an internal note.
pub fn move_queue(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    to: &QueueId,
    note: &str,
) -> Result<(), DomainError> {
    let from = std::mem::replace(&mut t.queue, to.clone());
    let change = TicketChange::Queue {
        from,
        to: to.clone(),
        note: Some(note.to_owned()),
    };
    ticket::save(ctx, &desk.queues, t, None, change)?;
    desk_note(ctx, desk, t, note)
}

/// The decision alone: who gets `t` in its queue now, and whether the
/// queue is full (agents online, none with room).
pub fn decide(
    ctx: &WriteCtx<'_>,
    desk: &Desk,
    t: &Ticket,
    exclude: Option<AgentId>,
) -> Result<(Option<AgentId>, bool), DomainError> {
    let Some(q) = desk.queues.config(&t.queue) else {
        return Ok((None, false));
    };
    let cands = store::agents::candidates(ctx, &t.queue)?;
    let previous = store::tickets::previous_assignee(ctx, t.customer_id, t.id)?;
    let chosen = choose(
        q.assignment,
        &cands,
        previous,
        store::agents::cursor(ctx, &t.queue)?,
        exclude,
    );
    let full = chosen.is_none()
        && cands.iter().all(|c| Some(c.id) == exclude)
        && store::agents::anyone_online(ctx, &t.queue)?;
    Ok((chosen, full))
}

/// When the next unanswered ticket is due to move (`reassign_due`'s
/// look-ahead).
pub fn next_reassign(db: &impl Db) -> Result<Option<Timestamp>, DomainError> {
    Ok(store::tickets::next_reassign(db)?)
}

/// Reassigns tickets whose assignee owed a reply past the queue's limit.
/// With nobody else to take it, the assignee keeps it and the limit
/// starts again. Returns how many moved.
pub fn reassign_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let due = store::tickets::reassign_due(ctx, ctx.now, 100)?;
    let mut moved = 0;
    for id in due {
        let Some(mut t) = rows::load_ticket(ctx, id)? else {
            continue;
        };
        let Some(from) = t.assignee else {
            ticket::schedule_reassign(ctx, &desk.queues, &t)?;
            continue;
        };
        let after = desk
            .queues
            .config(&t.queue)
            .and_then(|q| q.reassign_after)
            .unwrap_or_default();
        let q = t.queue.clone();
        let cands = store::agents::candidates(ctx, &q)?;
        let mode = desk
            .queues
            .config(&q)
            .map_or(AssignMode::Manual, |c| c.assignment);
        let to = choose(
            if mode == AssignMode::Manual {
                AssignMode::LeastLoaded
            } else {
                mode
            },
            &cands,
            None,
            store::agents::cursor(ctx, &q)?,
            Some(from),
        );
        let name = |ctx: &WriteCtx<'_>, a: AgentId| -> Result<String, DomainError> {
            Ok(rows::load_agent(ctx, a)?.map_or_else(|| a.to_string(), |a| a.display_name))
        };
        match to {
            Some(to) => {
                // Out of the old assignee's hands first, so capacity is counted right.
                set_assignee(ctx, desk, &mut t, None, None)?;
                set_assignee(ctx, desk, &mut t, Some(to), None)?;
                let note = format!(
                    "Reassigned from {} to {}: no reply within {} of business time.",
                    name(ctx, from)?,
                    name(ctx, to)?,
                    super::hours::short(after)
                );
                desk_note(ctx, desk, &mut t, &note)?;
                moved += 1;
            }
            None => {
                store::tickets::set_assigned_at(ctx, t.id, Some(ctx.now))?;
                ticket::schedule_reassign(ctx, &desk.queues, &t)?;
            }
        }
    }
    Ok(moved)
}

/// Hands out unassigned tickets of auto-assigning queues to online agents
/// with room, in queue order (critical, VIP, longest waiting, topic).
pub fn backlog(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    if !desk.rules.auto_assign {
        return Ok(0);
    }
    let mut given = 0;
    for q in desk.queues.configs() {
        if q.assignment == AssignMode::Manual {
            continue;
        }
        let room: u32 = store::agents::candidates(ctx, &q.wire.id)?
            .iter()
            .map(|c| c.capacity - c.holding)
            .sum();
        if room == 0 {
            continue;
        }
        for id in store::tickets::unassigned(ctx, &q.wire.id, room)? {
            let Some(mut t) = rows::load_ticket(ctx, id)? else {
                continue;
            };
            match auto_assign(ctx, desk, &mut t, None)? {
                Some(_) => given += 1,
                None => break,
            }
        }
    }
    Ok(given)
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: i64, holding: u32, capacity: u32, last: Option<i64>) -> Candidate {
        Candidate {
            id: AgentId(id),
            holding,
            capacity,
            last_assigned_at: last,
        }
    }

    #[test]
    fn least_loaded_prefers_the_previous_engineer_then_the_emptiest() {
        let cands = [
            c(1, 3, 5, Some(10)),
            c(2, 1, 5, Some(20)),
            c(3, 1, 5, Some(5)),
        ];
        let ll = AssignMode::LeastLoaded;
        assert_eq!(
            choose(ll, &cands, Some(AgentId(1)), None, None),
            Some(AgentId(1))
        );
        // Ties on load go to whoever waited longest for a ticket.
        assert_eq!(choose(ll, &cands, None, None, None), Some(AgentId(3)));
        assert_eq!(
            choose(ll, &cands, Some(AgentId(9)), None, Some(AgentId(3))),
            Some(AgentId(2))
        );
        assert_eq!(
            choose(AssignMode::Manual, &cands, Some(AgentId(1)), None, None),
            None
        );
        let full = [c(1, 5, 5, None)];
        assert_eq!(choose(ll, &full, Some(AgentId(1)), None, None), None);
    }

    #[test]
    fn round_robin_goes_round() {
        let cands = [c(2, 0, 5, None), c(5, 4, 5, None), c(7, 0, 5, None)];
        let rr = AssignMode::RoundRobin;
        assert_eq!(choose(rr, &cands, None, None, None), Some(AgentId(2)));
        assert_eq!(
            choose(rr, &cands, None, Some(AgentId(2)), None),
            Some(AgentId(5))
        );
        assert_eq!(
            choose(rr, &cands, None, Some(AgentId(5)), None),
            Some(AgentId(7))
        );
        assert_eq!(
            choose(rr, &cands, None, Some(AgentId(7)), None),
            Some(AgentId(2))
        );
        assert_eq!(
            choose(rr, &cands, None, Some(AgentId(5)), Some(AgentId(7))),
            Some(AgentId(2))
        );
    }
}
