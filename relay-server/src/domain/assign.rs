//! Who holds a ticket. Capacity per agent (unresolved tickets held, kept
//! by a database trigger in `agents.holding`), presence, the returning
//! customer's previous engineer, least-loaded or round-robin per queue,
//! the overflow queue, reassignment when the assignee owes a reply too
//! long, and the backlog handed out as agents come online or free up.

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::commands::save_ticket;
use super::desk::Desk;
use super::dialogue::notify;
use super::queues::AssignMode;
use super::{DomainError, outbox};
use crate::store::WriteCtx;
use crate::store::rows;

/// An agent who could take a ticket now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: AgentId,
    pub holding: u32,
    pub capacity: u32,
    /// When they were last given a ticket (ms), for ties.
    pub last_assigned_at: Option<i64>,
}

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

/// Online agents of `queue` under capacity, by id.
pub fn candidates(
    conn: &rusqlite::Connection,
    queue: &QueueId,
) -> Result<Vec<Candidate>, DomainError> {
    // Queue ids are [A-Za-z0-9_-], so the quoted id matches exactly one
    // element of the JSON array.
    Ok(conn
        .prepare_cached(
            "SELECT id, holding, capacity, last_assigned_at FROM agents
             WHERE removed_at IS NULL AND presence = 'online' AND holding < capacity
               AND instr(queues, ?1) > 0
             ORDER BY id",
        )?
        .query_map([format!("\"{queue}\"")], |r| {
            Ok(Candidate {
                id: AgentId(r.get(0)?),
                holding: r.get(1)?,
                capacity: r.get(2)?,
                last_assigned_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Whether someone online works `queue` (all of them full, when there
/// are no candidates).
fn anyone_online(conn: &rusqlite::Connection, queue: &QueueId) -> Result<bool, DomainError> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM agents WHERE removed_at IS NULL AND presence = 'online'
                            AND instr(queues, ?1) > 0)",
        )?
        .query_row([format!("\"{queue}\"")], |r| r.get(0))?)
}

/// The engineer of the customer's latest earlier ticket, if any.
fn previous_engineer(ctx: &WriteCtx<'_>, t: &Ticket) -> Result<Option<AgentId>, DomainError> {
    Ok(ctx
        .conn
        .prepare_cached(
            "SELECT assignee FROM tickets WHERE customer_id = ?1 AND id < ?2 AND assignee IS NOT NULL
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(params![t.customer_id.0, t.id.0], |r| r.get::<_, i64>(0))
        .optional()?
        .map(AgentId))
}

fn cursor(ctx: &WriteCtx<'_>, queue: &QueueId) -> Result<Option<AgentId>, DomainError> {
    Ok(ctx
        .conn
        .prepare_cached("SELECT last_agent FROM queue_cursors WHERE queue = ?1")?
        .query_row([queue.as_str()], |r| r.get::<_, i64>(0))
        .optional()?
        .map(AgentId))
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
        let (name, holding, capacity): (String, u32, u32) = ctx
            .conn
            .prepare_cached(
                "SELECT name, holding, capacity FROM agents WHERE id = ?1 AND removed_at IS NULL",
            )?
            .query_row([a.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?
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
        ctx.conn
            .prepare_cached("UPDATE agents SET last_assigned_at = ?2 WHERE id = ?1")?
            .execute(params![a.0, ctx.now.0])?;
        ctx.conn
            .prepare_cached(
                "INSERT INTO queue_cursors (queue, last_agent) VALUES (?1, ?2)
                 ON CONFLICT (queue) DO UPDATE SET last_agent = ?2",
            )?
            .execute(params![ticket.queue.as_str(), a.0])?;
    }
    ctx.conn
        .prepare_cached("UPDATE tickets SET assigned_at = ?2 WHERE id = ?1")?
        .execute(params![ticket.id.0, to.map(|_| ctx.now.0)])?;
    let from = std::mem::replace(&mut ticket.assignee, to);
    save_ticket(
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

/// Adds an internal note from the desk to a ticket's thread.
pub fn desk_note(
    ctx: &mut WriteCtx<'_>,
    desk: &Desk,
    t: &mut Ticket,
    text: &str,
) -> Result<(), DomainError> {
    outbox::bot_entry(ctx, &desk.queues, t, MessageKind::Note, text, None).map(|_| ())
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
    save_ticket(ctx, &desk.queues, t, None, change)?;
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
    let cands = candidates(ctx.conn, &t.queue)?;
    let previous = previous_engineer(ctx, t)?;
    let chosen = choose(
        q.assignment,
        &cands,
        previous,
        cursor(ctx, &t.queue)?,
        exclude,
    );
    let full = chosen.is_none()
        && cands.iter().all(|c| Some(c.id) == exclude)
        && anyone_online(ctx.conn, &t.queue)?;
    Ok((chosen, full))
}

/// When the assignee of `t` loses it for not replying: the queue's
/// `reassign_after` of business time after they got it or the customer
/// last wrote, whichever is later, while a reply is owed.
pub fn schedule_reassign(
    ctx: &WriteCtx<'_>,
    queues: &super::queues::Queues,
    t: &Ticket,
) -> Result<(), DomainError> {
    let at = match (
        t.assignee,
        t.waiting_since,
        queues
            .config(&t.queue)
            .and_then(|q| q.reassign_after_ms.map(|ms| (q, ms))),
    ) {
        (Some(_), Some(since), Some((q, after)))
            if matches!(t.status, TicketStatus::New | TicketStatus::Open) =>
        {
            let assigned: Option<i64> = ctx
                .conn
                .prepare_cached("SELECT assigned_at FROM tickets WHERE id = ?1")?
                .query_row([t.id.0], |r| r.get(0))?;
            let from = Timestamp(assigned.unwrap_or(since.0).max(since.0));
            Some(q.calendar.add_business(from, after).0)
        }
        _ => None,
    };
    ctx.conn
        .prepare_cached(
            "UPDATE tickets SET reassign_at = ?2 WHERE id = ?1 AND reassign_at IS NOT ?2",
        )?
        .execute(params![t.id.0, at])?;
    Ok(())
}

/// Reassigns tickets whose assignee owed a reply past the queue's limit.
/// With nobody else to take it, the assignee keeps it and the limit
/// starts again. Returns how many moved.
pub fn reassign_due(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let due: Vec<i64> = ctx
        .conn
        .prepare_cached(
            "SELECT id FROM tickets WHERE reassign_at <= ?1 ORDER BY reassign_at LIMIT 100",
        )?
        .query_map([ctx.now.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let mut moved = 0;
    for id in due {
        let Some(mut t) = rows::load_ticket(ctx, TicketId(id))? else {
            continue;
        };
        let Some(from) = t.assignee else {
            schedule_reassign(ctx, &desk.queues, &t)?;
            continue;
        };
        let after = desk
            .queues
            .config(&t.queue)
            .and_then(|q| q.reassign_after_ms)
            .unwrap_or_default();
        let q = t.queue.clone();
        let cands = candidates(ctx.conn, &q)?;
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
            cursor(ctx, &q)?,
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
                ctx.conn
                    .prepare_cached("UPDATE tickets SET assigned_at = ?2 WHERE id = ?1")?
                    .execute(params![t.id.0, ctx.now.0])?;
                schedule_reassign(ctx, &desk.queues, &t)?;
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
        let room: u32 = candidates(ctx.conn, &q.wire.id)?
            .iter()
            .map(|c| c.capacity - c.holding)
            .sum();
        if room == 0 {
            continue;
        }
        let waiting: Vec<i64> = ctx
            .conn
            .prepare_cached(
                "SELECT t.id FROM tickets t JOIN customers c ON c.id = t.customer_id
                 WHERE t.queue = ?1 AND t.assignee IS NULL AND t.status IN ('new', 'open')
                 ORDER BY t.priority = 'critical' DESC, c.vip DESC,
                          coalesce(t.waiting_since, t.created_at), t.topic, t.id
                 LIMIT ?2",
            )?
            .query_map(params![q.wire.id.as_str(), room], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in waiting {
            let Some(mut t) = rows::load_ticket(ctx, TicketId(id))? else {
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

/// The staff chat gets `text`, when one is configured.
pub fn staff_post(ctx: &mut WriteCtx<'_>, desk: &Desk, text: &str) -> Result<(), DomainError> {
    match desk.rules.staff_chat {
        Some(chat) => outbox::to_chat(ctx, chat, text, None),
        None => Ok(()),
    }
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
