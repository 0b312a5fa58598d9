//! Mapping between SQLite rows and the wire records, and the small lookups
//! every part of the domain needs.

use rusqlite::{OptionalExtension, Row, params};
use shared::*;

use super::{Db, StoreError};

pub const TICKET_COLS: &str = "id, number, customer_id, status, queue, priority, tags, assignee, topic, \
     created_at, updated_at, first_reply_at, resolved_at, closed_at, waiting_since, \
     first_reply_due, next_reply_due, resolution_due, message_count, last_message_id, csat, \
     update_due, sla_targets, shared_with";

pub const MESSAGE_COLS: &str = "id, ticket_id, kind, author_kind, author_id, text, attachments, \
     telegram_message_id, created_at, edited_at, delivery_state, delivery_reason, delivery_updated_at";

pub const CUSTOMER_COLS: &str = "id, telegram_user_id, first_name, last_name, username, language, \
     time_zone, vip, consent_at, blocked, created_at";

pub const AGENT_COLS: &str = "id, name, display_name, role, queues, capacity, presence";

fn ts(v: Option<i64>) -> Option<Timestamp> {
    v.map(Timestamp)
}

/// The one time a query of the form `SELECT min(...)` answers, if any:
/// what the scheduler's look-ahead asks each table.
pub(crate) fn earliest(
    db: &impl Db,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Option<Timestamp>, StoreError> {
    Ok(ts(db
        .conn()
        .prepare_cached(sql)?
        .query_row(params, |r| r.get::<_, Option<i64>>(0))
        .optional()?
        .flatten()))
}

pub(crate) fn corrupt(what: &str, value: &str) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        0,
        rusqlite::types::Type::Text,
        format!("bad {what}: {value:?}").into(),
    )
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(
    row: &Row<'_>,
    idx: usize,
) -> rusqlite::Result<T> {
    let s: String = row.get(idx)?;
    serde_json::from_str(&s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub fn ticket(row: &Row<'_>) -> rusqlite::Result<Ticket> {
    let status: String = row.get(3)?;
    let priority: String = row.get(5)?;
    Ok(Ticket {
        id: TicketId(row.get(0)?),
        number: row.get(1)?,
        customer_id: CustomerId(row.get(2)?),
        status: TicketStatus::parse(&status).ok_or_else(|| corrupt("status", &status))?,
        queue: QueueId(row.get(4)?),
        priority: Priority::parse(&priority).ok_or_else(|| corrupt("priority", &priority))?,
        tags: json_col(row, 6)?,
        assignee: row.get::<_, Option<i64>>(7)?.map(AgentId),
        topic: row.get(8)?,
        created_at: Timestamp(row.get(9)?),
        updated_at: Timestamp(row.get(10)?),
        first_reply_at: ts(row.get(11)?),
        resolved_at: ts(row.get(12)?),
        closed_at: ts(row.get(13)?),
        waiting_since: ts(row.get(14)?),
        sla: SlaDeadlines {
            first_reply_due: ts(row.get(15)?),
            next_reply_due: ts(row.get(16)?),
            resolution_due: ts(row.get(17)?),
            update_due: ts(row.get(21)?),
            targets: json_col(row, 22)?,
        },
        message_count: row.get(18)?,
        last_message_id: row.get::<_, Option<i64>>(19)?.map(MessageId),
        csat: row.get(20)?,
        shared_with: json_col(row, 23)?,
    })
}

pub fn message(row: &Row<'_>) -> rusqlite::Result<Message> {
    let kind: String = row.get(2)?;
    let author_kind: String = row.get(3)?;
    let author_id: Option<i64> = row.get(4)?;
    let author = match (author_kind.as_str(), author_id) {
        ("customer", Some(id)) => Author::Customer { id: CustomerId(id) },
        ("agent", Some(id)) => Author::Agent { id: AgentId(id) },
        ("bot", _) => Author::Bot,
        _ => return Err(corrupt("author", &author_kind)),
    };
    let delivery = match row.get::<_, Option<String>>(10)? {
        Some(state) => Some(Delivery {
            state: DeliveryState::parse(&state).ok_or_else(|| corrupt("delivery state", &state))?,
            reason: row.get(11)?,
            updated_at: Timestamp(row.get::<_, Option<i64>>(12)?.unwrap_or_default()),
        }),
        None => None,
    };
    Ok(Message {
        id: MessageId(row.get(0)?),
        ticket_id: TicketId(row.get(1)?),
        kind: match kind.as_str() {
            "inbound" => MessageKind::Inbound,
            "outbound" => MessageKind::Outbound,
            "note" => MessageKind::Note,
            _ => return Err(corrupt("message kind", &kind)),
        },
        author,
        text: row.get(5)?,
        attachments: json_col(row, 6)?,
        telegram_message_id: row.get(7)?,
        created_at: Timestamp(row.get(8)?),
        edited_at: ts(row.get(9)?),
        delivery,
    })
}

pub fn customer(row: &Row<'_>) -> rusqlite::Result<Customer> {
    Ok(Customer {
        id: CustomerId(row.get(0)?),
        telegram_user_id: row.get(1)?,
        first_name: row.get(2)?,
        last_name: row.get(3)?,
        username: row.get(4)?,
        language: row.get(5)?,
        time_zone: row.get(6)?,
        vip: row.get(7)?,
        consent_at: ts(row.get(8)?),
        blocked: row.get(9)?,
        created_at: Timestamp(row.get(10)?),
    })
}

pub fn agent(row: &Row<'_>) -> rusqlite::Result<Agent> {
    let role: String = row.get(3)?;
    Ok(Agent {
        id: AgentId(row.get(0)?),
        name: row.get(1)?,
        display_name: row.get(2)?,
        role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        queues: json_col(row, 4)?,
        capacity: row.get(5)?,
        presence: {
            let p: String = row.get(6)?;
            Presence::parse(&p).ok_or_else(|| corrupt("presence", &p))?
        },
    })
}

pub fn macro_row(row: &Row<'_>) -> rusqlite::Result<Macro> {
    Ok(Macro {
        id: MacroId(row.get(0)?),
        shortcut: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
        owner: row.get::<_, Option<i64>>(4)?.map(AgentId),
        translations: {
            let json: String = row.get(5)?;
            serde_json::from_str(&json).map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(5, rusqlite::types::Type::Text, e.into())
            })?
        },
    })
}

