//! What agents' commands left behind: each applied command's answer under
//! its id (so a retry gets the same answer), and read markers.

use rusqlite::{OptionalExtension, params};
use shared::{AgentId, CommandId, Seq, TicketId};

use super::{Db, StoreError, WriteCtx};

/// An applied command as recorded.
pub struct Recorded {
    /// Its fingerprint (`None`: recorded before fingerprints were kept).
    pub fingerprint: Option<String>,
    pub seq: Option<Seq>,
    /// Its answer, as JSON.
    pub result: String,
}

pub fn record(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    id: &CommandId,
    fingerprint: &str,
    seq: Option<Seq>,
    result_json: &str,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO applied_commands (agent_id, command_id, command, seq, result, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            agent.0,
            id.0,
            fingerprint,
            seq.map(|s| s.0),
            result_json,
            ctx.now.0
        ])?;
    Ok(())
}

pub fn recorded(
    db: &impl Db,
    agent: AgentId,
    id: &CommandId,
) -> Result<Option<Recorded>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT command, seq, result FROM applied_commands WHERE agent_id = ?1 AND command_id = ?2",
        )?
        .query_row(params![agent.0, id.0], |r| {
            Ok(Recorded {
                fingerprint: r.get(0)?,
                seq: r.get::<_, Option<u64>>(1)?.map(Seq),
                result: r.get(2)?,
            })
        })
        .optional()?)
}

/// The last message the agent has read on the ticket.
pub fn read_marker(
    db: &impl Db,
    agent: AgentId,
    ticket: TicketId,
) -> Result<Option<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT last_read FROM read_markers WHERE agent_id = ?1 AND ticket_id = ?2",
        )?
        .query_row(params![agent.0, ticket.0], |r| r.get(0))
        .optional()?)
}

pub fn set_read_marker(
    ctx: &WriteCtx<'_>,
    agent: AgentId,
    ticket: TicketId,
    up_to: i64,
) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached(
            "INSERT INTO read_markers (agent_id, ticket_id, last_read) VALUES (?1, ?2, ?3)
             ON CONFLICT (agent_id, ticket_id) DO UPDATE SET last_read = excluded.last_read",
        )?
        .execute(params![agent.0, ticket.0, up_to])?;
    Ok(())
}
