//! The agents table: support engineers, their tokens' hashes, queues,
//! capacity and presence.

use rusqlite::{OptionalExtension, params};
use shared::{Agent, AgentId, Presence, QueueId, Role, Timestamp};

use super::rows::AGENT_COLS;
use super::{Db, StoreError, WriteCtx};

/// Login names of the supervisors (leads), oldest first.
pub fn supervisor_names(db: &impl Db) -> Result<Vec<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT name FROM agents WHERE role = 'supervisor' AND removed_at IS NULL ORDER BY id",
        )?
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// An agent who could take a ticket now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Candidate {
    pub id: AgentId,
    pub holding: u32,
    pub capacity: u32,
    /// When they were last given a ticket (ms), for ties.
    pub last_assigned_at: Option<i64>,
}

/// Queue ids are [A-Za-z0-9_-], so the quoted id matches exactly one
/// element of an agent's JSON array of queues.
fn quoted(queue: &QueueId) -> String {
    format!("\"{queue}\"")
}

/// Online agents of `queue` under capacity, by id.
pub fn candidates(db: &impl Db, queue: &QueueId) -> Result<Vec<Candidate>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id, holding, capacity, last_assigned_at FROM agents
             WHERE removed_at IS NULL AND presence = 'online' AND holding < capacity
               AND instr(queues, ?1) > 0
             ORDER BY id",
        )?
        .query_map([quoted(queue)], |r| {
            Ok(Candidate {
                id: AgentId(r.get(0)?),
                holding: r.get(1)?,
                capacity: r.get(2)?,
                last_assigned_at: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?)
}

/// Whether someone online works `queue`.
pub fn anyone_online(db: &impl Db, queue: &QueueId) -> Result<bool, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM agents WHERE removed_at IS NULL AND presence = 'online'
                            AND instr(queues, ?1) > 0)",
        )?
        .query_row([quoted(queue)], |r| r.get(0))?)
}

/// An active agent's name, unresolved tickets held and capacity.
pub fn load_of(db: &impl Db, agent: AgentId) -> Result<Option<(String, u32, u32)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT name, holding, capacity FROM agents WHERE id = ?1 AND removed_at IS NULL",
        )?
        .query_row([agent.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?)
}

/// `agent` was just given a ticket of `queue` (least-loaded ties and the
/// queue's round-robin cursor).
pub fn note_assigned(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    queue: &QueueId,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE agents SET last_assigned_at = ?2 WHERE id = ?1")?
        .execute(params![agent.0, ctx.now.0])?;
    ctx.conn
        .prepare_cached(
            "INSERT INTO queue_cursors (queue, last_agent) VALUES (?1, ?2)
             ON CONFLICT (queue) DO UPDATE SET last_agent = ?2",
        )?
        .execute(params![queue.as_str(), agent.0])?;
    Ok(())
}

/// The agent the queue's round-robin gave the last ticket to.
pub fn cursor(db: &impl Db, queue: &QueueId) -> Result<Option<AgentId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT last_agent FROM queue_cursors WHERE queue = ?1")?
        .query_row([queue.as_str()], |r| r.get::<_, i64>(0))
        .optional()?
        .map(AgentId))
}

/// An active agent's presence as stored (`None`: no such agent).
pub fn presence(db: &impl Db, agent: AgentId) -> Result<Option<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT presence FROM agents WHERE id = ?1 AND removed_at IS NULL")?
        .query_row([agent.0], |r| r.get(0))
        .optional()?)
}

pub fn set_presence(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    presence: Presence,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("UPDATE agents SET presence = ?2, presence_at = ?3 WHERE id = ?1")?
        .execute(params![agent.0, presence.as_str(), ctx.now.0])?;
    Ok(())
}

/// Active agents not offline.
pub fn not_offline(db: &impl Db) -> Result<Vec<AgentId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT id FROM agents WHERE removed_at IS NULL AND presence <> 'offline'")?
        .query_map([], |r| r.get(0).map(AgentId))?
        .collect::<Result<_, _>>()?)
}

/// Agents offline since `before` or earlier who still hold tickets:
/// (id, display name).
pub fn offline_holding(
    db: &impl Db,
    before: Timestamp,
) -> Result<Vec<(AgentId, String)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id, display_name FROM agents WHERE removed_at IS NULL AND presence = 'offline'
               AND holding > 0 AND coalesce(presence_at, 0) <= ?1",
        )?
        .query_map([before.0], |r| Ok((AgentId(r.get(0)?), r.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The earliest an offline agent still holding tickets went offline.
pub fn first_offline_holding(db: &impl Db) -> Result<Option<Timestamp>, StoreError> {
    super::rows::earliest(
        db,
        "SELECT min(coalesce(presence_at, 0)) FROM agents
         WHERE removed_at IS NULL AND presence = 'offline' AND holding > 0",
        [],
    )
}

/// Whether an active agent has this login name.
pub fn name_taken(db: &impl Db, name: &str) -> Result<bool, StoreError> {
    Ok(db.conn().query_row(
        "SELECT count(*) > 0 FROM agents WHERE name = ?1 AND removed_at IS NULL",
        [name],
        |r| r.get(0),
    )?)
}

/// A new agent's row.
pub struct NewAgentRow<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub role: Role,
    pub queues: &'a [QueueId],
    pub capacity: u32,
    pub token_hash: &'a str,
}

/// Inserts an agent; returns its id.
pub fn insert(ctx: &WriteCtx<'_>, a: &NewAgentRow<'_>) -> Result<AgentId, StoreError> {
    ctx.conn.execute(
        "INSERT INTO agents (name, display_name, role, queues, capacity, token_hash, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            a.name,
            a.display_name,
            a.role.as_str(),
            serde_json::to_string(a.queues)?,
            a.capacity,
            a.token_hash,
            ctx.now.0
        ],
    )?;
    Ok(AgentId(ctx.conn.last_insert_rowid()))
}

/// An active agent by login name.
pub fn by_name(db: &impl Db, name: &str) -> Result<Option<Agent>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE name = ?1 AND removed_at IS NULL"
        ))?
        .query_row([name], super::rows::agent)
        .optional()?)
}

pub fn set_token_hash(ctx: &WriteCtx<'_>, agent: AgentId, hash: &str) -> Result<(), StoreError> {
    ctx.conn.execute(
        "UPDATE agents SET token_hash = ?2 WHERE id = ?1",
        params![agent.0, hash],
    )?;
    Ok(())
}

/// The agent is gone: removed now, its token no longer works.
pub fn mark_removed(ctx: &WriteCtx<'_>, agent: AgentId) -> Result<(), StoreError> {
    ctx.conn.execute(
        "UPDATE agents SET removed_at = ?2, token_hash = NULL WHERE id = ?1",
        params![agent.0, ctx.now.0],
    )?;
    Ok(())
}

/// Active agents who may answer the queue (supervisors and its agents).
pub fn serving(db: &impl Db, queue: &QueueId) -> Result<u64, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT count(*) FROM agents WHERE removed_at IS NULL
               AND (role = 'supervisor' OR EXISTS (SELECT 1 FROM json_each(agents.queues) WHERE value = ?1))",
        )?
        .query_row([queue.as_str()], |r| r.get(0))?)
}