/// A global macro by its shortcut.
pub fn global_macro(db: &impl Db, shortcut: &str) -> Result<Option<Macro>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(
            "SELECT id, shortcut, title, body, owner, translations FROM macros
             WHERE shortcut = ?1 AND owner IS NULL ORDER BY id LIMIT 1",
        )?
        .query_row([shortcut], macro_row)
        .optional()?)
}

pub fn load_ticket(db: &impl Db, id: TicketId) -> Result<Option<Ticket>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!("SELECT {TICKET_COLS} FROM tickets WHERE id = ?1"))?
        .query_row([id.0], ticket)
        .optional()?)
}

pub fn load_message(db: &impl Db, id: MessageId) -> Result<Option<Message>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {MESSAGE_COLS} FROM messages WHERE id = ?1"
        ))?
        .query_row([id.0], message)
        .optional()?)
}

pub fn load_customer(db: &impl Db, id: CustomerId) -> Result<Option<Customer>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {CUSTOMER_COLS} FROM customers WHERE id = ?1"
        ))?
        .query_row([id.0], customer)
        .optional()?)
}

/// An agent that has not been removed.
pub fn load_agent(db: &impl Db, id: AgentId) -> Result<Option<Agent>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE id = ?1 AND removed_at IS NULL"
        ))?
        .query_row([id.0], agent)
        .optional()?)
}

/// The agent a token belongs to, by the token's hash.
pub fn agent_by_token_hash(db: &impl Db, hash: &str) -> Result<Option<Agent>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {AGENT_COLS} FROM agents WHERE token_hash = ?1 AND removed_at IS NULL"
        ))?
        .query_row([hash], agent)
        .optional()?)
}

/// Writes every mutable column of a ticket back.
pub fn save_ticket(db: &impl Db, t: &Ticket) -> Result<(), StoreError> {
    let conn = db.conn();
    let tags = serde_json::to_string(&t.tags)?;
    let n = conn
        .prepare_cached(
            "UPDATE tickets SET status = ?2, queue = ?3, priority = ?4, tags = ?5, assignee = ?6, topic = ?7,
                 updated_at = ?8, first_reply_at = ?9, resolved_at = ?10, closed_at = ?11, waiting_since = ?12,
                 first_reply_due = ?13, next_reply_due = ?14, resolution_due = ?15, message_count = ?16,
                 last_message_id = ?17, csat = ?18, update_due = ?19, sla_targets = ?20,
                 shared_with = ?21
             WHERE id = ?1",
        )?
        .execute(params![
            t.id.0,
            t.status.as_str(),
            t.queue.0,
            t.priority.as_str(),
            tags,
            t.assignee.map(|a| a.0),
            t.topic,
            t.updated_at.0,
            t.first_reply_at.map(|v| v.0),
            t.resolved_at.map(|v| v.0),
            t.closed_at.map(|v| v.0),
            t.waiting_since.map(|v| v.0),
            t.sla.first_reply_due.map(|v| v.0),
            t.sla.next_reply_due.map(|v| v.0),
            t.sla.resolution_due.map(|v| v.0),
            t.message_count,
            t.last_message_id.map(|v| v.0),
            t.csat,
            t.sla.update_due.map(|v| v.0),
            serde_json::to_string(&t.sla.targets)?,
            serde_json::to_string(&t.shared_with)?,
        ])?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::NotFound(format!("ticket {}", t.id)))
    }
}

/// A message to insert.
pub struct NewMessage<'a> {
    pub ticket_id: TicketId,
    pub kind: MessageKind,
    pub author: Author,
    pub text: &'a str,
    pub attachments: &'a [Attachment],
    pub telegram_message_id: Option<i64>,
    pub delivery: Option<DeliveryState>,
}

