//! Presence: online while a workstation is connected (unless the agent
//! switched to away), offline when the last one closes. An agent offline
//! longer than the grace period has their unresolved tickets handed back
//! to their queues; an agent coming online picks up the backlog.

use shared::*;

use super::DomainError;
use super::assign;
use super::desk::Desk;
use super::outbox::desk_note;
use crate::store::{self, Db, WriteCtx, rows};

/// An active agent's presence as stored.
fn current(ctx: &WriteCtx<'_>, agent: AgentId) -> Result<Presence, DomainError> {
    store::agents::presence(ctx, agent)?
        .and_then(|p| Presence::parse(&p))
        .ok_or_else(|| DomainError::not_found(format!("agent {agent} does not exist")))
}

/// Sets an agent's presence; appends `presence_changed` when it changed.
/// Returns whether it changed.
pub fn set(ctx: &mut WriteCtx<'_>, agent: AgentId, to: Presence) -> Result<bool, DomainError> {
    if current(ctx, agent)? == to {
        return Ok(false);
    }
    store::agents::set_presence(ctx, agent, to)?;
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
    let ids = store::agents::not_offline(ctx)?;
    for id in &ids {
        set(ctx, *id, Presence::Offline)?;
    }
    Ok(ids.len())
}

/// When the first offline agent's tickets are due back in their queues
/// (`return_offline`'s look-ahead).
pub fn next_return(db: &impl Db, desk: &Desk) -> Result<Option<Timestamp>, DomainError> {
    Ok(store::agents::first_offline_holding(db)?.map(|gone| gone + desk.rules.offline_grace))
}

/// Hands the tickets of agents offline past the grace period back to
/// their queues (an internal note says why). Returns how many tickets.
pub fn return_offline(ctx: &mut WriteCtx<'_>, desk: &Desk) -> Result<usize, DomainError> {
    let gone = store::agents::offline_holding(ctx, ctx.now - desk.rules.offline_grace)?;
    let mut n = 0;
    for (agent, name) in gone {
        for id in store::tickets::held_by(ctx, agent)? {
            let Some(mut t) = rows::load_ticket(ctx, id)? else {
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
