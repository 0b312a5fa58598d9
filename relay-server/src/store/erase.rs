//! Forgetting: a customer's data erased on request, and tickets removed or
//! anonymized by retention. Rows go; events that carried their data are
//! rewritten as `withheld` (the log keeps its seqs, so clients resume as
//! before, but the text is gone); what other tickets said about the
//! customer by name is pseudonymised.

use rusqlite::{OptionalExtension, params};
use shared::*;

use super::{Db, StoreError, WriteCtx};

/// What forgetting tickets removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forgotten {
    pub tickets: Vec<TicketId>,
    pub messages: u64,
    /// Events rewritten as `withheld`.
    pub events: u64,
    /// File ids of the attachments of the messages removed (for the file
    /// cache and the uploads directory).
    pub files: Vec<String>,
}

/// Every ticket of a customer, closed ones included.
pub fn tickets_of(db: &impl Db, customer: CustomerId) -> Result<Vec<TicketId>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT id FROM tickets WHERE customer_id = ?1 ORDER BY id")?
        .query_map([customer.0], |r| r.get(0).map(TicketId))?
        .collect::<Result<_, _>>()?)
}

/// The Telegram chats a customer's tickets and dialogue used.
pub fn chats_of(db: &impl Db, customer: CustomerId) -> Result<Vec<i64>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT chat_id FROM tickets WHERE customer_id = ?1
             UNION SELECT chat_id FROM conversations WHERE customer_id = ?1",
        )?
        .query_map([customer.0], |r| r.get(0))?
        .collect::<Result<_, _>>()?)
}

/// The `withheld` body that replaces an event's.
const TOMBSTONE: &str =
    r#"json_object('seq', seq, 'at', at, 'event', json_object('kind', 'withheld'))"#;

/// Counts what forgetting `tickets` would remove, changing nothing.
pub fn count(db: &impl Db, tickets: &[TicketId]) -> Result<Forgotten, StoreError> {
    let mut out = Forgotten {
        tickets: tickets.to_vec(),
        ..Default::default()
    };
    for t in tickets {
        let (m, e): (u64, u64) = db.conn().prepare_cached(
            "SELECT (SELECT count(*) FROM messages WHERE ticket_id = ?1),
                    (SELECT count(*) FROM events WHERE ticket_id = ?1 AND instr(body, '\"kind\":\"withheld\"') = 0)",
        )?
        .query_row([t.0], |r| Ok((r.get(0)?, r.get(1)?)))?;
        out.messages += m;
        out.events += e;
        out.files.extend(files_of(db, *t)?);
    }
    Ok(out)
}

fn files_of(db: &impl Db, ticket: TicketId) -> Result<Vec<String>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT json_extract(a.value, '$.file_id') FROM messages m, json_each(m.attachments) a
             WHERE m.ticket_id = ?1",
        )?
        .query_map([ticket.0], |r| r.get::<_, Option<String>>(0))?
        .filter_map(|r| r.transpose())
        .collect::<Result<_, _>>()?)
}

/// Deletes `tickets` with their messages and everything hanging off them,
/// and rewrites their events as `withheld`. Open ones are closed first, so
/// their assignees' load stays right.
pub fn forget_tickets(ctx: &WriteCtx<'_>, tickets: &[TicketId]) -> Result<Forgotten, StoreError> {
    let out = count(ctx, tickets)?;
    let conn = ctx.conn;
    for t in tickets {
        let id = t.0;
        conn.prepare_cached(
            "UPDATE tickets SET status = 'closed' WHERE id = ?1 AND status <> 'closed'",
        )?
        .execute([id])?;
        conn.prepare_cached(&format!(
            "UPDATE events SET body = {TOMBSTONE} WHERE ticket_id = ?1 AND instr(body, '\"kind\":\"withheld\"') = 0"
        ))?
        .execute([id])?;
        for sql in [
            "DELETE FROM outbox WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?1)",
            "DELETE FROM uploads WHERE message_id IN (SELECT id FROM messages WHERE ticket_id = ?1)",
            "DELETE FROM scheduled WHERE ticket_id = ?1",
            "DELETE FROM sla_clocks WHERE ticket_id = ?1",
            "DELETE FROM ticket_log WHERE ticket_id = ?1",
            "DELETE FROM read_markers WHERE ticket_id = ?1",
            "DELETE FROM automation_runs WHERE ticket_id = ?1",
            "DELETE FROM messages WHERE ticket_id = ?1",
            "DELETE FROM tickets WHERE id = ?1",
        ] {
            conn.prepare_cached(sql)?.execute([id])?;
        }
    }
    Ok(out)
}

