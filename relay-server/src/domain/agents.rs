//! Agent administration: add, list, remove, and tokens. A token is shown
//! once; only its SHA-256 is stored.

use shared::*;

use super::desk::Desk;
use super::queues::Queues;
use super::{DomainError, validate};
use crate::store::{self, Db, WriteCtx, rows};

/// Hash under which a token is stored and looked up.
pub fn token_hash(token: &str) -> String {
    super::sha256_hex(token)
}

/// A fresh random token: `rst_` and 48 hex digits (192 bits).
pub fn new_token() -> Result<String, DomainError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| DomainError::new(ErrorCode::Internal, format!("no randomness: {e}")))?;
    Ok(format!(
        "rst_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    ))
}

/// A new agent's details.
#[derive(Debug, Clone)]
pub struct NewAgent {
    pub name: String,
    pub display_name: Option<String>,
    pub role: Role,
    pub queues: Vec<QueueId>,
    pub capacity: u32,
}

impl NewAgent {
    /// A supervisor working every configured queue (demo, benchmarks).
    pub fn supervisor(name: &str, display_name: Option<&str>, queues: &Queues) -> Self {
        NewAgent {
            name: name.to_owned(),
            display_name: display_name.map(str::to_owned),
            role: Role::Supervisor,
            queues: queues.all().iter().map(|q| q.id.clone()).collect(),
            capacity: 10,
        }
    }
}

/// Adds an agent; returns it with its token (shown once).
pub fn add(
    ctx: &mut WriteCtx<'_>,
    queues: &Queues,
    new: &NewAgent,
) -> Result<(Agent, String), DomainError> {
    validate::agent_name(&new.name)?;
    let display = new.display_name.clone().unwrap_or_else(|| new.name.clone());
    validate::display_name(&display)?;
    for q in &new.queues {
        if queues.get(q).is_none() {
            let known: Vec<&str> = queues.all().iter().map(|q| q.id.as_str()).collect();
            return Err(DomainError::not_found(format!(
                "queue {q} is not configured (known: {})",
                known.join(", ")
            )));
        }
    }
    if new.capacity == 0 || new.capacity > 100 {
        return Err(DomainError::invalid(
            "capacity must be between 1 and 100 chats",
        ));
    }
    if store::agents::name_taken(ctx, &new.name)? {
        return Err(DomainError::conflict(format!(
            "an agent named {} already exists",
            new.name
        )));
    }
    let token = new_token()?;
    let id = store::agents::insert(
        ctx,
        &store::agents::NewAgentRow {
            name: &new.name,
            display_name: &display,
            role: new.role,
            queues: &new.queues,
            capacity: new.capacity,
            token_hash: &token_hash(&token),
        },
    )?;
    let agent =
        rows::load_agent(ctx, id)?.ok_or_else(|| DomainError::not_found("agent vanished"))?;
    ctx.append(Event::AgentUpserted {
        agent: agent.clone(),
    })?;
    Ok((agent, token))
}

/// Finds an active agent by login name.
pub fn by_name(db: &impl Db, name: &str) -> Result<Agent, DomainError> {
    store::agents::by_name(db, name)?
        .ok_or_else(|| DomainError::not_found(format!("no agent named {name}")))
}

/// Replaces an agent's token; the old one stops working at once (open
/// connections are closed). Returns the new token.
pub fn rotate_token(ctx: &mut WriteCtx<'_>, name: &str) -> Result<String, DomainError> {
    let agent = by_name(ctx, name)?;
    let token = new_token()?;
    store::agents::set_token_hash(ctx, agent.id, &token_hash(&token))?;
    ctx.append(Event::AgentUpserted { agent })?;
    Ok(token)
}

/// Removes an agent: the token stops working, their tickets go back to the
/// queue unassigned. Returns how many tickets were unassigned.
pub fn remove(ctx: &mut WriteCtx<'_>, desk: &Desk, name: &str) -> Result<u32, DomainError> {
    let agent = by_name(ctx, name)?;
    store::agents::mark_removed(ctx, agent.id)?;
    let ids = store::tickets::assigned_to(ctx, agent.id)?;
    for id in &ids {
        if let Some(mut t) = rows::load_ticket(ctx, *id)? {
            super::assign::set_assignee(ctx, desk, &mut t, None, None)?;
        }
    }
    ctx.append(Event::AgentRemoved { agent_id: agent.id })?;
    Ok(ids.len() as u32)
}
