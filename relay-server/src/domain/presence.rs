//! Presence: online while a workstation is connected (unless the agent
//! switched to away), offline when the last one closes. An agent offline
//! longer than the grace period has their unresolved tickets handed back
//! to their queues; an agent coming online picks up the backlog.

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::DomainError;
use super::assign::{self, desk_note};
use super::desk::Desk;
use crate::store::WriteCtx;
use crate::store::rows;

/// An active agent's presence as stored.
fn current(ctx: &WriteCtx<'_>, agent: AgentId) -> Result<Presence, DomainError> {
    let p: Option<String> = ctx
        .conn
        .prepare_cached("SELECT presence FROM agents WHERE id = ?1 AND removed_at IS NULL")?
        .query_row([agent.0], |r| r.get(0))
        .optional()?;
    p.and_then(|p| Presence::parse(&p))
        .ok_or_else(|| DomainError::not_found(format!("agent {agent} does not exist")))
}

/// Sets an agent's presence; appends `presence_changed` when it changed.
/// Returns whether it changed.
pub fn set(ctx: &mut WriteCtx<'_>, agent: AgentId, to: Presence) -> Result<bool, DomainError> {
    if current(ctx, agent)? == to {
        return Ok(false);
    }
    ctx.conn
        .prepare_cached("UPDATE agents SET presence = ?2, presence_at = ?3 WHERE id = ?1")?
        .execute(params![agent.0, to.as_str(), ctx.now.0])?;
    ctx.append(Event::PresenceChanged {
        agent_id: agent,
        presence: to,
    })?;
    Ok(true)
}

/// A workstation of `agent` connected: offline becomes online (an agent
/// who chose away stays away).
pub fn connected(ctx: &mut WriteCtx<'_>, agent: AgentId) -> Result<bool, DomainError> {
    match current(ctx, agent)? {
        Presence::Offline => set(ctx, agent, Presence::Online),
        _ => Ok(false),
    }
}

/// The server starts: nobody is connected yet. Agents who do not come
/// back within the grace period lose their tickets as usual.
pub fn all_offline(ctx: &mut WriteCtx<'_>) -> Result<usize, DomainError> {
    let ids: Vec<i64> = ctx
        .conn
        .prepare("SELECT id FROM agents WHERE removed_at IS NULL AND presence <> 'offline'")?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for id in &ids {
        set(ctx, AgentId(*id), Presence::Offline)?;
    }
    Ok(ids.len())
}

/// Hands the tickets of agents offline past the grace period back to
/// their queues (an internal note says why). Returns how many tickets.
pub fn return_offline(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let gone: Vec<(i64, String)> = ctx
        .conn
        .prepare_cached(
            "SELECT id, display_name FROM agents WHERE removed_at IS NULL AND presence = 'offline'
               AND holding > 0 AND coalesce(presence_at, 0) <= ?1",
        )?
        .query_map([ctx.now.0 - desk.rules.offline_grace_ms], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<_, _>>()?;
    let mut n = 0;
    for (agent, name) in gone {
        let tickets: Vec<i64> = ctx
            .conn
            .prepare_cached(
                "SELECT id FROM tickets WHERE assignee = ?1
                   AND status IN ('new', 'open', 'pending_on_customer') ORDER BY id",
            )?
            .query_map([agent], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for id in tickets {
            let Some(mut t) = rows::load_ticket(ctx, TicketId(id))? else {
                continue;
            };
            assign::set_assignee(ctx, desk, &mut t, None, None)?;
            desk_note(
                ctx,
                desk,
                &mut t,
                &format!("Back to the queue: {name} went offline."),
            )?;
            n += 1;
        }
    }
    Ok(n)
}