pub fn insert_message(
    db: &impl Db,
    m: &NewMessage<'_>,
    now: Timestamp,
) -> Result<Message, StoreError> {
    let conn = db.conn();
    let (author_kind, author_id) = match m.author {
        Author::Customer { id } => ("customer", Some(id.0)),
        Author::Agent { id } => ("agent", Some(id.0)),
        Author::Bot => ("bot", None),
    };
    conn.prepare_cached(
        "INSERT INTO messages (ticket_id, kind, author_kind, author_id, text, attachments,
             telegram_message_id, created_at, delivery_state, delivery_updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        m.ticket_id.0,
        m.kind.as_str(),
        author_kind,
        author_id,
        m.text,
        serde_json::to_string(m.attachments)?,
        m.telegram_message_id,
        now.0,
        m.delivery.map(|d| d.as_str()),
        m.delivery.map(|_| now.0),
    ])?;
    let id = MessageId(conn.last_insert_rowid());
    Ok(Message {
        id,
        ticket_id: m.ticket_id,
        kind: m.kind,
        author: m.author,
        text: m.text.to_owned(),
        attachments: m.attachments.to_vec(),
        telegram_message_id: m.telegram_message_id,
        created_at: now,
        edited_at: None,
        delivery: m.delivery.map(|state| Delivery {
            state,
            reason: None,
            updated_at: now,
        }),
    })
}

/// A file an engineer uploaded to send to a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub id: String,
    pub agent_id: AgentId,
    pub file_name: String,
    pub mime_type: Option<String>,
    pub size: u64,
}

pub fn insert_upload(db: &impl Db, u: &Upload, now: Timestamp) -> Result<(), StoreError> {
    let conn = db.conn();
    conn.prepare_cached(
        "INSERT INTO uploads (id, agent_id, file_name, mime_type, size, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        u.id,
        u.agent_id.0,
        u.file_name,
        u.mime_type,
        u.size as i64,
        now.0
    ])?;
    Ok(())
}

/// An upload was sent with message `message`.
pub fn upload_sent(db: &impl Db, id: &str, message: MessageId) -> Result<(), StoreError> {
    let conn = db.conn();
    conn.prepare_cached("UPDATE uploads SET message_id = ?2 WHERE id = ?1")?
        .execute(params![id, message.0])?;
    Ok(())
}

/// Whether an upload was sent already.
pub fn upload_is_sent(db: &impl Db, id: &str) -> Result<bool, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached("SELECT message_id IS NOT NULL FROM uploads WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// How many of an agent's uploads wait to be sent.
pub fn uploads_waiting(db: &impl Db, agent: AgentId) -> Result<u64, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached("SELECT count(*) FROM uploads WHERE agent_id = ?1 AND message_id IS NULL")?
        .query_row([agent.0], |r| r.get::<_, i64>(0))?
        .max(0) as u64)
}

/// Forgets uploads never sent and older than `before`; returns their ids
/// (their files are to be removed).
pub fn drop_stale_uploads(db: &impl Db, before: Timestamp) -> Result<Vec<String>, StoreError> {
    let conn = db.conn();
    let ids: Vec<String> = conn
        .prepare_cached("SELECT id FROM uploads WHERE message_id IS NULL AND created_at < ?1")?
        .query_map([before.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    conn.prepare_cached("DELETE FROM uploads WHERE message_id IS NULL AND created_at < ?1")?
        .execute([before.0])?;
    Ok(ids)
}

pub fn load_upload(db: &impl Db, id: &str) -> Result<Option<Upload>, StoreError> {
    let conn = db.conn();
    Ok(conn
        .prepare_cached(
            "SELECT id, agent_id, file_name, mime_type, size FROM uploads WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(Upload {
                id: r.get(0)?,
                agent_id: AgentId(r.get(1)?),
                file_name: r.get(2)?,
                mime_type: r.get(3)?,
                size: r.get::<_, i64>(4)?.max(0) as u64,
            })
        })
        .optional()?)
}

/// The ticket of a message carrying the attachment `file_id`, with the
/// attachment (the newest such message when several do).
pub fn attachment(
    db: &impl Db,
    file_id: &str,
) -> Result<Option<(TicketId, Attachment)>, StoreError> {
    let conn = db.conn();
    // LIKE narrows cheaply (its `_` wildcard only widens the match);
    // json_each makes it exact.
    let found: Option<(i64, String)> = conn
        .prepare_cached(
            "SELECT m.ticket_id, j.value FROM messages m, json_each(m.attachments) j
             WHERE m.attachments LIKE '%' || ?1 || '%'
               AND json_extract(j.value, '$.file_id') = ?1
             ORDER BY m.id DESC LIMIT 1",
        )?
        .query_row([file_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    match found {
        Some((ticket, json)) => Ok(Some((TicketId(ticket), serde_json::from_str(&json)?))),
        None => Ok(None),
    }
}
