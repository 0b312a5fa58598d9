//! Who may read what, as stored: since when the restricted queues are as
//! configured, and the audit log of reads, exports, erasures and owner
//! changes.

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::{Db, StoreError, WriteCtx};

/// The seq at which the restricted queues last changed (0: never). A
/// client that synced at or before it may hold what it may no longer read.
pub fn changed_since(db: &impl Db) -> Result<Seq, StoreError> {
    Ok(Seq(db
        .conn()
        .prepare_cached("SELECT since_seq FROM access_config WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?
        .unwrap_or(0)))
}

/// Records the restricted queues' fingerprint; when it differs from the
/// stored one, it applies from the current head. Returns whether it did.
pub fn record_fingerprint(ctx: &WriteCtx<'_>, fingerprint: &str) -> Result<bool, StoreError> {
    let stored: Option<String> = ctx
        .conn
        .prepare_cached("SELECT fingerprint FROM access_config WHERE id = 1")?
        .query_row([], |r| r.get(0))
        .optional()?;
    if stored.as_deref() == Some(fingerprint) {
        return Ok(false);
    }
    ctx.conn
        .prepare_cached(
            "INSERT INTO access_config (id, fingerprint, since_seq) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET fingerprint = ?1, since_seq = ?2",
        )?
        .execute(params![fingerprint, ctx.mark().0])?;
    Ok(true)
}

/// Who did something the audit log keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Agent(AgentId),
    Customer(CustomerId),
    /// An operator at the server's command line.
    Cli,
    /// The server itself (retention).
    System,
}

/// An audit record as listed, with the names it refers to resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub entry: AuditEntry,
    /// The acting agent's login name.
    pub agent_name: Option<String>,
    pub ticket_number: Option<u64>,
    pub telegram_user_id: Option<i64>,
}

/// One audit record: who, what kind of access, on what. Never content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Timestamp,
    pub actor: Actor,
    /// `read_history`, `read_older`, `export`, `erase`, `assign`, `share`,
    /// `unshare`, `mydata`, `forgetme`.
    pub action: String,
    pub ticket: Option<TicketId>,
    pub customer: Option<CustomerId>,
    /// Ids and counts only (e.g. "to agent 3", "12 messages").
    pub detail: String,
}

impl Actor {
    fn parts(self) -> (&'static str, Option<i64>) {
        match self {
            Actor::Agent(a) => ("agent", Some(a.0)),
            Actor::Customer(c) => ("customer", Some(c.0)),
            Actor::Cli => ("cli", None),
            Actor::System => ("system", None),
        }
    }
}

/// Appends an audit record.
pub fn log(db: &impl Db, e: &AuditEntry) -> Result<(), StoreError> {
    let (kind, id) = e.actor.parts();
    db.conn()
        .prepare_cached(
            "INSERT INTO audit_log (at, actor_kind, actor_id, action, ticket_id, customer_id, detail)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            e.at.0,
            kind,
            id,
            e.action,
            e.ticket.map(|t| t.0),
            e.customer.map(|c| c.0),
            e.detail
        ])?;
    Ok(())
}

/// What to list from the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub since: Option<Timestamp>,
    /// An agent's login name.
    pub agent: Option<String>,
    pub telegram_user_id: Option<i64>,
    pub ticket_number: Option<u64>,
    pub action: Option<String>,
    pub limit: u32,
}

/// Audit records matching `q`, oldest first (the newest `q.limit`).
pub fn query(db: &impl Db, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
    let mut rows = db
        .conn()
        .prepare_cached(
            "SELECT l.at, l.actor_kind, l.actor_id, l.action, l.ticket_id, l.customer_id, l.detail,
                    a.name, t.number, c.telegram_user_id
             FROM audit_log l
             LEFT JOIN agents a ON l.actor_kind = 'agent' AND a.id = l.actor_id
             LEFT JOIN tickets t ON t.id = l.ticket_id
             LEFT JOIN customers c ON c.id = l.customer_id
             WHERE l.at >= ?1
               AND (?2 IS NULL OR a.name = ?2)
               AND (?3 IS NULL OR c.telegram_user_id = ?3)
               AND (?4 IS NULL OR t.number = ?4)
               AND (?5 IS NULL OR l.action = ?5)
             ORDER BY l.id DESC LIMIT ?6",
        )?
        .query_map(
            params![
                q.since.map_or(i64::MIN, |t| t.0),
                q.agent,
                q.telegram_user_id,
                q.ticket_number,
                q.action,
                q.limit
            ],
            |r| {
                let kind: String = r.get(1)?;
                let id: Option<i64> = r.get(2)?;
                let actor = match (kind.as_str(), id) {
                    ("agent", Some(a)) => Actor::Agent(AgentId(a)),
                    ("customer", Some(c)) => Actor::Customer(CustomerId(c)),
                    ("system", _) => Actor::System,
                    _ => Actor::Cli,
                };
                Ok(AuditRow {
                    entry: AuditEntry {
                        at: Timestamp(r.get(0)?),
                        actor,
                        action: r.get(3)?,
                        ticket: r.get::<_, Option<i64>>(4)?.map(TicketId),
                        customer: r.get::<_, Option<i64>>(5)?.map(CustomerId),
                        detail: r.get(6)?,
                    },
                    agent_name: r.get(7)?,
                    ticket_number: r.get(8)?,
                    telegram_user_id: r.get(9)?,
                })
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.reverse();
    Ok(rows)
}