/// Empties the texts and attachments of `tickets`' messages (the tickets
/// stay, for the figures), and rewrites their message events as `withheld`.
pub fn anonymize_tickets(
    ctx: &WriteCtx<'_>,
    tickets: &[TicketId],
) -> Result<Forgotten, StoreError> {
    let mut out = count(ctx, tickets)?;
    let conn = ctx.conn;
    out.events = 0;
    for t in tickets {
        out.events += conn
            .prepare_cached(&format!(
                "UPDATE events SET body = {TOMBSTONE}
                 WHERE ticket_id = ?1 AND instr(body, '\"kind\":\"withheld\"') = 0
                   AND (instr(body, '\"kind\":\"message_added\"') OR instr(body, '\"kind\":\"message_updated\"'))"
            ))?
            .execute([t.0])? as u64;
        conn.prepare_cached(
            "UPDATE messages SET text = '', attachments = '[]' WHERE ticket_id = ?1",
        )?
        .execute([t.0])?;
        conn.prepare_cached("DELETE FROM scheduled WHERE ticket_id = ?1")?
            .execute([t.0])?;
    }
    Ok(out)
}

/// What erasing a customer removed besides their tickets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerRows {
    /// Rows of the dialogue, drafts, notices, sends, self-service answers
    /// and stored Telegram updates.
    pub rows: u64,
    /// Events about the customer record rewritten as `withheld`.
    pub events: u64,
    /// Messages of other tickets where their name was replaced.
    pub mentions: Vec<MessageId>,
}

/// Deletes the customer and every row about them that is not a ticket's
/// (call [`forget_tickets`] first). `names`: how others may have written
/// their name (full name, @username), replaced by `pseudonym` in other
/// tickets' messages and events.
pub fn forget_customer(
    ctx: &WriteCtx<'_>,
    customer: CustomerId,
    telegram_user_id: i64,
    names: &[String],
    pseudonym: &str,
) -> Result<CustomerRows, StoreError> {
    let conn = ctx.conn;
    let mut out = CustomerRows::default();
    let chats = chats_of(ctx, customer)?;
    for chat in chats.iter().copied().chain([telegram_user_id]) {
        for sql in [
            "DELETE FROM drafts WHERE chat_id = ?1",
            "DELETE FROM notices WHERE chat_id = ?1",
            "DELETE FROM chat_sends WHERE chat_id = ?1",
            "DELETE FROM outbox WHERE chat_id = ?1",
            "DELETE FROM conversations WHERE chat_id = ?1",
        ] {
            out.rows += conn.prepare_cached(sql)?.execute([chat])? as u64;
        }
    }
    for sql in [
        "DELETE FROM self_service WHERE customer_id = ?1",
        "DELETE FROM consent_log WHERE customer_id = ?1",
        "DELETE FROM experiment_assignments WHERE customer_id = ?1",
        "DELETE FROM customer_prefs WHERE customer_id = ?1",
    ] {
        out.rows += conn.prepare_cached(sql)?.execute([customer.0])? as u64;
    }
    out.rows += forget_person(ctx, telegram_user_id)?;
    out.events += conn
        .prepare_cached(&format!(
            "UPDATE events SET body = {TOMBSTONE}
             WHERE customer_id = ?1 AND instr(body, '\"kind\":\"withheld\"') = 0"
        ))?
        .execute([customer.0])? as u64;
    conn.prepare_cached("DELETE FROM customers WHERE id = ?1")?
        .execute([customer.0])?;
    for name in names.iter().filter(|n| n.chars().count() >= 3) {
        let ids: Vec<MessageId> = conn
            .prepare_cached(
                "UPDATE messages SET text = replace(text, ?1, ?2) WHERE instr(text, ?1) RETURNING id",
            )?
            .query_map(params![name, pseudonym], |r| r.get(0).map(MessageId))?
            .collect::<Result<_, _>>()?;
        for id in ids {
            if !out.mentions.contains(&id) {
                out.mentions.push(id);
            }
        }
        // Names as they are in stored JSON (quotes and backslashes escaped).
        let json = serde_json::to_string(name)?;
        let json = &json[1..json.len() - 1];
        let pseudo = serde_json::to_string(pseudonym)?;
        let pseudo = &pseudo[1..pseudo.len() - 1];
        conn.prepare_cached(
            "UPDATE events SET body = replace(body, ?1, ?2)
             WHERE instr(body, ?1) AND instr(body, '\"kind\":\"message_')",
        )?
        .execute(params![json, pseudo])?;
    }
    Ok(out)
}

/// Files to delete and the WAL to empty after an erasure (done outside
/// the transaction: by the server, or by the CLI right after).
pub fn add_followup(ctx: &WriteCtx<'_>, files: &[String]) -> Result<(), StoreError> {
    ctx.conn
        .prepare_cached("INSERT INTO erasure_followups (files, created_at) VALUES (?1, ?2)")?
        .execute(params![serde_json::to_string(files)?, ctx.now.0])?;
    Ok(())
}

/// The follow-ups waiting: (id, files).
pub fn followups(db: &impl Db) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
    let rows: Vec<(i64, String)> = db
        .conn()
        .prepare_cached("SELECT id, files FROM erasure_followups ORDER BY id")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    rows.into_iter()
        .map(|(id, f)| Ok((id, serde_json::from_str(&f)?)))
        .collect()
}

pub fn followup_done(ctx: &WriteCtx<'_>, ids: &[i64]) -> Result<(), StoreError> {
    for id in ids {
        ctx.conn
            .prepare_cached("DELETE FROM erasure_followups WHERE id = ?1")?
            .execute([id])?;
    }
    Ok(())
}

/// Empties the WAL into the database (`wal_checkpoint(TRUNCATE)`), retried
/// for a few seconds while readers hold it: after an erasure written with
/// `secure_delete` (every connection of ours), no byte of what went is
/// left in either file.
/// Runs on its own connection. Returns whether the WAL was emptied.
pub fn scrub(path: &std::path::Path) -> Result<bool, StoreError> {
    let conn = super::open_conn(
        path,
        rusqlite::OpenFlags::default(),
        super::Durability::Full,
    )?;
    // A pending TRUNCATE checkpoint holds new writes back while it waits
    // for readers: it must not wait (a slow reader would stall the server's
    // writer for the busy timeout, over and over). It tries often instead,
    // for up to 30 s.
    conn.busy_timeout(std::time::Duration::ZERO)?;
    checkpoint_truncate(&conn, 300)
}

fn checkpoint_truncate(conn: &rusqlite::Connection, tries: u32) -> Result<bool, StoreError> {
    for _ in 0..tries {
        let (busy, log, done): (i64, i64, i64) =
            conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?;
        if busy == 0 && log == done {
            return Ok(true);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Ok(false)
}

/// What a Telegram user wrote in customer groups, per-group overrides
/// naming them, the events that carried either (as `withheld`), and every stored Telegram update from them or their chat
/// (found by the sender's or the chat's id, exactly: `"id":N,` or
/// `"id":N}`). Returns the rows deleted.
pub fn forget_person(ctx: &WriteCtx<'_>, telegram_user_id: i64) -> Result<u64, StoreError> {
    let conn = ctx.conn;
    let mut n = 0;
    for sql in [
        "DELETE FROM group_messages WHERE author_id = ?1",
        "DELETE FROM group_people WHERE telegram_user_id = ?1",
        // Group safety: what they wrote that was held, staff's verdicts on
        // it, and how the bot knew them in groups.
        "DELETE FROM quarantine WHERE author_id = ?1",
        "DELETE FROM spam_verdicts WHERE author_id = ?1",
        "DELETE FROM group_members WHERE user_id = ?1",
        "DELETE FROM captchas WHERE user_id = ?1",
    ] {
        n += conn.prepare_cached(sql)?.execute([telegram_user_id])? as u64;
    }
    // Events that carried what they wrote, or their name.
    n += conn
        .prepare_cached(&format!(
            "UPDATE events SET body = {TOMBSTONE}, person = NULL WHERE person = ?1"
        ))?
        .execute([telegram_user_id])? as u64;
    let a = format!("\"id\":{telegram_user_id},");
    let b = format!("\"id\":{telegram_user_id}}}");
    n += conn
        .prepare_cached("DELETE FROM tg_updates WHERE instr(body, ?1) OR instr(body, ?2)")?
        .execute(params![a, b])? as u64;
    Ok(n)
}

/// How many messages a Telegram user wrote in customer groups.
pub fn group_messages_of(db: &impl Db, telegram_user_id: i64) -> Result<u64, StoreError> {
    Ok(db
        .conn()
        .prepare_cached("SELECT count(*) FROM group_messages WHERE author_id = ?1")?
        .query_row([telegram_user_id], |r| r.get(0))?)
}

/// The customer with this Telegram user id: (id, full name, username).
pub fn customer_by_telegram(
    db: &impl Db,
    telegram_user_id: i64,
) -> Result<Option<(CustomerId, String, Option<String>)>, StoreError> {
    Ok(db
        .conn()
        .prepare_cached(
            "SELECT id, first_name, last_name, username FROM customers WHERE telegram_user_id = ?1",
        )?
        .query_row([telegram_user_id], |r| {
            let first: String = r.get(1)?;
            let last: Option<String> = r.get(2)?;
            Ok((
                CustomerId(r.get(0)?),
                match last {
                    Some(l) if !l.is_empty() => format!("{first} {l}"),
                    _ => first,
                },
                r.get(3)?,
            ))
        })
        .optional()?)
}

/// What compacting the database did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compacted {
    /// The file's size before and after, in bytes.
    pub before: u64,
    pub after: u64,
    /// Whether the WAL was emptied (false: a reader held it; the old pages
    /// go at the next checkpoint).
    pub wal_truncated: bool,
}

/// Rebuilds the database so no freed page keeps deleted text (`VACUUM`),
/// then moves the WAL into it and empties the WAL (`wal_checkpoint(TRUNCATE)`,
/// retried for a few seconds while readers hold it). Runs on its own
/// connection; a running server keeps serving (its writes wait).
pub fn compact(path: &std::path::Path) -> Result<Compacted, StoreError> {
    let size = || std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let before = size();
    let conn = super::open_conn(
        path,
        rusqlite::OpenFlags::default(),
        super::Durability::Full,
    )?;
    conn.execute_batch("PRAGMA secure_delete = ON; VACUUM;")?;
    let wal_truncated = checkpoint_truncate(&conn, 50)?;
    Ok(Compacted {
        before,
        after: size(),
        wal_truncated,
    })
}
